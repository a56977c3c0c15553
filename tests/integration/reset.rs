//! `asynclings reset`: the shipped version back, the learner's kept.

use crate::support::Workbook;

#[test]
fn reset_restores_the_shipped_file_and_keeps_a_backup() {
    let wb = Workbook::fixture("basic");
    let shipped = wb.read("exercises/a/fail1.rs");
    wb.solve("a", "fail1");
    wb.run(["run", "fail1"]).passes();
    let mine = wb.read("exercises/a/fail1.rs");
    wb.run(["reset", "fail1"])
        .succeeds()
        .stdout_has("Your version is saved as `.asynclings-backups/fail1-1.rs`")
        .stdout_has("Restored `exercises/a/fail1.rs`");
    assert_eq!(wb.read("exercises/a/fail1.rs"), shipped);
    assert_eq!(wb.read(".asynclings-backups/fail1-1.rs"), mine);
    assert!(
        !wb.read(".asynclings-state.toml").contains("fail1\""),
        "no longer done"
    );
    // A second reset of a changed file keeps both backups.
    wb.write("exercises/a/fail1.rs", "// second attempt\n");
    wb.run(["reset", "fail1"])
        .succeeds()
        .stdout_has("fail1-2.rs");
    assert_eq!(wb.read(".asynclings-backups/fail1-1.rs"), mine);
}

#[test]
fn reset_finds_the_shipped_version_after_the_learner_committed() {
    let wb = Workbook::fixture("basic");
    let shipped = wb.read("exercises/a/fail1.rs");
    wb.solve("a", "fail1");
    wb.git(&["commit", "-qam", "my solution"]);
    wb.run(["reset", "fail1"]).succeeds();
    assert_eq!(wb.read("exercises/a/fail1.rs"), shipped);
}

#[test]
fn reset_in_a_clone_where_every_commit_is_mine_restores_the_newest() {
    // An author's or a CI checkout: every commit has the local git user's email. What ships is
    // the newest commit, not the oldest one that touched the file.
    let wb = Workbook::fixture("basic");
    wb.git(&["config", "user.email", "teacher@example.com"]);
    let newer = wb
        .read("exercises/a/fail1.rs")
        .replace("// TODO", "// TODO: double it");
    wb.write("exercises/a/fail1.rs", &newer);
    wb.git(&["commit", "-qam", "a clearer TODO"]);
    wb.write("exercises/a/fail1.rs", "// mine\n");
    wb.run(["reset", "fail1"])
        .succeeds()
        .stdout_has("to the shipped version (from commit ")
        .stdout_has("by teacher@example.com)");
    assert_eq!(wb.read("exercises/a/fail1.rs"), newer);
}

#[test]
fn reset_brings_back_a_deleted_file() {
    let wb = Workbook::fixture("basic");
    let shipped = wb.read("exercises/a/fail1.rs");
    wb.remove("exercises/a/fail1.rs");
    wb.run(["reset", "fail1"]).succeeds().stdout_lacks("backup");
    assert_eq!(wb.read("exercises/a/fail1.rs"), shipped);
}

#[test]
fn reset_without_git_history_says_so_and_touches_nothing() {
    let wb = Workbook::fixture("basic");
    std::fs::remove_dir_all(wb.path().join(".git")).unwrap();
    wb.write("exercises/a/fail1.rs", "// mine\n");
    wb.run(["reset", "fail1"])
        .fails()
        .clean_error()
        .stderr_has("git history");
    assert_eq!(wb.read("exercises/a/fail1.rs"), "// mine\n");
}

#[test]
fn reset_all_restores_every_changed_exercise_and_keeps_each() {
    let wb = Workbook::fixture("basic");
    let shipped = [
        wb.read("exercises/a/fail1.rs"),
        wb.read("exercises/a/compile1.rs"),
    ];
    wb.solve("a", "fail1");
    wb.run(["run", "fail1"]).passes();
    wb.write("exercises/a/compile1.rs", "// my attempt\n");
    wb.run(["reset", "--all"])
        .succeeds()
        .stdout_has("2 of 8 exercises restored")
        .stdout_has("fail1-1.rs")
        .stdout_has("compile1-1.rs");
    assert_eq!(wb.read("exercises/a/fail1.rs"), shipped[0]);
    assert_eq!(wb.read("exercises/a/compile1.rs"), shipped[1]);
    assert_eq!(
        wb.read(".asynclings-backups/compile1-1.rs"),
        "// my attempt\n"
    );
    wb.run(["list"]).succeeds().stdout_lacks("done ");
    // A name or --all, not neither: clap's usage error.
    let run = wb.run(["reset"]);
    assert_eq!(run.code, Some(2), "{}", run.stderr);
    assert!(run.stderr.contains("<NAME>"), "{}", run.stderr);
}
