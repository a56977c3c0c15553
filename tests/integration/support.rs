//! A fixture workbook in a temporary directory and a builder for running asynclings in it.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// No single command in these tests should take this long; a hang fails the test instead.
const COMMAND_TIME_LIMIT: Duration = Duration::from_secs(240);

fn repo_root() -> PathBuf {
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

    pub fn run_with<const N: usize>(
        &self,
        args: [&str; N],
        setup: impl FnOnce(&mut Command),
    ) -> Run {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_asynclings"));
        cmd.args(args)
            .current_dir(self.path())
            // Each copy builds into its own target directory: cargo names a path package's
            // outputs by its path relative to the workspace, so two copies sharing one target
            // directory would take each other's binaries for up to date.
            .env_remove("ASYNCLINGS_TARGET_DIR")
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        setup(&mut cmd);
        let mut child = cmd.spawn().unwrap();
        let started = Instant::now();
        loop {
            if child.try_wait().unwrap().is_some() {
                break;
            }
            if started.elapsed() > COMMAND_TIME_LIMIT {
                child.kill().unwrap();
                panic!("asynclings {args:?} did not finish within {COMMAND_TIME_LIMIT:?}");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let out = child.wait_with_output().unwrap();
        Run {
            args: args.iter().map(|a| a.to_string()).collect(),
            code: out.status.code(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
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
