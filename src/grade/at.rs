//! `grade --at WHEN`: grading the student's repository as it was at a deadline (the last
//! commit at or before a date-time) or at a given revision, from an export of that commit,
//! never touching their working tree; and which commit was graded, for every report.
//!
//! Git records when a commit was made, as the student's machine said, not when it was pushed:
//! the commits after the graded one are listed with their dates for the teacher to judge, and
//! docs/teachers.md says how to grade what was pushed by a deadline (a run at the deadline).

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Component, Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context, Result, bail};

/// Files larger than this are not exported: no exercise file is near it, and the grading
/// rules refuse to read files anyway.
const MAX_EXPORTED_FILE: u64 = 16 * 1024 * 1024;

/// How many commits after the graded one a report lists (it counts them all).
const MAX_LATE_LISTED: usize = 50;

/// What was graded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Graded {
    /// The working tree as it is, or a commit exported for `--at`.
    pub from_commit: bool,
    /// The commit graded (`--at`), or the working tree's HEAD; `None` outside git.
    pub commit: Option<Commit>,
    /// The deadline asked for, as understood (RFC 3339), or the revision as given.
    pub at: Option<String>,
    /// Commits on the branch after the graded one (newest first), and how many there are.
    pub late_commits: Vec<Commit>,
    pub n_late: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Commit {
    pub hash: String,
    /// The committer date with its offset (RFC 3339), as the student's machine recorded it.
    pub date: String,
    pub subject: String,
}

impl Graded {
    pub fn source(&self) -> &'static str {
        if self.from_commit {
            "commit"
        } else {
            "working_tree"
        }
    }

    /// One sentence for the human report and the JUnit properties.
    pub fn describe(&self) -> String {
        let commit = |c: &Commit| format!("commit {} of {}", short(&c.hash), c.date);
        match (&self.commit, self.from_commit) {
            (Some(c), true) => match &self.at {
                Some(at) if is_date_time(at) => {
                    format!("Graded {}, the last at or before {at}.", commit(c))
                }
                Some(at) => format!("Graded {} (`{at}`).", commit(c)),
                None => format!("Graded {}.", commit(c)),
            },
            (Some(c), false) => format!("Graded the working tree; HEAD is {}.", commit(c)),
            (None, _) => "Graded the working tree (not a git repository).".to_owned(),
        }
    }
}

fn short(hash: &str) -> &str {
    &hash[..hash.len().min(12)]
}

fn is_date_time(text: &str) -> bool {
    parse_date_time(text).is_some()
}

/// The working tree's HEAD, when `root` is in a git repository.
pub fn working_tree(root: &Path) -> Graded {
    let commit = git(root, &["rev-parse", "--verify", "--quiet", "HEAD^{commit}"])
        .ok()
        .map(|hash| hash.trim().to_owned())
        .filter(|hash| !hash.is_empty())
        .and_then(|hash| describe_commit(root, &hash).ok());
    Graded {
        from_commit: false,
        commit,
        at: None,
        late_commits: Vec::new(),
        n_late: 0,
    }
}

/// The commit `when` names in the repository at `root`: the last commit of the branch (its
/// first-parent history) dated at or before a date-time, or a revision (a commit, tag or
/// branch); with the commits after it.
pub fn resolve(root: &Path, when: &str) -> Result<Graded> {
    if when.starts_with('-') || when.trim().is_empty() {
        bail!("`--at {when}` is neither a date-time nor a revision");
    }
    let inside = git(root, &["rev-parse", "--is-inside-work-tree"]);
    if !inside.is_ok_and(|out| out.trim() == "true") {
        bail!(
            "`--at` grades a commit of the student's git repository, and `{}` is not in one",
            root.display()
        );
    }
    let (hash, at) = match parse_date_time(when) {
        Some((seconds, normalized)) => {
            (last_commit_before(root, seconds, &normalized)?, normalized)
        }
        None => {
            let hash = git(
                root,
                &[
                    "rev-parse",
                    "--verify",
                    "--quiet",
                    &format!("{when}^{{commit}}"),
                ],
            )
            .ok()
            .map(|h| h.trim().to_owned())
            .filter(|h| !h.is_empty());
            let Some(hash) = hash else {
                bail!(
                    "`--at {when}` is neither a date-time (`2025-03-14T23:59:00+01:00`, \
                     `2025-03-14 23:59`, `2025-03-14`) nor a revision of this repository"
                );
            };
            (hash, when.to_owned())
        }
    };
    let commit = describe_commit(root, &hash)?;
    let (late_commits, n_late) = commits_after(root, &hash)?;
    Ok(Graded {
        from_commit: true,
        commit: Some(commit),
        at: Some(at),
        late_commits,
        n_late,
    })
}

fn last_commit_before(root: &Path, seconds: i64, shown: &str) -> Result<String> {
    let log = git(root, &["log", "--first-parent", "--format=%H %ct", "HEAD"])?;
    let mut first = None;
    for line in log.lines() {
        let Some((hash, time)) = line.split_once(' ') else {
            continue;
        };
        let time: i64 = time.trim().parse().unwrap_or(i64::MAX);
        if time <= seconds {
            return Ok(hash.to_owned());
        }
        first = Some(hash.to_owned());
    }
    match first {
        Some(oldest) => {
            let oldest = describe_commit(root, &oldest)?;
            bail!(
                "no commit of this branch is dated at or before {shown}: the first is {} of {}",
                short(&oldest.hash),
                oldest.date
            )
        }
        None => bail!("the repository has no commits"),
    }
}

fn describe_commit(root: &Path, hash: &str) -> Result<Commit> {
    let out = git(
        root,
        &["show", "-s", "--format=%H%x00%cI%x00%s", hash, "--"],
    )?;
    let mut parts = out.trim_end_matches('\n').splitn(3, '\0');
    Ok(Commit {
        hash: parts.next().unwrap_or_default().to_owned(),
        date: parts.next().unwrap_or_default().to_owned(),
        subject: crate::term::sanitize(parts.next().unwrap_or_default()),
    })
}

/// The commits in HEAD that the graded commit does not contain, newest first: up to
/// `MAX_LATE_LISTED` of them, and how many.
fn commits_after(root: &Path, hash: &str) -> Result<(Vec<Commit>, usize)> {
    let range = format!("{hash}..HEAD");
    let out = git(
        root,
        &["log", "-z", "--format=%H%x00%cI%x00%s", &range, "--"],
    )?;
    let fields: Vec<&str> = out.split('\0').collect();
    let commits: Vec<Commit> = fields
        .chunks(3)
        .filter(|c| c.len() == 3 && !c[0].trim().is_empty())
        .map(|c| Commit {
            hash: c[0].trim().to_owned(),
            date: c[1].to_owned(),
            subject: crate::term::sanitize(c[2]),
        })
        .collect();
    let n = commits.len();
    Ok((commits.into_iter().take(MAX_LATE_LISTED).collect(), n))
}

/// Writes the files of `commit` (of the directory `root` is, within its repository) into a new
/// temporary directory, straight from git's object store: no checkout, no worktree, nothing
/// written into the student's repository, and no `.gitattributes` filter applied. Symbolic
/// links and submodules are left out, and so are committed `target/` directories.
pub fn export(root: &Path, commit: &str) -> Result<tempfile::TempDir> {
    let prefix = git(root, &["rev-parse", "--show-prefix"])?;
    let prefix = prefix.trim().trim_end_matches('/');
    let tree = if prefix.is_empty() {
        format!("{commit}^{{tree}}")
    } else {
        format!("{commit}:{prefix}")
    };
    let listing = git(root, &["ls-tree", "-r", "-z", "--long", &tree])?;
    let mut wanted: Vec<(String, PathBuf)> = Vec::new();
    for entry in listing.split('\0').filter(|e| !e.is_empty()) {
        let Some((meta, path)) = entry.split_once('\t') else {
            continue;
        };
        let meta: Vec<&str> = meta.split_whitespace().collect();
        let [mode, kind, hash, size] = meta[..] else {
            continue;
        };
        if kind != "blob" || !(mode == "100644" || mode == "100755") {
            continue;
        }
        if size.parse::<u64>().unwrap_or(u64::MAX) > MAX_EXPORTED_FILE {
            continue;
        }
        let relative = PathBuf::from(path);
        let plain = relative
            .components()
            .all(|c| matches!(c, Component::Normal(_)));
        if !plain || relative.starts_with("target") {
            continue;
        }
        wanted.push((hash.to_owned(), relative));
    }
    let dir = tempfile::Builder::new()
        .prefix("asynclings-at-")
        .tempdir()
        .context("failed to create a directory for the exported commit")?;
    write_blobs(root, &wanted, dir.path()).with_context(|| {
        format!(
            "failed to export commit {} of the repository",
            short(commit)
        )
    })?;
    Ok(dir)
}

/// Reads each blob through one `git cat-file --batch` and writes it under `into`.
fn write_blobs(root: &Path, wanted: &[(String, PathBuf)], into: &Path) -> Result<()> {
    let mut child = Command::new("git")
        .args(["cat-file", "--batch"])
        .current_dir(root)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .context("failed to start `git cat-file`: is git installed?")?;
    let mut stdin = child.stdin.take().context("no stdin for git")?;
    let hashes: String = wanted.iter().map(|(hash, _)| format!("{hash}\n")).collect();
    // Written from a thread: git answers as it reads, and a full pipe either way would stall.
    let writer = std::thread::spawn(move || stdin.write_all(hashes.as_bytes()));
    let mut stdout = BufReader::new(child.stdout.take().context("no stdout for git")?);
    for (hash, path) in wanted {
        let mut header = String::new();
        stdout.read_line(&mut header)?;
        let size: usize = match header.split_whitespace().collect::<Vec<_>>()[..] {
            [h, "blob", size] if h == hash => size.parse()?,
            _ => bail!("git answered `{}` for {hash}", header.trim()),
        };
        let mut content = vec![0; size];
        stdout.read_exact(&mut content)?;
        let mut newline = [0];
        stdout.read_exact(&mut newline)?;
        let full = into.join(path);
        if let Some(parent) = full.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("failed to create `{}`", parent.display()))?;
        }
        std::fs::write(&full, content)
            .with_context(|| format!("failed to write `{}`", full.display()))?;
    }
    writer
        .join()
        .map_err(|_| anyhow::anyhow!("the thread feeding git panicked"))??;
    let status = child.wait()?;
    if !status.success() {
        bail!("`git cat-file` failed");
    }
    Ok(())
}

fn git(root: &Path, args: &[&str]) -> Result<String> {
    let out = Command::new("git")
        .args(args)
        .current_dir(root)
        .stdin(Stdio::null())
        .output()
        .with_context(|| {
            format!(
                "failed to start `git {}`: is git installed?",
                args.join(" ")
            )
        })?;
    if !out.status.success() {
        bail!(
            "`git {}` failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// A date-time as a teacher writes a deadline, to seconds since the epoch and its RFC 3339
/// form: `2025-03-14T23:59:00+01:00`, `2025-03-14 23:59` (UTC without an offset, `Z` allowed),
/// or `2025-03-14` (the end of that day, UTC).
pub fn parse_date_time(text: &str) -> Option<(i64, String)> {
    let text = text.trim();
    let (date, rest) = text.split_at(text.len().min(10));
    let [y, m, d] = numbers(date, '-')?[..] else {
        return None;
    };
    if date.len() != 10 || !(1..=12).contains(&m) || d < 1 || d > days_in_month(y, m) {
        return None;
    }
    let days = days_from_civil(y, m, d);
    if rest.is_empty() {
        let seconds = days * 86_400 + 86_399;
        return Some((seconds, format!("{date}T23:59:59Z")));
    }
    let rest = rest.strip_prefix(['T', 't', ' '])?;
    // The time, then an optional offset: `Z`, `+HH:MM`, `-HH:MM`, `+HHMM`.
    let split = rest.find(['Z', 'z', '+', '-']).unwrap_or(rest.len());
    let (time, zone) = rest.split_at(split);
    let hms = numbers(time, ':')?;
    let (h, mi, s) = match hms[..] {
        [h, mi] if time.len() == 5 => (h, mi, 0),
        [h, mi, s] if time.len() == 8 => (h, mi, s),
        _ => return None,
    };
    if h > 23 || mi > 59 || s > 59 {
        return None;
    }
    let offset_minutes = match zone {
        "" | "Z" | "z" => 0,
        _ => {
            let sign = if zone.starts_with('-') { -1 } else { 1 };
            let digits = zone[1..].replace(':', "");
            if digits.len() != 4 || !digits.chars().all(|c| c.is_ascii_digit()) {
                return None;
            }
            let oh: i64 = digits[..2].parse().ok()?;
            let om: i64 = digits[2..].parse().ok()?;
            if oh > 23 || om > 59 {
                return None;
            }
            sign * (oh * 60 + om)
        }
    };
    let seconds = days * 86_400 + h * 3600 + mi * 60 + s - offset_minutes * 60;
    let zone = if offset_minutes == 0 {
        "Z".to_owned()
    } else {
        let abs = offset_minutes.abs();
        format!(
            "{}{:02}:{:02}",
            if offset_minutes < 0 { '-' } else { '+' },
            abs / 60,
            abs % 60
        )
    };
    Some((seconds, format!("{date}T{h:02}:{mi:02}:{s:02}{zone}")))
}

fn numbers(text: &str, separator: char) -> Option<Vec<i64>> {
    text.split(separator)
        .map(|part| {
            (!part.is_empty() && part.chars().all(|c| c.is_ascii_digit()))
                .then(|| part.parse().ok())
                .flatten()
        })
        .collect()
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a date in the proleptic Gregorian calendar.
/// See: <https://howardhinnant.github.io/date_algorithms.html#days_from_civil>
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deadlines_parse_as_teachers_write_them() {
        assert_eq!(
            parse_date_time("1970-01-01T00:00:00Z"),
            Some((0, "1970-01-01T00:00:00Z".into()))
        );
        assert_eq!(
            parse_date_time("2025-03-14T23:59:00+01:00"),
            Some((1_741_993_140, "2025-03-14T23:59:00+01:00".into()))
        );
        assert_eq!(
            parse_date_time("2025-03-14 22:59"),
            Some((1_741_993_140, "2025-03-14T22:59:00Z".into()))
        );
        assert_eq!(
            parse_date_time("2025-03-14T17:59:00-0500"),
            Some((1_741_993_140, "2025-03-14T17:59:00-05:00".into()))
        );
        assert_eq!(
            parse_date_time("2024-02-29"),
            Some((1_709_251_199, "2024-02-29T23:59:59Z".into()))
        );
    }

    #[test]
    fn what_is_not_a_date_is_left_for_git() {
        for text in [
            "main",
            "v1.0",
            "2025-02-30",
            "2025-13-01",
            "2025-03-14T25:00",
            "2025-03-14T10:00+1",
            "0123abcd",
            "2025-03-14x",
        ] {
            assert_eq!(parse_date_time(text), None, "{text}");
        }
    }
}
