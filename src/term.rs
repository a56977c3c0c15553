//! Terminal styling: colors only on a terminal and never with `NO_COLOR`, and links where the
//! terminal understands them.

use std::io::IsTerminal;

/// Writes a line to standard output and returns the `io::Result` instead of panicking, so that
/// a closed pipe (`asynclings list | head`) ends the command quietly (see `main`).
#[macro_export]
macro_rules! outln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        writeln!(std::io::stdout().lock(), $($arg)*)
    }};
}

/// [`outln!`] without the line break.
#[macro_export]
macro_rules! out {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        write!(std::io::stdout().lock(), $($arg)*)
    }};
}

/// Decides once, at start-up, whether to color the output.
pub fn init() {
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let enabled = !no_color && std::io::stdout().is_terminal();
    console::set_colors_enabled(enabled);
    console::set_colors_enabled_stderr(enabled && std::io::stderr().is_terminal());
}

pub fn colors() -> bool {
    console::colors_enabled()
}

/// Text that already carries ANSI colors (rustc's rendering): kept or stripped.
pub fn ansi(text: &str) -> String {
    if colors() {
        text.to_owned()
    } else {
        console::strip_ansi_codes(text).into_owned()
    }
}

pub fn red(text: &str) -> String {
    console::style(text).red().bold().to_string()
}

pub fn green(text: &str) -> String {
    console::style(text).green().bold().to_string()
}

pub fn yellow(text: &str) -> String {
    console::style(text).yellow().bold().to_string()
}

pub fn bold(text: &str) -> String {
    console::style(text).bold().to_string()
}

pub fn dim(text: &str) -> String {
    console::style(text).dim().to_string()
}

/// The terminal's width in columns (80 when stdout is not a terminal).
pub fn width() -> usize {
    console::Term::stdout()
        .size_checked()
        .map_or(80, |(_, cols)| cols as usize)
}

/// A path that a terminal with OSC 8 support shows as a clickable link to the file.
pub fn file_link(shown: &str, absolute: &std::path::Path) -> String {
    if colors() {
        format!(
            "\x1b]8;;file://{}\x1b\\{shown}\x1b]8;;\x1b\\",
            absolute.display()
        )
    } else {
        shown.to_owned()
    }
}

/// A progress bar drawn with plain characters: `[#####-----] 5/10`.
pub fn bar(done: usize, total: usize, width: usize) -> String {
    let total = total.max(1);
    let filled = (done.min(total) * width) / total;
    format!(
        "[{}{}] {done}/{total}",
        "#".repeat(filled),
        "-".repeat(width - filled)
    )
}

/// Breaks `text` into lines of at most `width` columns, for the screen: words are kept whole
/// where they fit, a line's leading indentation (and a `- ` bullet's) is repeated on the lines
/// it wraps onto, and ANSI escape sequences take no room. A word wider than a line is split.
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let width = width.max(8);
    let mut out = Vec::new();
    for line in text.split('\n') {
        wrap_line(line, width, &mut out);
    }
    out
}

/// `text` wrapped to the terminal's width when standard output is a terminal; as it is when
/// it goes to a file or a pipe, whose reader wraps it.
pub fn fit_stdout(text: &str) -> String {
    if std::io::stdout().is_terminal() {
        wrap(text, width()).join("\n")
    } else {
        text.to_owned()
    }
}

fn wrap_line(line: &str, width: usize, out: &mut Vec<String>) {
    if console::measure_text_width(line) <= width {
        out.push(line.to_owned());
        return;
    }
    let body = line.trim_start_matches(' ');
    // Deep indentation (compiler output) would leave no room: cap what is repeated.
    let indent = (line.len() - body.len()).min(width / 3);
    let bullet = if console::strip_ansi_codes(body).starts_with("- ") {
        2
    } else {
        0
    };
    let hang = (indent + bullet).min(width / 3);
    let mut current = " ".repeat(indent);
    let mut current_width = indent;
    // Nothing but indentation on the line yet.
    let mut fresh = true;
    for word in body.split(' ') {
        let word_width = console::measure_text_width(word);
        if !fresh && current_width + 1 + word_width > width {
            out.push(std::mem::take(&mut current));
            current = " ".repeat(hang);
            current_width = hang;
            fresh = true;
        }
        if !fresh {
            current.push(' ');
            current_width += 1;
        }
        fresh = false;
        if current_width + word_width <= width {
            current += word;
            current_width += word_width;
            continue;
        }
        // A word wider than a whole line: split it where it reaches the edge.
        let pieces = split_at_width(word, width - current_width, width - hang);
        for (i, piece) in pieces.into_iter().enumerate() {
            if i > 0 {
                out.push(std::mem::take(&mut current));
                current = " ".repeat(hang);
                current_width = hang;
            }
            current_width += console::measure_text_width(&piece);
            current += &piece;
        }
    }
    out.push(current);
}

/// Splits `word` into pieces: the first at most `first` columns wide, the others `rest`.
fn split_at_width(word: &str, first: usize, rest: usize) -> Vec<String> {
    let mut pieces = vec![String::new()];
    let mut room = first.max(1);
    let mut chars = word.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            // An escape sequence goes with the text it colours, whole.
            let piece = pieces.last_mut().expect("never empty");
            piece.push(c);
            for c in chars.by_ref() {
                piece.push(c);
                if c.is_ascii_alphabetic() || c == '\\' || c == '\u{7}' {
                    break;
                }
            }
            continue;
        }
        let w = console::measure_text_width(c.encode_utf8(&mut [0; 4]));
        if w > room {
            pieces.push(String::new());
            room = rest.max(1);
        }
        pieces.last_mut().expect("never empty").push(c);
        room = room.saturating_sub(w);
    }
    pieces
}

/// A bar on standard error for a run over many exercises, one phase after another
/// ("compiling", then "checking"); nothing when standard error is not a terminal.
pub struct StepsBar(indicatif::ProgressBar);

impl StepsBar {
    pub fn new(total: usize) -> Self {
        let bar = if std::io::stderr().is_terminal() {
            indicatif::ProgressBar::new(total as u64)
        } else {
            indicatif::ProgressBar::hidden()
        };
        bar.set_style(
            indicatif::ProgressStyle::with_template("{msg:>10} [{bar:30}] {pos}/{len}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
                .progress_chars("#>-"),
        );
        Self(bar)
    }

    /// `done` of the total are through phase `what`.
    pub fn step(&self, what: &'static str, done: usize) {
        self.0.set_message(what);
        self.0.set_position(done as u64);
    }

    /// Removes the bar, leaving the line empty.
    pub fn finish(self) {
        self.0.finish_and_clear();
    }
}

/// Text from a learner's program made safe to show or store: terminal escape sequences (colour,
/// window titles, cursor moves) and control characters are removed, line breaks and tabs kept.
pub fn sanitize(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\u{1b}' => match chars.next() {
                // CSI: parameters, then one final byte in `@`..=`~`.
                Some('[') => {
                    for c in chars.by_ref() {
                        if ('@'..='~').contains(&c) {
                            break;
                        }
                    }
                }
                // OSC, DCS, SOS, PM, APC: up to BEL or the string terminator `ESC \`.
                Some(']' | 'P' | 'X' | '^' | '_') => {
                    while let Some(c) = chars.next() {
                        if c == '\u{7}' || (c == '\u{1b}' && chars.next_if_eq(&'\\').is_some()) {
                            break;
                        }
                    }
                }
                _ => {}
            },
            '\n' | '\t' => out.push(c),
            c if c.is_control() => {}
            '\u{fffe}' | '\u{ffff}' => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bar_fills_in_proportion() {
        assert_eq!(bar(0, 4, 8), "[--------] 0/4");
        assert_eq!(bar(1, 4, 8), "[##------] 1/4");
        assert_eq!(bar(4, 4, 8), "[########] 4/4");
        assert_eq!(bar(9, 4, 8), "[########] 9/4");
    }

    #[test]
    fn sanitize_removes_escapes_and_controls() {
        let text = "a\u{1b}[31mred\u{1b}[0m \u{1b}]0;pwned\u{7}b \u{1b}]2;t\u{1b}\\c\r\u{8}\u{ffff}\u{9b}d\n\te";
        assert_eq!(sanitize(text), "ared b cd\n\te");
    }

    #[test]
    fn wrap_keeps_words_and_indentation() {
        assert_eq!(wrap("short", 20), ["short"]);
        assert_eq!(
            wrap("the quick brown fox jumps over the lazy dog", 16),
            ["the quick brown", "fox jumps over", "the lazy dog"]
        );
        assert_eq!(
            wrap("    indented words that wrap around", 20),
            ["    indented words", "    that wrap around"]
        );
        assert_eq!(
            wrap("- a bullet that wraps onto more", 16),
            ["- a bullet that", "  wraps onto", "  more"]
        );
        assert_eq!(wrap("a\n\nb", 10), ["a", "", "b"]);
    }

    #[test]
    fn wrap_splits_long_words_and_ignores_colour_codes() {
        assert_eq!(
            wrap("abcdefghijklmnopqrst", 8),
            ["abcdefgh", "ijklmnop", "qrst"]
        );
        let red = "\u{1b}[31mred\u{1b}[0m";
        let line = format!("{red} {red} {red} {red}");
        let lines = wrap(&line, 8);
        assert_eq!(lines.len(), 2, "{lines:?}");
        assert!(lines.iter().all(|l| console::measure_text_width(l) <= 8));
        for width in [8, 13, 31] {
            let text = "error[E0277]: `Rc<Cell<u32>>` cannot be sent between threads safely";
            for line in wrap(text, width) {
                assert!(
                    console::measure_text_width(&line) <= width,
                    "{line:?} at {width}"
                );
            }
        }
    }
}
