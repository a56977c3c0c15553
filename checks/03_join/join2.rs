// Checks for join2: a `Vec` of futures joined with `join_all`, outputs in input order.
//
// Mistakes a learner makes here, and how each is caught:
// - the futures awaited in a loop (made first or not: they are lazy either way): twenty
//   fetches must take one latency, not twenty.
// - joined in pairs or small batches: still slower than one latency; the message says some
//   fetches wait for others.
// - `FuturesUnordered` or `buffer_unordered` (completion order): the records must be in the
//   order of the ids, with ids whose latencies finish in another order.
// - a fixed list of records (hard-coding): the checks use ids the exercise does not show.

use super::fetch_all;

use std::time::Duration;

use asynclings_support::timeline::{self, Timeline};
use asynclings_support::watchdog;
use tokio::time::Instant;

const LIMIT: Duration = Duration::from_secs(60);

/// The latency `fetch` has for `id`.
fn latency(id: u32) -> Duration {
    Duration::from_millis(10 * u64::from(id % 7 + 1))
}

/// Why `fetch_all(ids)` took `took` instead of the slowest fetch's latency.
fn why(ids: &[u32], took: Duration) -> &'static str {
    let sum: Duration = ids.iter().map(|&id| latency(id)).sum();
    if took == sum {
        "are the futures awaited one after another?"
    } else {
        "some fetches still wait for others to finish: are all the futures in one `join_all`?"
    }
}

/// Runs `fetch_all(ids)`: the records, the virtual time it took, and its timeline. `fetch` is
/// the learner's, so the checks cannot time each fetch from inside; what they see is when
/// `fetch_all` is woken, which is when a fetch has answered (nothing else wakes it).
async fn run(ids: &[u32]) -> (Vec<String>, Duration, Timeline) {
    let start = Instant::now();
    let recorded = Timeline::new();
    recorded.declare_instants("answered");
    let mut last = Duration::ZERO;
    let records: Vec<String> = watchdog(
        LIMIT,
        "fetch_all",
        timeline::observe(fetch_all(ids), || {
            let now = recorded.now();
            if now > last {
                recorded.instant_at("answered", now);
                last = now;
            }
        }),
    )
    .await;
    let took = start.elapsed();
    recorded.span_at("fetch_all", Duration::ZERO, took);
    recorded.end_at(took);
    (records, took, recorded)
}

/// Every fetch started at once: answers at each latency, all done at the slowest.
fn expected_timeline(ids: &[u32]) -> Timeline {
    let expected = Timeline::new();
    expected.declare_instants("answered");
    let mut latencies: Vec<Duration> = ids.iter().map(|&id| latency(id)).collect();
    latencies.sort();
    latencies.dedup();
    for &at in &latencies {
        expected.instant_at("answered", at);
    }
    let slowest = latencies.last().copied().unwrap_or_default();
    expected.span_at("fetch_all", Duration::ZERO, slowest);
    expected.end_at(slowest);
    expected
}

#[tokio::test(start_paused = true)]
async fn many_fetches_take_one_latency() {
    // Twenty ids that all take 50ms: concurrently, 50ms in all; one by one, a whole second.
    let ids: Vec<u32> = (0..20).map(|i| 4 + 7 * i).collect();
    let (records, took, recorded) = run(&ids).await;
    assert_eq!(
        records.len(),
        ids.len(),
        "fetch_all of {} ids returned {} records",
        ids.len(),
        records.len()
    );
    timeline::assert_eq(
        took,
        Duration::from_millis(50),
        &recorded,
        Some(&expected_timeline(&ids)),
        || {
            format!(
                "fetch_all of 20 records that each take 50ms took {took:?} of virtual time; run \
                 concurrently they take 50ms in all: {}",
                why(&ids, took)
            )
        },
    );
}

#[tokio::test(start_paused = true)]
async fn results_keep_the_order_of_the_ids() {
    // Latencies 70, 10, 40, 60, 20, 70 ms: they finish in a different order than asked.
    let ids = [13, 21, 3, 19, 8, 6];
    let (records, took, recorded) = run(&ids).await;
    let expected: Vec<String> = ids.iter().map(|id| format!("record {id}")).collect();
    assert_eq!(
        records, expected,
        "fetch_all({ids:?}) returned {records:?}; the records must be in the order of the ids, \
         not in the order the fetches finished (`join_all` keeps the input order; \
         `FuturesUnordered` does not)"
    );
    let slowest = ids.iter().map(|&id| latency(id)).max().unwrap();
    timeline::assert_eq(
        took,
        slowest,
        &recorded,
        Some(&expected_timeline(&ids)),
        || {
            format!(
                "fetch_all({ids:?}) took {took:?} of virtual time; concurrently it takes as \
                 long as the slowest fetch, {slowest:?}: {}",
                why(&ids, took)
            )
        },
    );
}

#[tokio::test(start_paused = true)]
async fn no_ids_no_records() {
    let (records, took, _) = run(&[]).await;
    assert!(records.is_empty(), "fetch_all(&[]) returned {records:?}");
    assert_eq!(took, Duration::ZERO);
}
