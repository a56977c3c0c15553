//! Finding the shipped version of an exercise file in the workbook's git history.

use std::path::Path;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use tokio::process::Command;

use crate::process::{self, Finished, Limits};

/// git answers these questions in milliseconds; a lock held by another git, or a prompt it
/// waits on, must not hold the learner's screen for longer.
const GIT_LIMITS: Limits = Limits {
    time: Duration::from_secs(20),
    output_bytes: 64 * 1024 * 1024,
};

const NO_HISTORY: &str = "asynclings restores exercises from the workbook's git history, and \
     there is none here: clone the workbook with git, or copy the file from a fresh clone";

/// Runs git in `root`, through the process module (a time limit, its process group).
async fn git(root: &Path, args: &[&str]) -> Result<Finished> {
    let mut cmd = Command::new("git");
    cmd.current_dir(root).args(args);
    let finished = process::run(cmd, GIT_LIMITS, |_| {})
        .await
        .with_context(|| "is git installed?")?;
    if finished.timed_out() {
        bail!(
            "`git {}` did not answer within {}s",
            args.join(" "),
            GIT_LIMITS.time.as_secs()
        );
    }
    Ok(finished)
}

/// The content of `path` (relative to `root`) as the workbook shipped it, and the commit it
/// comes from: the newest commit that touched it and was not made by the learner (the git user
/// of this checkout), so that a learner who commits their work still gets the teacher's
/// version back. Where every commit is by the git user (an author's or a CI checkout), the
/// newest commit is what ships.
pub async fn shipped_version(root: &Path, path: &Path) -> Result<(String, String)> {
    let relative = format!("./{}", path.display());
    let inside = git(root, &["rev-parse", "--is-inside-work-tree"]).await?;
    if !inside.success() {
        bail!("{NO_HISTORY}");
    }
    let me = git(root, &["config", "user.email"]).await?;
    let me = me.stdout_text().trim().to_owned();
    let log = git(root, &["log", "--format=%H %ae", "--", &relative]).await?;
    if !log.success() {
        bail!("`git log` failed: {}", log.stderr_text().trim_end());
    }
    let log = log.stdout_text();
    let commits: Vec<(&str, &str)> = log
        .lines()
        .filter_map(|line| line.split_once(' '))
        .collect();
    let theirs = commits
        .iter()
        .filter(|(_, author)| me.is_empty() || *author != me);
    let candidates = theirs.chain(commits.first());
    for (commit, author) in candidates {
        let show = git(root, &["show", &format!("{commit}:{relative}")]).await?;
        if show.success() {
            let short = &commit[..commit.len().min(10)];
            return Ok((show.stdout_text(), format!("commit {short} by {author}")));
        }
    }
    bail!(
        "`{}` is not in the workbook's git history, so there is no shipped version to restore",
        path.display()
    )
}

/// The content of `path` (relative to `root`) as committed in `HEAD`, or `None` where there is
/// no git history or the file is not committed.
pub async fn committed_version(root: &Path, path: &Path) -> Option<String> {
    let show = git(root, &["show", &format!("HEAD:./{}", path.display())])
        .await
        .ok()?;
    show.success().then(|| show.stdout_text())
}
