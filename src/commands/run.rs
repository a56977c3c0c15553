//! `asynclings run [NAME]`, and `asynclings` with no command until watch mode lands.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Result;

use crate::check::check;
use crate::commands::{Session, record_verdict, require_file};
use crate::exercise::Variant;
use crate::outcome::Outcome;
use crate::sync::Harness;
use crate::term;
use crate::warm_up::ensure_dependencies;
use crate::{out, outln};

/// Without a terminal for watch mode: welcome a first-time learner, then check the current
/// exercise once.
pub async fn start(root: &Path) -> Result<ExitCode> {
    let session = Session::open(root)?;
    if session.state.first_run
        && let Some(welcome) = &session.wb.welcome_message
    {
        outln!("{welcome}\n")?;
    }
    run_session(session, None).await
}

pub async fn run(root: &Path, name: Option<&str>, main: bool) -> Result<ExitCode> {
    let session = Session::open(root)?;
    if main {
        return run_main(session, name).await;
    }
    run_session(session, name).await
}

/// `asynclings run --main [NAME]`: the learner's file as the program it also is, for what its
/// `main` prints. No verdict, and the progress stays as it was.
async fn run_main(session: Session, name: Option<&str>) -> Result<ExitCode> {
    let wb = &session.wb;
    let ex = &wb.exercises[session.pick(name)?];
    require_file(wb, ex)?;
    if wb.rustlings_format {
        anyhow::bail!(
            "`--main` builds the exercise package's programs, which a rustlings-format set does \
             not have: `asynclings run {}` runs its tests, or its program when it has no tests",
            ex.name
        );
    }
    ensure_dependencies(wb).await?;
    let shown = ex.path().display().to_string();
    outln!(
        "{} {} {}",
        term::bold("Running"),
        term::file_link(&shown, &wb.learner_file(ex)),
        term::dim("as a program (its `main`; the checks are not run)")
    )?;
    let outcome = crate::check::run_main(wb, ex).await?;
    match &outcome {
        Outcome::Passed(passed) => {
            let output = passed.output.trim_end();
            if output.is_empty() {
                outln!("{}", term::dim("(it printed nothing)"))?;
            } else {
                outln!("{output}")?;
            }
            outln!("{}", term::green("✓ It ran to the end."))?;
            Ok(ExitCode::SUCCESS)
        }
        other => {
            out!(
                "{}",
                term::fit_stdout(&other.render_with(&shown, term::width(), &ex.advice))
            )?;
            Ok(ExitCode::FAILURE)
        }
    }
}

async fn run_session(mut session: Session, name: Option<&str>) -> Result<ExitCode> {
    let idx = session.pick(name)?;
    let ex = session.wb.exercises[idx].clone();
    require_file(&session.wb, &ex)?;
    ensure_dependencies(&session.wb).await?;
    let shown = ex.path().display().to_string();
    outln!(
        "{} {}",
        term::bold("Checking"),
        term::file_link(&shown, &session.wb.learner_file(&ex))
    )?;
    let outcome = check(&session.wb, &ex, &Harness::of(&ex, Variant::Exercise)).await?;
    out!(
        "{}",
        term::fit_stdout(&outcome.render_with(
            &ex.path().display().to_string(),
            term::width(),
            &ex.advice,
        ))
    )?;
    let passed = outcome.is_passed();
    let revealed = record_verdict(&session.wb, &mut session.state, &ex, passed);
    if !passed && let Some(line) = &revealed {
        outln!("{line}")?;
    }
    if passed {
        match revealed {
            Some(line) => outln!("{line}"),
            None if ex.skip_check_unsolved => {
                outln!("Nothing to fix here: read the file, then go on.")
            }
            None => outln!(
                "Compare with the solution in `{}`.",
                ex.solution_path().display()
            ),
        }?;
        match session.state.next_pending(&session.wb, idx) {
            Some(next) => {
                let next = &session.wb.exercises[next].name;
                session.state.set_current(next);
                outln!("Next: `{next}` (`asynclings run {next}`).")?;
            }
            None => {
                out!(
                    "\n{}",
                    crate::commands::finished(&session.wb, &session.state)
                )?;
            }
        }
    } else {
        session.state.set_current(&ex.name);
        let used = session.state.hints_used(&ex.name);
        if used < ex.hints.len() {
            outln!(
                "Stuck? `asynclings hint {}` shows hint {} of {}.",
                ex.name,
                used + 1,
                ex.hints.len()
            )?;
        }
    }
    session.state.save()?;
    Ok(if passed {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
