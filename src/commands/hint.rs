//! `asynclings hint [NAME]`: the next hint level each time, remembered.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Result;

use crate::commands::Session;
use crate::exercise::Exercise;
use crate::outln;
use crate::term;

pub fn hint(root: &Path, name: Option<&str>, all: bool) -> Result<ExitCode> {
    let mut session = Session::open(root)?;
    let idx = session.pick(name)?;
    let ex = &session.wb.exercises[idx];
    if ex.hints.is_empty() {
        outln!(
            "`{}` has no hints: its comments and README are all there is.",
            ex.name
        )?;
        return Ok(ExitCode::SUCCESS);
    }
    let n_levels = ex.hints.len();
    let used = session.state.hints_used(&ex.name);
    let shown = if all {
        n_levels
    } else {
        (used + 1).min(n_levels)
    };
    outln!("{}", render(ex, shown))?;
    if shown < n_levels {
        outln!(
            "{}",
            term::dim("Run the same command again for the next hint.")
        )?;
    } else if !all {
        outln!("{}", term::dim(&last_hint(ex)))?;
    }
    let name = ex.name.clone();
    session.state.set_hints_used(&name, used.max(shown));
    session.state.save()?;
    Ok(ExitCode::SUCCESS)
}

/// The hints of `ex` up to level `shown`, each with its heading; the earlier levels dimmed, so
/// that each hint reads as a step from the last. (Watch mode shows the same.)
pub fn render(ex: &Exercise, shown: usize) -> String {
    let n_levels = ex.hints.len();
    let mut out = String::new();
    for (level, text) in ex.hints.iter().enumerate().take(shown) {
        let heading = format!("Hint {} of {n_levels} for {}", level + 1, ex.name);
        if level + 1 < shown {
            out += &format!("{}\n{}\n\n", term::dim(&heading), term::dim(text));
        } else {
            out += &format!("{}\n{text}\n", term::yellow(&heading));
        }
    }
    out
}

/// What to say when the hints of `ex` are all shown.
pub fn last_hint(ex: &Exercise) -> String {
    format!(
        "That was the last hint. The solution is in `{}` once you are done.",
        ex.solution_path().display()
    )
}
