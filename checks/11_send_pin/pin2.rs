use super::*;

use std::time::Duration;

use tokio::time::Instant;

const LIMIT: Duration = Duration::from_secs(30);

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// Downloads `size` bytes at 100 bytes per `per_chunk_ms`, with progress every `every_ms`;
/// checks the data, the progress reports, the time taken and that one download was started.
async fn assert_download(size: usize, per_chunk_ms: u64, every_ms: u64) {
    let data: Vec<u8> = (0..size).map(|i| (i * 7 % 251) as u8).collect();
    let mirror = Mirror::new(&data, ms(per_chunk_ms));
    let chunks = size.div_ceil(100) as u64;
    let takes = ms(per_chunk_ms * chunks);
    let start = Instant::now();
    let mut reports = Vec::new();
    let downloading = download_with_progress(&mirror, ms(every_ms), |t| reports.push(t));
    let Ok(got) = tokio::time::timeout(LIMIT, downloading).await else {
        panic!(
            "a download that takes {takes:?} had not finished after {LIMIT:?} of virtual time, \
             with progress every {every_ms}ms; {} downloads had been started. A future made \
             inside the loop is a new download on every turn, and the one in progress is \
             dropped whenever the tick wins: make the download once, before the loop, pin it \
             (`std::pin::pin!`), and select on `&mut` it",
            mirror.downloads_started()
        );
    };
    let took = start.elapsed();
    let started = mirror.downloads_started();
    assert_eq!(
        started, 1,
        "download_with_progress started {started} downloads; one download should run, from \
         beginning to end, across all the turns of the loop"
    );
    assert!(
        got == data,
        "download_with_progress returned {} bytes that are not the mirror's {size} bytes",
        got.len()
    );
    assert_eq!(
        took, takes,
        "the download of {size} bytes took {took:?} of virtual time, expected {takes:?}"
    );
    let expected: Vec<Duration> = (1..)
        .map(|i| ms(every_ms * i))
        .take_while(|t| *t < takes)
        .collect();
    assert_eq!(
        reports, expected,
        "with progress every {every_ms}ms during a download of {takes:?}, progress was reported \
         at {reports:?}; expected {expected:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn progress_is_reported_while_one_download_runs() {
    assert_download(350, 70, 100).await;
}

#[tokio::test(start_paused = true)]
async fn frequent_progress_does_not_restart_the_download() {
    assert_download(1250, 20, 45).await;
}

#[tokio::test(start_paused = true)]
async fn a_download_quicker_than_the_first_report() {
    assert_download(90, 30, 200).await;
}
