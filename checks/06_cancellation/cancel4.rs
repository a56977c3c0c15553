// Checks for cancel4: asking tasks to stop.
//
// Mistakes a learner makes on this idea, and how each is caught:
// - Aborting the workers (or dropping them) instead of asking: they stop at an `.await` and
//   never say goodbye or report; the reports are compared.
// - A flag looked at once per turn, between sleeps: noticed only when the turn's sleep ends;
//   shutdown must take exactly the goodbye time, not more.
// - A flag polled in a busy loop (`yield_now`): the runtime is never idle, so the paused
//   clock never moves; a real-time alarm (2s on a std thread, far beyond what a correct
//   crew needs) ends the check with a message that names the busy loop.
// - Cancelling and then not waiting for the workers (returning at once, or after one
//   `yield_now`): every worker says goodbye for a while (a duration the checks choose), so
//   an early return leaves tasks alive and reports missing; the alive-task count and the
//   virtual time show it.
// - A worker that finishes one more unit after being asked: units are counted exactly.
// - Hard-coding: crew sizes, periods and goodbye times are the checks' own.

use super::start_crew;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use asynclings_support::timeline::{self, Timeline};
use tokio::time::{Instant, sleep};

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// Ready after `after` of real (wall-clock) time, measured on a thread of its own.
async fn real_time_alarm(after: Duration) {
    let (tx, rx) = tokio::sync::oneshot::channel();
    std::thread::spawn(move || {
        std::thread::sleep(after);
        let _ = tx.send(());
    });
    let _ = rx.await;
}

/// Runs a crew scenario, failing with a lesson if the paused clock is frozen by a busy loop.
async fn run_crew(n: usize, period: u64, goodbye: u64, run_for: u64) {
    tokio::select! {
        biased;
        () = crew_scenario(n, period, goodbye, run_for) => {}
        () = real_time_alarm(Duration::from_secs(2)) => panic!(
            "with {n} workers doing a unit every {period}ms, the check did not get past \
             {run_for}ms of virtual time in 2s of real time: the clock is frozen. Under the \
             paused test clock, time moves only when every task is waiting; a task that spins \
             in a loop (checking a flag or `is_cancelled()` and calling `yield_now`) is always \
             ready, so no sleep ever ends. Wait on `token.cancelled()` in the select! instead \
             of polling"
        ),
    }
}

/// Starts a crew of `n` with `period` and `goodbye`, shuts it down after `run_for`, and checks
/// the outcome.
async fn crew_scenario(n: usize, period: u64, goodbye: u64, run_for: u64) {
    let recorded = Timeline::new();
    let work_done = Arc::new(AtomicUsize::new(0));
    let reports: Arc<Mutex<Vec<String>>> = Arc::new(Mutex::new(Vec::new()));
    let crew = start_crew(
        n,
        ms(period),
        ms(goodbye),
        work_done.clone(),
        reports.clone(),
    );
    sleep(ms(run_for)).await;

    let asked = Instant::now();
    // While shutdown runs, the checks note each report and each unit of work done (after
    // each poll of shutdown: the workers are the learner's).
    let (units_before, mut seen) = (work_done.load(Ordering::SeqCst), (0, 0));
    recorded.declare_instants("report");
    let shutting_down = timeline::observe(crew.shutdown(), || {
        let reported = reports.lock().unwrap().len();
        let units = work_done.load(Ordering::SeqCst) - units_before;
        for _ in seen.0..reported {
            recorded.instant("report");
        }
        for _ in seen.1..units {
            recorded.instant("late unit");
        }
        seen = (reported, units);
    });
    tokio::time::timeout(Duration::from_secs(10), shutting_down)
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
    recorded.span_at("shutdown", ms(run_for), ms(run_for) + took);
    // Every worker stops the moment it is asked, and reports after its goodbye.
    let wanted = Timeline::new();
    wanted.span_at("shutdown", ms(run_for), ms(run_for + goodbye));
    for _ in 0..n {
        wanted.instant_at("report", ms(run_for + goodbye));
    }

    let alive = tokio::runtime::Handle::current()
        .metrics()
        .num_alive_tasks();
    assert_eq!(
        alive, 0,
        "shutdown returned after {took:?} of virtual time, but {alive} worker task(s) are still \
         alive: each worker needs {goodbye}ms to say goodbye after it is asked to stop, and \
         shutdown should return only once every worker has finished. After `token.cancel()`, \
         await every JoinHandle (a `yield_now` gives the workers one turn, not the time they \
         need)"
    );
    let units = (run_for / period) as usize;
    let mut got = reports.lock().unwrap().clone();
    got.sort();
    let mut expected: Vec<String> = (0..n)
        .map(|id| format!("worker {id} stopped after {units} units"))
        .collect();
    expected.sort();
    if got.len() < n {
        panic!(
            "after shutdown the workers reported {got:?}; expected every worker's report: \
             {expected:?}. A worker that is aborted (or dropped) stops at its `.await` and never \
             says goodbye or reports: ask it to stop with the token instead, so it leaves its \
             loop itself"
        );
    }
    timeline::assert_eq(took, ms(goodbye), &recorded, Some(&wanted), || {
        format!(
            "with {n} workers doing a unit every {period}ms and saying goodbye in {goodbye}ms, \
             shutdown at {run_for}ms took {took:?} of virtual time; the workers should stop the \
             moment they are asked and say goodbye at the same time, so shutdown takes \
             {goodbye}ms. A worker that looks at a flag only between sleeps notices late: \
             select! on `token.cancelled()` next to the sleep"
        )
    });
    let done = work_done.load(Ordering::SeqCst);
    timeline::assert_eq(done, n * units, &recorded, Some(&wanted), || {
        format!(
            "{n} workers doing a unit every {period}ms, shut down at {run_for}ms, did {done} \
             units in all; expected {units} each, {} in all. Does a worker finish another unit \
             after it was asked to stop?",
            n * units
        )
    });
    assert_eq!(
        got, expected,
        "after shutdown the workers reported {got:?}; expected {expected:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn shutdown_stops_every_worker_at_once() {
    run_crew(6, 45, 13, 200).await;
}

#[tokio::test(start_paused = true)]
async fn a_late_shutdown_stops_them_too() {
    run_crew(2, 70, 8, 500).await;
}

#[tokio::test(start_paused = true)]
async fn an_immediate_shutdown_means_no_work() {
    run_crew(3, 30, 21, 0).await;
}
