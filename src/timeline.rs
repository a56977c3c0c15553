//! Timelines of virtual time that a failing check attaches to its message: reading them out of
//! the message (`extract`), and drawing them to the terminal's width (`draw`).
//!
//! A check records what happened on tokio's paused clock (spans, instants, a count over time)
//! with `asynclings_support::timeline`, and fails with the recording and, where it knows one,
//! the expected timeline. The support library writes them as one marked line of JSON in the
//! panic message; the runner takes that line out of the message and draws the picture itself,
//! so that it fits the terminal and follows NO_COLOR.

use std::fmt::Write;

use console::Style;
use serde::{Deserialize, Serialize};

/// Starts the line that carries a timeline (the support library writes the same prefix).
///
/// The learner's code could print such a line too. That changes only how a *failure* is drawn,
/// never a verdict: verdicts come from libtest's log file, which the learner's code cannot
/// write, and the line is read only out of a failed check's message.
pub const MARKER: &str = "asynclings-timeline v1 ";

/// What one failing check recorded, and what it expected.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Timeline {
    pub recorded: Run,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected: Option<Run>,
}

/// One run on the virtual clock: times are microseconds since it began.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Run {
    /// When the observed operation ended (or the last thing recorded).
    pub end_us: u64,
    pub rows: Vec<Row>,
}

/// One label's events. Overlapping spans of one label are drawn in lanes, one under another.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Row {
    /// Operations that started and ended (`None`: had not ended when the run ended).
    Spans {
        label: String,
        spans: Vec<(u64, Option<u64>)>,
    },
    /// Moments: a tick, a heartbeat, a message received.
    Instants { label: String, at: Vec<u64> },
    /// A count over time (requests in flight): the value from each sample's time on.
    Count {
        label: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        limit: Option<u64>,
        samples: Vec<(u64, u64)>,
    },
}

impl Row {
    pub fn label(&self) -> &str {
        match self {
            Row::Spans { label, .. } | Row::Instants { label, .. } | Row::Count { label, .. } => {
                label
            }
        }
    }

    /// When the first thing on this row happens (a count's first value above zero), if ever.
    fn first_time(&self) -> Option<u64> {
        match self {
            Row::Spans { spans, .. } => spans.iter().map(|&(start, _)| start).min(),
            Row::Instants { at, .. } => at.iter().copied().min(),
            Row::Count { samples, .. } => samples.iter().find(|s| s.1 > 0).map(|s| s.0),
        }
    }

    fn last_time(&self) -> u64 {
        match self {
            Row::Spans { spans, .. } => spans
                .iter()
                .map(|&(start, end)| end.unwrap_or(start))
                .max()
                .unwrap_or(0),
            Row::Instants { at, .. } => at.iter().copied().max().unwrap_or(0),
            Row::Count { samples, .. } => samples.iter().map(|s| s.0).max().unwrap_or(0),
        }
    }

    fn n_events(&self) -> usize {
        match self {
            Row::Spans { spans, .. } => spans.len(),
            Row::Instants { at, .. } => at.len(),
            Row::Count { samples, .. } => samples.len(),
        }
    }
}

// Bounds on what a message may carry: a timeline is read from untrusted output.
const MAX_ROWS: usize = 32;
const MAX_EVENTS: usize = 4096;
const MAX_LABEL: usize = 40;
/// An hour of virtual time: more than any check waits.
const MAX_TIME_US: u64 = 3_600_000_000;

/// Takes the timeline lines out of a check's message: the message without them, and the last
/// well-formed timeline. A malformed line is removed too (it would only be noise).
pub fn extract(message: &str) -> (String, Option<Timeline>) {
    if !message.contains(MARKER.trim_end()) {
        return (message.to_owned(), None);
    }
    let mut kept = Vec::new();
    let mut found = None;
    for line in message.lines() {
        match line.trim_start().strip_prefix(MARKER) {
            Some(json) => {
                if let Some(timeline) = parse(json) {
                    found = Some(timeline);
                }
            }
            None => kept.push(line),
        }
    }
    (kept.join("\n").trim_end().to_owned(), found)
}

fn parse(json: &str) -> Option<Timeline> {
    let mut timeline: Timeline = serde_json::from_str(json).ok()?;
    let runs = std::iter::once(&mut timeline.recorded).chain(timeline.expected.as_mut());
    for run in runs {
        if run.rows.len() > MAX_ROWS
            || run.rows.iter().map(Row::n_events).sum::<usize>() > MAX_EVENTS
            || run.end_us > MAX_TIME_US
            || run.rows.iter().any(|row| row.last_time() > MAX_TIME_US)
        {
            return None;
        }
        for row in &mut run.rows {
            let (Row::Spans { label, .. } | Row::Instants { label, .. } | Row::Count { label, .. }) =
                row;
            *label = crate::term::sanitize(label).replace(['\n', '\t'], " ");
            if label.chars().count() > MAX_LABEL {
                *label = label.chars().take(MAX_LABEL).collect();
            }
        }
    }
    Some(timeline)
}

/// The widest the time axis gets: on a wide terminal more columns would only spread the
/// picture out, not show more.
const MAX_PLOT: usize = 96;
const MIN_PLOT: usize = 16;
/// Overlapping spans of one label shown at most; the rest are counted.
const MAX_LANES: usize = 6;
/// Room right of the axis for the last tick's label.
const RIGHT_MARGIN: usize = 5;

struct Styles {
    heading: Style,
    yours: Style,
    expected: Style,
    over: Style,
    note: Style,
    axis: Style,
}

impl Styles {
    fn new(colour: bool) -> Self {
        let style = || Style::new().force_styling(colour);
        Self {
            heading: style().bold(),
            yours: style().cyan(),
            expected: style().green(),
            over: style().red().bold(),
            note: style().yellow(),
            axis: style().dim(),
        }
    }
}

/// The time axis: which column a moment falls in.
struct Axis {
    /// Columns 0..=plot.
    plot: usize,
    /// The axis runs from `start_us` (0, unless nothing happens in the first part of the
    /// runs) to `end_us`, the end of the longer run.
    start_us: u64,
    end_us: u64,
    /// Ticks at multiples of a round step: 1, 2 or 5 times a power of ten microseconds.
    step_us: u64,
}

impl Axis {
    fn new(longest_us: u64, plot: usize) -> Self {
        Self::between(0, longest_us, plot)
    }

    /// The axis for runs whose first event is at `first_us`: from 0, unless nothing happens
    /// in the first 40% of the time, which would leave most of the width empty; it then
    /// starts at a round time just before the first event.
    fn fitted(first_us: Option<u64>, longest_us: u64, plot: usize) -> Self {
        let whole = Self::new(longest_us, plot);
        let Some(first_us) = first_us else {
            return whole;
        };
        if first_us.saturating_mul(10) < longest_us.saturating_mul(4) {
            return whole;
        }
        let rough = first_us / whole.step_us * whole.step_us;
        let step_us = Self::between(rough, longest_us, plot).step_us;
        Self::between(first_us / step_us * step_us, longest_us, plot)
    }

    fn between(start_us: u64, longest_us: u64, plot: usize) -> Self {
        let end_us = longest_us.max(start_us + 1);
        let range = end_us - start_us;
        // Ticks at least 9 columns apart, so that "1500" and its neighbours never touch.
        let mut step_us = 1;
        'search: for power in 0..12 {
            for mantissa in [1, 2, 5] {
                step_us = mantissa * 10u64.pow(power);
                if step_us as u128 * plot as u128 >= 9 * range as u128 {
                    break 'search;
                }
            }
        }
        Self {
            plot,
            start_us,
            end_us,
            step_us,
        }
    }

    fn scaled(&self, us: u64) -> u128 {
        (us.clamp(self.start_us, self.end_us) - self.start_us) as u128 * self.plot as u128
    }

    fn col(&self, us: u64) -> usize {
        (self.scaled(us) / (self.end_us - self.start_us) as u128) as usize
    }

    /// The last column a span ending (exclusively) at `us` covers.
    fn last_col(&self, start_col: usize, us: u64) -> usize {
        let col = self
            .scaled(us)
            .div_ceil((self.end_us - self.start_us) as u128) as usize;
        col.saturating_sub(1).max(start_col)
    }
}

/// Time for people: `317ms`, `35.5ms`, `1.2s`.
pub fn fmt_time(us: u64) -> String {
    if us >= 10_000_000 {
        format!("{}s", trim(us as f64 / 1e6, 1))
    } else if us.is_multiple_of(1000) || us >= 100_000 {
        format!("{}ms", (us + 500) / 1000)
    } else {
        format!("{}ms", trim(us as f64 / 1e3, 3))
    }
}

fn trim(value: f64, decimals: usize) -> String {
    let text = format!("{value:.decimals$}");
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_owned()
    } else {
        text
    }
}

fn tick_label(us: u64, step_us: u64) -> String {
    if step_us.is_multiple_of(1000) {
        (us / 1000).to_string()
    } else {
        trim(us as f64 / 1e3, 3)
    }
}

/// A label cut to `width` characters, keeping a trailing number (`task 12`) whole.
fn shorten(label: &str, width: usize) -> String {
    let n = label.chars().count();
    if n <= width {
        return format!("{label:<width$}");
    }
    let digits = label.chars().rev().take_while(char::is_ascii_digit).count();
    let keep_tail = if digits > 0 && digits + 2 <= width {
        digits
    } else {
        0
    };
    let head: String = label.chars().take(width - 1 - keep_tail).collect();
    let tail: String = label.chars().skip(n - keep_tail).collect();
    format!("{head}…{tail}")
}

/// A difference between the two runs, pointed at on the axis.
struct Note {
    col: usize,
    text: String,
}

/// Draws `timeline` in at most `width` columns: the learner's run, the expected one under it on
/// the same axis, the axis in virtual milliseconds, and the differences pointed out.
pub fn draw(timeline: &Timeline, width: usize, colour: bool) -> String {
    let styles = Styles::new(colour);
    // The expected rows in the learner's order, so that the same label sits at the same place.
    let expected = timeline.expected.as_ref().map(|expected| {
        let place = |row: &Row| {
            let labels = timeline.recorded.rows.iter().map(Row::label);
            labels
                .clone()
                .position(|l| l == row.label())
                .unwrap_or(usize::MAX)
        };
        let mut rows = expected.rows.clone();
        rows.sort_by_key(place);
        Run {
            end_us: expected.end_us,
            rows,
        }
    });
    let runs: Vec<&Run> = std::iter::once(&timeline.recorded)
        .chain(expected.as_ref())
        .collect();
    let longest_us = runs
        .iter()
        .flat_map(|run| std::iter::once(run.end_us).chain(run.rows.iter().map(Row::last_time)))
        .max()
        .unwrap_or(0);
    let label_cap = if width < 72 { 9 } else { 16 };
    let label_width = runs
        .iter()
        .flat_map(|run| run.rows.iter().map(|row| row.label().chars().count()))
        .max()
        .unwrap_or(0)
        .clamp(4, label_cap);
    let plot = width
        .saturating_sub(label_width + 1 + RIGHT_MARGIN)
        .clamp(MIN_PLOT, MAX_PLOT);
    let first_us = runs
        .iter()
        .flat_map(|run| run.rows.iter().filter_map(Row::first_time))
        .min();
    let axis = Axis::fitted(first_us, longest_us, plot);
    let indent = " ".repeat(label_width + 1);

    let notes = differences(timeline, &axis);
    let differing: Vec<&str> = match &timeline.expected {
        Some(expected) => timeline
            .recorded
            .rows
            .iter()
            .filter(|row| {
                expected
                    .rows
                    .iter()
                    .find(|other| other.label() == row.label())
                    .is_some_and(|other| other != *row)
            })
            .map(Row::label)
            .collect(),
        None => Vec::new(),
    };

    let mut out = String::new();
    for (i, run) in runs.iter().enumerate() {
        let (name, fill) = if i == 0 {
            ("your run", &styles.yours)
        } else {
            ("expected", &styles.expected)
        };
        let glyphs = if i == 0 {
            ['█', '▓']
        } else {
            ['▒', '░']
        };
        let _ = writeln!(
            out,
            "{}",
            styles
                .heading
                .apply_to(format!("{name}: {}", fmt_time(run.end_us)))
        );
        for row in &run.rows {
            let label = shorten(row.label(), label_width);
            let label = if i == 0 && differing.contains(&row.label()) {
                styles.note.apply_to(label).to_string()
            } else {
                label
            };
            for (lane, line) in draw_row(row, run.end_us, &axis, fill, &styles.over, glyphs)
                .into_iter()
                .enumerate()
            {
                let shown = if lane == 0 { &label } else { &indent[1..] };
                let _ = writeln!(out, "{shown} {line}");
            }
        }
    }
    out += &draw_axis(&axis, &indent, &styles);
    for note in notes {
        for line in point(&note, axis.plot + RIGHT_MARGIN).lines() {
            let _ = writeln!(out, "{indent}{}", styles.note.apply_to(line));
        }
    }
    out
}

/// The lines of one row: one per lane for spans, one otherwise.
fn draw_row(
    row: &Row,
    run_end_us: u64,
    axis: &Axis,
    fill: &Style,
    over: &Style,
    glyphs: [char; 2],
) -> Vec<String> {
    let blank = || vec![' '; axis.plot + 1];
    match row {
        Row::Spans { spans, .. } => {
            let mut sorted: Vec<(u64, Option<u64>)> = spans.clone();
            sorted.sort_by_key(|&(start, end)| (start, end.unwrap_or(u64::MAX)));
            // Lanes: a span goes in the first lane whose last span ended by its start.
            let mut lanes: Vec<(Vec<char>, u64, usize)> = Vec::new();
            let mut hidden = 0;
            for (start, end) in sorted {
                let first = axis.col(start);
                // A span that never ended runs to the end of its run, with an arrow.
                let last = axis.last_col(first, end.unwrap_or(run_end_us));
                let lane = match lanes.iter().position(|(_, free_at, _)| *free_at <= start) {
                    Some(lane) => lane,
                    None if lanes.len() < MAX_LANES => {
                        lanes.push((blank(), 0, 0));
                        lanes.len() - 1
                    }
                    None => {
                        hidden += 1;
                        continue;
                    }
                };
                let (cells, free_at, n) = &mut lanes[lane];
                // Spans that follow one another in a lane alternate shades, so they read as two.
                let glyph = glyphs[*n % 2];
                for cell in &mut cells[first..=last] {
                    *cell = glyph;
                }
                if end.is_none() {
                    cells[(last + 1).min(axis.plot)] = '▸';
                }
                *free_at = end.unwrap_or(u64::MAX);
                *n += 1;
            }
            let mut lines: Vec<String> = lanes
                .into_iter()
                .map(|(cells, _, _)| fill.apply_to(cells_text(&cells)).to_string())
                .collect();
            if hidden > 0 {
                lines.push(format!("… {hidden} more at once"));
            }
            lines
        }
        Row::Instants { at, .. } => {
            let mut counts = vec![0usize; axis.plot + 1];
            for &us in at {
                counts[axis.col(us)] += 1;
            }
            let cells: Vec<char> = counts
                .iter()
                .map(|&n| match n {
                    0 => ' ',
                    1 => '•',
                    2..=9 => char::from_digit(n as u32, 10).unwrap(),
                    _ => '+',
                })
                .collect();
            if at.is_empty() {
                return vec!["(none)".to_owned()];
            }
            vec![fill.apply_to(cells_text(&cells)).to_string()]
        }
        Row::Count { limit, samples, .. } => {
            let values = column_values(samples, axis);
            let mut line = String::new();
            for value in values {
                // One digit a column; `+` is ten or more (the note under the axis gives the
                // peak when it is above a limit).
                let cell = match value {
                    0 => '·',
                    1..=9 => char::from_digit(value as u32, 10).unwrap(),
                    _ => '+',
                };
                let style = if limit.is_some_and(|limit| value > limit) {
                    over
                } else {
                    fill
                };
                let _ = write!(line, "{}", style.apply_to(cell));
            }
            vec![line.trim_end().to_owned()]
        }
    }
}

fn cells_text(cells: &[char]) -> String {
    cells.iter().collect::<String>().trim_end().to_owned()
}

/// The highest value of a count in each column's stretch of time.
fn column_values(samples: &[(u64, u64)], axis: &Axis) -> Vec<u64> {
    let mut values = vec![0u64; axis.plot + 1];
    let mut current = 0;
    let mut next = 0;
    for (col, value) in values.iter_mut().enumerate() {
        let mut highest = current;
        // Every sample that falls in this column counts, not only the last.
        while next < samples.len() && axis.col(samples[next].0) <= col {
            current = samples[next].1;
            highest = highest.max(current);
            next += 1;
        }
        *value = highest;
    }
    values
}

fn draw_axis(axis: &Axis, indent: &str, styles: &Styles) -> String {
    let mut line: Vec<char> = vec!['─'; axis.plot + 1];
    line[0] = '└';
    let mut labels: Vec<char> = vec![' '; axis.plot + RIGHT_MARGIN];
    // An axis that does not start at 0 says so at its left end.
    if axis.start_us > 0 {
        line[0] = '┄';
    }
    let mut tick = axis.start_us.div_ceil(axis.step_us) * axis.step_us;
    while tick <= axis.end_us {
        let col = axis.col(tick);
        if col > 0 {
            line[col] = '┴';
        }
        for (i, c) in tick_label(tick, axis.step_us).chars().enumerate() {
            if let Some(cell) = labels.get_mut(col + i) {
                *cell = c;
            }
        }
        tick += axis.step_us;
    }
    let text: String = labels.iter().collect();
    // The unit stands in the label column, left of the first tick.
    let unit = format!("{:>1$} ", "ms", indent.len() - 1);
    format!(
        "{indent}{}\n{}{}\n",
        styles.axis.apply_to(line.iter().collect::<String>()),
        styles.axis.apply_to(unit),
        styles.axis.apply_to(text.trim_end()),
    )
}

/// A note with its caret under `note.col`: text to the right where it fits, else to the left.
fn point(note: &Note, room: usize) -> String {
    let text_width = note.text.chars().count();
    if note.col + 2 + text_width <= room {
        format!("{}▲ {}", " ".repeat(note.col), note.text)
    } else if note.col > text_width {
        format!("{}{} ▲", " ".repeat(note.col - text_width - 1), note.text)
    } else {
        // Neither side has room: the caret, and the text under it, as near as it fits.
        let from = note.col.min(room.saturating_sub(text_width));
        format!(
            "{}▲\n{}{}",
            " ".repeat(note.col),
            " ".repeat(from),
            note.text
        )
    }
}

/// What differs between the two runs, at most three things, in time order: a count above its
/// limit, the first span that starts at another time, the first instant that differs, the end.
/// The first of `mine` that differs from `theirs` (times in order), as a note's time and text:
/// "tick 3 at 470ms; expected 500ms", with the number only where a row has several. `at` says
/// how a time is read ("at", "starts at"), `missing` how a missing one is ("at", "from").
fn first_difference(
    label: &str,
    mine: &[u64],
    theirs: &[u64],
    (at, missing): (&str, &str),
) -> Option<(u64, String)> {
    let n = mine.len().max(theirs.len());
    let i = (0..n).find(|&i| mine.get(i) != theirs.get(i))?;
    // "tick 3"; "client 6 #3" where the label ends in a number of its own.
    let nth = match (n > 1, label.ends_with(|c: char| c.is_ascii_digit())) {
        (false, _) => String::new(),
        (true, false) => format!(" {}", i + 1),
        (true, true) => format!(" #{}", i + 1),
    };
    Some(match (mine.get(i), theirs.get(i)) {
        (Some(&mine), Some(&theirs)) => (
            mine,
            format!(
                "{label}{nth} {at} {}; expected {}",
                fmt_time(mine),
                fmt_time(theirs)
            ),
        ),
        (Some(&mine), None) => (
            mine,
            format!("{label}{nth} {at} {}; expected none", fmt_time(mine)),
        ),
        (None, Some(&theirs)) => (
            theirs,
            format!("no {label}{nth}; expected {missing} {}", fmt_time(theirs)),
        ),
        (None, None) => unreachable!("an index below the longer length"),
    })
}

fn differences(timeline: &Timeline, axis: &Axis) -> Vec<Note> {
    let mut notes = Vec::new();
    let recorded = &timeline.recorded;
    for row in &recorded.rows {
        if let Row::Count {
            label,
            limit: Some(limit),
            samples,
        } = row
        {
            let peak = samples.iter().map(|s| s.1).max().unwrap_or(0);
            if let Some(&(at, _)) = samples.iter().find(|s| s.1 > *limit) {
                notes.push(Note {
                    col: axis.col(at),
                    text: format!("{label} above {limit} at {}, up to {peak}", fmt_time(at)),
                });
            }
        }
    }
    let Some(expected) = &timeline.expected else {
        return notes;
    };
    let find = |label: &str| expected.rows.iter().find(|row| row.label() == label);
    let mut starts_at: Vec<(u64, Note)> = Vec::new();
    for row in &recorded.rows {
        match (row, find(row.label())) {
            (Row::Spans { label, spans }, Some(Row::Spans { spans: theirs, .. })) => {
                // Span by span in order of their starts.
                let starts = |spans: &[(u64, Option<u64>)]| {
                    let mut starts: Vec<u64> = spans.iter().map(|s| s.0).collect();
                    starts.sort_unstable();
                    starts
                };
                let differ = first_difference(
                    label,
                    &starts(spans),
                    &starts(theirs),
                    ("starts at", "from"),
                );
                starts_at.extend(differ.map(|(when, text)| {
                    (
                        when,
                        Note {
                            col: axis.col(when),
                            text,
                        },
                    )
                }));
            }
            (Row::Instants { label, at }, Some(Row::Instants { at: theirs, .. })) => {
                let differ = first_difference(label, at, theirs, ("at", "at"));
                starts_at.extend(differ.map(|(when, text)| {
                    (
                        when,
                        Note {
                            col: axis.col(when),
                            text,
                        },
                    )
                }));
            }
            _ => {}
        }
    }
    starts_at.sort_by_key(|(at, _)| *at);
    notes.extend(starts_at.into_iter().take(1).map(|(_, note)| note));
    if recorded.end_us != expected.end_us {
        notes.push(Note {
            col: axis.col(recorded.end_us),
            text: format!(
                "ends at {}; expected {}",
                fmt_time(recorded.end_us),
                fmt_time(expected.end_us)
            ),
        });
    }
    notes.truncate(3);
    notes.sort_by_key(|note| note.col);
    notes
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spans(label: &str, spans: &[(u64, u64)]) -> Row {
        Row::Spans {
            label: label.to_owned(),
            spans: spans
                .iter()
                .map(|&(s, e)| (s * 1000, Some(e * 1000)))
                .collect(),
        }
    }

    /// join1 awaited in sequence: 93, 21 and 317 ms one after another.
    fn sequential() -> Timeline {
        Timeline {
            recorded: Run {
                end_us: 431_000,
                rows: vec![
                    spans("profile", &[(0, 93)]),
                    spans("orders", &[(93, 114)]),
                    spans("news", &[(114, 431)]),
                ],
            },
            expected: Some(Run {
                end_us: 317_000,
                rows: vec![
                    spans("profile", &[(0, 93)]),
                    spans("orders", &[(0, 21)]),
                    spans("news", &[(0, 317)]),
                ],
            }),
        }
    }

    /// join4 without a limit: ten downloads of 50ms at once.
    fn unlimited() -> Timeline {
        let count = |n: u64, limit| Row::Count {
            label: "in flight".to_owned(),
            limit,
            samples: (1..=n)
                .map(|i| (0, i))
                .chain((0..n).rev().map(|i| (50_000, i)))
                .collect(),
        };
        let expected_count = Row::Count {
            label: "in flight".to_owned(),
            limit: Some(4),
            samples: vec![(0, 4), (50_000, 4), (100_000, 2), (150_000, 0)],
        };
        let downloads = |rounds: &[(u64, u64)]| spans("download", rounds);
        Timeline {
            recorded: Run {
                end_us: 50_000,
                rows: vec![downloads(&[(0, 50); 10]), count(10, Some(4))],
            },
            expected: Some(Run {
                end_us: 150_000,
                rows: vec![
                    downloads(&[
                        (0, 50),
                        (0, 50),
                        (0, 50),
                        (0, 50),
                        (50, 100),
                        (50, 100),
                        (50, 100),
                        (50, 100),
                        (100, 150),
                        (100, 150),
                    ]),
                    expected_count,
                ],
            }),
        }
    }

    /// A heartbeat that stopped while the thread was blocked, and an open span.
    fn instants() -> Timeline {
        let beats = |at: &[u64]| Row::Instants {
            label: "heartbeat".to_owned(),
            at: at.iter().map(|ms| ms * 1000).collect(),
        };
        Timeline {
            recorded: Run {
                end_us: 120_500,
                rows: vec![
                    Row::Spans {
                        label: "blocking work".to_owned(),
                        spans: vec![(10_000, None)],
                    },
                    beats(&[10, 120, 120, 120]),
                ],
            },
            expected: Some(Run {
                end_us: 120_500,
                rows: vec![
                    spans("blocking work", &[(10, 120)]),
                    beats(&[10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110, 120]),
                ],
            }),
        }
    }

    fn plain(timeline: &Timeline, width: usize) -> String {
        let text = draw(timeline, width, false);
        for line in text.lines() {
            assert!(
                line.chars().count() <= width,
                "a line wider than {width}: {line:?}"
            );
        }
        text
    }

    #[test]
    fn the_nth_of_a_numbered_label_reads_apart_from_its_number() {
        let (_, text) = first_difference("client 6", &[], &[0, 40], ("at", "at")).unwrap();
        assert_eq!(text, "no client 6 #1; expected at 0ms");
        let (_, text) =
            first_difference("tick", &[10_000, 30_000], &[10_000, 20_000], ("at", "at")).unwrap();
        assert_eq!(text, "tick 2 at 30ms; expected 20ms");
    }

    #[test]
    fn a_late_start_is_not_drawn_as_empty_width() {
        // A shutdown asked at 500ms that ends at 580ms instead of 900ms.
        let late = Timeline {
            recorded: Run {
                end_us: 580_000,
                rows: vec![spans("shutdown", &[(500, 580)])],
            },
            expected: Some(Run {
                end_us: 900_000,
                rows: vec![spans("shutdown", &[(500, 900)])],
            }),
        };
        let text = draw(&late, 80, false);
        let axis = text.lines().find(|l| l.contains('┄')).expect(&text);
        let labels = text
            .lines()
            .find(|l| l.trim_start().starts_with("ms"))
            .expect(&text);
        assert!(labels.contains(" 500 "), "{text}");
        assert!(!labels.contains(" 0 "), "{text}");
        // The shutdown starts at the left edge of the plot, and fills most of it as expected.
        let expected = text.lines().rev().find(|l| l.contains('▒')).expect(&text);
        let start = axis.find('┄').unwrap();
        assert_eq!(expected.find('▒'), Some(start), "{text}");
        // Runs that start early keep their axis from 0.
        let early = draw(&sequential(), 80, false);
        assert!(early.contains('└') && !early.contains('┄'), "{early}");
    }

    #[test]
    fn timeline_sequential_at_60() {
        insta::assert_snapshot!(plain(&sequential(), 60));
    }

    #[test]
    fn timeline_sequential_at_120() {
        insta::assert_snapshot!(plain(&sequential(), 120));
    }

    #[test]
    fn timeline_sequential_in_colour() {
        insta::assert_snapshot!(draw(&sequential(), 60, true));
    }

    #[test]
    fn timeline_count_above_its_limit_at_60() {
        insta::assert_snapshot!(plain(&unlimited(), 60));
    }

    #[test]
    fn timeline_count_above_its_limit_at_120() {
        insta::assert_snapshot!(plain(&unlimited(), 120));
    }

    #[test]
    fn timeline_count_in_colour() {
        insta::assert_snapshot!(draw(&unlimited(), 120, true));
    }

    #[test]
    fn timeline_instants_at_60() {
        insta::assert_snapshot!(plain(&instants(), 60));
    }

    #[test]
    fn timeline_instants_at_120() {
        insta::assert_snapshot!(plain(&instants(), 120));
    }

    #[test]
    fn timeline_does_not_stretch_on_a_wide_terminal() {
        let wide = plain(&sequential(), 200);
        let longest = wide.lines().map(|l| l.chars().count()).max().unwrap();
        assert!(longest <= 9 + MAX_PLOT + RIGHT_MARGIN + 14, "{wide}");
        assert_eq!(wide, plain(&sequential(), 160));
    }

    #[test]
    fn timeline_without_an_expected_run() {
        let mut timeline = sequential();
        timeline.expected = None;
        let text = plain(&timeline, 60);
        assert!(text.starts_with("your run: 431ms\n"), "{text}");
        assert!(!text.contains("expected"), "{text}");
    }

    #[test]
    fn timeline_is_extracted_from_a_message() {
        let json = serde_json::to_string(&sequential()).unwrap();
        let message = format!("panicked at checks/a.rs:1:1:\ntoo slow\n{MARKER}{json}\nprinted");
        let (text, timeline) = extract(&message);
        assert_eq!(text, "panicked at checks/a.rs:1:1:\ntoo slow\nprinted");
        assert_eq!(timeline, Some(sequential()));
    }

    /// `SAMPLE_LINE` in `checks/support.rs`, whose test proves the support library writes it.
    const SUPPORT_SAMPLE: &str = concat!(
        "asynclings-timeline v1 {\"recorded\":{\"rows\":[",
        "{\"label\":\"a \\\"b\\\"\",\"kind\":\"spans\",\"spans\":[[0,1500],[2000,null]]},",
        "{\"label\":\"tick\",\"kind\":\"instants\",\"at\":[10000]},",
        "{\"label\":\"in flight\",\"kind\":\"count\",\"limit\":4,\"samples\":[[0,1],[5000,0]]}",
        "],\"end_us\":12000},\"expected\":{\"rows\":[],\"end_us\":3000}}"
    );

    #[test]
    fn timeline_written_by_the_support_library_is_read() {
        let (_, timeline) = extract(SUPPORT_SAMPLE);
        let timeline = timeline.expect("the support library's line parses");
        assert_eq!(
            timeline.recorded.rows[0],
            Row::Spans {
                label: "a \"b\"".to_owned(),
                spans: vec![(0, Some(1500)), (2000, None)],
            }
        );
        assert_eq!(timeline.recorded.end_us, 12_000);
        assert_eq!(timeline.expected.unwrap().end_us, 3000);
    }

    #[test]
    fn timeline_malformed_or_oversized_is_dropped() {
        let (text, timeline) = extract(&format!("boom\n{MARKER}{{\"recorded\": 3}}"));
        assert_eq!((text.as_str(), timeline), ("boom", None));
        let huge = Timeline {
            recorded: Run {
                end_us: MAX_TIME_US + 1,
                rows: Vec::new(),
            },
            expected: None,
        };
        let json = serde_json::to_string(&huge).unwrap();
        assert_eq!(extract(&format!("{MARKER}{json}")).1, None);
    }

    #[test]
    fn timeline_labels_are_sanitized() {
        let mut timeline = sequential();
        timeline.recorded.rows[0] = spans("\u{1b}]0;pwned\u{7}evil\nlabel", &[(0, 1)]);
        let json = serde_json::to_string(&timeline).unwrap();
        let (_, parsed) = extract(&format!("{MARKER}{json}"));
        assert_eq!(parsed.unwrap().recorded.rows[0].label(), "evil label");
    }

    #[test]
    fn timeline_labels_keep_their_number_when_shortened() {
        assert_eq!(shorten("download 12", 8), "downl…12");
        assert_eq!(shorten("heartbeat", 6), "heart…");
        assert_eq!(shorten("news", 6), "news  ");
    }

    #[test]
    fn timeline_times_read_as_milliseconds() {
        assert_eq!(fmt_time(317_000), "317ms");
        assert_eq!(fmt_time(35_500), "35.5ms");
        assert_eq!(fmt_time(120_500), "121ms");
        assert_eq!(fmt_time(250), "0.25ms");
        assert_eq!(fmt_time(12_000_000), "12s");
    }
}
