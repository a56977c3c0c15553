//! Finding the shipped version of an exercise file in the workbook's git history.

use std::path::Path;
use std::process::Command;

use anyhow::{Context, Result, bail};

const NO_HISTORY: &str = "asynclings restores exercises from the workbook's git history, and \
     there is none here: clone the workbook with git, or copy the file from a fresh clone";

fn git(root: &Path, args: &[&str]) -> Result<std::process::Output> {
    Command::new("git")
        .current_dir(root)
        .args(args)
        .output()
        .with_context(|| {
            format!(
                "failed to start `git {}`: is git installed?",
                args.join(" ")
            )
        })
}

/// The content of `path` (relative to `root`) as the workbook shipped it, and the commit it
/// comes from: the newest commit that touched it and was not made by the learner (the git user
/// of this checkout), so that a learner who commits their work still gets the teacher's
/// version back. Where every commit is by the git user (an author's or a CI checkout), the
/// newest commit is what ships.
pub fn shipped_version(root: &Path, path: &Path) -> Result<(String, String)> {
    let relative = format!("./{}", path.display());
    let inside = git(root, &["rev-parse", "--is-inside-work-tree"])?;
    if !inside.status.success() {
        bail!("{NO_HISTORY}");
    }
    let me = git(root, &["config", "user.email"])?;
    let me = String::from_utf8_lossy(&me.stdout).trim().to_owned();
    let log = git(root, &["log", "--format=%H %ae", "--", &relative])?;
    if !log.status.success() {
        bail!(
            "`git log` failed: {}",
            String::from_utf8_lossy(&log.stderr).trim_end()
        );
    }
    let log = String::from_utf8_lossy(&log.stdout).into_owned();
    let commits: Vec<(&str, &str)> = log
        .lines()
        .filter_map(|line| line.split_once(' '))
        .collect();
    let theirs = commits
        .iter()
        .filter(|(_, author)| me.is_empty() || *author != me);
    let candidates = theirs.chain(commits.first());
    for (commit, author) in candidates {
        let show = git(root, &["show", &format!("{commit}:{relative}")])?;
        if show.status.success() {
            let short = &commit[..commit.len().min(10)];
            return Ok((
                String::from_utf8_lossy(&show.stdout).into_owned(),
                format!("commit {short} by {author}"),
            ));
        }
    }
    bail!(
        "`{}` is not in the workbook's git history, so there is no shipped version to restore",
        path.display()
    )
}

/// The content of `path` (relative to `root`) as committed in `HEAD`, or `None` where there is
/// no git history or the file is not committed.
pub fn committed_version(root: &Path, path: &Path) -> Option<String> {
    let show = git(root, &["show", &format!("HEAD:./{}", path.display())]).ok()?;
    show.status
        .success()
        .then(|| String::from_utf8_lossy(&show.stdout).into_owned())
}
