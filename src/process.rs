//! Running a child process with a time limit and an output cap, in its own process group so
//! that everything it started dies with it.

use std::ffi::OsStr;
use std::process::{ExitStatus, Stdio};
use std::time::Duration;

use anyhow::{Context, Result};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, BufReader};
use tokio::process::Command;

/// How long a process may run and how much of its output is kept.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub time: Duration,
    /// Bytes kept of stdout and of stderr each; the rest is read and thrown away.
    pub output_bytes: usize,
}

/// How a process ended.
#[derive(Debug)]
pub struct Finished {
    /// The exit status, or `None` when the process was killed at the time limit.
    pub status: Option<ExitStatus>,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
    /// Output beyond `Limits::output_bytes` was dropped.
    pub truncated: bool,
}

impl Finished {
    pub fn timed_out(&self) -> bool {
        self.status.is_none()
    }

    pub fn success(&self) -> bool {
        self.status.is_some_and(|s| s.success())
    }

    pub fn stdout_text(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }

    pub fn stderr_text(&self) -> String {
        String::from_utf8_lossy(&self.stderr).into_owned()
    }
}

/// Kills a whole process group when dropped: at the time limit, when the caller is cancelled
/// (a newer save in watch mode), and after a normal exit, for anything left behind.
struct GroupKill(Option<u32>);

impl Drop for GroupKill {
    fn drop(&mut self) {
        if let Some(pid) = self.0 {
            kill_group(pid);
        }
    }
}

#[cfg(unix)]
fn kill_group(pid: u32) {
    use nix::sys::signal::{Signal, killpg};
    use nix::unistd::Pid;
    // The group may already be gone; there is nothing to do then.
    let _ = killpg(Pid::from_raw(pid as i32), Signal::SIGKILL);
}

#[cfg(not(unix))]
fn kill_group(_pid: u32) {}

/// Runs `cmd` to its end or to the time limit, calling `on_line` with each line of stdout as
/// it arrives (all of them, even beyond the cap).
pub async fn run(
    mut cmd: Command,
    limits: Limits,
    mut on_line: impl FnMut(&str),
) -> Result<Finished> {
    let program = display_command(cmd.as_std().get_program(), cmd.as_std().get_args());
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    #[cfg(unix)]
    cmd.process_group(0);
    let mut child = cmd
        .spawn()
        .with_context(|| format!("failed to start `{program}`"))?;
    let _group = GroupKill(child.id());
    let stdout = child.stdout.take().expect("stdout is piped");
    let stderr = child.stderr.take().expect("stderr is piped");

    let mut out = Capped::new(limits.output_bytes);
    let mut err = Capped::new(limits.output_bytes);
    let mut status = None;
    let work = async {
        let reading = async {
            tokio::join!(
                read_lines(stdout, &mut out, &mut on_line),
                read_all(stderr, &mut err)
            )
        };
        tokio::pin!(reading);
        tokio::select! {
            _ = &mut reading => {
                status = Some(child.wait().await);
            }
            exit = child.wait() => {
                status = Some(exit);
                // Something the child started may still hold the pipes open; give the readers
                // a moment to collect what is buffered, then stop.
                let _ = tokio::time::timeout(Duration::from_millis(300), reading).await;
            }
        }
    };
    let in_time = tokio::time::timeout(limits.time, work).await.is_ok();
    let status = match status {
        Some(exit) if in_time => {
            Some(exit.with_context(|| format!("failed to wait for `{program}`"))?)
        }
        _ => None,
    };
    Ok(Finished {
        status,
        truncated: out.truncated || err.truncated,
        stdout: out.bytes,
        stderr: err.bytes,
    })
}

fn display_command<'a>(program: &OsStr, args: impl Iterator<Item = &'a OsStr>) -> String {
    let mut text = program.to_string_lossy().into_owned();
    for arg in args {
        text.push(' ');
        text.push_str(&arg.to_string_lossy());
    }
    text
}

struct Capped {
    bytes: Vec<u8>,
    cap: usize,
    truncated: bool,
}

impl Capped {
    fn new(cap: usize) -> Self {
        Self {
            bytes: Vec::new(),
            cap,
            truncated: false,
        }
    }

    fn push(&mut self, data: &[u8]) {
        let room = self.cap.saturating_sub(self.bytes.len());
        if data.len() > room {
            self.truncated = true;
        }
        self.bytes.extend_from_slice(&data[..data.len().min(room)]);
    }
}

async fn read_lines(
    pipe: impl AsyncRead + Unpin,
    out: &mut Capped,
    on_line: &mut impl FnMut(&str),
) {
    let mut reader = BufReader::new(pipe);
    let mut line = Vec::new();
    loop {
        line.clear();
        match reader.read_until(b'\n', &mut line).await {
            Ok(0) | Err(_) => break,
            Ok(_) => {
                out.push(&line);
                on_line(String::from_utf8_lossy(&line).trim_end_matches(['\n', '\r']));
            }
        }
    }
}

async fn read_all(mut pipe: impl AsyncRead + Unpin, out: &mut Capped) {
    let mut chunk = vec![0; 16 * 1024];
    while let Ok(n @ 1..) = pipe.read(&mut chunk).await {
        out.push(&chunk[..n]);
    }
}

/// Runs `command` (a program and its arguments, split at spaces) on `file` in the terminal, and
/// waits for it: the learner's editor. It is the one program started without a time limit,
/// since a person is using it, and it is never the learner's code.
pub async fn run_in_terminal(command: &str, file: &std::path::Path) -> Result<ExitStatus> {
    let mut words = command.split_whitespace();
    let program = words.next().context("the editor command is empty")?;
    Command::new(program)
        .args(words)
        .arg(file)
        .stdin(Stdio::inherit())
        .stdout(Stdio::inherit())
        .stderr(Stdio::inherit())
        .status()
        .await
        .with_context(|| format!("failed to start the editor `{program}`"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(secs: u64) -> Limits {
        Limits {
            time: Duration::from_secs(secs),
            output_bytes: 1000,
        }
    }

    fn sh(script: &str) -> Command {
        let mut cmd = Command::new("sh");
        cmd.arg("-c").arg(script);
        cmd
    }

    #[tokio::test]
    async fn collects_output_and_status() {
        let mut lines = Vec::new();
        let done = run(
            sh("echo one; echo two; echo err >&2; exit 3"),
            limits(10),
            |l| lines.push(l.to_owned()),
        )
        .await
        .unwrap();
        assert_eq!(lines, ["one", "two"]);
        assert_eq!(done.stderr_text(), "err\n");
        assert_eq!(done.status.unwrap().code(), Some(3));
        assert!(!done.timed_out());
    }

    #[tokio::test]
    async fn kills_the_whole_group_at_the_time_limit() {
        let dir = tempfile::tempdir().unwrap();
        let pid_file = dir.path().join("grandchild");
        // A grandchild that says who it is, then would outlive its parent by far.
        let script = format!(
            "sh -c 'echo $$ > {}; exec sleep 30' & sleep 30",
            pid_file.display()
        );
        let limits = Limits {
            time: Duration::from_millis(1000),
            output_bytes: 1000,
        };
        let done = run(sh(&script), limits, |_| {}).await.unwrap();
        assert!(done.timed_out());
        let pid = std::fs::read_to_string(&pid_file).unwrap();
        let proc_dir = std::path::Path::new("/proc").join(pid.trim());
        // Killed with its group; gone once the system has reaped it.
        for _ in 0..500 {
            let state = std::fs::read_to_string(proc_dir.join("stat")).unwrap_or_default();
            if state.is_empty() || state.contains(") Z ") {
                return;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        panic!("grandchild {} outlived the time limit", pid.trim());
    }

    #[tokio::test]
    async fn caps_output_but_reads_it_all() {
        let done = run(sh("yes | head -c 100000; echo end >&2"), limits(10), |_| {})
            .await
            .unwrap();
        assert_eq!(done.stdout.len(), 1000);
        assert!(done.truncated);
        assert!(done.success());
    }

    #[tokio::test]
    async fn a_missing_program_is_an_error_naming_it() {
        let cmd = Command::new("asynclings-no-such-program");
        let err = run(cmd, limits(1), |_| {}).await.unwrap_err();
        assert!(format!("{err:#}").contains("failed to start `asynclings-no-such-program`"));
    }
}
