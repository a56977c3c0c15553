//! Building an exercise with its hidden checks and running them to an [`Outcome`].
//!
//! A pass is decided by the runner, not by the learner's process: the checks are listed before
//! they run, and each one must be reported `ok` in libtest's log file, which the learner's
//! output cannot write to. A `std::process::exit(0)` or a printed "test result: ok" leaves
//! checks unreported, and that is a failure.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result};
use tokio::process::Command;

use crate::cargo::{self, BuildEnd, COMPILE_TIME_LIMIT};
use crate::confine;
use crate::exercise::Exercise;
use crate::outcome::{
    CheckFailure, ChecksFailed, CompileError, Outcome, Passed, Refused, TimedOut,
};
use crate::process::{self, Limits};
use crate::rules;
use crate::sync::{self, Harness, HarnessOf};
use crate::timeline;
use crate::workbook::Workbook;

/// What a test binary or program may print before the rest is cut.
const RUN_OUTPUT_CAP: usize = 256 * 1024;

const TRUNCATED_NOTE: &str = "\n[the output was cut here: it printed more than 256 KiB]";

/// Listing the checks runs no learner code; it only needs to start the binary.
const LIST_TIME_LIMIT: Duration = Duration::from_secs(10);

/// How far [`check_many`] has got: harnesses built (or failed to build), then checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    Built(usize),
    Checked(usize),
}

impl Progress {
    /// What is happening, in a word, and how many items are through it.
    pub fn phase(self) -> (&'static str, usize) {
        match self {
            Progress::Built(n) => ("compiling", n),
            Progress::Checked(n) => ("checking", n),
        }
    }
}

/// Builds `harness` (of the learner's file of `ex`, its solution, or a wrong fix) and runs it.
pub async fn check(wb: &Workbook, ex: &Exercise, harness: &Harness) -> Result<Outcome> {
    wb.stage(ex)?;
    let build = cargo::build(wb, &harness.bin).await?;
    judge(wb, ex, harness, build).await
}

/// Checks many harnesses at once: one cargo run builds them all (in parallel, a compile error
/// in one not stopping the others), then their checks run up to the core count at a time,
/// each with its own time limit. Outcomes come back in the order of `items`, each with how
/// long its checks ran. `on_progress` is told as each is built and as each is checked.
pub async fn check_many(
    wb: &Workbook,
    items: &[(&Exercise, Harness)],
    on_progress: impl FnMut(Progress),
) -> Result<Vec<(Outcome, Duration)>> {
    check_many_repeated(wb, items, 1, on_progress).await
}

/// Checks the learner's files of `exercises` with [`check_many`]. The result lines up with
/// `exercises`: `None` where the learner's file is missing.
pub async fn check_learner_files<'a>(
    wb: &'a Workbook,
    exercises: impl IntoIterator<Item = &'a Exercise>,
    on_progress: impl FnMut(Progress),
) -> Result<Vec<Option<(Outcome, Duration)>>> {
    let exercises: Vec<&Exercise> = exercises.into_iter().collect();
    let present: Vec<bool> = exercises
        .iter()
        .map(|ex| wb.learner_file(ex).is_file())
        .collect();
    let items: Vec<(&Exercise, Harness)> = exercises
        .iter()
        .zip(&present)
        .filter(|(_, present)| **present)
        .map(|(ex, _)| (*ex, Harness::of(ex, crate::exercise::Variant::Exercise)))
        .collect();
    let mut outcomes = check_many(wb, &items, on_progress).await?.into_iter();
    Ok(present
        .into_iter()
        .map(|present| if present { outcomes.next() } else { None })
        .collect())
}

/// [`check_many`], running each built harness `runs` times: an outcome that changes between
/// runs is a flaky check, and the first outcome that differs from the first run's is returned
/// (with a note saying so).
pub async fn check_many_repeated(
    wb: &Workbook,
    items: &[(&Exercise, Harness)],
    runs: usize,
    mut on_progress: impl FnMut(Progress),
) -> Result<Vec<(Outcome, Duration)>> {
    use futures::StreamExt;

    for (ex, _) in items {
        wb.stage(ex)?;
    }
    let to_build: Vec<String> = items
        .iter()
        .map(|(_, harness)| harness.bin.clone())
        .collect();
    let mut builds =
        cargo::build_many_reporting(wb, &to_build, |n| on_progress(Progress::Built(n))).await?;
    let jobs = std::thread::available_parallelism().map_or(2, |n| n.get());
    let runs = futures::stream::iter(items.iter().enumerate().map(|(i, (ex, harness))| {
        let build = builds.remove(&harness.bin);
        async move {
            let started = std::time::Instant::now();
            let outcome = match build {
                Some(build) => {
                    let first = judge(wb, ex, harness, build.clone()).await?;
                    let mut outcome = first;
                    for run in 2..=runs {
                        let again = judge(wb, ex, harness, build.clone()).await?;
                        if again.is_passed() != outcome.is_passed() {
                            outcome = flaky(again, outcome.label(), run);
                            break;
                        }
                    }
                    outcome
                }
                None => anyhow::bail!("`{}` was not built", harness.bin),
            };
            Ok::<_, anyhow::Error>((i, outcome, started.elapsed()))
        }
    }))
    .buffer_unordered(jobs);
    futures::pin_mut!(runs);
    let mut outcomes: Vec<Option<(Outcome, Duration)>> = (0..items.len()).map(|_| None).collect();
    let mut n_done = 0;
    while let Some(result) = runs.next().await {
        let (i, outcome, took) = result?;
        outcomes[i] = Some((outcome, took));
        n_done += 1;
        on_progress(Progress::Checked(n_done));
    }
    Ok(outcomes
        .into_iter()
        .map(|o| o.expect("every item ran"))
        .collect())
}

/// A run whose verdict differs from the first run's, marked as flaky.
fn flaky(outcome: Outcome, first: &str, run: usize) -> Outcome {
    let note = format!(
        "flaky: run {run} gave `{}` where run 1 gave `{first}`",
        outcome.label()
    );
    match outcome {
        Outcome::ChecksFailed(mut failed) => {
            failed.failures.insert(
                0,
                CheckFailure {
                    name: "determinism".to_owned(),
                    message: note,
                    timeline: None,
                },
            );
            Outcome::ChecksFailed(failed)
        }
        // A pass after a failure (or a timeout) is reported as a failure that says so.
        other => Outcome::ChecksFailed(ChecksFailed {
            failures: vec![CheckFailure {
                name: "determinism".to_owned(),
                message: note,
                timeline: None,
            }],
            n_checks: 1,
            warnings: match other {
                Outcome::Passed(passed) => passed.warnings,
                _ => Vec::new(),
            },
        }),
    }
}

/// Runs what `build` of `harness` produced for `ex` (or reports why it did not build).
pub async fn judge(
    wb: &Workbook,
    ex: &Exercise,
    harness: &Harness,
    build: cargo::Build,
) -> Result<Outcome> {
    let exe = match build.ended {
        BuildEnd::Built(exe) => exe,
        ended => return Ok(not_built(wb, ended, build.diagnostics)),
    };
    let warnings = build.diagnostics;
    // Before any of it runs: the build read only what it is made of.
    let allowed = sync::inputs_of(wb, ex, harness);
    // clippy's driver reads its configuration and the package's manifest.
    let toolchain = if wb.grading {
        BTreeSet::from([
            Path::new(cargo::CLIPPY_CONF_DIR).join("clippy.toml"),
            PathBuf::from(sync::CHECKS_MANIFEST),
            PathBuf::from("Cargo.toml"),
        ])
    } else if wb.rustlings_format {
        BTreeSet::from([
            PathBuf::from(crate::rustlings_format::CLIPPY_TOML),
            PathBuf::from("Cargo.toml"),
        ])
    } else {
        BTreeSet::new()
    };
    let reasons = rules::dep_info_refusals(&exe, &wb.root, &allowed, &toolchain);
    if !reasons.is_empty() {
        return Ok(Outcome::Refused(Refused { reasons }));
    }
    if let Some(lints) = clippy_lints(wb, ex, harness, &warnings).await? {
        return Ok(Outcome::CompileError(CompileError {
            diagnostics: lints,
            cargo_stderr: String::new(),
            timed_out: None,
            clippy: true,
        }));
    }
    if ex.test {
        run_checks(wb, ex, &exe, warnings).await
    } else {
        run_program(wb, ex, &exe, warnings).await
    }
}

/// Why a build made no executable: a refusal by the rules, or a compile error.
fn not_built(wb: &Workbook, ended: BuildEnd, diagnostics: Vec<cargo::Diagnostic>) -> Outcome {
    let reasons = rules::refusals(&diagnostics, &wb.root);
    if !reasons.is_empty() {
        return Outcome::Refused(Refused { reasons });
    }
    let (stderr, timed_out) = match ended {
        BuildEnd::Failed { stderr } => (stderr, None),
        _ => (String::new(), Some(COMPILE_TIME_LIMIT)),
    };
    Outcome::CompileError(CompileError {
        diagnostics,
        cargo_stderr: cargo::tidy_paths(&stderr, &wb.root),
        timed_out,
        clippy: false,
    })
}

/// Builds the learner's file of `ex` as a program and runs its `main` (confined, with the
/// exercise's time limit), for what it prints. The hidden checks play no part: this is no
/// verdict on the exercise.
pub async fn run_main(wb: &Workbook, ex: &Exercise) -> Result<Outcome> {
    wb.stage(ex)?;
    let build = cargo::build_program(wb, &ex.name).await?;
    match build.ended {
        BuildEnd::Built(exe) => run_program(wb, ex, &exe, build.diagnostics).await,
        ended => Ok(not_built(wb, ended, build.diagnostics)),
    }
}

/// clippy's warnings about a file that must be clippy-clean, when there are any: a
/// `strict_clippy` exercise, or a solution of a rustlings-format set (rustlings' own
/// `dev check` holds every solution to that). A rustlings-format set's build already ran
/// clippy (its `warnings` are clippy's too); elsewhere clippy runs now, after the build.
async fn clippy_lints(
    wb: &Workbook,
    ex: &Exercise,
    harness: &Harness,
    warnings: &[cargo::Diagnostic],
) -> Result<Option<Vec<cargo::Diagnostic>>> {
    let solution = harness.of == HarnessOf::Solution;
    if !(ex.strict_clippy || wb.rustlings_format && solution) {
        return Ok(None);
    }
    let lints = if wb.rustlings_format {
        // Without spans: rustc's count ("1 warning emitted").
        warnings
            .iter()
            .filter(|d| !d.spans.is_empty())
            .cloned()
            .collect()
    } else {
        cargo::clippy(wb, &harness.bin).await?
    };
    Ok((!lints.is_empty()).then_some(lints))
}

/// The learner's code runs confined (see `confine`), in an empty working directory of its
/// own, with none of the runner's environment: nothing tells it whether it is being graded.
fn command(exe: &Path, dir: &Path) -> Command {
    let mut cmd = confine::command(exe, confine::CHECK_RUN);
    cmd.current_dir(dir)
        .env_clear()
        // Backtraces would bury the checks' messages.
        .env("RUST_BACKTRACE", "0");
    cmd
}

async fn run_program(
    wb: &Workbook,
    ex: &Exercise,
    exe: &Path,
    warnings: Vec<cargo::Diagnostic>,
) -> Result<Outcome> {
    let limits = Limits {
        time: ex.time_limit,
        output_bytes: RUN_OUTPUT_CAP,
    };
    let dir = tempfile::tempdir().context("failed to create a temporary directory")?;
    let run = process::run(command(exe, dir.path()), limits, |_| {}).await?;
    let mut output = cargo::tidy_paths(&(run.stdout_text() + &run.stderr_text()), &wb.root);
    if run.truncated {
        output += TRUNCATED_NOTE;
    }
    Ok(match run.status {
        None => Outcome::TimedOut(TimedOut {
            running: Vec::new(),
            limit: ex.time_limit,
            output,
        }),
        Some(status) if status.success() => Outcome::Passed(Passed {
            n_checks: 0,
            warnings,
            output,
        }),
        Some(status) => Outcome::ChecksFailed(ChecksFailed {
            failures: vec![CheckFailure {
                name: "the program".to_owned(),
                message: format!("exited with {status}\n{}", output.trim_end()),
                timeline: None,
            }],
            n_checks: 1,
            warnings,
        }),
    })
}

async fn run_checks(
    wb: &Workbook,
    ex: &Exercise,
    exe: &Path,
    warnings: Vec<cargo::Diagnostic>,
) -> Result<Outcome> {
    let dir = tempfile::tempdir().context("failed to create a temporary directory")?;
    let mut list = command(exe, dir.path());
    list.args(["--list", "--format", "terse"]);
    let listed = process::run(
        list,
        Limits {
            time: LIST_TIME_LIMIT,
            output_bytes: RUN_OUTPUT_CAP,
        },
        |_| {},
    )
    .await?;
    if !listed.success() {
        anyhow::bail!(
            "failed to list the checks of `{}`: {}",
            exe.display(),
            listed.stderr_text().trim_end()
        );
    }
    let checks = parse_list(&listed.stdout_text());

    // Only the checks count: tests the learner's file declares itself are not run.
    let log_path = dir.path().join("checks.log");
    let mut run = command(exe, dir.path());
    run.arg("--logfile")
        .arg(&log_path)
        .args(["--color", "never", "--exact"])
        .args(&checks);
    let limits = Limits {
        time: ex.time_limit,
        output_bytes: RUN_OUTPUT_CAP,
    };
    let finished = process::run(run, limits, |_| {}).await?;
    let log = std::fs::read_to_string(&log_path).unwrap_or_default();
    let results = parse_log(&log);
    let stdout = cargo::tidy_paths(&finished.stdout_text(), &wb.root);

    if finished.timed_out() {
        let running = checks
            .iter()
            .filter(|name| !results.contains_key(name.as_str()))
            .map(|name| display_name(name))
            .collect();
        return Ok(Outcome::TimedOut(TimedOut {
            running,
            limit: ex.time_limit,
            output: String::new(),
        }));
    }

    let messages = parse_failure_messages(&stdout);
    let mut failures = Vec::new();
    for name in &checks {
        match results.get(name.as_str()) {
            Some(LogResult::Ok) | Some(LogResult::Ignored) => {}
            Some(LogResult::Failed) => {
                let (message, timeline) = match messages.get(name.as_str()) {
                    Some(message) => timeline::extract(message),
                    None => ("failed (it printed no message)".to_owned(), None),
                };
                failures.push(CheckFailure {
                    name: display_name(name),
                    message,
                    timeline,
                });
            }
            None => failures.push(CheckFailure {
                name: display_name(name),
                message: format!(
                    "never reported a result: the test process ended early ({}). Does the code \
                     call `std::process::exit`, or abort (a stack overflow, a double panic)?",
                    finished
                        .status
                        .map_or_else(|| "killed".to_owned(), |s| s.to_string())
                ),
                timeline: None,
            }),
        }
    }
    if failures.is_empty() && !finished.success() {
        // Every check passed but the process still failed: report it rather than guess.
        failures.push(CheckFailure {
            name: "the test process".to_owned(),
            message: format!(
                "ended with {} after its checks passed\n{}",
                finished
                    .status
                    .map_or_else(|| "no status".to_owned(), |s| s.to_string()),
                finished.stderr_text().trim_end()
            ),
            timeline: None,
        });
    }
    if failures.is_empty() {
        return Ok(Outcome::Passed(Passed {
            n_checks: checks.len(),
            warnings,
            output: String::new(),
        }));
    }
    if finished.truncated {
        failures[0].message += TRUNCATED_NOTE;
    }
    Ok(Outcome::ChecksFailed(ChecksFailed {
        failures,
        n_checks: checks.len(),
        warnings,
    }))
}

/// The checks' names from `--list --format terse` (lines `name: test`): the tests of the
/// `checks` module, or every test of an exercise that carries its own (rustlings style).
fn parse_list(stdout: &str) -> Vec<String> {
    let all: Vec<String> = stdout
        .lines()
        .filter_map(|line| line.strip_suffix(": test"))
        .map(str::to_owned)
        .collect();
    let checks: Vec<String> = all
        .iter()
        .filter(|name| name.starts_with("checks::"))
        .cloned()
        .collect();
    if checks.is_empty() { all } else { checks }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LogResult {
    Ok,
    Failed,
    Ignored,
}

/// libtest's log file: one line per finished test, `ok name`, `failed name` or `ignored name`.
// `--logfile` is deprecated in libtest but still the one stable channel that the test's own
// output cannot write into; if it goes, every check reads as unreported, never as passed.
fn parse_log(log: &str) -> HashMap<&str, LogResult> {
    log.lines()
        .filter_map(|line| {
            let (result, name) = line.split_once(' ')?;
            let result = match result {
                "ok" => LogResult::Ok,
                "failed" => LogResult::Failed,
                "ignored" => LogResult::Ignored,
                _ => return None,
            };
            Some((name, result))
        })
        .collect()
}

/// The `---- name stdout ----` sections of libtest's report, cleaned of libtest's own notes.
fn parse_failure_messages(stdout: &str) -> HashMap<&str, String> {
    let mut sections: Vec<(&str, Vec<&str>)> = Vec::new();
    let mut open = false;
    for line in stdout.lines() {
        if let Some(name) = line
            .strip_prefix("---- ")
            .and_then(|l| l.strip_suffix(" stdout ----"))
        {
            sections.push((name, Vec::new()));
            open = true;
        } else if line == "failures:" || line.starts_with("test result: ") {
            open = false;
        } else if open && let Some((_, lines)) = sections.last_mut() {
            lines.push(line);
        }
    }
    sections
        .into_iter()
        .map(|(name, lines)| (name, clean_message(&lines)))
        .collect()
}

fn clean_message(lines: &[&str]) -> String {
    let kept: Vec<String> = lines
        .iter()
        .filter(|line| !line.starts_with("note: run with `RUST_BACKTRACE=1`"))
        .map(|line| simplify_panic_line(line))
        .collect();
    kept.join("\n").trim().to_owned()
}

/// `thread 'checks::x' (123) panicked at checks/a/x.rs:9:5:` becomes `panicked at checks/a/x.rs:9:5:`.
fn simplify_panic_line(line: &str) -> String {
    if line.starts_with("thread '")
        && let Some(at) = line.find(" panicked at ")
    {
        return line[at + 1..].to_owned();
    }
    line.to_owned()
}

fn display_name(name: &str) -> String {
    name.strip_prefix("checks::").unwrap_or(name).to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_only_tests() {
        let out = "checks::a: test\nchecks::b: test\nsome_bench: bench\nmine: test\n";
        assert_eq!(parse_list(out), ["checks::a", "checks::b"]);
        assert_eq!(parse_list("tests::a: test\n"), ["tests::a"]);
    }

    #[test]
    fn reads_the_log() {
        let log = parse_log("ok checks::a\nfailed checks::b\nignored c\ngarbage\n");
        assert_eq!(log.get("checks::a"), Some(&LogResult::Ok));
        assert_eq!(log.get("checks::b"), Some(&LogResult::Failed));
        assert_eq!(log.get("c"), Some(&LogResult::Ignored));
        assert_eq!(log.len(), 3);
    }

    #[test]
    fn extracts_each_failure_message() {
        let stdout = "\nrunning 2 tests\ntest checks::a ... FAILED\ntest checks::b ... FAILED\n\n\
            failures:\n\n---- checks::a stdout ----\nprinted by the learner\n\n\
            thread 'checks::a' (31) panicked at checks/03_join/join1.rs:9:5:\n\
            fetch_all took 300ms\nnote: run with `RUST_BACKTRACE=1` environment variable to display a backtrace\n\n\
            ---- checks::b stdout ----\nthread 'checks::b' panicked at x.rs:1:1:\nboom\n\n\n\
            failures:\n    checks::a\n    checks::b\n\ntest result: FAILED. 0 passed; 2 failed\n";
        let messages = parse_failure_messages(stdout);
        assert_eq!(
            messages["checks::a"],
            "printed by the learner\n\npanicked at checks/03_join/join1.rs:9:5:\nfetch_all took 300ms"
        );
        assert_eq!(messages["checks::b"], "panicked at x.rs:1:1:\nboom");
    }
}
