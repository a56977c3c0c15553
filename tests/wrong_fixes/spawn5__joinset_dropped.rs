// expect: Dropping a JoinSet aborts its tasks
// Wrong fix: the tasks go into a JoinSet that is dropped at the end of the function.
// spawn5: tasks that outlive their function
//
// A spawned task is *detached*: it runs on its own whether or not anyone keeps its
// `JoinHandle`. Dropping the handle does not stop the task; it only means nobody will ever
// learn when it is done, or whether it panicked.
//
//     async fn warm_cache(...) {
//         tokio::spawn(fill(key));      // starts, and is forgotten
//     }                                 // returns at once; the task runs on, unwatched
//
// Sometimes that is what you want (a background job that lives as long as the program). More
// often, a function that starts tasks should finish them before it returns, so that its
// caller can rely on the work being done and nothing is left running behind its back. Keep
// the handles (or a `JoinSet`) and wait for every task before returning. This habit has a
// name: *structured concurrency*; every task has an owner that waits for it.
//
// `warm_cache` below promises that every key is in the cache when it returns, but it returns
// while its tasks are still fetching. Keep the promise. (How long a fetch takes is up to
// `fetch`, the backend: a fixed wait is a guess, and checking the cache every few
// milliseconds is a guess made often. Wait for the tasks themselves.)

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::task::JoinSet;

type Cache = Mutex<HashMap<String, String>>;

/// Fetches every key with `fetch`, each on a task of its own, and stores the values in
/// `cache`. When it returns, every key is in the cache and none of its tasks is still running.
async fn warm_cache<F>(cache: Arc<Cache>, keys: Vec<String>, fetch: impl Fn(String) -> F)
where
    F: Future<Output = String> + Send + 'static,
{
    let mut tasks = JoinSet::new();
    for key in keys {
        let cache = Arc::clone(&cache);
        let value = fetch(key.clone());
        tasks.spawn(async move {
            let value = value.await;
            cache.lock().unwrap().insert(key, value);
        });
    }
}

/// Pretends to fetch the value for `key` from a slow backend: 10ms per byte of the key.
async fn fetch(key: String) -> String {
    tokio::time::sleep(Duration::from_millis(10) * key.len() as u32).await;
    key.to_uppercase()
}

#[tokio::main]
async fn main() {
    let cache = Arc::new(Cache::default());
    let keys = ["users", "settings", "menu"].map(String::from).to_vec();
    warm_cache(Arc::clone(&cache), keys, fetch).await;
    println!("cache after warming: {:?}", cache.lock().unwrap());
}
