//! `asynclings grade`: isolation, points, every report format parsed and checked, assignments,
//! exit codes, and a student's tampering that does not change the grade.

use serde_json::Value;

use crate::support::Workbook;

fn grade_json(wb: &Workbook, args: &[&str]) -> Value {
    let out = wb.path().join("report.json");
    let mut full = vec![
        "grade",
        "--workbook-checks",
        "--output",
        out.to_str().unwrap(),
    ];
    full.extend_from_slice(args);
    let run = wb.run_vec(&full);
    assert!(
        matches!(run.code, Some(0 | 1)),
        "grade failed: {}",
        run.stderr
    );
    serde_json::from_str(&std::fs::read_to_string(out).unwrap()).unwrap()
}

#[test]
fn one_broken_exercise_costs_only_its_own_points() {
    let wb = Workbook::fixture("basic");
    wb.solve("a", "fail1");
    let report = grade_json(&wb, &["--format", "json"]);
    assert_eq!(report["schema"], "asynclings-grade");
    assert_eq!(report["version"], 1);
    assert_eq!(report["score"], 2);
    assert_eq!(report["max_score"], 8);
    assert_eq!(report["checks"]["source"], "workbook");
    let statuses: Vec<(&str, &str, u64)> = report["exercises"]
        .as_array()
        .unwrap()
        .iter()
        .map(|ex| {
            (
                ex["name"].as_str().unwrap(),
                ex["status"].as_str().unwrap(),
                ex["points"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        statuses,
        [
            ("pass1", "passed", 1),
            ("compile1", "compile_error", 0),
            ("fail1", "passed", 1),
            ("hang1", "timed_out", 0),
            // `std::process::exit` is not for exercise files: refused before anything runs.
            ("exit1", "refused", 0),
            ("fake1", "refused", 0),
            ("program1", "refused", 0),
            ("inline1", "checks_failed", 0),
        ]
    );
    let compile1 = &report["exercises"][1];
    assert!(
        compile1["message"]
            .as_str()
            .unwrap()
            .contains("error[E0308]"),
        "{compile1}"
    );
    assert_eq!(compile1["path"], "exercises/a/compile1.rs");
}

#[test]
fn the_human_report_reads_well() {
    let wb = Workbook::fixture("basic");
    let run = wb.run(["grade", "--workbook-checks"]);
    run.fails();
    // The table and the score are ours; the failure summaries quote rustc and the checks,
    // whose wording is asserted on its key line only.
    let table: Vec<&str> = run.stdout.lines().take_while(|l| !l.is_empty()).collect();
    let score = run.stdout.lines().last().unwrap_or_default();
    let ours = format!("{}\n{score}", table.join("\n"));
    insta::with_settings!({filters => vec![(r"\([0-9a-f]{16}\)", "(FINGERPRINT)")]}, {
        insta::assert_snapshot!(ours);
    });
    run.stdout_has("What failed, in short:\n  compile1:\n    error[E0308]")
        .stdout_has("  fail1:\n    ✗ doubles_larger_numbers");
}

#[test]
fn the_classroom_report_has_what_the_reporter_reads() {
    let wb = Workbook::fixture("basic");
    let report = grade_json(
        &wb,
        &["--format", "classroom", "--only", "pass1,compile1,fail1"],
    );
    assert_eq!(report["version"], 1);
    assert_eq!(report["status"], "fail");
    assert_eq!(report["max_score"], 3);
    let tests = report["tests"].as_array().unwrap();
    assert_eq!(tests.len(), 3);
    for test in tests {
        for field in ["name", "status", "score", "message"] {
            assert!(!test[field].is_null(), "{field} missing in {test}");
        }
    }
    assert_eq!(
        (
            tests[0]["name"].as_str(),
            tests[0]["status"].as_str(),
            tests[0]["score"].as_u64()
        ),
        (Some("pass1"), Some("pass"), Some(1))
    );
    assert_eq!(tests[1]["status"], "error");
    assert_eq!(tests[2]["status"], "fail");
    assert!(
        tests[2]["message"]
            .as_str()
            .unwrap()
            .contains("double(21) returned 23")
    );
}

#[test]
fn the_exercism_report_is_version_3() {
    let wb = Workbook::fixture("basic");
    let report = grade_json(&wb, &["--format", "exercism", "--only", "a"]);
    assert_eq!(report["version"], 3);
    assert_eq!(report["status"], "fail");
    assert!(report["message"].is_null());
    let tests = report["tests"].as_array().unwrap();
    assert_eq!(tests.len(), 4, "topic `a` has four exercises");
    for test in tests {
        for field in [
            "name",
            "status",
            "message",
            "output",
            "test_code",
            "task_id",
        ] {
            assert!(test.get(field).is_some(), "{field} missing in {test}");
        }
        assert_eq!(test["task_id"], 1);
    }
    assert!(
        tests[0]["message"].is_null(),
        "a passing test has no message"
    );
    assert_eq!(tests[3]["status"], "fail");
}

#[test]
fn the_junit_report_is_well_formed_xml() {
    let wb = Workbook::fixture("basic");
    let out = wb.path().join("report.xml");
    wb.run_vec(&[
        "grade",
        "--workbook-checks",
        "--format",
        "junit",
        "--output",
        out.to_str().unwrap(),
    ])
    .fails();
    let xml = std::fs::read_to_string(out).unwrap();
    let doc = roxmltree::Document::parse(&xml).unwrap_or_else(|err| panic!("{err}\n{xml}"));
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "testsuites");
    assert_eq!(root.attribute("tests"), Some("8"));
    assert_eq!(root.attribute("errors"), Some("1"), "the compile error");
    assert_eq!(root.attribute("failures"), Some("6"));
    let suites: Vec<_> = root
        .children()
        .filter(|n| n.has_tag_name("testsuite"))
        .collect();
    assert_eq!(
        suites
            .iter()
            .map(|s| s.attribute("name").unwrap())
            .collect::<Vec<_>>(),
        ["a", "b"]
    );
    let fail1 = doc
        .descendants()
        .find(|n| n.attribute("name") == Some("fail1"))
        .unwrap();
    let failure = fail1
        .children()
        .find(|n| n.has_tag_name("failure"))
        .unwrap();
    assert_eq!(failure.attribute("type"), Some("checks_failed"));
    assert!(failure.text().unwrap().contains("double(21) returned 23"));
    let pass1 = doc
        .descendants()
        .find(|n| n.attribute("name") == Some("pass1"))
        .unwrap();
    assert_eq!(pass1.children().filter(|n| n.is_element()).count(), 0);
}

#[test]
fn exit_codes_tell_failure_from_a_broken_grading() {
    let wb = Workbook::fixture("basic");
    wb.run(["grade", "--workbook-checks", "--only", "pass1"])
        .succeeds();
    wb.run(["grade", "--workbook-checks", "--only", "fail1"])
        .fails();
    wb.run([
        "grade",
        "--workbook-checks",
        "--only",
        "fail1",
        "--exit-zero",
    ])
    .succeeds();
    let run = wb.run(["grade", "--workbook-checks", "--only", "fial1"]);
    assert_eq!(run.code, Some(2), "{}", run.stderr);
    assert!(
        run.stderr.contains("did you mean `fail1`?"),
        "{}",
        run.stderr
    );
}

#[test]
fn an_assignment_file_chooses_exercises_and_points() {
    let wb = Workbook::fixture("basic");
    wb.write(
        "assignment.toml",
        "exercises = [\"b\", \"pass1\"]\n\n[points]\npass1 = 5\n",
    );
    let report = grade_json(
        &wb,
        &["--format", "json", "--assignment", "assignment.toml"],
    );
    let names: Vec<&str> = report["exercises"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["pass1", "exit1", "fake1", "program1", "inline1"]);
    assert_eq!(
        (report["score"].as_u64(), report["max_score"].as_u64()),
        (Some(5), Some(9))
    );

    wb.write(
        "assignment.toml",
        "exercises = [\"pass1\"]\n[points]\nfial1 = 2\n",
    );
    let run = wb.run([
        "grade",
        "--workbook-checks",
        "--assignment",
        "assignment.toml",
    ]);
    assert_eq!(run.code, Some(2));
    assert!(
        run.stderr
            .contains("assignment.toml:3:1: there is no exercise `fial1`: did you mean `fail1`?"),
        "{}",
        run.stderr
    );
}

#[test]
fn exporting_a_macro_to_replace_the_checks_asserts_earns_nothing() {
    let wb = Workbook::fixture("basic");
    let cheat = "#[macro_export]\nmacro_rules! assert_eq { ($($t:tt)*) => {} }\n\nfn double(x: u32) -> u32 {\n    x\n}\n\nfn main() {\n    println!(\"{}\", double(2));\n}\n";
    wb.write("exercises/a/fail1.rs", cheat);
    // The checks import what they use: the exported macro never reaches them, and their
    // own `assert_eq!` fails as it should.
    let report = grade_json(&wb, &["--format", "json", "--only", "fail1"]);
    assert_eq!(report["exercises"][0]["status"], "checks_failed");
    assert_eq!(report["score"], 0);
    assert!(
        report["exercises"][0]["message"]
            .as_str()
            .unwrap()
            .contains("double(21) returned 21")
    );
    wb.run(["run", "fail1"])
        .checks_fail()
        .stdout_has("double(21) returned 21");
}

/// The real curriculum, graded with the checks built into the runner, in a student's copy
/// whose checks, info.toml and runner source were edited to pass.
#[test]
fn a_students_edits_to_checks_and_info_do_not_change_the_grade() {
    let repo = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let wb = Workbook::copy_of(
        repo,
        &[
            "info.toml",
            "Cargo.toml",
            "Cargo.lock",
            "exercises",
            "checks",
            "src",
            "solutions",
        ],
    );
    // The student's async_fn1 is wrong (whatever the repository's copy holds: in a learner's
    // clone it may be solved) ...
    wb.write(
        "exercises/01_async_fn/async_fn1.rs",
        &std::fs::read_to_string(repo.join("tests/wrong_fixes/async_fn1__let_underscore.rs"))
            .unwrap(),
    );
    // ... and they "fix" it by emptying its checks and doubling its points.
    wb.write(
        "checks/01_async_fn/async_fn1.rs",
        "#[test]\nfn nothing() {}\n",
    );
    let info = wb.read("info.toml").replacen(
        "name = \"async_fn1\"",
        "name = \"async_fn1\"\npoints = 9",
        1,
    );
    wb.write("info.toml", &info);
    wb.write("src/main.rs", &(wb.read("src/main.rs") + "\n// edited\n"));
    let out = wb.path().join("report.json");
    let run = wb.run([
        "grade",
        "--format",
        "json",
        "--only",
        "async_fn1,intro1",
        "--output",
        out.to_str().unwrap(),
    ]);
    run.fails();
    let report: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(report["checks"]["source"], "embedded");
    let async_fn1 = &report["exercises"][1];
    assert_eq!(async_fn1["name"], "async_fn1");
    assert_eq!(
        async_fn1["status"], "checks_failed",
        "graded with the teacher's checks: {async_fn1}"
    );
    assert_eq!(
        async_fn1["max_points"], 1,
        "points come from the teacher's info.toml"
    );
    let modified: Vec<&str> = report["modified_files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    for edited in [
        "checks/01_async_fn/async_fn1.rs (changed)",
        "info.toml (changed)",
        "src/main.rs (changed)",
    ] {
        assert!(
            modified.contains(&edited),
            "{edited} not reported in {modified:?}"
        );
    }
    // Nothing else was edited: only files that changed in the repository since the runner was
    // built (while someone works on the curriculum) may show up besides.
    assert!(
        !modified
            .iter()
            .any(|m| m.starts_with("checks/01_async_fn/async_fn2")),
        "{modified:?}"
    );
    // And a real fix earns the point.
    wb.solve("01_async_fn", "async_fn1");
    let report: Value = {
        let run = wb.run([
            "grade",
            "--format",
            "json",
            "--only",
            "async_fn1",
            "--output",
            out.to_str().unwrap(),
        ]);
        run.succeeds();
        serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap()
    };
    assert_eq!(report["score"], 1);
}

#[test]
fn a_check_module_of_the_students_own_is_not_a_pass() {
    let wb = Workbook::fixture("basic");
    let shadow = "fn double(x: u32) -> u32 {\n    x\n}\n\nfn main() {}\n\n#[cfg(test)]\nmod checks {\n    #[test]\n    fn all_good() {}\n}\n";
    wb.write("exercises/a/fail1.rs", shadow);
    let report = grade_json(&wb, &["--format", "json", "--only", "fail1"]);
    assert_eq!(
        report["exercises"][0]["status"], "compile_error",
        "{report}"
    );
    assert!(
        report["exercises"][0]["message"]
            .as_str()
            .unwrap()
            .contains("E0428"),
        "{report}"
    );
    assert_eq!(report["score"], 0);
}

/// A check that fails with a timeline, in the shape `asynclings_support::timeline` writes.
const TIMELINE_FAIL1: &str = r#"use super::double;

#[test]
fn doubles_in_time() {
    let got = double(21);
    if got != 42 {
        panic!(
            "double(21) returned {got} too late\n{}",
            concat!(
                "asynclings-timeline v1 {\"recorded\":{\"rows\":[",
                "{\"label\":\"double\",\"kind\":\"spans\",\"spans\":[[0,50000]]}",
                "],\"end_us\":50000},\"expected\":{\"rows\":[",
                "{\"label\":\"double\",\"kind\":\"spans\",\"spans\":[[0,20000]]}",
                "],\"end_us\":20000}}"
            )
        );
    }
}
"#;

#[test]
fn a_timeline_is_structured_in_json_and_drawn_in_text() {
    let wb = Workbook::fixture("basic");
    wb.write("checks/a/fail1.rs", TIMELINE_FAIL1);
    let report = grade_json(&wb, &["--format", "json", "--only", "fail1"]);
    let ex = &report["exercises"][0];
    assert_eq!(ex["status"], "checks_failed");
    let timelines = ex["timelines"].as_array().unwrap();
    assert_eq!(timelines.len(), 1, "{ex:#}");
    assert_eq!(timelines[0]["check"], "doubles_in_time");
    assert_eq!(timelines[0]["recorded"]["end_us"], 50_000);
    assert_eq!(
        timelines[0]["expected"]["rows"][0]["spans"][0],
        serde_json::json!([0, 20_000])
    );
    let message = ex["message"].as_str().unwrap();
    assert!(message.contains("your run: 50ms"), "{message}");
    assert!(message.contains("ends at 50ms; expected 20ms"), "{message}");
    assert!(!message.contains("asynclings-timeline"), "{message}");
}
