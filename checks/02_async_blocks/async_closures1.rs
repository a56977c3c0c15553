use super::*;

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
        let got = watchdog(LIMIT, "record_all", record_all(readings.clone())).await;
        assert_eq!(
            got, expected,
            "record_all({readings:?}) returned {got:?}, expected the calibrated readings \
             {expected:?} in the order they arrived"
        );
    }
}

#[tokio::test(start_paused = true)]
async fn an_empty_feed_records_nothing() {
    let got = watchdog(LIMIT, "record_all", record_all(Vec::new())).await;
    assert_eq!(
        got,
        Vec::<i32>::new(),
        "record_all of no readings returned {got:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn readings_come_through_the_feed() {
    // The feed delivers a reading every 10ms, and calibrating one takes 1ms: 6 readings take
    // 66ms when each goes through `deliver` and the callback.
    let start = Instant::now();
    watchdog(LIMIT, "record_all", record_all(vec![4, 8, 15, 16, 23, 42])).await;
    let took = start.elapsed();
    assert_eq!(
        took,
        Duration::from_millis(66),
        "record_all of 6 readings took {took:?} of virtual time; through the feed (10ms per \
         reading) and calibration (1ms each) it takes 66ms: does it still hand its callback \
         to `deliver`?"
    );
}
