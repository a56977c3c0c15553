// expect: Requests still in flight when shutdown returns are lost
// Wrong fix: the tracker is closed, but nothing waits for it.
// cancel6: finish what you started before you shut down
//
// A server typically spawns one task per request and forgets about it: the task handles the
// request and ends. Forgetting is fine while the program runs. At shutdown it is not: when
// `main` returns, the runtime is dropped, and every task still running is dropped at its
// current `.await`. Requests that were half handled are simply abandoned: a reply never
// sent, a write never flushed.
//
// A graceful shutdown has two steps: stop taking new work, then wait for the work in flight.
// To wait for it you need to know which tasks are still running. `TaskTracker`
// (tokio_util::task) keeps that count for you:
//
//     let tracker = TaskTracker::new();
//     tracker.spawn(async { ... });      // like tokio::spawn, but the tracker counts the task
//     ...
//     tracker.close();                   // no more tasks are coming
//     tracker.wait().await;              // ready once it is closed AND every task has ended
//
// Unlike a `Vec` of `JoinHandle`s, a tracker does not grow with every request ever handled:
// it forgets tasks as they end. `wait` only returns after `close`, so that a shutdown cannot
// slip in between two spawns and miss the second one.
//
// `Server::shutdown` below returns at once, and the requests still in flight never reach
// the store. Make it wait for them.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::sleep;
use tokio_util::task::TaskTracker;

struct Request {
    id: u32,
    work: Duration,
}

// Where handled requests are flushed to, in the order they finish.
#[derive(Default)]
struct Store {
    flushed: Mutex<Vec<u32>>,
}

async fn handle(request: Request, store: Arc<Store>) {
    sleep(request.work).await;
    store.flushed.lock().unwrap().push(request.id);
}

struct Server {
    store: Arc<Store>,
    tasks: TaskTracker,
}

impl Server {
    fn new(store: Arc<Store>) -> Self {
        Self {
            store,
            tasks: TaskTracker::new(),
        }
    }

    // Starts handling `request` in a task of its own and returns at once.
    fn accept(&self, request: Request) {
        // The tracker counts the task until it ends, so shutdown knows what is in flight.
        self.tasks.spawn(handle(request, self.store.clone()));
    }

    // Shuts the server down: returns once every request it accepted has been flushed.
    async fn shutdown(self) {
        // Closing says no more tasks are coming; `wait` is then ready once the last tracked
        // task has ended, that is once every accepted request has been flushed.
        self.tasks.close();
    }
}

#[tokio::main]
async fn main() {
    let store = Arc::new(Store::default());
    let server = Server::new(store.clone());
    for id in 1..=3 {
        let work = Duration::from_millis(100 * u64::from(id));
        server.accept(Request { id, work });
    }
    server.shutdown().await;
    println!("flushed before exit: {:?}", store.flushed.lock().unwrap());
}
