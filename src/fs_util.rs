//! File writes that never leave a half-written file behind.

use std::io::Write;
use std::path::Path;

use anyhow::{Context, Result};

/// Writes `contents` to `path` through a temporary file in the same directory and a rename,
/// so a crash or a full disk leaves either the old file or the new one, never a mix.
pub fn write_atomically(path: &Path, contents: &[u8]) -> Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut temp = tempfile::Builder::new()
        .prefix(".asynclings-tmp-")
        .tempfile_in(dir)
        .with_context(|| format!("failed to create a temporary file in `{}`", dir.display()))?;
    temp.write_all(contents)
        .and_then(|()| temp.as_file().sync_all())
        .with_context(|| format!("failed to write `{}`", temp.path().display()))?;
    temp.persist(path)
        .with_context(|| format!("failed to write `{}`", path.display()))?;
    Ok(())
}

/// Held while a directory is in use by one runner process; released when dropped.
pub struct Lock {
    #[cfg(unix)]
    _held: nix::fcntl::Flock<std::fs::File>,
}

/// Waits until this process holds the exclusive lock on the file at `path` (created if need be).
pub async fn lock(path: &Path) -> Result<Lock> {
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)
        .with_context(|| format!("failed to open the lock file `{}`", path.display()))?;
    #[cfg(unix)]
    {
        let shown = path.display().to_string();
        let held = tokio::task::spawn_blocking(move || {
            nix::fcntl::Flock::lock(file, nix::fcntl::FlockArg::LockExclusive)
                .map_err(|(_, errno)| errno)
        })
        .await
        .context("the lock task panicked")?
        .with_context(|| format!("failed to lock `{shown}`"))?;
        Ok(Lock { _held: held })
    }
    #[cfg(not(unix))]
    {
        drop(file);
        Ok(Lock {})
    }
}

/// Writes `contents` to `path` (creating its directory) unless the file already holds exactly
/// that, so that cargo's fingerprints of unchanged files stay as they were. Returns whether it
/// wrote.
pub fn write_if_changed(path: &Path, contents: &[u8]) -> Result<bool> {
    if std::fs::read(path).ok().as_deref() == Some(contents) {
        return Ok(false);
    }
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("failed to create `{}`", parent.display()))?;
    }
    write_atomically(path, contents)?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_the_file_and_leaves_no_temporary_behind() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.toml");
        std::fs::write(&path, "old").unwrap();
        write_atomically(&path, b"new").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "new");
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().flatten().collect();
        assert_eq!(names.len(), 1);
    }

    #[test]
    fn a_directory_that_takes_no_files_is_an_error_naming_it() {
        // `/proc` exists and refuses new files, even to root (who ignores permission bits).
        let path = Path::new("/proc/asynclings-state.toml");
        assert!(path.parent().unwrap().is_dir());
        let err = write_atomically(path, b"x").unwrap_err();
        assert!(format!("{err:#}").contains("/proc"), "{err:#}");
        assert!(!path.exists());
    }
}
