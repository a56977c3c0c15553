// expect: return what the
// Wrong fix: the task is aborted and awaited, but `Ok(())` is returned whatever it reported.
// spawn6: stopping a task
//
// Dropping a future cancels it: it is never polled again. Dropping a `JoinHandle` is not the
// same: the handle is only a ticket for the task's result, and without it the task simply
// runs on, detached. A task that loops forever then runs until the runtime shuts down.
//
// To stop a task, call `abort()` on its handle (or on an `AbortHandle`). Abort is a request:
// the runtime cancels the task the next time it would poll it, by dropping its future, which
// drops everything the future owned. To know that the task is really gone, await the handle
// after aborting; a task stopped this way reports `Err(JoinError)` with `is_cancelled()`:
//
//     handle.abort();
//     match handle.await {
//         Err(err) if err.is_cancelled() => { /* stopped, as asked */ }
//         Ok(_) => { /* it had already finished */ }
//         Err(err) => { /* it panicked: err.is_panic() */ }
//     }
//
// Cancellation can only happen where the task awaits. A task that computes for a second
// without awaiting cannot be aborted during that second.
//
// `with_progress` below starts a ticker that reports every 100ms while some work runs, and
// means to stop it when the work is done. `stop_ticker` does not stop it.

use std::time::Duration;

use tokio::task::{JoinError, JoinHandle};

/// Starts a task that calls `report` every 100ms, forever.
fn start_ticker(mut report: impl FnMut() + Send + 'static) -> JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(Duration::from_millis(100)).await;
            report();
        }
    })
}

/// Stops the ticker, and returns once it is gone, with what its `JoinHandle` reported.
async fn stop_ticker(ticker: JoinHandle<()>) -> Result<(), JoinError> {
    ticker.abort();
    let _ = ticker.await;
    Ok(())
}

/// Runs `work`, calling `report` every 100ms while it runs.
async fn with_progress<T>(
    work: impl Future<Output = T>,
    report: impl FnMut() + Send + 'static,
) -> T {
    let ticker = start_ticker(report);
    let output = work.await;
    match stop_ticker(ticker).await {
        Err(err) if err.is_cancelled() => {}
        other => println!("the ticker did not end as expected: {other:?}"),
    }
    output
}

#[tokio::main]
async fn main() {
    let start = tokio::time::Instant::now();
    let work = async {
        tokio::time::sleep(Duration::from_millis(350)).await;
        "work done"
    };
    let output = with_progress(work, move || {
        println!("still working at {:?}", start.elapsed())
    })
    .await;
    println!("{output} at {:?}", start.elapsed());
    tokio::time::sleep(Duration::from_millis(300)).await;
    println!("(any \"still working\" above this line after the work was done is a bug)");
}
