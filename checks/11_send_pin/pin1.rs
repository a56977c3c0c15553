// Mistakes learners make on a list of different futures, and how each is caught:
// - `Box<dyn Future>` without `Pin`: cannot be awaited (compile error).
// - no `+ Send`: the checks spawn `run_in_order` (compile error).
// - more bounds than the list needs (`+ Sync`, `+ Unpin`): other parts of the program add
//   their own steps, and one of them here is `Send` but not `Sync` (it keeps a `Cell` across
//   an await), so the list must not ask for `Sync` (compile error).
// - a `Step` type that only fits the three steps of the exercise (an enum of them): the checks
//   insert steps of their own (compile error).
// - running the steps at once (`join_all`) instead of one after another: the virtual time is
//   the sum of the steps, compared exactly.
// - starting the steps when the list is made (spawning them in `startup_steps`): steps made
//   100 ms before they are run still take their full time.
// - hard-coding: names, urls and cache sizes are not the exercise's.

use super::{Config, Step, run_in_order, startup_steps};

use std::cell::Cell;
use std::time::Duration;

use asynclings_support::watchdog;
use tokio::time::Instant;

const LIMIT: Duration = Duration::from_secs(10);

fn config(name: &str, database: &str, cache_entries: u64) -> Config {
    Config {
        name: name.to_string(),
        database: database.to_string(),
        cache_entries,
    }
}

/// Runs `steps` with `run_in_order` on a spawned task; returns the reports and the virtual
/// time it took.
async fn run_spawned(steps: Vec<Step>) -> (Vec<String>, Duration) {
    let start = Instant::now();
    // Spawning needs the steps to be `Send` and to own what they use (`'static`).
    let task = tokio::spawn(run_in_order(steps));
    let reports: Vec<String> = watchdog(LIMIT, "run_in_order", task)
        .await
        .expect("the start-up task panicked");
    (reports, start.elapsed())
}

fn assert_run(got: &[String], took: Duration, expected: &[&str], steps_ms: &[u64]) {
    assert_eq!(
        got, expected,
        "the start-up reported {got:?}; expected every step's report, in the order of the list"
    );
    let sum = Duration::from_millis(steps_ms.iter().sum());
    assert_eq!(
        took, sum,
        "steps of {steps_ms:?} ms took {took:?} of virtual time; one after another they take \
         {sum:?}: each step must start only when the one before it is done"
    );
}

#[tokio::test(start_paused = true)]
async fn the_steps_run_in_order_on_a_spawned_task() {
    let config = config("billing", "sqlite://ledger.db", 45);
    let steps = startup_steps(&config);
    drop(config);
    let (got, took) = run_spawned(steps).await;
    assert_run(
        &got,
        took,
        &[
            "database sqlite://ledger.db open",
            "cache warmed with 45 entries",
            "billing is up",
        ],
        &[30, 45, 5],
    );
}

#[tokio::test(start_paused = true)]
async fn other_parts_of_the_program_add_their_own_steps() {
    let config = config("search", "redis://index", 0);
    let mut steps = startup_steps(&config);
    let shards = 3;
    steps.insert(
        1,
        Box::pin(async move {
            tokio::time::sleep(Duration::from_millis(12)).await;
            format!("{shards} shards loaded")
        }),
    );
    steps.push(Box::pin(std::future::ready(
        "health check passed".to_string(),
    )));
    // A step that is `Send` but not `Sync`: it keeps a `Cell` across an await.
    steps.push(Box::pin(async {
        let retries = Cell::new(0u32);
        tokio::time::sleep(Duration::from_millis(7)).await;
        retries.set(retries.get() + 2);
        format!("metrics flushed after {} retries", retries.get())
    }));
    let (got, took) = run_spawned(steps).await;
    assert_run(
        &got,
        took,
        &[
            "database redis://index open",
            "3 shards loaded",
            "cache warmed with 0 entries",
            "search is up",
            "health check passed",
            "metrics flushed after 2 retries",
        ],
        &[30, 12, 0, 5, 0, 7],
    );
}

#[tokio::test(start_paused = true)]
async fn making_the_steps_starts_nothing() {
    let config = config("mail", "mysql://mx", 10);
    let start = Instant::now();
    let steps = startup_steps(&config);
    tokio::time::sleep(Duration::from_millis(100)).await;
    let (got, took): (Vec<String>, Duration) = run_spawned(steps).await;
    assert_eq!(
        (got.len(), took, start.elapsed()),
        (3, Duration::from_millis(45), Duration::from_millis(145)),
        "steps made 100ms before they were run still took their full time once run: futures do \
         nothing until polled. (Got {} reports after {took:?})",
        got.len()
    );
}
