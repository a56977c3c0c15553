// expect: it is blocked for good
// Wrong fix: the Tokio sleep driven by the futures crate's block_on, hidden in a helper: it
// blocks the runtime's thread, which is the only one that could fire the timer.
// blocking1: sleeping without blocking
//
// Tasks share threads. A Tokio runtime runs many tasks on a few threads (here, on one: a
// `current_thread` runtime), and a task gives its thread back only at an `.await` that
// returns `Pending`: one that has to wait, or a Tokio operation that tells a task which has
// run for a long while to step aside (Tokio's cooperative budget). This is cooperative
// scheduling: nothing takes the thread away from a task that does not give it back.
//
// `std::thread::sleep` does not give it back. It puts the whole thread to sleep, with every
// task on it:
//
//     thread   |-- heat_up: std::thread::sleep(50ms) --|-- heat_up: sleep --| ...
//     display  (waiting for its turn; its 20ms timer rang long ago)
//
// `tokio::time::sleep(d).await` is the async version: it registers a timer and returns
// `Pending`, so the thread is free to run other tasks until the timer rings and the task is
// woken:
//
//     thread   |heat_up|display|display|heat_up|display|display|heat_up| ...
//
// Rule: in async code, never call something that blocks the thread (`std::thread::sleep`,
// blocking file or network I/O, a long computation) without a plan; the next exercises
// show the plans.
//
// Below, `heat_up` pauses between steps with `std::thread::sleep`, and the kettle's display
// freezes while it heats. Someone "fixed" the warning by raising UI_PATIENCE; that hides
// the symptom and leaves the display frozen. Fix the cause.

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use tokio::time::Instant;

// The heating element needs this long after each step.
const STEP_PAUSE: Duration = Duration::from_millis(50);

// How late a redraw of the display may be before we complain.
const UI_PATIENCE: Duration = Duration::from_millis(100);

#[derive(Default)]
struct Kettle {
    temperature: AtomicU32,
}

// Heats the kettle by `steps` steps of 10 degrees, pausing STEP_PAUSE after each step.
async fn heat_up(kettle: &Kettle, steps: u32) {
    for _ in 0..steps {
        kettle.temperature.fetch_add(10, Ordering::SeqCst);
        // A Tokio sleep waits for a timer and gives the thread back meanwhile, so the
        // display (and any other task) runs during the pause.
        pause();
    }
}

// Redraws the display every 20ms until the kettle reaches `target` degrees, and complains
// when a redraw comes later than UI_PATIENCE.
// Pauses for STEP_PAUSE.
fn pause() {
    futures::executor::block_on(tokio::time::sleep(STEP_PAUSE));
}

async fn display(kettle: &Kettle, target: u32) {
    let period = Duration::from_millis(20);
    loop {
        let asked = Instant::now();
        tokio::time::sleep(period).await;
        let late = asked.elapsed().saturating_sub(period);
        if late > UI_PATIENCE {
            println!("the display froze: a redraw came {late:?} late");
        }
        let now = kettle.temperature.load(Ordering::SeqCst);
        println!("display: {now} degrees");
        if now >= target {
            return;
        }
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let kettle = Kettle::default();
    tokio::join!(heat_up(&kettle, 8), display(&kettle, 80));
}
