//! `asynclings class-report`: a whole class's `grade --format json` reports read together, and
//! written out as one self-contained HTML page, a CSV for a gradebook and a plain-text summary.
//! Also writes the teacher's regrade workflow for GitHub Actions (`--workflow`).
//!
//! Everything read from a report is the grader's output about untrusted code (messages quote
//! the student's file; commit subjects and progress files are the student's): the page escapes
//! all of it, and a report that does not hold together is named and skipped, never guessed at.

mod csv;
mod html;
mod roster;
mod workflow;

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use serde::Deserialize;

use crate::fs_util::write_atomically;
use crate::{out, outln};

pub use roster::Roster;

/// The newest version of `grade`'s JSON schema this runner reads (docs/teachers.md).
const NEWEST_SCHEMA_VERSION: u64 = 1;

/// The files `grade --out-dir` writes beside `report.json` that are not our schema.
const OTHER_FORMATS: [&str; 2] = ["classroom.json", "exercism.json"];

/// A report larger than this is not one `grade` wrote.
const MAX_REPORT_BYTES: u64 = 64 * 1024 * 1024;

#[derive(clap::Args)]
pub struct Options {
    /// `grade --format json` reports: files, or directories searched for `*.json` (`grade
    /// --out-dir` directories, a downloaded GitHub Actions artifact)
    #[arg(value_name = "REPORT|DIR", required_unless_present = "workflow")]
    pub inputs: Vec<PathBuf>,
    /// Where to write `index.html` (the page) and `grades.csv`
    #[arg(long, value_name = "DIR", default_value = "class-report")]
    pub out_dir: PathBuf,
    /// The roster: one `owner/repository [name]` per line; students without a report are named
    #[arg(long, value_name = "FILE")]
    pub roster: Option<PathBuf>,
    /// The checks the class was graded with (a report's `checks.fingerprint`); by default the
    /// fingerprint most reports share
    #[arg(long, value_name = "HASH")]
    pub fingerprint: Option<String>,
    /// The page's title
    #[arg(long, default_value = "asynclings class report")]
    pub title: String,
    /// Instead of a report, write the teacher's regrade workflow for GitHub Actions to this
    /// file (`-` for standard output)
    #[arg(long, value_name = "FILE", conflicts_with_all = ["inputs", "roster", "fingerprint"])]
    pub workflow: Option<PathBuf>,
    /// With --workflow: the git repository the runner is built from
    #[arg(long, requires = "workflow", value_name = "URL")]
    pub runner_git: Option<String>,
    /// With --workflow: the commit of that repository to build (the curriculum graded with)
    #[arg(long, requires = "workflow", value_name = "COMMIT")]
    pub runner_rev: Option<String>,
}

pub use crate::grade::Status;

/// One report as `grade --format json` writes it; fields added in later runners are optional.
#[derive(Deserialize)]
struct RawReport {
    schema: String,
    version: u64,
    score: u64,
    max_score: u64,
    checks: RawChecks,
    #[serde(default)]
    modified_files: Vec<String>,
    exercises: Vec<RawExercise>,
    #[serde(default)]
    graded: Option<Graded>,
    #[serde(default)]
    self_reported: Option<SelfReported>,
}

#[derive(Deserialize)]
struct RawChecks {
    fingerprint: String,
    #[serde(default)]
    source: String,
}

#[derive(Deserialize)]
struct RawExercise {
    name: String,
    #[serde(default)]
    topic: String,
    status: String,
    points: u64,
    max_points: u64,
    #[serde(default)]
    message: String,
}

/// Which commit of the student's repository was graded (`grade` writes it when it knows).
#[derive(Debug, Default, Clone, Deserialize)]
pub struct Graded {
    /// `working_tree` or `commit` (`grade --at`).
    #[serde(default)]
    pub source: String,
    #[serde(default)]
    pub commit: Option<String>,
    #[serde(default)]
    pub commit_date: Option<String>,
    /// The `--at` asked for, as resolved.
    #[serde(default)]
    pub at: Option<String>,
    /// How many commits came after the graded one (`late_commits` lists up to 50).
    #[serde(default)]
    pub n_late_commits: Option<usize>,
    #[serde(default)]
    pub late_commits: Vec<LateCommit>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct LateCommit {
    pub commit: String,
    #[serde(default)]
    pub date: String,
    #[serde(default)]
    pub subject: String,
}

/// What the student's own progress file says: theirs to edit, so never points.
#[derive(Debug, Default, Clone, Deserialize)]
pub struct SelfReported {
    #[serde(default)]
    pub hints: BTreeMap<String, u64>,
    #[serde(default)]
    pub time_spent_secs: Option<u64>,
    #[serde(default)]
    pub time_spent_secs_by_exercise: BTreeMap<String, u64>,
    #[serde(default)]
    pub done: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct ExerciseResult {
    pub name: String,
    pub topic: String,
    pub status: Status,
    pub points: u64,
    pub max_points: u64,
    pub message: String,
}

/// One student's report, checked.
#[derive(Debug, Clone)]
pub struct Student {
    pub name: String,
    pub source: PathBuf,
    pub score: u64,
    pub max_score: u64,
    pub fingerprint: String,
    pub checks_source: String,
    pub modified: Vec<String>,
    pub exercises: Vec<ExerciseResult>,
    pub graded: Option<Graded>,
    pub self_reported: Option<SelfReported>,
}

impl Student {
    pub fn n_passed(&self) -> usize {
        self.exercises
            .iter()
            .filter(|ex| ex.status == Status::Passed)
            .count()
    }

    /// The score in percent, 0 when there is nothing to score.
    pub fn percent(&self) -> f64 {
        if self.max_score == 0 {
            0.0
        } else {
            self.score as f64 * 100.0 / self.max_score as f64
        }
    }

    /// Where the student stopped: the first exercise, in order, that does not pass.
    pub fn first_unsolved(&self) -> Option<&ExerciseResult> {
        self.exercises.iter().find(|ex| ex.status != Status::Passed)
    }

    pub fn n_refused(&self) -> usize {
        self.exercises
            .iter()
            .filter(|ex| ex.status == Status::Refused)
            .count()
    }

    pub fn n_late(&self) -> usize {
        self.graded
            .as_ref()
            .map_or(0, |g| g.n_late_commits.unwrap_or(g.late_commits.len()))
    }

    pub fn hints_total(&self) -> Option<u64> {
        self.self_reported
            .as_ref()
            .map(|s| s.hints.values().sum::<u64>())
    }

    /// The student's result for each column, in the columns' order (`None`: not graded).
    pub fn by_column<'a>(&'a self, columns: &[Column]) -> Vec<Option<&'a ExerciseResult>> {
        // Reports list exercises in the columns' order: walk both, and look up only the rest.
        let mut at = 0;
        columns
            .iter()
            .map(|c| match self.exercises.get(at) {
                Some(ex) if ex.name == c.name => {
                    at += 1;
                    Some(ex)
                }
                _ => self.exercises.iter().find(|ex| ex.name == c.name),
            })
            .collect()
    }
}

/// A report that was not read, and why.
#[derive(Debug)]
pub struct Skipped {
    pub path: PathBuf,
    pub reason: String,
}

/// An exercise as a column of the class view, in the order of the reports.
#[derive(Debug, Clone)]
pub struct Column {
    pub name: String,
    pub topic: String,
    pub max_points: u64,
}

/// Per exercise, over the students graded with the class's checks.
#[derive(Debug, Default, Clone)]
pub struct ExerciseStats {
    /// Students whose report has this exercise.
    pub graded: usize,
    pub by_status: HashMap<Status, usize>,
    /// The most common first failure (a check's name, an error code) and how many share it.
    pub top_failure: Option<(String, usize)>,
    /// Students whose first unsolved exercise this is.
    pub stopped_here: usize,
    /// Self-reported hint levels: the sum and how many students reported any progress file.
    pub hints: u64,
    pub hint_reporters: usize,
}

impl ExerciseStats {
    pub fn count(&self, status: Status) -> usize {
        self.by_status.get(&status).copied().unwrap_or(0)
    }

    /// Passed, in whole percent of the students graded on it.
    pub fn pass_rate(&self) -> Option<u64> {
        (self.graded > 0).then(|| {
            (self.count(Status::Passed) as f64 * 100.0 / self.graded as f64).round() as u64
        })
    }
}

/// The whole class, read and counted.
#[derive(Debug)]
pub struct Class {
    pub title: String,
    /// The checks the class was graded with.
    pub fingerprint: String,
    /// Whether the fingerprint was chosen with `--fingerprint` (else: the most common).
    pub fingerprint_chosen: bool,
    /// Graded with the class's checks, by name.
    pub students: Vec<Student>,
    /// Graded with other checks: shown, never counted with the rest.
    pub other_checks: Vec<Student>,
    pub skipped: Vec<Skipped>,
    /// On the roster, without a report.
    pub no_report: Vec<String>,
    pub columns: Vec<Column>,
    pub stats: Vec<ExerciseStats>,
}

impl Class {
    /// Reads the class from report files, checks each, and counts.
    pub fn read(
        inputs: &[PathBuf],
        roster: Option<&Roster>,
        fingerprint: Option<&str>,
        title: &str,
    ) -> Result<Self> {
        let mut skipped = Vec::new();
        let mut read: Vec<Student> = Vec::new();
        for (path, result) in read_all(report_files(inputs)?) {
            match result {
                Ok(student) => {
                    if let Some(first) = read.iter().find(|s| s.name == student.name) {
                        skipped.push(Skipped {
                            reason: format!(
                                "a second report for `{}` (the first is `{}`, which is used)",
                                student.name,
                                first.source.display()
                            ),
                            path,
                        });
                    } else {
                        read.push(student);
                    }
                }
                Err(reason) => skipped.push(Skipped { path, reason }),
            }
        }
        read.sort_by_key(|s| natural_key(&s.name));
        let no_report = roster
            .map(|roster| {
                roster
                    .names()
                    .filter(|name| !read.iter().any(|s| &s.name == name))
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default();
        let (fingerprint, fingerprint_chosen) = match fingerprint {
            Some(chosen) => (chosen.to_owned(), true),
            None => (most_common_fingerprint(&read), false),
        };
        let (students, other_checks): (Vec<Student>, Vec<Student>) =
            read.into_iter().partition(|s| s.fingerprint == fingerprint);
        let columns = columns(&students);
        let stats = stats(&students, &columns);
        Ok(Self {
            title: title.to_owned(),
            fingerprint,
            fingerprint_chosen,
            students,
            other_checks,
            skipped,
            no_report,
            columns,
            stats,
        })
    }

    pub fn median_score(&self) -> Option<f64> {
        let mut scores: Vec<u64> = self.students.iter().map(|s| s.score).collect();
        scores.sort_unstable();
        let n = scores.len();
        match n {
            0 => None,
            n if n % 2 == 1 => Some(scores[n / 2] as f64),
            n => Some((scores[n / 2 - 1] + scores[n / 2]) as f64 / 2.0),
        }
    }

    pub fn mean_score(&self) -> Option<f64> {
        let n = self.students.len();
        (n > 0).then(|| self.students.iter().map(|s| s.score as f64).sum::<f64>() / n as f64)
    }

    /// The most points a student of the class could earn (the most common maximum).
    pub fn max_score(&self) -> u64 {
        let mut counts: BTreeMap<u64, usize> = BTreeMap::new();
        for s in &self.students {
            *counts.entry(s.max_score).or_default() += 1;
        }
        counts
            .into_iter()
            .max_by_key(|&(max, n)| (n, max))
            .map_or(0, |(max, _)| max)
    }

    pub fn n_full_marks(&self) -> usize {
        self.students
            .iter()
            .filter(|s| s.max_score > 0 && s.score == s.max_score)
            .count()
    }

    /// How many students fall in each tenth of the score (the last is 100% only).
    pub fn distribution(&self) -> [usize; 11] {
        let mut buckets = [0; 11];
        for s in &self.students {
            buckets[bucket(s.percent())] += 1;
        }
        buckets
    }
}

/// The tenth of the score `percent` falls in: 0 for [0, 10), ..., 9 for [90, 100), 10 for 100.
pub fn bucket(percent: f64) -> usize {
    if percent >= 100.0 {
        10
    } else {
        ((percent / 10.0).floor().max(0.0) as usize).min(9)
    }
}

fn most_common_fingerprint(students: &[Student]) -> String {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for s in students {
        *counts.entry(&s.fingerprint).or_default() += 1;
    }
    // The most reports; on a tie, the first in order, so the choice never depends on input order.
    counts
        .into_iter()
        .fold(None::<(&str, usize)>, |best, (fp, n)| match best {
            Some((_, best_n)) if best_n >= n => best,
            _ => Some((fp, n)),
        })
        .map(|(fp, _)| fp.to_owned())
        .unwrap_or_default()
}

/// The exercises in the order the reports list them (the curriculum's); an exercise only
/// some reports have (different assignments) takes its place after the ones before it.
fn columns(students: &[Student]) -> Vec<Column> {
    let mut columns: Vec<Column> = Vec::new();
    for s in students {
        let mut after = 0;
        for ex in &s.exercises {
            match columns.iter().position(|c| c.name == ex.name) {
                Some(at) => after = at + 1,
                None => {
                    columns.insert(
                        after,
                        Column {
                            name: ex.name.clone(),
                            topic: ex.topic.clone(),
                            max_points: ex.max_points,
                        },
                    );
                    after += 1;
                }
            }
        }
    }
    columns
}

fn stats(students: &[Student], columns: &[Column]) -> Vec<ExerciseStats> {
    let index: HashMap<&str, usize> = columns
        .iter()
        .enumerate()
        .map(|(i, c)| (c.name.as_str(), i))
        .collect();
    let mut stats = vec![ExerciseStats::default(); columns.len()];
    let mut failures: Vec<HashMap<String, usize>> = vec![HashMap::new(); columns.len()];
    for s in students {
        for ex in &s.exercises {
            let i = index[ex.name.as_str()];
            stats[i].graded += 1;
            *stats[i].by_status.entry(ex.status).or_default() += 1;
            if let Some(first) = first_failure(ex) {
                *failures[i].entry(first).or_default() += 1;
            }
        }
        if let Some(stop) = s.first_unsolved() {
            stats[index[stop.name.as_str()]].stopped_here += 1;
        }
        if let Some(reported) = &s.self_reported {
            for ex in &s.exercises {
                let i = index[ex.name.as_str()];
                stats[i].hint_reporters += 1;
                stats[i].hints += reported.hints.get(&ex.name).copied().unwrap_or(0);
            }
        }
    }
    for (stat, failures) in stats.iter_mut().zip(failures) {
        stat.top_failure = failures
            .into_iter()
            .max_by(|a, b| a.1.cmp(&b.1).then_with(|| b.0.cmp(&a.0)));
    }
    stats
}

/// What failed first in an exercise that did not pass, as a short key that students share:
/// the first failing check's name, rustc's first error code, the check still running at a
/// timeout, or the first reason for a refusal.
pub fn first_failure(ex: &ExerciseResult) -> Option<String> {
    let lines = || ex.message.lines().map(str::trim);
    match ex.status {
        Status::ChecksFailed => lines()
            .find_map(|l| l.strip_prefix("✗ "))
            .filter(|l| !l.starts_with("Checks failed:"))
            .map(|l| l.split_whitespace().next().unwrap_or(l).to_owned()),
        Status::CompileError => lines().find_map(|l| {
            let rest = l.strip_prefix("error")?;
            if let Some(code) = rest.strip_prefix('[') {
                return code.split(']').next().map(str::to_owned);
            }
            let text = rest.strip_prefix(": ")?;
            Some(shorten(text, 60))
        }),
        Status::TimedOut => lines().find_map(|l| {
            let running = l.split("(still running: ").nth(1)?;
            Some(running.trim_end_matches(')').to_owned())
        }),
        Status::Refused => lines()
            .find_map(|l| l.strip_prefix("✗ "))
            .filter(|l| !l.starts_with("Refused:"))
            .map(|l| {
                // `path:line:col: the reason`: students share the reason, not the place.
                let reason = l.split(": ").skip(1).collect::<Vec<_>>().join(": ");
                shorten(if reason.is_empty() { l } else { &reason }, 80)
            }),
        Status::Passed | Status::Missing => None,
    }
}

/// At most `max` characters, with an ellipsis when cut.
pub fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let cut: String = text.chars().take(max.saturating_sub(1)).collect();
    format!("{cut}…")
}

/// Sorts `student2` before `student10`.
fn natural_key(name: &str) -> Vec<(String, u64)> {
    let mut key = Vec::new();
    let mut text = String::new();
    let mut digits = String::new();
    for c in name.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
        } else {
            if !digits.is_empty() {
                key.push((
                    std::mem::take(&mut text),
                    digits.parse().unwrap_or(u64::MAX),
                ));
                digits.clear();
            }
            text.extend(c.to_lowercase());
        }
    }
    key.push((text, digits.parse().unwrap_or(0)));
    key
}

/// The report files among `inputs`: files as given, directories searched (sorted, so the page
/// does not depend on the file system's order).
fn report_files(inputs: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for input in inputs {
        let meta = std::fs::metadata(input)
            .with_context(|| format!("failed to read `{}`", input.display()))?;
        if meta.is_dir() {
            collect_json(input, &mut files)?;
        } else {
            files.push(input.clone());
        }
    }
    Ok(files)
}

fn collect_json(dir: &Path, files: &mut Vec<PathBuf>) -> Result<()> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("failed to read the directory `{}`", dir.display()))?
        .flatten()
        .map(|e| e.path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            collect_json(&path, files)?;
        } else if path.extension().is_some_and(|e| e == "json")
            && !path
                .file_name()
                .is_some_and(|n| OTHER_FORMATS.iter().any(|o| n == *o))
        {
            files.push(path);
        }
    }
    Ok(())
}

/// A student's name from where their report is: the file's name (`alice.json`), or the
/// directory's for `grade --out-dir` output (`alice/report.json`).
pub fn student_name(path: &Path) -> String {
    let stem = path.file_stem().unwrap_or_default().to_string_lossy();
    if stem == "report"
        && let Some(dir) = path.parent().and_then(Path::file_name)
    {
        return dir.to_string_lossy().into_owned();
    }
    stem.into_owned()
}

/// Reads every report, on as many threads as there are cores (a class of 1,000 is 20 MiB of
/// JSON), keeping the files' order.
fn read_all(paths: Vec<PathBuf>) -> Vec<(PathBuf, Result<Student, String>)> {
    let threads = std::thread::available_parallelism().map_or(1, usize::from);
    let chunk = paths.len().div_ceil(threads).max(1);
    std::thread::scope(|scope| {
        let handles: Vec<_> = paths
            .chunks(chunk)
            .map(|chunk| {
                scope.spawn(move || {
                    chunk
                        .iter()
                        .map(|path| (path.clone(), read_report(path, &student_name(path))))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_default())
            .collect()
    })
}

/// Reads and checks one report; the error is the reason it is skipped, in a few words.
fn read_report(path: &Path, name: &str) -> Result<Student, String> {
    let size = std::fs::metadata(path)
        .map_err(|err| format!("could not be read: {err}"))?
        .len();
    if size > MAX_REPORT_BYTES {
        return Err(format!(
            "is {size} bytes, larger than any report `grade` writes"
        ));
    }
    let text = std::fs::read(path).map_err(|err| format!("could not be read: {err}"))?;
    let text = String::from_utf8(text).map_err(|_| "is not UTF-8 text".to_owned())?;
    if text.trim().is_empty() {
        return Err("is empty".to_owned());
    }
    // The usual case in one pass; a report that does not fit is read again to say why.
    let raw = match serde_json::from_str::<RawReport>(&text) {
        Ok(raw) if raw.schema == "asynclings-grade" && raw.version <= NEWEST_SCHEMA_VERSION => raw,
        _ => return Err(why_unreadable(&text)),
    };
    student(path, name, raw)
}

/// Why a report could not be read as one.
fn why_unreadable(text: &str) -> String {
    let value: serde_json::Value = match serde_json::from_str(text) {
        Ok(value) => value,
        Err(err) if err.is_eof() => return format!("is cut short (truncated): {err}"),
        Err(err) => return format!("is not valid JSON: {err}"),
    };
    match value.get("schema").and_then(|s| s.as_str()) {
        Some("asynclings-grade") => {}
        Some(other) => return format!("is a `{other}` report, not `asynclings-grade`"),
        None => {
            return "is not an `asynclings grade --format json` report (no `schema` field)"
                .to_owned();
        }
    }
    if let Some(version) = value.get("version").and_then(|v| v.as_u64())
        && version > NEWEST_SCHEMA_VERSION
    {
        return format!(
            "has schema version {version}; this runner reads up to {NEWEST_SCHEMA_VERSION} \
             (use a newer asynclings)"
        );
    }
    match serde_json::from_value::<RawReport>(value) {
        Ok(_) => "is not a valid report".to_owned(),
        Err(err) => format!("is not a valid report: {err}"),
    }
}

/// A report's student, once its numbers are checked.
fn student(path: &Path, name: &str, raw: RawReport) -> Result<Student, String> {
    let mut exercises = Vec::with_capacity(raw.exercises.len());
    for ex in raw.exercises {
        let Some(status) = Status::parse(&ex.status) else {
            return Err(format!(
                "has an unknown status `{}` for `{}`",
                ex.status, ex.name
            ));
        };
        if ex.points > ex.max_points {
            return Err(format!(
                "gives `{}` {} points of {}",
                ex.name, ex.points, ex.max_points
            ));
        }
        if exercises.iter().any(|e: &ExerciseResult| e.name == ex.name) {
            return Err(format!("lists `{}` twice", ex.name));
        }
        exercises.push(ExerciseResult {
            name: ex.name,
            topic: ex.topic,
            status,
            points: ex.points,
            max_points: ex.max_points,
            message: ex.message,
        });
    }
    let sum: u64 = exercises.iter().map(|ex| ex.points).sum();
    let max_sum: u64 = exercises.iter().map(|ex| ex.max_points).sum();
    if sum != raw.score || max_sum != raw.max_score {
        return Err(format!(
            "does not add up: score {} of {}, but its exercises give {sum} of {max_sum}",
            raw.score, raw.max_score
        ));
    }
    if raw.checks.fingerprint.is_empty() {
        return Err("has no checks fingerprint".to_owned());
    }
    Ok(Student {
        name: name.to_owned(),
        source: path.to_path_buf(),
        score: raw.score,
        max_score: raw.max_score,
        fingerprint: raw.checks.fingerprint,
        checks_source: raw.checks.source,
        modified: raw.modified_files,
        exercises,
        graded: raw.graded,
        self_reported: raw.self_reported,
    })
}

/// `asynclings class-report`.
pub fn class_report(cwd: &Path, options: Options) -> Result<ExitCode> {
    if let Some(path) = &options.workflow {
        return workflow::write(
            cwd,
            path,
            options.runner_git.as_deref(),
            options.runner_rev.as_deref(),
        );
    }
    let started = Instant::now();
    // Paths stay as given (relative to the current directory), which is how the page names them.
    let roster = options.roster.as_deref().map(Roster::read).transpose()?;
    let class = Class::read(
        &options.inputs,
        roster.as_ref(),
        options.fingerprint.as_deref(),
        &options.title,
    )?;
    if class.students.is_empty() && class.other_checks.is_empty() {
        for skipped in &class.skipped {
            eprintln!("skipped `{}`: {}", skipped.path.display(), skipped.reason);
        }
        bail!(
            "no report could be read from {}: give `grade --format json` reports, or \
             directories that hold them",
            options
                .inputs
                .iter()
                .map(|p| format!("`{}`", p.display()))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    let out_dir = cwd.join(&options.out_dir);
    std::fs::create_dir_all(&out_dir)
        .with_context(|| format!("failed to create `{}`", out_dir.display()))?;
    let page = out_dir.join("index.html");
    let grades = out_dir.join("grades.csv");
    write_atomically(&page, html::page(&class).as_bytes())?;
    write_atomically(&grades, csv::grades(&class).as_bytes())?;
    out!("{}", summary(&class))?;
    outln!(
        "Written: `{}` and `{}`, in {:.2}s.",
        page.display(),
        grades.display(),
        started.elapsed().as_secs_f64()
    )?;
    Ok(ExitCode::SUCCESS)
}

/// The plain-text summary.
pub fn summary(class: &Class) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let fp = short_fingerprint(&class.fingerprint);
    let _ = writeln!(
        out,
        "{}: {} students graded with checks {fp}{}.",
        class.title,
        class.students.len(),
        if class.fingerprint_chosen {
            " (as asked)"
        } else {
            " (the most common)"
        }
    );
    if let (Some(median), Some(mean)) = (class.median_score(), class.mean_score()) {
        let _ = writeln!(
            out,
            "Score: median {} of {}, mean {mean:.1}; {} with every point, {} with none.",
            trim_float(median),
            class.max_score(),
            class.n_full_marks(),
            class.students.iter().filter(|s| s.score == 0).count()
        );
    }
    if !class.columns.is_empty() {
        let width = class
            .columns
            .iter()
            .map(|c| c.name.chars().count())
            .max()
            .unwrap_or(8);
        out += "\nExercises (pass rate; compile error, checks failed, timed out, refused, missing; where students stop):\n";
        for (column, stat) in class.columns.iter().zip(&class.stats) {
            let rate = stat
                .pass_rate()
                .map_or_else(|| "-".to_owned(), |r| format!("{r}%"));
            let _ = write!(
                out,
                "  {:<width$} {rate:>4}  {:>3} {:>3} {:>3} {:>3} {:>3}  stop {:>3}",
                column.name,
                stat.count(Status::CompileError),
                stat.count(Status::ChecksFailed),
                stat.count(Status::TimedOut),
                stat.count(Status::Refused),
                stat.count(Status::Missing),
                stat.stopped_here,
            );
            if let Some((failure, n)) = &stat.top_failure {
                let _ = write!(out, "  most often first: {} ({n})", shorten(failure, 50));
            }
            out.push('\n');
        }
    }
    let finished = class
        .students
        .iter()
        .filter(|s| s.first_unsolved().is_none())
        .count();
    let _ = writeln!(out, "\n{finished} students have solved every exercise.");
    let modified = class
        .students
        .iter()
        .filter(|s| !s.modified.is_empty())
        .count();
    let refused = class.students.iter().filter(|s| s.n_refused() > 0).count();
    let late = class.students.iter().filter(|s| s.n_late() > 0).count();
    let _ = writeln!(
        out,
        "Flags: {modified} with modified files, {refused} with refused attempts, {late} with commits after the deadline."
    );
    if !class.other_checks.is_empty() {
        let _ = writeln!(
            out,
            "\nGraded with different checks, not counted above ({}):",
            class.other_checks.len()
        );
        for s in &class.other_checks {
            let _ = writeln!(
                out,
                "  {}: checks {} ({} of {} points), `{}`",
                s.name,
                short_fingerprint(&s.fingerprint),
                s.score,
                s.max_score,
                s.source.display()
            );
        }
    }
    if !class.skipped.is_empty() {
        let _ = writeln!(out, "\nSkipped reports ({}):", class.skipped.len());
        for skipped in &class.skipped {
            let _ = writeln!(out, "  `{}` {}", skipped.path.display(), skipped.reason);
        }
    }
    if !class.no_report.is_empty() {
        let _ = writeln!(
            out,
            "\nOn the roster without a report ({}): {}",
            class.no_report.len(),
            class.no_report.join(", ")
        );
    }
    out
}

pub fn short_fingerprint(fp: &str) -> String {
    fp.chars().take(12).collect()
}

/// `4` for 4.0, `4.5` for 4.5.
pub fn trim_float(value: f64) -> String {
    if value.fract() == 0.0 {
        format!("{value:.0}")
    } else {
        format!("{value:.1}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ex(name: &str, status: Status, message: &str) -> ExerciseResult {
        ExerciseResult {
            name: name.into(),
            topic: "t".into(),
            status,
            points: u64::from(status == Status::Passed),
            max_points: 1,
            message: message.into(),
        }
    }

    #[test]
    fn first_failures_are_what_students_share() {
        let failed = ex(
            "fail1",
            Status::ChecksFailed,
            "warning: unused\n✗ doubles_larger_numbers\n    double(21) returned 23\n\n✗ Checks failed: 1 of 2 checks failed for `x`",
        );
        assert_eq!(
            first_failure(&failed).as_deref(),
            Some("doubles_larger_numbers")
        );
        let compile = ex(
            "c",
            Status::CompileError,
            "error[E0308]: mismatched types\n --> x.rs",
        );
        assert_eq!(first_failure(&compile).as_deref(), Some("E0308"));
        let timeout = ex(
            "h",
            Status::TimedOut,
            "⧗ Timed out: `x` did not finish within 1s (still running: loops_forever)\n",
        );
        assert_eq!(first_failure(&timeout).as_deref(), Some("loops_forever"));
        let refused = ex(
            "r",
            Status::Refused,
            "✗ exercises/b/exit1.rs:3:5: the file uses a disallowed function `std::process::exit`\n✗ Refused: ...",
        );
        assert_eq!(
            first_failure(&refused).as_deref(),
            Some("the file uses a disallowed function `std::process::exit`")
        );
    }

    #[test]
    fn buckets_are_tenths_with_full_marks_apart() {
        assert_eq!(bucket(0.0), 0);
        assert_eq!(bucket(9.99), 0);
        assert_eq!(bucket(10.0), 1);
        assert_eq!(bucket(99.9), 9);
        assert_eq!(bucket(100.0), 10);
    }

    #[test]
    fn names_sort_naturally() {
        let mut names = vec!["student10", "Student2", "student1"];
        names.sort_by_key(|n| natural_key(n));
        assert_eq!(names, ["student1", "Student2", "student10"]);
    }

    #[test]
    fn a_name_comes_from_the_file_or_its_directory() {
        assert_eq!(student_name(Path::new("r/alice.json")), "alice");
        assert_eq!(student_name(Path::new("r/bob/report.json")), "bob");
    }
}
