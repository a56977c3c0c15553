//! `asynclings grade`: every selected exercise built and checked in isolation, with points,
//! in the report formats that graders read.
//!
//! Grades use the teacher's copies of the checks, info.toml and manifests, embedded in the
//! runner when it was built (see `build.rs`), never the student's: the student's exercise
//! files are copied into a private grading workspace (`target/asynclings-grade`) beside the
//! embedded checks. Files in the student's repository that differ from the embedded ones are
//! listed in the report.

mod assignment;
mod at;
mod progress;
mod report;

use std::collections::{BTreeMap, BTreeSet};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use crate::cargo;
use crate::check::check_learner_files;
use crate::exercise::Exercise;
use crate::fnv::fnv1a;
use crate::fs_util::{self, write_atomically, write_if_changed};
use crate::outcome::Outcome;
use crate::sync;
use crate::term;
use crate::timeline::Timeline;
use crate::warm_up::ensure_dependencies;
use crate::workbook::{INFO_FILE, Workbook, rust_files};
use crate::workspace;

pub use report::Format;

/// Where grading workspaces live when `ASYNCLINGS_GRADE_DIR` does not say.
const GRADE_DIR_NAME: &str = "asynclings-grade";
/// The width timelines are drawn to in a report's plain text.
const REPORT_WIDTH: usize = 100;

/// The grading workspace for checks with `fingerprint`: outside the student's repository, so
/// that nothing in it (a committed `target/`, a file named like a check) is in reach of the
/// build, and kept between runs so that dependencies are built once.
fn grading_workspace(fingerprint: &str) -> Result<PathBuf> {
    let base = match std::env::var_os("ASYNCLINGS_GRADE_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => {
            let cache = std::env::var_os("XDG_CACHE_HOME")
                .map(PathBuf::from)
                .filter(|p| p.is_absolute())
                .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
                .unwrap_or_else(std::env::temp_dir);
            cache.join(GRADE_DIR_NAME)
        }
    };
    let dir = base.join(fingerprint);
    std::fs::create_dir_all(&dir)
        .with_context(|| format!("failed to create the grading workspace `{}`", dir.display()))?;
    Ok(dir)
}

#[derive(clap::Args)]
pub struct Options {
    /// The report's format
    #[arg(long, value_enum, default_value = "human")]
    pub format: Format,
    /// Write the report to this file (atomically) instead of standard output
    #[arg(long, short)]
    pub output: Option<PathBuf>,
    /// Also write the report in every format into this directory, from this one grading run
    /// (report.json, classroom.json, exercism.json, junit.xml, report.txt)
    #[arg(long, value_name = "DIR")]
    pub out_dir: Option<PathBuf>,
    /// Only these topics or exercises, separated by commas (`03_join,select1`)
    #[arg(long, conflicts_with = "assignment")]
    pub only: Option<String>,
    /// An assignment file: `exercises = [..]` and optional `[points]`
    #[arg(long)]
    pub assignment: Option<PathBuf>,
    /// Exit with 0 whenever grading ran, whatever the score
    #[arg(long)]
    pub exit_zero: bool,
    /// Grade with this workbook's own checks and info.toml, not the ones built into the runner
    /// (for trying out a workbook; a student can change these)
    #[arg(long)]
    pub workbook_checks: bool,
    /// Grade the repository as of a deadline: the last commit at or before a date-time
    /// (`2025-03-14T23:59:00+01:00`; UTC without an offset; a date alone is its last second),
    /// or a revision. The commit is exported, the working tree left alone; later commits are
    /// listed in the report
    #[arg(long, value_name = "WHEN")]
    pub at: Option<String>,
}

pub use crate::outcome::Status;

#[derive(Debug, Clone)]
pub struct ExerciseResult {
    pub name: String,
    pub topic: String,
    /// The topic's place in the curriculum, from 1.
    pub topic_index: usize,
    pub path: String,
    pub status: Status,
    pub points: u32,
    pub max_points: u32,
    /// What went wrong, as plain text (empty when passed).
    pub message: String,
    /// How long building and checking took.
    pub duration: Duration,
    /// The timelines of failed checks that recorded one, by check name.
    pub timelines: Vec<(String, Timeline)>,
}

#[derive(Debug)]
pub struct Report {
    pub exercises: Vec<ExerciseResult>,
    pub score: u32,
    pub max_score: u32,
    /// Where the checks came from: `embedded` (the runner's) or `workbook` (on disk).
    pub checks_source: &'static str,
    /// A fingerprint of the checks, info.toml and manifests graded with.
    pub checks_fingerprint: String,
    /// Files of the student's repository that differ from the teacher's.
    pub modified: Vec<String>,
    /// Which commit was graded, and the commits after it (`--at`).
    pub graded: at::Graded,
    /// The student's own progress file: theirs to edit, so reported and never scored.
    pub self_reported: Option<progress::SelfReported>,
}

impl Report {
    pub fn all_passed(&self) -> bool {
        self.exercises.iter().all(|ex| ex.status == Status::Passed)
    }
}

/// Whether `root` is a rustlings-format set of its own rather than a student's copy of this
/// curriculum (which `grade` grades with the checks it carries, whatever else the copy holds):
/// most of the exercises its info.toml lists are not the curriculum's (a name or two may
/// coincide: rustlings has an `intro1` too).
fn is_another_set(root: &Path) -> bool {
    if !crate::rustlings_format::is_rustlings_format(root) {
        return false;
    }
    let names = |info: &str| -> BTreeSet<String> {
        crate::info_file::InfoFile::parse(info, Path::new(INFO_FILE))
            .map(|info| {
                info.exercises
                    .into_iter()
                    .map(|entry| entry.name.into_inner())
                    .collect()
            })
            .unwrap_or_default()
    };
    let theirs = std::fs::read_to_string(root.join(INFO_FILE))
        .map(|info| names(&info))
        .unwrap_or_default();
    let ours = crate::embedded::file(INFO_FILE)
        .map(names)
        .unwrap_or_default();
    theirs.intersection(&ours).count() * 2 < theirs.len()
}

const GRADING_A_RUSTLINGS_SET: &str = "this is a rustlings-format set, whose tests are in \
     the learner's own files: `grade` grades with hidden checks that a student cannot change, \
     which such a set does not have. `asynclings verify` checks every exercise here";

pub async fn grade(root: &Path, options: Options) -> Result<ExitCode> {
    if is_another_set(root) {
        bail!("{GRADING_A_RUSTLINGS_SET}");
    }
    let started = Instant::now();
    // `--at`: grade an export of the commit, so that the working tree is never touched.
    let (export, graded) = match &options.at {
        Some(when) => {
            let graded = at::resolve(root, when)?;
            let commit = graded.commit.as_ref().map(|c| c.hash.clone());
            let export = at::export(root, &commit.unwrap_or_default())?;
            eprintln!("{}", graded.describe());
            (Some(export), graded)
        }
        None => (None, at::working_tree(root)),
    };
    let root = export.as_ref().map_or(root, |dir| dir.path());
    let self_reported = progress::read(root);
    let inputs = grading_inputs(root, options.workbook_checks)?;
    let fingerprint = fingerprint(&inputs);
    let modified = if options.workbook_checks {
        Vec::new()
    } else {
        modified_files(root, &inputs)
    };
    cargo::require_clippy().await?;
    let grade_root = grading_workspace(&fingerprint)?;
    // One grading at a time in a workspace: the student's files are copied into it.
    let _lock = fs_util::lock(&grade_root.join(".lock")).await?;
    workspace::materialize(&grade_root, &inputs).with_context(|| {
        format!(
            "failed to prepare the grading workspace `{}`",
            grade_root.display()
        )
    })?;
    let mut wb = Workbook::load(&grade_root)
        .with_context(|| format!("the grading copy of `{INFO_FILE}` is invalid"))?;
    wb.grading = true;
    copy_student_files(root, &wb)?;
    sync::write(&wb)?;

    let mut selected: Vec<(usize, u32)> = wb
        .exercises
        .iter()
        .enumerate()
        .map(|(idx, ex)| (idx, ex.points))
        .collect();
    if let Some(only) = &options.only {
        selected = assignment::only(&wb, only)?;
    }
    if let Some(path) = &options.assignment {
        selected = assignment::read(&wb, path)?;
    }
    if selected.is_empty() {
        bail!("no exercises selected to grade");
    }

    let interactive = std::io::stderr().is_terminal();
    eprintln!("Grading {} exercises…", selected.len());
    ensure_dependencies(&wb).await?;
    let results = grade_selected(root, &wb, &selected, interactive).await?;
    let score = results.iter().map(|r| r.points).sum();
    let max_score = results.iter().map(|r| r.max_points).sum();
    let report = Report {
        exercises: results,
        score,
        max_score,
        checks_source: if options.workbook_checks {
            "workbook"
        } else {
            "embedded"
        },
        checks_fingerprint: fingerprint,
        modified,
        graded,
        self_reported,
    };
    eprintln!(
        "Graded in {:.1}s: {score} of {max_score} points.",
        started.elapsed().as_secs_f64()
    );
    if let Some(dir) = &options.out_dir {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("failed to create `{}`", dir.display()))?;
        for format in Format::ALL {
            let path = dir.join(format.file_name());
            let text = format.render(&report)?;
            let text = if format == Format::Human {
                console::strip_ansi_codes(&text).into_owned()
            } else {
                text
            };
            write_atomically(&path, text.as_bytes())?;
        }
        eprintln!("Reports written to `{}` in every format.", dir.display());
    }
    let text = options.format.render(&report)?;
    match &options.output {
        Some(path) => {
            write_atomically(path, text.as_bytes())?;
            eprintln!("Report written to `{}`.", path.display());
        }
        None => crate::out!("{text}")?,
    }
    Ok(if report.all_passed() || options.exit_zero {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// The files grading is done with, by path relative to the workbook root.
fn grading_inputs(root: &Path, from_workbook: bool) -> Result<BTreeMap<String, String>> {
    if !from_workbook {
        return Ok(workspace::embedded_inputs());
    }
    let mut inputs = BTreeMap::new();
    let mut paths: Vec<String> = [
        "info.toml",
        "Cargo.toml",
        "Cargo.lock",
        "exercises/Cargo.toml",
        "checks/Cargo.toml",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    for file in rust_files(root, "checks") {
        if !file.starts_with(sync::HARNESS_DIR) {
            paths.push(file.to_string_lossy().replace('\\', "/"));
        }
    }
    for path in paths {
        match std::fs::read_to_string(root.join(&path)) {
            Ok(content) => {
                inputs.insert(path, content);
            }
            // A workbook without a lock file gets one from cargo.
            Err(_) if path == "Cargo.lock" => {}
            Err(err) => return Err(err).with_context(|| format!("failed to read `{path}`")),
        }
    }
    Ok(inputs)
}

fn fingerprint(inputs: &BTreeMap<String, String>) -> String {
    let mut all = Vec::new();
    for (path, content) in inputs {
        all.extend_from_slice(path.as_bytes());
        all.push(0);
        all.extend_from_slice(content.as_bytes());
        all.push(0);
    }
    format!("{:016x}", fnv1a(&all))
}

/// Files in the student's repository that are not as the grading inputs have them. A learner
/// workspace holds none of them, so there only what is present is compared.
fn modified_files(root: &Path, inputs: &BTreeMap<String, String>) -> Vec<String> {
    let workspace = workspace::is_workspace(root) && !root.join(INFO_FILE).exists();
    let mut modified = Vec::new();
    for (path, content) in inputs {
        match std::fs::read_to_string(root.join(path)) {
            Ok(theirs) if &theirs == content => {}
            // A workspace's manifest is its own, not the curriculum's.
            Ok(_) if workspace && (path == "Cargo.toml" || path == "Cargo.lock") => {}
            Ok(_) => modified.push(format!("{path} (changed)")),
            Err(_) if workspace => {}
            Err(_) => modified.push(format!("{path} (missing)")),
        }
    }
    if workspace {
        return modified;
    }
    for file in rust_files(root, "checks") {
        let file = file.to_string_lossy().replace('\\', "/");
        if !file.starts_with(sync::HARNESS_DIR) && !inputs.contains_key(&file) {
            modified.push(format!("{file} (added)"));
        }
    }
    for (path, hash) in crate::embedded::RUNNER_SOURCES {
        match std::fs::read(root.join(path)) {
            Ok(bytes) if fnv1a(&bytes) == *hash => {}
            Ok(_) => modified.push(format!("{path} (changed)")),
            Err(_) => modified.push(format!("{path} (missing)")),
        }
    }
    modified
}

/// Copies the student's exercise files into the grading workspace, and removes the copies of
/// files the student no longer has.
fn copy_student_files(root: &Path, wb: &Workbook) -> Result<()> {
    for ex in &wb.exercises {
        let copy = wb.root.join(ex.path());
        match std::fs::read(root.join(ex.path())) {
            Ok(content) => {
                write_if_changed(&copy, &content)?;
            }
            Err(_) => {
                let _ = std::fs::remove_file(&copy);
            }
        }
    }
    Ok(())
}

async fn grade_selected(
    root: &Path,
    wb: &Workbook,
    selected: &[(usize, u32)],
    interactive: bool,
) -> Result<Vec<ExerciseResult>> {
    let mut topics: Vec<String> = Vec::new();
    for ex in &wb.exercises {
        let topic = ex.dir.clone().unwrap_or_default();
        if !topics.contains(&topic) {
            topics.push(topic);
        }
    }
    let total = selected.len();
    let started = Instant::now();
    let exercises = selected.iter().map(|&(idx, _)| &wb.exercises[idx]);
    let bar = interactive.then(|| term::StepsBar::new(total));
    let outcomes = check_learner_files(wb, exercises, |progress| {
        if let Some(bar) = &bar {
            let (what, done) = progress.phase();
            bar.step(what, done);
        }
    })
    .await?;
    if let Some(bar) = bar {
        bar.finish();
    }
    // Building is shared; each exercise is charged an equal part of it.
    let checked = outcomes.iter().flatten().count();
    let build_share = started
        .elapsed()
        .saturating_sub(outcomes.iter().flatten().map(|(_, t)| *t).sum())
        / checked.max(1) as u32;
    Ok(selected
        .iter()
        .zip(outcomes)
        .map(|(&(idx, points), outcome)| {
            let ex = &wb.exercises[idx];
            let topic = ex.dir.clone().unwrap_or_default();
            let topic_index = topics.iter().position(|t| *t == topic).unwrap_or(0) + 1;
            let (outcome, took) = match outcome {
                Some((outcome, took)) => (Some(outcome), took + build_share),
                None => (None, Duration::ZERO),
            };
            to_result(ex, root, outcome, points, topic, topic_index, took)
        })
        .collect())
}

fn to_result(
    ex: &Exercise,
    root: &Path,
    outcome: Option<Outcome>,
    max_points: u32,
    topic: String,
    topic_index: usize,
    duration: Duration,
) -> ExerciseResult {
    let path = ex.path().display().to_string();
    let timelines = match &outcome {
        Some(Outcome::ChecksFailed(failed)) => failed
            .failures
            .iter()
            .filter_map(|f| Some((f.name.clone(), f.timeline.clone()?)))
            .collect(),
        _ => Vec::new(),
    };
    let (status, message) = match &outcome {
        None => (
            Status::Missing,
            format!("`{path}` is missing from the repository"),
        ),
        Some(outcome) => {
            let status = outcome.status();
            let message = if status == Status::Passed {
                String::new()
            } else {
                let text = term::sanitize(&outcome.render(&path, REPORT_WIDTH));
                cap(&cargo::tidy_paths(&text, root), 8 * 1024)
            };
            (status, message)
        }
    };
    ExerciseResult {
        name: ex.name.clone(),
        topic,
        topic_index,
        path,
        points: if status == Status::Passed {
            max_points
        } else {
            0
        },
        max_points,
        status,
        message,
        duration,
        timelines,
    }
}

fn cap(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_owned();
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}\n[cut at {max} bytes]", &text[..end])
}
