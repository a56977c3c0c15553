//! Shared tools for the hidden checks: virtual-time watchdogs, event logs, drop flags and
//! heartbeats. Check files reach them as `asynclings_support::...`.
//!
//! Everything here is deterministic under tokio's paused clock: times are read from
//! `tokio::time::Instant`, never from `std::time`.

use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::Instant;

/// Runs `fut`, failing the check with `what` if it takes longer than `limit` of (virtual)
/// time. Under a paused clock a deadlock on a tokio primitive trips this at once, instead of
/// waiting for the runner's wall-clock time limit.
pub async fn watchdog<F: Future>(limit: Duration, what: &str, fut: F) -> F::Output {
    match tokio::time::timeout(limit, fut).await {
        Ok(output) => output,
        Err(_) => panic!(
            "{what} did not finish within {limit:?} of virtual time: it is waiting for \
             something that never happens (a deadlock, a sender never dropped, a wake-up \
             never arranged?)"
        ),
    }
}

/// A log of events with the virtual time at which each happened, shared between tasks.
#[derive(Clone)]
pub struct EventLog {
    start: Instant,
    events: Arc<Mutex<Vec<(Duration, String)>>>,
}

impl Default for EventLog {
    fn default() -> Self {
        Self::new()
    }
}

impl EventLog {
    /// A new, empty log whose clock starts now.
    pub fn new() -> Self {
        Self {
            start: Instant::now(),
            events: Arc::default(),
        }
    }

    /// Records `event` at the current virtual time.
    pub fn record(&self, event: impl Into<String>) {
        let at = self.start.elapsed();
        self.events.lock().unwrap().push((at, event.into()));
    }

    /// The events in the order they were recorded.
    pub fn events(&self) -> Vec<String> {
        self.events
            .lock()
            .unwrap()
            .iter()
            .map(|(_, e)| e.clone())
            .collect()
    }

    /// The events with the virtual time (since the log was made) at which each happened.
    pub fn timed_events(&self) -> Vec<(Duration, String)> {
        self.events.lock().unwrap().clone()
    }
}

/// Sets a flag when dropped: put one inside a future to learn whether it was dropped
/// (cancelled) or ran to the end.
pub struct DropFlag(Arc<AtomicBool>);

impl DropFlag {
    /// A guard and the flag it sets when dropped.
    pub fn new() -> (Self, Arc<AtomicBool>) {
        let flag = Arc::new(AtomicBool::new(false));
        (Self(flag.clone()), flag)
    }
}

impl Drop for DropFlag {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

/// A task that ticks every `period` and counts its beats. On a current-thread runtime a
/// thread that blocks (instead of awaiting) stops the heartbeat: zero beats means blocked.
pub struct Heartbeat {
    beats: Arc<AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

impl Heartbeat {
    /// Starts beating every `period` on the current runtime.
    pub fn start(period: Duration) -> Self {
        let beats = Arc::new(AtomicUsize::new(0));
        let counter = beats.clone();
        let task = tokio::spawn(async move {
            loop {
                tokio::time::sleep(period).await;
                counter.fetch_add(1, Ordering::SeqCst);
            }
        });
        Self { beats, task }
    }

    /// How many beats so far.
    pub fn beats(&self) -> usize {
        self.beats.load(Ordering::SeqCst)
    }
}

impl Drop for Heartbeat {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Counts how many of something are in flight at once and remembers the peak.
#[derive(Clone, Default)]
pub struct InFlight {
    now: Arc<AtomicUsize>,
    peak: Arc<AtomicUsize>,
}

impl InFlight {
    /// Marks one more in flight until the returned guard is dropped.
    pub fn enter(&self) -> InFlightGuard {
        let now = self.now.fetch_add(1, Ordering::SeqCst) + 1;
        self.peak.fetch_max(now, Ordering::SeqCst);
        InFlightGuard(self.now.clone())
    }

    /// The most that were ever in flight at once.
    pub fn peak(&self) -> usize {
        self.peak.load(Ordering::SeqCst)
    }
}

/// Held while one operation is in flight; see [`InFlight::enter`].
pub struct InFlightGuard(Arc<AtomicUsize>);

impl Drop for InFlightGuard {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}
