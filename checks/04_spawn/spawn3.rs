use super::*;

use std::time::Duration;

use asynclings_support::watchdog;
use tokio::time::Instant;

const LIMIT: Duration = Duration::from_secs(10);

/// Runs `decode_all` on a task of its own, so that a panic of `decode_all` itself is reported
/// with a message.
async fn run(frames: &[&str]) -> (Vec<Option<u32>>, Duration) {
    let frames: Vec<String> = frames.iter().map(|f| f.to_string()).collect();
    let start = Instant::now();
    match watchdog(LIMIT, "decode_all", tokio::spawn(decode_all(frames))).await {
        Ok(values) => (values, start.elapsed()),
        Err(err) if err.is_panic() => panic!(
            "decode_all itself panicked when one frame's task panicked: awaiting that task's \
             JoinHandle gives `Err(JoinError)` (with `is_panic()`), and `.unwrap()` on it turns \
             the task's panic into a panic of the caller. Turn it into `None` instead."
        ),
        Err(err) => panic!("the decode_all task failed: {err}"),
    }
}

fn assert_values(frames: &[&str], got: &[Option<u32>], expected: &[Option<u32>]) {
    if got.len() < expected.len() {
        panic!(
            "decode_all of {} frames returned only {} values ({got:?}): keep going after a \
             failed task; its value is `None` and the later frames still count",
            expected.len(),
            got.len()
        );
    }
    assert_eq!(
        got, expected,
        "decode_all({frames:?}) returned {got:?}, expected {expected:?}: a frame whose task \
         panicked gives `None` (not a made-up value), the others their decoded values, in order"
    );
}

#[tokio::test(start_paused = true)]
async fn a_corrupt_frame_costs_only_its_own_value() {
    let frames = ["0xff", "0x1g", "0x0", "beef", "0xC0FFEE"];
    let (values, took) = run(&frames).await;
    assert_values(
        &frames,
        &values,
        &[Some(255), None, Some(0), None, Some(0xC0FFEE)],
    );
    assert_eq!(
        took,
        Duration::from_millis(5),
        "the frames should be decoded side by side, in 5ms; it took {took:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn a_corrupt_first_frame_does_not_stop_the_rest() {
    let frames = ["", "0x7", "0x10"];
    let (values, _) = run(&frames).await;
    assert_values(&frames, &values, &[None, Some(7), Some(16)]);
}

#[tokio::test(start_paused = true)]
async fn good_frames_all_decode() {
    let frames = ["0x1", "0x22", "0x333"];
    let (values, _) = run(&frames).await;
    assert_values(&frames, &values, &[Some(1), Some(0x22), Some(0x333)]);
}

#[tokio::test(start_paused = true)]
async fn every_frame_corrupt() {
    let frames = ["x", "0x", "0xg"];
    let (values, _) = run(&frames).await;
    assert_values(&frames, &values, &[None, None, None]);
}
