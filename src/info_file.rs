//! Parsing `info.toml`: the ordered list of exercises, a superset of the rustlings v6 format.

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::Path;

use anyhow::{Context, Result, bail};
use serde::Deserialize;
use toml::Spanned;

/// The whole of `info.toml`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InfoFile {
    pub format_version: u8,
    #[serde(default)]
    pub welcome_message: Option<String>,
    #[serde(default)]
    pub final_message: Option<String>,
    #[serde(default)]
    pub exercises: Vec<ExerciseInfo>,
}

/// One `[[exercises]]` table.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExerciseInfo {
    pub name: Spanned<String>,
    #[serde(default)]
    pub dir: Option<Spanned<String>>,
    #[serde(default = "default_true")]
    pub test: bool,
    #[serde(default)]
    pub strict_clippy: bool,
    #[serde(default)]
    pub skip_check_unsolved: bool,
    /// A single hint, as rustlings writes it.
    #[serde(default)]
    pub hint: Option<String>,
    /// Several hint levels, from a nudge to nearly the answer.
    #[serde(default)]
    pub hints: Option<Spanned<Vec<String>>>,
    /// Seconds the checks may run.
    #[serde(default)]
    pub time_limit: Option<Spanned<u64>>,
    #[serde(default)]
    pub points: Option<u32>,
    /// The exercise's own words for an error that a general explanation (`asynclings explain
    /// KEY`) would otherwise explain, by key; an empty text hides the general one. For where
    /// the general advice would contradict the lesson.
    #[serde(default)]
    pub advice: Option<Spanned<BTreeMap<String, String>>>,
}

fn default_true() -> bool {
    true
}

/// The format versions this runner reads.
pub const SUPPORTED_FORMAT_VERSION: u8 = 1;

impl InfoFile {
    /// Reads and parses the info file at `path`, with errors that name the file, line and column.
    pub fn read(path: &Path) -> Result<(Self, String)> {
        let source = std::fs::read_to_string(path)
            .with_context(|| format!("failed to read `{}`", path.display()))?;
        let info = Self::parse(&source, path)?;
        Ok((info, source))
    }

    /// Parses `source`, naming `path` in errors.
    pub fn parse(source: &str, path: &Path) -> Result<Self> {
        let info: InfoFile = match toml::from_str(source) {
            Ok(info) => info,
            Err(err) => {
                let place = err.span().map(|span| Place::of(source, span));
                bail!(
                    "{}",
                    located(path, place, &plain_types(err.message()), source)
                );
            }
        };
        if info.format_version != SUPPORTED_FORMAT_VERSION {
            let span = find_key_span(source, "format_version");
            bail!(
                "{}",
                located(
                    path,
                    span.map(|s| Place::of(source, s)),
                    &format!(
                        "unsupported format_version {}: this asynclings reads format_version {}",
                        info.format_version, SUPPORTED_FORMAT_VERSION
                    ),
                    source
                )
            );
        }
        Ok(info)
    }
}

/// A line and column in a file, both counted from 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Place {
    pub line: usize,
    pub column: usize,
}

impl Place {
    /// The place where `span` starts in `source`.
    pub fn of(source: &str, span: Range<usize>) -> Self {
        let start = span.start.min(source.len());
        let before = &source[..start];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let column = source[line_start..start].chars().count() + 1;
        Self { line, column }
    }
}

/// A file's text, for errors that point into it.
pub struct Located<'a> {
    pub path: &'a Path,
    pub source: &'a str,
}

impl Located<'_> {
    /// An error at `span` of the file: `info.toml:8:8: message`, then the line and a caret.
    pub fn error(&self, span: Range<usize>, message: &str) -> anyhow::Error {
        self.error_at(Place::of(self.source, span), message)
    }

    pub fn error_at(&self, place: Place, message: &str) -> anyhow::Error {
        anyhow::anyhow!("{}", located(self.path, Some(place), message, self.source))
    }
}

/// Formats an error at a place in a file, with the offending line and a caret under it.
pub fn located(path: &Path, place: Option<Place>, message: &str, source: &str) -> String {
    let message = message.trim_end();
    match place {
        Some(Place { line, column }) => {
            let text = source.lines().nth(line - 1).unwrap_or("");
            let gutter = line.to_string().len();
            format!(
                "{}:{line}:{column}: {message}\n{:gutter$} |\n{line} | {text}\n{:gutter$} | {:>column$}",
                path.display(),
                "",
                "",
                "^",
            )
        }
        None => format!("{}: {message}", path.display()),
    }
}

/// serde names Rust types (`expected u64`); say what to write instead.
fn plain_types(message: &str) -> String {
    ["u64", "u32", "u8"]
        .iter()
        .fold(message.to_owned(), |message, ty| {
            message.replace(&format!("expected {ty}"), "expected a whole number")
        })
}

fn find_key_span(source: &str, key: &str) -> Option<Range<usize>> {
    let mut offset = 0;
    for line in source.split_inclusive('\n') {
        if line.trim_start().starts_with(key) {
            let indent = line.len() - line.trim_start().len();
            return Some(offset + indent..offset + indent + key.len());
        }
        offset += line.len();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(source: &str) -> Result<InfoFile> {
        InfoFile::parse(source, Path::new("info.toml"))
    }

    fn error(source: &str) -> String {
        format!("{:#}", parse(source).unwrap_err())
    }

    #[test]
    fn reads_a_rustlings_v6_file() {
        let info = parse(
            r#"
format_version = 1
welcome_message = "hi"
final_message = "bye"

[[exercises]]
name = "intro1"
dir = "00_intro"
test = false
skip_check_unsolved = true
hint = "read it"

[[exercises]]
name = "vars1"
dir = "01_vars"
strict_clippy = true
hint = """
multi"""
"#,
        )
        .unwrap();
        assert_eq!(info.exercises.len(), 2);
        let intro = &info.exercises[0];
        assert_eq!(intro.name.get_ref(), "intro1");
        assert!(!intro.test);
        assert!(intro.skip_check_unsolved);
        assert!(info.exercises[1].test, "test defaults to true");
        assert!(info.exercises[1].strict_clippy);
    }

    #[test]
    fn reads_the_asynclings_fields() {
        let info = parse(
            r#"
format_version = 1
[[exercises]]
name = "join1"
dir = "03_join"
hints = ["a", "b", "c"]
time_limit = 9
points = 3
"#,
        )
        .unwrap();
        let ex = &info.exercises[0];
        assert_eq!(ex.hints.as_ref().unwrap().get_ref().len(), 3);
        assert_eq!(*ex.time_limit.as_ref().unwrap().get_ref(), 9);
        assert_eq!(ex.points, Some(3));
    }

    #[test]
    fn an_unknown_field_is_named_with_its_line_and_column() {
        let err = error("format_version = 1\n[[exercises]]\nname = \"a\"\n  hnit = \"x\"\n");
        assert!(
            err.starts_with("info.toml:4:3: unknown field `hnit`"),
            "{err}"
        );
        assert!(err.contains("expected one of"), "{err}");
        assert!(err.contains("4 |   hnit = \"x\""), "{err}");
    }

    #[test]
    fn a_wrong_type_says_what_was_expected() {
        let err = error("format_version = 1\n[[exercises]]\nname = \"a\"\ntime_limit = \"5s\"\n");
        assert!(err.starts_with("info.toml:4:14: "), "{err}");
        assert!(
            err.contains("invalid type: string \"5s\", expected a whole number"),
            "{err}"
        );
    }

    #[test]
    fn a_syntax_error_is_located() {
        let err = error("format_version = 1\n[[exercises]\n");
        assert!(err.starts_with("info.toml:2:"), "{err}");
    }

    #[test]
    fn a_missing_name_is_reported() {
        let err = error("format_version = 1\n[[exercises]]\ndir = \"x\"\n");
        assert!(err.contains("missing field `name`"), "{err}");
    }

    #[test]
    fn an_unsupported_version_is_located() {
        let err = error("\nformat_version = 7\n");
        assert!(
            err.starts_with("info.toml:2:1: unsupported format_version 7"),
            "{err}"
        );
    }

    #[test]
    fn place_counts_lines_and_characters_from_one() {
        let source = "ab\nçd\n";
        assert_eq!(Place::of(source, 0..1), Place { line: 1, column: 1 });
        assert_eq!(Place::of(source, 5..6), Place { line: 2, column: 2 });
    }
}
