//! A rustlings-format set (`tests/fixtures/rustlings_format`: info.toml, exercises/ and
//! solutions/, no Cargo plumbing) run as it is: `dev check`, one build per check, inner
//! attributes, and clippy as rustlings runs it.

use std::path::Path;

use crate::support::Workbook;

/// The exercises and solutions whose test targets rustc has compiled (or tried to) in the set's
/// build root.
fn built_targets(wb: &Workbook) -> Vec<String> {
    let deps = wb
        .path()
        .join("target/asynclings/workbook/target/asynclings/debug/deps");
    let mut names: Vec<String> = std::fs::read_dir(&deps)
        .unwrap_or_else(|err| panic!("no `{}`: {err}", deps.display()))
        .flatten()
        .filter_map(|entry| {
            let name = entry.file_name().to_string_lossy().into_owned();
            // `vecs1-0123abcd.d`: the dep-info file rustc writes for every target it compiles,
            // whether or not the compilation succeeds.
            let stem = name.strip_suffix(".d")?;
            let (target, _hash) = stem.rsplit_once('-')?;
            (target != "asynclings_support").then(|| target.to_owned())
        })
        .collect();
    names.sort();
    names.dedup();
    names
}

#[test]
fn dev_check_passes_on_the_set_with_nothing_added_to_it() {
    let wb = Workbook::fixture("rustlings_format");
    wb.run(["dev", "check"])
        .succeeds()
        .stdout_has("✓ intro1 ")
        .stdout_has("compile error as shipped, solution passes")
        .stdout_has("clippy warnings as shipped, solution passes")
        .stdout_has("all 7 exercises are sound");
    // The plumbing lives in the build root under `target/`, never in the set.
    for absent in ["Cargo.toml", "checks", "exercises/Cargo.toml"] {
        assert!(!wb.path().join(absent).exists(), "`{absent}` was written");
    }
    let status = wb.git(&["status", "--porcelain", "--untracked-files=normal"]);
    assert_eq!(status, "?? target/\n", "only builds are added to the set");
    wb.run(["dev", "sync"])
        .succeeds()
        .stdout_has("nothing to sync");
}

#[test]
fn a_failing_solution_is_named_in_dev_check() {
    let wb = Workbook::fixture("rustlings_format");
    wb.write(
        "solutions/01_functions/functions1.rs",
        "fn answer() -> i32 {\n    \"42\"\n}\n\nfn main() {\n    println!(\"{}\", answer());\n}\n",
    );
    wb.run(["dev", "check", "functions1"])
        .fails()
        .stdout_has("`solutions/01_functions/functions1.rs` does not pass its checks")
        .stdout_has("`solutions/01_functions/functions1.rs` does not compile yet")
        .stdout_lacks("``");
}

#[test]
fn run_builds_only_the_exercise_it_checks() {
    let wb = Workbook::fixture("rustlings_format");
    // Three neighbours do not compile; none of their errors may show, none may be built.
    wb.run(["run", "vecs1"])
        .checks_fail()
        .stdout_has("tests::doubles_each_value")
        .stdout_has("panicked at exercises/02_vecs/vecs1.rs:16:9")
        .stdout_lacks("functions")
        .stdout_lacks("error");
    assert_eq!(built_targets(&wb), ["vecs1"]);
    wb.run(["run", "functions2"])
        .compile_error()
        .stdout_has("exercises/01_functions/functions2.rs:2:11")
        .stdout_lacks("functions1.rs")
        .stdout_lacks("functions3.rs");
    // Compiled (and failed): it, and still none of its neighbours.
    assert_eq!(built_targets(&wb), ["functions2", "vecs1"]);
    wb.solve("02_vecs", "vecs1");
    wb.run(["run", "vecs1"])
        .passes()
        .stdout_has("its check passes")
        .stdout_has("Next: `attributes1`");
    assert_eq!(built_targets(&wb), ["functions2", "vecs1"]);
}

#[test]
fn inner_attributes_and_doc_comments_compile_on_the_learners_own_lines() {
    let wb = Workbook::fixture("rustlings_format");
    let path = "exercises/03_attributes/attributes1.rs";
    assert!(wb.read(path).starts_with("//! "));
    wb.run(["run", "attributes1"])
        .checks_fail()
        .stdout_has("panicked at exercises/03_attributes/attributes1.rs:22:9");
    // A compile error is reported on the line of the learner's file where it is.
    wb.write(
        path,
        &wb.read(path)
            .replace("    values.len()\n", "    values.len() + \"1\"\n"),
    );
    wb.run(["run", "attributes1"])
        .compile_error()
        .stdout_has("--> exercises/03_attributes/attributes1.rs:9:")
        .stdout_lacks("harness");
    wb.solve("03_attributes", "attributes1");
    wb.run(["run", "attributes1"]).passes();
}

#[test]
fn strict_clippy_counts_clippys_warnings_as_errors() {
    let wb = Workbook::fixture("rustlings_format");
    wb.run(["run", "clippy1"])
        .clippy_fails()
        .stdout_has("clippy::len_zero")
        .stdout_has("--> exercises/04_clippy/clippy1.rs:6:8");
    // Unchanged, the build is fresh: cargo replays clippy's warnings and the verdict stands.
    wb.run(["run", "clippy1"])
        .clippy_fails()
        .stdout_has("clippy::len_zero");
    wb.solve("04_clippy", "clippy1");
    wb.run(["run", "clippy1"]).passes().stdout_lacks("warning");
}

#[test]
fn clippy_runs_on_every_exercise_as_rustlings_does() {
    let wb = Workbook::fixture("rustlings_format");
    let path = "exercises/00_intro/intro1.rs";
    // A warning does not fail an exercise without `strict_clippy`, but it is shown.
    wb.write(
        path,
        "fn main() {\n    let names: Vec<&str> = Vec::new();\n    println!(\"{}\", names.len() == 0);\n}\n",
    );
    wb.run(["run", "intro1"])
        .passes()
        .stdout_has("clippy::len_zero");
    // An error-level lint fails it, as it fails rustlings' `cargo clippy`.
    wb.write(
        path,
        "fn main() {\n    let circle = 2.0 * 3.14;\n    println!(\"{circle}\");\n}\n",
    );
    wb.run(["run", "intro1"])
        .compile_error()
        .stdout_has("clippy::approx_constant")
        .stdout_has("--> exercises/00_intro/intro1.rs:2:24");
}

#[test]
fn verify_shows_only_the_first_exercise_to_fix() {
    let wb = Workbook::fixture("rustlings_format");
    wb.run(["verify"])
        .fails()
        .stdout_has("functions1")
        .stdout_lacks("solutions/")
        .stdout_lacks("functions2.rs:");
}

#[test]
fn grade_says_what_it_needs() {
    let wb = Workbook::fixture("rustlings_format");
    wb.run(["grade"])
        .clean_error()
        .stderr_has("rustlings-format set")
        .stderr_has("asynclings verify");
}

#[test]
fn the_set_may_carry_the_manifest_rustlings_init_writes() {
    let wb = Workbook::fixture("rustlings_format");
    // What `rustlings init` writes: the exercises as binaries of one package.
    wb.write(
        "Cargo.toml",
        "bin = [\n  { name = \"vecs1\", path = \"exercises/02_vecs/vecs1.rs\" },\n]\n\n\
         [package]\nname = \"exercises\"\nedition = \"2024\"\npublish = false\n\n\
         [profile.dev]\npanic = \"abort\"\n",
    );
    wb.run(["run", "vecs1"]).checks_fail();
    assert!(Path::new(&wb.path().join("target/asynclings/workbook/Cargo.toml")).is_file());
}
