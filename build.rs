//! Embeds the curriculum in the runner: the grading inputs (info.toml, the hidden checks, the
//! manifests and the lock file), so that `asynclings grade` grades with the teacher's copies
//! whatever a student's repository holds; the learner's files (exercises, topic READMEs) and
//! the solutions as committed, from which `asynclings init` makes a workspace and `reset`
//! restores there; and fingerprints of the runner's own sources, so that a student's edits to
//! them are reported.

#[path = "src/fnv.rs"]
mod fnv;
#[path = "src/tree.rs"]
mod tree;

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
    let out_dir = PathBuf::from(std::env::var("OUT_DIR").expect("set by cargo"));
    for watched in EMBEDDED.iter().chain(&["checks", "src"]) {
        println!("cargo::rerun-if-changed={watched}");
    }
    // The commit (for the learner's files, and the revision a Classroom workflow pins).
    for git in [".git/HEAD", ".git/refs/heads", ".git/packed-refs"] {
        if root.join(git).exists() {
            println!("cargo::rerun-if-changed={git}");
        }
    }
    // The exercises and solutions as committed: a learner's saves in a clone neither rebuild
    // the runner nor become what `init` hands out. Outside git, as they are on disk.
    let learner = committed(&root, &["exercises", "solutions"]).unwrap_or_else(|| {
        println!("cargo::rerun-if-changed=exercises");
        println!("cargo::rerun-if-changed=solutions");
        ["exercises", "solutions"]
            .iter()
            .flat_map(|top| files_under(&root, top, &["rs", "md"]))
            .map(|file| {
                let content = std::fs::read(root.join(&file)).expect("readable file");
                (file, content)
            })
            .collect()
    });

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
            embed_file(&mut out, file, &path);
        }
    }
    for (top, name, doc) in [
        (
            "exercises/",
            "LEARNER_FILES",
            "What a learner edits and reads: exercise files and topic READMEs.",
        ),
        ("solutions/", "SOLUTIONS", "One solution per exercise."),
    ] {
        writeln!(
            out,
            "];\n\n/// {doc}\npub const {name}: &[(&str, &str)] = &["
        )
        .unwrap();
        for (file, content) in learner.iter().filter(|(f, _)| f.starts_with(top)) {
            if !(file.ends_with(".rs") || file.ends_with(".md")) {
                continue;
            }
            let copy = out_dir.join("curriculum").join(file);
            std::fs::create_dir_all(copy.parent().expect("a file has a directory"))
                .expect("OUT_DIR is writable");
            std::fs::write(&copy, content).expect("OUT_DIR is writable");
            embed_file(&mut out, file, &copy);
        }
    }
    out += "];\n\n/// The runner's own sources, with their FNV-1a hashes.\npub const RUNNER_SOURCES: &[(&str, u64)] = &[\n";
    for file in rust_files(&root, "src") {
        let bytes = std::fs::read(root.join(&file)).expect("readable source");
        writeln!(out, "    ({file:?}, {:#x}),", fnv::fnv1a(&bytes)).unwrap();
    }
    out += "];\n";
    if let Some(revision) = clean_git_revision(&root) {
        println!("cargo::rustc-env=ASYNCLINGS_GIT_REVISION={revision}");
    }
    std::fs::write(out_dir.join("embedded.rs"), out).expect("OUT_DIR is writable");
}

fn git(root: &Path, args: &[&str]) -> Option<Vec<u8>> {
    std::process::Command::new("git")
        .args(args)
        .current_dir(root)
        .output()
        .ok()
        .filter(|out| out.status.success())
        .map(|out| out.stdout)
}

/// The commit the runner is built from, when it is built from a git checkout without local
/// changes: a Classroom workflow made by this runner installs that same commit.
fn clean_git_revision(root: &Path) -> Option<String> {
    let text = |args: &[&str]| Some(String::from_utf8(git(root, args)?).ok()?.trim().to_owned());
    let revision = text(&["rev-parse", "HEAD"])?;
    let status = text(&["status", "--porcelain", "--untracked-files=no"])?;
    (status.is_empty() && revision.len() == 40).then_some(revision)
}

/// The files under `tops` as committed in `HEAD`, read with one `git cat-file --batch`; `None`
/// outside a git checkout.
fn committed(root: &Path, tops: &[&str]) -> Option<Vec<(String, Vec<u8>)>> {
    use std::io::{BufRead, BufReader, Read, Write};
    use std::process::{Command, Stdio};
    let mut args = vec!["ls-tree", "-r", "--name-only", "HEAD", "--"];
    args.extend_from_slice(tops);
    let names: Vec<String> = String::from_utf8(git(root, &args)?)
        .ok()?
        .lines()
        .map(str::to_owned)
        .collect();
    if names.is_empty() {
        return None;
    }
    let mut child = Command::new("git")
        .args(["cat-file", "--batch"])
        .current_dir(root)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .ok()?;
    let mut stdin = child.stdin.take()?;
    let requests: String = names.iter().map(|n| format!("HEAD:{n}\n")).collect();
    let writer = std::thread::spawn(move || stdin.write_all(requests.as_bytes()));
    let mut reader = BufReader::new(child.stdout.take()?);
    let mut files = Vec::new();
    for name in names {
        let mut header = String::new();
        reader.read_line(&mut header).ok()?;
        let size: usize = header.split_whitespace().nth(2)?.parse().ok()?;
        let mut content = vec![0; size + 1];
        reader.read_exact(&mut content).ok()?;
        content.pop();
        files.push((name, content));
    }
    writer.join().ok()?.ok()?;
    child.wait().ok()?;
    Some(files)
}

fn embed_file(out: &mut String, name: &str, path: &Path) {
    writeln!(
        out,
        "    ({name:?}, include_str!({:?})),",
        path.display().to_string()
    )
    .unwrap();
}

/// The files under `root/top` with one of `extensions`, as `/`-separated relative paths.
fn files_under(root: &Path, top: &str, extensions: &[&str]) -> Vec<String> {
    slashed(tree::files_under(root, top, extensions))
}

fn rust_files(root: &Path, top: &str) -> Vec<String> {
    slashed(tree::rust_files(root, top))
}

fn slashed(paths: Vec<PathBuf>) -> Vec<String> {
    paths
        .iter()
        .map(|path| path.to_string_lossy().replace('\\', "/"))
        .collect()
}
