// expect: only once the report had been delivered
// Wrong fix: `futures::executor::block_on` does not panic inside a runtime, but it blocks the thread.
// runtimes2: one function, inside a runtime and outside one
//
// A synchronous function that needs async work done has two very different callers:
//
// - synchronous code with no runtime anywhere near (a command-line tool, a plain thread,
//   a plain `#[test]`): nothing would ever poll a task, so the function must build a runtime
//   and `block_on` the work itself (01_async_fn), blocking is fine there;
// - synchronous code that runs *inside* a runtime: a callback or a trait method (`Drop`,
//   `Display`, a logger) called from an async task. Here building a second runtime and blocking
//   on it panics:
//
//       Cannot start a runtime from within a runtime. This happens because a function
//       (like `block_on`) attempted to block the current thread while the thread is being
//       used to drive asynchronous tasks.
//
//   The thread belongs to the runtime; blocking it would stall every task queued on it.
//
// `tokio::runtime::Handle::try_current()` tells the two apart: `Ok(handle)` on a thread that
// runs a runtime's tasks, `Err(..)` elsewhere. Inside, hand the work to that runtime as a task
// (`handle.spawn(..)`) and return at once; outside, build a runtime and block on it.
// (`Handle::current()` is the same lookup but panics outside a runtime.)
//
// What about `block_in_place(|| handle.block_on(..))` to wait inside? It works only on a
// multi-thread runtime and panics on a current-thread one, such as the one `#[tokio::test]`
// builds by default (runtimes1). A function that must work under every caller should not
// wait for async work from inside a runtime at all.
//
// `report_error` below works in the command-line tool and panics in the server. Make it work
// in both.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::runtime::Builder;

/// The error-report service. (The checks bring their own.)
trait Reporter: Send + Sync + 'static {
    fn send(&self, report: String) -> impl Future<Output = ()> + Send;
}

/// Sends a report of `error`. Synchronous: called from code with no runtime (then the report is
/// sent before it returns) and from code running inside a runtime (then a task on that runtime
/// sends it, and it returns at once).
fn report_error<R: Reporter>(reporter: Arc<R>, error: &str) {
    let report = format!("error: {error}");
    match tokio::runtime::Handle::try_current() {
        Ok(_) => futures::executor::block_on(reporter.send(report)),
        Err(_) => Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("failed to build a runtime")
            .block_on(reporter.send(report)),
    }
}

/// A pretend report service.
struct Console;

impl Reporter for Console {
    async fn send(&self, report: String) {
        tokio::time::sleep(Duration::from_millis(10)).await;
        println!("reported: {report}");
    }
}

fn main() {
    let reporter = Arc::new(Console);
    // The command-line tool: no runtime.
    report_error(reporter.clone(), "config file missing");
    // The server: a synchronous callback called from inside an async task.
    let server = Builder::new_multi_thread().enable_all().build().unwrap();
    server.block_on(async {
        let on_failure = |error: &str| report_error(reporter.clone(), error);
        on_failure("upstream timed out");
        tokio::time::sleep(Duration::from_millis(50)).await;
    });
}
