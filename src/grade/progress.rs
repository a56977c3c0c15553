//! What the student's own progress file (`.asynclings-state.toml`, when they committed it)
//! says: hint levels used, time spent, exercises marked done. It is theirs and they can edit
//! it, so reports carry it as self-reported, beside the grade and never in it.

use std::collections::BTreeMap;
use std::path::Path;

use crate::state::STATE_FILE;

/// A progress file larger than this is not one the runner wrote.
const MAX_PROGRESS_FILE: u64 = 1024 * 1024;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SelfReported {
    /// Hint levels shown, per exercise.
    pub hints: BTreeMap<String, u64>,
    /// Time spent in watch mode, over all sessions.
    pub time_spent_secs: Option<u64>,
    /// Time per exercise, when the progress file records it.
    pub time_spent_secs_by_exercise: BTreeMap<String, u64>,
    pub done: Vec<String>,
}

/// Reads the progress file at `root`, leniently: whatever of it can be read, `None` when there
/// is none or it is not TOML. Fields the runner does not know are ignored; an exercise name
/// is kept only if it looks like one.
pub fn read(root: &Path) -> Option<SelfReported> {
    let path = root.join(STATE_FILE);
    if std::fs::metadata(&path).ok()?.len() > MAX_PROGRESS_FILE {
        return None;
    }
    let table: toml::Table = std::fs::read_to_string(path).ok()?.parse().ok()?;
    let per_exercise = |key: &str| -> BTreeMap<String, u64> {
        table
            .get(key)
            .and_then(toml::Value::as_table)
            .map(|t| {
                t.iter()
                    .filter(|(name, _)| is_exercise_name(name))
                    .filter_map(|(name, v)| {
                        Some((name.clone(), u64::try_from(v.as_integer()?).ok()?))
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    let time_spent_secs = table
        .get("time_spent_secs")
        .and_then(toml::Value::as_integer)
        .and_then(|n| u64::try_from(n).ok());
    let done = table
        .get("done")
        .and_then(toml::Value::as_array)
        .map(|names| {
            names
                .iter()
                .filter_map(toml::Value::as_str)
                .filter(|n| is_exercise_name(n))
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    Some(SelfReported {
        hints: per_exercise("hints"),
        time_spent_secs,
        time_spent_secs_by_exercise: per_exercise("time_spent_secs_by_exercise"),
        done,
    })
}

fn is_exercise_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_what_it_can_and_ignores_the_rest() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join(STATE_FILE),
            "current = \"join1\"\ndone = [\"intro1\", \"<b>\"]\ntime_spent_secs = 3600\nsomething_new = 1\n\n[hints]\njoin1 = 2\n\"<x>\" = 9\n",
        )
        .unwrap();
        let read = read(dir.path()).unwrap();
        assert_eq!(read.done, ["intro1"]);
        assert_eq!(read.time_spent_secs, Some(3600));
        assert_eq!(read.hints, BTreeMap::from([("join1".to_owned(), 2)]));
    }

    #[test]
    fn no_file_is_no_report() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(read(dir.path()), None);
    }
}
