// pin1: a list of different futures
//
// Every `async fn` and every `async` block has a type of its own, an anonymous state machine
// that the compiler generates. Two futures with the same `Output` still have different
// types, so they cannot share a `Vec`:
//
//     vec![open_database(..), warm_cache(..)]    error: expected future, found a different future
//
// To keep them together, erase their types behind a trait object: a `Box` on the heap,
// seen through the `Future` trait. One more thing is needed to await it. Polling a future
// requires it to be *pinned*, promised never to move again: an `async fn`'s state machine
// may hold references into itself, and moving it would leave them dangling. A boxed future
// that is pinned stays at its heap address, so:
//
//     Pin<Box<dyn Future<Output = String> + Send>>      made with Box::pin(some_future)
//
// `+ Send` keeps the promise that the futures can move between threads, so that whatever
// holds them can still be spawned. Ask for nothing more than that: `+ Sync` (shared between
// threads at once, which nobody does with a future being polled) would turn away every step
// that keeps a `Cell` or a `RefCell` across an await. (A `Box<dyn Trait>` is also `'static` unless you name a
// lifetime: the futures must own what they use.) The futures crate has a name for the whole
// type, `futures::future::BoxFuture<'static, String>`.
//
// The start-up sequence below lists its steps in a `Vec`, which does not compile. Give the
// steps a type they can all have, `Step`: other parts of the program add steps of their own to the
// list (any future with a `String` report), so the type must fit those too.

use std::time::Duration;

use tokio::time::sleep;

struct Config {
    name: String,
    database: String,
    cache_entries: u64,
}

async fn open_database(url: String) -> String {
    sleep(Duration::from_millis(30)).await;
    format!("database {url} open")
}

async fn warm_cache(entries: u64) -> String {
    sleep(Duration::from_millis(entries)).await;
    format!("cache warmed with {entries} entries")
}

async fn announce(name: String) -> String {
    sleep(Duration::from_millis(5)).await;
    format!("{name} is up")
}

/// One step of the start-up: any future with a report as its output.
// TODO: `()` holds no future at all. Which one type can hold the future of any step?
type Step = ();

/// The steps of the start-up, in the order in which they must run. None of them has started.
fn startup_steps(config: &Config) -> Vec<Step> {
    vec![
        open_database(config.database.clone()),
        warm_cache(config.cache_entries),
        announce(config.name.clone()),
    ]
}

/// Runs the steps one after another, each once its predecessor is done, and returns their
/// reports in order.
async fn run_in_order(steps: Vec<Step>) -> Vec<String> {
    let mut reports = Vec::new();
    for step in steps {
        reports.push(step.await);
    }
    reports
}

#[tokio::main]
async fn main() {
    let config = Config {
        name: "inventory".to_string(),
        database: "postgres://db.local/stock".to_string(),
        cache_entries: 20,
    };
    // The start-up runs on a task of its own.
    let startup = tokio::spawn(run_in_order(startup_steps(&config)));
    for report in startup.await.unwrap() {
        println!("{report}");
    }
}
