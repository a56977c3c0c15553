// Checks for blocking1: a pause that does not hold the thread.
//
// Mistakes a learner makes on this idea, and how each is caught:
// - `std::thread::sleep` for the pause (as shipped): a heartbeat task on the same
//   current-thread runtime beats zero times and the virtual clock does not move.
// - Raising the display's patience instead (hiding the symptom): the heartbeat still stops.
// - `tokio::time::sleep(..)` without `.await`: the future is dropped unpolled; the virtual
//   time must be exactly the sum of the pauses.
// - `spawn_blocking` around the blocking sleep, or a `yield_now` before it: the pause still
//   happens on a real clock, not the runtime's timer; the heartbeat and the exact virtual
//   time show it.
// - `futures::executor::block_on` of a Tokio sleep (another executor's block_on): a real
//   deadlock, since only the blocked thread could fire the timer; the checks run on a runtime
//   of their own thread with a real-time limit, and name the cause.
// - `block_in_place` around the sleep: tokio panics on a current-thread runtime; the panic
//   is turned into a lesson that says why (and that the pause should be a Tokio sleep).
// - Pauses that do not overlap when two kettles heat under `join!`: exact virtual time.
// - Hard-coding: the step counts are the checks' own.

use super::{Kettle, STEP_PAUSE, heat_up};

use std::sync::atomic::Ordering;
use std::time::Duration;

use asynclings_support::timeline::{self, Timeline};
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
    let recorded = Timeline::new();
    let heartbeat = Heartbeat::recording(ms(20), &recorded, "heartbeat");
    let start = Instant::now();
    let span = recorded.span("heat_up");
    watchdog(
        LIMIT,
        "heat_up",
        no_block_in_place("heat_up", heat_up(&kettle, steps)),
    )
    .await;
    span.end();
    let took = start.elapsed();
    let beats = heartbeat.beats();
    recorded.end_at(took);

    let expected_took = STEP_PAUSE * steps;
    let expected_beats = (expected_took.as_millis() / 20) as usize;
    // The heartbeat beside a heat_up that pauses without blocking.
    let expected = Timeline::new();
    expected.span_at("heat_up", Duration::ZERO, expected_took);
    for beat in 1..=expected_beats as u32 {
        expected.instant_at("heartbeat", ms(20) * beat);
    }
    expected.end_at(expected_took);
    if beats == 0 && took.is_zero() {
        timeline::fail(
            format_args!(
                "while heat_up({steps}) ran, a heartbeat task ticking every 20ms on the same thread \
             beat 0 times, and tokio's clock did not move at all; expected {expected_beats} beats \
             in {expected_took:?}. The pauses were not Tokio sleeps: `std::thread::sleep` blocks \
             the thread it runs on, and on the runtime's thread no other task can run until it \
             returns (raising a timeout somewhere else does not change that). Pause with \
             `tokio::time::sleep(STEP_PAUSE).await`"
            ),
            &recorded,
            Some(&expected),
        );
    }
    timeline::assert_eq(took, expected_took, &recorded, Some(&expected), || {
        format!(
            "heat_up({steps}) took {took:?} of virtual time; with a pause of {STEP_PAUSE:?} \
             after each step it should take {expected_took:?}. Is each pause a \
             `tokio::time::sleep` that is awaited?"
        )
    });
    timeline::assert_eq(beats, expected_beats, &recorded, Some(&expected), || {
        format!(
            "while heat_up({steps}) ran for {took:?}, a heartbeat ticking every 20ms beat \
             {beats} times; expected {expected_beats}: the thread should be free during every \
             pause"
        )
    });
    let degrees: u32 = kettle.temperature.load(Ordering::SeqCst);
    assert_eq!(
        degrees,
        10 * steps,
        "after heat_up({steps}) the kettle is at {degrees} degrees; expected {}",
        10 * steps
    );
}

/// Runs `check` on a paused current-thread runtime on a thread of its own, and waits for it
/// with a real-time limit: a runtime thread that is truly blocked (not just slow) is reported
/// with its usual cause instead of hanging until the runner's time limit.
fn on_its_own_runtime<F, Fut>(check: F)
where
    F: FnOnce() -> Fut + Send + 'static,
    Fut: std::future::Future<Output = ()>,
{
    let (tx, rx) = std::sync::mpsc::channel();
    let runner = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .start_paused(true)
            .build()
            .unwrap();
        runtime.block_on(check());
        let _ = tx.send(());
    });
    match rx.recv_timeout(Duration::from_secs(2)) {
        Ok(()) => {}
        Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
            if let Err(payload) = runner.join() {
                std::panic::resume_unwind(payload);
            }
        }
        Err(std::sync::mpsc::RecvTimeoutError::Timeout) => panic!(
            "heat_up did not return in 2s of real time, and its runtime's only thread never came \
             back to run anything else: it is blocked for good. The usual cause is a `block_on` \
             inside async code (`futures::executor::block_on(tokio::time::sleep(..))`, say): it \
             blocks the runtime's own thread, and the Tokio timer it waits for can only be fired \
             by that thread. Pause with `tokio::time::sleep(STEP_PAUSE).await`"
        ),
    }
}

#[test]
fn the_heartbeat_keeps_beating_while_the_kettle_heats() {
    on_its_own_runtime(|| heat_beside_a_heartbeat(7));
}

#[test]
fn a_single_step_does_not_block_either() {
    on_its_own_runtime(|| heat_beside_a_heartbeat(1));
}

// Two kettles on one thread heat at the same time: pausing without blocking lets their
// pauses overlap.
#[test]
fn two_kettles_heat_at_the_same_time() {
    on_its_own_runtime(two_kettles);
}

async fn two_kettles() {
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

/// The text of a panic's payload.
fn panic_text(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_default()
}

/// Runs `fut`, turning tokio's panic for `block_in_place` on a current-thread runtime into a
/// lesson; any other panic goes on as it was.
async fn no_block_in_place<F: std::future::Future>(what: &str, fut: F) -> F::Output {
    use futures::FutureExt;
    match std::panic::AssertUnwindSafe(fut).catch_unwind().await {
        Ok(output) => output,
        Err(payload) => {
            let text = panic_text(payload.as_ref());
            if text.contains("only when running on the multi-threaded runtime") {
                panic!(
                    "{what} panicked: {text:?}. `block_in_place` works only on a multi-threaded \
                     runtime, where it can hand this worker's other tasks to another thread; on \
                     a current-thread runtime (this check's, `#[tokio::test]`'s default, and \
                     the exercise's `main`) there is no other thread, so tokio refuses. A pause is a wait, not \
                     work: `tokio::time::sleep(STEP_PAUSE).await` gives the thread back while it \
                     waits"
                );
            }
            std::panic::resume_unwind(payload)
        }
    }
}
