// Checks for spawn6: a runaway task is stopped with `abort()` and awaited.
//
// Mistakes a learner makes here, and how each is caught:
// - the handle dropped (the shipped bug): the task runs on; its drop guard is not dropped
//   when stop_ticker returns, and the ticker reports after the work is done.
// - `abort()` without awaiting the handle: abort is a request, so the task's future may not
//   have been dropped yet when stop_ticker returns; the drop guard says whether it was.
// - the handle awaited without `abort()`: the ticker never ends; the watchdog fires.
// - `.unwrap()` on the awaited handle: the cancelled task's `JoinError` becomes a panic,
//   reported as such.
// - an `Ok(())` made up instead of what the handle reported: the result must be the
//   `JoinError` with `is_cancelled()`.

use super::{stop_ticker, with_progress};

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use asynclings_support::timeline::{self, Timeline};
use asynclings_support::{DropFlag, EventLog, watchdog};
use tokio::task::{JoinError, JoinHandle};
use tokio::time::sleep;

const LIMIT: Duration = Duration::from_secs(10);

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// Runs `stop_ticker` on a task of its own, so that a panic inside it is reported with a
/// message. Returns its result and whether `dropped` was set the moment it returned.
async fn stop(ticker: JoinHandle<()>, dropped: Arc<AtomicBool>) -> (Result<(), JoinError>, bool) {
    let task = tokio::spawn(async move {
        let result: Result<(), JoinError> = stop_ticker(ticker).await;
        (result, dropped.load(Ordering::SeqCst))
    });
    match watchdog(LIMIT, "stop_ticker", task).await {
        Ok(outcome) => outcome,
        Err(err) if err.is_panic() => panic!(
            "stop_ticker panicked: awaiting an aborted task gives `Err(JoinError)` with \
             `is_cancelled()`. That is the expected outcome here, not a failure to unwrap: \
             return it"
        ),
        Err(err) => panic!("the stop_ticker task failed: {err}"),
    }
}

#[tokio::test(start_paused = true)]
async fn stop_ticker_cancels_the_task_and_waits_for_it() {
    let (guard, dropped) = DropFlag::new();
    let ticker = tokio::spawn(async move {
        let _guard = guard;
        loop {
            sleep(ms(7)).await;
        }
    });
    sleep(ms(50)).await;
    let (result, gone) = stop(ticker, dropped).await;
    assert!(
        gone,
        "the ticker task was still there when stop_ticker returned: dropping a JoinHandle \
         leaves its task running, and `abort()` only asks the runtime to cancel it. Abort, then \
         await the handle: it returns once the task is gone"
    );
    assert!(
        matches!(&result, Err(err) if err.is_cancelled()),
        "stop_ticker returned {result:?}; a task stopped with `abort()` reports \
         `Err(JoinError)` with `is_cancelled()` when its handle is awaited: return what the \
         handle gave"
    );
}

#[tokio::test(start_paused = true)]
async fn no_ticks_after_the_work_is_done() {
    let log = EventLog::new();
    let recorded = Timeline::new();
    let (guard, dropped) = DropFlag::new();
    let ticks = log.clone();
    let work = async {
        let _span = recorded.span("work");
        sleep(ms(430)).await;
        "done"
    };
    let output: &str = watchdog(
        LIMIT,
        "with_progress",
        with_progress(work, move || {
            let _keep = &guard;
            ticks.record("tick");
        }),
    )
    .await;
    assert_eq!(
        output, "done",
        "with_progress should return the work's output"
    );
    assert!(
        dropped.load(Ordering::SeqCst),
        "the ticker task (and the `report` closure it owns) was still alive when \
         with_progress returned: stop it and wait for it to be gone"
    );
    sleep(ms(1_000)).await;
    let times: Vec<Duration> = log.timed_events().into_iter().map(|(at, _)| at).collect();
    recorded.declare_instants("tick");
    for &at in &times {
        recorded.instant_at("tick", at);
    }
    recorded.end_at(ms(1_430));
    let expected = Timeline::new();
    expected.span_at("work", Duration::ZERO, ms(430));
    for at in [100, 200, 300, 400] {
        expected.instant_at("tick", ms(at));
    }
    expected.end_at(ms(1_430));
    timeline::assert_eq(
        times.clone(),
        vec![ms(100), ms(200), ms(300), ms(400)],
        &recorded,
        Some(&expected),
        || {
            format!(
                "the ticker reported at {times:?} of virtual time; the work took 430ms, so it \
                 should report at 100, 200, 300 and 400ms and never again: is the ticker stopped?"
            )
        },
    );
}
