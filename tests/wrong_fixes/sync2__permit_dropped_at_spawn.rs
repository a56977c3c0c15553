// expect: a permit must be held for as long as its upload runs
// Wrong fix: a borrowed permit held in the loop body, so it is given back as soon as the task is spawned.
// sync2: a pool of permits: `Semaphore`, and the permit that always comes back
//
// A `tokio::sync::Semaphore` holds a number of permits. `acquire().await` takes one, waiting
// while none is left; dropping the permit gives it back, which wakes the next task waiting for
// one. So N permits mean "at most N at a time": N open connections, N uploads in flight, N
// jobs in memory. (join4 used one to limit futures inside one task.)
//
// `semaphore.acquire()` returns a `SemaphorePermit<'_>` that *borrows* the semaphore, so it
// cannot move into a spawned task, which must own everything (`'static`). The owned form is
// made for that:
//
//     let permit = semaphore.clone().acquire_owned().await?;   // needs an `Arc<Semaphore>`
//     tokio::spawn(async move {
//         let _permit = permit;    // moved in: held for as long as the task runs
//         work().await            // ...and dropped when the task ends, however it ends
//     });
//
// Taking the permit *before* spawning also limits the tasks themselves: the loop waits for a
// free permit, so there are never more than N tasks (and their data) alive, whatever the
// number of files.
//
// Giving a permit back by hand (`permit.forget()` now, `add_permits(1)` at the end) is the
// bug this exercise is about. Every way out of the task has to remember it: an early `return`,
// a `?`, a panic in a driver. Miss one and the permit is gone for good; the pool shrinks with
// every failure until nothing runs at all. A permit that is a value gives itself back when it
// is dropped, and Rust drops it on every path: on `?`, on `return`, on a panic, on abort.
//
// `upload_all` below works while every upload succeeds. After a few failures it hangs. Fix it.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Semaphore;

/// The storage service the files go to. (The checks bring their own.)
trait Store: Send + Sync + 'static {
    /// Stores one file. Fails for some files; a buggy driver may even panic.
    fn put(&self, name: String, bytes: Vec<u8>) -> impl Future<Output = Result<(), String>> + Send;
}

/// Uploads every file, each on a task of its own, with no more uploads in flight at once than
/// `slots` has permits. The semaphore is shared: other parts of the program upload through it
/// too. Returns, for each file in input order, whether it was stored.
async fn upload_all<S: Store>(
    store: Arc<S>,
    slots: Arc<Semaphore>,
    files: Vec<(String, Vec<u8>)>,
) -> Vec<Result<(), String>> {
    let mut tasks = Vec::new();
    for (name, bytes) in files {
        // TODO: a forgotten permit comes back only if the task reaches `add_permits`. Take an
        // owned permit instead, and move it into the task.
        let _permit = slots
            .acquire()
            .await
            .expect("the semaphore is never closed");
        let store = store.clone();
        tasks.push(tokio::spawn(async move { store.put(name, bytes).await }));
    }
    let mut results = Vec::new();
    for task in tasks {
        results.push(match task.await {
            Ok(result) => result,
            Err(err) => Err(format!("the upload task failed: {err}")),
        });
    }
    results
}

/// A pretend store: a file takes a millisecond per kilobyte, and `.tmp` files are refused.
struct Bucket;

impl Store for Bucket {
    async fn put(&self, name: String, bytes: Vec<u8>) -> Result<(), String> {
        tokio::time::sleep(Duration::from_millis(bytes.len() as u64 / 1024)).await;
        if name.ends_with(".tmp") {
            return Err(format!("{name}: temporary files are not stored"));
        }
        Ok(())
    }
}

#[tokio::main]
async fn main() {
    let slots = Arc::new(Semaphore::new(2));
    let files: Vec<(String, Vec<u8>)> = ["a.tmp", "b.tmp", "c.jpg", "d.jpg", "e.jpg"]
        .iter()
        .map(|name| (name.to_string(), vec![0; 40 * 1024]))
        .collect();
    let results = upload_all(Arc::new(Bucket), slots, files).await;
    println!("{results:?}");
}
