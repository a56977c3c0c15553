//! `asynclings class-report` as a teacher sees it: a synthetic class of 40 rendered and read
//! back from a real browser's DOM (headless Chromium), real `grade` reports (with `--at`)
//! read together, and the regrade workflow parsed and its roster split run.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::support::Workbook;

/// No browser run should take this long; a hang fails the test instead.
const BROWSER_TIME_LIMIT: Duration = Duration::from_secs(90);

const FINGERPRINT: &str = "a1b2c3d4e5f60718";

/// The synthetic assignment: name, topic, points.
const EXERCISES: [(&str, &str, u64); 8] = [
    ("intro1", "00_intro", 1),
    ("async_fn1", "01_async_fn", 1),
    ("async_fn2", "01_async_fn", 1),
    ("join1", "02_join", 1),
    ("join2", "02_join", 1),
    ("spawn1", "03_spawn", 1),
    ("select1", "04_select", 1),
    ("quiz1", "05_quiz", 3),
];

const HOSTILE_NAME: &str = "<img src=x onerror=alert(1)>";

/// A deterministic generator, so that a failure can be reproduced.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % n
    }
}

/// One synthetic student, as the test knows them.
struct Synth {
    name: String,
    statuses: Vec<&'static str>,
    /// The first failing check's name (or error code) per exercise that did not pass.
    first_failures: Vec<Option<String>>,
    modified: bool,
    late: usize,
    hints: Option<Vec<u64>>,
}

impl Synth {
    fn score(&self) -> u64 {
        self.statuses
            .iter()
            .zip(EXERCISES)
            .filter(|(s, _)| **s == "passed")
            .map(|(_, (_, _, points))| points)
            .sum()
    }

    fn flagged(&self) -> bool {
        self.modified || self.late > 0 || self.statuses.contains(&"refused")
    }

    fn report(&self, fingerprint: &str) -> Value {
        let exercises: Vec<Value> = EXERCISES
            .iter()
            .enumerate()
            .map(|(i, (name, topic, points))| {
                let status = self.statuses[i];
                let path = format!("exercises/{topic}/{name}.rs");
                let failure = self.first_failures[i].clone().unwrap_or_default();
                let mut message = match status {
                    "passed" => String::new(),
                    "checks_failed" => format!(
                        "✗ {failure}\n    {name} took 410ms of virtual time; expected 230ms: are they awaited one after another?\n\n✗ Checks failed: 1 of 3 checks failed for `{path}`\n"
                    ),
                    "compile_error" => format!(
                        "{failure}: `Rc<String>` cannot be sent between threads safely\n  --> {path}:12:5\n✗ Compile error: `{path}` does not compile yet: read the first error above\n"
                    )
                    .replacen(&failure, &format!("error[{failure}]"), 1),
                    "timed_out" => format!(
                        "⧗ Timed out: `{path}` did not finish within 5s (still running: {failure})\n\nIn async code a hang usually means ...\n"
                    ),
                    "refused" => format!(
                        "✗ {path}:3:5: {failure}\n✗ Refused: `{path}` was not run\n"
                    ),
                    _ => format!("`{path}` is missing from the repository"),
                };
                if self.name == HOSTILE_NAME {
                    message += "<script>document.title='pwned'</script>";
                }
                json!({
                    "name": name, "topic": topic, "path": path, "status": status,
                    "points": if status == "passed" { *points } else { 0 },
                    "max_points": points, "duration_ms": 1200, "message": message,
                })
            })
            .collect();
        let late: Vec<Value> = (0..self.late)
            .map(|i| {
                json!({"commit": format!("{:040x}", i + 1), "date": "2025-03-15T10:00:00+01:00",
                       "subject": "<b>late</b> fix"})
            })
            .collect();
        json!({
            "schema": "asynclings-grade",
            "version": 1,
            "score": self.score(),
            "max_score": EXERCISES.iter().map(|e| e.2).sum::<u64>(),
            "passed": self.statuses.iter().filter(|s| **s == "passed").count(),
            "total": EXERCISES.len(),
            "checks": {"source": "embedded", "fingerprint": fingerprint},
            "modified_files": if self.modified { vec!["checks/02_join/join1.rs (changed)"] } else { vec![] },
            "graded": {
                "source": "commit", "commit": "0123456789abcdef0123456789abcdef01234567",
                "commit_date": "2025-03-14T21:00:00+01:00", "subject": "done",
                "at": "2025-03-14T23:59:00+01:00", "n_late_commits": self.late, "late_commits": late,
            },
            "self_reported": self.hints.as_ref().map(|hints| json!({
                "hints": EXERCISES.iter().zip(hints).map(|(e, h)| (e.0.to_owned(), *h)).collect::<BTreeMap<_, _>>(),
                "time_spent_secs": 5400, "time_spent_secs_by_exercise": {}, "done": ["intro1"],
            })),
            "exercises": exercises,
        })
    }
}

/// Forty students with varied outcomes: each solves the exercises up to a point, fails the
/// next in one of the ways grading knows, and does some of the rest.
fn synthetic_class() -> Vec<Synth> {
    let mut rng = Rng(17);
    (0..40)
        .map(|i| {
            let reached = rng.below(EXERCISES.len() as u64 + 1) as usize;
            let mut statuses = Vec::new();
            let mut first_failures = Vec::new();
            for (j, (name, _, _)) in EXERCISES.iter().enumerate() {
                let status = if j < reached {
                    "passed"
                } else if j == reached && i % 9 == 4 {
                    "refused"
                } else if j == reached {
                    [
                        "compile_error",
                        "checks_failed",
                        "checks_failed",
                        "timed_out",
                    ][rng.below(4) as usize]
                } else {
                    [
                        "passed",
                        "missing",
                        "checks_failed",
                        "compile_error",
                        "checks_failed",
                    ][rng.below(5) as usize]
                };
                let failure = match status {
                    "checks_failed" => Some(if rng.below(10) < 7 {
                        format!("{name}_runs_concurrently")
                    } else {
                        format!("{name}_keeps_order")
                    }),
                    "compile_error" => {
                        Some(if rng.below(2) == 0 { "E0277" } else { "E0308" }.into())
                    }
                    "timed_out" => Some(format!("{name}_finishes")),
                    "refused" => {
                        Some("the file uses a disallowed method `std::fs::write`".to_owned())
                    }
                    _ => None,
                };
                statuses.push(status);
                first_failures.push(failure);
            }
            Synth {
                name: if i == 0 {
                    HOSTILE_NAME.to_owned()
                } else {
                    format!("student{i:02}")
                },
                statuses,
                first_failures,
                modified: i % 7 == 3,
                late: if i % 5 == 2 { 1 + i % 2 } else { 0 },
                hints: (i % 3 == 0).then(|| (0..EXERCISES.len()).map(|_| rng.below(4)).collect()),
            }
        })
        .collect()
}

/// Writes the class's reports, a truncated one and one graded with other checks.
fn write_class(dir: &Path, class: &[Synth]) {
    std::fs::create_dir_all(dir).unwrap();
    for s in class {
        let text = serde_json::to_string_pretty(&s.report(FINGERPRINT)).unwrap();
        std::fs::write(dir.join(format!("{}.json", s.name)), text).unwrap();
    }
    let whole = serde_json::to_string_pretty(&class[1].report(FINGERPRINT)).unwrap();
    std::fs::write(dir.join("truncated.json"), &whole[..whole.len() / 2]).unwrap();
    let other = Synth {
        name: "other".into(),
        ..synthetic_class().remove(5)
    };
    std::fs::write(
        dir.join("other.json"),
        serde_json::to_string(&other.report("ffffeeeeddddcccc")).unwrap(),
    )
    .unwrap();
}

/// What the page should show for one exercise, computed from the test's own data.
#[derive(Default, Debug)]
struct Expected {
    by_status: HashMap<&'static str, usize>,
    stopped_here: usize,
    failures: HashMap<String, usize>,
}

fn expected(class: &[Synth]) -> Vec<Expected> {
    let mut out: Vec<Expected> = (0..EXERCISES.len()).map(|_| Expected::default()).collect();
    for s in class {
        for (j, status) in s.statuses.iter().enumerate() {
            *out[j].by_status.entry(status).or_default() += 1;
            if let Some(f) = &s.first_failures[j] {
                *out[j].failures.entry(f.clone()).or_default() += 1;
            }
        }
        if let Some(stop) = s.statuses.iter().position(|s| *s != "passed") {
            out[stop].stopped_here += 1;
        }
    }
    out
}

fn median(mut scores: Vec<u64>) -> String {
    scores.sort_unstable();
    let n = scores.len();
    let m = if n % 2 == 1 {
        scores[n / 2] as f64
    } else {
        (scores[n / 2 - 1] + scores[n / 2]) as f64 / 2.0
    };
    if m.fract() == 0.0 {
        format!("{m:.0}")
    } else {
        format!("{m:.1}")
    }
}

/// The browser, or `None` (and a note) where it is not installed; in CI (`CI` set) a missing
/// browser fails the test instead: `.ci/run` installs Debian's `chromium`.
fn chromium() -> Option<&'static str> {
    for name in ["chromium", "chromium-browser", "google-chrome"] {
        let found = Command::new(name)
            .arg("--version")
            .stdin(Stdio::null())
            .output()
            .is_ok_and(|o| o.status.success());
        if found {
            return Some(name);
        }
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "chromium is not installed: `.ci/run` installs it"
    );
    crate::support::skipped("chromium is not installed, so the class report's check in a browser");
    None
}

/// Runs headless Chromium with `args` and returns what it printed, within a time limit.
fn browse(browser: &str, args: &[String]) -> String {
    let profile = tempfile::tempdir().unwrap();
    let mut child = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()
        .expect("chromium starts");
    let mut stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        std::io::Read::read_to_string(&mut stdout, &mut text).ok();
        text
    });
    let started = Instant::now();
    loop {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        if started.elapsed() > BROWSER_TIME_LIMIT {
            let _ = Command::new("kill")
                .args(["-KILL", &format!("-{}", child.id())])
                .status();
            let _ = child.wait();
            panic!("chromium {args:?} did not finish within {BROWSER_TIME_LIMIT:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    reader.join().unwrap()
}

use std::os::unix::process::CommandExt;

/// The markup of the element whose opening tag holds `marker`, up to its closing `</tag>`
/// (for elements that do not nest in themselves: rows, cells, `b`, `p`, `ul`).
fn element<'a>(dom: &'a str, marker: &str) -> &'a str {
    let at = dom
        .find(marker)
        .unwrap_or_else(|| panic!("no {marker} in the page"));
    let open = dom[..at].rfind('<').unwrap();
    let tag: String = dom[open + 1..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric())
        .collect();
    let close = format!("</{tag}>");
    let end = at + dom[at..].find(&close).unwrap() + close.len();
    &dom[open..end]
}

/// The text of some markup, tags dropped and the common entities read.
fn text(markup: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in markup.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
        .trim()
        .to_owned()
}

fn cell(row: &str, key: &str) -> String {
    text(element(row, &format!("data-k=\"{key}\"")))
}

/// The value of the first `name="..."` attribute in some markup.
fn attribute<'a>(markup: &'a str, name: &str) -> &'a str {
    let marker = format!("{name}=\"");
    let start = markup.find(&marker).unwrap() + marker.len();
    &markup[start..start + markup[start..].find('"').unwrap()]
}

/// The page's one-letter code for a status.
fn letter(status: &str) -> char {
    match status {
        "passed" => 'p',
        "compile_error" => 'c',
        "checks_failed" => 'f',
        "timed_out" => 't',
        "refused" => 'r',
        _ => 'm',
    }
}

/// The fields of one CSV line (RFC 4180 quoting).
fn csv_fields(line: &str) -> Vec<String> {
    let mut fields = vec![String::new()];
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                chars.next();
                fields.last_mut().unwrap().push('"');
            }
            '"' => quoted = !quoted,
            ',' if !quoted => fields.push(String::new()),
            c => fields.last_mut().unwrap().push(c),
        }
    }
    fields
}

fn class_report(wb: &Workbook, args: &[&str]) -> crate::support::Run {
    let mut full = vec!["class-report"];
    full.extend_from_slice(args);
    wb.run_vec(&full)
}

#[test]
fn the_page_shows_the_class_in_a_browser() {
    let wb = Workbook::empty();
    let class = synthetic_class();
    write_class(&wb.path().join("reports"), &class);
    std::fs::write(wb.path().join("reports/notes.json"), "{\"hello\": 1}").unwrap();
    wb.write(
        "roster.txt",
        "# the class\nacme/hw-student01 student01\nacme/hw-dropped dropped\n",
    );
    let run = class_report(
        &wb,
        &[
            "reports",
            "--roster",
            "roster.txt",
            "--title",
            "Async Rust, spring",
        ],
    );
    run.succeeds()
        .stdout_has(
            "Async Rust, spring: 40 students graded with checks a1b2c3d4e5f6 (the most common).",
        )
        .stdout_has("is cut short (truncated)")
        .stdout_has("other: checks ffffeeeedddd (")
        .stdout_has("On the roster without a report (1): dropped");
    let page_path = wb.path().join("class-report/index.html");
    let page = std::fs::read_to_string(&page_path).unwrap();
    // Self-contained: nothing fetched from anywhere.
    for outside in ["http://", "https://", "src=\"", "<link", "@import", "url("] {
        assert!(
            !page.contains(outside),
            "the page refers to something outside itself: {outside}"
        );
    }
    assert!(!page.contains("<img"), "a student's name became markup");

    let Some(browser) = chromium() else {
        return;
    };
    let url = format!("file://{}", page_path.display());
    let dom = browse(
        browser,
        &["--dump-dom".into(), format!("{url}#sort=-score")],
    );
    assert!(
        dom.contains("id=\"exercise-table\""),
        "no page rendered:\n{dom}"
    );
    // Kept with the test's build, beside the screenshot, to look at.
    let shots = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("class-report");
    std::fs::create_dir_all(&shots).unwrap();
    std::fs::copy(&page_path, shots.join("index.html")).unwrap();
    std::fs::write(shots.join("dom.html"), &dom).unwrap();

    // The numbers, as the browser shows them, against the test's own count.
    let scores: Vec<u64> = class.iter().map(Synth::score).collect();
    assert_eq!(text(element(&dom, "id=\"n-students\"")), "40");
    assert_eq!(text(element(&dom, "id=\"median\"")), median(scores.clone()));
    assert_eq!(
        text(element(&dom, "id=\"n-full\"")),
        scores.iter().filter(|s| **s == 10).count().to_string()
    );
    for (j, (want, (name, _, _))) in expected(&class).iter().zip(EXERCISES).enumerate() {
        let row = element(&dom, &format!("id=\"ex-{}\"", j + 1));
        assert!(row.contains(&format!("data-name=\"{name}\"")), "{row}");
        let n = |s: &str| want.by_status.get(s).copied().unwrap_or(0);
        let rate = (n("passed") as f64 * 100.0 / 40.0).round();
        assert_eq!(cell(row, "pass-rate"), format!("{rate}%"), "{name}");
        for status in [
            "compile_error",
            "checks_failed",
            "timed_out",
            "refused",
            "missing",
        ] {
            assert_eq!(cell(row, status), n(status).to_string(), "{name} {status}");
        }
        assert_eq!(cell(row, "stop"), want.stopped_here.to_string(), "{name}");
        let top = cell(row, "top-failure");
        match want.failures.values().max() {
            Some(most) => {
                let shown = want
                    .failures
                    .iter()
                    .find(|(f, count)| *count == most && top.starts_with(f.as_str()))
                    .unwrap_or_else(|| {
                        panic!(
                            "{name}: `{top}` is not a most common failure of {:?}",
                            want.failures
                        )
                    });
                assert!(top.ends_with(&format!("({})", shown.1)), "{top}");
            }
            None => assert_eq!(top, "", "{name}"),
        }
    }
    // The distribution adds up to the class.
    let hist = &dom[dom.find("id=\"distribution\"").unwrap()..];
    let hist = &hist[..hist.find("</section>").unwrap()];
    let total: usize = hist
        .split("class=\"n\">")
        .skip(1)
        .map(|s| s[..s.find('<').unwrap()].parse::<usize>().unwrap())
        .sum();
    assert_eq!(total, 40);

    // The script ran: sorted by score (from the address), strips drawn as cells.
    let body = element(&dom, "id=\"student-table\"");
    let shown: Vec<f64> = body
        .split("data-k=\"score\" data-v=\"")
        .skip(1)
        .map(|s| s[..s.find('"').unwrap()].parse().unwrap())
        .collect();
    assert_eq!(shown.len(), 40);
    assert!(
        shown.windows(2).all(|w| w[0] >= w[1]),
        "not sorted by score: {shown:?}"
    );
    // Each student's strip, drawn by the script as runs of one status, spells their statuses.
    let letters: HashMap<String, String> = class
        .iter()
        .map(|s| {
            let spelled = s.statuses.iter().map(|st| letter(st)).collect();
            (s.name.clone(), spelled)
        })
        .collect();
    for row in body.split("<tr id=\"row-").skip(1) {
        let name = text(attribute(row, "data-name"));
        let strip = element(row, "class=\"strip\"");
        let mut drawn = String::new();
        for run in strip.split("<i class=\"c k-").skip(1) {
            let status = run.chars().next().unwrap();
            let n: usize = run[run.find("data-n=\"").unwrap() + 8..]
                .split('"')
                .next()
                .unwrap()
                .parse()
                .unwrap();
            drawn.extend(std::iter::repeat_n(status, n));
        }
        assert_eq!(drawn, letters[&name], "the strip of {name}: {strip}");
    }
    // Flags and self-reported progress, from the test's data.
    let flagged = class.iter().filter(|s| s.flagged()).count();
    assert_eq!(body.matches("data-flags=\"\"").count(), 40 - flagged);
    let reported = class.iter().filter(|s| s.hints.is_some()).count();
    let hint_cells = body
        .matches("class=\"self\" data-k=\"hints\" data-v=\"")
        .count();
    let unknown = body.matches("data-k=\"hints\" data-v=\"-1\"").count();
    assert_eq!((hint_cells - unknown, unknown), (reported, 40 - reported));
    assert!(dom.contains("Self-reported: from the student's own progress file"));
    // The skipped, the different and the missing are named.
    let skipped = text(element(&dom, "id=\"skipped\""));
    assert!(
        skipped.contains("truncated.json is cut short (truncated)"),
        "{skipped}"
    );
    assert!(
        skipped.contains("notes.json is not an `asynclings grade"),
        "{skipped}"
    );
    assert_eq!(
        text(element(&dom, "id=\"different-checks\"")),
        "other ffffeeeedddd"
    );
    assert_eq!(text(element(&dom, "id=\"no-report\"")), "dropped");
    // Untrusted text stays text.
    assert!(dom.contains("&lt;img src=x onerror=alert(1)&gt;"));
    assert!(!dom.contains("<img"));
    assert!(dom.contains("&lt;script&gt;document.title='pwned'"));
    assert!(dom.contains("<title>Async Rust, spring</title>"));

    // Filtering, from the address as a teacher's bookmark would.
    let dom = browse(
        browser,
        &["--dump-dom".into(), format!("{url}#show=flagged")],
    );
    assert_eq!(
        text(element(&dom, "id=\"shown\"")),
        format!("{flagged} shown")
    );

    // A screenshot to look at, kept with the test's build.
    let png = shots.join("class-report.png");
    let _ = std::fs::remove_file(&png);
    browse(
        browser,
        &[
            format!("--screenshot={}", png.display()),
            "--window-size=1280,2000".into(),
            "--hide-scrollbars".into(),
            url,
        ],
    );
    let bytes = std::fs::read(&png).expect("a screenshot was written");
    assert!(bytes.starts_with(b"\x89PNG"), "not a PNG");
    eprintln!("screenshot: {}", png.display());
}

#[test]
fn the_csv_is_what_a_gradebook_imports() {
    let wb = Workbook::empty();
    let class = synthetic_class();
    write_class(&wb.path().join("reports"), &class);
    class_report(&wb, &["reports", "--out-dir", "out"]).succeeds();
    let csv = wb.read("out/grades.csv");
    let lines: Vec<&str> = csv.lines().collect();
    let header: Vec<&str> = lines[0].split(',').collect();
    assert_eq!(header[..3], ["student", "score", "max_score"]);
    assert_eq!(header[3..3 + EXERCISES.len()], EXERCISES.map(|e| e.0)[..]);
    // 40 students, then the one graded with other checks, which says so.
    assert_eq!(lines.len(), 1 + 40 + 1, "{csv}");
    let rows: HashMap<String, Vec<String>> = lines[1..]
        .iter()
        .map(|l| {
            let fields = csv_fields(l);
            (fields[0].clone(), fields)
        })
        .collect();
    for s in &class[1..] {
        let row = &rows[&s.name];
        assert_eq!(row[1], s.score().to_string(), "{}", s.name);
        assert_eq!(row[2], "10");
        for (j, status) in s.statuses.iter().enumerate() {
            let points = if *status == "passed" {
                EXERCISES[j].2
            } else {
                0
            };
            assert_eq!(
                row[3 + j],
                points.to_string(),
                "{} {}",
                s.name,
                EXERCISES[j].0
            );
        }
        assert_eq!(row[3 + EXERCISES.len() + 1], s.late.to_string());
    }
    assert!(
        rows["other"]
            .last()
            .unwrap()
            .contains("graded with different checks")
    );
    // A name that is markup in HTML is plain text in CSV, and no formula.
    assert!(rows.contains_key(HOSTILE_NAME));
}

#[test]
fn nothing_readable_is_an_error_that_names_each_file() {
    let wb = Workbook::empty();
    wb.write(
        "reports/a.json",
        "{\"schema\": \"asynclings-grade\", \"version\": 1",
    );
    wb.write("reports/b.json", "");
    let run = class_report(&wb, &["reports"]);
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    assert!(
        run.stderr.contains("a.json`: is cut short"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("b.json`: is empty"), "{}", run.stderr);
    assert!(
        run.stderr.contains("error: no report could be read"),
        "{}",
        run.stderr
    );
}

/// A report whose numbers do not add up, or from a newer schema, is named and skipped.
#[test]
fn reports_that_do_not_hold_together_are_skipped() {
    let wb = Workbook::empty();
    let class = synthetic_class();
    let mut inflated = class[3].report(FINGERPRINT);
    inflated["score"] = json!(10);
    let mut newer = class[4].report(FINGERPRINT);
    newer["version"] = json!(9);
    wb.write("r/good.json", &class[2].report(FINGERPRINT).to_string());
    wb.write("r/inflated.json", &inflated.to_string());
    wb.write("r/newer.json", &newer.to_string());
    let run = class_report(&wb, &["r"]);
    run.succeeds()
        .stdout_has(": 1 students graded")
        .stdout_has("inflated.json` does not add up: score 10 of 10")
        .stdout_has("newer.json` has schema version 9");
}

fn git_at(dir: &Path, date: &str, args: &[&str]) -> String {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_AUTHOR_DATE", date)
        .env("GIT_COMMITTER_DATE", date)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

fn files_of(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                // Git's own bookkeeping (the index's stat cache) may be refreshed by reading.
                if !path.ends_with("target") && path.file_name().unwrap() != ".git" {
                    stack.push(path);
                }
            } else {
                out.push((path.clone(), std::fs::read(&path).unwrap()));
            }
        }
    }
    out.sort();
    out
}

/// `grade --at`: the commit at the deadline is graded from an export, the working tree is
/// left as it was, every format names the commit, later commits are listed; and the class
/// report reads the real reports.
#[test]
fn grading_at_a_deadline_names_the_commit_and_the_late_ones() {
    let wb = Workbook::fixture("basic");
    let dir = wb.path();
    git_at(
        dir,
        "2025-03-01T09:00:00+01:00",
        &["commit", "-q", "--amend", "--no-edit", "--reset-author"],
    );
    wb.solve("a", "fail1");
    wb.write(
        ".asynclings-state.toml",
        "done = [\"fail1\"]\ntime_spent_secs = 1800\n[hints]\nfail1 = 2\n",
    );
    git_at(dir, "2025-03-10T12:00:00+01:00", &["add", "-f", "-A"]);
    git_at(
        dir,
        "2025-03-10T12:00:00+01:00",
        &["commit", "-q", "-m", "solve fail1"],
    );
    let on_time = git_at(dir, "2025-03-10T12:00:00+01:00", &["rev-parse", "HEAD"]);
    wb.solve("a", "compile1");
    git_at(
        dir,
        "2025-03-16T09:00:00Z",
        &["commit", "-q", "-am", "late <fix>"],
    );
    let late = git_at(dir, "2025-03-16T09:00:00Z", &["rev-parse", "HEAD"]);
    // Work in progress, not committed: it must be neither graded nor touched.
    wb.write("exercises/a/pass1.rs", "fn main() { broken }\n");
    let before = files_of(dir);
    let status_before = wb.git(&["status", "--porcelain"]);

    let run = wb.run([
        "grade",
        "--workbook-checks",
        "--only",
        "pass1,compile1,fail1",
        "--at",
        "2025-03-14T23:59:00+01:00",
        "--out-dir",
        "out",
        "--format",
        "json",
    ]);
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    let report: Value = serde_json::from_str(&run.stdout).unwrap();
    let graded = &report["graded"];
    assert_eq!(graded["source"], "commit");
    assert_eq!(graded["commit"], on_time.as_str());
    assert_eq!(graded["commit_date"], "2025-03-10T12:00:00+01:00");
    assert_eq!(graded["at"], "2025-03-14T23:59:00+01:00");
    assert_eq!(graded["n_late_commits"], 1);
    assert_eq!(graded["late_commits"][0]["commit"], late.as_str());
    assert_eq!(graded["late_commits"][0]["subject"], "late <fix>");
    let statuses: Vec<&str> = report["exercises"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["status"].as_str().unwrap())
        .collect();
    assert_eq!(
        statuses,
        ["passed", "compile_error", "passed"],
        "the commit's files, not the working tree's"
    );
    assert_eq!(report["self_reported"]["hints"]["fail1"], 2);
    assert_eq!(report["self_reported"]["time_spent_secs"], 1800);
    assert_eq!(report["score"], 2, "self-reported progress is never points");

    // Nothing in the student's repository changed (the reports went to `out/`).
    let after: Vec<_> = files_of(dir)
        .into_iter()
        .filter(|(p, _)| !p.starts_with(dir.join("out")))
        .collect();
    assert!(before == after, "grade --at changed the working tree");
    assert_eq!(
        wb.git(&["status", "--porcelain"]).replace("?? out/\n", ""),
        status_before
    );
    assert!(!dir.join(".git/worktrees").exists());

    // Every format says which commit.
    let short = &on_time[..12];
    let human = wb.read("out/report.txt");
    assert!(
        human.contains(&format!("Graded commit {short} of 2025-03-10T12:00:00+01:00, the last at or before 2025-03-14T23:59:00+01:00.")),
        "{human}"
    );
    assert!(
        human.contains(&format!(
            "  {} 2025-03-16T09:00:00Z late <fix>",
            &late[..12]
        )),
        "{human}"
    );
    assert!(
        human.contains("Self-reported in the progress file"),
        "{human}"
    );
    for file in ["classroom.json", "exercism.json", "report.json"] {
        let value: Value = serde_json::from_str(&wb.read(&format!("out/{file}"))).unwrap();
        assert_eq!(value["graded"]["commit"], on_time.as_str(), "{file}");
    }
    let junit = wb.read("out/junit.xml");
    let doc = roxmltree::Document::parse(&junit).unwrap();
    let property = |name: &str| {
        doc.descendants()
            .find(|n| n.attribute("name") == Some(name))
            .and_then(|n| n.attribute("value"))
            .map(str::to_owned)
    };
    assert_eq!(property("graded_commit").as_deref(), Some(on_time.as_str()));
    assert_eq!(property("late_commits").as_deref(), Some("1"));

    // A revision works as well; a date before the first commit, or nonsense, is a clear error.
    let first = git_at(
        dir,
        "2025-03-01T09:00:00+01:00",
        &["rev-list", "--max-parents=0", "HEAD"],
    );
    let run = wb.run([
        "grade",
        "--workbook-checks",
        "--only",
        "pass1",
        "--at",
        &first[..10],
        "--format",
        "json",
    ]);
    let report: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(report["graded"]["commit"], first.as_str());
    assert_eq!(report["graded"]["n_late_commits"], 2);
    let run = wb.run(["grade", "--workbook-checks", "--at", "2025-02-01"]);
    assert_eq!(run.code, Some(2));
    run.clean_error();
    assert!(
        run.stderr
            .contains("no commit of this branch is dated at or before 2025-02-01T23:59:59Z"),
        "{}",
        run.stderr
    );
    let run = wb.run(["grade", "--workbook-checks", "--at", "last tuesday"]);
    assert_eq!(run.code, Some(2));
    assert!(
        run.stderr.contains("is neither a date-time"),
        "{}",
        run.stderr
    );

    // The class report reads real reports: this one and the working tree's.
    std::fs::create_dir_all(dir.join("class")).unwrap();
    std::fs::copy(dir.join("out/report.json"), dir.join("class/alice.json")).unwrap();
    let run = wb.run([
        "grade",
        "--workbook-checks",
        "--only",
        "pass1,compile1,fail1",
        "--format",
        "json",
        "--output",
        "class/bob.json",
    ]);
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    let run = wb.run(["class-report", "class", "--out-dir", "class-out"]);
    run.succeeds()
        .stdout_has(": 2 students graded")
        .stdout_has("1 with commits after the deadline");
    let csv = wb.read("class-out/grades.csv");
    let alice = csv.lines().find(|l| l.starts_with("alice,")).unwrap();
    assert_eq!(alice, format!("alice,2,3,1,0,1,{on_time},1,"));
    let bob = csv.lines().find(|l| l.starts_with("bob,")).unwrap();
    assert!(
        bob.starts_with("bob,2,3,0,1,1,"),
        "the working tree: pass1 broken, compile1 solved: {bob}"
    );
}

fn workflow() -> serde_yaml::Value {
    let wb = Workbook::empty();
    let rev = "0123456789abcdef0123456789abcdef01234567";
    class_report(
        &wb,
        &[
            "--workflow",
            ".github/workflows/regrade.yml",
            "--runner-git",
            "https://example.org/teacher/asynclings.git",
            "--runner-rev",
            rev,
        ],
    )
    .succeeds()
    .stdout_has("STUDENT_REPOS_TOKEN");
    serde_yaml::from_str(&wb.read(".github/workflows/regrade.yml")).unwrap()
}

fn steps(job: &serde_yaml::Value) -> Vec<&serde_yaml::Value> {
    job["steps"].as_sequence().unwrap().iter().collect()
}

fn runs(job: &serde_yaml::Value) -> String {
    steps(job)
        .iter()
        .filter_map(|s| s["run"].as_str())
        .collect::<Vec<_>>()
        .join("\n")
}

fn uses<'a>(job: &'a serde_yaml::Value, action: &str) -> Vec<&'a serde_yaml::Value> {
    job["steps"]
        .as_sequence()
        .unwrap()
        .iter()
        .filter(|s| s["uses"].as_str().is_some_and(|u| u.starts_with(action)))
        .collect()
}

/// The regrade workflow: a plan, one build at the pinned commit, a matrix of grading jobs
/// that download that build, and a class report at the end.
#[test]
fn the_regrade_workflow_builds_once_and_fans_out() {
    let wf = workflow();
    assert_eq!(
        wf["env"]["RUNNER_REV"],
        "0123456789abcdef0123456789abcdef01234567"
    );
    assert_eq!(
        wf["env"]["RUNNER_GIT"],
        "https://example.org/teacher/asynclings.git"
    );
    assert_eq!(wf["permissions"]["contents"], "read");
    let jobs = wf["jobs"].as_mapping().unwrap();
    let names: Vec<&str> = jobs.keys().map(|k| k.as_str().unwrap()).collect();
    assert_eq!(names, ["plan", "build", "grade", "report"]);
    let (plan, build, grade, report) = (
        &wf["jobs"]["plan"],
        &wf["jobs"]["build"],
        &wf["jobs"]["grade"],
        &wf["jobs"]["report"],
    );

    // Built once: one cargo build in the whole workflow, in `build`, at the pinned commit,
    // checked to be that commit, and passed on as an artifact.
    let all_runs: Vec<String> = [plan, build, grade, report]
        .iter()
        .map(|j| runs(j))
        .collect();
    assert_eq!(
        all_runs
            .iter()
            .map(|r| r.matches("cargo build").count())
            .sum::<usize>(),
        1
    );
    assert!(!all_runs.iter().any(|r| r.contains("cargo install")));
    let build_runs = runs(build);
    assert!(
        build_runs.contains("cargo build --release --locked"),
        "{build_runs}"
    );
    assert!(
        build_runs.contains("fetch -q --depth 1 \"$RUNNER_GIT\" \"$RUNNER_REV\""),
        "{build_runs}"
    );
    assert!(
        build_runs.contains("rev-parse HEAD)\" = \"$RUNNER_REV\""),
        "{build_runs}"
    );
    let upload = uses(build, "actions/upload-artifact");
    assert_eq!(upload.len(), 1);
    assert_eq!(upload[0]["with"]["name"], "asynclings-runner");
    for job in [grade, report] {
        let download = uses(job, "actions/download-artifact");
        assert!(
            download
                .iter()
                .any(|d| d["with"]["name"] == "asynclings-runner")
        );
        assert!(runs(job).contains("$RUNNER_TEMP/bin/asynclings"));
    }

    // The matrix comes from the plan, and every grading job waits for the build.
    let needs: Vec<&str> = grade["needs"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap())
        .collect();
    assert_eq!(needs, ["plan", "build"]);
    assert_eq!(
        grade["strategy"]["matrix"],
        "${{ fromJSON(needs.plan.outputs.matrix) }}"
    );
    assert_eq!(grade["strategy"]["fail-fast"], false);
    assert_eq!(
        plan["outputs"]["matrix"],
        "${{ steps.split.outputs.matrix }}"
    );

    // The token is read in the clone step only, never where grading runs the students' code.
    let grade_steps = steps(grade);
    let with_token: Vec<&str> = grade_steps
        .iter()
        .filter(|s| serde_yaml::to_string(s).unwrap().contains("secrets."))
        .map(|s| s["name"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(with_token, ["Clone this chunk's repositories"]);
    let grading = grade_steps
        .iter()
        .find(|s| s["name"] == "Grade this chunk")
        .unwrap();
    let script = grading["run"].as_str().unwrap();
    assert!(script.contains(" grade "), "{script}");
    assert!(script.contains("--format json --exit-zero"), "{script}");
    assert!(script.contains("at=(--at \"$AT\")"), "{script}");
    assert_eq!(grading["env"]["AT"], "${{ inputs.at }}");
    let uploads = uses(grade, "actions/upload-artifact");
    assert_eq!(uploads[0]["with"]["name"], "reports-${{ matrix.chunk }}");
    for step in steps(plan).iter().chain(&grade_steps).chain(&steps(report)) {
        if step["uses"]
            .as_str()
            .is_some_and(|u| u.starts_with("actions/checkout"))
        {
            assert_eq!(step["with"]["persist-credentials"], false);
        }
    }

    // The class report at the end, from every chunk's reports, even when some chunk failed.
    assert!(
        report["needs"]
            .as_sequence()
            .unwrap()
            .iter()
            .any(|n| n == "grade")
    );
    assert!(report["if"].as_str().unwrap().contains("!cancelled()"));
    let merged = uses(report, "actions/download-artifact");
    assert!(
        merged
            .iter()
            .any(|d| d["with"]["pattern"] == "reports-*" && d["with"]["merge-multiple"] == true)
    );
    assert!(
        runs(report).contains("class-report reports --roster \"$ROSTER\" --out-dir class-report")
    );
    assert_eq!(
        uses(report, "actions/upload-artifact")[0]["with"]["name"],
        "class-report"
    );
}

/// Runs the plan job's script on a roster, as Actions would, and returns the matrix.
fn split(wf: &serde_yaml::Value, roster: &str) -> Result<Value, String> {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("roster.txt"), roster).unwrap();
    let script = steps(&wf["jobs"]["plan"])
        .iter()
        .find(|s| s["id"] == "split")
        .and_then(|s| s["run"].as_str())
        .unwrap()
        .to_owned();
    let output = dir.path().join("github-output");
    let env = |key: &str| {
        wf["env"][key]
            .as_str()
            .map(str::to_owned)
            .unwrap_or_else(|| wf["env"][key].as_u64().unwrap().to_string())
    };
    // `timeout`: a hang in the script fails the test instead of stalling it.
    let out = Command::new("timeout")
        .args(["60", "bash", "-c", &script])
        .current_dir(dir.path())
        .env("ROSTER", env("ROSTER"))
        .env("STUDENTS_PER_JOB", env("STUDENTS_PER_JOB"))
        .env("MAX_JOBS", env("MAX_JOBS"))
        .env("GITHUB_OUTPUT", &output)
        .output()
        .unwrap();
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).into_owned());
    }
    let written = std::fs::read_to_string(output).unwrap();
    let json = written.strip_prefix("matrix=").expect("matrix=...");
    Ok(serde_json::from_str(json.trim()).unwrap())
}

#[test]
fn the_roster_is_split_within_the_matrix_limit() {
    let wf = workflow();
    let max_jobs = wf["env"]["MAX_JOBS"].as_u64().unwrap();
    assert!(max_jobs <= 256, "Actions allows 256 jobs per matrix");
    for n in [1, 7, 40, 100, 1000, 3000] {
        let roster: String = (0..n).map(|i| format!("acme/hw-s{i} s{i}\n")).collect();
        let matrix = split(&wf, &format!("# roster\n\n{roster}")).unwrap();
        let chunks = matrix["include"].as_array().unwrap();
        assert!(
            chunks.len() as u64 <= max_jobs,
            "{n} students: {} jobs",
            chunks.len()
        );
        let mut seen = Vec::new();
        for (i, chunk) in chunks.iter().enumerate() {
            assert_eq!(chunk["chunk"], i + 1);
            let lines: Vec<&str> = chunk["students"].as_str().unwrap().lines().collect();
            assert!(!lines.is_empty());
            seen.extend(lines.iter().map(|l| l.to_string()));
        }
        let want: Vec<String> = (0..n).map(|i| format!("acme/hw-s{i} s{i}")).collect();
        assert_eq!(seen, want, "{n} students: each exactly once, in order");
        let sizes: Vec<usize> = chunks
            .iter()
            .map(|c| c["students"].as_str().unwrap().lines().count())
            .collect();
        assert!(
            sizes.iter().max().unwrap()
                - sizes[..sizes.len() - 1].iter().min().unwrap_or(&sizes[0])
                <= 1
                || sizes.len() == 1
                || sizes[..sizes.len() - 1].iter().all(|s| *s == sizes[0]),
            "{sizes:?}"
        );
    }
    // A class of 1,000 fits, in 100 jobs of 10.
    let roster: String = (0..1000).map(|i| format!("acme/hw-s{i}\n")).collect();
    let matrix = split(&wf, &roster).unwrap();
    assert_eq!(matrix["include"].as_array().unwrap().len(), 100);
    assert!(
        matrix["include"][0]["students"]
            .as_str()
            .unwrap()
            .starts_with("acme/hw-s0 hw-s0\n")
    );
    // Bad lines are named by line, and nothing is graded.
    let err = split(&wf, "acme/ok\nnot a repo\nacme/ok\n").unwrap_err();
    assert!(err.contains("roster.txt,line=2::expected"), "{err}");
    assert!(err.contains("line=3::ok is on the roster twice"), "{err}");
    let err = split(&wf, "# nobody\n").unwrap_err();
    assert!(err.contains("the roster lists no student"), "{err}");
}

/// Runs one step's script of the workflow as Actions would: bash, in `cwd`, with `env`.
fn run_step(
    step: &serde_yaml::Value,
    cwd: &Path,
    env: &[(&str, &Path)],
    vars: &[(&str, &str)],
) -> std::process::Output {
    let script = step["run"].as_str().unwrap();
    let mut cmd = Command::new("timeout");
    cmd.args(["600", "bash", "-e", "-c", script])
        .current_dir(cwd);
    for (key, value) in env {
        cmd.env(key, value);
    }
    for (key, value) in vars {
        cmd.env(key, value);
    }
    cmd.env(
        "ASYNCLINGS_GRADE_DIR",
        crate::support::repo_root().join("target/asynclings-test-grade"),
    )
    .env("NO_COLOR", "1")
    .output()
    .unwrap()
}

/// The grading and report steps' scripts, run here on a clone of a fixture workbook with the
/// real runner: a report per cloned student, and a class report that names the one missing.
#[test]
fn the_workflow_scripts_grade_a_chunk_and_report() {
    let wf = workflow();
    let tmp = tempfile::tempdir().unwrap();
    let (workspace, runner_temp) = (tmp.path().join("ws"), tmp.path().join("runner"));
    std::fs::create_dir_all(runner_temp.join("bin")).unwrap();
    std::fs::create_dir_all(runner_temp.join("students")).unwrap();
    std::fs::copy(
        env!("CARGO_BIN_EXE_asynclings"),
        runner_temp.join("bin/asynclings"),
    )
    .unwrap();
    std::fs::create_dir_all(&workspace).unwrap();
    std::fs::write(
        workspace.join("roster.txt"),
        "acme/hw-alice alice\nacme/hw-bob bob\n",
    )
    .unwrap();
    // As the clone step leaves them: alice cloned, bob's clone failed.
    let student = Workbook::fixture("basic");
    student.solve("a", "fail1");
    let status = Command::new("git")
        .args(["clone", "-q"])
        .arg(student.path())
        .arg(runner_temp.join("students/alice"))
        .status()
        .unwrap();
    assert!(status.success());
    let env = [
        ("RUNNER_TEMP", runner_temp.as_path()),
        ("GITHUB_WORKSPACE", workspace.as_path()),
    ];
    let grading = steps(&wf["jobs"]["grade"])
        .into_iter()
        .find(|s| s["name"] == "Grade this chunk")
        .unwrap();
    let out = run_step(
        grading,
        &workspace,
        &env,
        &[
            ("STUDENTS", "acme/hw-alice alice\nacme/hw-bob bob\n"),
            ("AT", ""),
            ("ASSIGNMENT", "assignment.toml"),
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_str(
        &std::fs::read_to_string(workspace.join("reports/alice.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(report["schema"], "asynclings-grade");
    assert_eq!(
        report["checks"]["source"], "embedded",
        "the runner's checks, never the student's"
    );
    assert!(!workspace.join("reports/bob.json").exists());

    let writing = steps(&wf["jobs"]["report"])
        .into_iter()
        .find(|s| s["name"] == "Write the class report")
        .unwrap();
    let summary = tmp.path().join("summary.md");
    let out = run_step(
        writing,
        &workspace,
        &[
            ("RUNNER_TEMP", runner_temp.as_path()),
            ("GITHUB_STEP_SUMMARY", summary.as_path()),
        ],
        &[("ROSTER", "roster.txt")],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let summary = std::fs::read_to_string(summary).unwrap();
    assert!(summary.starts_with("```\n"), "{summary}");
    assert!(summary.contains(": 1 students graded"), "{summary}");
    assert!(
        summary.contains("On the roster without a report (1): bob"),
        "{summary}"
    );
    assert!(workspace.join("class-report/index.html").exists());
    assert!(workspace.join("class-report/grades.csv").exists());
}
