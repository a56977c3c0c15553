//! `asynclings init [DIR] [--classroom]`: a learner workspace, or a Classroom template.

use std::path::Path;
use std::process::ExitCode;

use anyhow::{Result, bail};

use crate::outln;
use crate::term;
use crate::workspace::{self, Classroom, InitOptions};

/// The revision the runner was built from, when it was built from a git checkout.
const BUILT_FROM: Option<&str> = option_env!("ASYNCLINGS_GIT_REVISION");

pub fn init(
    dir: &Path,
    classroom: bool,
    runner_git: Option<String>,
    runner_rev: Option<String>,
) -> Result<ExitCode> {
    let classroom = if classroom {
        let Some(runner_git) = runner_git else {
            bail!(
                "a Classroom template installs the runner in its workflow: say from where with \
                 `--runner-git URL` (your fork of asynclings, or its upstream repository)"
            );
        };
        let Some(runner_rev) = runner_rev.or_else(|| BUILT_FROM.map(str::to_owned)) else {
            bail!(
                "say which revision of `{runner_git}` grades with `--runner-rev COMMIT`: this \
                 runner was not built from a git checkout, so it cannot name its own"
            );
        };
        Some(Classroom {
            runner_git,
            runner_rev,
        })
    } else {
        None
    };
    let is_classroom = classroom.is_some();
    let written = workspace::init(&InitOptions {
        dir: dir.to_path_buf(),
        classroom,
    })?;
    let n_exercises = written
        .iter()
        .filter(|p| p.starts_with("exercises") && p.extension().is_some_and(|e| e == "rs"))
        .count();
    outln!(
        "{} a workspace in `{}`: {n_exercises} exercises with their lessons, a Cargo.toml for \
         your editor, a README and a .gitignore.",
        term::green("Created"),
        dir.display()
    )?;
    if is_classroom {
        outln!(
            "It is also a GitHub Classroom template: `{}` grades every push, and `{}` says \
             what is graded. Push it to a repository of your organization, mark that repository \
             as a template, and make an assignment from it (docs/teachers.md walks through it).",
            workspace::WORKFLOW_PATH,
            workspace::ASSIGNMENT_PATH
        )?;
    } else {
        outln!(
            "Next: `cd {}` and run `asynclings`. Solutions appear in `solutions/` as your \
             exercises pass.",
            dir.display()
        )?;
    }
    Ok(ExitCode::SUCCESS)
}
