use super::*;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::{Instant, sleep};

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// Starts a crew of `n` with `period`, shuts it down after `run_for`, and checks the outcome.
async fn run_crew(n: usize, period: u64, run_for: u64) {
    let work_done = Arc::new(AtomicUsize::new(0));
    let reports = Arc::new(Mutex::new(Vec::new()));
    let crew = start_crew(n, ms(period), work_done.clone(), reports.clone());
    sleep(ms(run_for)).await;

    let asked = Instant::now();
    tokio::time::timeout(Duration::from_secs(10), crew.shutdown())
        .await
        .unwrap_or_else(|_| {
            panic!(
                "Crew::shutdown had not returned 10s of virtual time after it was called: the \
                 workers never leave their loops, so awaiting them never ends. Give each worker a \
                 clone of the token, select! on `token.cancelled()` next to the sleep, and call \
                 `token.cancel()` in shutdown before awaiting the workers"
            )
        });
    let took = asked.elapsed();

    let units = (run_for / period) as usize;
    assert_eq!(
        took,
        Duration::ZERO,
        "with {n} workers doing a unit every {period}ms, shutdown at {run_for}ms took {took:?} of \
         virtual time to stop them; they should stop the moment they are asked. A worker that \
         looks at a flag only between sleeps notices late: select! on `token.cancelled()` next \
         to the sleep"
    );
    let done = work_done.load(Ordering::SeqCst);
    assert_eq!(
        done,
        n * units,
        "{n} workers doing a unit every {period}ms, shut down at {run_for}ms, did {done} units in \
         all; expected {units} each, {} in all. Does a worker finish another unit after it was \
         asked to stop?",
        n * units
    );
    let mut got = reports.lock().unwrap().clone();
    got.sort();
    let mut expected: Vec<String> = (0..n)
        .map(|id| format!("worker {id} stopped after {units} units"))
        .collect();
    expected.sort();
    assert_eq!(
        got, expected,
        "after shutdown the workers reported {got:?}; expected every worker's report. A worker \
         that is aborted (or dropped) stops at its `.await` and never reaches its report: ask it \
         to stop with the token instead, so it leaves its loop itself"
    );
    let alive = tokio::runtime::Handle::current()
        .metrics()
        .num_alive_tasks();
    assert_eq!(
        alive, 0,
        "after shutdown returned, {alive} task(s) are still alive; shutdown should wait for \
         every worker"
    );
}

#[tokio::test(start_paused = true)]
async fn shutdown_stops_every_worker_at_once() {
    run_crew(6, 45, 200).await;
}

#[tokio::test(start_paused = true)]
async fn a_late_shutdown_stops_them_too() {
    run_crew(2, 70, 500).await;
}

#[tokio::test(start_paused = true)]
async fn an_immediate_shutdown_means_no_work() {
    run_crew(3, 30, 0).await;
}
