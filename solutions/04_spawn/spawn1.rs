// spawn1: a task's result comes back through its JoinHandle
//
// `tokio::spawn(future)` hands a future to the runtime as a new *task*, and returns at once.
// The task is queued to run on its own, whether or not anyone waits for it: on a
// multi-threaded runtime another worker thread may pick it up straight away; on a
// current-thread runtime (like the checks') it first runs when the spawning code reaches an
// `.await` that has to wait and so gives the thread back. Either way it then runs alongside
// the code that spawned it. `spawn` gives back a `JoinHandle<T>`: awaiting it waits for the
// task to finish and yields `Result<T, JoinError>` (an `Err` when the task panicked or was
// cancelled).
//
//     let handle = tokio::spawn(slow_total(numbers));   // the task is queued now
//     let other = do_something_else().await;            // ...and runs meanwhile
//     let total = handle.await.unwrap();                // its result, when we need it
//
// A task whose handle is dropped keeps running, but nobody can get its result any more.
//
// `build_report` below starts the slow total on a task so that it runs while the customer
// lookup does, and then throws the task's answer away. Use it.

use std::time::Duration;

use tokio::time::sleep;

#[derive(Debug, PartialEq)]
struct Report {
    customers: usize,
    total: u64,
}

/// Pretends to add up the orders on a slow backend: 10ms per order.
async fn slow_total(orders: Vec<u64>) -> u64 {
    sleep(Duration::from_millis(10) * orders.len() as u32).await;
    orders.iter().sum()
}

/// Pretends to count the customers in a remote directory: takes 50ms.
async fn count_customers() -> usize {
    sleep(Duration::from_millis(50)).await;
    42
}

/// Builds the report: the total of `orders`, worked out on a task of its own while the
/// customers are counted.
async fn build_report(orders: Vec<u64>) -> Report {
    // The total goes to a task of its own now, and runs while the customers are counted.
    let total_task = tokio::spawn(slow_total(orders));
    let customers = count_customers().await;
    // Awaiting the handle only now lets both run at once; the handle yields
    // `Err(JoinError)` if the task panicked, which here is a bug worth stopping for.
    let total = total_task.await.expect("the total task panicked");
    Report { customers, total }
}

#[tokio::main]
async fn main() {
    let start = tokio::time::Instant::now();
    let report = build_report(vec![120, 80, 45]).await;
    println!("{report:?} in {:?}", start.elapsed());
}
