use super::*;

use std::time::Duration;

use asynclings_support::watchdog;
use tokio::time::Instant;

const LIMIT: Duration = Duration::from_secs(10);

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

async fn check(orders: Vec<u64>) {
    let sum: u64 = orders.iter().sum();
    let total_time = ms(10 * orders.len() as u64);
    let expected_time = total_time.max(ms(50));
    let start = Instant::now();
    let report = watchdog(LIMIT, "build_report", build_report(orders.clone())).await;
    let took = start.elapsed();
    assert_eq!(
        report.total, sum,
        "build_report gave a total of {} for the orders {orders:?}, expected {sum}: is the \
         task's result thrown away? Keep its JoinHandle and await it",
        report.total
    );
    assert_eq!(
        report.customers, 42,
        "build_report changed the customer count"
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
    assert_eq!(
        took, expected_time,
        "build_report took {took:?} of virtual time; the total takes {total_time:?} and the \
         customer count 50ms, and side by side they take {expected_time:?}: {why}"
    );
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
