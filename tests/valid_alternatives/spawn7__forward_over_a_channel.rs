// Valid alternative: the callback only forwards each reading over a channel (sending needs no
// runtime); a task on the runtime receives them and spawns the stores.
// spawn7: spawning from a thread that is not the runtime's
//
// `tokio::spawn` finds the runtime through the *current thread*: the runtime marks its own
// threads (and the thread inside `block_on`) as belonging to it. Called on any other thread,
// for instance one started with `std::thread::spawn` or by a C library's callback, it panics:
//
//     there is no reactor running, must be called from the context of a Tokio 1.x runtime
//
// The way in from outside is a `tokio::runtime::Handle`: a cheap, cloneable reference to a
// runtime. Take one while you are on the runtime (`Handle::current()`), move it to the other
// thread, and spawn through it (`handle.spawn(future)`). The future then runs on the same
// runtime as everything else.
//
//     runtime thread                     driver thread (std::thread)
//     let handle = Handle::current();
//     ───────── move handle ───────────▶ handle.spawn(store(reading));   // runs on the runtime
//
// Do not build a second runtime on that thread instead: its tasks would have their own
// threads, timers and I/O, apart from the rest of the program, and they die with it.
//
// `collect_readings` below gets readings from a sensor driver that calls back on a thread of
// its own, and starts a task to store each one. Make it work.

use std::time::Duration;

use tokio::sync::mpsc;

/// A sensor driver wrapped from a C library: it starts a thread of its own and calls
/// `on_reading` on that thread for every reading. (Pretend you cannot change it.)
fn start_driver(
    readings: Vec<u32>,
    mut on_reading: impl FnMut(u32) + Send + 'static,
) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        for reading in readings {
            on_reading(reading);
        }
    })
}

/// Pretends to store a reading in a database; a reading of n takes n milliseconds to store.
async fn store(reading: u32) -> u32 {
    tokio::time::sleep(Duration::from_millis(reading.into())).await;
    reading
}

/// Starts one task per reading from the driver, to store it, and returns the stored readings
/// in the order they were stored.
async fn collect_readings(readings: Vec<u32>) -> Vec<u32> {
    let (stored_tx, mut stored_rx) = mpsc::unbounded_channel();
    let (reading_tx, mut reading_rx) = mpsc::unbounded_channel::<u32>();
    tokio::spawn(async move {
        while let Some(reading) = reading_rx.recv().await {
            let stored_tx = stored_tx.clone();
            tokio::spawn(async move {
                let _ = stored_tx.send(store(reading).await);
            });
        }
    });
    let driver = start_driver(readings, move |reading| {
        let _ = reading_tx.send(reading);
    });

    // Waiting for a thread to end blocks, so it is done on tokio's pool for blocking work
    // (07_blocking has the details).
    let driver_result = tokio::task::spawn_blocking(move || driver.join())
        .await
        .expect("the join task failed");
    if driver_result.is_err() {
        eprintln!("the driver thread panicked (see its message above)");
    }

    // Every task holds a clone of the sender; the channel ends when the last one is done.
    let mut stored = Vec::new();
    while let Some(reading) = stored_rx.recv().await {
        stored.push(reading);
    }
    stored
}

#[tokio::main]
async fn main() {
    let stored = collect_readings(vec![30, 10, 20]).await;
    println!("stored: {stored:?}");
}
