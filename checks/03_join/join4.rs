use super::*;

use std::collections::HashMap;
use std::time::Duration;

use asynclings_support::{InFlight, watchdog};
use tokio::time::Instant;

const LIMIT: Duration = Duration::from_secs(60);

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

struct Run {
    pages: Vec<String>,
    peak: usize,
    took: Duration,
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
    let in_flight = InFlight::default();
    let start = Instant::now();
    let mut pages = watchdog(
        LIMIT,
        "download_all",
        download_all(urls, async |url: String| {
            let _guard = in_flight.enter();
            tokio::time::sleep(latency[&url]).await;
            format!("page at {url}")
        }),
    )
    .await;
    pages.sort();
    Run {
        pages,
        peak: in_flight.peak(),
        took: start.elapsed(),
    }
}

fn assert_peak(n: usize, peak: usize, expected: usize) {
    let why = if peak > expected {
        "more than MAX_IN_FLIGHT were running at once: is there a limit at all?"
    } else if peak == 1 {
        "they ran one at a time: is the limit 1, or are the downloads awaited one after another?"
    } else {
        "fewer than MAX_IN_FLIGHT were running at once although more were waiting: is the limit \
         lower than MAX_IN_FLIGHT?"
    };
    assert_eq!(
        peak, expected,
        "with {n} downloads to do, the most in flight at once was {peak}, expected {expected}: {why}"
    );
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
    assert_peak(10, run.peak, MAX_IN_FLIGHT);
    assert_eq!(
        run.took,
        ms(150),
        "10 downloads of 50ms, at most 4 at a time, took {:?} of virtual time; expected \
         ceil(10 / 4) = 3 rounds of 50ms = 150ms",
        run.took
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
    assert_peak(9, run.peak, MAX_IN_FLIGHT);
    assert_eq!(
        run.took,
        ms(400),
        "one 400ms download and eight of 100ms took {:?} of virtual time; with 4 slots, the \
         quick ones fit beside the slow one and everything is done at 400ms. A download should \
         start as soon as any slot frees up: are they run in fixed batches of 4 (or with \
         `buffered`, which waits for the oldest before starting more)?",
        run.took
    );
}

#[tokio::test(start_paused = true)]
async fn fewer_than_the_limit_all_run_at_once() {
    let run = run(&[70, 30, 50]).await;
    assert_eq!(run.pages.len(), 3);
    assert_peak(3, run.peak, 3);
    assert_eq!(
        run.took,
        ms(70),
        "3 downloads (fewer than the limit) should all run at once and take 70ms"
    );
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
