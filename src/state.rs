//! The learner's progress: which exercises are done, the current one, and the hint levels
//! used. A small TOML file, written atomically; a corrupt one is kept aside and reported.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

use crate::fs_util::write_atomically;
use crate::workbook::Workbook;

pub const STATE_FILE: &str = ".asynclings-state.toml";

const HEADER: &str = "# Your asynclings progress, written by asynclings. \
     `asynclings verify` rebuilds the done list from your files.\n";

#[derive(Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
struct StateFile {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    current: Option<String>,
    #[serde(default)]
    done: BTreeSet<String>,
    /// Seconds spent in watch mode, over all sessions.
    #[serde(default)]
    time_spent_secs: u64,
    /// Hint levels used per exercise.
    #[serde(default)]
    hints: BTreeMap<String, usize>,
}

#[derive(Debug)]
pub struct State {
    path: PathBuf,
    file: StateFile,
    /// No state file existed: this is the learner's first run.
    pub first_run: bool,
}

impl State {
    /// Reads the state file of the workbook at `root`. A corrupt file is renamed aside (never
    /// deleted) and a fresh state is returned with a warning that says so.
    pub fn load(root: &Path) -> Result<(Self, Option<String>)> {
        let path = root.join(STATE_FILE);
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
                return Ok((
                    Self {
                        path,
                        file: StateFile::default(),
                        first_run: true,
                    },
                    None,
                ));
            }
            Err(err) => {
                return Err(err).with_context(|| format!("failed to read `{}`", path.display()));
            }
        };
        match toml::from_str::<StateFile>(&text) {
            Ok(file) => Ok((
                Self {
                    path,
                    file,
                    first_run: false,
                },
                None,
            )),
            Err(err) => {
                let aside = aside_path(&path);
                std::fs::rename(&path, &aside).with_context(|| {
                    format!(
                        "`{}` is corrupt and could not be moved aside",
                        path.display()
                    )
                })?;
                let warning = format!(
                    "your progress file `{STATE_FILE}` could not be read ({}), so it was moved to \
                     `{}` and progress starts afresh. Your exercise files are untouched: run \
                     `asynclings verify` to mark the ones you solved as done again.",
                    err.message().trim_end(),
                    aside.file_name().unwrap_or_default().to_string_lossy()
                );
                Ok((
                    Self {
                        path,
                        file: StateFile::default(),
                        first_run: false,
                    },
                    Some(warning),
                ))
            }
        }
    }

    /// Writes the state atomically.
    pub fn save(&self) -> Result<()> {
        let body = toml::to_string(&self.file).context("failed to serialize the progress")?;
        write_atomically(&self.path, format!("{HEADER}{body}").as_bytes())
            .with_context(|| format!("failed to save your progress to `{}`", self.path.display()))
    }

    pub fn is_done(&self, name: &str) -> bool {
        self.file.done.contains(name)
    }

    pub fn set_done(&mut self, name: &str, done: bool) {
        if done {
            self.file.done.insert(name.to_owned());
        } else {
            self.file.done.remove(name);
        }
    }

    /// How many hint levels of `name` were shown.
    pub fn hints_used(&self, name: &str) -> usize {
        self.file.hints.get(name).copied().unwrap_or(0)
    }

    pub fn set_hints_used(&mut self, name: &str, levels: usize) {
        self.file.hints.insert(name.to_owned(), levels);
    }

    pub fn total_hints_used(&self) -> usize {
        self.file.hints.values().sum()
    }

    pub fn add_time_spent(&mut self, time: std::time::Duration) {
        self.file.time_spent_secs += time.as_secs();
    }

    pub fn time_spent(&self) -> std::time::Duration {
        std::time::Duration::from_secs(self.file.time_spent_secs)
    }

    pub fn set_current(&mut self, name: &str) {
        self.file.current = Some(name.to_owned());
    }

    /// The exercise to work on: the one chosen last, if it still exists and is not done, else
    /// the first one not done; `None` when all are done.
    pub fn current_exercise(&self, wb: &Workbook) -> Option<usize> {
        let chosen = self
            .file
            .current
            .as_deref()
            .and_then(|name| wb.exercises.iter().position(|ex| ex.name == name))
            .filter(|&idx| !self.is_done(&wb.exercises[idx].name));
        chosen.or_else(|| wb.exercises.iter().position(|ex| !self.is_done(&ex.name)))
    }

    /// The first exercise not done after `idx`, wrapping around to the start.
    pub fn next_pending(&self, wb: &Workbook, idx: usize) -> Option<usize> {
        let n = wb.exercises.len();
        (1..=n)
            .map(|step| (idx + step) % n)
            .find(|&i| !self.is_done(&wb.exercises[i].name))
    }

    pub fn n_done(&self, wb: &Workbook) -> usize {
        wb.exercises
            .iter()
            .filter(|ex| self.is_done(&ex.name))
            .count()
    }
}

fn aside_path(path: &Path) -> PathBuf {
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(format!(".corrupt-{stamp}"));
    path.with_file_name(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_through_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let (mut state, warning) = State::load(dir.path()).unwrap();
        assert!(state.first_run && warning.is_none());
        state.set_done("join1", true);
        state.set_hints_used("join2", 2);
        state.set_current("join2");
        state.save().unwrap();
        let text = std::fs::read_to_string(dir.path().join(STATE_FILE)).unwrap();
        assert!(text.starts_with("# Your asynclings progress"), "{text}");
        let (state, warning) = State::load(dir.path()).unwrap();
        assert!(!state.first_run && warning.is_none());
        assert!(state.is_done("join1"));
        assert_eq!(state.hints_used("join2"), 2);
        assert_eq!(state.total_hints_used(), 2);
    }

    #[test]
    fn a_corrupt_file_is_kept_aside_and_reported() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(STATE_FILE);
        std::fs::write(&path, "done = [\"join1\"\n").unwrap();
        let (state, warning) = State::load(dir.path()).unwrap();
        let warning = warning.expect("a corrupt file is reported");
        assert!(warning.contains("asynclings verify"), "{warning}");
        assert!(!state.is_done("join1"));
        assert!(!path.exists());
        let kept: Vec<_> = std::fs::read_dir(dir.path()).unwrap().flatten().collect();
        assert_eq!(kept.len(), 1);
        let kept_text = std::fs::read_to_string(kept[0].path()).unwrap();
        assert_eq!(
            kept_text, "done = [\"join1\"\n",
            "the corrupt file is kept as it was"
        );
    }
}
