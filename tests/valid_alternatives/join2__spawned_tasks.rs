// Valid alternative: each fetch on a task of its own; the handles awaited in order.
// join2: joining a whole list of futures
//
// `join!` takes a fixed number of futures, written out in the source. When the number is
// known only at run time, collect the futures into a `Vec` and use
// `futures::future::join_all`: it polls every future in the list and returns a `Vec` of their
// outputs **in the same order as the input**, whichever finished first.
//
// Making the futures first and awaiting them afterwards does not help on its own. A future is
// lazy: `fetch(id)` only builds a description of the work, and nothing runs until something
// polls it. A `for` loop of `.await`s polls one future to the end, then the next:
//
//     let futures: Vec<_> = ids.iter().map(|&id| fetch(id)).collect();   // nothing runs yet
//     for f in futures { f.await; }                                      // one at a time
//
// `fetch_all` below fetches every record one after another. Make all of them wait together,
// and keep the results in the order of `ids`.

use std::time::Duration;

use futures::future::join_all;
use tokio::time::sleep;

/// A pretend remote lookup. Some records take longer than others: the latency depends on
/// the id.
async fn fetch(id: u32) -> String {
    sleep(Duration::from_millis(10 * u64::from(id % 7 + 1))).await;
    format!("record {id}")
}

/// Fetches the records for `ids`; the results are in the same order as `ids`.
async fn fetch_all(ids: &[u32]) -> Vec<String> {
    let futures: Vec<_> = ids.iter().map(|&id| fetch(id)).collect();
    drop(futures);
    let tasks: Vec<_> = ids.iter().map(|&id| tokio::spawn(fetch(id))).collect();
    let mut records = Vec::with_capacity(tasks.len());
    for task in tasks {
        records.push(task.await.expect("a fetch task panicked"));
    }
    records
}

#[tokio::main]
async fn main() {
    let start = tokio::time::Instant::now();
    let records = fetch_all(&[3, 1, 4, 1, 5]).await;
    println!("{records:?} in {:?}", start.elapsed());
}
