use super::*;

use std::sync::atomic::Ordering;
use std::time::Duration;

use asynclings_support::{Heartbeat, watchdog};
use tokio::time::Instant;

const LIMIT: Duration = Duration::from_secs(10);

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// Heats a kettle by `steps` next to a heartbeat ticking every 20ms, on this test's
/// current-thread runtime, and checks that the heartbeat kept beating.
async fn heat_beside_a_heartbeat(steps: u32) {
    let kettle = Kettle::default();
    let heartbeat = Heartbeat::start(ms(20));
    let start = Instant::now();
    watchdog(LIMIT, "heat_up", heat_up(&kettle, steps)).await;
    let took = start.elapsed();
    let beats = heartbeat.beats();

    let expected_took = STEP_PAUSE * steps;
    let expected_beats = (expected_took.as_millis() / 20) as usize;
    if beats == 0 && took.is_zero() {
        panic!(
            "while heat_up({steps}) ran, a heartbeat task ticking every 20ms on the same thread \
             beat 0 times, and tokio's clock did not move at all; expected {expected_beats} beats \
             in {expected_took:?}. The pauses were not Tokio sleeps: `std::thread::sleep` blocks \
             the thread it runs on, and on the runtime's thread no other task can run until it \
             returns (raising a timeout somewhere else does not change that). Pause with \
             `tokio::time::sleep(STEP_PAUSE).await`"
        );
    }
    assert_eq!(
        took, expected_took,
        "heat_up({steps}) took {took:?} of virtual time; with a pause of {STEP_PAUSE:?} after each \
         step it should take {expected_took:?}. Is each pause a `tokio::time::sleep` that is \
         awaited?"
    );
    assert_eq!(
        beats, expected_beats,
        "while heat_up({steps}) ran for {took:?}, a heartbeat ticking every 20ms beat {beats} \
         times; expected {expected_beats}: the thread should be free during every pause"
    );
    let degrees = kettle.temperature.load(Ordering::SeqCst);
    assert_eq!(
        degrees,
        10 * steps,
        "after heat_up({steps}) the kettle is at {degrees} degrees; expected {}",
        10 * steps
    );
}

#[tokio::test(start_paused = true)]
async fn the_heartbeat_keeps_beating_while_the_kettle_heats() {
    heat_beside_a_heartbeat(7).await;
}

#[tokio::test(start_paused = true)]
async fn a_single_step_does_not_block_either() {
    heat_beside_a_heartbeat(1).await;
}

// Two kettles on one thread heat at the same time: pausing without blocking lets their
// pauses overlap.
#[tokio::test(start_paused = true)]
async fn two_kettles_heat_at_the_same_time() {
    let (a, b) = (Kettle::default(), Kettle::default());
    let start = Instant::now();
    watchdog(LIMIT, "two heat_ups", async {
        tokio::join!(heat_up(&a, 3), heat_up(&b, 5));
    })
    .await;
    let took = start.elapsed();
    assert_eq!(
        took,
        STEP_PAUSE * 5,
        "heating two kettles (3 and 5 steps) with join! took {took:?} of virtual time; their \
         pauses should overlap, so it should take as long as the longer one, {:?}",
        STEP_PAUSE * 5
    );
}
