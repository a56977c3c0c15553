use super::*;

use std::time::Duration;

use asynclings_support::watchdog;

const LIMIT: Duration = Duration::from_secs(10);

fn pages(sizes: &[usize]) -> Vec<String> {
    sizes.iter().map(|&n| "x".repeat(n)).collect()
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
        let got = watchdog(LIMIT, "total_size", total_size(pages(&sizes))).await;
        assert_eq!(
            got,
            expected,
            "total_size of {n} pages of sizes {sizes:?} was {got}, expected {expected}: every \
             task must add to the same counter. A clone of the `Arc` is another handle to that \
             counter; a new `Arc::new(..)` per task is a separate counter that nobody reads.",
            n = sizes.len()
        );
    }
}

#[tokio::test(start_paused = true)]
async fn no_pages_means_zero() {
    let got = watchdog(LIMIT, "total_size", total_size(Vec::new())).await;
    assert_eq!(got, 0, "total_size of no pages was {got}, expected 0");
}

#[tokio::test(start_paused = true)]
async fn the_counter_is_freed_when_the_tasks_are_done() {
    // After `total_size` returns, every clone of the `Arc` is gone: no task still holds one.
    let got = watchdog(LIMIT, "total_size", total_size(pages(&[7, 9]))).await;
    assert_eq!(got, 16);
    let alive = tokio::runtime::Handle::current()
        .metrics()
        .num_alive_tasks();
    assert_eq!(
        alive, 0,
        "{alive} measuring task(s) still alive after total_size returned: await every task \
         before reading the total"
    );
}
