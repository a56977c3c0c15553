// Valid alternative: the current-thread runtime kept, driven by a thread of its own that sits in
// `block_on` for as long as the uploader runs (it ends when the client is dropped).
// runtimes1: which runtime? Current-thread or multi-thread
//
// `#[tokio::main]` is shorthand for a runtime built by hand. A library that needs a runtime
// of its own, a test that wants a particular one, or a `main` that wants to choose, builds it
// with `tokio::runtime::Builder`:
//
//     let runtime = Builder::new_multi_thread()    // or Builder::new_current_thread()
//         .worker_threads(2)                        // default: one per CPU core
//         .enable_all()                             // the timer and I/O drivers
//         .build()?;
//     runtime.block_on(async { .. });               // run a future to its end, here
//     runtime.spawn(async { .. });                  // start a task, return at once
//
// The two flavours differ in *who runs the tasks*:
//
// |                        | current_thread                     | multi_thread                    |
// | ---------------------- | ---------------------------------- | ------------------------------- |
// | threads                | none of its own: the thread inside | worker threads of its own       |
// |                        | `block_on` runs everything         | (plus the `block_on` thread)    |
// | spawned tasks run      | only while some thread is inside   | all the time, on the workers,   |
// |                        | `block_on`, at its `.await`s       | in parallel with each other     |
// | `block_in_place`       | panics (no other worker to hand    | allowed (07_blocking)           |
// |                        | the tasks to)                      |                                 |
// | `!Send` futures        | `block_on` and `LocalSet` accept   | the same; `tokio::spawn` needs  |
// |                        | them (11_send_pin)                 | `Send` on both flavours         |
// | paused clock           | `start_paused(true)` works         | not allowed                     |
// | who uses it by default | `#[tokio::test]`                   | `#[tokio::main]`                |
//
// A current-thread runtime is cheap and predictable: one thread, no synchronisation between
// workers, tasks interleaved in a fixed way. That is why `#[tokio::test]` uses it. But it only
// runs while someone is inside `block_on`. Between calls, a task spawned on it is frozen.
//
// Below is a telemetry client for *synchronous* programs: `record` hands an event to a
// background task and returns at once; the task gathers events for a moment and sends them to
// the collector in batches. Nobody ever calls `block_on`, so nothing is ever sent. Pick the
// runtime that runs the task on its own.

use std::future::Future;
use std::time::Duration;

use tokio::runtime::Builder;
use tokio::sync::mpsc;

/// How long the uploader gathers events after the first one of a batch.
const BATCH_WINDOW: Duration = Duration::from_millis(20);

/// Where the batches go. (The checks bring their own.)
trait Collector: Send + 'static {
    fn send(&self, batch: Vec<String>) -> impl Future<Output = ()> + Send;
}

/// A telemetry client for synchronous code. `record` never waits.
struct Telemetry {
    events: mpsc::UnboundedSender<String>,
}

impl Telemetry {
    /// Starts the background uploader.
    fn start(collector: impl Collector) -> Telemetry {
        // TODO: this runtime runs tasks only while a thread is inside its `block_on`, and no
        // thread ever is.
        let runtime = Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("failed to build the telemetry runtime");
        let (events, inbox) = mpsc::unbounded_channel();
        std::thread::spawn(move || runtime.block_on(uploader(inbox, collector)));
        Telemetry { events }
    }

    /// Hands one event to the uploader and returns at once.
    fn record(&self, event: &str) {
        let _ = self.events.send(event.to_string());
    }
}

/// Sends the events in batches: it waits for one, gathers the others that arrive within
/// `BATCH_WINDOW`, and sends them together.
async fn uploader(mut inbox: mpsc::UnboundedReceiver<String>, collector: impl Collector) {
    while let Some(first) = inbox.recv().await {
        let mut batch = vec![first];
        tokio::time::sleep(BATCH_WINDOW).await;
        while let Ok(more) = inbox.try_recv() {
            batch.push(more);
        }
        collector.send(batch).await;
    }
}

/// A collector that prints what it gets.
struct Printer;

impl Collector for Printer {
    async fn send(&self, batch: Vec<String>) {
        println!("collector got {batch:?}");
    }
}

fn main() {
    let telemetry = Telemetry::start(Printer);
    telemetry.record("app started");
    telemetry.record("config loaded");
    // The program's own (synchronous) work.
    std::thread::sleep(Duration::from_millis(200));
    telemetry.record("app stopping");
    std::thread::sleep(Duration::from_millis(200));
}
