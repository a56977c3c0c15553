// expect: compile error
// Wrong fix: the guard is dropped by hand before the `.await`, after it was used. Using it
// borrowed it, and rustc counts a value that was borrowed as alive to the end of its scope,
// so the future still holds the guard: the locked part must end with a block.
// blocking5: a std Mutex guard must not live across an `.await`
//
// `std::sync::Mutex` is the right lock for most async code: it is fast, and as long as the
// critical section is short and has no `.await` in it, the lock is held for a moment and
// nobody notices. (The tokio Mutex is for the other case: next exercise.)
//
// The trouble starts when the guard is still alive at an `.await`:
//
//     let mut stats = shared.lock().unwrap();   // the lock is held...
//     stats.total += 1;
//     log.write(..).await;                      // ...while this task sleeps here
//                                               // `stats` is dropped only at the end
//
// While the task is parked at the `.await`, every other task that wants the lock blocks
// its whole thread in `lock()`; on a small runtime that can be every thread, and the task
// holding the lock never gets a thread back to release it: a deadlock. Rust catches most
// of this at compile time: a `MutexGuard` is not `Send`, a future holding one across an
// `.await` is not `Send` either, and `tokio::spawn` demands `Send`. Hence the error:
// "future cannot be sent between threads safely ... `MutexGuard` ... held across an await".
//
// What counts is the guard's scope, not where you last use it. Copying the value you need
// out of the guard is not enough while the guard itself lives on, and the compiler does not
// even accept `drop(guard)` before the `.await` (its check goes by scopes). Put the locked
// part in a `{ }` block of its own that ends before the `.await`, and take out what you need.
//
// `record_hit` below does not compile where it is spawned. Keep the std Mutex, and keep
// the lock only while you touch the stats.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::sleep;

#[derive(Default)]
struct Stats {
    hits: HashMap<String, u32>,
    total: u32,
}

// A slow audit log: each write takes `latency`.
struct AuditLog {
    latency: Duration,
    lines: Mutex<Vec<String>>,
}

impl AuditLog {
    fn new(latency: Duration) -> Self {
        Self {
            latency,
            lines: Mutex::new(Vec::new()),
        }
    }

    async fn write(&self, line: String) {
        sleep(self.latency).await;
        self.lines.lock().unwrap().push(line);
    }
}

// Counts a hit on `page`, and writes the new total to the audit log.
async fn record_hit(stats: Arc<Mutex<Stats>>, log: Arc<AuditLog>, page: String) {
    let mut stats = stats.lock().unwrap();
    *stats.hits.entry(page.clone()).or_default() += 1;
    stats.total += 1;
    let total = stats.total;
    drop(stats);
    log.write(format!("{page}: hit number {total}")).await;
}

// Records every hit, each in a task of its own.
async fn record_hits(stats: Arc<Mutex<Stats>>, log: Arc<AuditLog>, pages: Vec<String>) {
    let tasks: Vec<_> = pages
        .into_iter()
        .map(|page| tokio::spawn(record_hit(stats.clone(), log.clone(), page)))
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
}

#[tokio::main]
async fn main() {
    let stats = Arc::new(Mutex::new(Stats::default()));
    let log = Arc::new(AuditLog::new(Duration::from_millis(10)));
    let pages = ["/", "/docs", "/", "/blog", "/"].map(String::from).to_vec();
    record_hits(stats.clone(), log.clone(), pages).await;
    let stats = stats.lock().unwrap();
    println!("{} hits: {:?}", stats.total, stats.hits);
}
