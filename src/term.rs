//! Terminal styling: colors only on a terminal and never with `NO_COLOR`, and links where the
//! terminal understands them.

use std::io::IsTerminal;

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
}
