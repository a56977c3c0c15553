//! `asynclings verify`: check every exercise and bring the done list up to date.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Result;

use crate::check::check_learner_files;
use crate::commands::{Session, record_verdict};
use crate::exercise::Exercise;
use crate::outcome::Outcome;
use crate::term;
use crate::warm_up::ensure_dependencies;
use crate::{out, outln};

pub async fn verify(root: &Path) -> Result<ExitCode> {
    let mut session = Session::open(root)?;
    ensure_dependencies(&session.wb).await?;
    let wb = &session.wb;
    let total = wb.exercises.len();
    let bar = term::StepsBar::new(total);
    let outcomes = check_learner_files(wb, &wb.exercises, |progress| {
        let (what, done) = progress.phase();
        bar.step(what, done);
    })
    .await?;
    bar.finish();
    let mut first_failure: Option<(&Exercise, Outcome)> = None;
    let mut n_passed = 0;
    for ((idx, ex), outcome) in wb.exercises.iter().enumerate().zip(outcomes) {
        let outcome = outcome.map(|(outcome, _)| outcome);
        let (mark, label) = match &outcome {
            Some(outcome) if outcome.is_passed() => (term::green("✓"), "passed"),
            Some(outcome) => (term::red("✗"), outcome.label()),
            None => (term::red("✗"), "file missing"),
        };
        outln!("{mark} [{:>2}/{total}] {:<28} {label}", idx + 1, ex.name)?;
        let passed = outcome.as_ref().is_some_and(Outcome::is_passed);
        record_verdict(wb, &mut session.state, ex, passed);
        if passed {
            n_passed += 1;
        } else if first_failure.is_none() {
            session.state.set_current(&ex.name);
            if let Some(outcome) = outcome {
                first_failure = Some((ex, outcome));
            }
        }
    }
    session.state.save()?;
    outln!(
        "\n{n_passed} of {total} exercises pass. {}",
        term::bar(n_passed, total, 30)
    )?;
    if n_passed == total {
        if let Some(message) = &session.wb.final_message {
            outln!("\n{message}")?;
        }
        return Ok(ExitCode::SUCCESS);
    }
    if let Some((ex, outcome)) = first_failure {
        outln!("\nThe first exercise to fix:\n")?;
        let shown = ex.path().display().to_string();
        out!(
            "{}",
            term::fit_stdout(&outcome.render_with(&shown, term::width(), &ex.advice))
        )?;
    }
    Ok(ExitCode::FAILURE)
}
