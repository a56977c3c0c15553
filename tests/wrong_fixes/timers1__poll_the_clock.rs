// expect: Is it looking at the clock now and then
// Wrong fix: each reading waits for its beat by looking at the clock every millisecond.
// timers1: keeping a beat with `interval`
//
// "Do the work, then sleep for the period" does not run once per period. Each turn lasts
// the period *plus* however long the work took, so the schedule slips a little further
// behind on every turn:
//
//     work, then sleep(100ms)   |read|----- 100ms -----|read|----- 100ms -----|read|
//                               0                      130                    260
//
//     interval(100ms)           |read|-------|read|-------|read|-------
//                               0            100          200
//
// `tokio::time::interval(period)` returns an `Interval` that remembers when it was made.
// Its `tick()` completes at that instant, then at +period, +2 x period, and so on: the
// beat stays where it is however long the work between two ticks takes. The first tick
// completes at once.
//
// Computing "period minus the time the work took" by hand gets close, but it has two
// problems: subtracting a longer `Duration` from a shorter one panics, and once a turn runs
// late, every turn after it starts counting from the late moment. `Interval` handles both.
//
// `sample` below is meant to read a sensor once every `period`. The readings themselves take
// some time, so the readings drift. Put them on the beat.

use std::time::Duration;

use tokio::time::{interval, sleep};

/// Reads the sensor `count` times, one reading every `period`, the first one at once.
/// Returns as soon as the last reading is in, with the readings in order.
async fn sample(period: Duration, count: usize, mut read: impl AsyncFnMut() -> f64) -> Vec<f64> {
    // The interval's ticks are fixed to the instant it was made: 0, period, 2 x period, ...
    // Waiting for the next tick waits only for what is left of the period after the reading,
    // so the time a reading takes never pushes the later ones back.
    let start = tokio::time::Instant::now();
    let mut readings = Vec::with_capacity(count);
    for i in 0..count {
        while start.elapsed() < period * i as u32 {
            sleep(Duration::from_millis(1)).await;
        }
        readings.push(read().await);
    }
    readings
}

#[tokio::main]
async fn main() {
    // A pretend thermometer: each reading takes 30ms.
    let start = tokio::time::Instant::now();
    let mut temperature = 19.0;
    let thermometer = async || {
        println!("reading at {:>4}ms", start.elapsed().as_millis());
        sleep(Duration::from_millis(30)).await;
        temperature += 0.25;
        temperature
    };
    let readings = sample(Duration::from_millis(100), 5, thermometer).await;
    println!("{readings:?} in {}ms", start.elapsed().as_millis());
}
