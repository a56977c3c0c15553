// expect: Running the job in place with `block_in_place`
// send2: promising what `tokio::spawn` needs
//
// Inside a generic function, the compiler knows about a type parameter only what its bounds
// say: nothing more. `tokio::spawn` has demands:
//
//     pub fn spawn<F>(future: F) -> JoinHandle<F::Output>
//     where
//         F: Future + Send + 'static,
//         F::Output: Send + 'static,
//
// so a helper that takes any `F: Future` and spawns it does not compile: for all the
// compiler knows, `F` might hold an `Rc` (not `Send`) or borrow a local (not `'static`). The
// helper has to make the same promises in its own signature. Then each caller is checked at
// its call: an `async move` block that owns what it uses passes; one that borrows a local,
// or holds an `Rc` across an `.await`, is refused right there, with an error that names the
// bound it fails.
//
//     F: Send          the future may move to another thread between two polls
//     F: 'static       it borrows nothing that could end before it does
//     F::Output: ...   the output travels back through the `JoinHandle`, maybe from another
//                      thread, and is kept until someone awaits the handle
//
// `spawn_timed` below runs a job on a task of its own and logs how long it took. Give it the
// bounds that `tokio::spawn` needs.

use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::task::JoinHandle;
use tokio::time::{Instant, sleep};

/// A log of finished jobs and how long each took, shared by the tasks that write to it.
#[derive(Clone, Default)]
struct JobLog(Arc<Mutex<Vec<(&'static str, Duration)>>>);

impl JobLog {
    fn record(&self, name: &'static str, took: Duration) {
        self.0.lock().unwrap().push((name, took));
    }

    fn entries(&self) -> Vec<(&'static str, Duration)> {
        self.0.lock().unwrap().clone()
    }
}

/// Starts `job` on a task of its own and returns its handle; when the job is done, records
/// its name in `log` with the time it took.
fn spawn_timed<F>(log: &JobLog, name: &'static str, job: F) -> JoinHandle<F::Output>
where
    // The same promises `tokio::spawn` asks for: with them in the signature, the body
    // compiles for every `F`, and each caller is checked against them at its call instead.
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    // Run the job right here, then hand back a handle to its output.
    let start = Instant::now();
    let output = tokio::task::block_in_place(|| futures::executor::block_on(job));
    log.record(name, start.elapsed());
    tokio::spawn(async move { output })
}

async fn checksum(data: Vec<u8>) -> u32 {
    sleep(Duration::from_millis(40)).await;
    data.iter().map(|&b| u32::from(b)).sum()
}

#[tokio::main]
async fn main() {
    let log = JobLog::default();
    let sum = spawn_timed(&log, "checksum", checksum(vec![1, 2, 3, 250]));
    let greeting = spawn_timed(&log, "greeting", async {
        sleep(Duration::from_millis(25)).await;
        String::from("hello")
    });
    println!("{} {}", sum.await.unwrap(), greeting.await.unwrap());
    println!("{:?}", log.entries());
}
