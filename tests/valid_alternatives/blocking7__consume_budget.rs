// Valid alternative: `consume_budget` on every row yields once the task has used up Tokio's
// cooperative budget.
// blocking7: a long loop must take turns
//
// A task holds its thread from one `.await` to the next. A loop that runs for a long time
// without reaching an `.await` that waits, even one that does nothing "blocking" in the
// usual sense, keeps every other task on that thread waiting until it is done:
//
//     import   |=================== 50 000 rows, no await ===================|
//     progress                                                               | 100% at once
//
// If the work is truly heavy, move it off the runtime (blocking2, or a pool such as rayon).
// If it is many small steps that must run here (it borrows data, it updates shared state as
// it goes), let it take turns: `tokio::task::yield_now().await` gives the thread to the
// other tasks that are ready, and comes back after them.
//
//     import   |== 500 rows ==|    |== 500 rows ==|    |== 500 rows ==| ...
//     progress                |1%  |              |2%  |              |3% ...
//
// Yield every so many rows, not on every row: each yield costs a trip through the scheduler.
// (`tokio::task::consume_budget().await` on every row is another way: it yields only once
// the task has used up its budget, Tokio's built-in measure of "long enough".)
//
// `import` below parses rows into records and publishes how far it got in `progress`,
// which a progress bar displays from another task. The bar never moves until the import
// is over. The progress bar must get a turn at least every 500 rows.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

#[derive(Debug, PartialEq)]
struct Record {
    name: String,
    score: u32,
}

// Parses "name,score"; a malformed score counts as 0.
fn parse(row: &str) -> Record {
    let (name, score) = row.split_once(',').unwrap_or((row, ""));
    Record {
        name: name.trim().to_string(),
        score: score.trim().parse().unwrap_or(0),
    }
}

// Parses every row into `db`, and stores the number of rows done so far in `progress` after
// each row.
async fn import(rows: &[String], db: &mut Vec<Record>, progress: &AtomicUsize) {
    for (done, row) in rows.iter().enumerate() {
        db.push(parse(row));
        progress.store(done + 1, Ordering::SeqCst);
        // Every 256 rows the task gives the thread to the other ready tasks (the progress
        // bar among them) and carries on after them.
        tokio::task::consume_budget().await;
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let rows: Vec<String> = (0..200_000)
        .map(|i| format!("player{i},{}", i % 97))
        .collect();
    let progress = Arc::new(AtomicUsize::new(0));
    let bar = {
        let progress = progress.clone();
        tokio::spawn(async move {
            loop {
                let done = progress.load(Ordering::SeqCst);
                println!("progress: {}%", done * 100 / 200_000);
                if done == 200_000 {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        })
    };
    let mut db = Vec::new();
    import(&rows, &mut db, &progress).await;
    bar.await.unwrap();
    println!("imported {} records", db.len());
}
