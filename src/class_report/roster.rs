//! The roster: the students' repositories, one `owner/repository [name]` per line. The
//! regrade workflow reads the same file; the class report names who has no report.

use std::path::Path;

use anyhow::{Context, Result, bail};

pub struct Roster {
    /// `(repository, name)`, in the file's order.
    pub entries: Vec<(String, String)>,
}

impl Roster {
    pub fn read(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("failed to read the roster `{}`", path.display()))?;
        Self::parse(&text).with_context(|| format!("the roster `{}` is invalid", path.display()))
    }

    pub fn parse(text: &str) -> Result<Self> {
        let mut entries: Vec<(String, String)> = Vec::new();
        for (n, line) in text.lines().enumerate() {
            let line = line.split('#').next().unwrap_or("").trim();
            if line.is_empty() {
                continue;
            }
            let mut words = line.split(|c: char| c == ',' || c.is_whitespace());
            let repository = words.next().unwrap_or_default();
            let name = words.find(|w| !w.is_empty());
            let Some((owner, repo)) = repository.split_once('/') else {
                bail!("line {}: `{repository}` is not `owner/repository`", n + 1);
            };
            if !is_name(owner) || !is_name(repo) {
                bail!(
                    "line {}: `{repository}` is not `owner/repository` (letters, digits, `-`, `_` and `.`)",
                    n + 1
                );
            }
            let name = name.unwrap_or(repo);
            if !is_name(name) {
                bail!(
                    "line {}: the name `{name}` may hold only letters, digits, `-`, `_` and `.` (it names the report file)",
                    n + 1
                );
            }
            if entries.iter().any(|(_, other)| other == name) {
                bail!("line {}: `{name}` is on the roster twice", n + 1);
            }
            entries.push((repository.to_owned(), name.to_owned()));
        }
        Ok(Self { entries })
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.entries.iter().map(|(_, name)| name.as_str())
    }
}

/// What GitHub allows in an owner's or repository's name, and what a file name can safely be.
fn is_name(text: &str) -> bool {
    !text.is_empty()
        && text != "."
        && text != ".."
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_name_repositories_and_students() {
        let roster = Roster::parse(
            "# class of 2025\nacme/hw-alice alice\n\nacme/hw-bob\nacme/hw-carol, carol # late joiner\n",
        )
        .unwrap();
        assert_eq!(
            roster.entries,
            [
                ("acme/hw-alice".to_owned(), "alice".to_owned()),
                ("acme/hw-bob".to_owned(), "hw-bob".to_owned()),
                ("acme/hw-carol".to_owned(), "carol".to_owned()),
            ]
        );
    }

    #[test]
    fn bad_lines_are_named() {
        let err = Roster::parse("acme/a\nnot-a-repo\n").err().unwrap();
        assert!(err.to_string().starts_with("line 2:"), "{err}");
        let err = Roster::parse("acme/a x\nacme/b x\n").err().unwrap();
        assert!(err.to_string().contains("twice"), "{err}");
        let err = Roster::parse("acme/a ../x\n").err().unwrap();
        assert!(err.to_string().contains("may hold only"), "{err}");
    }
}
