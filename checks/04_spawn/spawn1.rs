// Checks for spawn1: a spawned task's result comes back through its `JoinHandle`.
//
// Mistakes a learner makes here, and how each is caught:
// - the total still thrown away (or a made-up total): the total must be the orders' sum,
//   for orders the exercise does not show.
// - the handle awaited straight after spawning (the total and the count in turn): the
//   report takes the sum of the two, not the longer.
// - the total summed here instead of on the task (bypassing the slow backend): the report
//   comes sooner than the total could have been worked out.
// - `join!` of the total and the count, with no task at all (the same timing as a task): the
//   checks count the tasks alive while build_report runs; the total must be on one.
// - the customer count changed: it stays as shipped.

use super::{Report, build_report};

use std::time::Duration;

use asynclings_support::timeline::{self, Timeline};
use asynclings_support::watchdog;
use tokio::time::{Instant, sleep};

const LIMIT: Duration = Duration::from_secs(10);

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

async fn check(orders: Vec<u64>) {
    let sum: u64 = orders.iter().sum();
    let total_time = ms(10 * orders.len() as u64);
    let expected_time = total_time.max(ms(50));
    let start = Instant::now();
    // The total's task starts when a task is alive after a poll of build_report (the
    // exercise's services keep no counters), and takes `total_time` from there.
    let recorded = Timeline::new();
    let mut spawned = None;
    let looked = timeline::observe(build_report(orders.clone()), || {
        let alive = tokio::runtime::Handle::current()
            .metrics()
            .num_alive_tasks();
        if spawned.is_none() && alive > 0 {
            spawned = Some(recorded.now());
        }
    });
    let (report, alive) = watchdog(LIMIT, "build_report", async {
        tokio::join!(looked, async {
            // Both the total and the count take at least 10ms: a millisecond in, the total's
            // task is running.
            sleep(ms(1)).await;
            tokio::runtime::Handle::current()
                .metrics()
                .num_alive_tasks()
        })
    })
    .await;
    let took = start.elapsed();
    if let Some(at) = spawned {
        recorded.span_at("total", at, (at + total_time).min(took));
    }
    recorded.span_at("report", Duration::ZERO, took);
    recorded.end_at(took);
    let expected = Timeline::new();
    expected.span_at("total", Duration::ZERO, total_time);
    expected.span_at("report", Duration::ZERO, expected_time);
    expected.end_at(expected_time);
    let Report { customers, total } = report;
    let (customers, total): (usize, u64) = (customers, total);
    assert_eq!(
        total, sum,
        "build_report gave a total of {total} for the orders {orders:?}, expected {sum}: is the \
         task's result thrown away? Keep its JoinHandle and await it"
    );
    assert_eq!(customers, 42, "build_report changed the customer count");
    assert!(
        alive >= 1,
        "while build_report ran, no task was alive; expected one, the task working out the \
         total. `join!` runs both inside the current task, with the same timing here, but \
         the exercise is to hand the total to a task of its own with `tokio::spawn` and await \
         its JoinHandle"
    );
    let why = if took == total_time + ms(50) {
        "the total and the customer count ran one after the other: await the JoinHandle after \
         counting the customers, not straight after spawning"
    } else if took < expected_time {
        "it finished before the total could have been worked out: does the total come from the \
         spawned task?"
    } else {
        "the total and the customer count should run at the same time"
    };
    timeline::assert_eq(took, expected_time, &recorded, Some(&expected), || {
        format!(
            "build_report took {took:?} of virtual time; the total takes {total_time:?} and the \
             customer count 50ms, and side by side they take {expected_time:?}: {why}"
        )
    });
}

#[tokio::test(start_paused = true)]
async fn the_total_comes_from_the_task() {
    check(vec![7, 300, 12, 5, 9, 1]).await;
}

#[tokio::test(start_paused = true)]
async fn a_long_total_sets_the_pace() {
    check(vec![1000, 2000, 3000, 4000, 5000, 6000, 7000, 8]).await;
}

#[tokio::test(start_paused = true)]
async fn a_short_total_hides_behind_the_count() {
    check(vec![99, 1]).await;
}
