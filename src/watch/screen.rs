//! What watch mode draws: one frame per verdict, written in one piece after one clear, so
//! nothing flickers; and a status line that changes without a clear.

use std::io::Write;
use std::path::PathBuf;

use crate::exercise::Exercise;
use crate::outcome::Outcome;
use crate::term;

/// Clears the screen and the scrollback, and puts the cursor at the top.
const CLEAR: &str = "\x1b[H\x1b[2J\x1b[3J";

/// Writes a whole frame at once.
pub fn draw(frame: &str) {
    let mut out = std::io::stdout().lock();
    let _ = write!(out, "{CLEAR}{frame}");
    let _ = out.flush();
}

/// Replaces the last line of the screen (the key legend) with `text`.
pub fn status(text: &str) {
    let mut out = std::io::stdout().lock();
    let _ = write!(out, "\r\x1b[2K{text}");
    let _ = out.flush();
}

/// The one-line key legend: the longest form that fits the terminal's width.
pub fn legend(width: usize, passed: bool) -> String {
    let next = if passed { "n next · " } else { "" };
    let forms = [
        format!(
            "{next}h hint · l list · c check all · r re-run · x reset · e edit · q quit · ? keys"
        ),
        format!("{next}h hint · l list · c all · r re-run · x reset · e edit · q quit · ? keys"),
        format!("keys: {}h l c r x e q ?", if passed { "n " } else { "" }),
    ];
    let fits = forms.iter().find(|form| form.chars().count() <= width);
    term::dim(fits.unwrap_or(&forms[2]))
}

/// A terminal's size in character cells.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Size {
    pub rows: usize,
    pub cols: usize,
}

impl Size {
    /// The terminal's size now (80 × 24 when it cannot be read).
    pub fn of_terminal() -> Self {
        let (rows, cols) = console::Term::stdout().size_checked().unwrap_or((24, 80));
        Self {
            rows: usize::from(rows).max(8),
            cols: usize::from(cols).max(20),
        }
    }
}

/// The terminal's changes of size (`SIGWINCH`), where the platform reports them.
pub struct Resizes {
    #[cfg(unix)]
    signal: Option<tokio::signal::unix::Signal>,
}

impl Resizes {
    pub fn listen() -> Self {
        Self {
            #[cfg(unix)]
            signal: tokio::signal::unix::signal(tokio::signal::unix::SignalKind::window_change())
                .ok(),
        }
    }

    /// Waits for the next change of size; forever where none can be seen.
    pub async fn changed(&mut self) {
        #[cfg(unix)]
        if let Some(signal) = &mut self.signal
            && signal.recv().await.is_some()
        {
            return;
        }
        std::future::pending::<()>().await
    }
}

/// What the exercise screen shows about the current exercise's last check.
pub enum Verdict {
    Checking,
    Done(Outcome),
    Missing,
    /// The check could not run (the setup is broken): the error chain.
    Failed(String),
    /// Saved but not checked (`--manual-run`).
    Unchecked,
    /// The last exercise passed: what to say about the whole workbook.
    AllDone(String),
}

impl Verdict {
    pub fn is_passed(&self) -> bool {
        match self {
            Verdict::Done(outcome) => outcome.is_passed(),
            Verdict::AllDone(_) => true,
            _ => false,
        }
    }
}

/// Everything the exercise screen shows, gathered from watch mode's state: drawing it reads
/// nothing else, so every kind of screen can be tested at any size.
pub struct ExerciseScreen<'a> {
    pub ex: &'a Exercise,
    /// The exercise's place in the workbook, from 1, and how many there are.
    pub position: (usize, usize),
    pub n_done: usize,
    /// The learner's file, for the link on its path.
    pub file: PathBuf,
    pub welcome: Option<&'a str>,
    /// Lasting notes: file events fell back to polling, info.toml changed, progress unsaved.
    pub notices: &'a [String],
    pub verdict: &'a Verdict,
    pub hints_shown: usize,
    /// What the last action did (a reset, the last hint): shown just above the footer.
    pub message: Option<&'a str>,
}

/// A screen laid out for the terminal: the text to write, and how far it can scroll.
#[derive(Debug)]
pub struct Frame {
    pub text: String,
    /// The largest useful scroll offset (0 when everything fits).
    pub max_scroll: usize,
}

impl ExerciseScreen<'_> {
    /// The screen at `size`, with the verdict scrolled down by `scroll` lines. The title stays
    /// at the top and the message and footer at the bottom; only the middle scrolls.
    pub fn frame(&self, size: Size, scroll: usize) -> Frame {
        let width = size.cols;
        let (index, total) = self.position;
        let title = format!(
            "{} {} ({index} of {total})",
            term::bold("asynclings ·"),
            term::bold(&self.ex.name)
        );
        let body = term::wrap(self.body(width).trim_end_matches('\n'), width);
        let mut bottom = Vec::new();
        if let Some(message) = self.message {
            bottom.push(String::new());
            bottom.extend(term::wrap(message, width));
        }
        bottom.push(String::new());
        bottom.extend(self.footer(width));

        let bottom_rows: usize = bottom.iter().map(|line| rows(line, width)).sum();
        let room = size.rows.saturating_sub(2 + bottom_rows).max(1);
        let mut lines = vec![title, String::new()];
        let max_scroll = if body.len() <= room {
            lines.extend(body);
            0
        } else {
            // One line of the room says what is out of sight.
            let room = room.saturating_sub(1).max(1);
            let max_scroll = body.len() - room;
            let scroll = scroll.min(max_scroll);
            let below = body.len() - room - scroll;
            lines.extend(body.into_iter().skip(scroll).take(room));
            lines.push(scroll_note(scroll, below, width));
            max_scroll
        };
        lines.extend(bottom);
        Frame {
            text: lines.join("\n"),
            max_scroll,
        }
    }

    /// The part that scrolls: welcome, notices, the verdict, what to do next, the hints.
    fn body(&self, width: usize) -> String {
        let ex = self.ex;
        let path = ex.path().display().to_string();
        let mut out = String::new();
        if let Some(welcome) = self.welcome {
            out += &format!("{welcome}\n\n");
        }
        for notice in self.notices {
            out += &format!("{} {notice}\n", term::yellow("note:"));
        }
        if !self.notices.is_empty() {
            out.push('\n');
        }
        match self.verdict {
            Verdict::Checking => out += &format!("Checking `{path}`…\n"),
            Verdict::Done(outcome) => {
                out += &outcome.render_with(&path, width, &ex.advice);
                if outcome.is_passed() {
                    // An exercise that passes as shipped (intro1) has nothing to compare yet.
                    out += &if ex.skip_check_unsolved {
                        format!(
                            "\nNothing to fix here: read the file, then press {} for the next \
                             exercise.\n",
                            term::bold("n")
                        )
                    } else {
                        format!(
                            "\nCompare your code with `{}`. Press {} for the next exercise.\n",
                            ex.solution_path().display(),
                            term::bold("n")
                        )
                    };
                }
            }
            Verdict::Missing => {
                out += &format!(
                    "{} `{path}` is gone (deleted or renamed). Save it again, or press {} to \
                     restore the shipped version.\n",
                    term::red("✗ Missing:"),
                    term::bold("x")
                );
            }
            Verdict::Failed(err) => out += &format!("{} {err}\n", term::red("error:")),
            Verdict::Unchecked => {
                out += &format!(
                    "Saved. Press {} to check it (--manual-run).\n",
                    term::bold("r")
                );
            }
            Verdict::AllDone(summary) => {
                out += &format!("{} `{path}`\n\n{summary}", term::green("✓ Done:"));
            }
        }
        if self.hints_shown > 0 {
            out += &format!("\n{}", crate::commands::hint::render(ex, self.hints_shown));
        }
        out
    }

    fn footer(&self, width: usize) -> Vec<String> {
        let (_, total) = self.position;
        let bar_width = width.saturating_sub(30).clamp(10, 50);
        let path = self.ex.path().display().to_string();
        // The path is a link: wrapping would break it, and the terminal wraps it if it must.
        vec![
            format!(
                "{} {}",
                term::bold("Progress:"),
                term::bar(self.n_done, total, bar_width)
            ),
            format!(
                "{} {}",
                term::bold("Current exercise:"),
                term::file_link(&path, &self.file)
            ),
            legend(width, self.verdict.is_passed()),
        ]
    }
}

/// How many terminal rows `line` takes at `width` columns (a link's address takes none).
fn rows(line: &str, width: usize) -> usize {
    console::measure_text_width(&term::sanitize(line))
        .div_ceil(width.max(1))
        .max(1)
}

/// The line under a verdict taller than the screen: how much is out of sight, and the keys.
fn scroll_note(above: usize, below: usize, width: usize) -> String {
    let mut parts = Vec::new();
    if above > 0 {
        parts.push(format!("↑ {above} more above"));
    }
    if below > 0 {
        parts.push(format!("↓ {below} more below"));
    }
    let long = format!("{} (↑/↓, PgUp/PgDn, Home/End to scroll)", parts.join(" · "));
    let text = if long.chars().count() <= width {
        long
    } else {
        parts.join(" · ")
    };
    term::yellow(&text)
}

/// Asks before resetting the exercise at `path`.
pub fn confirm_reset(path: &str) -> String {
    format!(
        "Reset `{path}` to the version it shipped with?\nYour version is kept in \
         `.asynclings-backups/`.\n\n{}",
        term::bold("y: reset · any other key: keep it")
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn the_legend_fits_narrow_terminals() {
        console::set_colors_enabled(false);
        assert!(legend(80, true).starts_with("n next · h hint"));
        assert_eq!(legend(40, false), "keys: h l c r x e q ?");
        assert!(legend(80, true).chars().count() <= 80);
    }

    use crate::cargo::Diagnostic;
    use crate::outcome::{CheckFailure, ChecksFailed, CompileError, Passed, Refused, TimedOut};

    fn exercise() -> Exercise {
        let mut ex = Exercise::for_tests("03_join", "join1");
        ex.hints = vec![
            "Look at how the three requests are awaited: does the second start before the \
             first has finished?"
                .to_owned(),
            "`tokio::join!` polls several futures together and waits for all of them.".to_owned(),
        ];
        ex
    }

    fn error(file: &str, line: usize, message: &str) -> Diagnostic {
        let rendered = format!(
            "error[E0308]: {message}\n  --> {file}:{line}:5\n   |\n{line:>2} |     let page = \
             load_page(&profile, &orders, &news, user);\n   |                ^^^^^^^^^ expected \
             `Page`, found future\n\n"
        );
        serde_json::from_value(serde_json::json!({
            "level": "error",
            "message": message,
            "spans": [{"file_name": file, "line_start": line, "column_start": 5, "is_primary": true}],
            "rendered": rendered,
        }))
        .unwrap()
    }

    /// Every kind of verdict the exercise screen shows.
    fn verdicts() -> Vec<(&'static str, Verdict)> {
        let many_errors = (1..=12)
            .map(|i| error("exercises/03_join/join1.rs", 10 + i, "mismatched types"))
            .chain([error("checks/03_join/join1.rs", 40, "in the checks")])
            .collect();
        vec![
            ("checking", Verdict::Checking),
            (
                "compile_error",
                Verdict::Done(Outcome::CompileError(CompileError {
                    diagnostics: vec![error("exercises/03_join/join1.rs", 31, "mismatched types")],
                    cargo_stderr: String::new(),
                    timed_out: None,
                    clippy: false,
                })),
            ),
            (
                "compile_error_taller_than_the_screen",
                Verdict::Done(Outcome::CompileError(CompileError {
                    diagnostics: many_errors,
                    cargo_stderr: String::new(),
                    timed_out: None,
                    clippy: false,
                })),
            ),
            (
                "checks_failed",
                Verdict::Done(Outcome::ChecksFailed(ChecksFailed {
                    failures: vec![{
                        // As the support library sends it: the learner's run and the expected.
                        let (message, timeline) = crate::timeline::extract(concat!(
                            "load_page took 420ms of virtual time with requests of 110ms, 90ms ",
                            "and 220ms: are they awaited one after another? Joined, the page ",
                            "takes as long as the slowest, 220ms.\n",
                            "asynclings-timeline v1 {\"recorded\":{\"rows\":[",
                            "{\"label\":\"profile\",\"kind\":\"spans\",\"spans\":[[0,110000]]},",
                            "{\"label\":\"orders\",\"kind\":\"spans\",\"spans\":[[110000,200000]]},",
                            "{\"label\":\"news\",\"kind\":\"spans\",\"spans\":[[200000,420000]]}",
                            "],\"end_us\":420000},\"expected\":{\"rows\":[",
                            "{\"label\":\"profile\",\"kind\":\"spans\",\"spans\":[[0,110000]]},",
                            "{\"label\":\"orders\",\"kind\":\"spans\",\"spans\":[[0,90000]]},",
                            "{\"label\":\"news\",\"kind\":\"spans\",\"spans\":[[0,220000]]}",
                            "],\"end_us\":220000}}"
                        ));
                        assert!(timeline.is_some(), "the sample timeline reads");
                        CheckFailure {
                            name: "the_page_takes_as_long_as_the_slowest_request".to_owned(),
                            message,
                            timeline,
                        }
                    }],
                    n_checks: 4,
                    warnings: Vec::new(),
                })),
            ),
            (
                "timed_out",
                Verdict::Done(Outcome::TimedOut(TimedOut {
                    running: vec!["heartbeat_keeps_beating".to_owned()],
                    limit: Duration::from_secs(5),
                    output: String::new(),
                })),
            ),
            (
                "refused",
                Verdict::Done(Outcome::Refused(Refused {
                    reasons: vec![
                        "exercises/03_join/join1.rs:5:29: the file uses a disallowed method \
                         `std::env::args`"
                            .to_owned(),
                    ],
                })),
            ),
            (
                "passed",
                Verdict::Done(Outcome::Passed(Passed {
                    n_checks: 4,
                    warnings: Vec::new(),
                    output: String::new(),
                })),
            ),
            ("missing", Verdict::Missing),
            ("unchecked", Verdict::Unchecked),
            (
                "all_done",
                Verdict::AllDone(
                    "Summary: all 94 exercises done, with 12 hints, in 5 h 2 min.\n".to_owned(),
                ),
            ),
        ]
    }

    #[test]
    fn every_exercise_screen_fits_its_terminal() {
        console::set_colors_enabled(false);
        let ex = exercise();
        let notices = vec!["`info.toml` changed: restart asynclings to apply it.".to_owned()];
        for (kind, verdict) in verdicts() {
            for size in [
                Size {
                    rows: 40,
                    cols: 100,
                },
                Size { rows: 24, cols: 60 },
            ] {
                let screen = ExerciseScreen {
                    ex: &ex,
                    position: (12, 94),
                    n_done: 11,
                    file: PathBuf::from("/home/learner/asynclings/exercises/03_join/join1.rs"),
                    welcome: None,
                    notices: if kind == "unchecked" { &notices } else { &[] },
                    verdict: &verdict,
                    hints_shown: if kind == "checks_failed" { 2 } else { 0 },
                    message: (kind == "passed").then_some(
                        "That was the last hint. The solution is in `solutions/03_join/join1.rs` \
                         once you are done.",
                    ),
                };
                let frame = screen.frame(size, 0);
                let lines: Vec<&str> = frame.text.lines().collect();
                assert!(
                    lines.len() <= size.rows,
                    "{kind} at {size:?}:\n{}",
                    frame.text
                );
                for line in &lines {
                    assert!(
                        console::measure_text_width(line) <= size.cols,
                        "{kind} at {size:?}: {line:?}"
                    );
                }
                insta::assert_snapshot!(format!("{kind}_{}x{}", size.cols, size.rows), frame.text);
            }
        }
    }

    #[test]
    fn a_tall_verdict_scrolls_and_says_what_is_out_of_sight() {
        console::set_colors_enabled(false);
        let ex = exercise();
        let (_, verdict) = verdicts()
            .into_iter()
            .find(|(kind, _)| *kind == "compile_error_taller_than_the_screen")
            .unwrap();
        let screen = ExerciseScreen {
            ex: &ex,
            position: (12, 94),
            n_done: 11,
            file: PathBuf::from("exercises/03_join/join1.rs"),
            welcome: None,
            notices: &[],
            verdict: &verdict,
            hints_shown: 0,
            message: None,
        };
        let size = Size { rows: 24, cols: 80 };
        let top = screen.frame(size, 0);
        assert!(top.max_scroll > 0);
        assert!(
            top.text.contains("↓ ") && !top.text.contains("↑ "),
            "{}",
            top.text
        );
        assert!(
            top.text.contains("--> exercises/03_join/join1.rs:11:5"),
            "{}",
            top.text
        );
        let bottom = screen.frame(size, usize::MAX);
        assert!(
            bottom.text.contains("↑ ") && !bottom.text.contains("↓ "),
            "{}",
            bottom.text
        );
        assert!(
            bottom.text.contains("does not compile yet"),
            "{}",
            bottom.text
        );
        assert!(bottom.text.ends_with(&legend(80, false)), "{}", bottom.text);
        let middle = screen.frame(size, 5);
        assert!(middle.text.contains("↑ 5 more above"), "{}", middle.text);
        assert_eq!(middle.text.lines().count(), 24, "{}", middle.text);
    }
}
