//! A learner workspace (`asynclings init`): the exercise files and their READMEs, a Cargo
//! manifest for the editor, and nothing that gives the answers away. The runner carries the
//! rest (see `embedded`): every command materializes a build root under `target/` from it,
//! with the checks and harnesses, and copies the learner's file there before each build.
//! A solution is written into the workspace once its exercise passes.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

use crate::cargo;
use crate::embedded;
use crate::exercise::Exercise;
use crate::fs_util::write_if_changed;
use crate::sync;
use crate::workbook::{INFO_FILE, Workbook, rust_files};

/// Where a workspace's build root lives, relative to the workspace.
pub const BUILD_ROOT: &str = "target/asynclings/workbook";

/// The table in a workspace's Cargo.toml that marks it as one.
const MARKER_TABLE: &str = "asynclings";

/// Whether `dir` is a learner workspace: its Cargo.toml has `[package.metadata.asynclings]`.
pub fn is_workspace(dir: &Path) -> bool {
    let Ok(text) = std::fs::read_to_string(dir.join("Cargo.toml")) else {
        return false;
    };
    text.parse::<toml::Table>().is_ok_and(|manifest| {
        manifest
            .get("package")
            .and_then(|p| p.get("metadata"))
            .and_then(|m| m.get(MARKER_TABLE))
            .is_some()
    })
}

/// The grading inputs as embedded in the runner, by workbook-relative path.
pub fn embedded_inputs() -> BTreeMap<String, String> {
    embedded::FILES
        .iter()
        .map(|(p, c)| (p.to_string(), c.to_string()))
        .collect()
}

/// Opens the workspace at `learner_root`: writes its build root from the embedded curriculum
/// and stages the learner's files there.
pub fn open(learner_root: &Path) -> Result<Workbook> {
    let build_root = learner_root.join(BUILD_ROOT);
    materialize(&build_root, &embedded_inputs()).with_context(|| {
        format!(
            "failed to prepare the build directory `{}`",
            build_root.display()
        )
    })?;
    let mut wb = Workbook::load(&build_root)
        .with_context(|| format!("the runner's own `{INFO_FILE}` is invalid"))?;
    wb.learner_root = learner_root.to_path_buf();
    wb.embedded = true;
    sync::write(&wb)?;
    for ex in &wb.exercises {
        wb.stage(ex)?;
    }
    Ok(wb)
}

/// The shipped version of `ex`, as the runner carries it.
pub fn shipped(ex: &Exercise) -> Result<&'static str> {
    let path = slash(&ex.path());
    embedded::file(&path).with_context(|| format!("the runner carries no `{path}`"))
}

/// After a pass in a workspace: writes the solution of `ex` into `solutions/` unless it is
/// there already; returns its path when it was written now.
pub fn reveal_solution(wb: &Workbook, ex: &Exercise) -> Result<Option<PathBuf>> {
    if !wb.embedded {
        return Ok(None);
    }
    let relative = ex.solution_path();
    let path = wb.learner_root.join(&relative);
    if path.exists() {
        return Ok(None);
    }
    let Some(solution) = embedded::file(&slash(&relative)) else {
        return Ok(None);
    };
    write_if_changed(&path, solution.as_bytes())?;
    Ok(Some(relative))
}

fn slash(path: &Path) -> String {
    path.to_string_lossy().replace('\\', "/")
}

/// What `init` is asked to make.
pub struct InitOptions {
    pub dir: PathBuf,
    /// Also a GitHub Classroom template: the grading workflow and `assignment.toml`.
    pub classroom: Option<Classroom>,
}

/// Where the Classroom workflow installs the runner from: pinned, so that every student is
/// graded by the same runner and checks.
pub struct Classroom {
    pub runner_git: String,
    pub runner_rev: String,
}

/// `asynclings init [DIR] [--classroom]`: writes a new workspace; refuses to touch one that
/// exists. Returns the files written, for the screen.
pub fn init(options: &InitOptions) -> Result<Vec<PathBuf>> {
    let dir = &options.dir;
    if dir.join("Cargo.toml").exists() || dir.join(INFO_FILE).exists() {
        bail!(
            "`{}` already holds a workbook (it has a `Cargo.toml`): asynclings never writes over \
             one. Run `asynclings` there to carry on, or choose a new directory",
            dir.display()
        );
    }
    if std::fs::read_dir(dir).is_ok_and(|mut entries| entries.next().is_some()) {
        bail!(
            "`{}` is not empty: choose a new or empty directory for the workspace",
            dir.display()
        );
    }
    let inputs = embedded_inputs();
    let info = inputs
        .get(INFO_FILE)
        .context("the runner carries no info.toml")?;
    let exercises = exercise_paths(info)?;
    let mut files: Vec<(PathBuf, String)> = Vec::new();
    files.push(("Cargo.toml".into(), manifest(&inputs, &exercises)?));
    if let Some(lock) = inputs.get("Cargo.lock") {
        files.push(("Cargo.lock".into(), lock.clone()));
    }
    files.push((".gitignore".into(), GITIGNORE.to_owned()));
    files.push(("README.md".into(), readme(options.classroom.is_some())));
    files.push((".vscode/settings.json".into(), VSCODE.to_owned()));
    for (path, content) in embedded::LEARNER_FILES {
        files.push((PathBuf::from(path), content.to_string()));
    }
    if let Some(classroom) = &options.classroom {
        files.push((WORKFLOW_PATH.into(), workflow(classroom)));
        files.push((ASSIGNMENT_PATH.into(), assignment(&exercises)));
    }
    for (path, content) in &files {
        let full = dir.join(path);
        if let Some(parent) = full.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("failed to create `{}`", parent.display()))?;
        }
        std::fs::write(&full, content)
            .with_context(|| format!("failed to write `{}`", full.display()))?;
    }
    Ok(files.into_iter().map(|(path, _)| path).collect())
}

/// Each exercise's name and file, in the order of info.toml.
fn exercise_paths(info: &str) -> Result<Vec<(String, PathBuf)>> {
    let parsed = crate::info_file::InfoFile::parse(info, Path::new(INFO_FILE))?;
    Ok(parsed
        .exercises
        .into_iter()
        .map(|entry| {
            let name = entry.name.into_inner();
            let mut path = PathBuf::from("exercises");
            if let Some(dir) = entry.dir {
                path.push(dir.into_inner());
            }
            path.push(format!("{name}.rs"));
            (name, path)
        })
        .collect())
}

const GITIGNORE: &str = "# Builds, and the runner's copies of the checks.\n/target/\n\
     # Your earlier versions, kept by `asynclings reset`.\n/.asynclings-backups/\n";

const VSCODE: &str = "{\n    \"rust-analyzer.check.allTargets\": false\n}\n";

pub const WORKFLOW_PATH: &str = ".github/workflows/classroom.yml";
pub const ASSIGNMENT_PATH: &str = "assignment.toml";

/// The workspace's Cargo.toml: one package whose binaries are the exercise files, so that
/// rust-analyzer understands them, with the curriculum's dependencies.
fn manifest(inputs: &BTreeMap<String, String>, exercises: &[(String, PathBuf)]) -> Result<String> {
    let root: toml::Table = inputs
        .get("Cargo.toml")
        .context("the runner carries no Cargo.toml")?
        .parse()
        .context("the runner's Cargo.toml is not valid TOML")?;
    let dependencies = root
        .get("workspace")
        .and_then(|w| w.get("dependencies"))
        .cloned()
        .unwrap_or_else(|| toml::Value::Table(toml::Table::new()));
    let mut package = toml::Table::new();
    package.insert("name".into(), "asynclings-exercises".into());
    package.insert("version".into(), "0.0.0".into());
    package.insert("edition".into(), "2024".into());
    package.insert("publish".into(), false.into());
    package.insert("autobins".into(), false.into());
    let mut marker = toml::Table::new();
    marker.insert("workspace".into(), 1.into());
    marker.insert("runner".into(), env!("CARGO_PKG_VERSION").into());
    let mut metadata = toml::Table::new();
    metadata.insert(MARKER_TABLE.into(), marker.into());
    package.insert("metadata".into(), metadata.into());
    let section = |key: &str, value: toml::Value| -> Result<String> {
        let mut table = toml::Table::new();
        table.insert(key.into(), value);
        Ok(toml::to_string(&table)?)
    };
    // Its own workspace, whatever directory it sits in.
    let mut text = format!(
        "# An asynclings workspace, made by `asynclings init`. Run `asynclings` here to start \
         or carry on;\n# the exercises are listed so that your editor understands them.\n{}\n{}\n\
         [workspace]\n",
        section("package", package.into())?,
        section("dependencies", dependencies)?,
    );
    for (name, path) in exercises {
        text += &format!("\n[[bin]]\nname = {name:?}\npath = {:?}\n", slash(path));
    }
    Ok(text)
}

fn readme(classroom: bool) -> String {
    let mut text = String::from(
        "# Async Rust, by fixing small programs\n\n\
         This is your asynclings workspace. Each file under `exercises/` is a small async Rust \
         program that does not work yet; the comment at its top is the lesson, and each \
         topic's `README.md` tells the story around it.\n\n\
         ## Start\n\n\
         ```\nasynclings\n```\n\n\
         in this directory starts watch mode on the first exercise you have not done. Edit the \
         file it names and save: it is built and checked at once, and you get the verdict in \
         under a second once the first build is done (the first one builds tokio and takes a \
         minute or so).\n\n\
         ## Keys in watch mode\n\n\
         | key | does |\n| --- | --- |\n\
         | `h` | the next hint (they deepen step by step) |\n\
         | `n` | the next exercise, once this one passes |\n\
         | `l` | every exercise, to jump to one or reset one |\n\
         | `c` | check every exercise |\n\
         | `r` | check again |\n\
         | `q` | quit |\n\n\
         `asynclings hint`, `asynclings list`, `asynclings run NAME`, `asynclings reset NAME` and \
         `asynclings explain CODE` do the same from the command line.\n\n\
         ## What is where\n\n\
         - `exercises/`: yours to edit.\n\
         - `solutions/`: a solution appears here once your exercise passes, to compare with \
         yours.\n\
         - `.asynclings-state.toml`: your progress (exercises done, hints used).\n\
         - `.asynclings-backups/`: your versions, saved whenever `reset` restores an exercise.\n\
         - `target/`: builds; safe to delete.\n\n\
         The checks that judge each exercise are inside the `asynclings` program, not in this \
         directory.\n",
    );
    if classroom {
        text += "\n## Grading\n\n\
             This repository is an assignment. Each push is graded by the workflow in \
             `.github/workflows/classroom.yml`, which runs `asynclings grade`: every exercise \
             in `assignment.toml`, built and checked on its own. `asynclings grade` shows the \
             same table on your machine. Leave the workflow and `assignment.toml` as they \
             are: the grade counts only what the checks themselves report, and changes to \
             either are visible to your teacher.\n";
    }
    text
}

/// The GitHub Classroom workflow: one grading run whose report gives every output, the
/// runner installed at a pinned revision, no credentials left for student code to read, and
/// the names Classroom itself generates (`Autograding Tests`, `run-autograding-tests`).
fn workflow(classroom: &Classroom) -> String {
    format!(
        r#"# Made by `asynclings init --classroom`. GitHub Classroom reads the result of the last step.
# The runner (and with it the checks) is installed from a pinned revision: change RUNNER_REV to
# grade with a newer curriculum. docs/teachers.md of asynclings explains what this protects.
name: Autograding Tests
on:
  push:
  workflow_dispatch:
  repository_dispatch:
permissions:
  checks: write
  actions: read
  contents: read
env:
  RUNNER_GIT: {git}
  RUNNER_REV: {rev}
  CARGO_TERM_COLOR: never
jobs:
  run-autograding-tests:
    runs-on: ubuntu-latest
    if: github.actor != 'github-classroom[bot]'
    timeout-minutes: 30
    steps:
      - name: Checkout code
        uses: actions/checkout@v4
        with:
          # The job's token stays out of .git/config, where the student's code could read it.
          persist-credentials: false
      - name: Install the runner
        run: cargo install --locked --git "$RUNNER_GIT" --rev "$RUNNER_REV" --root "$RUNNER_TEMP/asynclings" asynclings
      - name: Grade
        id: asynclings
        # One grading run; every report comes from it, written after every process of the
        # student's code has ended.
        run: |
          "$RUNNER_TEMP/asynclings/bin/asynclings" grade --assignment {assignment} --exit-zero --out-dir "$RUNNER_TEMP/grade"
          echo "result=$(base64 -w0 "$RUNNER_TEMP/grade/classroom.json")" >> "$GITHUB_OUTPUT"
      - name: Autograding Reporter
        uses: classroom-resources/autograding-grading-reporter@v1
        env:
          ASYNCLINGS_RESULTS: "${{{{ steps.asynclings.outputs.result }}}}"
        with:
          runners: asynclings
"#,
        git = yaml_string(&classroom.runner_git),
        rev = yaml_string(&classroom.runner_rev),
        assignment = ASSIGNMENT_PATH,
    )
}

/// A YAML double-quoted scalar.
fn yaml_string(text: &str) -> String {
    serde_json::to_string(text).expect("a string serializes")
}

fn assignment(exercises: &[(String, PathBuf)]) -> String {
    let mut text = String::from(
        "# What this assignment grades: the exercises, in order, and optionally their points\n\
         # (one point each otherwise). Remove the exercises you do not assign.\n\
         exercises = [\n",
    );
    for (name, _) in exercises {
        text += &format!("  {name:?},\n");
    }
    text += "]\n\n[points]\n# quiz1 = 3\n";
    text
}

/// Writes a build root: the inputs (with the root manifest cut down to the workspace the checks
/// need, and clippy's configuration of the grading rules), leaving files that are already
/// right untouched so that cargo's incremental builds keep working.
pub fn materialize(grade_root: &Path, inputs: &BTreeMap<String, String>) -> Result<()> {
    let mut files = inputs.clone();
    let manifest = files
        .get("Cargo.toml")
        .context("the grading inputs have no Cargo.toml")?;
    files.insert("Cargo.toml".to_owned(), workspace_manifest(manifest)?);
    let checks = files
        .get(sync::CHECKS_MANIFEST)
        .context("the grading inputs have no checks/Cargo.toml")?;
    files.insert(
        sync::CHECKS_MANIFEST.to_owned(),
        checks_manifest_head(checks),
    );
    files.insert(
        format!("{}/clippy.toml", cargo::CLIPPY_CONF_DIR),
        crate::rules::clippy_toml(),
    );
    for (path, content) in &files {
        write_if_changed(&grade_root.join(path), content.as_bytes())?;
    }
    // Check files from an earlier grading that the inputs no longer have.
    for stale in rust_files(grade_root, "checks") {
        let relative = stale.to_string_lossy().replace('\\', "/");
        if !relative.starts_with(sync::HARNESS_DIR) && !files.contains_key(&relative) {
            std::fs::remove_file(grade_root.join(&stale))
                .with_context(|| format!("failed to remove `{}`", stale.display()))?;
        }
    }
    Ok(())
}

/// The root manifest of the grading workspace: only the checks package, with the workbook's
/// shared dependency versions and profiles.
pub fn workspace_manifest(manifest: &str) -> Result<String> {
    let parsed: toml::Table = manifest
        .parse()
        .context("the embedded Cargo.toml is not valid TOML")?;
    let mut workspace = toml::Table::new();
    workspace.insert("members".into(), toml::Value::Array(vec!["checks".into()]));
    workspace.insert("resolver".into(), "3".into());
    if let Some(deps) = parsed.get("workspace").and_then(|w| w.get("dependencies")) {
        workspace.insert("dependencies".into(), deps.clone());
    }
    let mut out = toml::Table::new();
    out.insert("workspace".into(), toml::Value::Table(workspace));
    // The exercises build with the dev and test profiles; the release profile is the runner's.
    if let Some(profiles) = parsed.get("profile").and_then(|p| p.as_table()) {
        let kept: toml::Table = profiles
            .iter()
            .filter(|(name, _)| *name != "release")
            .map(|(name, profile)| (name.clone(), profile.clone()))
            .collect();
        if !kept.is_empty() {
            out.insert("profile".into(), kept.into());
        }
    }
    Ok(format!(
        "# Generated by asynclings: the curriculum's checks, built apart from the learner's files.\n{}",
        toml::to_string(&out)?
    ))
}

/// The checks manifest without its generated target list, which `sync` writes afresh.
fn checks_manifest_head(manifest: &str) -> String {
    let head = manifest.split(sync::MARKER).next().unwrap_or(manifest);
    format!(
        "{}{}\n",
        head.trim_end_matches('\n').to_owned() + "\n\n",
        sync::MARKER
    )
}
