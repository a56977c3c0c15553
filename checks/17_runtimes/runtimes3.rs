// Checks for runtimes3: a runtime built by hand, with a paused clock, for a simulation.
//
// `simulate` is synchronous, so these are plain `#[test]`s. Each replays hours of traffic that
// the exercise does not show, on a thread of its own with a limit of a few seconds of real
// time; the checks' loader logs the virtual time of every load.
//
// Mistakes a learner makes here, and how each is caught:
// - the real clock (as shipped, or a current-thread runtime without `start_paused`): the
//   replay does not finish within the real-time limit; the message says why.
// - a multi-thread runtime with `start_paused(true)`, or `tokio::time::pause()` inside one:
//   Tokio panics ("requires the `current_thread` Tokio runtime"); the panic is caught and
//   explained.
// - `start_paused(true)` without `enable_time()` (or `enable_all()`): the "timers are
//   disabled" panic is caught and explained.
// - the waits removed (bypassing the clock): the hit and miss counts and the virtual time of
//   every load are compared with a model of the replay.
// - time scaled down on the real clock: the checks' loads still take their real time, so the
//   replay misses the real-time limit (and its load times would be wrong too).
// - a hard-coded answer: the traffic and the time-to-live are the checks' own.

use super::{Loader, Stats, simulate};

use std::panic::{self, AssertUnwindSafe};
use std::sync::Mutex;
use std::sync::mpsc as std_mpsc;
use std::time::Duration;

use tokio::time::Instant;

/// Real time a replay may take. A paused clock replays hours in milliseconds.
const REAL_LIMIT: Duration = Duration::from_secs(3);
const LOAD: Duration = Duration::from_millis(400);

/// A loader that takes 400ms and logs the virtual time of each load, from the first one.
#[derive(Default)]
struct TestLoader {
    loads: Mutex<Vec<(Instant, String)>>,
}

impl Loader for TestLoader {
    async fn load(&self, key: &str) -> String {
        self.loads
            .lock()
            .unwrap()
            .push((Instant::now(), key.to_string()));
        tokio::time::sleep(LOAD).await;
        format!("value of {key}")
    }
}

impl TestLoader {
    fn timeline(&self) -> Vec<(Duration, String)> {
        let loads = self.loads.lock().unwrap();
        let Some((first, _)) = loads.first() else {
            return Vec::new();
        };
        loads
            .iter()
            .map(|(at, key)| (tenths(at.duration_since(*first)), key.clone()))
            .collect()
    }
}

/// A time cut to tenths of a second: Tokio rounds timers to whole milliseconds, and where
/// the clock was paused decides which way.
fn tenths(time: Duration) -> Duration {
    Duration::from_millis(time.as_millis() as u64 / 100 * 100)
}

/// Six hours of requests for a few pages, at uneven intervals.
fn traffic() -> Vec<(Duration, &'static str)> {
    let keys = ["home", "pricing", "home", "docs", "blog", "home", "docs"];
    let gaps = [
        0,
        7 * 60,
        95,
        23 * 60,
        45,
        61 * 60,
        12 * 60,
        5,
        31 * 60,
        170,
    ];
    let mut at = 0;
    (0..40)
        .map(|i| {
            at += gaps[i % gaps.len()];
            (Duration::from_secs(at), keys[(i * 3 + i / 4) % keys.len()])
        })
        .collect()
}

/// What the replay should do: the counts, and when each load starts.
fn model(ttl: Duration, traffic: &[(Duration, &str)]) -> (Stats, Vec<(Duration, String)>) {
    let mut now = Duration::ZERO;
    let mut stored: std::collections::HashMap<&str, Duration> = Default::default();
    let mut stats = Stats::default();
    let mut loads = Vec::new();
    for &(at, key) in traffic {
        now = now.max(at);
        match stored.get(key) {
            Some(&t) if now - t < ttl => stats.hits += 1,
            _ => {
                stats.misses += 1;
                loads.push((tenths(now), key.to_string()));
                now += LOAD;
                stored.insert(key, now);
            }
        }
    }
    (stats, loads)
}

fn panic_text(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default()
}

/// Runs `simulate` on a thread of its own, within the real-time limit.
fn replay(ttl: Duration, traffic: Vec<(Duration, &'static str)>) -> (Stats, TestLoader) {
    let span = traffic.last().map(|(at, _)| *at).unwrap_or_default();
    let (done_tx, done) = std_mpsc::channel();
    std::thread::spawn(move || {
        let loader = TestLoader::default();
        let result = panic::catch_unwind(AssertUnwindSafe(|| simulate(ttl, &traffic, &loader)));
        let _ = done_tx.send(
            result
                .map(|stats| (stats, loader))
                .map_err(|p| panic_text(&*p)),
        );
    });
    match done.recv_timeout(REAL_LIMIT) {
        Ok(Ok((stats, loader))) => {
            let stats: Stats = stats;
            (stats, loader)
        }
        Ok(Err(text)) => {
            let why = if text.contains("current_thread") {
                "A paused clock needs the current-thread runtime (`#[tokio::test]`'s kind): \
                 Tokio can only tell that every task is waiting when they all run on one \
                 thread. Use `Builder::new_current_thread()` with `.start_paused(true)`"
            } else if text.contains("timers are disabled") {
                "The runtime was built without its timer: a paused clock is still a clock. \
                 Add `.enable_time()` (or `.enable_all()`) to the builder"
            } else {
                ""
            };
            let first = text.split(". ").next().unwrap_or_default();
            panic!("simulate panicked ({first:?}). {why}")
        }
        Err(_) => panic!(
            "simulate had not finished after {REAL_LIMIT:?} of real time, replaying {:?} of \
             traffic: its runtime runs on the real clock, so every wait takes as long as it \
             says. Build a current-thread runtime whose clock starts paused \
             (`Builder::new_current_thread().enable_time().start_paused(true)`): it skips \
             straight to the next deadline whenever every task waits",
            span
        ),
    }
}

fn check(ttl_minutes: u64) {
    let ttl = Duration::from_secs(60 * ttl_minutes);
    let traffic = traffic();
    let (expected, expected_loads) = model(ttl, &traffic);
    let (stats, loader) = replay(ttl, traffic);
    assert_eq!(
        stats, expected,
        "simulate with a time-to-live of {ttl_minutes} minutes gave {stats:?}; replaying the \
         traffic request by request, at its own times, gives {expected:?}"
    );
    let loads = loader.timeline();
    assert_eq!(
        loads, expected_loads,
        "the loads happened at these virtual times (from the first load, to a tenth of a \
         second): {loads:?}; expected \
         {expected_loads:?}. Each request waits until its own time in the traffic (on the \
         runtime's clock, paused, not scaled or skipped)"
    );
}

#[test]
fn six_hours_of_traffic_replay_in_moments() {
    check(20);
}

#[test]
fn a_longer_time_to_live_gives_more_hits() {
    check(125);
}
