use super::*;

use std::time::Duration;

use asynclings_support::watchdog;
use tokio::sync::{mpsc, oneshot};
use tokio::time::{Instant, sleep};

const LIMIT: Duration = Duration::from_secs(10);
const ROUNDS: u32 = 64;

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

// Shutdown is already signalled, and jobs are already queued, when serve starts: both
// branches are ready at the first poll. Random choice would pick the job about half the time,
// so 64 rounds without a single job handled means shutdown truly comes first.
#[tokio::test(start_paused = true)]
async fn shutdown_wins_in_every_round() {
    let mut rounds_with_jobs = Vec::new();
    let mut all_handled_every_time = true;
    for round in 0..ROUNDS {
        let queued = 1 + round % 6;
        let (job_tx, mut job_rx) = mpsc::channel(16);
        for i in 0..queued {
            job_tx.send(round * 100 + i).await.unwrap();
        }
        let (stop_tx, stop_rx) = oneshot::channel();
        stop_tx.send(()).unwrap();

        let handled = watchdog(LIMIT, "serve", serve(&mut job_rx, stop_rx)).await;
        if !handled.is_empty() {
            rounds_with_jobs.push((round, handled.len(), queued));
        }
        all_handled_every_time &= handled.len() == queued as usize;
        drop(job_tx);
    }
    if rounds_with_jobs.is_empty() {
        return;
    }
    let (round, n, queued) = rounds_with_jobs[0];
    let why = if all_handled_every_time {
        "It handled every queued job before it noticed the shutdown, every time: with `biased;` \
         the branches are tried in the order they are written. Is the shutdown branch first?"
    } else {
        "When several branches are ready, `select!` picks one at random; write `biased;` at the \
         top of the select! and put the shutdown branch first, so it wins whenever it is ready"
    };
    panic!(
        "shutdown was signalled before serve started, yet serve started jobs anyway in {} of \
         {ROUNDS} rounds (in round {round} it handled {n} of the {queued} queued jobs); it \
         should handle none. {why}",
        rounds_with_jobs.len()
    );
}

// Jobs take 10ms each and shutdown comes at 35ms, during the fourth job: serve finishes the
// job in hand and then stops, at 40ms, although 16 more jobs are queued.
#[tokio::test(start_paused = true)]
async fn shutdown_during_a_job_stops_serve_after_that_job() {
    for attempt in 0..8 {
        let (job_tx, mut job_rx) = mpsc::channel(32);
        let jobs: Vec<u32> = (0..20).map(|i| 7 * i + 3 + attempt).collect();
        for &job in &jobs {
            job_tx.send(job).await.unwrap();
        }
        let (stop_tx, stop_rx) = oneshot::channel();
        tokio::spawn(async move {
            sleep(ms(35)).await;
            let _ = stop_tx.send(());
        });

        let start = Instant::now();
        let handled = watchdog(LIMIT, "serve", serve(&mut job_rx, stop_rx)).await;
        let took = start.elapsed();
        assert_eq!(
            handled,
            jobs[..4],
            "with 10ms jobs and shutdown signalled at 35ms, serve handled {handled:?}; expected \
             the first four jobs: the one in hand when shutdown came is finished, and no other \
             is started after it"
        );
        assert_eq!(
            took,
            ms(40),
            "serve returned after {took:?} of virtual time; it should finish the job in hand \
             (at 40ms) and stop"
        );
    }
}

// Without a shutdown, serve handles every job, in order, until the queue closes.
#[tokio::test(start_paused = true)]
async fn without_shutdown_every_job_is_handled_in_order() {
    let (job_tx, mut job_rx) = mpsc::channel(4);
    let (_stop_tx, stop_rx) = oneshot::channel::<()>();
    tokio::spawn(async move {
        for (job, gap) in [(41, 0), (8, 25), (19, 3), (77, 60), (52, 0)] {
            sleep(ms(gap)).await;
            job_tx.send(job).await.unwrap();
        }
    });

    let start = Instant::now();
    let handled = watchdog(LIMIT, "serve", serve(&mut job_rx, stop_rx)).await;
    let took = start.elapsed();
    assert_eq!(
        handled,
        [41, 8, 19, 77, 52],
        "with no shutdown signal, serve handled {handled:?}; expected every job in the order \
         it arrived"
    );
    assert_eq!(
        took,
        ms(108),
        "serve took {took:?} of virtual time to handle five jobs arriving at 0, 25, 28, 88 and \
         88ms (10ms each); expected it to return at 108ms, when the queue closed"
    );
}
