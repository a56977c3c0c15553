// expect: was still collecting after 10s
// Wrong fix: the timer branch is removed, so the poll closes only when every voter has gone.
// select3: one deadline for the whole loop
//
// A `select!` inside a loop evaluates every branch's expression again on every turn. For
// `jobs.recv()` that is what you want: each turn asks for the next message. For a timer it
// is a trap:
//
//     loop {
//         tokio::select! {
//             msg = rx.recv() => { ... }
//             _ = sleep(window) => break,   // a NEW sleep, starting from now, on every turn
//         }
//     }
//
// Each turn makes a fresh `sleep(window)` and drops the old one when another branch wins.
// As long as messages keep coming more often than `window`, the timer is reset again and
// again and never rings. That is an idle timeout ("stop after `window` of silence"), not a
// deadline.
//
// For a deadline, create the sleep once, before the loop, and let every turn poll that same
// sleep. A `Sleep` must not move once it has been polled (it is `!Unpin`), so pin it first,
// then select on a `&mut` reference to it, which does not consume it:
//
//     let deadline = sleep(window);
//     tokio::pin!(deadline);            // or: let mut deadline = std::pin::pin!(sleep(window));
//     loop {
//         tokio::select! {
//             msg = rx.recv() => { ... }
//             _ = &mut deadline => break,   // the same timer, every turn
//         }
//     }
//
// (`sleep_until(end)` with an `end` instant computed before the loop also works: each turn
// makes a new timer, but they all ring at the same instant.)
//
// `collect_votes` below must close the poll `window` after it starts. With voters voting
// steadily, it never closes.

use std::time::Duration;

use tokio::sync::mpsc;
use tokio::time::sleep;

// Collects votes until `window` has passed since the start, or until every voter has gone
// (the channel is closed). Returns the votes in the order they came.
async fn collect_votes(votes: &mut mpsc::Receiver<String>, window: Duration) -> Vec<String> {
    let mut got = Vec::new();
    // One timer for the whole poll, started before the loop. Pinned, so that each turn can
    // poll it through `&mut` without moving or consuming it.
    let _ = window;
    while let Some(vote) = votes.recv().await {
        got.push(vote);
    }
    got
}

#[tokio::main]
async fn main() {
    let (tx, mut rx) = mpsc::channel(8);
    // A voter who votes every 20ms for two seconds.
    tokio::spawn(async move {
        for i in 0..100 {
            if tx.send(format!("vote {i}")).await.is_err() {
                break;
            }
            sleep(Duration::from_millis(20)).await;
        }
    });
    let started = tokio::time::Instant::now();
    let votes = collect_votes(&mut rx, Duration::from_millis(100)).await;
    println!(
        "the poll closed after {:?} with {} votes (it should close after 100ms)",
        started.elapsed(),
        votes.len()
    );
}
