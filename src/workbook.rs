//! The workbook: the root directory, its `info.toml` resolved into exercises, and the
//! agreement between that list and the file tree.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Result, bail};

use crate::exercise::{DEFAULT_TIME_LIMIT, Exercise};
use crate::explain;
use crate::info_file::{ExerciseInfo, InfoFile, Located, Place};
pub use crate::tree::rust_files;

pub const INFO_FILE: &str = "info.toml";

const NOT_A_WORKBOOK: &str = "run asynclings from the root of the workbook: the directory \
     that holds `exercises/` and `Cargo.toml` (and `info.toml` in a clone of the repository), \
     or make a new workspace with `asynclings init`";

pub struct Workbook {
    /// Where the build happens: info.toml, the checks and their harnesses. In a clone of the
    /// repository this is the clone; in a learner workspace, a build root the runner writes
    /// under `target/` from the curriculum it carries.
    pub root: PathBuf,
    /// Where the learner's files and progress are: the same as `root` in a clone.
    pub learner_root: PathBuf,
    /// The curriculum comes from the runner (a learner workspace), not from files on disk.
    pub embedded: bool,
    /// A rustlings-format set (`rustlings_format`): its plumbing is generated in the build
    /// root, each learner's file is a crate root of its own, and every build runs clippy.
    pub rustlings_format: bool,
    /// The package that holds the harness binaries (`checks`; renamed in a grading copy).
    pub checks_package: String,
    /// Built for grading: exercise harnesses carry the grading rules (`rules`), checked by
    /// clippy's lints while they compile.
    pub grading: bool,
    pub welcome_message: Option<String>,
    pub final_message: Option<String>,
    pub exercises: Vec<Exercise>,
}

/// One `[[exercises]]` entry of info.toml, checked and resolved, with the place of its name.
fn exercise(entry: ExerciseInfo, file: &Located) -> Result<(Exercise, Place)> {
    let name = entry.name.get_ref().clone();
    let place = Place::of(file.source, entry.name.span());
    if !is_valid_name(&name) {
        return Err(file.error_at(
            place,
            &format!(
                "invalid exercise name `{name}`: expected lowercase letters, digits and `_`, \
                 starting with a letter"
            ),
        ));
    }
    let dir = match entry.dir {
        Some(dir) if !is_valid_dir(dir.get_ref()) => {
            return Err(file.error(
                dir.span(),
                &format!(
                    "invalid dir `{}`: expected one directory name made of letters, digits, `_` \
                     and `-`",
                    dir.get_ref()
                ),
            ));
        }
        dir => dir.map(|dir| dir.into_inner()),
    };
    let hints = match (entry.hint, entry.hints) {
        (Some(_), Some(_)) => {
            return Err(file.error_at(
                place,
                &format!(
                    "exercise `{name}` has both `hint` and `hints`: keep one (`hints` holds \
                     several levels)"
                ),
            ));
        }
        (Some(hint), None) => vec![hint],
        (None, Some(hints)) => hints.into_inner(),
        (None, None) => Vec::new(),
    };
    let time_limit = match entry.time_limit {
        Some(limit) if *limit.get_ref() == 0 => {
            return Err(file.error(limit.span(), "time_limit must be at least 1 second"));
        }
        Some(limit) => Duration::from_secs(limit.into_inner()),
        None => DEFAULT_TIME_LIMIT,
    };
    let advice = match entry.advice {
        Some(advice) => {
            let span = advice.span();
            let advice = advice.into_inner();
            if let Some(key) = advice.keys().find(|key| explain::find(key).is_none()) {
                return Err(file.error(
                    span,
                    &format!(
                        "`{key}` in `advice` is not an explanation's name (`asynclings explain` \
                         lists them)"
                    ),
                ));
            }
            advice
                .into_iter()
                .map(|(key, text)| (key, text.trim().to_owned()))
                .collect()
        }
        None => Default::default(),
    };
    let ex = Exercise {
        name,
        dir,
        test: entry.test,
        strict_clippy: entry.strict_clippy,
        skip_check_unsolved: entry.skip_check_unsolved,
        hints: hints.into_iter().map(|h| h.trim().to_owned()).collect(),
        time_limit,
        points: entry.points.unwrap_or(1),
        info_line: place.line,
        advice,
    };
    Ok((ex, place))
}

impl Workbook {
    /// Loads the workbook at `root`, failing on a malformed or inconsistent `info.toml`.
    pub fn load(root: &Path) -> Result<Self> {
        let info_path = root.join(INFO_FILE);
        if !info_path.is_file() {
            bail!("no `{INFO_FILE}` in `{}`: {NOT_A_WORKBOOK}", root.display());
        }
        let (info, source) = InfoFile::read(&info_path)?;
        let info_file = Located {
            path: Path::new(INFO_FILE),
            source: &source,
        };
        let mut exercises = Vec::with_capacity(info.exercises.len());
        let mut seen: HashMap<String, usize> = HashMap::new();
        for entry in info.exercises {
            let (ex, place) = exercise(entry, &info_file)?;
            if let Some(first_line) = seen.insert(ex.name.clone(), place.line) {
                return Err(info_file.error_at(
                    place,
                    &format!(
                        "duplicate exercise name `{}`: it is already listed on line {first_line}",
                        ex.name
                    ),
                ));
            }
            exercises.push(ex);
        }
        if exercises.is_empty() {
            bail!(
                "`{}` lists no exercises: add `[[exercises]]` tables",
                info_path.display()
            );
        }
        Ok(Self {
            root: root.to_path_buf(),
            learner_root: root.to_path_buf(),
            embedded: false,
            rustlings_format: false,
            checks_package: crate::cargo::CHECKS_PACKAGE.to_owned(),
            grading: false,
            welcome_message: info.welcome_message.map(|m| m.trim().to_owned()),
            final_message: info.final_message.map(|m| m.trim().to_owned()),
            exercises,
        })
    }

    /// The workbook at `root`: a clone of the repository (it has info.toml), a learner
    /// workspace made by `asynclings init`, or a rustlings-format set.
    pub fn open(root: &Path) -> Result<Self> {
        if !root.join(INFO_FILE).is_file() && crate::workspace::is_workspace(root) {
            return crate::workspace::open(root);
        }
        if crate::rustlings_format::is_rustlings_format(root) {
            return crate::rustlings_format::open(root);
        }
        Self::load(root)
    }

    /// The learner's file of `ex`.
    pub fn learner_file(&self, ex: &Exercise) -> PathBuf {
        self.learner_root.join(ex.path())
    }

    /// Copies the learner's file of `ex` into the build root, where its harness includes it
    /// (a learner workspace); or removes the copy when the learner's file is gone.
    pub fn stage(&self, ex: &Exercise) -> Result<()> {
        if self.learner_root == self.root {
            return Ok(());
        }
        let copy = self.root.join(ex.path());
        match std::fs::read(self.learner_file(ex)) {
            Ok(content) => {
                crate::fs_util::write_if_changed(&copy, &content)?;
            }
            Err(_) => {
                let _ = std::fs::remove_file(&copy);
            }
        }
        Ok(())
    }

    /// The exercise called `name`, or an error that suggests the closest name.
    /// The exercise's path as the screens print it (`exercises/03_join/join1.rs`) names it too.
    pub fn find(&self, name: &str) -> Result<usize> {
        if let Some(idx) = self.exercises.iter().position(|ex| ex.name == name) {
            return Ok(idx);
        }
        let as_path = Path::new(name);
        if as_path.extension().is_some_and(|e| e == "rs")
            && let Some(idx) = self
                .exercises
                .iter()
                .position(|ex| as_path.ends_with(ex.path()) || ex.path().ends_with(as_path))
        {
            return Ok(idx);
        }
        match closest(name, self.exercises.iter().map(|ex| ex.name.as_str())) {
            Some(suggestion) => {
                bail!("there is no exercise `{name}`: did you mean `{suggestion}`?")
            }
            None => bail!("there is no exercise `{name}`: `asynclings list` shows them all"),
        }
    }

    /// Problems where info.toml and the file tree disagree, each one a sentence naming the file.
    pub fn tree_problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        let listed: BTreeSet<PathBuf> = self.exercises.iter().map(Exercise::path).collect();
        // A rustlings-format set's build root holds copies of the listed files only.
        let tree = if self.rustlings_format {
            &self.learner_root
        } else {
            &self.root
        };
        for ex in &self.exercises {
            if !tree.join(ex.path()).is_file() {
                problems.push(format!(
                    "`{}` is missing: exercise `{}` is listed in info.toml on line {} \
                     (`asynclings reset {}` restores the shipped version)",
                    ex.path().display(),
                    ex.name,
                    ex.info_line,
                    ex.name
                ));
            }
        }
        for path in rust_files(tree, "exercises") {
            if !listed.contains(&path) {
                problems.push(format!(
                    "`{}` is not listed in info.toml: add an `[[exercises]]` entry for it or \
                     remove it",
                    path.display()
                ));
            }
        }
        let checks: BTreeSet<PathBuf> = self.exercises.iter().map(Exercise::check_path).collect();
        for path in rust_files(&self.root, "checks") {
            if path.starts_with("checks/harness") || path == Path::new("checks/support.rs") {
                continue;
            }
            if !checks.contains(&path) {
                problems.push(format!(
                    "`{}` checks an exercise that info.toml does not list: expected `{}` to exist",
                    path.display(),
                    Path::new("exercises")
                        .join(path.strip_prefix("checks").unwrap())
                        .display()
                ));
            }
        }
        problems
    }
}

/// The candidate nearest to `name` by edit distance (case aside), if it is near enough to be
/// what was meant.
pub fn closest<'a>(name: &str, candidates: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    let name = name.to_lowercase();
    candidates
        .map(|candidate| {
            (
                strsim::damerau_levenshtein(&name, &candidate.to_lowercase()),
                candidate,
            )
        })
        .min()
        .filter(|(distance, _)| *distance <= name.len().max(3) / 2 + 1)
        .map(|(_, candidate)| candidate)
}

fn is_valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

fn is_valid_dir(dir: &str) -> bool {
    !dir.is_empty()
        && dir != "harness"
        && dir
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn workbook(info: &str, files: &[&str]) -> (tempfile::TempDir, Result<Workbook>) {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(INFO_FILE), info).unwrap();
        for file in files {
            let path = dir.path().join(file);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, "fn main() {}\n").unwrap();
        }
        let wb = Workbook::load(dir.path());
        (dir, wb)
    }

    const TWO: &str = "format_version = 1\n\n[[exercises]]\nname = \"join1\"\ndir = \"03_join\"\n\n\
                       [[exercises]]\nname = \"join2\"\ndir = \"03_join\"\n";

    #[test]
    fn resolves_paths_and_defaults() {
        let (_dir, wb) = workbook(TWO, &[]);
        let wb = wb.unwrap();
        let ex = &wb.exercises[1];
        assert_eq!(ex.path(), Path::new("exercises/03_join/join2.rs"));
        assert_eq!(ex.solution_path(), Path::new("solutions/03_join/join2.rs"));
        assert_eq!(ex.check_path(), Path::new("checks/03_join/join2.rs"));
        assert_eq!(ex.time_limit, DEFAULT_TIME_LIMIT);
        assert_eq!(ex.points, 1);
        assert_eq!(ex.info_line, 8);
    }

    #[test]
    fn a_duplicate_name_points_at_both_entries() {
        let info = TWO.replace("join2", "join1");
        let (_dir, wb) = workbook(&info, &[]);
        let err = format!("{:#}", wb.err().unwrap());
        assert!(
            err.starts_with(
                "info.toml:8:8: duplicate exercise name `join1`: it is already listed on line 4"
            ),
            "{err}"
        );
    }

    #[test]
    fn an_exercises_own_advice_is_read_and_checked() {
        let info = format!("{TWO}\n[exercises.advice]\nnot-send = \"  Here: use a LocalSet. \"\n");
        let (_dir, wb) = workbook(&info, &[]);
        let wb = wb.unwrap();
        assert!(wb.exercises[0].advice.is_empty());
        assert_eq!(wb.exercises[1].advice["not-send"], "Here: use a LocalSet.");

        let info = format!("{TWO}\n[exercises.advice]\nnot-sent = \"typo\"\n");
        let (_dir, wb) = workbook(&info, &[]);
        let err = format!("{:#}", wb.err().unwrap());
        assert!(
            err.contains("`not-sent` in `advice` is not an explanation's name"),
            "{err}"
        );
        assert!(err.starts_with("info.toml:"), "{err}");
    }

    #[test]
    fn hint_and_hints_together_are_rejected() {
        let info = format!("{TWO}hint = \"a\"\nhints = [\"b\"]\n");
        let (_dir, wb) = workbook(&info, &[]);
        let err = format!("{:#}", wb.err().unwrap());
        assert!(err.contains("both `hint` and `hints`"), "{err}");
    }

    #[test]
    fn a_bad_name_is_rejected() {
        let info = TWO.replace("join2", "Join-2");
        let (_dir, wb) = workbook(&info, &[]);
        let err = format!("{:#}", wb.err().unwrap());
        assert!(err.contains("invalid exercise name `Join-2`"), "{err}");
    }

    #[test]
    fn tree_problems_name_missing_unlisted_and_orphan_files() {
        let (_dir, wb) = workbook(
            TWO,
            &[
                "exercises/03_join/join1.rs",
                "exercises/03_join/join9.rs",
                "checks/03_join/join1.rs",
                "checks/03_join/join7.rs",
                "checks/harness/join1.rs",
                "checks/support.rs",
            ],
        );
        let problems = wb.unwrap().tree_problems();
        assert_eq!(problems.len(), 3, "{problems:#?}");
        assert!(problems[0].starts_with("`exercises/03_join/join2.rs` is missing"));
        assert!(problems[0].contains("line 8"));
        assert!(problems[1].starts_with("`exercises/03_join/join9.rs` is not listed"));
        assert!(problems[2].starts_with("`checks/03_join/join7.rs` checks an exercise"));
    }

    #[test]
    fn an_unknown_name_suggests_the_closest() {
        let (_dir, wb) = workbook(TWO, &[]);
        let wb = wb.unwrap();
        let err = wb.find("jion2").unwrap_err().to_string();
        assert_eq!(err, "there is no exercise `jion2`: did you mean `join2`?");
        let err = wb.find("completely_else").unwrap_err().to_string();
        assert!(err.contains("`asynclings list`"), "{err}");
    }
}
