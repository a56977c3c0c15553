// cancel4: asking tasks to stop
//
// A spawned task runs until its future finishes. A worker that loops forever never finishes,
// and waiting for it (awaiting its `JoinHandle`) waits forever. To stop it you can:
//
//   - abort it (`JoinHandle::abort`, 04_spawn): it is dropped at its current `.await`. Quick,
//     but nothing after that `.await` runs, so it cannot finish its current step, report,
//     or clean up beyond what its `Drop`s do;
//   - ASK it to stop, and let it leave its loop its own way.
//
// Asking needs a signal the worker can wait on while it waits for other things. A
// `CancellationToken` (tokio_util::sync) is that signal: clone it into every worker; one
// `token.cancel()` and every `token.cancelled()` future of every clone becomes ready. A
// worker selects on it next to its own work, so it notices at once, even in the middle of a
// long wait:
//
//     loop {
//         tokio::select! {
//             _ = token.cancelled() => break,      // asked to stop: leave the loop
//             _ = sleep(period) => do_one_unit(),
//         }
//     }
//     say_goodbye();                               // runs, because we left the loop ourselves
//
// (A shared `AtomicBool` checked once per turn notices only when the turn's wait is over; an
// `AtomicBool` checked in a spinning loop keeps the thread busy doing nothing. The token
// wakes the workers instead.)
//
// `Crew::shutdown` below should stop every worker and return once all of them have stopped
// and reported. Right now the workers never stop, so shutdown never returns.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::task::JoinHandle;
use tokio::time::sleep;
use tokio_util::sync::CancellationToken;

struct Crew {
    token: CancellationToken,
    workers: Vec<JoinHandle<()>>,
}

// Starts `n` workers. Each does one unit of work every `period` (adding 1 to `work_done`)
// until the crew is shut down; then it says goodbye (hands over what it has, which takes
// `goodbye`) and reports how many units it did.
fn start_crew(
    n: usize,
    period: Duration,
    goodbye: Duration,
    work_done: Arc<AtomicUsize>,
    reports: Arc<Mutex<Vec<String>>>,
) -> Crew {
    let token = CancellationToken::new();
    let workers = (0..n)
        .map(|id| {
            // TODO: give each worker a clone of the token.
            tokio::spawn(worker(
                id,
                period,
                goodbye,
                work_done.clone(),
                reports.clone(),
            ))
        })
        .collect();
    Crew { token, workers }
}

async fn worker(
    id: usize,
    period: Duration,
    goodbye: Duration,
    work_done: Arc<AtomicUsize>,
    reports: Arc<Mutex<Vec<String>>>,
) {
    let mut units = 0;
    // TODO: this loop never ends. Leave it as soon as the token is cancelled, even in the
    // middle of the sleep.
    loop {
        sleep(period).await;
        units += 1;
        work_done.fetch_add(1, Ordering::SeqCst);
    }
    // Saying goodbye takes a while: whoever stops the crew must wait for it.
    sleep(goodbye).await;
    reports
        .lock()
        .unwrap()
        .push(format!("worker {id} stopped after {units} units"));
}

impl Crew {
    // Stops every worker, and returns once all of them have stopped (said goodbye and
    // reported).
    async fn shutdown(self) {
        // TODO: ask the workers to stop before waiting for them.
        for worker in self.workers {
            worker.await.unwrap();
        }
    }
}

#[tokio::main]
async fn main() {
    let work_done = Arc::new(AtomicUsize::new(0));
    let reports = Arc::new(Mutex::new(Vec::new()));
    let crew = start_crew(
        3,
        Duration::from_millis(100),
        Duration::from_millis(20),
        work_done.clone(),
        reports.clone(),
    );
    sleep(Duration::from_millis(350)).await;
    crew.shutdown().await;
    println!("{} units of work done", work_done.load(Ordering::SeqCst));
    for report in reports.lock().unwrap().iter() {
        println!("{report}");
    }
}
