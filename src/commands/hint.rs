//! `asynclings hint [NAME]`: the next hint level each time, remembered.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Result;

use crate::commands::Session;
use crate::term;

pub fn hint(root: &Path, name: Option<&str>, all: bool) -> Result<ExitCode> {
    let mut session = Session::open(root)?;
    let idx = session.pick(name)?;
    let ex = &session.wb.exercises[idx];
    if ex.hints.is_empty() {
        println!(
            "`{}` has no hints: its comments and README are all there is.",
            ex.name
        );
        return Ok(ExitCode::SUCCESS);
    }
    let n_levels = ex.hints.len();
    let used = session.state.hints_used(&ex.name);
    let shown = if all {
        n_levels
    } else {
        (used + 1).min(n_levels)
    };
    for (level, text) in ex.hints.iter().enumerate().take(shown) {
        let heading = format!("Hint {} of {n_levels} for {}", level + 1, ex.name);
        // Earlier levels stay visible, dimmed, so each hint reads as a step from the last.
        if level + 1 < shown {
            println!("{}\n{}\n", term::dim(&heading), term::dim(text));
        } else {
            println!("{}\n{text}\n", term::bold(&heading));
        }
    }
    if shown < n_levels {
        println!(
            "{}",
            term::dim("Run the same command again for the next hint.")
        );
    } else if !all {
        println!(
            "{}",
            term::dim(&format!(
                "That was the last hint. The solution is in `{}` once you are done.",
                ex.solution_path().display()
            ))
        );
    }
    let name = ex.name.clone();
    session.state.set_hints_used(&name, used.max(shown));
    session.state.save()?;
    Ok(ExitCode::SUCCESS)
}
