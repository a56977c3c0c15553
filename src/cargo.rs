//! Every cargo invocation of the runner: building an exercise's harness binary, warming up
//! the shared dependency build, and reading cargo's JSON messages. Only this file starts cargo.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use serde::Deserialize;
use tokio::process::Command;

use crate::confine;
use crate::process::{self, Limits};
use crate::workbook::Workbook;

/// The package whose binaries compile each exercise with its checks.
pub const CHECKS_PACKAGE: &str = "checks";

/// A warm build of one small binary takes well under a second; this much means something is
/// wrong (or the dependencies are being built from scratch, which the warm-up covers).
pub const COMPILE_TIME_LIMIT: Duration = Duration::from_secs(180);

/// Building tokio and friends from nothing on a slow machine.
const WARM_UP_TIME_LIMIT: Duration = Duration::from_secs(30 * 60);

/// Compiler output beyond this is cut (a runaway macro can print megabytes).
const OUTPUT_CAP: usize = 4 * 1024 * 1024;

const NO_CARGO: &str = "asynclings builds exercises with cargo, and could not start it: install \
     Rust with rustup (which provides cargo) and make sure `cargo` is on your PATH";

/// Where a grading workspace keeps `clippy.toml`, relative to its root.
pub const CLIPPY_CONF_DIR: &str = "checks";

/// clippy's compiler driver: beside the cargo that runs the build when there is one there
/// (rustup's proxies, a toolchain's `bin/`), else from the PATH.
pub fn clippy_driver() -> PathBuf {
    let name = format!("clippy-driver{}", std::env::consts::EXE_SUFFIX);
    let cargo = cargo_program();
    if let Some(dir) = cargo.parent().filter(|d| !d.as_os_str().is_empty()) {
        let beside = dir.join(&name);
        if beside.is_file() {
            return beside;
        }
    }
    PathBuf::from(name)
}

/// An error unless clippy's driver runs: grading enforces its rules with it.
pub async fn require_clippy() -> Result<()> {
    let mut cmd = Command::new(clippy_driver());
    cmd.arg("--version");
    let out = process::run(
        cmd,
        Limits {
            time: Duration::from_secs(60),
            output_bytes: 1 << 16,
        },
        |_| {},
    )
    .await;
    match out {
        Ok(out) if out.success() => Ok(()),
        _ => bail!(
            "grading needs clippy, which enforces the grading rules while it compiles, and \
             `{}` did not run: install it with `rustup component add clippy`",
            clippy_driver().display()
        ),
    }
}

/// `program` as a path to an executable file: itself when it has a directory part, else
/// the first match on the PATH.
fn find_program(program: &Path) -> Option<PathBuf> {
    if program.components().count() > 1 {
        return program.is_file().then(|| program.to_path_buf());
    }
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|dir| dir.join(program))
        .find(|candidate| candidate.is_file())
}

/// The cargo program: the one that started us when run through `cargo run`, else `cargo`.
fn cargo_program() -> PathBuf {
    std::env::var_os("CARGO").map_or_else(|| PathBuf::from("cargo"), PathBuf::from)
}

/// The target directory for exercise builds. It is separate from the runner's own so that an
/// editor's `cargo check` (rust-analyzer) and an exercise build never wait for each other's lock.
/// Grading always builds in its own workspace, whatever the environment says.
pub fn target_dir(wb: &Workbook) -> PathBuf {
    match std::env::var_os("ASYNCLINGS_TARGET_DIR") {
        Some(dir) if !wb.grading => PathBuf::from(dir),
        _ => wb.root.join("target").join("asynclings"),
    }
}

fn cargo(wb: &Workbook, subcommand: &str) -> Command {
    // Compiling a learner's file runs their macros and reads what they name: it is confined
    // like running it, with looser limits.
    let program = cargo_program();
    let mut cmd = match find_program(&program) {
        Some(found) => confine::command(&found, confine::BUILD),
        // Started directly, so that a missing cargo is reported as such.
        None => Command::new(&program),
    };
    if wb.grading {
        // clippy's driver compiles the workspace's own crates (the harnesses, the support
        // library) as rustc does, and enforces the grading rules on the way.
        cmd.env("RUSTC_WORKSPACE_WRAPPER", clippy_driver())
            .env("CLIPPY_CONF_DIR", wb.root.join(CLIPPY_CONF_DIR));
    } else if wb.rustlings_format && subcommand == "build" {
        // rustlings runs clippy on every exercise. Its driver builds and lints in one
        // compilation, always with the same arguments (a change would rebuild everything):
        // whether a warning fails the exercise (`strict_clippy`) is decided when it is judged.
        cmd.env("RUSTC_WORKSPACE_WRAPPER", clippy_driver())
            .env("CLIPPY_CONF_DIR", &wb.root);
    }
    cmd.current_dir(&wb.root)
        .arg(subcommand)
        .arg("--target-dir")
        .arg(target_dir(wb))
        .env("CARGO_TERM_PROGRESS_WHEN", "never");
    cmd
}

/// One compiler message, as rustc reports it in JSON.
#[derive(Debug, Clone, Deserialize)]
pub struct Diagnostic {
    pub level: String,
    #[serde(default)]
    pub message: String,
    #[serde(default)]
    pub code: Option<DiagnosticCode>,
    #[serde(default)]
    pub spans: Vec<Span>,
    /// Notes and help attached to the message.
    #[serde(default)]
    pub children: Vec<Diagnostic>,
    /// rustc's own rendering, with ANSI colors.
    #[serde(default)]
    pub rendered: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct DiagnosticCode {
    pub code: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Span {
    pub file_name: String,
    pub line_start: usize,
    pub column_start: usize,
    pub is_primary: bool,
    #[serde(default)]
    pub label: Option<String>,
}

impl Span {
    /// `exercises/x.rs:12:5`, as the learner knows the file.
    pub fn place(&self, root: &Path) -> String {
        format!(
            "{}:{}:{}",
            tidy_paths(&self.file_name, root),
            self.line_start,
            self.column_start
        )
    }
}

impl Diagnostic {
    pub fn is_error(&self) -> bool {
        self.level == "error" || self.level == "error: internal compiler error"
    }

    /// Where the primary span points, as the learner knows the file.
    pub fn primary_place(&self, root: &Path) -> Option<String> {
        self.spans
            .iter()
            .find(|s| s.is_primary)
            .map(|s| s.place(root))
    }

    /// Whether the primary span is in a hidden check file rather than the learner's.
    pub fn primary_in_checks(&self) -> bool {
        self.spans
            .iter()
            .any(|s| s.is_primary && tidy_paths(&s.file_name, Path::new("")).starts_with("checks/"))
    }

    /// Whether the message, a span label or any child note contains `text`.
    pub fn mentions(&self, text: &str) -> bool {
        self.message.contains(text)
            || self
                .spans
                .iter()
                .any(|s| s.label.as_deref().is_some_and(|l| l.contains(text)))
            || self.children.iter().any(|c| c.mentions(text))
    }

    /// The first child note whose message contains `text`.
    pub fn find_child(&self, text: &str) -> Option<&Diagnostic> {
        self.children.iter().find(|c| c.message.contains(text))
    }
}

/// The build of one harness: its own compiler messages, and how it ended.
#[derive(Debug, Clone)]
pub struct Build {
    pub diagnostics: Vec<Diagnostic>,
    pub ended: BuildEnd,
}

#[derive(Debug, Clone)]
pub enum BuildEnd {
    /// It built: the executable (the test binary when building for tests).
    Built(PathBuf),
    /// It did not compile. cargo's own stderr says why where no diagnostic does (a manifest
    /// error, a missing crate).
    Failed { stderr: String },
    /// Stopped at the compile time limit.
    TimedOut,
}

#[derive(Deserialize)]
#[serde(tag = "reason", rename_all = "kebab-case")]
#[expect(
    clippy::enum_variant_names,
    reason = "the names are cargo's `reason` values"
)]
enum Message {
    CompilerMessage {
        message: Diagnostic,
        target: Option<ArtifactTarget>,
    },
    CompilerArtifact {
        package_id: String,
        target: ArtifactTarget,
        executable: Option<PathBuf>,
        fresh: bool,
    },
    BuildScriptExecuted {},
    #[serde(other)]
    Other,
}

#[derive(Deserialize)]
struct ArtifactTarget {
    name: String,
    #[serde(default)]
    kind: Vec<String>,
}

/// Builds harness `bin` of the checks package, and nothing else.
pub async fn build(wb: &Workbook, bin: &str) -> Result<Build> {
    let mut builds = build_many(wb, &[bin.to_owned()]).await?;
    Ok(builds
        .remove(bin)
        .expect("build_many reports every binary it was given"))
}

/// Builds many harnesses of the checks package in one cargo run, which compiles them in
/// parallel (up to the core count) and, with `--keep-going`, does not let one exercise's
/// compile error stop the others. Each gets its own [`Build`], with the diagnostics of its own
/// target. Every harness is a test target (see `sync::harness_entry`): `--test NAME` selects
/// exactly the ones asked for.
pub async fn build_many(wb: &Workbook, bins: &[String]) -> Result<HashMap<String, Build>> {
    build_many_reporting(wb, bins, |_| {}).await
}

/// [`build_many`], calling `on_built` with how many of `bins` are built (or failed) so far.
pub async fn build_many_reporting(
    wb: &Workbook,
    bins: &[String],
    on_built: impl FnMut(usize),
) -> Result<HashMap<String, Build>> {
    let mut cmd = cargo(wb, "build");
    cmd.args(["--package", &wb.checks_package, "--keep-going"])
        .arg("--message-format=json-diagnostic-rendered-ansi");
    for bin in bins {
        cmd.args(["--test", bin]);
    }
    collect_builds(wb, cmd, bins, on_built).await
}

/// Builds the learner's file of exercise `name` as the program it also is (its `main`): the
/// binary of the package that lists the learner's files for rust-analyzer. In a clone that is
/// the `exercises` member; in a learner workspace, the workspace's own package, built into the
/// exercises' target directory with their profile so that their dependency build serves it.
pub async fn build_program(wb: &Workbook, name: &str) -> Result<Build> {
    let mut cmd = cargo(wb, "build");
    if wb.embedded {
        cmd.arg("--manifest-path")
            .arg(wb.learner_root.join("Cargo.toml"))
            .args(["--config", "profile.dev.debug=false"]);
    } else {
        cmd.args(["--package", EXERCISES_PACKAGE]);
    }
    cmd.arg("--message-format=json-diagnostic-rendered-ansi")
        .args(["--bin", name]);
    let names = [name.to_owned()];
    let mut builds = collect_builds(wb, cmd, &names, |_| {}).await?;
    Ok(builds
        .remove(name)
        .expect("collect_builds reports every target it was given"))
}

/// The package of a clone whose binaries are the learner's files.
const EXERCISES_PACKAGE: &str = "exercises";

/// Runs the cargo build `cmd` of targets `bins`, and sorts its messages into one [`Build`] each.
async fn collect_builds(
    wb: &Workbook,
    cmd: Command,
    bins: &[String],
    mut on_built: impl FnMut(usize),
) -> Result<HashMap<String, Build>> {
    let wanted: Vec<&str> = bins.iter().map(String::as_str).collect();
    let mut diagnostics: HashMap<String, Vec<Diagnostic>> = HashMap::new();
    let mut shared = Vec::new();
    let mut executables: HashMap<String, PathBuf> = HashMap::new();
    let mut finished: HashSet<String> = HashSet::new();
    let limits = Limits {
        time: COMPILE_TIME_LIMIT + Duration::from_secs(2) * wanted.len() as u32,
        output_bytes: OUTPUT_CAP,
    };
    let finished = process::run(cmd, limits, |line| {
        match serde_json::from_str::<Message>(line) {
            Ok(Message::CompilerMessage { message, target }) => {
                let message = tidy_diagnostic(message, &wb.root);
                match target {
                    Some(target) if wanted.contains(&target.name.as_str()) => {
                        // A target with an error is as far as it will get.
                        if message.is_error() && finished.insert(target.name.clone()) {
                            on_built(finished.len());
                        }
                        diagnostics.entry(target.name).or_default().push(message)
                    }
                    // A dependency of every binary (the support library) failed.
                    Some(target) if target.kind.iter().any(|k| k.contains("lib")) => {
                        shared.push(message)
                    }
                    // Another target (none is selected, but cargo may add one): its errors are
                    // its own.
                    Some(_) => {}
                    None => shared.push(message),
                }
            }
            Ok(Message::CompilerArtifact {
                target,
                executable: Some(exe),
                ..
            }) if wanted.contains(&target.name.as_str()) => {
                if finished.insert(target.name.clone()) {
                    on_built(finished.len());
                }
                executables.insert(target.name, exe);
            }
            _ => {}
        }
    })
    .await
    .map_err(cargo_start_error)?;
    let mut builds = HashMap::new();
    for bin in wanted {
        let executable = executables.remove(bin);
        let mut own = diagnostics.remove(bin).unwrap_or_default();
        if executable.is_none() {
            own.extend(shared.iter().filter(|d| d.is_error()).cloned());
        }
        builds.insert(
            bin.to_owned(),
            Build {
                diagnostics: own,
                ended: match executable {
                    Some(exe) => BuildEnd::Built(exe),
                    None if finished.timed_out() => BuildEnd::TimedOut,
                    None => BuildEnd::Failed {
                        stderr: if finished.success() {
                            String::new()
                        } else {
                            finished.stderr_text()
                        },
                    },
                },
            },
        );
    }
    Ok(builds)
}

fn cargo_start_error(err: anyhow::Error) -> anyhow::Error {
    let missing = err
        .chain()
        .filter_map(|cause| cause.downcast_ref::<std::io::Error>())
        .any(|io| io.kind() == std::io::ErrorKind::NotFound);
    if missing { err.context(NO_CARGO) } else { err }
}

/// Rewrites the harness's view of a path (`checks/harness/../../exercises/x.rs`) into the
/// learner's (`exercises/x.rs`).
fn tidy_diagnostic(mut diagnostic: Diagnostic, root: &Path) -> Diagnostic {
    if let Some(rendered) = &mut diagnostic.rendered {
        *rendered = tidy_paths(rendered, root);
    }
    diagnostic
}

/// Shortens harness-relative and absolute paths in compiler or test output.
pub fn tidy_paths(text: &str, root: &Path) -> String {
    let mut text = text
        .replace("checks/harness/wrong/../../../", "")
        .replace("checks/harness/wrong/../../", "checks/")
        .replace("checks/harness/valid/../../../", "")
        .replace("checks/harness/valid/../../", "checks/")
        .replace("checks/harness/../../", "")
        .replace("checks/harness/../", "checks/");
    let root = format!("{}/", root.display());
    if root.len() > 1 {
        text = text.replace(&root, "");
    }
    text
}

/// Progress of the first, cold dependency build: `done` of about `total` compile steps.
#[derive(Debug, Clone)]
pub struct WarmUpProgress {
    pub done: usize,
    pub total: usize,
    pub current: String,
}

/// Builds the exercises' dependencies (tokio and friends) once, into the shared target
/// directory, calling `on_progress` as each crate finishes. Returns whether anything was built.
pub async fn warm_up(wb: &Workbook, mut on_progress: impl FnMut(&WarmUpProgress)) -> Result<bool> {
    let total = dependency_steps(wb).await.unwrap_or(100);
    let mut cmd = cargo(wb, "build");
    cmd.args([
        "--package",
        &wb.checks_package,
        "--lib",
        "--message-format=json",
    ]);
    let mut progress = WarmUpProgress {
        done: 0,
        total,
        current: String::new(),
    };
    let mut built_any = false;
    let finished = process::run(
        cmd,
        Limits {
            time: WARM_UP_TIME_LIMIT,
            output_bytes: OUTPUT_CAP,
        },
        |line| match serde_json::from_str::<Message>(line) {
            Ok(Message::CompilerArtifact {
                package_id, fresh, ..
            }) => {
                progress.done += 1;
                progress.current = package_name(&package_id);
                // The workbook's own small packages do not make a first-run wait worth a word.
                if !fresh && !package_id.starts_with("path+") {
                    built_any = true;
                    progress.total = progress.total.max(progress.done + 1);
                    on_progress(&progress);
                }
            }
            Ok(Message::BuildScriptExecuted {}) => progress.done += 1,
            _ => {}
        },
    )
    .await
    .map_err(cargo_start_error)?;
    if finished.timed_out() {
        bail!("building the exercises' dependencies took longer than {WARM_UP_TIME_LIMIT:?}");
    }
    if !finished.success() {
        bail!(
            "failed to build the exercises' dependencies (`cargo build --package {}`):\n{}",
            wb.checks_package,
            finished.stderr_text().trim_end()
        );
    }
    Ok(built_any)
}

fn package_name(package_id: &str) -> String {
    // `registry+...#name@1.2.3` or `path+file:///...#name@0.0.0`
    let (path, tail) = package_id.rsplit_once('#').unwrap_or(("", package_id));
    match tail.split_once('@') {
        Some((name, _version)) => name.to_owned(),
        // `path+file:///w/checks#0.0.0`: the name is the directory's.
        None => path.rsplit('/').next().unwrap_or(tail).to_owned(),
    }
}

#[derive(Deserialize)]
struct Metadata {
    packages: Vec<MetadataPackage>,
    resolve: Resolve,
}

#[derive(Deserialize)]
struct MetadataPackage {
    id: String,
    name: String,
    targets: Vec<MetadataTarget>,
}

#[derive(Deserialize)]
struct MetadataTarget {
    kind: Vec<String>,
}

#[derive(Deserialize)]
struct Resolve {
    nodes: Vec<ResolveNode>,
}

#[derive(Deserialize)]
struct ResolveNode {
    id: String,
    deps: Vec<ResolveDep>,
}

#[derive(Deserialize)]
struct ResolveDep {
    pkg: String,
    dep_kinds: Vec<DepKind>,
}

#[derive(Deserialize)]
struct DepKind {
    kind: Option<String>,
}

/// About how many cargo messages building the checks package's dependencies takes: one per
/// library, two more per build script (compiled, then run).
async fn dependency_steps(wb: &Workbook) -> Result<usize> {
    let host = host_triple().await?;
    let mut cmd = Command::new(cargo_program());
    cmd.current_dir(&wb.root).args([
        "metadata",
        "--format-version",
        "1",
        "--filter-platform",
        &host,
    ]);
    let out = process::run(
        cmd,
        Limits {
            time: Duration::from_secs(60),
            output_bytes: 64 << 20,
        },
        |_| {},
    )
    .await?;
    let metadata: Metadata =
        serde_json::from_slice(&out.stdout).context("failed to read `cargo metadata` output")?;
    let nodes: HashMap<&str, &ResolveNode> = metadata
        .resolve
        .nodes
        .iter()
        .map(|n| (n.id.as_str(), n))
        .collect();
    let start = metadata
        .packages
        .iter()
        .find(|p| p.name == wb.checks_package)
        .context("the workspace has no `checks` package")?;
    let mut seen = HashSet::new();
    let mut stack = vec![start.id.as_str()];
    while let Some(id) = stack.pop() {
        if !seen.insert(id) {
            continue;
        }
        if let Some(node) = nodes.get(id) {
            for dep in &node.deps {
                if dep
                    .dep_kinds
                    .iter()
                    .any(|k| k.kind.as_deref() != Some("dev"))
                {
                    stack.push(&dep.pkg);
                }
            }
        }
    }
    Ok(metadata
        .packages
        .iter()
        .filter(|p| seen.contains(p.id.as_str()))
        .map(|p| {
            let build_script = p
                .targets
                .iter()
                .any(|t| t.kind.iter().any(|k| k == "custom-build"));
            if build_script { 3 } else { 1 }
        })
        .sum())
}

async fn host_triple() -> Result<String> {
    let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let mut cmd = Command::new(rustc);
    cmd.arg("-vV");
    let out = process::run(
        cmd,
        Limits {
            time: Duration::from_secs(30),
            output_bytes: 1 << 16,
        },
        |_| {},
    )
    .await?;
    out.stdout_text()
        .lines()
        .find_map(|line| line.strip_prefix("host: "))
        .map(str::to_owned)
        .context("`rustc -vV` did not say the host")
}

/// Runs rustfmt in check mode on `file`; returns the diff when it is not formatted.
pub async fn rustfmt_check(file: &Path) -> Result<Option<String>> {
    let mut cmd = Command::new("rustfmt");
    cmd.args(["--check", "--edition", "2024"]).arg(file);
    let out = process::run(
        cmd,
        Limits {
            time: Duration::from_secs(60),
            output_bytes: 1 << 20,
        },
        |_| {},
    )
    .await?;
    Ok((!out.success()).then(|| out.stdout_text() + &out.stderr_text()))
}

/// Runs clippy with `-D warnings` on harness `bin` of the checks package (with its tests);
/// returns its messages about the exercise's own file (the check files are the author's
/// business), empty when it is clean. clippy checks without building, into artifacts of its
/// own, so the harness's build stays fresh.
pub async fn clippy(wb: &Workbook, bin: &str) -> Result<Vec<Diagnostic>> {
    let mut cmd = cargo(wb, "clippy");
    cmd.args(["--package", &wb.checks_package, "--test", bin])
        .args([
            "--message-format=json-diagnostic-rendered-ansi",
            "--",
            "-D",
            "warnings",
        ]);
    let mut lints = Vec::new();
    let out = process::run(
        cmd,
        Limits {
            time: COMPILE_TIME_LIMIT,
            output_bytes: OUTPUT_CAP,
        },
        |line| {
            if let Ok(Message::CompilerMessage {
                message,
                target: Some(target),
            }) = serde_json::from_str::<Message>(line)
                && target.name == bin
                && !message.spans.is_empty()
                && !message.primary_in_checks()
            {
                lints.push(tidy_diagnostic(message, &wb.root));
            }
        },
    )
    .await
    .map_err(cargo_start_error)?;
    if !out.success() && lints.is_empty() && !out.stderr_text().contains("error: could not compile")
    {
        bail!(
            "clippy did not run on `{bin}` (`cargo clippy`; install it with `rustup component \
             add clippy`):\n{}",
            out.stderr_text().trim_end()
        );
    }
    Ok(lints)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn package_names_come_from_ids() {
        assert_eq!(
            package_name("registry+https://example/index#tokio@1.47.0"),
            "tokio"
        );
        assert_eq!(package_name("path+file:///w/checks#0.0.0"), "checks");
        assert_eq!(package_name("path+file:///w/checks#checks@0.0.0"), "checks");
    }

    #[test]
    fn harness_paths_become_learner_paths() {
        let root = Path::new("/w/book");
        let text = "--> checks/harness/../../exercises/03_join/join1.rs:4:5\n\
                    at checks/harness/../03_join/join1.rs:9:1\n\
                    at /w/book/src/x.rs";
        assert_eq!(
            tidy_paths(text, root),
            "--> exercises/03_join/join1.rs:4:5\nat checks/03_join/join1.rs:9:1\nat src/x.rs"
        );
    }
}
