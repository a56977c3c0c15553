// Checks for async_closures1: `|x| async { v.push(x) }` cannot lend out its captures; use an
// async closure.
//
// Mistakes a learner makes here, and how each is caught:
// - `|x| async move { .. }` with the log moved in: does not compile (the log would move on
//   every call).
// - the feed bypassed (the readings calibrated in a loop of their own, not through
//   `deliver`): the feed hands over one reading every 10ms, so the timing shows it.
// - calibration done outside the callback (all at once, or the formula copied by hand): each
//   calibration through the callback takes 1ms, so the timing shows it too. The message says
//   which of the two the timing points to.
// - readings out of order or lost (a log shared behind a lock but filled from spawned tasks):
//   the result must be every calibrated reading in the order delivered.
// - hard-coded results: the checks use readings the exercise does not show.

use super::record_all;

use std::time::Duration;

use asynclings_support::watchdog;
use tokio::time::Instant;

const LIMIT: Duration = Duration::from_secs(10);

#[tokio::test(start_paused = true)]
async fn every_reading_is_recorded_in_order() {
    for readings in [
        vec![7],
        vec![-5, 0, 12, 12, 9],
        (1..=20).rev().collect::<Vec<i32>>(),
    ] {
        let expected: Vec<i32> = readings.iter().map(|r| r * 2 + 1).collect();
        let got: Vec<i32> = watchdog(LIMIT, "record_all", record_all(readings.clone())).await;
        assert_eq!(
            got, expected,
            "record_all({readings:?}) returned {got:?}, expected the calibrated readings \
             {expected:?} in the order they arrived"
        );
    }
}

#[tokio::test(start_paused = true)]
async fn an_empty_feed_records_nothing() {
    let got: Vec<i32> = watchdog(LIMIT, "record_all", record_all(Vec::new())).await;
    assert_eq!(
        got,
        Vec::<i32>::new(),
        "record_all of no readings returned {got:?}"
    );
}

/// What the time `record_all` took over `n` readings points to, when it is not `11 * n` ms.
fn why(n: u64, took: Duration) -> &'static str {
    let feed = Duration::from_millis(10 * n);
    if took < feed {
        "not every reading came through `deliver`, which hands over one reading every 10ms: \
         pass your callback to `deliver` and record what it is given"
    } else if took == feed {
        "no reading was calibrated inside the callback (calibrating one takes 1ms): await \
         `calibrate` in the callback, for the reading it was given"
    } else if took < feed + Duration::from_millis(n) {
        "some readings were calibrated outside the callback (each calibration inside it \
         takes 1ms)"
    } else {
        "something waits longer than the feed and one calibration per reading: await \
         `calibrate` once per reading, inside the callback"
    }
}

#[tokio::test(start_paused = true)]
async fn readings_come_through_the_feed() {
    // The feed delivers a reading every 10ms, and calibrating one takes 1ms: 6 readings take
    // 66ms when each goes through `deliver` and the callback.
    let start = Instant::now();
    let got: Vec<i32> = watchdog(LIMIT, "record_all", record_all(vec![4, 8, 15, 16, 23, 42])).await;
    let took = start.elapsed();
    assert_eq!(got, [9, 17, 31, 33, 47, 85]);
    assert_eq!(
        took,
        Duration::from_millis(66),
        "record_all of 6 readings took {took:?} of virtual time; through the feed (10ms per \
         reading) and calibration (1ms each, inside the callback) it takes 66ms: {}",
        why(6, took)
    );
}
