//! One exercise: its files, settings and hints, resolved from its `info.toml` entry.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The default time the checks of one exercise may run.
pub const DEFAULT_TIME_LIMIT: Duration = Duration::from_secs(5);

/// Which file is compiled with the checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Variant {
    /// The learner's file under `exercises/`.
    Exercise,
    /// The solution under `solutions/`.
    Solution,
}

#[derive(Debug, Clone)]
pub struct Exercise {
    pub name: String,
    /// The topic directory, if any (`01_async_fn`).
    pub dir: Option<String>,
    /// Build as a test binary and run its tests (true), or build and run the program (false).
    pub test: bool,
    pub strict_clippy: bool,
    /// The file as shipped passes: `dev check` expects it to.
    pub skip_check_unsolved: bool,
    pub hints: Vec<String>,
    pub time_limit: Duration,
    pub points: u32,
    /// The 1-based line of the entry's `name` in info.toml, for messages.
    pub info_line: usize,
    /// The exercise's own words instead of a general explanation, by its key (empty: none).
    pub advice: BTreeMap<String, String>,
}

impl Exercise {
    fn relative(&self, top: &str) -> PathBuf {
        let mut path = PathBuf::from(top);
        if let Some(dir) = &self.dir {
            path.push(dir);
        }
        path.push(format!("{}.rs", self.name));
        path
    }

    /// `exercises/<dir>/<name>.rs`, relative to the workbook root.
    pub fn path(&self) -> PathBuf {
        self.relative("exercises")
    }

    /// `solutions/<dir>/<name>.rs`, relative to the workbook root.
    pub fn solution_path(&self) -> PathBuf {
        self.relative("solutions")
    }

    /// `checks/<dir>/<name>.rs`, relative to the workbook root.
    pub fn check_path(&self) -> PathBuf {
        self.relative("checks")
    }

    /// The file compiled for `variant`, relative to the workbook root.
    pub fn source_path(&self, variant: Variant) -> PathBuf {
        match variant {
            Variant::Exercise => self.path(),
            Variant::Solution => self.solution_path(),
        }
    }

    /// Whether this exercise has hidden checks (a file under `checks/`).
    pub fn has_checks(&self, root: &Path) -> bool {
        root.join(self.check_path()).is_file()
    }

    /// The harness binary name for `variant` in the checks package.
    pub fn harness_bin(&self, variant: Variant) -> String {
        match variant {
            Variant::Exercise => self.name.clone(),
            Variant::Solution => format!("{}-solution", self.name),
        }
    }
}

#[cfg(test)]
impl Exercise {
    /// An exercise `dir/name` with one hint and the defaults, for unit tests.
    pub fn for_tests(dir: &str, name: &str) -> Self {
        Self {
            name: name.to_owned(),
            dir: Some(dir.to_owned()),
            test: true,
            strict_clippy: false,
            skip_check_unsolved: false,
            hints: vec!["a hint".to_owned()],
            time_limit: DEFAULT_TIME_LIMIT,
            points: 1,
            info_line: 1,
            advice: Default::default(),
        }
    }
}
