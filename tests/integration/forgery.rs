//! A student with only their exercise files tries to earn points without solving anything.
//! Each test is one class of attack, written for the test, against the `forge` fixture (one
//! exercise, `shout1`, whose checks name what they use explicitly). None may earn a point,
//! and the report must say why in words a teacher can read.

use std::time::Duration;

use serde_json::Value;

use crate::support::Workbook;

const EXERCISE: &str = "exercises/a/shout1.rs";

/// Grades `source` as the student's `shout1` and returns its entry in the JSON report.
fn graded(source: &str) -> Value {
    let wb = Workbook::fixture("forge");
    wb.write(EXERCISE, source);
    graded_in(&wb)
}

fn graded_in(wb: &Workbook) -> Value {
    let out = wb.path().join("report.json");
    let run = wb.run_vec(&[
        "grade",
        "--workbook-checks",
        "--format",
        "json",
        "--output",
        out.to_str().unwrap(),
    ]);
    assert!(
        matches!(run.code, Some(0 | 1)),
        "grade broke: {}",
        run.stderr
    );
    let report: Value = serde_json::from_str(&std::fs::read_to_string(out).unwrap()).unwrap();
    report["exercises"][0].clone()
}

fn assert_no_points(entry: &Value, status: &str, reason: &str) {
    assert_eq!(entry["points"], 0, "{entry:#}");
    assert_eq!(entry["status"], status, "{entry:#}");
    let message = entry["message"].as_str().unwrap();
    assert!(
        message.contains(reason),
        "the report should say {reason:?}:\n{message}"
    );
}

/// The log forgery seen in the wild: find libtest's log from the command line, write an `ok`
/// line for every check, and exit before the checks can fail.
const FORGE_THE_LOG: &str = r#"
use std::io::Write;

fn shout(word: &str) -> String {
    let args: Vec<String> = std::env::args().collect();
    if let Some(at) = args.iter().position(|a| a == "--logfile") {
        let mut log = std::fs::OpenOptions::new().append(true).open(&args[at + 1]).unwrap();
        writeln!(log, "ok checks::shouts_a_word\nok checks::shouts_every_word").unwrap();
        std::process::exit(0);
    }
    word.to_string()
}

fn main() {}
"#;

#[test]
fn forging_the_log_from_a_function_is_refused() {
    let entry = graded(FORGE_THE_LOG);
    assert_no_points(&entry, "refused", "`std::env::args`");
    let message = entry["message"].as_str().unwrap();
    assert!(message.contains("`std::fs::OpenOptions`"), "{message}");
    assert!(message.contains("`std::process::exit`"), "{message}");
    assert!(message.contains("exercises/a/shout1.rs:5:"), "{message}");
}

#[test]
fn forging_the_log_from_a_drop_through_aliases_is_refused() {
    // No `std::fs` in sight: an alias, a function pointer and a `Drop` impl.
    let entry = graded(
        r#"
use std::fs as storage;

struct Forger;

impl Drop for Forger {
    fn drop(&mut self) {
        let write: fn(&str, &str) -> std::io::Result<()> = |p, c| storage::write(p, c);
        for fd in 0..16 {
            let _ = write(&format!("/proc/self/fd/{fd}"), "ok checks::shouts_a_word\n");
        }
    }
}

fn shout(word: &str) -> String {
    let _forger = Forger;
    word.to_string()
}

fn main() {}
"#,
    );
    assert_no_points(&entry, "refused", "`std::fs::write`");
}

#[test]
fn lifting_the_rules_with_allow_is_refused() {
    let entry = graded(
        r#"
#[allow(clippy::disallowed_methods)]
fn shout(word: &str) -> String {
    let _ = std::fs::read_to_string("/etc/hostname");
    word.to_string()
}

fn main() {}
"#,
    );
    assert_no_points(&entry, "refused", "lift a grading rule");
}

#[test]
fn including_the_answers_is_refused() {
    let wb = Workbook::fixture("forge");
    let answer = wb.path().join("solutions/a/shout1.rs");
    wb.write(
        EXERCISE,
        &format!("include!({:?});\n", answer.display().to_string()),
    );
    let entry = graded_in(&wb);
    assert_no_points(
        &entry,
        "refused",
        "solutions/a/shout1.rs` while it is compiled",
    );
}

#[test]
fn a_module_read_from_elsewhere_is_refused_by_what_the_compiler_read() {
    // Forged code kept in another file of the repository, which `modified_files` does not
    // list. `#[path]` is no macro that clippy could name: rustc's record of what it read is.
    let wb = Workbook::fixture("forge");
    wb.write(
        "notes/elsewhere.rs",
        "pub fn shout(word: &str) -> String { format!(\"{}!\", word.to_uppercase()) }\n",
    );
    let elsewhere = wb.path().join("notes/elsewhere.rs");
    wb.write(
        EXERCISE,
        &format!(
            "#[path = {:?}]\nmod elsewhere;\nuse elsewhere::shout;\nfn main() {{}}\n",
            elsewhere.display().to_string()
        ),
    );
    let entry = graded_in(&wb);
    assert_no_points(
        &entry,
        "refused",
        "notes/elsewhere.rs` while it is compiled",
    );
}

#[test]
fn telling_grading_from_learning_is_refused() {
    // The build's environment (`env!`, `option_env!`) and the run's (`std::env::var`).
    let entry = graded(
        r#"
fn shout(word: &str) -> String {
    let graded = env!("CARGO_PKG_NAME") != "checks"
        || option_env!("CI").is_some()
        || std::env::var("GITHUB_ACTIONS").is_ok();
    if graded { format!("{}!", word.to_uppercase()) } else { word.to_string() }
}

fn main() {}
"#,
    );
    assert_no_points(&entry, "refused", "`core::env`");
    let message = entry["message"].as_str().unwrap();
    assert!(message.contains("`std::env::var`"), "{message}");
}

#[test]
fn shadowing_what_the_checks_name_does_not_pass() {
    // Stand-ins for the prelude's types and std's macros, in every form that reaches a crate's
    // root: none reaches checks that import what they use.
    let entry = graded(
        r#"
#[macro_export]
macro_rules! assert_eq { ($($t:tt)*) => {}; }
#[macro_export]
macro_rules! assert { ($($t:tt)*) => {}; }
macro_rules! always { ($($t:tt)*) => { true }; }
pub(crate) use always as matches;

#[derive(Debug)]
struct Vec<T>(std::marker::PhantomData<T>);

fn shout(word: &str) -> String {
    word.to_string()
}

fn main() {}
"#,
    );
    assert_no_points(&entry, "checks_failed", r#"shout("hey") returned "hey""#);
}

#[test]
fn starting_a_process_that_outlives_the_run_is_refused() {
    let entry = graded(
        r#"
use std::os::unix::process::CommandExt;

fn shout(word: &str) -> String {
    let _ = std::process::Command::new("/bin/sh")
        .args(["-c", "sleep 1"])
        .process_group(0)
        .spawn();
    word.to_string()
}

fn main() {}
"#,
    );
    assert_no_points(&entry, "refused", "`std::process::Command`");
}

#[cfg(target_os = "linux")]
#[test]
fn nothing_a_check_run_starts_outlives_it() {
    // Outside grading (`run` does not apply the rules), the operating system still ends
    // everything the learner's code started, whatever process group it moved to.
    let wb = Workbook::fixture("forge");
    let marker = wb.path().join("survived");
    wb.write(
        EXERCISE,
        &format!(
            r#"
use std::os::unix::process::CommandExt;

fn shout(word: &str) -> String {{
    let _ = std::process::Command::new("/bin/sh")
        .args(["-c", "sleep 2; touch {}"])
        .process_group(0)
        .spawn();
    format!("{{}}!", word.to_uppercase())
}}

fn main() {{}}
"#,
            marker.display()
        ),
    );
    wb.run(["run", "shout1"]).passes();
    std::thread::sleep(Duration::from_secs(4));
    assert!(
        !marker.exists(),
        "a process started by the checked code outlived the check run"
    );
}

#[test]
fn memory_and_file_size_are_limited() {
    // Outside grading too: 3 GiB is refused by the memory limit, and a large file by the
    // file-size limit, which ends the process; nothing is left in the workbook.
    let wb = Workbook::fixture("forge");
    wb.write(
        EXERCISE,
        r#"
use std::io::Write;

fn shout(word: &str) -> String {
    if word == "hey" {
        let big = vec![7u8; 3 << 30];
        return format!("{}", big[big.len() - 1]);
    }
    let mut file = std::fs::File::create("big.bin").unwrap();
    let chunk = vec![0u8; 1 << 20];
    for _ in 0..64 {
        file.write_all(&chunk).unwrap();
    }
    word.to_string()
}

fn main() {}
"#,
    );
    let run = wb.run(["run", "shout1"]);
    run.fails().stdout_lacks("✓ Done:");
    assert!(
        run.stdout.contains("memory allocation") || run.stdout.contains("never reported"),
        "{}",
        run.stdout
    );
    assert!(!wb.path().join("big.bin").exists());
}

#[test]
fn an_endless_include_is_stopped_and_earns_nothing() {
    let entry = graded(
        "static ZEROS: &[u8] = include_bytes!(\"/dev/zero\");\nfn shout(w: &str) -> String { w.to_string() }\nfn main() {}\n",
    );
    assert_eq!(entry["points"], 0, "{entry:#}");
    assert!(
        ["refused", "compile_error"].contains(&entry["status"].as_str().unwrap()),
        "{entry:#}"
    );
}

#[test]
fn what_the_code_prints_cannot_break_the_reports() {
    // A window-title escape and characters XML cannot hold, in a failure message.
    let wb = Workbook::fixture("forge");
    wb.write(
        EXERCISE,
        "fn shout(w: &str) -> String { panic!(\"\\u{1b}]0;owned\\u{7}bad\\u{ffff}\\u{1}{w}\") }\nfn main() {}\n",
    );
    let junit = wb.path().join("report.xml");
    let run = wb.run_vec(&[
        "grade",
        "--workbook-checks",
        "--format",
        "junit",
        "--output",
        junit.to_str().unwrap(),
    ]);
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    let xml = std::fs::read_to_string(&junit).unwrap();
    roxmltree::Document::parse(&xml).unwrap_or_else(|err| panic!("{err}\n{xml}"));
    assert!(xml.contains("badhey"), "{xml}");
    let human = wb.run(["grade", "--workbook-checks"]);
    assert!(human.stdout.contains("badhey"), "{}", human.stdout);
    assert!(!human.stdout.contains('\u{1b}'), "{:?}", human.stdout);
}

#[test]
fn the_solution_still_earns_its_points() {
    let wb = Workbook::fixture("forge");
    wb.solve("a", "shout1");
    let entry = graded_in(&wb);
    assert_eq!(entry["status"], "passed", "{entry:#}");
    assert_eq!(entry["points"], 1);
}

#[test]
fn builds_committed_to_the_repository_are_never_run() {
    // A student commits a `target/` whose test binaries "pass": grading builds elsewhere.
    let wb = Workbook::fixture("forge");
    for dir in [
        "target/asynclings/debug/deps",
        "target/asynclings-grade/target",
    ] {
        wb.write(
            &format!("{dir}/shout1"),
            "#!/bin/sh\necho 'ok checks::shouts_a_word'\n",
        );
    }
    let entry = graded_in(&wb);
    assert_eq!(entry["status"], "checks_failed", "{entry:#}");
    assert_eq!(entry["points"], 0);
}
