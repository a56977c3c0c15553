//! Embeds the curriculum in the runner: the grading inputs (info.toml, the hidden checks, the
//! manifests and the lock file), so that `asynclings grade` grades with the teacher's copies
//! whatever a student's repository holds; the learner's files (exercises, topic READMEs) and
//! the solutions, from which `asynclings init` makes a workspace and `reset` restores; and
//! fingerprints of the runner's own sources, so that a student's edits to them are reported.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// Files embedded verbatim, beside every `.rs` file under `checks/` (the harness excepted).
const EMBEDDED: &[&str] = &[
    "info.toml",
    "Cargo.toml",
    "Cargo.lock",
    "exercises/Cargo.toml",
    "checks/Cargo.toml",
];

fn main() {
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("set by cargo"));
    for watched in [
        "info.toml",
        "Cargo.toml",
        "Cargo.lock",
        "exercises",
        "solutions",
        "checks",
        "src",
    ] {
        println!("cargo::rerun-if-changed={watched}");
    }
    // The revision a Classroom workflow pins (see `clean_git_revision`).
    for git in [".git/HEAD", ".git/refs/heads", ".git/packed-refs"] {
        if root.join(git).exists() {
            println!("cargo::rerun-if-changed={git}");
        }
    }
    let mut files: Vec<String> = EMBEDDED.iter().map(|s| s.to_string()).collect();
    for file in rust_files(&root, "checks") {
        if !file.starts_with("checks/harness/") {
            files.push(file);
        }
    }
    let mut out = String::from(
        "/// Grading inputs, as the runner was built with them.\npub const FILES: &[(&str, &str)] = &[\n",
    );
    for file in &files {
        let path = root.join(file);
        if path.is_file() {
            writeln!(
                out,
                "    ({file:?}, include_str!({:?})),",
                path.display().to_string()
            )
            .unwrap();
        }
    }
    out += "];\n\n/// What a learner edits and reads: exercise files and topic READMEs.\npub const LEARNER_FILES: &[(&str, &str)] = &[\n";
    for file in files_under(&root, "exercises", &["rs", "md"]) {
        embed(&mut out, &root, &file);
    }
    out += "];\n\n/// One solution per exercise.\npub const SOLUTIONS: &[(&str, &str)] = &[\n";
    for file in files_under(&root, "solutions", &["rs"]) {
        embed(&mut out, &root, &file);
    }
    out += "];\n\n/// The runner's own sources, with their FNV-1a hashes.\npub const RUNNER_SOURCES: &[(&str, u64)] = &[\n";
    for file in rust_files(&root, "src") {
        let bytes = std::fs::read(root.join(&file)).expect("readable source");
        writeln!(out, "    ({file:?}, {:#x}),", fnv1a(&bytes)).unwrap();
    }
    out += "];\n";
    if let Some(revision) = clean_git_revision(&root) {
        println!("cargo::rustc-env=ASYNCLINGS_GIT_REVISION={revision}");
    }
    let dest = PathBuf::from(std::env::var("OUT_DIR").expect("set by cargo")).join("embedded.rs");
    std::fs::write(dest, out).expect("OUT_DIR is writable");
}

/// The commit the runner is built from, when it is built from a git checkout without local
/// changes: a Classroom workflow made by this runner installs that same commit.
fn clean_git_revision(root: &Path) -> Option<String> {
    let git = |args: &[&str]| {
        std::process::Command::new("git")
            .args(args)
            .current_dir(root)
            .output()
            .ok()
            .filter(|out| out.status.success())
            .map(|out| String::from_utf8_lossy(&out.stdout).trim().to_owned())
    };
    let revision = git(&["rev-parse", "HEAD"])?;
    let status = git(&["status", "--porcelain", "--untracked-files=no"])?;
    (status.is_empty() && revision.len() == 40).then_some(revision)
}

fn embed(out: &mut String, root: &Path, file: &str) {
    writeln!(
        out,
        "    ({file:?}, include_str!({:?})),",
        root.join(file).display().to_string()
    )
    .unwrap();
}

fn rust_files(root: &Path, top: &str) -> Vec<String> {
    files_under(root, top, &["rs"])
}

fn files_under(root: &Path, top: &str, extensions: &[&str]) -> Vec<String> {
    fn walk(root: &Path, dir: &Path, extensions: &[&str], out: &mut Vec<String>) {
        let Ok(entries) = std::fs::read_dir(root.join(dir)) else {
            return;
        };
        for entry in entries.flatten() {
            let relative = dir.join(entry.file_name());
            if entry.file_type().is_ok_and(|t| t.is_dir()) {
                walk(root, &relative, extensions, out);
            } else if relative
                .extension()
                .is_some_and(|e| extensions.iter().any(|x| e == *x))
            {
                out.push(relative.to_string_lossy().replace('\\', "/"));
            }
        }
    }
    let mut out = Vec::new();
    walk(root, Path::new(top), extensions, &mut out);
    out.sort();
    out
}

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    })
}
