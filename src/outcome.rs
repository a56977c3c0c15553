//! What came of building and checking an exercise, and how it reads on screen.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::path::Path;
use std::time::Duration;

use crate::cargo::Diagnostic;
use crate::explain;
use crate::term;
use crate::timeline::{self, Timeline};

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
    /// The file compiles, but clippy has something to say and the exercise counts that as an
    /// error (`strict_clippy`, or a solution in `dev check`).
    pub clippy: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckFailure {
    /// The check's name, without the `checks::` module prefix.
    pub name: String,
    /// The check's own message (a panic message, usually), with what the code printed.
    pub message: String,
    /// What the check recorded on the virtual clock, when it failed on timing or order.
    pub timeline: Option<Timeline>,
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
/// One line per paragraph: the screen wraps them to its width.
pub const HANG_EXPLANATION: &str = "\
In async code a hang usually means the runtime's thread was blocked or the tasks deadlocked:
  - a blocking call (`std::thread::sleep`, a CPU-heavy loop, blocking I/O) holds the thread, \
    so no other task, timer or I/O on it can run;
  - a lock held across an `.await` that another task needs to make progress;
  - a wait that nothing will end: a channel whose sender is never dropped, a future that \
    never arranges to be woken, a task that is never spawned or awaited.";

/// The first line of a rendered diagnostic and the line that says where it is.
fn headline(rendered: &str) -> String {
    let mut lines = rendered.lines();
    let mut out = String::new();
    if let Some(first) = lines.next() {
        out += first;
        out.push('\n');
    }
    if let Some(place) =
        lines.find(|l| console::strip_ansi_codes(l).trim_start().starts_with("-->"))
    {
        out += place;
        out.push('\n');
    }
    out
}

/// Under a refusal.
pub const REFUSED_NOTE: &str = "an exercise file may only use what it holds and what the \
     exercise's crates offer, without files, processes, the network or the environment; \
     remove what is named above";

/// Under a compile error whose place is in the hidden checks.
pub const ERROR_IN_CHECKS: &str = "Note: this error is in the hidden checks, not in your file. \
     The checks call your code as the exercise says it must look (its names, argument and \
     return types, whether it is `async`, or `Send`): keep those as the lesson gives them. The \
     check's name often says what it needs.";

/// What became of an exercise, in every list, log and report: an outcome's kind, or a file
/// that was not there to check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Status {
    Passed,
    CompileError,
    ChecksFailed,
    TimedOut,
    Refused,
    Missing,
}

/// Each status's name in machine-readable reports, its words for people, and its letter in
/// dense views: the one table of them.
const STATUS_NAMES: [(Status, &str, &str, char); 6] = [
    (Status::Passed, "passed", "passed", 'p'),
    (Status::CompileError, "compile_error", "compile error", 'c'),
    (Status::ChecksFailed, "checks_failed", "checks failed", 'f'),
    (Status::TimedOut, "timed_out", "timed out", 't'),
    (Status::Refused, "refused", "refused", 'r'),
    (Status::Missing, "missing", "missing", 'm'),
];

impl Status {
    pub const ALL: [Status; 6] = [
        Status::Passed,
        Status::CompileError,
        Status::ChecksFailed,
        Status::TimedOut,
        Status::Refused,
        Status::Missing,
    ];

    fn names(self) -> (Status, &'static str, &'static str, char) {
        STATUS_NAMES[self as usize]
    }

    /// The status named `text` in a report (`compile_error`).
    pub fn parse(text: &str) -> Option<Self> {
        STATUS_NAMES
            .iter()
            .find(|(_, name, _, _)| *name == text)
            .map(|(status, ..)| *status)
    }

    /// Its name in machine-readable reports: `compile_error`.
    pub fn as_str(self) -> &'static str {
        self.names().1
    }

    /// Its words for people: `compile error`.
    pub fn label(self) -> &'static str {
        self.names().2
    }

    /// One letter for dense views (the class page's status strip).
    pub fn letter(self) -> char {
        self.names().3
    }
}

impl Outcome {
    pub fn is_passed(&self) -> bool {
        matches!(self, Outcome::Passed(_))
    }

    pub fn status(&self) -> Status {
        match self {
            Outcome::CompileError(_) => Status::CompileError,
            Outcome::ChecksFailed(_) => Status::ChecksFailed,
            Outcome::TimedOut(_) => Status::TimedOut,
            Outcome::Refused(_) => Status::Refused,
            Outcome::Passed(_) => Status::Passed,
        }
    }

    /// A few words for lists and reports.
    pub fn label(&self) -> &'static str {
        match self {
            Outcome::CompileError(err) if err.clippy => "clippy warnings",
            _ => self.status().label(),
        }
    }

    /// The verdict as it appears on screen, for the exercise at `path`, on a terminal `width`
    /// columns wide (timelines are drawn to fit).
    pub fn render(&self, path: &str, width: usize) -> String {
        self.render_with(path, width, &BTreeMap::new())
    }

    /// [`Outcome::render`], with the exercise's own advice in place of the general
    /// explanations it names (`advice` in info.toml).
    pub fn render_with(
        &self,
        path: &str,
        width: usize,
        advice: &BTreeMap<String, String>,
    ) -> String {
        match self {
            Outcome::CompileError(err) => render_compile_error(err, path, advice),
            Outcome::ChecksFailed(failed) => render_checks_failed(failed, path, width, advice),
            Outcome::TimedOut(timed_out) => render_timed_out(timed_out, path),
            Outcome::Refused(refused) => render_refused(refused, path),
            Outcome::Passed(passed) => render_passed(passed, path),
        }
    }
}

/// The learner's own errors first, whole; then what is located in the hidden checks.
fn render_compile_error(
    err: &CompileError,
    path: &str,
    advice: &BTreeMap<String, String>,
) -> String {
    let mut out = String::new();
    let n_errors = err.diagnostics.iter().filter(|d| d.is_error()).count();
    // The learner's own errors first, whole; an error located in the hidden checks
    // is a consequence of them (a signature the checks cannot call): its headline
    // and place are enough, with the note below that explains it.
    // rustc's closing notes ("Some errors have detailed explanations: ...") come last, after
    // every error they sum up.
    let (notes, diagnostics): (Vec<_>, Vec<_>) = err
        .diagnostics
        .iter()
        .partition(|d| d.level == "failure-note");
    let (in_checks, own): (Vec<_>, Vec<_>) = diagnostics
        .into_iter()
        .partition(|d| d.is_error() && d.primary_in_checks());
    for diagnostic in own {
        if let Some(rendered) = &diagnostic.rendered {
            out += &term::ansi(rendered);
        }
    }
    for diagnostic in in_checks {
        if let Some(rendered) = &diagnostic.rendered {
            out += &headline(&term::ansi(rendered));
        }
    }
    for diagnostic in notes {
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
        None if err.clippy => {
            let _ = writeln!(
                out,
                "{} `{path}` compiles, but clippy warns about it, and this \
                 exercise counts clippy's warnings as errors: read the first one above",
                term::red("✗ Clippy:"),
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
    out += &explain::render(
        &explain::for_diagnostics(&err.diagnostics, Path::new("")),
        advice,
    );
    if err
        .diagnostics
        .iter()
        .any(|d| d.is_error() && d.primary_in_checks())
    {
        let _ = writeln!(out, "\n{}", term::dim(ERROR_IN_CHECKS));
    }
    out
}

/// Each failed check with its message (and its timeline), then the notes that explain them.
fn render_checks_failed(
    failed: &ChecksFailed,
    path: &str,
    width: usize,
    advice: &BTreeMap<String, String>,
) -> String {
    let mut out = String::new();
    // Only the warnings that explain something: the rest would bury the checks.
    let explained = explain::for_diagnostics(&failed.warnings, Path::new(""));
    for warning in &failed.warnings {
        let warned = explain::for_diagnostics(std::slice::from_ref(warning), Path::new(""));
        if !warned.is_empty()
            && let Some(rendered) = &warning.rendered
        {
            out += &term::ansi(rendered);
        }
    }
    // Checks that fail with the same message (the learner's panic, re-raised by
    // each) are shown once, under all their names.
    let mut shown: Vec<(Vec<&str>, &str, Option<&Timeline>)> = Vec::new();
    for failure in &failed.failures {
        let message = failure.message.trim_end();
        let timeline = failure.timeline.as_ref();
        match shown
            .iter_mut()
            .find(|(_, m, t)| *m == message && *t == timeline)
        {
            Some((names, ..)) => names.push(&failure.name),
            None => shown.push((vec![&failure.name], message, timeline)),
        }
    }
    for (names, message, timeline) in shown {
        let _ = writeln!(out, "{} {}", term::red("✗"), term::bold(&names.join(", ")));
        for line in message.lines() {
            let _ = writeln!(out, "    {line}");
        }
        if let Some(timeline) = timeline {
            out.push('\n');
            let picture = timeline::draw(timeline, width.saturating_sub(4), term::colors());
            for line in picture.lines() {
                let _ = writeln!(out, "    {line}");
            }
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
    out += &explain::render(&found, advice);
    out
}

/// What ran out of time, and what a hang in async code usually means.
fn render_timed_out(timed_out: &TimedOut, path: &str) -> String {
    let mut out = String::new();
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
    out
}

/// Why the file was not run.
fn render_refused(refused: &Refused, path: &str) -> String {
    let mut out = String::new();
    for reason in &refused.reasons {
        let _ = writeln!(out, "{} {reason}", term::red("✗"));
    }
    let _ = writeln!(
        out,
        "{} `{path}` was not run: {REFUSED_NOTE}",
        term::red("✗ Refused:"),
    );
    out
}

/// What passed, with the warnings and what the program printed.
fn render_passed(passed: &Passed, path: &str) -> String {
    let mut out = String::new();
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
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error_at(file: &str, rendered: &str) -> Diagnostic {
        serde_json::from_value(serde_json::json!({
            "level": "error",
            "message": "mismatched types",
            "spans": [{"file_name": file, "line_start": 3, "column_start": 5, "is_primary": true}],
            "rendered": rendered,
        }))
        .unwrap()
    }

    #[test]
    fn the_learners_errors_come_first_and_the_checks_errors_are_headlines() {
        let in_checks = error_at(
            "checks/harness/../a/x.rs",
            "error[E0308]: in the checks\n --> checks/a/x.rs:3:5\n  |\n3 | long context\n",
        );
        let own = error_at(
            "checks/harness/../../exercises/a/x.rs",
            "error[E0308]: in yours\n --> exercises/a/x.rs:3:5\n  |\n3 | your line\n",
        );
        let note: Diagnostic = serde_json::from_value(serde_json::json!({
            "level": "failure-note",
            "message": "Some errors have detailed explanations: E0271, E0277.",
            "spans": [],
            "rendered": "Some errors have detailed explanations: E0271, E0277.\n",
        }))
        .unwrap();
        let outcome = Outcome::CompileError(CompileError {
            diagnostics: vec![note, in_checks, own],
            cargo_stderr: String::new(),
            timed_out: None,
            clippy: false,
        });
        let text = console::strip_ansi_codes(&outcome.render("exercises/a/x.rs", 80)).into_owned();
        let yours = text.find("in yours").unwrap();
        let theirs = text.find("in the checks").unwrap();
        assert!(yours < theirs, "{text}");
        // rustc's closing note sums up the errors: after them, not before.
        assert!(
            text.find("detailed explanations").unwrap() > theirs,
            "{text}"
        );
        assert!(text.contains("your line"), "{text}");
        assert!(text.contains(" --> checks/a/x.rs:3:5"), "{text}");
        assert!(!text.contains("long context"), "{text}");
    }

    #[test]
    fn every_status_has_its_own_row_of_names() {
        for (i, status) in Status::ALL.into_iter().enumerate() {
            assert_eq!(STATUS_NAMES[i].0, status);
            assert_eq!(Status::parse(status.as_str()), Some(status));
        }
        assert_eq!(Status::CompileError.label(), "compile error");
        assert_eq!(Status::parse("compile error"), None);
    }

    #[test]
    fn a_headline_keeps_its_place_in_colour() {
        let rendered = "\u{1b}[0m\u{1b}[1m\u{1b}[38;5;9merror[E0597]\u{1b}[0m: `handle` does not live \
                        long enough\n\u{1b}[0m  \u{1b}[0m\u{1b}[0m\u{1b}[1m\u{1b}[38;5;12m--> \
                        \u{1b}[0m\u{1b}[0mchecks/a/x.rs:50:41\u{1b}[0m\n   |\n50 | code\n";
        let text = console::strip_ansi_codes(&headline(rendered)).into_owned();
        assert_eq!(
            text,
            "error[E0597]: `handle` does not live long enough\n  --> checks/a/x.rs:50:41\n"
        );
    }

    #[test]
    fn one_message_failing_several_checks_is_shown_once() {
        let failure = |name: &str| CheckFailure {
            name: name.to_owned(),
            message: "panicked at exercises/a/x.rs:9:5:\nthe parser gave up".to_owned(),
            timeline: None,
        };
        let outcome = Outcome::ChecksFailed(ChecksFailed {
            failures: vec![failure("a"), failure("b"), failure("c")],
            n_checks: 3,
            warnings: Vec::new(),
        });
        let text = console::strip_ansi_codes(&outcome.render("x.rs", 80)).into_owned();
        assert_eq!(text.matches("the parser gave up").count(), 1, "{text}");
        assert!(text.contains("✗ a, b, c"), "{text}");
        assert!(text.contains("3 of 3 checks failed"), "{text}");
    }
}
