//! What came of building and checking an exercise, and how it reads on screen.

use std::fmt::Write;
use std::time::Duration;

use std::path::Path;

use crate::cargo::Diagnostic;
use crate::explain;
use crate::term;

/// A failing exercise is an outcome, not an error: errors are for a broken setup.
#[derive(Debug)]
pub enum Outcome {
    CompileError(CompileError),
    ChecksFailed(ChecksFailed),
    TimedOut(TimedOut),
    /// The file does something no exercise needs and grading cannot allow (reading other
    /// files while compiled, starting processes, touching the file system, ...).
    Refused(Refused),
    Passed(Passed),
}

#[derive(Debug)]
pub struct Refused {
    /// Why, one sentence each, naming the place in the file where there is one.
    pub reasons: Vec<String>,
}

#[derive(Debug)]
pub struct CompileError {
    /// The errors (and warnings) rustc reported.
    pub diagnostics: Vec<Diagnostic>,
    /// cargo's own output, shown when rustc said nothing (a broken manifest, say).
    pub cargo_stderr: String,
    /// The compiler was stopped at its time limit.
    pub timed_out: Option<Duration>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckFailure {
    /// The check's name, without the `checks::` module prefix.
    pub name: String,
    /// The check's own message (a panic message, usually), with what the code printed.
    pub message: String,
}

#[derive(Debug)]
pub struct ChecksFailed {
    pub failures: Vec<CheckFailure>,
    pub n_checks: usize,
    /// The compiler's warnings: some explain the failure (a future never awaited).
    pub warnings: Vec<Diagnostic>,
}

#[derive(Debug)]
pub struct TimedOut {
    /// The checks that had not finished when time ran out.
    pub running: Vec<String>,
    pub limit: Duration,
    /// What the program printed before it was stopped (for exercises that run `main`).
    pub output: String,
}

#[derive(Debug)]
pub struct Passed {
    pub n_checks: usize,
    pub warnings: Vec<Diagnostic>,
    /// What the program printed (for exercises that run `main`).
    pub output: String,
}

/// Shown under a timeout: what a hang in async code usually means.
pub const HANG_EXPLANATION: &str = "\
In async code a hang usually means the runtime's thread was blocked or the tasks deadlocked:
  - a blocking call (`std::thread::sleep`, a CPU-heavy loop, blocking I/O) holds the thread,
    so no other task, timer or I/O on it can run;
  - a lock held across an `.await` that another task needs to make progress;
  - a wait that nothing will end: a channel whose sender is never dropped, a future that
    never arranges to be woken, a task that is never spawned or awaited.";

/// Under a refusal.
pub const REFUSED_NOTE: &str = "an exercise file may only use what it holds and what the \
     exercise's crates offer, without files, processes, the network or the environment; \
     remove what is named above";

/// Under a compile error whose place is in the hidden checks.
pub const ERROR_IN_CHECKS: &str = "\
Note: this error is in the hidden checks, not in your file. The checks call your code as the
exercise says it must look (its names, argument and return types, whether it is `async`, or
`Send`): keep those as the lesson gives them. The check's name often says what it needs.";

impl Outcome {
    pub fn is_passed(&self) -> bool {
        matches!(self, Outcome::Passed(_))
    }

    /// A few words for lists and reports.
    pub fn label(&self) -> &'static str {
        match self {
            Outcome::CompileError(_) => "compile error",
            Outcome::ChecksFailed(_) => "checks failed",
            Outcome::TimedOut(_) => "timed out",
            Outcome::Refused(_) => "refused",
            Outcome::Passed(_) => "passed",
        }
    }

    /// The verdict as it appears on screen, for the exercise at `path`.
    pub fn render(&self, path: &str) -> String {
        let mut out = String::new();
        match self {
            Outcome::CompileError(err) => {
                let n_errors = err.diagnostics.iter().filter(|d| d.is_error()).count();
                for diagnostic in &err.diagnostics {
                    if let Some(rendered) = &diagnostic.rendered {
                        out += &term::ansi(rendered);
                    }
                }
                if n_errors == 0 && !err.cargo_stderr.trim().is_empty() {
                    let _ = writeln!(out, "{}", err.cargo_stderr.trim_end());
                }
                match err.timed_out {
                    Some(limit) => {
                        let _ = writeln!(
                            out,
                            "{} compiling `{path}` took longer than {}s and was stopped",
                            term::red("✗ Compile timed out:"),
                            limit.as_secs()
                        );
                    }
                    None => {
                        let _ = writeln!(
                            out,
                            "{} `{path}` does not compile yet: read the first error above",
                            term::red("✗ Compile error:"),
                        );
                    }
                }
                out += &explain::render(&explain::for_diagnostics(&err.diagnostics, Path::new("")));
                if err
                    .diagnostics
                    .iter()
                    .any(|d| d.is_error() && d.primary_in_checks())
                {
                    let _ = writeln!(out, "\n{}", term::dim(ERROR_IN_CHECKS));
                }
            }
            Outcome::ChecksFailed(failed) => {
                // Only the warnings that explain something: the rest would bury the checks.
                let explained = explain::for_diagnostics(&failed.warnings, Path::new(""));
                for warning in &failed.warnings {
                    let warned =
                        explain::for_diagnostics(std::slice::from_ref(warning), Path::new(""));
                    if !warned.is_empty()
                        && let Some(rendered) = &warning.rendered
                    {
                        out += &term::ansi(rendered);
                    }
                }
                for failure in &failed.failures {
                    let _ = writeln!(out, "{} {}", term::red("✗"), term::bold(&failure.name));
                    for line in failure.message.trim_end().lines() {
                        let _ = writeln!(out, "    {line}");
                    }
                    out.push('\n');
                }
                let _ = writeln!(
                    out,
                    "{} {} of {} checks failed for `{path}`",
                    term::red("✗ Checks failed:"),
                    failed.failures.len(),
                    failed.n_checks.max(failed.failures.len()),
                );
                let messages: String = failed.failures.iter().map(|f| f.message.as_str()).collect();
                let mut found = explained;
                for more in explain::for_failure_text(&messages) {
                    if !found
                        .iter()
                        .any(|f| f.explanation.key == more.explanation.key)
                    {
                        found.push(more);
                    }
                }
                out += &explain::render(&found);
            }
            Outcome::TimedOut(timed_out) => {
                if !timed_out.output.trim().is_empty() {
                    let _ = writeln!(out, "{}", timed_out.output.trim_end());
                }
                let running = if timed_out.running.is_empty() {
                    String::new()
                } else {
                    format!(" (still running: {})", timed_out.running.join(", "))
                };
                let _ = writeln!(
                    out,
                    "{} `{path}` did not finish within {}s{running}\n\n{HANG_EXPLANATION}",
                    term::yellow("⧗ Timed out:"),
                    timed_out.limit.as_secs(),
                );
                let _ = writeln!(
                    out,
                    "{}",
                    term::dim("  Practised in 07_blocking. More: `asynclings explain timeout`")
                );
            }
            Outcome::Refused(refused) => {
                for reason in &refused.reasons {
                    let _ = writeln!(out, "{} {reason}", term::red("✗"));
                }
                let _ = writeln!(
                    out,
                    "{} `{path}` was not run: {REFUSED_NOTE}",
                    term::red("✗ Refused:"),
                );
            }
            Outcome::Passed(passed) => {
                for warning in &passed.warnings {
                    if let Some(rendered) = &warning.rendered {
                        out += &term::ansi(rendered);
                    }
                }
                if !passed.output.trim().is_empty() {
                    let _ = writeln!(
                        out,
                        "{}\n{}",
                        term::dim("Output:"),
                        passed.output.trim_end()
                    );
                }
                let what = match passed.n_checks {
                    0 => "it runs".to_owned(),
                    1 => "its check passes".to_owned(),
                    n => format!("all {n} checks pass"),
                };
                let _ = writeln!(out, "{} `{path}`: {what}", term::green("✓ Done:"));
            }
        }
        out
    }
}
