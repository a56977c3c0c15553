//! `asynclings list`: every exercise with its state and the overall progress.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Result;

use crate::commands::Session;
use crate::outln;
use crate::term;

pub fn list(root: &Path) -> Result<ExitCode> {
    let session = Session::open(root)?;
    let wb = &session.wb;
    let current = session.state.current_exercise(wb);
    let width = wb
        .exercises
        .iter()
        .map(|ex| ex.name.len())
        .max()
        .unwrap_or(4)
        .max(4);
    outln!("  {:<width$}  {:<7}  PATH", "NAME", "STATE")?;
    for (idx, ex) in wb.exercises.iter().enumerate() {
        let marker = if Some(idx) == current { ">" } else { " " };
        let state = if !wb.learner_file(ex).is_file() {
            term::red("missing")
        } else if session.state.is_done(&ex.name) {
            term::green("done   ")
        } else {
            term::yellow("pending")
        };
        outln!(
            "{marker} {:<width$}  {state}  {}",
            ex.name,
            ex.path().display()
        )?;
    }
    let n_done = session.state.n_done(wb);
    let total = wb.exercises.len();
    outln!(
        "\nProgress: {} ({}%)",
        term::bar(n_done, total, 40),
        n_done * 100 / total
    )?;
    Ok(ExitCode::SUCCESS)
}
