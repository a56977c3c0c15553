//! Walking a workbook's tree for its files. (`build.rs` includes this file by path, so it
//! uses nothing but std.)

use std::path::{Path, PathBuf};

/// Every file under `root/top` whose extension is one of `extensions`, relative to `root`,
/// sorted.
pub fn files_under(root: &Path, top: &str, extensions: &[&str]) -> Vec<PathBuf> {
    fn walk(root: &Path, dir: &Path, extensions: &[&str], out: &mut Vec<PathBuf>) {
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
                out.push(relative);
            }
        }
    }
    let mut out = Vec::new();
    walk(root, Path::new(top), extensions, &mut out);
    out.sort();
    out
}

/// Every `.rs` file under `root/top`, relative to `root`, sorted.
pub fn rust_files(root: &Path, top: &str) -> Vec<PathBuf> {
    files_under(root, top, &["rs"])
}
