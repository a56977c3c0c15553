// Checks for join4: at most MAX_IN_FLIGHT downloads at once, a free slot reused at once.
//
// Mistakes a learner makes here, and how each is caught:
// - no limit (plain `join_all`): the peak number in flight, measured by the checks' own
//   download function, exceeds MAX_IN_FLIGHT.
// - a limit of 1, or downloads awaited one after another: the peak is 1 and it is slow.
// - fixed batches of 4 (`chunks(4)` + `join_all`), or `buffered` (which waits for the oldest):
//   one slow download and eight quick ones must all be done when the slow one is.
// - a counter polled with `sleep(1ms)` until a slot is free (polling instead of being woken):
//   each of the checks' downloads finishes a scheduler turn after its timer fires, so a
//   poller that wakes on the same tick still sees the slot taken and starts a tick late; the
//   elapsed times are exact, so it fails whatever order tokio fires same-tick timers in.
// - a url downloaded twice, or a page made up (bypassing `download`): every url must be
//   downloaded exactly once and its page returned.

use super::{MAX_IN_FLIGHT, download_all};

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use asynclings_support::timeline::{self, Timeline};
use asynclings_support::watchdog;
use tokio::time::Instant;

const LIMIT: Duration = Duration::from_secs(60);

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

struct Run {
    pages: Vec<String>,
    peak: usize,
    took: Duration,
    /// Each download, and the count in flight.
    timeline: Timeline,
    /// The same, downloads started the moment a slot is free.
    expected: Timeline,
}

/// The run with MAX_IN_FLIGHT slots, each download starting as soon as one is free, in order.
fn schedule(latencies: &[u64]) -> Timeline {
    let expected = Timeline::new();
    let mut free_at = vec![Duration::ZERO; MAX_IN_FLIGHT];
    let mut changes: Vec<(Duration, isize)> = Vec::new();
    for &latency in latencies {
        let slot = (0..free_at.len()).min_by_key(|&i| free_at[i]).unwrap();
        let (start, end) = (free_at[slot], free_at[slot] + ms(latency));
        expected.span_at("download", start, end);
        changes.extend([(start, 1), (end, -1)]);
        free_at[slot] = end;
    }
    // Ends before starts at the same moment: a slot is handed on, never over the limit.
    changes.sort();
    let mut now: usize = 0;
    for (at, change) in changes {
        now = now.saturating_add_signed(change);
        expected.count_at("in flight", Some(MAX_IN_FLIGHT), at, now);
    }
    expected.end_at(free_at.into_iter().max().unwrap_or_default());
    expected
}

/// Runs `download_all` over urls with the given latencies (in ms), measuring how many
/// downloads are in flight at once.
async fn run(latencies: &[u64]) -> Run {
    let urls: Vec<String> = (0..latencies.len())
        .map(|i| format!("https://site.test/{i}"))
        .collect();
    let latency: HashMap<String, Duration> = urls
        .iter()
        .cloned()
        .zip(latencies.iter().map(|&l| ms(l)))
        .collect();
    let recorded = Timeline::new();
    let in_flight = recorded.in_flight("in flight", Some(MAX_IN_FLIGHT));
    let calls = AtomicUsize::new(0);
    let start = Instant::now();
    let mut pages: Vec<String> = watchdog(
        LIMIT,
        "download_all",
        download_all(urls, async |url: String| {
            calls.fetch_add(1, Ordering::SeqCst);
            let _guard = in_flight.enter();
            let _span = recorded.span("download");
            tokio::time::sleep(latency[&url]).await;
            // The reply is read a scheduler turn after the timer fires: a slot frees up after
            // every task woken on the same tick has run.
            tokio::task::yield_now().await;
            format!("page at {url}")
        }),
    )
    .await;
    let calls = calls.load(Ordering::SeqCst);
    assert_eq!(
        calls,
        latencies.len(),
        "download_all of {} urls called `download` {calls} times; each url should be \
         downloaded exactly once",
        latencies.len()
    );
    pages.sort();
    let took = start.elapsed();
    recorded.end_at(took);
    Run {
        pages,
        peak: in_flight.peak(),
        took,
        timeline: recorded,
        expected: schedule(latencies),
    }
}

fn assert_peak(n: usize, run: &Run, expected: usize) {
    let peak = run.peak;
    let why = if peak > expected {
        "more than MAX_IN_FLIGHT were running at once: is there a limit at all?"
    } else if peak == 1 {
        "they ran one at a time: is the limit 1, or are the downloads awaited one after another?"
    } else {
        "fewer than MAX_IN_FLIGHT were running at once although more were waiting: is the limit \
         lower than MAX_IN_FLIGHT?"
    };
    timeline::assert_eq(peak, expected, &run.timeline, Some(&run.expected), || {
        format!(
            "with {n} downloads to do, the most in flight at once was {peak}, expected \
             {expected}: {why}"
        )
    });
}

#[tokio::test(start_paused = true)]
async fn at_most_four_in_flight() {
    let run = run(&[50; 10]).await;
    let mut expected: Vec<String> = (0..10)
        .map(|i| format!("page at https://site.test/{i}"))
        .collect();
    expected.sort();
    assert_eq!(
        run.pages, expected,
        "download_all did not return every page exactly once"
    );
    assert_peak(10, &run, MAX_IN_FLIGHT);
    let why = if run.took > ms(150) && run.took < ms(200) {
        ": a few milliseconds late, so a free slot was noticed by polling (a `sleep` in a loop) \
         rather than by waiting on it. Wait for a permit (`Semaphore::acquire`), which wakes \
         you the moment one is given back"
    } else {
        ""
    };
    timeline::assert_eq(
        run.took,
        ms(150),
        &run.timeline,
        Some(&run.expected),
        || {
            format!(
                "10 downloads of 50ms, at most 4 at a time, took {:?} of virtual time; expected \
             ceil(10 / 4) = 3 rounds of 50ms = 150ms{why}",
                run.took
            )
        },
    );
}

#[tokio::test(start_paused = true)]
async fn a_free_slot_is_used_at_once() {
    // One slow download (400ms) and eight quick ones (100ms). While the slow one holds its slot,
    // the other three slots should work through the quick ones: all done at 400ms.
    let run = run(&[400, 100, 100, 100, 100, 100, 100, 100, 100]).await;
    assert_eq!(
        run.pages.len(),
        9,
        "download_all of 9 urls returned {} pages",
        run.pages.len()
    );
    assert_peak(9, &run, MAX_IN_FLIGHT);
    timeline::assert_eq(
        run.took,
        ms(400),
        &run.timeline,
        Some(&run.expected),
        || {
            format!(
                "one 400ms download and eight of 100ms took {:?} of virtual time; with 4 slots, the \
             quick ones fit beside the slow one and everything is done at 400ms. A download \
             should start as soon as any slot frees up: are they run in fixed batches of 4 (or \
             with `buffered`, which waits for the oldest before starting more)? If it is a \
             millisecond or so late per round, a slot is noticed by polling (a `sleep` in a \
             loop) rather than by waiting on it: wait for a permit (`Semaphore::acquire`), \
             which wakes you the moment one is free",
                run.took
            )
        },
    );
}

#[tokio::test(start_paused = true)]
async fn fewer_than_the_limit_all_run_at_once() {
    let run = run(&[70, 30, 50]).await;
    assert_eq!(run.pages.len(), 3);
    assert_peak(3, &run, 3);
    timeline::assert_eq(run.took, ms(70), &run.timeline, Some(&run.expected), || {
        "3 downloads (fewer than the limit) should all run at once and take 70ms".to_owned()
    });
}

#[tokio::test(start_paused = true)]
async fn nothing_to_download() {
    let run = run(&[]).await;
    assert!(
        run.pages.is_empty(),
        "download_all of no urls returned {:?}",
        run.pages
    );
}
