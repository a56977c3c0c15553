// Mistakes learners make on a `Send` bound for a trait's future, and how each is caught:
// - no promise in the trait (the shipped code): generic code that spawns the future does not
//   compile.
// - `#[async_trait]` to get `Send`: compiles, but every call boxes; the future's type name
//   shows the box.
// - the generic made concrete (`fetch_all(backend: Arc<Directory>, ..)`): the checks call it
//   through their own generic `spawn_fetch` (compile error).
// - `join_all` instead of a task per id: alive tasks are counted while `fetch_all` runs.
// - tasks left running, or results out of order: checked after it returns, as plain values.

use super::{Backend, Directory, fetch_all};

use std::sync::Arc;
use std::time::Duration;

use asynclings_support::watchdog;
use tokio::task::JoinHandle;
use tokio::time::{Instant, sleep};

const LIMIT: Duration = Duration::from_secs(10);

// Generic code that spawns the trait's future: it compiles only if the trait promises that
// `fetch`'s future is `Send`, whatever the implementation. If the line below fails with
// "future cannot be sent between threads safely", `Backend` does not make that promise yet:
// declare `fetch` as `fn fetch(&self, id: u64) -> impl Future<Output = Option<String>> + Send;`
// (or generate a `Send` variant of the trait with `trait_variant::make`).
fn spawn_fetch<B>(backend: Arc<B>, id: u64) -> JoinHandle<Option<String>>
where
    B: Backend + Send + Sync + 'static,
{
    tokio::spawn(async move { backend.fetch(id).await })
}

fn alive_tasks() -> usize {
    tokio::runtime::Handle::current()
        .metrics()
        .num_alive_tasks()
}

fn directory(latency_ms: u64) -> Directory {
    Directory::new(
        &[
            (31, "Katherine"),
            (7, "Edsger"),
            (1024, "Barbara"),
            (58, "Donald"),
        ],
        Duration::from_millis(latency_ms),
    )
}

#[tokio::test(start_paused = true)]
async fn generic_code_can_spawn_the_trait_future() {
    let backend = Arc::new(directory(25));
    let name: Option<String> = watchdog(LIMIT, "a spawned fetch", spawn_fetch(backend, 1024))
        .await
        .expect("the spawned fetch panicked");
    assert_eq!(
        name.as_deref(),
        Some("Barbara"),
        "a spawned fetch of user 1024 gave {name:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn fetch_all_runs_one_task_per_id_and_keeps_the_order() {
    let ids = [58, 999, 7, 31, 7];
    let start = Instant::now();
    let (names, alive_during): (Vec<Option<String>>, usize) = watchdog(LIMIT, "fetch_all", async {
        tokio::join!(fetch_all(Arc::new(directory(140)), &ids), async {
            sleep(Duration::from_millis(1)).await;
            alive_tasks()
        })
    })
    .await;
    let took = start.elapsed();
    let expected: Vec<Option<String>> = ["Donald", "", "Edsger", "Katherine", "Edsger"]
        .iter()
        .map(|name| (!name.is_empty()).then(|| name.to_string()))
        .collect();
    assert_eq!(
        names, expected,
        "fetch_all of ids {ids:?} gave {names:?}; expected {expected:?}, one answer per id in \
         the order of the ids (None for an unknown id)"
    );
    assert_eq!(
        alive_during,
        ids.len(),
        "while fetch_all looked up {} ids, {alive_during} tasks were running; it should spawn \
         one task per id. Keep the `tokio::spawn`: the fix belongs in the trait",
        ids.len()
    );
    assert_eq!(
        took,
        Duration::from_millis(140),
        "fetch_all of {} ids from a directory answering in 140ms took {took:?} of virtual \
         time; lookups on their own tasks run at the same time and take 140ms together",
        ids.len()
    );
    assert_eq!(
        alive_tasks(),
        0,
        "tasks were still running after fetch_all returned: await every task it spawns"
    );
}

#[test]
fn fetch_allocates_no_box() {
    let future_type = std::any::type_name_of_val(&Backend::fetch(&directory(1), 7));
    let boxed = future_type.contains("Pin<alloc::boxed::Box<") || future_type.contains("Box<dyn");
    assert!(
        !boxed,
        "`<Directory as Backend>::fetch` returned a `{future_type}`: every call allocates a \
         boxed future, which is what `#[async_trait]` does. The trait can promise `Send` \
         without a box: `fn fetch(&self, id: u64) -> impl Future<Output = Option<String>> + \
         Send;`"
    );
}
