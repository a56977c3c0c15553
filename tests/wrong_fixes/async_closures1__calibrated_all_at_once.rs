// expect: some readings were calibrated outside the callback
// Wrong fix: the readings calibrated together up front; the callback only stores them.
// async_closures1: a closure that returns a future, or an async closure
//
// A helper that calls back into your code for every item often takes a closure. When the
// callback must await, the old spelling is a closure that returns an async block:
//
//     |reading| async { log.push(reading) }
//
// That is two things: a closure, and a future it makes on each call. The future outlives the
// call that made it, so it cannot borrow from the closure's own captures: the closure would
// lend out its `&mut log` to one future and then be called again while that loan is alive.
// The compiler rejects it:
//
//     error: captured variable cannot escape `FnMut` closure body
//
// Async closures (stable since Rust 1.85) are one thing instead of two:
//
//     async |reading| log.push(reading)
//
// Calling it gives a future that may borrow from the closure, for as long as the call is
// being awaited. A function that takes one names it with the `AsyncFn`, `AsyncFnMut` or
// `AsyncFnOnce` traits, just as it would use `Fn`, `FnMut` or `FnOnce` for a plain closure.
//
// `record_all` below should return every calibrated reading, in the order they arrived.

use std::time::Duration;

use tokio::time::sleep;

/// A pretend sensor feed: delivers one reading every 10ms to `on_reading`, and waits for
/// each call to finish before delivering the next.
async fn deliver(readings: Vec<i32>, mut on_reading: impl AsyncFnMut(i32)) {
    for reading in readings {
        sleep(Duration::from_millis(10)).await;
        on_reading(reading).await;
    }
}

/// Pretends to ask a remote service to calibrate a raw reading.
async fn calibrate(raw: i32) -> i32 {
    sleep(Duration::from_millis(1)).await;
    raw * 2 + 1
}

/// Returns every reading from the feed, calibrated, in the order they arrived.
async fn record_all(readings: Vec<i32>) -> Vec<i32> {
    let calibrated = futures::future::join_all(readings.into_iter().map(calibrate)).await;
    let mut log = Vec::new();
    deliver(calibrated, async |reading| log.push(reading)).await;
    log
}

#[tokio::main]
async fn main() {
    let log = record_all(vec![3, 1, 4]).await;
    println!("calibrated readings: {log:?}");
}
