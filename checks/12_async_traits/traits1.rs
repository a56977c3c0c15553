// Mistakes learners make on native async fn in traits, and how each is caught:
// - `#[async_trait]` kept (with or without `?Send`): the future's type name shows a box.
// - the macro kept on the trait but an `Arc` given to `Tally` to satisfy it: still boxed.
// - readings changed (taken at once, cached, latency dropped): sums and virtual times are
//   compared exactly, for sensors and counts the exercise does not show.
// - the trait's method turned into something other than `async fn read(&self) -> i64` or its
//   `-> impl Future` form: the checks call it generically (compile error).

use super::{Sensor, Tally, Thermometer, total};

use std::time::Duration;

use asynclings_support::watchdog;
use tokio::time::Instant;

const LIMIT: Duration = Duration::from_secs(10);

/// The name of the type of the future that `sensor.read()` returns, through the trait (as a
/// generic caller sees it). The future is dropped without being polled.
fn read_future_type<S: Sensor>(sensor: &S) -> &'static str {
    std::any::type_name_of_val(&sensor.read())
}

fn assert_not_boxed(sensor: &str, future_type: &str) {
    let boxed = future_type.contains("Pin<alloc::boxed::Box<") || future_type.contains("Box<dyn");
    assert!(
        !boxed,
        "`<{sensor} as Sensor>::read` returned a `{future_type}`: every call allocates a \
         boxed future on the heap. That is what `#[async_trait]` (with or without `?Send`) \
         turns an `async fn` into. A native `async fn` in the trait returns each impl's own \
         future type, with no box: remove the macro from the trait and from every impl"
    );
}

#[test]
fn reading_a_sensor_allocates_no_box() {
    let thermometer = Thermometer {
        celsius: 4,
        offset: 0,
        latency: Duration::from_millis(1),
    };
    assert_not_boxed("Thermometer", read_future_type(&thermometer));
    assert_not_boxed("Tally", read_future_type(&Tally::default()));
}

#[tokio::test(start_paused = true)]
async fn thermometer_readings_are_corrected_and_taken_in_turn() {
    for (celsius, offset, latency_ms, times) in [(-7, 2, 35, 4), (38, -3, 120, 2), (0, 0, 5, 1)] {
        let thermometer = Thermometer {
            celsius,
            offset,
            latency: Duration::from_millis(latency_ms),
        };
        let start = Instant::now();
        let sum: i64 = watchdog(LIMIT, "total(&thermometer, ..)", total(&thermometer, times)).await;
        let took = start.elapsed();
        let expected = (celsius + offset) * i64::from(times);
        assert_eq!(
            sum,
            expected,
            "total of {times} readings of a thermometer at {celsius}°C with offset {offset} \
             was {sum}; each reading is {}, so the sum is {expected}",
            celsius + offset
        );
        let expected_time = Duration::from_millis(latency_ms * u64::from(times));
        assert_eq!(
            took, expected_time,
            "{times} readings of a thermometer that answers in {latency_ms}ms took {took:?} of \
             virtual time; one after another they take {expected_time:?}. Only the macro \
             should go: the readings themselves stay as they were"
        );
    }
}

#[tokio::test(start_paused = true)]
async fn the_tally_reads_its_shared_count() {
    let tally = Tally::default();
    for _ in 0..13 {
        tally.pass();
    }
    let first: i64 = watchdog(LIMIT, "tally.read()", tally.read()).await;
    assert_eq!(
        first, 13,
        "after 13 people passed, the tally read {first}; expected 13"
    );
    tally.pass();
    let sum: i64 = watchdog(LIMIT, "total(&tally, 3)", total(&tally, 3)).await;
    assert_eq!(
        sum, 42,
        "three readings of a tally at 14 added up to {sum}; expected 42"
    );
}
