//! `asynclings reset NAME`: restore the shipped version, keeping the learner's as a backup.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};

use crate::commands::Session;
use crate::exercise::Exercise;
use crate::fs_util::write_atomically;
use crate::git;
use crate::outln;
use crate::state::State;
use crate::workbook::Workbook;

pub const BACKUP_DIR: &str = ".asynclings-backups";

pub async fn reset(root: &Path, name: &str) -> Result<ExitCode> {
    let mut session = Session::open(root)?;
    let idx = session.wb.find(name)?;
    let ex = session.wb.exercises[idx].clone();
    for line in reset_exercise(&session.wb, &ex, &mut session.state).await? {
        outln!("{line}")?;
    }
    Ok(ExitCode::SUCCESS)
}

/// `asynclings reset --all`: every exercise that differs from its shipped version, each saved
/// first; the progress of all of them starts over.
pub async fn reset_all(root: &Path) -> Result<ExitCode> {
    let mut session = Session::open(root)?;
    let exercises = session.wb.exercises.clone();
    let mut restored = 0;
    for ex in &exercises {
        let lines = reset_exercise(&session.wb, ex, &mut session.state).await?;
        if lines.iter().any(|l| l.starts_with("Restored")) {
            restored += 1;
            for line in lines {
                outln!("{line}")?;
            }
        }
    }
    for ex in &exercises {
        session.state.set_done(&ex.name, false);
    }
    if let Some(first) = exercises.first() {
        session.state.set_current(&first.name);
    }
    session.state.save()?;
    outln!(
        "{restored} of {} exercises restored; the others were as shipped. Your versions are in \
         `{BACKUP_DIR}/`, and your progress starts again at the first exercise.",
        exercises.len()
    )?;
    Ok(ExitCode::SUCCESS)
}

/// Restores the shipped version of `ex`, saving the learner's first; returns what was done,
/// as sentences for the screen.
pub async fn reset_exercise(
    wb: &Workbook,
    ex: &Exercise,
    state: &mut State,
) -> Result<Vec<String>> {
    let root = &wb.learner_root;
    let path = wb.learner_file(ex);
    // A workspace's shipped version is the one the runner carries; a clone's is in git.
    let (shipped, source) = if wb.embedded {
        (
            crate::workspace::shipped(ex)?.to_owned(),
            "as this runner carries it".to_owned(),
        )
    } else {
        let (content, commit) = git::shipped_version(root, &ex.path())
            .await
            .with_context(|| format!("cannot reset `{}`", ex.name))?;
        (content, format!("from {commit}"))
    };
    let current = std::fs::read(&path).ok();
    if current.as_deref() == Some(shipped.as_bytes()) {
        return Ok(vec![format!(
            "`{}` is already as shipped; nothing to do.",
            ex.path().display()
        )]);
    }
    let mut done = Vec::new();
    // The learner's version is saved before anything is overwritten.
    if let Some(current) = current {
        let backup = backup_path(root, &ex.name);
        std::fs::create_dir_all(root.join(BACKUP_DIR))
            .with_context(|| format!("failed to create `{BACKUP_DIR}`"))?;
        write_atomically(&root.join(&backup), &current)?;
        done.push(format!("Your version is saved as `{}`.", backup.display()));
    }
    write_atomically(&path, shipped.as_bytes())?;
    state.set_done(&ex.name, false);
    state.save()?;
    done.push(format!(
        "Restored `{}` to the shipped version ({source}).",
        ex.path().display()
    ));
    Ok(done)
}

/// `.asynclings-backups/<name>-<n>.rs` with the first free `n`, so no backup overwrites another.
fn backup_path(root: &Path, name: &str) -> PathBuf {
    let mut n = 1;
    loop {
        let candidate = Path::new(BACKUP_DIR).join(format!("{name}-{n}.rs"));
        if !root.join(&candidate).exists() {
            return candidate;
        }
        n += 1;
    }
}
