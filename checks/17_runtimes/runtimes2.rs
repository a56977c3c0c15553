// Checks for runtimes2: a synchronous function that works inside a runtime and outside one.
//
// Outside (a plain `#[test]` thread), the checks' reporter awaits a Tokio timer, so the report
// needs a Tokio runtime, and it must be sent before `report_error` returns. Inside (a
// current-thread and a multi-thread runtime), the reporter waits at a gate that the checks
// open only after `report_error` has returned (or, as a backstop, after a second of real
// time), so a `report_error` that waits for the delivery is seen to do so instead of hanging.
//
// Mistakes a learner makes here, and how each is caught:
// - a runtime built and blocked on inside a runtime (as shipped): the "Cannot start a runtime
//   from within a runtime" panic is caught and explained.
// - `tokio::spawn` or `Handle::current()` everywhere: panics outside a runtime; caught, named.
// - `block_in_place(|| handle.block_on(..))` inside: panics on the current-thread runtime that
//   `#[tokio::test]` builds by default; on a multi-thread runtime it waits for the delivery,
//   which the gate shows.
// - another executor's `block_on` (`futures::executor::block_on`): outside, Tokio's timer has
//   no runtime and panics; inside, it blocks the caller's thread until the delivery.
// - a runtime of its own on another thread (joined, or fire-and-forget): the report is sent
//   by a runtime that is not the caller's; the checks look at which runtime sent it (the
//   thread, on a current-thread runtime; the number of workers, on a multi-thread one).
// - a report dropped or rewritten: the text is compared.

use super::{Reporter, report_error};

use std::panic::{self, AssertUnwindSafe};
use std::sync::mpsc as std_mpsc;
use std::sync::{Arc, Mutex};
use std::thread::ThreadId;
use std::time::Duration;

use tokio::runtime::Handle;
use tokio::sync::{Notify, Semaphore};

/// How long a blocked `report_error` waits before the checks open the gate anyway.
const BACKSTOP: Duration = Duration::from_secs(1);

struct Sent {
    report: String,
    thread: ThreadId,
    workers: Option<usize>,
}

/// A reporter that waits on a Tokio timer (`outside`) or at a gate (`inside`), then logs the
/// report with the thread and runtime that sent it.
struct TestReporter {
    uses_timer: bool,
    gate: Semaphore,
    sent: Mutex<Vec<Sent>>,
    delivered: Notify,
}

impl TestReporter {
    fn new(uses_timer: bool) -> Arc<Self> {
        Arc::new(TestReporter {
            uses_timer,
            gate: Semaphore::new(0),
            sent: Mutex::default(),
            delivered: Notify::new(),
        })
    }

    fn open_gate(&self) {
        self.gate
            .add_permits(Semaphore::MAX_PERMITS - self.gate.available_permits());
    }

    fn count(&self) -> usize {
        self.sent.lock().unwrap().len()
    }
}

impl Reporter for TestReporter {
    async fn send(&self, report: String) {
        if self.uses_timer {
            tokio::time::sleep(Duration::from_millis(3)).await;
        } else {
            let _ = self.gate.acquire().await;
        }
        let workers = Handle::try_current()
            .ok()
            .map(|handle| handle.metrics().num_workers());
        self.sent.lock().unwrap().push(Sent {
            report,
            thread: std::thread::current().id(),
            workers,
        });
        self.delivered.notify_one();
    }
}

fn panic_text(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default()
}

/// Calls `report_error`, turning a panic into a failure that says what causes it.
fn call(reporter: &Arc<TestReporter>, error: &str, place: &str) {
    let reporter = reporter.clone();
    let result = panic::catch_unwind(AssertUnwindSafe(|| report_error(reporter, error)));
    let Err(payload) = result else { return };
    let text = panic_text(&*payload);
    let why = if text.contains("within a runtime") {
        "It ran on a thread that drives a runtime's tasks, where building another runtime and \
         blocking on it is refused. Ask `Handle::try_current()` first: inside a runtime, \
         spawn the work on it and return"
    } else if text.contains("multi-threaded runtime") {
        "`block_in_place` panics on a current-thread runtime, the kind `#[tokio::test]` \
         builds by default. Inside a runtime, do not wait for the report: spawn it on the \
         caller's runtime and return"
    } else if text.contains("no reactor running") || text.contains("Tokio 1.x") {
        "Outside any runtime there is nothing to spawn on (`tokio::spawn`, \
         `Handle::current()`), and only a Tokio runtime can run Tokio's timers: when \
         `Handle::try_current()` says there is none, build one and `block_on` the report"
    } else {
        ""
    };
    // The panic's own message is printed above; its first sentence is enough here.
    let first = text.split(". ").next().unwrap_or_default();
    panic!("report_error({error:?}) {place} panicked ({first:?}). {why}");
}

#[test]
fn outside_a_runtime_the_report_is_sent_before_it_returns() {
    let reporter = TestReporter::new(true);
    call(&reporter, "config file missing", "outside any runtime");
    let n = reporter.count();
    assert_eq!(
        n, 1,
        "report_error returned, outside any runtime, with {n} reports sent; with no runtime to \
         run a task later, it must send the report before it returns"
    );
    call(&reporter, "cache dir not writable", "called a second time");
    let reports: Vec<String> = reporter
        .sent
        .lock()
        .unwrap()
        .iter()
        .map(|s| s.report.clone())
        .collect();
    assert_eq!(
        reports,
        [
            "error: config file missing",
            "error: cache dir not writable"
        ],
        "the reporter got {reports:?}"
    );
}

/// Calls `report_error` from inside the current runtime and checks that it returns before
/// the delivery, and that the delivery happens afterwards. Returns what was sent.
async fn inside(error: &str, place: &str) -> Sent {
    let reporter = TestReporter::new(false);
    let backstop = {
        let reporter = reporter.clone();
        let (cancel, cancelled) = std_mpsc::channel::<()>();
        std::thread::spawn(move || {
            if cancelled.recv_timeout(BACKSTOP).is_err() {
                reporter.open_gate();
            }
        });
        cancel
    };
    call(&reporter, error, place);
    let early = reporter.count();
    let _ = backstop.send(());
    assert_eq!(
        early, 0,
        "report_error, called {place}, returned only once the report had been delivered: it \
         waited for async work while holding a thread of the runtime. Inside a runtime, hand \
         the report to that runtime as a task (`handle.spawn`) and return at once"
    );
    reporter.open_gate();
    let delivered = reporter.delivered.notified();
    if reporter.count() == 0
        && tokio::time::timeout(Duration::from_secs(5), delivered)
            .await
            .is_err()
    {
        panic!(
            "report_error, called {place}, returned, but the report was never sent: was the \
             work handed to a runtime that runs it?"
        );
    }
    let sent = reporter.sent.lock().unwrap().pop().unwrap();
    let want = format!("error: {error}");
    assert_eq!(sent.report, want, "the reporter got {:?}", sent.report);
    sent
}

#[tokio::test]
async fn inside_a_current_thread_runtime_a_task_sends_it() {
    let sent = inside(
        "upstream timed out",
        "inside a current-thread runtime (the `#[tokio::test]` default)",
    )
    .await;
    assert_eq!(
        sent.thread,
        std::thread::current().id(),
        "the report was sent on another thread than the one running the caller's \
         current-thread runtime: by a runtime of its own. Inside a runtime, spawn the work on \
         the caller's runtime (`Handle::try_current()`): no extra threads or runtimes"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 3)]
async fn inside_a_multi_thread_runtime_a_task_sends_it() {
    let sent = inside(
        "replica lagging",
        "inside a multi-thread runtime (the `#[tokio::main]` default)",
    )
    .await;
    assert_eq!(
        sent.workers,
        Some(3),
        "the report was sent by a runtime with {:?} workers, not by the caller's runtime (3 \
         workers): by a runtime of its own. Inside a runtime, spawn the work on the caller's \
         runtime (`Handle::try_current()`)",
        sent.workers
    );
}
