//! Async-aware explanations: one small fixture program per diagnostic, each of which must get
//! its explanation, and a plain error that must get none.

use serde_json::Value;

use crate::support::Workbook;

#[test]
fn each_async_diagnostic_gets_its_explanation_and_only_it() {
    let wb = Workbook::fixture("diagnostics");
    let out = wb.path().join("report.json");
    // The fixture needs tokio; its copies have the same checks, so they share one grading
    // workspace and its build.
    let run = wb.run_vec(&[
        "grade",
        "--workbook-checks",
        "--format",
        "json",
        "--output",
        out.to_str().unwrap(),
    ]);
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    let report: Value = serde_json::from_str(&std::fs::read_to_string(out).unwrap()).unwrap();
    let message = |name: &str| -> String {
        report["exercises"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["name"] == name)
            .unwrap_or_else(|| panic!("{name} missing"))["message"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let expected: &[(&str, &str, Option<&str>)] = &[
        (
            "notsend1",
            "a future that is not `Send`",
            Some(
                "Here `shared` (a `Rc<u32>`) is still alive at the `.await` on exercises/d/notsend1.rs:6",
            ),
        ),
        (
            "escape1",
            "borrowed data escaping into a spawned task",
            Some("The borrow is at exercises/d/escape1.rs:"),
        ),
        (
            "unused1",
            "a future that is never awaited",
            Some("The future is made at exercises/d/unused1.rs:11"),
        ),
        ("dyntrait1", "an async trait used as `dyn`", None),
        ("recurse1", "recursion in an async fn", None),
        (
            "awaitsync1",
            "`.await` outside async code",
            Some("The `.await` is at exercises/d/awaitsync1.rs:7"),
        ),
        ("nested1", "a runtime started inside a runtime", None),
        ("resumed1", "a future polled after it finished", None),
        ("joinpanic1", "a spawned task that panicked", None),
        ("noruntime1", "Tokio used outside a runtime", None),
        ("unsafe1", "`unsafe` in an exercise", None),
    ];
    for (name, title, detail) in expected {
        let text = message(name);
        let titles: Vec<&str> = text
            .lines()
            .filter_map(|l| l.strip_prefix("In async terms: "))
            .collect();
        assert_eq!(titles, [*title], "{name}:\n{text}");
        if let Some(detail) = detail {
            assert!(text.contains(detail), "{name} lacks {detail:?}:\n{text}");
        }
        assert!(text.contains("asynclings explain "), "{name}:\n{text}");
    }
    let plain = message("plain1");
    assert!(
        !plain.contains("In async terms"),
        "a plain type error gets no async explanation:\n{plain}"
    );
    let blocked = message("blocked1");
    assert!(
        blocked.contains("still running: runs") && blocked.contains("asynclings explain timeout"),
        "{blocked}"
    );
}

#[test]
fn explain_prints_the_long_form_and_suggests_names() {
    let wb = Workbook::fixture("basic");
    // E0277 is more than `Send`: its page leads to each async case.
    wb.run(["explain", "E0277"])
        .succeeds()
        .stdout_has("a trait that async code needs is missing (E0277)")
        .stdout_has("asynclings explain not-unpin")
        .stdout_has("asynclings explain not-a-future");
    wb.run(["explain", "not-send"])
        .succeeds()
        .stdout_has("a future that is not `Send` (not-send)")
        .stdout_has("LocalSet");
    wb.run(["explain", "timeout"])
        .succeeds()
        .stdout_has("tokio-console");
    wb.run(["explain"])
        .succeeds()
        .stdout_has("unused-future")
        .stdout_has("resumed-after-completion");
    wb.run(["explain", "unused-futur"])
        .fails()
        .clean_error()
        .stderr_has("did you mean `unused-future`?");
}
