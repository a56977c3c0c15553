//! Embeds the curriculum's grading inputs in the runner: info.toml, the hidden checks, the
//! manifests and the lock file, so that `asynclings grade` grades with the teacher's copies
//! whatever a student's repository holds; and fingerprints of the runner's own sources, so
//! that a student's edits to them are reported.

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
        "exercises/Cargo.toml",
        "checks",
        "src",
    ] {
        println!("cargo::rerun-if-changed={watched}");
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
    out += "];\n\n/// The runner's own sources, with their FNV-1a hashes.\npub const RUNNER_SOURCES: &[(&str, u64)] = &[\n";
    for file in rust_files(&root, "src") {
        let bytes = std::fs::read(root.join(&file)).expect("readable source");
        writeln!(out, "    ({file:?}, {:#x}),", fnv1a(&bytes)).unwrap();
    }
    out += "];\n";
    let dest = PathBuf::from(std::env::var("OUT_DIR").expect("set by cargo")).join("embedded.rs");
    std::fs::write(dest, out).expect("OUT_DIR is writable");
}

fn rust_files(root: &Path, top: &str) -> Vec<String> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) {
        let Ok(entries) = std::fs::read_dir(root.join(dir)) else {
            return;
        };
        for entry in entries.flatten() {
            let relative = dir.join(entry.file_name());
            if entry.file_type().is_ok_and(|t| t.is_dir()) {
                walk(root, &relative, out);
            } else if relative.extension().is_some_and(|e| e == "rs") {
                out.push(relative.to_string_lossy().replace('\\', "/"));
            }
        }
    }
    let mut out = Vec::new();
    walk(root, Path::new(top), &mut out);
    out.sort();
    out
}

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    })
}
