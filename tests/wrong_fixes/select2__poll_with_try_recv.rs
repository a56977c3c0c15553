// expect: instead of waiting on both with `select!`
// Wrong fix: no select! at all: the shutdown and the queue are polled with try_recv every
// millisecond. The shutdown comes first, but serve is woken a thousand times for nothing.
// select2: let shutdown win
//
// When more than one branch of `tokio::select!` is ready at the same moment, which one wins?
// By default select! picks at random: it starts polling at a random branch each time. That
// is fair (a branch that is always ready cannot starve the others), but it means that
// nothing you write first is treated as more important.
//
// Sometimes one branch must win whenever it is ready. Write `biased;` as the first line
// inside `select!` and it polls the branches from top to bottom, every time:
//
//     tokio::select! {
//         biased;
//         _ = &mut must_win => ...,     // tried first, always
//         x = the_rest.recv() => ...,   // tried only when the first is not ready
//     }
//
// The price of `biased;` is fairness: a branch near the top that is always ready starves
// the branches below it. Put at the top the branches that are rarely ready and that matter
// most, such as a shutdown signal.
//
// `serve` below handles jobs until it is told to shut down. The rule: once shutdown has
// been signalled, it must not start another job, even if jobs are waiting in the queue (they
// stay there for the next run). As written, it sometimes starts one anyway.

use std::time::Duration;

use tokio::sync::{mpsc, oneshot};

// Handles one job; the sleep stands in for the work.
async fn handle(_job: u32) {
    tokio::time::sleep(Duration::from_millis(10)).await;
}

// Handles jobs until `shutdown` fires (or the job queue closes), and returns the jobs it
// handled, in order.
async fn serve(jobs: &mut mpsc::Receiver<u32>, mut shutdown: oneshot::Receiver<()>) -> Vec<u32> {
    let mut handled = Vec::new();
    loop {
        // `biased;` polls the branches in the order written, so the shutdown branch, on
        // top, wins whenever it is ready. A job is taken only when shutdown is not ready.
        if shutdown.try_recv().is_ok() {
            break;
        }
        match jobs.try_recv() {
            Ok(job) => {
                handle(job).await;
                handled.push(job);
            }
            Err(mpsc::error::TryRecvError::Disconnected) => break,
            Err(mpsc::error::TryRecvError::Empty) => {
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
        }
    }
    handled
}

#[tokio::main]
async fn main() {
    let (job_tx, mut job_rx) = mpsc::channel(16);
    for job in 1..=5 {
        job_tx.send(job).await.unwrap();
    }
    let (stop_tx, stop_rx) = oneshot::channel();
    stop_tx.send(()).unwrap();
    // Shutdown was signalled before serve started: no job should be handled.
    let handled = serve(&mut job_rx, stop_rx).await;
    println!("handled {handled:?}; {} left in the queue", job_rx.len());
}
