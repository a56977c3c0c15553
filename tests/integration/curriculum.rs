//! The curriculum itself: `dev check` on the repository's own workbook proves that every
//! exercise fails as shipped, every solution passes, every wrong fix is rejected and every
//! valid alternative accepted; and every solution earns its points under the grading rules.

use std::process::Command;

use crate::support::{Workbook, repo_root};

#[test]
fn every_exercise_fails_as_shipped_and_every_solution_passes() {
    // The shipped versions, not the working files: in a learner's clone the exercises they
    // solved must not fail this test.
    let out = Command::new(env!("CARGO_BIN_EXE_asynclings"))
        .args(["dev", "check", "--shipped"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "dev check failed:\n{stdout}\n{stderr}"
    );
    assert!(stdout.contains("exercises are sound"), "{stdout}");
}

#[test]
fn every_solution_earns_its_points_under_the_grading_rules() {
    // The checks, the solutions and the valid alternatives must keep the rules a student's
    // file is graded by (no files, processes or environment; nothing read at build time).
    let wb = Workbook::copy_of(&repo_root(), &["info.toml"]);
    copy_tree(&repo_root().join("solutions"), &wb.path().join("exercises"));
    let out = wb.path().join("report.json");
    let run = wb.run_vec(&[
        "grade",
        "--format",
        "json",
        "--exit-zero",
        "--output",
        out.to_str().unwrap(),
    ]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    let failing: Vec<String> = report["exercises"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|ex| ex["status"] != "passed")
        .map(|ex| format!("{}: {}\n{}", ex["name"], ex["status"], ex["message"]))
        .collect();
    assert!(failing.is_empty(), "{}", failing.join("\n\n"));
    assert_eq!(report["score"], report["max_score"]);
}

fn copy_tree(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap().flatten() {
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            std::fs::create_dir_all(&target).unwrap();
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}
