//! What watch mode draws: one frame per verdict, written in one piece after one clear, so
//! nothing flickers; and a status line that changes without a clear.

use std::io::Write;
use std::time::Duration;

use crate::exercise::Exercise;
use crate::state::State;
use crate::term;
use crate::workbook::Workbook;

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

pub fn width() -> usize {
    console::Term::stdout()
        .size_checked()
        .map_or(80, |(_, cols)| cols as usize)
}

/// The one-line key legend, shortened for narrow terminals.
pub fn legend(width: usize, passed: bool) -> String {
    let next = if passed { "n next · " } else { "" };
    let long = format!("{next}h hint · l list · c check all · r re-run · x reset · q quit");
    if long.chars().count() <= width {
        term::dim(&long)
    } else {
        let next = if passed { "n " } else { "" };
        term::dim(&format!("keys: {next}h l c r x q"))
    }
}

/// The part of every exercise frame below the verdict.
pub fn footer(wb: &Workbook, state: &State, ex: &Exercise, width: usize, passed: bool) -> String {
    let n_done = state.n_done(wb);
    let total = wb.exercises.len();
    let bar_width = width.saturating_sub(30).clamp(10, 50);
    let path = ex.path().display().to_string();
    format!(
        "\n{} {}\n{} {}\n{}",
        term::bold("Progress:"),
        term::bar(n_done, total, bar_width),
        term::bold("Current exercise:"),
        term::file_link(&path, &wb.learner_file(ex)),
        legend(width, passed),
    )
}

/// The hints shown so far for `ex`, the newest last.
pub fn hints(ex: &Exercise, shown: usize) -> String {
    let mut out = String::new();
    let n_levels = ex.hints.len();
    for (level, text) in ex.hints.iter().enumerate().take(shown) {
        let heading = format!("Hint {} of {n_levels}:", level + 1);
        if level + 1 < shown {
            out += &format!("{}\n{}\n\n", term::dim(&heading), term::dim(text));
        } else {
            out += &format!("{}\n{text}\n", term::yellow(&heading));
        }
    }
    out
}

/// What to say when every exercise is done.
pub fn finished(wb: &Workbook, state: &State) -> String {
    let mut out = String::new();
    if let Some(message) = &wb.final_message {
        out += &format!("{message}\n\n");
    }
    out += &format!(
        "{} all {} exercises done, with {} hints, in {}.\n",
        term::green("Summary:"),
        wb.exercises.len(),
        state.total_hints_used(),
        human_duration(state.time_spent())
    );
    out
}

pub fn human_duration(time: Duration) -> String {
    let minutes = time.as_secs() / 60;
    match (minutes / 60, minutes % 60) {
        (0, 0) => "under a minute".to_owned(),
        (0, m) => format!("{m} min"),
        (h, m) => format!("{h} h {m} min"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_legend_fits_narrow_terminals() {
        console::set_colors_enabled(false);
        assert!(legend(80, true).starts_with("n next · h hint"));
        assert_eq!(legend(40, false), "keys: h l c r x q");
        assert!(legend(80, true).chars().count() <= 80);
    }

    #[test]
    fn durations_read_naturally() {
        assert_eq!(human_duration(Duration::from_secs(59)), "under a minute");
        assert_eq!(human_duration(Duration::from_secs(125)), "2 min");
        assert_eq!(
            human_duration(Duration::from_secs(3 * 3600 + 60)),
            "3 h 1 min"
        );
    }
}
