//! A learner workspace made by `asynclings init`: what it holds and what it does not, every
//! command working in it, watch mode driven in a terminal, and the Classroom template's
//! workflow parsed.

use std::path::Path;

use serde_yaml::Value;

use crate::support::{Tmux, Workbook, repo_root};

fn files_under(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            if !path.ends_with("target") {
                out.extend(files_under(&path));
            }
        } else {
            out.push(path);
        }
    }
    out
}

/// How many exercises the curriculum lists (the runner carries the committed info.toml).
fn n_exercises() -> usize {
    let info: toml::Table = std::fs::read_to_string(repo_root().join("info.toml"))
        .unwrap()
        .parse()
        .unwrap();
    info["exercises"].as_array().unwrap().len()
}

fn initialized(args: &[&str]) -> Workbook {
    let wb = Workbook::empty();
    let mut full = vec!["init", "."];
    full.extend_from_slice(args);
    wb.run_vec(&full)
        .succeeds()
        .stdout_has("Created a workspace")
        .stdout_has(&format!("{} exercises", n_exercises()));
    wb
}

#[test]
fn init_writes_the_lessons_and_none_of_the_answers() {
    let wb = initialized(&[]);
    let root = wb.path();
    for present in [
        "Cargo.toml",
        "Cargo.lock",
        ".gitignore",
        "README.md",
        "exercises/03_join/README.md",
        "exercises/03_join/join1.rs",
    ] {
        assert!(root.join(present).is_file(), "{present} is missing");
    }
    for absent in ["solutions", "checks", "info.toml", "src", "tests"] {
        assert!(!root.join(absent).exists(), "{absent} should not be there");
    }
    assert!(
        wb.read("Cargo.toml")
            .contains("[package.metadata.asynclings]")
    );
    assert!(wb.read(".gitignore").contains("/target/"));
    // No file of the workspace holds a solution or a check file.
    let answers: Vec<String> = ["solutions", "checks"]
        .iter()
        .flat_map(|top| files_under(&repo_root().join(top)))
        .filter(|p| p.extension().is_some_and(|e| e == "rs"))
        .filter(|p| !p.to_string_lossy().contains("harness"))
        .map(|p| std::fs::read_to_string(p).unwrap())
        .collect();
    for file in files_under(root) {
        let content = std::fs::read_to_string(&file).unwrap_or_default();
        assert!(
            !answers.contains(&content),
            "`{}` is a solution or a check",
            file.display()
        );
    }
    // A workspace is never written over, and a non-empty directory is not used.
    wb.run(["init", "."])
        .fails()
        .clean_error()
        .stderr_has("already holds a workbook");
    let other = Workbook::empty();
    other.write("notes.txt", "mine");
    other
        .run(["init", "."])
        .fails()
        .clean_error()
        .stderr_has("is not empty");
    assert_eq!(other.read("notes.txt"), "mine");
}

#[test]
fn every_command_works_in_a_workspace_and_solutions_appear_on_a_pass() {
    let wb = initialized(&[]);
    wb.run(["list"])
        .succeeds()
        .stdout_has("intro2")
        .stdout_has("pending");
    wb.run(["hint", "intro2"])
        .succeeds()
        .stdout_has("Hint 1 of 3 for intro2");
    wb.run(["run", "intro2"]).compile_error();
    assert!(!wb.path().join("solutions/00_intro/intro2.rs").exists());

    // Fixed (here with the reference solution), it passes and its solution appears.
    let solution =
        std::fs::read_to_string(repo_root().join("solutions/00_intro/intro2.rs")).unwrap();
    wb.write("exercises/00_intro/intro2.rs", &solution);
    wb.run(["run", "intro2"])
        .passes()
        .stdout_has("now in `solutions/00_intro/intro2.rs`");
    assert_eq!(wb.read("solutions/00_intro/intro2.rs"), solution);
    // Its program runs too, from the workspace's own package and the exercises' build.
    wb.run(["run", "intro2", "--main"])
        .succeeds()
        .stdout_has("It ran to the end.");

    // From a subdirectory too, as cargo finds its workspace.
    let run = wb.run_slice(&["list"], |cmd| {
        cmd.current_dir(wb.path().join("exercises/00_intro"));
    });
    run.succeeds().stdout_has("intro2           done");

    // reset restores the version the runner carries and keeps the learner's.
    wb.run(["reset", "intro2"])
        .succeeds()
        .stdout_has("saved as `.asynclings-backups/intro2-1.rs`");
    assert_eq!(wb.read(".asynclings-backups/intro2-1.rs"), solution);
    assert!(wb.read("exercises/00_intro/intro2.rs").contains("TODO"));

    // grade uses the checks inside the runner; the workspace's own files are not "missing".
    let out = wb.path().join("report.json");
    let run = wb.run_vec(&[
        "grade",
        "--only",
        "intro1,intro2",
        "--format",
        "json",
        "--output",
        out.to_str().unwrap(),
    ]);
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(report["score"], 1, "{report:#}");
    assert_eq!(report["checks"]["source"], "embedded");
    assert_eq!(
        report["modified_files"],
        serde_json::json!([]),
        "{report:#}"
    );

    // The author's tools say where they belong.
    wb.run(["dev", "check"])
        .fails()
        .clean_error()
        .stderr_has("learner workspace");
}

#[test]
fn watch_mode_in_a_workspace() {
    let wb = initialized(&[]);
    let log = wb.path().join("watch.log");
    let Some(tmux) = Tmux::start(&wb, "", &log) else {
        return;
    };
    // intro1 passes as shipped; `n` goes on to intro2, which does not compile yet.
    tmux.wait_for("✓ Done: `exercises/00_intro/intro1.rs`");
    tmux.keys("n");
    tmux.wait_for("✗ Compile error");
    let solution =
        std::fs::read_to_string(repo_root().join("solutions/00_intro/intro2.rs")).unwrap();
    wb.write("exercises/00_intro/intro2.rs", &solution);
    let screen = tmux.wait_for("✓ Done: `exercises/00_intro/intro2.rs`");
    assert!(screen.contains("solutions/00_intro/intro2.rs"), "{screen}");
    assert!(wb.path().join("solutions/00_intro/intro2.rs").is_file());
    tmux.keys("q");
    tmux.wait_for("Your progress is saved.");
}

#[test]
fn the_classroom_template_grades_once_with_a_pinned_runner_and_no_credentials() {
    let wb = initialized(&[
        "--classroom",
        "--runner-git",
        "https://example.org/teacher/asynclings.git",
        "--runner-rev",
        "0123456789abcdef0123456789abcdef01234567",
    ]);
    let workflow: Value =
        serde_yaml::from_str(&wb.read(".github/workflows/classroom.yml")).unwrap();
    // The shape GitHub Classroom generates, which its reporter expects.
    assert_eq!(workflow["name"], "Autograding Tests");
    let job = &workflow["jobs"]["run-autograding-tests"];
    assert!(job.is_mapping(), "{workflow:?}");
    assert_eq!(
        workflow["env"]["RUNNER_REV"],
        "0123456789abcdef0123456789abcdef01234567"
    );
    assert_eq!(
        workflow["env"]["RUNNER_GIT"],
        "https://example.org/teacher/asynclings.git"
    );
    let steps = job["steps"].as_sequence().unwrap();
    let checkout = steps
        .iter()
        .find(|s| {
            s["uses"]
                .as_str()
                .is_some_and(|u| u.starts_with("actions/checkout"))
        })
        .expect("a checkout step");
    assert_eq!(checkout["with"]["persist-credentials"], false);
    let runs: Vec<&str> = steps.iter().filter_map(|s| s["run"].as_str()).collect();
    let installs: Vec<&&str> = runs
        .iter()
        .filter(|r| r.contains("cargo install"))
        .collect();
    assert_eq!(installs.len(), 1, "{runs:?}");
    assert!(
        installs[0].contains("--rev \"$RUNNER_REV\""),
        "{}",
        installs[0]
    );
    assert!(installs[0].contains("--locked"), "{}", installs[0]);
    let grades: usize = runs.iter().map(|r| r.matches(" grade ").count()).sum();
    assert_eq!(grades, 1, "grade must run exactly once: {runs:?}");
    let grade = runs.iter().find(|r| r.contains(" grade ")).unwrap();
    assert!(grade.contains("--out-dir"), "{grade}");
    assert!(grade.contains("--assignment assignment.toml"), "{grade}");
    assert!(grade.contains("classroom.json"), "{grade}");
    let reporter = steps
        .iter()
        .find(|s| {
            s["uses"]
                .as_str()
                .is_some_and(|u| u.contains("autograding-grading-reporter"))
        })
        .expect("the reporter step");
    assert_eq!(reporter["with"]["runners"], "asynclings");
    assert!(
        reporter["env"]["ASYNCLINGS_RESULTS"]
            .as_str()
            .unwrap()
            .contains("steps.asynclings.outputs.result")
    );

    // assignment.toml lists every exercise, and grade reads it.
    let assignment: toml::Table = wb.read("assignment.toml").parse().unwrap();
    assert_eq!(
        assignment["exercises"].as_array().unwrap().len(),
        n_exercises()
    );
    assert!(wb.read("README.md").contains("## Grading"));

    // Without a runner to install, no template.
    Workbook::empty()
        .run(["init", ".", "--classroom"])
        .fails()
        .clean_error()
        .stderr_has("--runner-git");
}
