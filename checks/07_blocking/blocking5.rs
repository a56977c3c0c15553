// Checks for blocking5: a std Mutex guard must not live across an `.await`.
//
// Mistakes a learner makes on this idea, and how each is caught:
// - The guard alive at the `.await` (as shipped), a value copied out while the guard lives
//   on, or `drop(guard)` after using it (rustc counts a borrowed value as alive to the end of
//   its scope): `record_hit`'s future must be `Send`; these do not compile.
// - Locking twice, once to read and once after the `.await` to write back: hits are lost;
//   totals and per-page counts are compared, and every log number must appear once.
// - Swapping to a lock held during the write (tokio Mutex across the await): the writes no
//   longer overlap; the elapsed virtual time must be one write.
// - Hard-coding: pages and latencies are the checks' own.
use super::{AuditLog, Stats, record_hit, record_hits};

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use asynclings_support::timeline::{self, Timeline};
use asynclings_support::watchdog;
use tokio::time::Instant;

const LIMIT: Duration = Duration::from_secs(10);

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

// Compile-time check: a future that holds a `MutexGuard` across an `.await` is not `Send`,
// and this does not compile.
fn assert_send<T: Send>(_: &T) {}

/// The stats as plain std types.
struct Counts {
    hits: HashMap<String, u32>,
    total: u32,
}

fn pages(n: usize) -> Vec<String> {
    let names = [
        "/",
        "/pricing",
        "/docs/intro",
        "/",
        "/blog/42",
        "/docs/intro",
        "/",
    ];
    (0..n)
        .map(|i| names[(i * 5 + i / 3) % names.len()].to_string())
        .collect()
}

/// Runs `record_hits` on `n` hits with audit writes of `latency`; gives the stats, the log's
/// lines, the time it took, and the run: each line reaching the log (the hits run in tasks
/// of their own: the log is looked at each time the runtime goes idle).
fn run(n: usize, latency: u64) -> (Counts, Vec<String>, Duration, Timeline) {
    let stats = Arc::new(Mutex::new(Stats::default()));
    let log = Arc::new(AuditLog::new(ms(latency)));
    let recorded: Arc<Mutex<Option<Timeline>>> = Arc::default();
    let written = Arc::new(AtomicUsize::new(0));
    let runtime = {
        let (log, recorded, written) = (log.clone(), recorded.clone(), written.clone());
        timeline::runtime_looking(move || {
            if let Some(recorded) = &*recorded.lock().unwrap() {
                let now = log.lines.lock().unwrap().len();
                let before = written.fetch_max(now, Ordering::SeqCst);
                for _ in before..now {
                    recorded.instant("written");
                }
            }
        })
    };
    let (took, timeline) = runtime.block_on(async {
        let one = record_hit(stats.clone(), log.clone(), "/probe".to_string());
        assert_send(&one);
        drop(one);

        let timeline = Timeline::new();
        *recorded.lock().unwrap() = Some(timeline.clone());
        let start = Instant::now();
        watchdog(
            LIMIT,
            "record_hits",
            record_hits(stats.clone(), log.clone(), pages(n)),
        )
        .await;
        (start.elapsed(), timeline)
    });
    recorded.lock().unwrap().take();
    let lines: Vec<String> = log.lines.lock().unwrap().clone();
    // The lines written after the runtime last went idle were written as it returned.
    for _ in written.load(Ordering::SeqCst)..lines.len() {
        timeline.instant_at("written", took);
    }
    timeline.span_at("hits", Duration::ZERO, took);
    timeline.end_at(took);
    let stats: Stats = std::mem::take(&mut *stats.lock().unwrap());
    let hits: HashMap<String, u32> = stats.hits;
    let total: u32 = stats.total;
    (Counts { hits, total }, lines, took, timeline)
}

#[test]
fn every_hit_is_counted_once() {
    let n = 41;
    let (stats, lines, _, _) = run(n, 20);
    let mut expected: HashMap<String, u32> = HashMap::new();
    for page in pages(n) {
        *expected.entry(page).or_default() += 1;
    }
    assert_eq!(
        stats.total, n as u32,
        "after {n} hits the total is {}; expected {n}. Are hits lost between reading the total \
         and writing it back? Do the whole update in one short lock, before the `.await`",
        stats.total
    );
    assert_eq!(
        stats.hits, expected,
        "after {n} hits the per-page counts are {:?}; expected {expected:?}",
        stats.hits
    );
    let mut numbers: Vec<u32> = lines
        .iter()
        .map(|l| l.rsplit(' ').next().unwrap().parse().unwrap())
        .collect();
    numbers.sort();
    let expected_numbers: Vec<u32> = (1..=n as u32).collect();
    assert_eq!(
        numbers, expected_numbers,
        "the audit log numbered the hits {numbers:?}; expected each number from 1 to {n} exactly \
         once: each hit's number is the total right after that hit was counted"
    );
}

#[test]
fn the_log_writes_run_at_the_same_time() {
    let (_, lines, took, recorded) = run(12, 35);
    assert_eq!(
        lines.len(),
        12,
        "the audit log has {} lines; expected 12",
        lines.len()
    );
    let expected = Timeline::new();
    for _ in 0..12 {
        expected.instant_at("written", ms(35));
    }
    expected.span_at("hits", Duration::ZERO, ms(35));
    expected.end_at(ms(35));
    timeline::assert_eq(took, ms(35), &recorded, Some(&expected), || {
        format!(
            "12 hits with a 35ms audit write each took {took:?} of virtual time; the writes should \
         run at the same time, taking 35ms in all. Is a lock held during the write, so that the \
         tasks wait for each other? Release it before the `.await`"
        )
    });
}
