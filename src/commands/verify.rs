//! `asynclings verify`: check every exercise in order and bring the done list up to date.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Result;

use crate::check::check;
use crate::commands::Session;
use crate::exercise::Variant;
use crate::outcome::Outcome;
use crate::term;
use crate::warm_up::ensure_dependencies;

pub async fn verify(root: &Path) -> Result<ExitCode> {
    let mut session = Session::open(root)?;
    ensure_dependencies(&session.wb).await?;
    let total = session.wb.exercises.len();
    let mut first_failure: Option<(String, Outcome)> = None;
    let mut n_passed = 0;
    let (mut points, mut max_points) = (0, 0);
    for (idx, ex) in session.wb.exercises.iter().enumerate() {
        let shown = ex.path().display().to_string();
        let outcome = if session.wb.root.join(ex.path()).is_file() {
            Some(check(&session.wb, ex, &ex.harness_bin(Variant::Exercise)).await?)
        } else {
            None
        };
        let (mark, label) = match &outcome {
            Some(outcome) if outcome.is_passed() => (term::green("✓"), "passed"),
            Some(outcome) => (term::red("✗"), outcome.label()),
            None => (term::red("✗"), "file missing"),
        };
        println!("{mark} [{:>2}/{total}] {:<28} {label}", idx + 1, ex.name);
        let passed = outcome.as_ref().is_some_and(Outcome::is_passed);
        session.state.set_done(&ex.name, passed);
        max_points += ex.points;
        if passed {
            n_passed += 1;
            points += ex.points;
        } else if first_failure.is_none()
            && let Some(outcome) = outcome
        {
            session.state.set_current(&ex.name);
            first_failure = Some((shown, outcome));
        }
    }
    session.state.save()?;
    println!(
        "\n{n_passed} of {total} exercises pass ({points} of {max_points} points). {}",
        term::bar(n_passed, total, 30)
    );
    match first_failure {
        None => {
            if let Some(message) = &session.wb.final_message {
                println!("\n{message}");
            }
            Ok(ExitCode::SUCCESS)
        }
        Some((shown, outcome)) => {
            println!("\nThe first exercise to fix:\n");
            print!("{}", outcome.render(&shown));
            Ok(ExitCode::FAILURE)
        }
    }
}
