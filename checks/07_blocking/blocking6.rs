// Checks for blocking6: when the lock must be held across an `.await`.
//
// Mistakes a learner makes on this idea, and how each is caught:
// - A std Mutex guard held across the save: the spawned future is not `Send`; does not
//   compile.
// - The tokio Mutex locked twice (read, then write after the save): overlapping bumps read
//   the same version; the store's saved versions are compared.
// - Reserving a number under a short lock and saving outside it: saves of different lengths
//   reach the store out of order.
// - Hard-coding: bump counts and save latencies are the checks' own.
use super::{Store, Versions, bump_concurrently};

use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use asynclings_support::timeline::{self, Timeline};
use asynclings_support::watchdog;
use tokio::time::Instant;

const LIMIT: Duration = Duration::from_secs(30);

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// Runs `n` bumps at once against a store whose saves take `latencies` in turn; gives what
/// the bumps returned, what the store saved, the time it took, and the run: each save from its
/// call to its arrival in the store. The bumps run in tasks of their own, so the store's
/// counters are looked at each time the runtime goes idle, before its paused clock moves on:
/// the moment of every call and arrival, exactly, without a task or a timer of the checks'.
fn run(n: usize, latencies: &[u64]) -> (Vec<u64>, Vec<u64>, Duration, Timeline) {
    let store = Arc::new(Store::new(latencies.iter().map(|&l| ms(l)).collect()));
    let saves = Arc::new(Mutex::new(Saves::default()));
    let runtime = {
        let (store, saves) = (store.clone(), saves.clone());
        let latencies = latencies.to_vec();
        timeline::runtime_looking(move || saves.lock().unwrap().look(&store, &latencies))
    };
    let (got, took, recorded) = runtime.block_on(async {
        let recorded = Timeline::new();
        saves.lock().unwrap().recorded = Some(recorded.clone());
        let versions = Arc::new(Versions::new());
        let start = Instant::now();
        let got: Vec<u64> = watchdog(
            LIMIT,
            "bump_concurrently",
            bump_concurrently(versions, store.clone(), n),
        )
        .await;
        let took = start.elapsed();
        saves.lock().unwrap().look(&store, latencies);
        (got, took, recorded)
    });
    for (at, _) in saves.lock().unwrap().open.drain(..) {
        recorded.open_span_at("save", at);
    }
    recorded.end_at(took);
    let saved: Vec<u64> = store.saved.lock().unwrap().clone();
    (got, saved, took, recorded)
}

/// The store's saves as they are seen.
#[derive(Default)]
struct Saves {
    recorded: Option<Timeline>,
    /// Saves called and not yet arrived: when each was called, and how long it takes.
    open: Vec<(Duration, Duration)>,
    called: usize,
    arrived: usize,
}

impl Saves {
    /// Records the saves called and arrived since the last look.
    fn look(&mut self, store: &Store, latencies: &[u64]) {
        let Some(recorded) = self.recorded.clone() else {
            return;
        };
        let now = recorded.now();
        let calls = store.calls.load(Ordering::SeqCst);
        for call in self.called..calls {
            self.open.push((now, ms(latencies[call % latencies.len()])));
        }
        self.called = self.called.max(calls);
        let saved = store.saved.lock().unwrap().len();
        for _ in self.arrived..saved {
            // The save that arrived now: the open one whose latency ends now, or the oldest.
            let i = self
                .open
                .iter()
                .position(|&(at, latency)| at + latency == now)
                .unwrap_or(0);
            if i < self.open.len() {
                let (at, _) = self.open.remove(i);
                recorded.span_at("save", at, now);
            }
        }
        self.arrived = self.arrived.max(saved);
    }
}

/// The bumps one after another: each save starts when the one before has arrived.
fn one_after_another(n: usize, latencies: &[u64]) -> Timeline {
    let expected = Timeline::new();
    let mut at = Duration::ZERO;
    for i in 0..n {
        let end = at + ms(latencies[i % latencies.len()]);
        expected.span_at("save", at, end);
        at = end;
    }
    expected.end_at(at);
    expected
}

#[test]
fn overlapping_bumps_lose_no_version() {
    let n = 12;
    let latencies = [30, 10, 55, 5, 20];
    let (got, saved, took, recorded) = run(n, &latencies);
    let expected: Vec<u64> = (1..=n as u64).collect();
    let serial = one_after_another(n, &latencies);
    let mut saved_sorted = saved.clone();
    saved_sorted.sort();
    // Every version once, in the wrong order: the saves overlapped, which the run shows; a
    // version lost or saved twice is a wrong value, shown without one.
    let timeline = (saved != expected && saved_sorted == expected).then_some(&recorded);
    let message = || {
        format!(
            "{n} bumps at the same time made the store save {saved:?}; expected every version from 1 \
         to {n}, each once, in order. Bumps that overlap read the same current version when the \
         lock is let go during the save: hold one tokio::sync::Mutex guard across the read, the \
         save and the write. (Saving versions that were handed out under a short lock is no \
         better: slow and quick saves then reach the store out of order)"
        )
    };
    match timeline {
        Some(recorded) => timeline::assert_eq(&saved, &expected, recorded, Some(&serial), message),
        None => assert_eq!(saved, expected, "{}", message()),
    }
    let mut sorted = got.clone();
    sorted.sort();
    assert_eq!(
        sorted, expected,
        "the {n} bumps returned {got:?}; expected each version from 1 to {n} once"
    );
    let total: u64 = (0..n).map(|i| latencies[i % latencies.len()]).sum();
    timeline::assert_eq(took, ms(total), &recorded, Some(&serial), || {
        format!(
            "{n} bumps took {took:?} of virtual time; one after another, their saves take \
             {total}ms"
        )
    });
}

#[test]
fn two_bumps_get_two_versions() {
    let (got, saved, _, _) = run(2, &[40]);
    assert_eq!(
        (saved.clone(), got.iter().sum::<u64>()),
        (vec![1, 2], 3),
        "two bumps at the same time returned {got:?} and the store saved {saved:?}; expected \
         versions 1 and 2"
    );
}
