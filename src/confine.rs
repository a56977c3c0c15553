//! The operating system's limits on code that runs a learner's file: a child process started
//! through `asynclings __confine` first lowers its own resource limits (memory, file size, core
//! dumps), moves into a new PID namespace where the kernel allows it, and only then runs the
//! program. The runner itself holds no `unsafe` code, so it cannot set limits between `fork`
//! and `exec`; re-executing itself costs one process start (about a millisecond).
//!
//! In a PID namespace the program is process 1: when it ends, the kernel kills everything it
//! started, whatever process group or session that moved to. Without one (a kernel or
//! container that forbids it) the runner's process-group kill is the last line.

use std::ffi::OsString;
use std::path::Path;
use std::process::ExitCode;

use tokio::process::Command;

/// The first argument that turns the runner into the trampoline.
pub const SUBCOMMAND: &str = "__confine";

/// What a confined process may use.
#[derive(Debug, Clone, Copy)]
pub struct Confinement {
    /// Bytes of data segment and anonymous memory (`RLIMIT_DATA`).
    pub memory: u64,
    /// The largest file it may write (`RLIMIT_FSIZE`).
    pub file_size: u64,
    /// Run in a PID namespace of its own, where the kernel allows it.
    pub own_pids: bool,
}

/// Running a learner's checks: a test binary needs tens of MiB; a log file a few KiB.
pub const CHECK_RUN: Confinement = Confinement {
    memory: 2 << 30,
    file_size: 16 << 20,
    own_pids: true,
};

/// Compiling a learner's file: rustc needs a few hundred MiB and writes large debug binaries;
/// a macro that expands without end, or `include_bytes!` of an endless file, hits the limit.
pub const BUILD: Confinement = Confinement {
    memory: 8 << 30,
    file_size: 2 << 30,
    own_pids: false,
};

/// `program args..` to be run under `limits`, through the runner's own executable. Falls back
/// to running the program directly when the runner cannot find itself.
pub fn command(program: &Path, limits: Confinement) -> Command {
    match std::env::current_exe() {
        Ok(runner) if cfg!(unix) => {
            let mut cmd = Command::new(runner);
            cmd.arg(SUBCOMMAND)
                .arg(limits.memory.to_string())
                .arg(limits.file_size.to_string())
                .arg(if limits.own_pids { "pids" } else { "-" })
                .arg(program);
            cmd
        }
        _ => Command::new(program),
    }
}

/// The trampoline's `main`: `__confine MEMORY FILE_SIZE pids|- PROGRAM ARGS..`.
pub fn main(args: Vec<OsString>) -> ExitCode {
    let usage = || {
        eprintln!("asynclings {SUBCOMMAND}: expected MEMORY FILE_SIZE pids|- PROGRAM [ARGS..]");
        ExitCode::from(125)
    };
    let [memory, file_size, pids, program, rest @ ..] = args.as_slice() else {
        return usage();
    };
    let (Some(memory), Some(file_size)) = (
        memory.to_str().and_then(|s| s.parse::<u64>().ok()),
        file_size.to_str().and_then(|s| s.parse::<u64>().ok()),
    ) else {
        return usage();
    };
    if let Err(err) = imp::limit(memory, file_size) {
        eprintln!("asynclings {SUBCOMMAND}: failed to set resource limits: {err}");
        return ExitCode::from(125);
    }
    let own_pids = pids == "pids" && imp::enter_pid_namespace();
    imp::run(program, rest, own_pids)
}

#[cfg(unix)]
mod imp {
    use std::ffi::OsString;
    use std::os::unix::process::{CommandExt, ExitStatusExt};
    use std::process::ExitCode;

    use nix::sched::{CloneFlags, unshare};
    use nix::sys::resource::{Resource, setrlimit};

    pub fn limit(memory: u64, file_size: u64) -> nix::Result<()> {
        setrlimit(Resource::RLIMIT_DATA, memory, memory)?;
        setrlimit(Resource::RLIMIT_FSIZE, file_size, file_size)?;
        setrlimit(Resource::RLIMIT_CORE, 0, 0)?;
        Ok(())
    }

    /// Makes the next child the first process of a new PID namespace: directly where the
    /// process may (root), else inside a user namespace that maps only our own ids.
    pub fn enter_pid_namespace() -> bool {
        if unshare(CloneFlags::CLONE_NEWPID).is_ok() {
            return true;
        }
        let uid = nix::unistd::getuid();
        let gid = nix::unistd::getgid();
        if unshare(CloneFlags::CLONE_NEWUSER | CloneFlags::CLONE_NEWPID).is_err() {
            return false;
        }
        // Without these maps the child would run as `nobody` and could not write its log.
        std::fs::write("/proc/self/setgroups", "deny").is_ok()
            && std::fs::write("/proc/self/uid_map", format!("{uid} {uid} 1")).is_ok()
            && std::fs::write("/proc/self/gid_map", format!("{gid} {gid} 1")).is_ok()
    }

    pub fn run(program: &OsString, args: &[OsString], own_pids: bool) -> ExitCode {
        let mut cmd = std::process::Command::new(program);
        cmd.args(args);
        if !own_pids {
            let err = cmd.exec();
            eprintln!(
                "asynclings: failed to start `{}`: {err}",
                program.to_string_lossy()
            );
            return ExitCode::from(127);
        }
        // The program is process 1 of the new namespace; we wait for it and pass on how it
        // ended. Everything it left behind dies with it.
        let status = match cmd.status() {
            Ok(status) => status,
            Err(err) => {
                eprintln!(
                    "asynclings: failed to start `{}`: {err}",
                    program.to_string_lossy()
                );
                return ExitCode::from(127);
            }
        };
        if let Some(signal) = status.signal()
            && let Ok(signal) = nix::sys::signal::Signal::try_from(signal)
        {
            // End the same way, so the runner sees the signal and not an exit code.
            let _ = nix::sys::signal::raise(signal);
        }
        ExitCode::from(status.code().unwrap_or(128) as u8)
    }
}

#[cfg(not(unix))]
mod imp {
    use std::ffi::OsString;
    use std::process::ExitCode;

    pub fn limit(_memory: u64, _file_size: u64) -> std::io::Result<()> {
        Ok(())
    }

    pub fn enter_pid_namespace() -> bool {
        false
    }

    pub fn run(program: &OsString, args: &[OsString], _own_pids: bool) -> ExitCode {
        match std::process::Command::new(program).args(args).status() {
            Ok(status) => ExitCode::from(status.code().unwrap_or(1) as u8),
            Err(err) => {
                eprintln!(
                    "asynclings: failed to start `{}`: {err}",
                    program.to_string_lossy()
                );
                ExitCode::from(127)
            }
        }
    }
}
