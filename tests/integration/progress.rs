//! Progress: `hint` levels, `list`, `verify`, and the state file.

use crate::support::Workbook;

#[test]
fn hints_deepen_one_level_at_a_time_and_are_remembered() {
    let wb = Workbook::fixture("basic");
    let first = wb.run(["hint", "pass1"]);
    first
        .succeeds()
        .stdout_has("Hint 1 of 3 for pass1\nfirst nudge")
        .stdout_lacks("second");
    let second = wb.run(["hint", "pass1"]);
    second
        .succeeds()
        .stdout_has("first nudge")
        .stdout_has("Hint 2 of 3 for pass1\nsecond: the concept")
        .stdout_lacks("third");
    wb.run(["hint", "pass1"])
        .succeeds()
        .stdout_has("third: nearly the answer")
        .stdout_has("That was the last hint");
    wb.run(["hint", "pass1"])
        .succeeds()
        .stdout_has("Hint 3 of 3");
    assert!(wb.read(".asynclings-state.toml").contains("pass1 = 3"));
}

#[test]
fn hint_all_shows_every_level() {
    let wb = Workbook::fixture("basic");
    wb.run(["hint", "pass1", "--all"])
        .succeeds()
        .stdout_has("first nudge")
        .stdout_has("third: nearly the answer");
}

#[test]
fn list_shows_states_the_current_marker_and_progress() {
    let wb = Workbook::fixture("basic");
    wb.run(["run", "pass1"]).passes();
    wb.remove("exercises/b/exit1.rs");
    let list = wb.run(["list"]);
    list.succeeds()
        .stdout_has("  pass1     done     exercises/a/pass1.rs")
        .stdout_has("> compile1  pending  exercises/a/compile1.rs")
        .stdout_has("  exit1     missing  exercises/b/exit1.rs")
        .stdout_has("Progress: [#####-----------------------------------] 1/8 (12%)");
}

#[test]
fn verify_checks_everything_and_shows_the_first_failure() {
    let wb = Workbook::fixture("basic");
    wb.solve("a", "compile1");
    let run = wb.run(["verify"]);
    run.fails()
        .stdout_has("✓ [ 1/8] pass1")
        .stdout_has("✓ [ 2/8] compile1")
        .stdout_has("✗ [ 3/8] fail1                        checks failed")
        .stdout_has("✗ [ 4/8] hang1                        timed out")
        .stdout_has("2 of 8 exercises pass.")
        .stdout_has("The first exercise to fix:")
        .stdout_has("double(21) returned 23");
    let state = wb.read(".asynclings-state.toml");
    assert!(
        state.contains("done = [\"compile1\", \"pass1\"]"),
        "{state}"
    );
    assert!(state.contains("current = \"fail1\""), "{state}");
}

#[test]
fn a_corrupt_state_file_is_reported_kept_and_rebuilt() {
    let wb = Workbook::fixture("basic");
    wb.write(".asynclings-state.toml", "done = [\"pass1\"\n");
    wb.run(["run", "pass1"])
        .passes()
        .stderr_has("warning: your progress file `.asynclings-state.toml` could not be read")
        .stderr_has("asynclings verify");
    let kept: Vec<_> = std::fs::read_dir(wb.path())
        .unwrap()
        .flatten()
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with(".asynclings-state.toml.corrupt-")
        })
        .collect();
    assert_eq!(kept.len(), 1, "the corrupt file is kept aside");
    assert!(
        wb.read(".asynclings-state.toml")
            .contains("done = [\"pass1\"]")
    );
}

#[test]
fn the_list_and_hint_screens() {
    let wb = Workbook::fixture("basic");
    wb.run(["run", "pass1"]).passes();
    insta::assert_snapshot!("list", wb.run(["list"]).stdout);
    wb.run(["hint", "pass1"]).succeeds();
    insta::assert_snapshot!("hint_level_2", wb.run(["hint", "pass1"]).stdout);
}

#[test]
fn works_from_a_subdirectory_of_the_workbook() {
    let wb = Workbook::fixture("basic");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_asynclings"))
        .arg("list")
        .current_dir(wb.path().join("exercises/a"))
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("pass1     pending  exercises/a/pass1.rs")
    );
}

#[test]
fn the_verify_summary() {
    let wb = Workbook::fixture("basic");
    wb.solve("a", "compile1");
    let run = wb.run(["verify"]);
    run.fails();
    let summary: Vec<&str> = run
        .stdout
        .lines()
        .take_while(|l| !l.starts_with("The first exercise"))
        .collect();
    insta::assert_snapshot!("verify", summary.join("\n"));
}

#[test]
fn a_reader_that_stops_early_ends_the_command_quietly() {
    let wb = Workbook::fixture("basic");
    for args in [&["list"][..], &["explain"][..], &["hint", "--all"][..]] {
        // The reader is gone before asynclings writes anything: every write meets a closed pipe.
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_asynclings"))
            .args(args)
            .current_dir(wb.path())
            .env("NO_COLOR", "1")
            .stdin(std::process::Stdio::null())
            .stdout(writer)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(141), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert!(!stderr.contains("error:"), "{args:?}: {stderr}");
    }
}
