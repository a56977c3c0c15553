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
use crate::sync::{self, Variation, VariationKind};
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
    let mut problems: Vec<String> = wb.tree_problems();
    let stale = if wb.rustlings_format {
        Vec::new()
    } else {
        sync::out_of_date(&wb)?
    };
    if !stale.is_empty() {
        let files: Vec<String> = stale.iter().map(|p| format!("`{}`", p.display())).collect();
        problems.push(format!(
            "the build plumbing is out of date ({}): run `asynclings dev sync`",
            files.join(", ")
        ));
    }
    let (variations, fix_problems) = sync::variations(&wb);
    problems.extend(fix_problems);
    let selected: Vec<&Exercise> = if names.is_empty() {
        wb.exercises.iter().collect()
    } else {
        names
            .iter()
            .map(|name| wb.find(name).map(|idx| &wb.exercises[idx]))
            .collect::<Result<_>>()?
    };
    for ex in &selected {
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
    if !stale.is_empty() {
        // Building against stale plumbing would report confusing errors; sync first.
        return report(problems, 0);
    }

    ensure_dependencies(&wb).await?;
    // Everything is built in one cargo run and checked in parallel; then judged in order.
    let mut items: Vec<(&Exercise, String)> = Vec::new();
    for ex in &selected {
        items.push((ex, ex.harness_bin(Variant::Exercise)));
        items.push((ex, ex.harness_bin(Variant::Solution)));
        for variation in variations.iter().filter(|v| v.exercise == ex.name) {
            items.push((ex, variation.bin()));
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
        .map(|(_, bin)| bin.clone())
        .zip(outcomes.into_iter().map(|(o, _)| o))
        .collect();
    let mut take = |bin: String| outcomes.remove(&bin).expect("every harness was checked");
    let mut n_ok = 0;
    for ex in &selected {
        let mut line_problems = Vec::new();
        let shipped = take(ex.harness_bin(Variant::Exercise));
        match (ex.skip_check_unsolved, shipped.is_passed()) {
            (false, true) => line_problems.push(format!(
                "`{}` passes as shipped: the learner has nothing to fix (mark it \
                 `skip_check_unsolved = true` if that is meant)",
                ex.path().display()
            )),
            (true, false) => line_problems.push(format!(
                "`{}` is marked to pass as shipped but does not: {}\n{}",
                ex.path().display(),
                shipped.label(),
                failure_text(&shipped, &ex.path())
            )),
            _ => {}
        }
        let solved = take(ex.harness_bin(Variant::Solution));
        if !solved.is_passed() {
            line_problems.push(format!(
                "`{}` does not pass its checks: {}\n{}",
                ex.solution_path().display(),
                solved.label(),
                failure_text(&solved, &ex.solution_path())
            ));
        }
        if let Some(diff) = cargo::rustfmt_check(&root.join(ex.solution_path())).await? {
            line_problems.push(format!(
                "`{}` is not rustfmt-clean:\n{diff}",
                ex.solution_path().display()
            ));
        }
        let mut n_fixes = 0;
        let mut n_valid = 0;
        for variation in variations.iter().filter(|v| v.exercise == ex.name) {
            let outcome = take(variation.bin());
            let text = failure_text(&outcome, &variation.path);
            if variation.kind == VariationKind::ValidAlternative {
                n_valid += 1;
                if !outcome.is_passed() {
                    line_problems.push(format!(
                        "valid alternative `{}` is a correct answer but the checks reject it \
                         ({}):\n{text}",
                        variation.path.display(),
                        outcome.label()
                    ));
                }
                continue;
            }
            n_fixes += 1;
            let expected = expectation(variation, root)?;
            let met = match (&expected, &outcome) {
                (Expectation::CompileError, Outcome::CompileError(_)) => true,
                (
                    Expectation::Message(message),
                    Outcome::ChecksFailed(_) | Outcome::TimedOut(_),
                ) => text.contains(message.as_str()),
                _ => false,
            };
            if !met {
                line_problems.push(format!(
                    "wrong fix `{}` should fail with {expected:?} but the outcome was {}:\n{text}",
                    variation.path.display(),
                    outcome.label()
                ));
            }
        }
        let plural =
            |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
        let mut fixes_note = String::new();
        if n_fixes > 0 {
            fixes_note += &format!(", {} rejected", plural(n_fixes, "wrong fix", "wrong fixes"));
        }
        if n_valid > 0 {
            fixes_note += &format!(
                ", {} accepted",
                plural(n_valid, "valid alternative", "valid alternatives")
            );
        }
        let runs_note = if runs > 1 {
            format!(" ({runs} runs each)")
        } else {
            String::new()
        };
        if line_problems.is_empty() {
            n_ok += 1;
            outln!(
                "{} {:<28} {} as shipped, solution passes{fixes_note}{runs_note}",
                term::green("✓"),
                ex.name,
                shipped.label(),
            )?;
        } else {
            outln!("{} {}", term::red("✗"), ex.name)?;
            problems.extend(line_problems);
        }
    }
    report(problems, n_ok)
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
