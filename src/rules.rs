//! The rules a learner's file is held to when it is graded, and how a breach reads.
//!
//! Enforced by the compiler, never by reading the file's text:
//! - clippy's `disallowed_methods`, `disallowed_types` and `disallowed_macros` lints, which
//!   resolve paths (an alias, a re-export, a macro or a function pointer does not hide a call),
//!   forbidden at the harness's crate root so that no `#[allow]` can lift them;
//! - the dep-info file rustc writes for each binary, which lists every file and environment
//!   variable the compilation read: a file may use only itself and its checks.

use std::collections::BTreeSet;
use std::path::{Component, Path, PathBuf};

use crate::cargo::Diagnostic;

/// The lints the grading harness forbids, after switching clippy's other lints off (they are
/// advice, not rules, and would bury the learner's own errors).
pub const HARNESS_ATTRIBUTES: &str = "#![allow(clippy::all)]\n\
     #![forbid(clippy::disallowed_methods, clippy::disallowed_types, clippy::disallowed_macros)]\n";

const FILES: &str = "reads or writes files, which no exercise needs: a graded file works only \
     on what the checks hand it";
const PROCESSES: &str = "starts or ends processes, which no exercise needs: only the checks \
     decide when the test process ends";
const ENVIRONMENT: &str = "reads the environment or the command line, which no exercise needs: \
     a graded file must behave the same wherever it runs";
const NETWORK: &str = "uses the network, which no exercise needs: the exercises simulate it";
const INCLUDES: &str = "reads another file or an environment variable while it is compiled, \
     which no exercise needs: a graded file may only use what it holds";

const METHODS: &[(&str, &str)] = &[
    ("std::fs::canonicalize", FILES),
    ("std::fs::copy", FILES),
    ("std::fs::create_dir", FILES),
    ("std::fs::create_dir_all", FILES),
    ("std::fs::exists", FILES),
    ("std::fs::hard_link", FILES),
    ("std::fs::metadata", FILES),
    ("std::fs::read", FILES),
    ("std::fs::read_dir", FILES),
    ("std::fs::read_link", FILES),
    ("std::fs::read_to_string", FILES),
    ("std::fs::remove_dir", FILES),
    ("std::fs::remove_dir_all", FILES),
    ("std::fs::remove_file", FILES),
    ("std::fs::rename", FILES),
    ("std::fs::set_permissions", FILES),
    ("std::fs::soft_link", FILES),
    ("std::fs::symlink_metadata", FILES),
    ("std::fs::write", FILES),
    ("std::os::unix::fs::symlink", FILES),
    ("std::os::unix::fs::chown", FILES),
    ("std::os::unix::fs::fchown", FILES),
    ("std::os::unix::fs::lchown", FILES),
    ("std::os::unix::fs::chroot", FILES),
    ("std::process::exit", PROCESSES),
    ("std::process::abort", PROCESSES),
    ("std::env::args", ENVIRONMENT),
    ("std::env::args_os", ENVIRONMENT),
    ("std::env::var", ENVIRONMENT),
    ("std::env::var_os", ENVIRONMENT),
    ("std::env::vars", ENVIRONMENT),
    ("std::env::vars_os", ENVIRONMENT),
    ("std::env::current_dir", ENVIRONMENT),
    ("std::env::set_current_dir", ENVIRONMENT),
    ("std::env::current_exe", ENVIRONMENT),
    ("std::env::home_dir", ENVIRONMENT),
    ("std::env::temp_dir", ENVIRONMENT),
    ("std::env::set_var", ENVIRONMENT),
    ("std::env::remove_var", ENVIRONMENT),
    // A name lookup reaches the network too (DNS).
    ("std::net::ToSocketAddrs::to_socket_addrs", NETWORK),
];

const TYPES: &[(&str, &str)] = &[
    ("std::fs::File", FILES),
    ("std::fs::OpenOptions", FILES),
    ("std::fs::DirBuilder", FILES),
    ("std::fs::DirEntry", FILES),
    ("std::fs::ReadDir", FILES),
    ("std::fs::Metadata", FILES),
    ("std::fs::Permissions", FILES),
    ("std::fs::FileTimes", FILES),
    ("std::os::fd::OwnedFd", FILES),
    ("std::process::Command", PROCESSES),
    ("std::process::Child", PROCESSES),
    ("std::process::Stdio", PROCESSES),
    ("std::process::ChildStdin", PROCESSES),
    ("std::process::ChildStdout", PROCESSES),
    ("std::process::ChildStderr", PROCESSES),
    ("std::env::Args", ENVIRONMENT),
    ("std::env::ArgsOs", ENVIRONMENT),
    ("std::env::Vars", ENVIRONMENT),
    ("std::env::VarsOs", ENVIRONMENT),
    ("std::net::TcpStream", NETWORK),
    ("std::net::TcpListener", NETWORK),
    ("std::net::UdpSocket", NETWORK),
    ("std::os::unix::net::UnixStream", NETWORK),
    ("std::os::unix::net::UnixListener", NETWORK),
    ("std::os::unix::net::UnixDatagram", NETWORK),
];

const MACROS: &[(&str, &str)] = &[
    ("core::include", INCLUDES),
    ("core::include_str", INCLUDES),
    ("core::include_bytes", INCLUDES),
    ("core::env", INCLUDES),
    ("core::option_env", INCLUDES),
];

/// The clippy configuration of the grading workspace.
pub fn clippy_toml() -> String {
    let list = |entries: &[(&str, &str)]| -> String {
        entries
            .iter()
            .map(|(path, reason)| format!("  {{ path = {path:?}, reason = {reason:?} }},\n"))
            .collect()
    };
    format!(
        "# Written by `asynclings grade`: what a graded exercise file may not use.\n\
         disallowed-methods = [\n{}]\ndisallowed-types = [\n{}]\ndisallowed-macros = [\n{}]\n",
        list(METHODS),
        list(TYPES),
        list(MACROS)
    )
}

/// The lints whose errors are refusals.
const RULE_LINTS: &[&str] = &[
    "clippy::disallowed_methods",
    "clippy::disallowed_types",
    "clippy::disallowed_macros",
];

/// The refusals among a build's errors: a use of something the rules disallow, or an attempt
/// to lift a rule (`#[allow]` of a forbidden lint, E0453).
pub fn refusals(diagnostics: &[Diagnostic], root: &Path) -> Vec<String> {
    let mut reasons = Vec::new();
    for diagnostic in diagnostics.iter().filter(|d| d.is_error()) {
        let code = diagnostic.code.as_ref().map(|c| c.code.as_str());
        let place = diagnostic
            .primary_place(root)
            .map(|place| format!("{place}: "))
            .unwrap_or_default();
        if code.is_some_and(|code| RULE_LINTS.contains(&code)) {
            // clippy's message names the item (`use of a disallowed method `std::fs::write``);
            // the reason is in a note.
            let why = diagnostic
                .children
                .iter()
                .map(|child| child.message.as_str())
                .find(|message| {
                    [FILES, PROCESSES, ENVIRONMENT, NETWORK, INCLUDES].contains(message)
                })
                .unwrap_or("which grading does not allow");
            let what = diagnostic
                .message
                .strip_prefix("use of a ")
                .unwrap_or(&diagnostic.message);
            reasons.push(format!("{place}the file uses a {what}: it {why}"));
        } else if code == Some("E0453") && diagnostic.mentions("clippy::disallowed") {
            reasons.push(format!(
                "{place}the file tries to lift a grading rule ({}): the rules cannot be \
                 switched off",
                diagnostic.message
            ));
        }
    }
    reasons
}

/// What a compiled binary read beyond the files it may read, from rustc's dep-info file
/// beside the executable: `allowed` are the workbook-relative files that make it up; `extra`
/// are workbook-relative files the toolchain itself reads (clippy's configuration).
pub fn dep_info_refusals(
    exe: &Path,
    root: &Path,
    allowed: &BTreeSet<PathBuf>,
    extra: &BTreeSet<PathBuf>,
) -> Vec<String> {
    let dep_info = dep_info_path(exe);
    let Ok(text) = std::fs::read_to_string(&dep_info) else {
        // rustc always writes it; without it nothing can be said of what was read.
        return vec![format!(
            "the compiler's record of what the build read (`{}`) is missing, so the build \
             cannot be trusted",
            dep_info.display()
        )];
    };
    let mut reasons = Vec::new();
    let mut seen = BTreeSet::new();
    for line in text.lines() {
        if let Some(var) = line.strip_prefix("# env-dep:") {
            let name = var.split('=').next().unwrap_or(var);
            if !["CLIPPY_ARGS", "CLIPPY_CONF_DIR"].contains(&name) {
                reasons.push(format!(
                    "the file reads the environment variable `{name}` while it is compiled \
                     (`env!` or `option_env!`): it {INCLUDES}"
                ));
            }
            continue;
        }
        // Rules are `target: dep dep ...`, then one `dep:` line per dependency.
        let Some(dep) = line.strip_suffix(':') else {
            continue;
        };
        if dep.contains(": ") || !seen.insert(dep.to_owned()) {
            continue;
        }
        let path = normalize(Path::new(&unescape(dep)));
        let relative = path.strip_prefix(root).unwrap_or(&path);
        if !allowed.contains(relative) && !extra.contains(relative) {
            reasons.push(format!(
                "the file reads `{}` while it is compiled (`include!`, `#[path]` or a similar \
                 attribute): it {INCLUDES}",
                relative.display()
            ));
        }
    }
    reasons
}

/// rustc's dep-info file for `exe`: beside it for a test binary (`deps/name-hash`); for a
/// program, which cargo copies up to `debug/name`, beside the file in `deps/` it came from.
fn dep_info_path(exe: &Path) -> PathBuf {
    let beside = exe.with_extension("d");
    let Some(dir) = exe.parent() else {
        return beside;
    };
    if dir.ends_with("deps") {
        return beside;
    }
    let stem = exe
        .file_name()
        .map(|n| n.to_string_lossy().replace('-', "_") + "-")
        .unwrap_or_default();
    let Ok(meta) = std::fs::metadata(exe) else {
        return beside;
    };
    let same_file = |other: &std::fs::Metadata| {
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            other.ino() == meta.ino() && other.dev() == meta.dev()
        }
        #[cfg(not(unix))]
        {
            other.len() == meta.len() && other.modified().ok() == meta.modified().ok()
        }
    };
    std::fs::read_dir(dir.join("deps"))
        .into_iter()
        .flatten()
        .flatten()
        .map(|entry| entry.path())
        .filter(|path| {
            path.extension().is_none()
                && path
                    .file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with(&stem))
        })
        .find(|path| std::fs::metadata(path).is_ok_and(|m| same_file(&m)))
        .map_or(beside, |found| found.with_extension("d"))
}

/// Make's escapes in dep-info paths (`\ ` for a space).
fn unescape(path: &str) -> String {
    path.replace("\\ ", " ")
        .replace("\\#", "#")
        .replace("$$", "$")
}

/// `a/b/../c` as `a/c`, without touching the file system.
pub fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_clippy_configuration_is_valid_toml_with_every_rule() {
        let parsed: toml::Table = clippy_toml().parse().unwrap();
        let count = |key: &str| parsed[key].as_array().unwrap().len();
        assert_eq!(count("disallowed-methods"), METHODS.len());
        assert_eq!(count("disallowed-types"), TYPES.len());
        assert_eq!(count("disallowed-macros"), MACROS.len());
    }

    #[test]
    fn dep_info_names_what_was_read_beyond_the_allowed_files() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let exe = root.join("x");
        let allowed: BTreeSet<PathBuf> =
            ["checks/harness/x.rs", "checks/a/x.rs", "exercises/a/x.rs"]
                .iter()
                .map(PathBuf::from)
                .collect();
        let clean = "x: checks/harness/x.rs checks/harness/../a/x.rs\n\n\
                     checks/harness/x.rs:\nchecks/harness/../a/x.rs:\n\
                     checks/harness/../../exercises/a/x.rs:\n# env-dep:CLIPPY_ARGS\n";
        std::fs::write(root.join("x.d"), clean).unwrap();
        assert!(dep_info_refusals(&exe, root, &allowed, &BTreeSet::new()).is_empty());

        let sneaky = format!(
            "{clean}checks/harness/../../solutions/a/x.rs:\n{}/other\\ file.rs:\n\
             # env-dep:CARGO_PKG_NAME=checks\n",
            root.display()
        );
        std::fs::write(root.join("x.d"), sneaky).unwrap();
        let reasons = dep_info_refusals(&exe, root, &allowed, &BTreeSet::new());
        assert_eq!(reasons.len(), 3, "{reasons:#?}");
        assert!(reasons[0].contains("`solutions/a/x.rs`"));
        assert!(reasons[1].contains("`other file.rs`"));
        assert!(reasons[2].contains("`CARGO_PKG_NAME`"));
    }
}
