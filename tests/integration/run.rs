//! `asynclings run`: one outcome for each kind of exercise, and the cheats that are not passes.

use crate::support::Workbook;

#[test]
fn a_passing_exercise_is_done_and_points_at_the_next() {
    let wb = Workbook::fixture("basic");
    // pass1 passes as shipped: nothing to compare with a solution yet.
    wb.run(["run", "pass1"])
        .passes()
        .stdout_has("its check passes")
        .stdout_has("Nothing to fix here")
        .stdout_lacks("solutions/a/pass1.rs")
        .stdout_has("Next: `compile1`");
    assert!(
        wb.read(".asynclings-state.toml")
            .contains("done = [\"pass1\"]")
    );
    // A fixed exercise points at its solution.
    wb.solve("a", "fail1");
    wb.run(["run", "fail1"])
        .passes()
        .stdout_has("Compare with the solution in `solutions/a/fail1.rs`");
    // Broken again, it says it is no longer done rather than dropping it silently.
    wb.write(
        "exercises/a/fail1.rs",
        &wb.read("exercises/a/fail1.rs").replace("x * 2", "x + 2"),
    );
    wb.run(["run", "fail1"])
        .checks_fail()
        .stdout_has("`fail1` was done; this version fails, so it is no longer marked done.");
}

#[test]
fn a_compile_error_shows_rustc_with_the_learners_path() {
    let wb = Workbook::fixture("basic");
    let run = wb.run(["run", "compile1"]);
    run.compile_error()
        .stdout_has("error[E0308]: mismatched types")
        .stdout_has("--> exercises/a/compile1.rs:3:5")
        .stdout_lacks("checks/harness")
        .stdout_has("asynclings hint compile1");
    assert!(
        !run.stdout.contains('\x1b'),
        "NO_COLOR output has no escape codes"
    );
}

#[test]
fn a_failing_check_shows_its_own_message() {
    let wb = Workbook::fixture("basic");
    wb.run(["run", "fail1"])
        .checks_fail()
        .stdout_has("✗ doubles_larger_numbers")
        .stdout_has("double(21) returned 23: does it add instead of multiplying?")
        .stdout_has("1 of 2 checks failed")
        .stdout_lacks("doubles_small_numbers");
}

#[test]
fn a_hang_is_stopped_at_the_time_limit_and_explained() {
    let wb = Workbook::fixture("basic");
    wb.run(["run", "hang1"])
        .times_out()
        .stdout_has("did not finish within 1s (still running: returns)")
        .stdout_has("blocked or the tasks deadlocked");
}

#[test]
fn exiting_with_status_zero_is_not_a_pass() {
    let wb = Workbook::fixture("basic");
    wb.run(["run", "exit1"])
        .checks_fail()
        .stdout_has("value_is_three")
        .stdout_has("never reported a result");
    assert!(wb.read(".asynclings-state.toml").contains("done = []"));
}

#[test]
fn printing_a_fake_passing_report_is_not_a_pass() {
    let wb = Workbook::fixture("basic");
    wb.run(["run", "fake1"])
        .checks_fail()
        .stdout_has("value_is_five")
        .stdout_has("never reported a result");
}

#[test]
fn a_program_exercise_must_exit_successfully() {
    let wb = Workbook::fixture("basic");
    wb.run(["run", "program1"])
        .checks_fail()
        .stdout_has("exit status: 2")
        .stdout_has("about to fail");
    wb.solve("b", "program1");
    wb.run(["run", "program1"])
        .passes()
        .stdout_has("all good")
        .stdout_has("it runs");
}

#[test]
fn inline_tests_run_when_there_is_no_check_file() {
    let wb = Workbook::fixture("basic");
    wb.run(["run", "inline1"])
        .checks_fail()
        .stdout_has("tests::triples");
    wb.solve("b", "inline1");
    wb.run(["run", "inline1"]).passes();
}

#[test]
fn fixing_the_file_turns_the_verdict_around() {
    let wb = Workbook::fixture("basic");
    wb.run(["run", "fail1"]).checks_fail();
    wb.solve("a", "fail1");
    wb.run(["run", "fail1"])
        .passes()
        .stdout_has("all 2 checks pass");
}

#[test]
fn no_command_welcomes_a_first_timer_and_checks_the_first_exercise() {
    let wb = Workbook::fixture("basic");
    wb.run([])
        .succeeds()
        .stdout_has("Welcome to the fixture workbook.")
        .stdout_has("exercises/a/pass1.rs");
    wb.run([])
        .fails()
        .stdout_lacks("Welcome")
        .stdout_has("exercises/a/compile1.rs");
}

#[test]
fn an_unknown_name_suggests_the_closest() {
    let wb = Workbook::fixture("basic");
    wb.run(["run", "fial1"])
        .fails()
        .clean_error()
        .stderr_has("there is no exercise `fial1`: did you mean `fail1`?");
}

#[test]
fn a_deleted_exercise_file_is_named_with_the_way_back() {
    let wb = Workbook::fixture("basic");
    wb.remove("exercises/a/fail1.rs");
    wb.run(["run", "fail1"])
        .fails()
        .clean_error()
        .stderr_has("`exercises/a/fail1.rs` is missing")
        .stderr_has("asynclings reset fail1");
}

#[test]
fn no_cargo_on_path_is_one_clear_message() {
    let wb = Workbook::fixture("basic");
    wb.run_with(["run", "pass1"], |cmd| {
        cmd.env_remove("CARGO").env("PATH", "/nonexistent");
    })
    .fails()
    .clean_error()
    .stderr_has("could not start it: install Rust with rustup");
}

#[test]
fn an_error_inside_the_hidden_checks_is_said_to_be_there() {
    let wb = Workbook::fixture("basic");
    // The learner renamed the function the checks call.
    wb.write(
        "exercises/a/fail1.rs",
        &wb.read("exercises/a/fail1.rs")
            .replace("fn double", "fn twice")
            .replace("double(2)", "twice(2)"),
    );
    wb.run(["run", "fail1"])
        .compile_error()
        .stdout_has("--> checks/a/fail1.rs:")
        .stdout_has("Note: this error is in the hidden checks, not in your file.");
    // An error in the learner's own file gets no such note.
    wb.run(["run", "compile1"])
        .compile_error()
        .stdout_lacks("in the hidden checks");
}

#[test]
fn an_exercise_is_named_by_the_path_the_screens_print() {
    let wb = Workbook::fixture("basic");
    wb.run(["hint", "exercises/a/fail1.rs"])
        .succeeds()
        .stdout_has("for fail1");
    wb.run(["run", "a/fail1.rs"]).checks_fail();
}

#[test]
fn strict_clippy_makes_clippys_warnings_on_the_learners_file_part_of_the_verdict() {
    let wb = Workbook::fixture("basic");
    wb.write(
        "info.toml",
        &wb.read("info.toml").replacen(
            "skip_check_unsolved = true\n",
            "skip_check_unsolved = true\nstrict_clippy = true\n",
            1,
        ),
    );
    wb.run(["run", "pass1"]).passes();
    // Right answer, but clippy has a warning about the way it is written.
    wb.write(
        "exercises/a/pass1.rs",
        "fn answer() -> u32 {\n    let digits: Vec<u32> = Vec::new();\n    \
         if digits.len() == 0 { 42 } else { 0 }\n}\n\nfn main() {\n    println!(\"{}\", answer());\n}\n",
    );
    wb.run(["run", "pass1"])
        .clippy_fails()
        .stdout_has("clippy::len_zero")
        .stdout_has("--> exercises/a/pass1.rs:3:8")
        .stdout_lacks("checks/");
}

#[test]
fn main_runs_the_file_as_a_program_without_a_verdict() {
    let wb = Workbook::fixture("basic");
    // fail1's checks fail, but its program runs: 2 + 2.
    wb.run(["run", "fail1", "--main"])
        .succeeds()
        .stdout_has("Running exercises/a/fail1.rs as a program")
        .stdout_has("\n4\n")
        .stdout_has("It ran to the end.")
        .stdout_lacks("Checks failed");
    wb.run(["run", "compile1", "--main"])
        .fails()
        .stdout_has("error[E0308]: mismatched types")
        .stdout_has("does not compile yet");
    // No verdict was recorded: the progress is as it was.
    assert!(
        !wb.path().join(".asynclings-state.toml").exists() || {
            let state = wb.read(".asynclings-state.toml");
            !state.contains("fail1")
        }
    );
}
