// Mistakes learners make on the bounds a spawning helper must promise, and how each is
// caught:
// - no bounds, or `Send` without `'static`, or no bounds on the output: does not compile
//   (the body's `tokio::spawn` needs them).
// - `spawn_local` to dodge `Send`: panics outside a `LocalSet`; the message says why.
// - running the job in place (awaiting it, or a `block_on`) instead of on its own task: the
//   four jobs must take 70 ms together, and a job must run without its handle being awaited.
// - a log that is wrong or missing entries: compared exactly, as plain values.
// - checks call `spawn_timed` with jobs of every kind the exercise does not show (an async
//   fn, an `async move` block with an `Arc`, a unit future, a ready future).

use super::{JobLog, spawn_timed};

use std::collections::HashMap;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Duration;

use asynclings_support::watchdog;
use tokio::task::JoinHandle;
use tokio::time::{Instant, sleep};

const LIMIT: Duration = Duration::from_secs(10);

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// Calls `spawn_timed`, turning a panic in it into a message that says what it means.
fn start<F>(log: &JobLog, name: &'static str, job: F) -> JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    match std::panic::catch_unwind(AssertUnwindSafe(|| spawn_timed(log, name, job))) {
        Ok(handle) => handle,
        Err(panic) => {
            let message = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            let why = if message.contains("LocalSet") || message.contains("spawn_local") {
                "The jobs here are `Send`: promise `Send + 'static` in the bounds and hand them \
                 to `tokio::spawn`. (`spawn_local` is for futures that must stay on one thread, \
                 inside a `LocalSet`.)"
            } else if message.contains("blocking") {
                "Running the job in place with `block_in_place` (or any `block_on`) blocks the \
                 caller's thread until the job is done; on this current-thread runtime it is not \
                 even allowed. Hand the job to `tokio::spawn` and return its handle"
            } else {
                "`spawn_timed` should only start the job on a task of its own (`tokio::spawn`) \
                 and return the handle"
            };
            panic!("spawn_timed({name:?}, ..) panicked: \"{message}\". {why}")
        }
    }
}

async fn word_lengths(words: Vec<String>) -> HashMap<String, usize> {
    sleep(ms(70)).await;
    words.into_iter().map(|w| (w.clone(), w.len())).collect()
}

#[tokio::test(start_paused = true)]
async fn jobs_of_every_kind_run_on_their_own_tasks() {
    let log = JobLog::default();
    let shared = Arc::new(vec![3u64, 5, 7, 11]);
    let begin = Instant::now();

    // An async fn that owns its argument, with an output that is a map.
    let lengths = start(
        &log,
        "lengths",
        word_lengths(vec!["ox".to_string(), "heron".to_string()]),
    );
    // An `async move` block sharing an `Arc`.
    let product = start(&log, "product", {
        let shared = Arc::clone(&shared);
        async move {
            sleep(ms(20)).await;
            shared.iter().product::<u64>()
        }
    });
    // A future with no output at all.
    let nothing = start(&log, "nothing", async { sleep(ms(45)).await });
    // A job that is already done.
    let ready = start(&log, "ready", std::future::ready('x'));

    let (lengths, product, (), ready): (HashMap<String, usize>, u64, (), char) =
        watchdog(LIMIT, "the spawned jobs", async {
            tokio::try_join!(lengths, product, nothing, ready)
        })
        .await
        .expect("a job panicked");
    assert_eq!(
        (lengths.get("heron"), product, ready),
        (Some(&5), 1155, 'x'),
        "the jobs' outputs did not come back through their handles unchanged"
    );
    assert_eq!(
        begin.elapsed(),
        ms(70),
        "four jobs of at most 70ms, each on its own task, took {:?} of virtual time together: \
         do they run one after another?",
        begin.elapsed()
    );
    let mut entries: Vec<(&'static str, Duration)> = log.entries();
    entries.sort();
    assert_eq!(
        entries,
        vec![
            ("lengths", ms(70)),
            ("nothing", ms(45)),
            ("product", ms(20)),
            ("ready", ms(0)),
        ],
        "the log should hold each job once, with the virtual time it took"
    );
}

#[tokio::test(start_paused = true)]
async fn a_job_starts_without_being_awaited() {
    let log = JobLog::default();
    let handle = start(&log, "unwatched", async { sleep(ms(15)).await });
    sleep(ms(50)).await;
    let entries: Vec<(&'static str, Duration)> = log.entries();
    assert_eq!(
        entries,
        vec![("unwatched", ms(15))],
        "a job given to spawn_timed should run on its own task, whether or not anyone awaits \
         its handle"
    );
    handle.await.unwrap();
}
