// Checks for async_blocks2: one `Arc` shared by a loop of tasks, a clone per task.
//
// Mistakes a learner makes here, and how each is caught:
// - `Arc::new(..)` per task (a new counter each): the counter the checks handed in stays
//   short, and the sampled progress is wrong.
// - no tasks and no `Arc` at all, the pages measured one after another in a loop: the checks
//   count the tasks alive a millisecond in (one per page) and time the whole (the slowest
//   page, not the sum); the counter sampled mid-way is behind.
// - tasks that return their sizes, added up at the end instead of as each task finishes: the
//   counter is sampled just after each page's measurement ends, while others still run, and
//   must already include it.
// - `Box::leak` (or `mem::forget`) of a clone to get a `&'static` counter: the checks own the
//   counter and count its owners afterwards; every clone must have been dropped.
// - a counter of one's own (a `static`, a leaked `AtomicUsize`) instead of the one handed in:
//   the checks read their own counter.
// - tasks left running, or the total read before they finish: the returned total and the
//   counter must both be complete, and no task alive, when total_size returns.

use super::total_size;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use std::sync::{Arc, Mutex};

use asynclings_support::timeline::{self, Timeline};
use asynclings_support::watchdog;
use tokio::time::{Instant, sleep_until};

const LIMIT: Duration = Duration::from_secs(10);

fn pages(sizes: &[usize]) -> Vec<String> {
    sizes.iter().map(|&n| "x".repeat(n)).collect()
}

/// How long the pretend network takes to measure a page of `size` bytes.
fn latency(size: usize) -> Duration {
    Duration::from_millis(3 * size as u64 + 7)
}

fn alive_tasks() -> usize {
    tokio::runtime::Handle::current()
        .metrics()
        .num_alive_tasks()
}

#[tokio::test(start_paused = true)]
async fn every_task_adds_to_the_one_total() {
    for sizes in [
        vec![5],
        vec![3, 8, 13],
        vec![1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11],
        vec![40, 0, 2],
    ] {
        let expected: usize = sizes.iter().sum();
        let total = Arc::new(AtomicUsize::new(0));
        let got: usize = watchdog(
            LIMIT,
            "total_size",
            total_size(pages(&sizes), Arc::clone(&total)),
        )
        .await;
        let counted = total.load(Ordering::SeqCst);
        assert_eq!(
            counted,
            expected,
            "after total_size of {n} pages of sizes {sizes:?}, the counter it was given says \
             {counted}, expected {expected}: every task must add to that one counter. A clone \
             of the `Arc` is another handle to it; a new `Arc::new(..)` per task is a separate \
             counter that nobody reads",
            n = sizes.len()
        );
        assert_eq!(
            got, expected,
            "total_size of pages of sizes {sizes:?} returned {got}, expected {expected}"
        );
        let owners = Arc::strong_count(&total);
        assert_eq!(
            owners, 1,
            "after total_size returned, the counter still has {owners} owners instead of 1 \
             (the checks' own): a clone was never dropped. `Box::leak` or `mem::forget` get \
             around `'static` by never freeing; a clone moved into each task is dropped when \
             the task is done"
        );
    }
}

#[tokio::test(start_paused = true)]
async fn no_pages_means_zero() {
    let total = Arc::new(AtomicUsize::new(0));
    let got: usize = watchdog(LIMIT, "total_size", total_size(Vec::new(), total)).await;
    assert_eq!(got, 0, "total_size of no pages was {got}, expected 0");
}

/// The counter as the runtime last saw it, and the run: an instant each time it grew.
type Growth = Arc<Mutex<Option<(Timeline, usize)>>>;

/// Records an instant if the counter grew since the last look.
fn look(total: &AtomicUsize, growth: &Growth) {
    if let Some((recorded, last)) = growth.lock().unwrap().as_mut() {
        let now = total.load(Ordering::SeqCst);
        if now != *last {
            recorded.instant("added");
            *last = now;
        }
    }
}

// The tasks run on their own, so the counter is looked at each time the runtime goes idle,
// before its paused clock moves on: each addition at the virtual time it was made.
#[test]
fn the_counter_grows_as_each_task_finishes() {
    // Pages of 5, 40 and 17 bytes take 22ms, 127ms and 58ms to measure.
    let sizes = [5, 40, 17];
    let total = Arc::new(AtomicUsize::new(0));
    let growth = Growth::default();
    let runtime = {
        let (total, growth) = (Arc::clone(&total), Arc::clone(&growth));
        timeline::runtime_looking(move || look(&total, &growth))
    };
    runtime.block_on(grows(sizes, total, growth));
}

async fn grows(sizes: [usize; 3], total: Arc<AtomicUsize>, growth: Growth) {
    let recorded = Timeline::new();
    recorded.declare_instants("added");
    *growth.lock().unwrap() = Some((recorded.clone(), 0));
    let start = Instant::now();
    let work = total_size(pages(&sizes), Arc::clone(&total));
    let sample = async {
        sleep_until(start + Duration::from_millis(1)).await;
        let alive = alive_tasks();
        let mut seen = Vec::new();
        for at in [23, 59] {
            sleep_until(start + Duration::from_millis(at)).await;
            seen.push((at, total.load(Ordering::SeqCst)));
        }
        (alive, seen)
    };
    let (got, (alive, seen)) =
        watchdog(LIMIT, "total_size", async { tokio::join!(work, sample) }).await;
    let got: usize = got;
    let took = start.elapsed();
    look(&total, &growth);
    recorded.end_at(took);
    let slowest = latency(40);
    let expected_run = Timeline::new();
    let mut latencies = sizes.map(latency);
    latencies.sort();
    for at in latencies {
        expected_run.instant_at("added", at);
    }
    expected_run.end_at(slowest);
    assert_eq!(
        alive,
        sizes.len(),
        "a millisecond into total_size of {} pages, {alive} tasks were alive: each page should \
         be measured on a task of its own, all at once",
        sizes.len()
    );
    let expected = [(23, 5), (59, 22)];
    timeline::assert_eq(
        &seen[..],
        &expected[..],
        &recorded,
        Some(&expected_run),
        || {
            format!(
                "the counter read (ms, value) {seen:?} while the pages were measured; the 5-byte \
             page is done at 22ms and the 17-byte page at 58ms, so it should read {expected:?}. \
             Each task should add its size to the shared counter as soon as it has it (not \
             return it to be added at the end), and all pages should be measured at the same \
             time"
            )
        },
    );
    assert_eq!(got, 62);
    timeline::assert_eq(took, slowest, &recorded, Some(&expected_run), || {
        format!(
            "total_size took {took:?} of virtual time; measured at the same time the pages take \
             as long as the slowest, {slowest:?}: are they measured one after another?"
        )
    });
}

#[tokio::test(start_paused = true)]
async fn no_task_is_left_running() {
    let total = Arc::new(AtomicUsize::new(0));
    let got: usize = watchdog(LIMIT, "total_size", total_size(pages(&[7, 9]), total)).await;
    assert_eq!(got, 16);
    let alive = alive_tasks();
    assert_eq!(
        alive, 0,
        "{alive} measuring task(s) still alive after total_size returned: await every task \
         before reading the total"
    );
}
