// expect: A paused clock needs the current-thread runtime
// Wrong fix: a multi-thread runtime asked to start paused.
// runtimes3: a runtime for a simulation or a test: `Builder`, and a paused clock
//
// The attribute macros are shorthands for `Builder` calls, with different defaults:
//
//     #[tokio::main]                      Builder::new_multi_thread().enable_all()
//                                         (one worker per core; the real clock)
//     #[tokio::test]                      Builder::new_current_thread().enable_all()
//     #[tokio::test(start_paused = true)]   ... .start_paused(true)
//     #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
//                                         Builder::new_multi_thread().worker_threads(2)...
//
// So a test runs on one thread by default, where `main` has a pool: code that needs
// `block_in_place` or a task running in parallel works in `main` and fails in a test until
// the test asks for `flavor = "multi_thread"` (runtimes1, runtimes2).
//
// A *paused* clock is what makes time-based tests fast and exact (every check in this workbook
// runs on one): Tokio's clock stands still while any task can run, and when every task is
// waiting for a timer, it jumps straight to the next deadline. An hour of `sleep`s passes in
// microseconds, and `Instant::now()` (Tokio's, not `std`'s) reads exact virtual times. It needs
// the current-thread runtime, where Tokio can tell that every task is waiting; on a
// multi-thread runtime, `start_paused(true)` and `tokio::time::pause()` panic.
//
// Outside a test function, or when the runtime must be made in plain code (a simulator, a
// benchmark harness, a `#[test]` that also calls synchronous code), write the `Builder` call
// yourself:
//
//     let runtime = tokio::runtime::Builder::new_current_thread()
//         .enable_time()                  // a paused clock is still a clock: enable it
//         .start_paused(true)             // needs tokio's `test-util` feature
//         .build()?;
//
// `simulate` below replays recorded traffic against a cache with a time-to-live, to see how
// many requests would hit. It is correct, but it replays the traffic in real time: six hours
// of traffic take six hours. Replay them in moments.

use std::collections::HashMap;
use std::time::Duration;

use tokio::time::{Instant, sleep_until};

/// Loads a value on a cache miss. (The checks bring their own.)
trait Loader {
    async fn load(&self, key: &str) -> String;
}

#[derive(Debug, Default, PartialEq)]
struct Stats {
    hits: u32,
    misses: u32,
}

/// A cache whose entries stay fresh for `ttl` after they were stored.
struct Cache {
    ttl: Duration,
    entries: HashMap<String, (String, Instant)>,
}

impl Cache {
    fn get(&self, key: &str) -> Option<&String> {
        let (value, stored) = self.entries.get(key)?;
        (stored.elapsed() < self.ttl).then_some(value)
    }
}

/// Replays `traffic` (each request: when, after the start, and which key) against a cache with
/// the given time-to-live. A miss loads the value and stores it. Synchronous: it is called from
/// a command-line tool and from plain `#[test]`s.
fn simulate(ttl: Duration, traffic: &[(Duration, &str)], loader: &impl Loader) -> Stats {
    // TODO: this runtime runs on the real clock, so the replay takes as long as the traffic did.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .start_paused(true)
        .build()
        .expect("failed to build a runtime");
    runtime.block_on(async {
        let start = Instant::now();
        let mut cache = Cache {
            ttl,
            entries: HashMap::new(),
        };
        let mut stats = Stats::default();
        for &(at, key) in traffic {
            sleep_until(start + at).await;
            if cache.get(key).is_some() {
                stats.hits += 1;
            } else {
                stats.misses += 1;
                let value = loader.load(key).await;
                cache
                    .entries
                    .insert(key.to_string(), (value, Instant::now()));
            }
        }
        stats
    })
}

/// A loader that takes a quarter of a second.
struct Database;

impl Loader for Database {
    async fn load(&self, key: &str) -> String {
        tokio::time::sleep(Duration::from_millis(250)).await;
        format!("row for {key}")
    }
}

fn main() {
    let minutes = |m: u64| Duration::from_secs(60 * m);
    let traffic = [
        (minutes(0), "home"),
        (minutes(3), "home"),
        (minutes(4), "about"),
        (minutes(35), "home"),
        (minutes(90), "about"),
        (minutes(91), "home"),
        (minutes(360), "home"),
    ];
    let stats = simulate(minutes(30), &traffic, &Database);
    println!("{stats:?}");
}
