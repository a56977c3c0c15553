//! A fixture workbook in a temporary directory and a builder for running asynclings in it.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// No single command in these tests should take this long; a hang fails the test instead.
/// A backstop against a hang of the runner itself, not a bound on how fast it is: the runner
/// limits every process it starts, and a cold dependency build (the first `grade` in a fresh
/// clone builds tokio for its grading workspace) takes minutes on a busy 2-core machine.
const COMMAND_TIME_LIMIT: Duration = Duration::from_secs(20 * 60);

pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub struct Workbook {
    dir: tempfile::TempDir,
}

impl Workbook {
    /// A copy of `tests/fixtures/<name>`, committed to a fresh git repository (as a clone
    /// would be), so that `reset` finds the shipped versions.
    pub fn fixture(name: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        copy_dir(&repo_root().join("tests/fixtures").join(name), dir.path());
        let wb = Self { dir };
        for args in [
            &["init", "-q"][..],
            &[
                "-c",
                "user.email=teacher@example.com",
                "-c",
                "user.name=Teacher",
                "add",
                "-A",
            ],
            &[
                "-c",
                "user.email=teacher@example.com",
                "-c",
                "user.name=Teacher",
                "commit",
                "-qm",
                "shipped",
            ],
            &["config", "user.email", "learner@example.com"],
            &["config", "user.name", "Learner"],
        ] {
            let status = Command::new("git")
                .args(args)
                .current_dir(wb.path())
                .status()
                .unwrap();
            assert!(status.success(), "git {args:?} failed");
        }
        wb
    }

    /// An empty directory (for `asynclings init`).
    pub fn empty() -> Self {
        Self {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    /// A copy of the listed files and directories of `from` (no git history).
    pub fn copy_of(from: &Path, entries: &[&str]) -> Self {
        let dir = tempfile::tempdir().unwrap();
        for entry in entries {
            let source = from.join(entry);
            if source.is_dir() {
                copy_dir(&source, &dir.path().join(entry));
            } else {
                std::fs::copy(&source, dir.path().join(entry)).unwrap();
            }
        }
        Self { dir }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn write(&self, path: &str, content: &str) -> &Self {
        let full = self.path().join(path);
        std::fs::create_dir_all(full.parent().unwrap()).unwrap();
        std::fs::write(full, content).unwrap();
        self
    }

    pub fn read(&self, path: &str) -> String {
        std::fs::read_to_string(self.path().join(path))
            .unwrap_or_else(|err| panic!("failed to read {path}: {err}"))
    }

    pub fn remove(&self, path: &str) -> &Self {
        std::fs::remove_file(self.path().join(path)).unwrap();
        self
    }

    pub fn solve_text(&self, dir: &str, name: &str) -> String {
        self.read(&format!("solutions/{dir}/{name}.rs"))
    }

    /// Copies the solution of `name` (in `dir`) over the exercise.
    pub fn solve(&self, dir: &str, name: &str) -> &Self {
        let solution = self.read(&format!("solutions/{dir}/{name}.rs"));
        self.write(&format!("exercises/{dir}/{name}.rs"), &solution)
    }

    pub fn git(&self, args: &[&str]) -> String {
        let out = Command::new("git")
            .args(args)
            .current_dir(self.path())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    pub fn run<const N: usize>(&self, args: [&str; N]) -> Run {
        self.run_with(args, |_| {})
    }

    pub fn run_vec(&self, args: &[&str]) -> Run {
        self.run_slice(args, |_| {})
    }

    pub fn run_with<const N: usize>(
        &self,
        args: [&str; N],
        setup: impl FnOnce(&mut Command),
    ) -> Run {
        self.run_slice(&args, setup)
    }

    pub fn run_slice(&self, args: &[&str], setup: impl FnOnce(&mut Command)) -> Run {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_asynclings"));
        cmd.args(args)
            .current_dir(self.path())
            // Each copy builds into its own target directory: cargo names a path package's
            // outputs by its path relative to the workspace, so two copies sharing one target
            // directory would take each other's binaries for up to date.
            .env_remove("ASYNCLINGS_TARGET_DIR")
            // Grading workspaces are shared by every test (one per set of checks, locked while
            // in use), inside this repository's target directory rather than the user's cache.
            .env(
                "ASYNCLINGS_GRADE_DIR",
                repo_root().join("target/asynclings-test-grade"),
            )
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        setup(&mut cmd);
        let mut child = cmd.spawn().unwrap();
        // Read both pipes while waiting: a child that fills a pipe buffer would otherwise wait
        // for the test forever.
        let read = |pipe: Option<Box<dyn std::io::Read + Send>>| {
            std::thread::spawn(move || {
                let mut text = Vec::new();
                if let Some(mut pipe) = pipe {
                    let _ = pipe.read_to_end(&mut text);
                }
                String::from_utf8_lossy(&text).into_owned()
            })
        };
        let stdout = read(child.stdout.take().map(|p| Box::new(p) as _));
        let stderr = read(child.stderr.take().map(|p| Box::new(p) as _));
        let started = Instant::now();
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break status;
            }
            if started.elapsed() > COMMAND_TIME_LIMIT {
                child.kill().unwrap();
                panic!("asynclings {args:?} did not finish within {COMMAND_TIME_LIMIT:?}");
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        let out = (status, stdout.join().unwrap(), stderr.join().unwrap());
        Run {
            args: args.iter().map(|a| a.to_string()).collect(),
            code: out.0.code(),
            stdout: out.1,
            stderr: out.2,
        }
    }
}

pub struct Run {
    args: Vec<String>,
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    fn describe(&self) -> String {
        format!(
            "asynclings {:?} exited with {:?}\n--- stdout\n{}\n--- stderr\n{}",
            self.args, self.code, self.stdout, self.stderr
        )
    }

    pub fn succeeds(&self) -> &Self {
        assert_eq!(self.code, Some(0), "{}", self.describe());
        self
    }

    pub fn fails(&self) -> &Self {
        assert_eq!(self.code, Some(1), "{}", self.describe());
        self
    }

    pub fn stdout_has(&self, text: &str) -> &Self {
        assert!(
            self.stdout.contains(text),
            "expected stdout to contain {text:?}\n{}",
            self.describe()
        );
        self
    }

    pub fn stdout_lacks(&self, text: &str) -> &Self {
        assert!(
            !self.stdout.contains(text),
            "expected stdout not to contain {text:?}\n{}",
            self.describe()
        );
        self
    }

    pub fn stderr_has(&self, text: &str) -> &Self {
        assert!(
            self.stderr.contains(text),
            "expected stderr to contain {text:?}\n{}",
            self.describe()
        );
        self
    }

    /// An error is one clear line of our own, never a panic or a backtrace.
    pub fn clean_error(&self) -> &Self {
        assert!(self.stderr.starts_with("error: "), "{}", self.describe());
        assert!(!self.stderr.contains("panicked"), "{}", self.describe());
        assert!(
            !self.stderr.contains("RUST_BACKTRACE"),
            "{}",
            self.describe()
        );
        self
    }

    pub fn passes(&self) -> &Self {
        self.succeeds().stdout_has("✓ Done:")
    }

    pub fn compile_error(&self) -> &Self {
        self.fails().stdout_has("✗ Compile error:")
    }

    pub fn clippy_fails(&self) -> &Self {
        self.fails().stdout_has("✗ Clippy:")
    }

    pub fn checks_fail(&self) -> &Self {
        self.fails().stdout_has("✗ Checks failed:")
    }

    pub fn times_out(&self) -> &Self {
        self.fails().stdout_has("⧗ Timed out:")
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// A terminal session in tmux running a command in the workbook: a person's view of it.
pub struct Tmux {
    name: String,
}

/// How long to wait for something to appear on screen before failing the test.
pub const SCREEN_TIME_LIMIT: Duration = Duration::from_secs(120);

impl Tmux {
    /// Starts `asynclings <args>` in a detached 100x30 tmux session; the shell stays open
    /// after it exits, and records the terminal settings then, to prove they were restored.
    /// `None` (and a note) when tmux is not installed, so that `cargo test` passes on a
    /// machine without it; in CI (`CI` set) a missing tmux fails the test instead.
    pub fn start(wb: &Workbook, args: &str, log: &Path) -> Option<Self> {
        Self::start_sized(wb, args, log, 100, 30)
    }

    pub fn start_sized(
        wb: &Workbook,
        args: &str,
        log: &Path,
        width: u16,
        height: u16,
    ) -> Option<Self> {
        Self::start_with(wb, args, log, (width, height), &[])
    }

    /// [`Tmux::start`] with the variables `unset` removed from the program's environment.
    pub fn start_env(wb: &Workbook, args: &str, log: &Path, unset: &[&str]) -> Option<Self> {
        Self::start_with(wb, args, log, (100, 30), unset)
    }

    fn start_with(
        wb: &Workbook,
        args: &str,
        log: &Path,
        (width, height): (u16, u16),
        unset: &[&str],
    ) -> Option<Self> {
        let installed = Command::new("tmux")
            .arg("-V")
            .output()
            .is_ok_and(|o| o.status.success());
        if !installed {
            assert!(
                std::env::var_os("CI").is_none(),
                "tmux is not installed: `.ci/run` installs it"
            );
            skipped("tmux is not installed, so this watch-mode test");
            return None;
        }
        static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let name = format!(
            "asynclings-test-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, std::sync::atomic::Ordering::SeqCst)
        );
        let unset: String = unset.iter().map(|var| format!("unset {var}; ")).collect();
        let script = format!(
            "{unset}cd '{}' && ASYNCLINGS_WATCH_LOG='{}' '{}' {args}; stty -a > stty.txt; sleep 600",
            wb.path().display(),
            log.display(),
            env!("CARGO_BIN_EXE_asynclings"),
        );
        let status = Command::new("tmux")
            .args(["new-session", "-d", "-s", &name])
            .args(["-x", &width.to_string(), "-y", &height.to_string()])
            .args(["bash", "-c", &script])
            .env_remove("NO_COLOR")
            .status()
            .expect("tmux starts");
        assert!(status.success(), "tmux failed to start");
        Some(Self { name })
    }

    pub fn screen(&self) -> String {
        let out = Command::new("tmux")
            .args(["capture-pane", "-p", "-t", &self.name])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Changes the terminal's size, as a learner resizing the window does.
    pub fn resize(&self, width: u16, height: u16) {
        let status = Command::new("tmux")
            .args(["resize-window", "-t", &self.name])
            .args(["-x", &width.to_string(), "-y", &height.to_string()])
            .status()
            .unwrap();
        assert!(status.success());
    }

    pub fn keys(&self, keys: &str) {
        let status = Command::new("tmux")
            .args(["send-keys", "-t", &self.name, keys])
            .status()
            .unwrap();
        assert!(status.success());
    }

    /// Waits until the screen shows `text`, and returns the screen.
    pub fn wait_for(&self, text: &str) -> String {
        self.wait_until(text, |screen| screen.contains(text))
    }

    pub fn wait_until(&self, what: &str, done: impl Fn(&str) -> bool) -> String {
        let started = Instant::now();
        loop {
            let screen = self.screen();
            if done(&screen) {
                return screen;
            }
            if started.elapsed() > SCREEN_TIME_LIMIT {
                panic!("waited {SCREEN_TIME_LIMIT:?} for {what:?}; the screen shows:\n{screen}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["kill-session", "-t", &self.name])
            .status();
    }
}

#[path = "../../src/fnv.rs"]
mod fnv;

/// The content hash watch mode writes in its log.
pub fn fnv1a(bytes: &[u8]) -> String {
    format!("{:016x}", fnv::fnv1a(bytes))
}

/// Waits until `log` has a line containing `text`.
pub fn wait_for_log(log: &Path, text: &str) -> String {
    let started = Instant::now();
    loop {
        let content = std::fs::read_to_string(log).unwrap_or_default();
        if content.contains(text) {
            return content;
        }
        if started.elapsed() > SCREEN_TIME_LIMIT {
            panic!("waited {SCREEN_TIME_LIMIT:?} for {text:?} in the watch log:\n{content}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Says in the test output (which captures `eprintln!`) that a test did not run. In CI, where
/// `.ci/run` installs what the tests need, a test is never skipped: callers assert first.
pub fn skipped(what: &str) {
    use std::io::Write as _;
    let _ = writeln!(std::io::stderr(), "note: {what} is skipped");
}
