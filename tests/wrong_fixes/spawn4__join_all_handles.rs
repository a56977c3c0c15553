// expect: rather than collecting them all first
// Wrong fix: the handles joined with `join_all`, the answers handled afterwards.
// spawn4: results from many tasks, as they finish
//
// Awaiting a list of `JoinHandle`s one by one gets the results in the order the tasks were
// spawned. If the first task is the slowest, every other result sits finished and unhandled
// until that one is done.
//
// `tokio::task::JoinSet` is a set of tasks that you spawn into and then drain in completion
// order:
//
//     let mut set = JoinSet::new();
//     for item in items {
//         set.spawn(work(item));
//     }
//     while let Some(result) = set.join_next().await {   // the next task to finish
//         let value = result?;                           // Err(JoinError) if it panicked
//     }
//
// A `JoinSet` also owns its tasks: dropping the set aborts every task still in it, so tasks
// cannot quietly outlive the code that started them.
//
// (In 03_join, `FuturesUnordered` did the same for futures inside one task. A `JoinSet` holds
// tasks, which the runtime may run on several threads at once.)
//
// `ping_all` below pings every mirror on a task of its own, but reports them in the order
// they were started. Report each one as soon as it answers. How long a mirror takes is up to
// `ping` (the network): you cannot know it in advance.

use std::time::Duration;

use futures::future::join_all;

/// Pings every mirror with `ping`, each on a task of its own, and calls `on_answer` with each
/// mirror's line as soon as that mirror answers.
async fn ping_all<F>(
    mirrors: Vec<String>,
    ping: impl Fn(String) -> F,
    mut on_answer: impl FnMut(String),
) where
    F: Future<Output = String> + Send + 'static,
{
    let tasks: Vec<_> = mirrors.into_iter().map(|m| tokio::spawn(ping(m))).collect();
    for answer in join_all(tasks).await {
        on_answer(answer.expect("a ping task panicked"));
    }
}

/// A pretend network: how long a mirror takes to answer depends on where it is.
async fn ping(host: String) -> String {
    let ms = if host.starts_with("far") {
        300
    } else if host.starts_with("near") {
        20
    } else {
        90
    };
    tokio::time::sleep(Duration::from_millis(ms)).await;
    format!("{host} answered in {ms}ms")
}

#[tokio::main]
async fn main() {
    let mirrors = ["far.example", "near.example", "mid.example"]
        .map(String::from)
        .to_vec();
    let start = tokio::time::Instant::now();
    ping_all(mirrors, ping, |line| {
        println!("{:>4}ms: {line}", start.elapsed().as_millis())
    })
    .await;
}
