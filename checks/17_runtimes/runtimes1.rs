// Checks for runtimes1: a library's background task needs a runtime that runs on its own.
//
// These are plain `#[test]`s, like the synchronous programs the client is written for: no
// runtime runs around them. The checks' collector passes every batch to the test thread, which
// waits for it with a real-time limit (a limit only a broken client ever reaches).
//
// Mistakes a learner makes here, and how each is caught:
// - a current-thread runtime (as shipped): its spawned task never runs; nothing arrives.
// - `runtime.block_on(uploader(..))` in `start`: `start` never returns (it runs the uploader
//   to its end); `start` is run on a thread of its own, with a limit.
// - `tokio::spawn` in `start` with no runtime around it: panics with "no reactor running";
//   the panic is caught and named.
// - `record` driving the runtime itself (`block_on` of a `yield_now` or a short sleep): the
//   events recorded last are never sent, since nobody calls `record` after them.
// - `record` waiting until the batch is sent: the collector holds the first batch until the
//   test thread has returned from `record`.
// - a runtime without its timer (`.enable_all()` left out): the uploader's task panics at its
//   first sleep and nothing arrives (the panic message is printed above the failure).
// - events dropped, duplicated or reordered: everything the collector got is compared.

use super::{Collector, Telemetry};

use std::panic::{self, AssertUnwindSafe};
use std::sync::Mutex;
use std::sync::mpsc as std_mpsc;
use std::time::Duration;

/// How long the test thread waits for a batch before it says none is coming.
const BACKSTOP: Duration = Duration::from_secs(2);

/// A collector that hands each batch to the test thread. While `gate` is closed, the first
/// batch waits at the collector until the test opens it.
struct ToTest {
    batches: Mutex<std_mpsc::Sender<Vec<String>>>,
    gate: std::sync::Arc<tokio::sync::Semaphore>,
}

impl Collector for ToTest {
    async fn send(&self, batch: Vec<String>) {
        let _ = self.gate.acquire().await;
        let _ = self.batches.lock().unwrap().send(batch);
    }
}

struct Setup {
    telemetry: Telemetry,
    batches: std_mpsc::Receiver<Vec<String>>,
    gate: std::sync::Arc<tokio::sync::Semaphore>,
}

fn panic_text(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default()
}

/// Starts a client on a thread of its own, so that a `start` that never returns is reported.
fn start(gate_open: bool) -> Setup {
    let (tx, batches) = std_mpsc::channel();
    let permits = if gate_open {
        tokio::sync::Semaphore::MAX_PERMITS
    } else {
        0
    };
    let gate = std::sync::Arc::new(tokio::sync::Semaphore::new(permits));
    let collector = ToTest {
        batches: Mutex::new(tx),
        gate: gate.clone(),
    };
    let (done_tx, done) = std_mpsc::channel();
    std::thread::spawn(move || {
        let started = panic::catch_unwind(AssertUnwindSafe(|| Telemetry::start(collector)));
        let _ = done_tx.send(started.map_err(|payload| panic_text(&*payload)));
    });
    let telemetry = match done.recv_timeout(BACKSTOP) {
        Ok(Ok(telemetry)) => telemetry,
        Ok(Err(text)) => {
            let why = if text.contains("no reactor running") {
                " `tokio::spawn` needs to be called on a runtime; `start` is synchronous code \
                 with none around it. Spawn through the runtime the client builds \
                 (`runtime.spawn`), and build one that runs its tasks on its own"
            } else {
                ""
            };
            panic!("Telemetry::start panicked: {text:?}.{why}")
        }
        Err(_) => panic!(
            "Telemetry::start did not return within {BACKSTOP:?}. `block_on` runs a future to \
             its end, and the uploader ends only when the client does: start it as a task \
             (`runtime.spawn`) on a runtime whose worker threads run it"
        ),
    };
    Setup {
        telemetry,
        batches,
        gate,
    }
}

/// Collects batches until `want` events have arrived.
fn receive(batches: &std_mpsc::Receiver<Vec<String>>, want: usize, what: &str) -> Vec<String> {
    let mut got = Vec::new();
    while got.len() < want {
        match batches.recv_timeout(BACKSTOP) {
            Ok(batch) => got.extend(batch),
            Err(_) => panic!(
                "{what}: after {BACKSTOP:?} the collector had {got:?}, and nothing more came. \
                 A task spawned on a current-thread runtime runs only while some thread is \
                 inside that runtime's `block_on`, and a synchronous program never is. A \
                 multi-thread runtime runs its tasks on worker threads of its own. (If a panic \
                 is printed above, it names what stopped the uploader.)"
            ),
        }
    }
    got
}

fn strings(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

#[test]
fn events_reach_the_collector_with_nobody_calling_the_client() {
    let setup = start(true);
    let events = ["disk 91% full", "cache miss /home", "login ok"];
    for event in events {
        setup.telemetry.record(event);
    }
    let got = receive(&setup.batches, events.len(), "three events recorded");
    assert_eq!(
        got,
        strings(&events),
        "the collector got {got:?}; expected every event recorded, once, in order"
    );
    // A second burst after a pause, and nothing recorded after it.
    std::thread::sleep(Duration::from_millis(60));
    setup.telemetry.record("logout");
    setup.telemetry.record("shutdown requested");
    let got = receive(&setup.batches, 2, "two events recorded after a pause");
    assert_eq!(
        got,
        strings(&["logout", "shutdown requested"]),
        "the collector got {got:?} for the second burst"
    );
}

#[test]
fn record_returns_before_the_batch_is_sent() {
    let setup = start(false);
    let (recorded_tx, recorded) = std_mpsc::channel();
    std::thread::scope(|scope| {
        scope.spawn(|| {
            setup.telemetry.record("slow collector");
            let _ = recorded_tx.send(());
        });
        let returned = recorded.recv_timeout(BACKSTOP).is_ok();
        setup.gate.add_permits(tokio::sync::Semaphore::MAX_PERMITS);
        assert!(
            returned,
            "`record` had not returned after {BACKSTOP:?} while the collector was busy with the \
             batch: `record` must hand the event over and return at once, leaving the sending \
             to the background task"
        );
    });
    let got = receive(
        &setup.batches,
        1,
        "an event recorded while the collector was slow",
    );
    assert_eq!(
        got,
        strings(&["slow collector"]),
        "the collector got {got:?}"
    );
}
