// Checks for spawn7: spawning onto the runtime from a thread that is not the runtime's.
//
// Mistakes a learner makes here, and how each is caught:
// - `tokio::spawn` (or `Handle::current()`) on the driver's thread: it panics there; the
//   readings are missing and the message names the panic.
// - a new runtime built in the callback (`block_on` or `spawn` on it): a second runtime with
//   its own clock; its tasks are cancelled when it is dropped, or the stores do not take this
//   runtime's virtual time.
// - the stores run in the callback with another executor's `block_on`: Tokio's timer needs
//   this runtime; they panic, or do not take this runtime's virtual time.
// - readings returned in arrival order or made up: they must come back in the order they
//   were stored, for readings the exercise does not show.

use super::collect_readings;

use std::time::Duration;

use asynclings_support::watchdog;
use tokio::time::Instant;

const LIMIT: Duration = Duration::from_secs(10);

async fn check(readings: &[u32]) {
    let start = Instant::now();
    let stored: Vec<u32> = watchdog(
        LIMIT,
        "collect_readings",
        collect_readings(readings.to_vec()),
    )
    .await;
    let took = start.elapsed();
    let mut expected = readings.to_vec();
    expected.sort();
    assert_eq!(
        stored.len(),
        readings.len(),
        "collect_readings stored {} of {} readings ({stored:?}): did the driver thread panic \
         (\"must be called from the context of a Tokio 1.x runtime\")? That thread is not the \
         runtime's, so `tokio::spawn` and `Handle::current()` find no runtime there. Take a \
         `Handle` on the runtime, move it into the callback, and spawn with it. (A runtime \
         built in the callback and dropped at its end cancels the tasks spawned on it.)",
        stored.len(),
        readings.len()
    );
    assert_eq!(
        stored, expected,
        "collect_readings({readings:?}) returned {stored:?}; a reading of n takes n ms to store, \
         so they should come back in the order {expected:?}"
    );
    let slowest = Duration::from_millis(readings.iter().copied().max().unwrap_or(0).into());
    assert_eq!(
        took, slowest,
        "collect_readings took {took:?} of this runtime's virtual time; storing readings of \
         {readings:?} ms side by side on it takes {slowest:?}. If it is less, the stores did not \
         run on this runtime: a runtime built on the driver's thread is a second runtime with \
         its own clock. Spawn on the caller's runtime through a `Handle`."
    );
}

#[tokio::test(start_paused = true)]
async fn every_reading_is_stored_on_the_runtime() {
    check(&[45, 5, 120, 60, 15]).await;
}

#[tokio::test(start_paused = true)]
async fn one_reading() {
    check(&[7]).await;
}

#[tokio::test(start_paused = true)]
async fn no_readings() {
    check(&[]).await;
}
