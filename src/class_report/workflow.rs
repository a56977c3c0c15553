//! The teacher's regrade workflow for GitHub Actions (`class-report --workflow`): the roster
//! split into chunks that fit Actions' matrix, the runner built once from a pinned commit and
//! passed to every grading job as an artifact, and a last job that writes the class report.

use std::path::Path;
use std::process::ExitCode;

use anyhow::{Result, bail};

use crate::fs_util::write_atomically;
use crate::{out, outln};

const TEMPLATE: &str = include_str!("regrade.yml");

/// The revision the runner was built from, when it was built from a git checkout.
const BUILT_FROM: Option<&str> = option_env!("ASYNCLINGS_GIT_REVISION");

const WHERE_IT_GOES: &str = "Commit it to your own repository as `.github/workflows/regrade.yml`, \
     beside `roster.txt` (one `owner/repository [name]` per line) and, if you use one, \
     `assignment.toml`; add a secret `STUDENT_REPOS_TOKEN` that can read the students' \
     repositories. Run it from the Actions tab (docs/teachers.md: \"Regrading the class\").";

pub fn write(
    cwd: &Path,
    path: &Path,
    runner_git: Option<&str>,
    runner_rev: Option<&str>,
) -> Result<ExitCode> {
    let Some(runner_git) = runner_git else {
        bail!(
            "the workflow builds the runner in its first job: say from where with `--runner-git \
             URL` (your fork of asynclings, or its upstream repository)"
        );
    };
    let Some(runner_rev) = runner_rev.or(BUILT_FROM) else {
        bail!(
            "say which commit of `{runner_git}` grades with `--runner-rev COMMIT`: this runner \
             was not built from a git checkout, so it cannot name its own"
        );
    };
    if !is_commit(runner_rev) {
        bail!(
            "`--runner-rev {runner_rev}` is not a full commit hash: every student must be graded \
             by the same runner, and a branch or tag can move while the class is graded"
        );
    }
    let text = render(runner_git, runner_rev);
    if path == Path::new("-") {
        out!("{text}")?;
    } else {
        let full = cwd.join(path);
        if let Some(parent) = full.parent() {
            std::fs::create_dir_all(parent).ok();
        }
        write_atomically(&full, text.as_bytes())?;
        outln!(
            "Wrote the regrade workflow to `{}`. {WHERE_IT_GOES}",
            path.display()
        )?;
    }
    Ok(ExitCode::SUCCESS)
}

pub fn render(runner_git: &str, runner_rev: &str) -> String {
    TEMPLATE
        .replace("{{RUNNER_GIT}}", &yaml_string(runner_git))
        .replace("{{RUNNER_REV}}", &yaml_string(runner_rev))
}

fn is_commit(rev: &str) -> bool {
    matches!(rev.len(), 40 | 64) && rev.chars().all(|c| c.is_ascii_hexdigit())
}

/// A YAML double-quoted scalar (JSON's string syntax is a subset).
fn yaml_string(text: &str) -> String {
    serde_json::to_string(text).expect("a string serializes")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_full_commit_pins_the_runner() {
        assert!(is_commit("0123456789abcdef0123456789abcdef01234567"));
        assert!(!is_commit("main"));
        assert!(!is_commit("0123456"));
    }

    #[test]
    fn the_template_has_no_placeholder_left() {
        let text = render("https://example.org/a.git", &"a".repeat(40));
        assert!(!text.contains("{{RUNNER_"), "{text}");
    }
}
