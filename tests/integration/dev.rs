//! `asynclings dev check` and `dev sync` on the fixture workbook.

use crate::support::Workbook;

#[test]
fn dev_check_proves_the_fixture_sound() {
    let wb = Workbook::fixture("basic");
    wb.run(["dev", "check"])
        .succeeds()
        .stdout_has("✓ compile1                     compile error as shipped, solution passes")
        .stdout_has("✓ hang1                        timed out as shipped, solution passes")
        .stdout_has("all 8 exercises are sound");
}

#[test]
fn dev_check_catches_an_exercise_that_passes_as_shipped() {
    let wb = Workbook::fixture("basic");
    wb.solve("a", "fail1");
    wb.run(["dev", "check", "fail1"])
        .fails()
        .stdout_has("`exercises/a/fail1.rs` passes as shipped");
}

#[test]
fn dev_check_catches_a_failing_solution() {
    let wb = Workbook::fixture("basic");
    wb.write("solutions/a/fail1.rs", &wb.read("exercises/a/fail1.rs"));
    wb.run(["dev", "check", "fail1"])
        .fails()
        .stdout_has("`solutions/a/fail1.rs` does not pass its checks: checks failed");
}

#[test]
fn dev_check_reports_tree_problems() {
    let wb = Workbook::fixture("basic");
    wb.write("exercises/a/stray.rs", "fn main() {}\n");
    wb.write("checks/a/orphan.rs", "use super::*;\n");
    wb.remove("exercises/b/fake1.rs");
    wb.run(["dev", "check"])
        .fails()
        .stdout_has("`exercises/a/stray.rs` is not listed in info.toml")
        .stdout_has("`checks/a/orphan.rs` checks an exercise that info.toml does not list")
        .stdout_has("`exercises/b/fake1.rs` is missing");
}

#[test]
fn wrong_fixes_must_fail_with_their_message() {
    let wb = Workbook::fixture("basic");
    let wrong = wb.read("exercises/a/fail1.rs").replace(
        "x + 2 // TODO",
        "x + x - 0 + 21 - 21 + 0 * x + if x == 2 { 0 } else { 1 }",
    );
    wb.write(
        "tests/wrong_fixes/fail1__off_by_one.rs",
        &format!("// expect: does it add instead of multiplying?\n{wrong}"),
    );
    wb.write(
        "tests/wrong_fixes/fail1__not_even_compiling.rs",
        "// expect: compile error\nfn double(x: u32) -> u32 { x * }\nfn main() {}\n",
    );
    wb.run(["dev", "check", "fail1"])
        .fails()
        .stdout_has("plumbing is out of date");
    wb.run(["dev", "sync"])
        .succeeds()
        .stdout_has("checks/harness/wrong/fail1__off_by_one.rs");
    wb.run(["dev", "check", "fail1"])
        .succeeds()
        .stdout_has("2 wrong fixes rejected");
    // A wrong fix that passes, or fails for another reason, is a problem.
    wb.write(
        "tests/wrong_fixes/fail1__off_by_one.rs",
        &format!("// expect: some other message\n{wrong}"),
    );
    wb.run(["dev", "check", "fail1"]).fails().stdout_has("wrong fix `tests/wrong_fixes/fail1__off_by_one.rs` should fail with Message(\"some other message\")");
}

#[test]
fn dev_sync_writes_plumbing_for_a_new_exercise() {
    let wb = Workbook::fixture("basic");
    let info =
        wb.read("info.toml") + "\n[[exercises]]\nname = \"new1\"\ndir = \"c\"\nhints = [\"x\"]\n";
    wb.write("info.toml", &info);
    wb.write("exercises/c/new1.rs", "fn main() {}\n");
    wb.run(["dev", "sync"])
        .succeeds()
        .stdout_has("wrote checks/harness/new1.rs");
    assert!(
        wb.read("checks/Cargo.toml")
            .contains("name = \"new1-solution\"\npath = \"harness/new1-solution.rs\"")
    );
    assert!(
        wb.read("exercises/Cargo.toml")
            .contains("name = \"new1\"\npath = \"c/new1.rs\"")
    );
    wb.run(["dev", "sync"]).succeeds().stdout_has("up to date");
}

#[test]
fn repeat_runs_catch_a_flaky_check() {
    let wb = Workbook::fixture("flaky");
    // One run cannot tell; the second run of its check fails where the first passed.
    wb.run(["dev", "check"]).succeeds();
    wb.run(["dev", "check", "--repeat", "3"])
        .fails()
        .stdout_has("flaky: run")
        .stdout_has("where run 1 gave");
}

#[test]
fn dev_check_names_files_the_harness_cannot_include() {
    let wb = Workbook::fixture("basic");
    wb.write(
        "exercises/a/fail1.rs",
        "//! A crate doc.\nfn double(x: u32) -> u32 {\n    x + 2\n}\n\nfn main() {}\n",
    );
    wb.run(["dev", "check", "fail1"])
        .fails()
        .stdout_has("`exercises/a/fail1.rs`:1: `//! A crate doc.` cannot be `include!`d")
        .stdout_has("`exercises/a/fail1.rs` has no `TODO` marker");
}
