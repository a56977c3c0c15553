//! Noticing saves: file events from the operating system (notify), and a cheap poll beside
//! them that takes over when events stop arriving (network mounts, some WSL setups).

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use notify::event::{AccessKind, AccessMode, ModifyKind, RenameMode};
use notify::{EventKind, RecursiveMode, Watcher as _};
use tokio::sync::mpsc;

pub const WATCH_FELL_BACK_TO_POLLING: &str = "File events are not arriving for this directory (a \
     network mount or WSL?), so asynclings now checks the file for changes four times a second.";
pub const WATCH_COULD_NOT_START: &str = "Could not watch the exercise files for changes, so \
     asynclings checks them four times a second instead";
pub const POLLING_AS_ASKED: &str = "Polling for changes four times a second (--poll).";

/// How often the file is polled while events are trusted (to notice they stopped), and after.
pub const CHECK_EVENTS_EVERY: Duration = Duration::from_secs(1);
pub const POLL_EVERY: Duration = Duration::from_millis(250);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// The writer is done: the file was closed after writing, created, or renamed into place.
    Finished,
    /// Bytes were written; more may follow.
    Modified,
    Removed,
}

#[derive(Debug)]
pub struct FileEvent {
    /// Relative to the workbook root.
    pub path: PathBuf,
    pub change: Change,
}

/// File events from notify, or nothing when polling is all there is.
pub struct Events {
    _watcher: Option<notify::RecommendedWatcher>,
    rx: mpsc::UnboundedReceiver<FileEvent>,
}

impl Events {
    /// Watches `exercises/` (recursively: editors save by writing a temporary file and renaming
    /// it over the old one, so the directory is what must be watched) and the root (for
    /// info.toml). Returns a notice when events are not available.
    pub fn start(root: &Path, force_poll: bool) -> (Self, Option<String>) {
        let (tx, rx) = mpsc::unbounded_channel();
        if force_poll {
            return (
                Self { _watcher: None, rx },
                Some(POLLING_AS_ASKED.to_owned()),
            );
        }
        let base = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
        let prefix = base.clone();
        let watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
            let Ok(event) = event else { return };
            for (path, change) in classify(&event) {
                let Ok(relative) = path.strip_prefix(&prefix) else {
                    continue;
                };
                let _ = tx.send(FileEvent {
                    path: relative.to_path_buf(),
                    change,
                });
            }
        });
        let started = watcher.and_then(|mut watcher| {
            watcher.watch(&base.join("exercises"), RecursiveMode::Recursive)?;
            watcher.watch(&base, RecursiveMode::NonRecursive)?;
            Ok(watcher)
        });
        match started {
            Ok(watcher) => (
                Self {
                    _watcher: Some(watcher),
                    rx,
                },
                None,
            ),
            Err(err) => (
                Self { _watcher: None, rx },
                Some(format!("{WATCH_COULD_NOT_START} ({err}).")),
            ),
        }
    }

    pub fn is_watching(&self) -> bool {
        self._watcher.is_some()
    }

    pub async fn recv(&mut self) -> Option<FileEvent> {
        if self._watcher.is_none() {
            return std::future::pending().await;
        }
        self.rx.recv().await
    }
}

fn classify(event: &notify::Event) -> Vec<(&PathBuf, Change)> {
    let all = |change| event.paths.iter().map(|p| (p, change)).collect();
    match event.kind {
        EventKind::Access(AccessKind::Close(AccessMode::Write)) | EventKind::Create(_) => {
            all(Change::Finished)
        }
        EventKind::Modify(ModifyKind::Name(RenameMode::To)) => all(Change::Finished),
        EventKind::Modify(ModifyKind::Name(RenameMode::From)) | EventKind::Remove(_) => {
            all(Change::Removed)
        }
        EventKind::Modify(ModifyKind::Name(RenameMode::Both)) => {
            let mut out = Vec::new();
            if let Some(from) = event.paths.first() {
                out.push((from, Change::Removed));
            }
            if let Some(to) = event.paths.get(1) {
                out.push((to, Change::Finished));
            }
            out
        }
        EventKind::Modify(ModifyKind::Metadata(_)) => Vec::new(),
        EventKind::Modify(_) => all(Change::Modified),
        _ => Vec::new(),
    }
}

/// What identifies a version of a file cheaply: its modification time and length.
type Stamp = Option<(SystemTime, u64)>;

fn stamp(path: &Path) -> Stamp {
    let meta = std::fs::metadata(path).ok()?;
    Some((meta.modified().ok()?, meta.len()))
}

#[derive(Debug, PartialEq, Eq)]
pub enum Poll {
    Unchanged,
    Changed,
    /// A change that file events did not report: from now on, polling is what notices saves.
    FellBack,
}

/// Polls the current exercise file beside the file events.
pub struct Poller {
    path: PathBuf,
    last: Stamp,
    notified: bool,
    suspect: bool,
    pub polling: bool,
}

impl Poller {
    pub fn new(path: PathBuf, polling: bool) -> Self {
        Self {
            last: stamp(&path),
            path,
            notified: false,
            suspect: false,
            polling,
        }
    }

    /// Follows another file (the current exercise changed).
    pub fn follow(&mut self, path: PathBuf) {
        self.last = stamp(&path);
        self.path = path;
        self.suspect = false;
    }

    /// A file event for the followed file arrived.
    pub fn notified(&mut self) {
        self.notified = true;
    }

    pub fn tick(&mut self) -> Poll {
        let now = stamp(&self.path);
        let changed = now != self.last;
        self.last = now;
        let notified = std::mem::take(&mut self.notified);
        if self.polling {
            return if changed {
                Poll::Changed
            } else {
                Poll::Unchanged
            };
        }
        if notified {
            self.suspect = false;
            return Poll::Unchanged;
        }
        if self.suspect {
            // A change seen one tick ago, and still no event for it: events are not arriving.
            self.suspect = false;
            self.polling = true;
            return Poll::FellBack;
        }
        // The event may simply not have been handled yet; give it one more tick.
        self.suspect = changed;
        Poll::Unchanged
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_change_without_an_event_falls_back_to_polling() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.rs");
        std::fs::write(&path, "a").unwrap();
        let mut poller = Poller::new(path.clone(), false);
        assert_eq!(poller.tick(), Poll::Unchanged);
        std::fs::write(&path, "bb").unwrap();
        assert_eq!(
            poller.tick(),
            Poll::Unchanged,
            "one tick of grace for the event"
        );
        assert_eq!(poller.tick(), Poll::FellBack);
        assert!(poller.polling);
        std::fs::write(&path, "ccc").unwrap();
        assert_eq!(poller.tick(), Poll::Changed);
    }

    #[test]
    fn a_change_with_its_event_keeps_events() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.rs");
        std::fs::write(&path, "a").unwrap();
        let mut poller = Poller::new(path.clone(), false);
        std::fs::write(&path, "bb").unwrap();
        assert_eq!(poller.tick(), Poll::Unchanged);
        poller.notified();
        assert_eq!(poller.tick(), Poll::Unchanged);
        assert_eq!(poller.tick(), Poll::Unchanged);
        assert!(!poller.polling);
    }
}
