//! `asynclings dev check` and `asynclings dev sync`: the exercise author's tools.

use std::collections::HashMap;
use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result};

use crate::cargo;
use crate::check::check_many_repeated;
use crate::exercise::{Exercise, Variant};
use crate::outcome::Outcome;
use crate::outln;
use crate::sync::{self, Harness, Variation, VariationKind};
use crate::term;
use crate::warm_up::ensure_dependencies;
use crate::workbook::Workbook;

/// The dev commands work on a clone of the repository, where the curriculum's files are.
fn load_clone(root: &Path) -> Result<Workbook> {
    if !root.join(crate::workbook::INFO_FILE).is_file() && crate::workspace::is_workspace(root) {
        anyhow::bail!(
            "this is a learner workspace, which carries no checks or solutions: the `dev` \
             commands are for exercise authors, in a clone of the asynclings repository"
        );
    }
    if crate::rustlings_format::is_rustlings_format(root) {
        return crate::rustlings_format::open(root);
    }
    Workbook::load(root)
}

pub fn sync(root: &Path) -> Result<ExitCode> {
    let wb = load_clone(root)?;
    if wb.rustlings_format {
        println!("{RUSTLINGS_FORMAT_NEEDS_NO_SYNC}");
        return Ok(ExitCode::SUCCESS);
    }
    let changed = sync::write(&wb)?;
    for problem in sync::variations(&wb).1 {
        outln!("{} {problem} (skipped)", term::yellow("warning:"))?;
    }
    if changed.is_empty() {
        outln!("The build plumbing is up to date.")?;
    }
    for path in changed {
        outln!("wrote {}", path.display())?;
    }
    Ok(ExitCode::SUCCESS)
}

const RUSTLINGS_FORMAT_NEEDS_NO_SYNC: &str = "This is a rustlings-format set: it needs no \
     build plumbing of its own. asynclings generates it under `target/asynclings/workbook` \
     every time it runs, so there is nothing to sync.";

/// Where `dev check --shipped` checks a clone whose exercise files were changed.
const SHIPPED_COPY: &str = "target/asynclings-shipped";

/// The workbook to check the committed exercise files in: `root` itself when its exercise
/// files are as committed (or there is no git history), else a copy under `target/` with the
/// committed versions put back (the learner's files are not touched).
pub async fn shipped_copy(root: &Path) -> Result<std::path::PathBuf> {
    let wb = load_clone(root)?;
    let mut shipped = Vec::new();
    let mut changed = 0;
    for ex in &wb.exercises {
        let Some(original) = crate::git::committed_version(root, &ex.path()).await else {
            continue;
        };
        if std::fs::read(root.join(ex.path())).ok().as_deref() != Some(original.as_bytes()) {
            changed += 1;
        }
        shipped.push((ex.path(), original));
    }
    if changed == 0 {
        return Ok(root.to_path_buf());
    }
    let copy = root.join(SHIPPED_COPY);
    for top in [
        "exercises",
        "solutions",
        "checks",
        sync::WRONG_FIXES_DIR,
        sync::VALID_ALTERNATIVES_DIR,
    ] {
        mirror(&root.join(top), &copy.join(top))?;
    }
    if wb.rustlings_format {
        // The copy is a rustlings-format set too, with its own generated build root.
        for file in [
            crate::workbook::INFO_FILE,
            "Cargo.toml",
            "Cargo.lock",
            "clippy.toml",
            ".clippy.toml",
        ] {
            match std::fs::read(root.join(file)) {
                Ok(content) => crate::fs_util::write_if_changed(&copy.join(file), &content)?,
                Err(_) => {
                    let _ = std::fs::remove_file(copy.join(file));
                    false
                }
            };
        }
    } else {
        for file in [crate::workbook::INFO_FILE, "Cargo.lock"] {
            let content = std::fs::read(root.join(file))
                .with_context(|| format!("failed to read `{file}`"))?;
            crate::fs_util::write_if_changed(&copy.join(file), &content)?;
        }
        // The copy has no runner: only the exercise and checks packages.
        let manifest = std::fs::read_to_string(root.join("Cargo.toml"))
            .context("failed to read `Cargo.toml`")?;
        let mut manifest = crate::workspace::workspace_manifest(&manifest)?;
        manifest = manifest.replace(
            "members = [\"checks\"]",
            "members = [\"exercises\", \"checks\"]",
        );
        crate::fs_util::write_if_changed(&copy.join("Cargo.toml"), manifest.as_bytes())?;
    }
    for (path, original) in shipped {
        crate::fs_util::write_if_changed(&copy.join(path), original.as_bytes())?;
    }
    outln!(
        "{changed} exercise file(s) differ from the committed versions: checking the \
         committed versions in a copy, `{SHIPPED_COPY}`.\n"
    )?;
    Ok(copy)
}

/// Makes `to` hold exactly the files of `from`, writing only what differs.
fn mirror(from: &Path, to: &Path) -> Result<()> {
    fn files(dir: &Path, base: &Path, out: &mut Vec<std::path::PathBuf>) {
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                files(&path, base, out);
            } else if let Ok(relative) = path.strip_prefix(base) {
                out.push(relative.to_path_buf());
            }
        }
    }
    let (mut wanted, mut present) = (Vec::new(), Vec::new());
    files(from, from, &mut wanted);
    files(to, to, &mut present);
    for relative in &wanted {
        let content = std::fs::read(from.join(relative))
            .with_context(|| format!("failed to read `{}`", from.join(relative).display()))?;
        crate::fs_util::write_if_changed(&to.join(relative), &content)?;
    }
    for stale in present.iter().filter(|p| !wanted.contains(p)) {
        std::fs::remove_file(to.join(stale))
            .with_context(|| format!("failed to remove `{}`", to.join(stale).display()))?;
    }
    Ok(())
}

/// What a wrong fix must do when built against its exercise's checks.
#[derive(Debug, PartialEq, Eq)]
enum Expectation {
    CompileError,
    /// Fail with a message containing this text.
    Message(String),
}

const EXPECT_PREFIX: &str = "// expect:";

fn expectation(fix: &Variation, root: &Path) -> Result<Expectation> {
    let text = std::fs::read_to_string(root.join(&fix.path))
        .with_context(|| format!("failed to read `{}`", fix.path.display()))?;
    let first = text.lines().next().unwrap_or("");
    let Some(expected) = first.strip_prefix(EXPECT_PREFIX).map(str::trim) else {
        anyhow::bail!(
            "`{}`:1: expected a first line `{EXPECT_PREFIX} <part of the failure message>` or \
             `{EXPECT_PREFIX} compile error`",
            fix.path.display()
        );
    };
    Ok(match expected {
        "compile error" => Expectation::CompileError,
        "" => anyhow::bail!("`{}`:1: the expected message is empty", fix.path.display()),
        message => Expectation::Message(message.to_owned()),
    })
}

/// The verdict on `path` as `run` shows it, without colors.
fn failure_text(outcome: &Outcome, path: &Path) -> String {
    console::strip_ansi_codes(&outcome.render(&path.display().to_string(), 100)).into_owned()
}

pub async fn check(root: &Path, names: &[String], runs: usize) -> Result<ExitCode> {
    let wb = load_clone(root)?;
    let selected: Vec<&Exercise> = if names.is_empty() {
        wb.exercises.iter().collect()
    } else {
        names
            .iter()
            .map(|name| wb.find(name).map(|idx| &wb.exercises[idx]))
            .collect::<Result<_>>()?
    };
    let (variations, mut problems) = static_problems(&wb, &selected)?;
    if problems.iter().any(|p| p.starts_with(STALE_PLUMBING)) {
        // Building against stale plumbing would report confusing errors; sync first.
        return report(problems, 0);
    }
    ensure_dependencies(&wb).await?;
    // Everything is built in one cargo run and checked in parallel; then judged in order.
    let mut items: Vec<(&Exercise, Harness)> = Vec::new();
    for ex in &selected {
        items.push((ex, Harness::of(ex, Variant::Exercise)));
        items.push((ex, Harness::of(ex, Variant::Solution)));
        for variation in variations.iter().filter(|v| v.exercise == ex.name) {
            items.push((ex, variation.harness()));
        }
    }
    let bar = term::StepsBar::new(items.len());
    let outcomes = check_many_repeated(&wb, &items, runs.max(1), |progress| {
        let (what, done) = progress.phase();
        bar.step(what, done);
    })
    .await?;
    bar.finish();
    let mut outcomes: HashMap<String, Outcome> = items
        .iter()
        .map(|(_, harness)| harness.bin.clone())
        .zip(outcomes.into_iter().map(|(o, _)| o))
        .collect();
    let mut take = |bin: String| outcomes.remove(&bin).expect("every harness was checked");
    let mut n_ok = 0;
    for ex in &selected {
        let shipped = take(ex.harness_bin(Variant::Exercise));
        let solved = take(ex.harness_bin(Variant::Solution));
        let mut tried = Vec::new();
        for variation in variations.iter().filter(|v| v.exercise == ex.name) {
            let expected = match variation.kind {
                VariationKind::WrongFix => Some(expectation(variation, root)?),
                VariationKind::ValidAlternative => None,
            };
            tried.push((variation, take(variation.bin()), expected));
        }
        let mut verdict = judge_exercise(ex, &shipped, &solved, &tried);
        if let Some(diff) = cargo::rustfmt_check(&root.join(ex.solution_path())).await? {
            verdict.problems.push(format!(
                "`{}` is not rustfmt-clean:\n{diff}",
                ex.solution_path().display()
            ));
        }
        if verdict.problems.is_empty() {
            n_ok += 1;
            let runs_note = if runs > 1 {
                format!(" ({runs} runs each)")
            } else {
                String::new()
            };
            outln!(
                "{} {:<28} {}{runs_note}",
                term::green("✓"),
                ex.name,
                verdict.summary
            )?;
        } else {
            outln!("{} {}", term::red("✗"), ex.name)?;
            problems.extend(verdict.problems);
        }
    }
    report(problems, n_ok)
}

/// The start of the problem that stops `dev check` before it builds anything.
const STALE_PLUMBING: &str = "the build plumbing is out of date";

/// What can be found without building: the tree against info.toml, the generated plumbing,
/// the wrong-fix and valid-alternative files, solutions and hints, and the rules for exercise
/// and check files. Returns the variations of the workbook too.
fn static_problems(wb: &Workbook, selected: &[&Exercise]) -> Result<(Vec<Variation>, Vec<String>)> {
    let root = &wb.root;
    let mut problems: Vec<String> = wb.tree_problems();
    let stale = if wb.rustlings_format {
        Vec::new()
    } else {
        sync::out_of_date(wb)?
    };
    if !stale.is_empty() {
        let files: Vec<String> = stale.iter().map(|p| format!("`{}`", p.display())).collect();
        problems.push(format!(
            "{STALE_PLUMBING} ({}): run `asynclings dev sync`",
            files.join(", ")
        ));
    }
    let (variations, fix_problems) = sync::variations(wb);
    problems.extend(fix_problems);
    for ex in selected {
        if !root.join(ex.solution_path()).is_file() {
            problems.push(format!(
                "`{}` is missing: every exercise needs a solution",
                ex.solution_path().display()
            ));
        }
        if ex.hints.is_empty() {
            problems.push(format!(
                "`{}` has no hints in info.toml (line {})",
                ex.name, ex.info_line
            ));
        }
        // A rustlings-format set is held to rustlings' rules: its files are crate roots
        // (inner attributes are fine) and need no `TODO` marker.
        if !wb.rustlings_format
            && let Ok(source) = std::fs::read_to_string(root.join(ex.path()))
        {
            problems.extend(authoring_problems(ex, &source));
        }
        if let Ok(checks) = std::fs::read_to_string(root.join(ex.check_path())) {
            problems.extend(check_file_problems(ex, &checks));
        }
    }
    Ok((variations, problems))
}

/// The verdict of `dev check` on one exercise.
#[derive(Debug)]
struct ExerciseVerdict {
    /// What was shown to hold, for the line of a sound exercise.
    summary: String,
    problems: Vec<String>,
}

/// Judges one exercise from its outcomes: the file as shipped must fail (or pass, when marked
/// so), the solution pass, each wrong fix fail as its header expects (`None` for a valid
/// alternative) and each valid alternative pass.
fn judge_exercise(
    ex: &Exercise,
    shipped: &Outcome,
    solved: &Outcome,
    tried: &[(&Variation, Outcome, Option<Expectation>)],
) -> ExerciseVerdict {
    let mut problems = Vec::new();
    match (ex.skip_check_unsolved, shipped.is_passed()) {
        (false, true) => problems.push(format!(
            "`{}` passes as shipped: the learner has nothing to fix (mark it \
             `skip_check_unsolved = true` if that is meant)",
            ex.path().display()
        )),
        (true, false) => problems.push(format!(
            "`{}` is marked to pass as shipped but does not: {}\n{}",
            ex.path().display(),
            shipped.label(),
            failure_text(shipped, &ex.path())
        )),
        _ => {}
    }
    if !solved.is_passed() {
        problems.push(format!(
            "`{}` does not pass its checks: {}\n{}",
            ex.solution_path().display(),
            solved.label(),
            failure_text(solved, &ex.solution_path())
        ));
    }
    let (mut n_fixes, mut n_valid) = (0, 0);
    for (variation, outcome, expected) in tried {
        let text = failure_text(outcome, &variation.path);
        let Some(expected) = expected else {
            n_valid += 1;
            if !outcome.is_passed() {
                problems.push(format!(
                    "valid alternative `{}` is a correct answer but the checks reject it \
                     ({}):\n{text}",
                    variation.path.display(),
                    outcome.label()
                ));
            }
            continue;
        };
        n_fixes += 1;
        let met = match (expected, outcome) {
            (Expectation::CompileError, Outcome::CompileError(_)) => true,
            (Expectation::Message(message), Outcome::ChecksFailed(_) | Outcome::TimedOut(_)) => {
                text.contains(message.as_str())
            }
            _ => false,
        };
        if !met {
            problems.push(format!(
                "wrong fix `{}` should fail with {expected:?} but the outcome was {}:\n{text}",
                variation.path.display(),
                outcome.label()
            ));
        }
    }
    let plural =
        |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    let mut summary = format!("{} as shipped, solution passes", shipped.label());
    if n_fixes > 0 {
        summary += &format!(", {} rejected", plural(n_fixes, "wrong fix", "wrong fixes"));
    }
    if n_valid > 0 {
        summary += &format!(
            ", {} accepted",
            plural(n_valid, "valid alternative", "valid alternatives")
        );
    }
    ExerciseVerdict { summary, problems }
}

/// What an exercise file must be like for the harness and for the learner.
fn authoring_problems(ex: &Exercise, source: &str) -> Vec<String> {
    let mut problems = Vec::new();
    let path = ex.path().display().to_string();
    // The harness `include!`s the file, where inner attributes and `//!` are not allowed.
    if let Some((n, line)) = source
        .lines()
        .enumerate()
        .find(|(_, l)| l.trim_start().starts_with("//!") || l.trim_start().starts_with("#!["))
    {
        problems.push(format!(
            "`{path}`:{}: `{}` cannot be `include!`d into the harness: use `//` comments and \
             put no crate attributes in exercise files",
            n + 1,
            line.trim()
        ));
    }
    if !ex.skip_check_unsolved && !source.contains("TODO") {
        problems.push(format!(
            "`{path}` has no `TODO` marker: mark each place the learner has to change"
        ));
    }
    problems
}

/// What a check file must be like to be safe from the learner's file it is compiled with.
fn check_file_problems(ex: &Exercise, source: &str) -> Vec<String> {
    let path = ex.check_path().display().to_string();
    source
        .lines()
        .enumerate()
        .filter(|(_, line)| {
            let line = line.trim_start();
            line.starts_with("use ") && line.contains("super::") && line.contains('*')
        })
        .map(|(n, line)| {
            format!(
                "`{path}`:{}: `{}` glob-imports the learner's file: import the items the checks \
                 use by name (`use super::{{a, B}};`), so that a learner's `Vec`, `Ok` or \
                 `assert_eq!` cannot stand in for the real one",
                n + 1,
                line.trim()
            )
        })
        .collect()
}

fn report(problems: Vec<String>, n_ok: usize) -> Result<ExitCode> {
    if problems.is_empty() {
        outln!(
            "\n{} all {n_ok} exercises are sound.",
            term::green("dev check:")
        )?;
        return Ok(ExitCode::SUCCESS);
    }
    outln!()?;
    for problem in &problems {
        outln!("{} {problem}\n", term::red("problem:"))?;
    }
    outln!(
        "{} {} problem(s)",
        term::red("dev check failed:"),
        problems.len()
    )?;
    Ok(ExitCode::FAILURE)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcome::{CheckFailure, ChecksFailed, Passed};

    fn exercise() -> Exercise {
        Exercise::for_tests("03_join", "join1")
    }

    fn passed() -> Outcome {
        Outcome::Passed(Passed {
            n_checks: 2,
            warnings: Vec::new(),
            output: String::new(),
        })
    }

    fn failed(message: &str) -> Outcome {
        Outcome::ChecksFailed(ChecksFailed {
            failures: vec![CheckFailure {
                name: "timing".to_owned(),
                message: message.to_owned(),
                timeline: None,
            }],
            n_checks: 2,
            warnings: Vec::new(),
        })
    }

    fn variation(kind: VariationKind, what: &str) -> Variation {
        Variation {
            kind,
            exercise: "join1".to_owned(),
            what: what.to_owned(),
            path: std::path::PathBuf::from(format!("tests/x/join1__{what}.rs")),
        }
    }

    #[test]
    fn a_sound_exercise_says_what_held() {
        let fix = variation(VariationKind::WrongFix, "in_turn");
        let valid = variation(VariationKind::ValidAlternative, "join_all");
        let tried = [
            (
                &fix,
                failed("took 420ms: are they awaited one after another?"),
                Some(Expectation::Message("awaited one after another".to_owned())),
            ),
            (&valid, passed(), None),
        ];
        let verdict = judge_exercise(&exercise(), &failed("x"), &passed(), &tried);
        assert!(verdict.problems.is_empty(), "{:?}", verdict.problems);
        assert_eq!(
            verdict.summary,
            "checks failed as shipped, solution passes, 1 wrong fix rejected, 1 valid \
             alternative accepted"
        );
    }

    #[test]
    fn each_broken_promise_is_a_problem_of_its_own() {
        let fix = variation(VariationKind::WrongFix, "in_turn");
        let valid = variation(VariationKind::ValidAlternative, "join_all");
        let tried = [
            // The wrong fix fails, but not for the reason its header gives.
            (
                &fix,
                failed("a different message"),
                Some(Expectation::Message("awaited one after another".to_owned())),
            ),
            (&valid, failed("rejected"), None),
        ];
        let verdict = judge_exercise(&exercise(), &passed(), &failed("no"), &tried);
        let problems = verdict.problems.join("\n");
        assert_eq!(verdict.problems.len(), 4, "{problems}");
        assert!(problems.contains("passes as shipped"), "{problems}");
        assert!(problems.contains("does not pass its checks"), "{problems}");
        assert!(
            problems.contains("wrong fix `tests/x/join1__in_turn.rs` should fail"),
            "{problems}"
        );
        assert!(
            problems.contains("valid alternative `tests/x/join1__join_all.rs`"),
            "{problems}"
        );
    }
}
