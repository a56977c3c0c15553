// expect: starts over at every turn
// Wrong fix: fresh fetches on every turn are never polled twice, but each tick restarts them.
// select4: a finished future must not be polled again
//
// `tokio::select!` in a loop, selecting on `&mut` references to pinned futures (as in
// select3), lets one loop wait for several long operations while it also reacts to other
// events, here the ticks of a spinner:
//
//     turn 1: config pending,  users pending,  spinner ticks
//     turn 2: config READY,    users pending               -> keep the config
//     turn 3: config ???,      users pending,  spinner ticks
//
// On turn 3 the loop polls the config future again, although it has already finished. A
// future promises nothing once it has returned `Ready`: the one an `async fn` returns
// panics ("`async fn` resumed after completion"), others may return garbage or hang.
//
// A branch can carry a precondition, written after the future, `, if condition`. When the
// condition is false, select! does not poll that branch at all on this turn:
//
//     v = &mut config_fut, if config.is_none() => config = Some(v),
//
// (Another way is `FutureExt::fuse` from the futures crate: a fused future returns `Pending`
// forever once it has finished.)
//
// `load_page` below fetches two things at once and turns a spinner while it waits. It
// panics as soon as the first fetch has finished.

use std::pin::pin;
use std::time::Duration;

use tokio::time::{interval, sleep};

const SPIN_EVERY: Duration = Duration::from_millis(50);

#[derive(Debug, PartialEq)]
struct Page {
    config: String,
    users: String,
    spinner_frames: u32,
}

// A pretend request for `what` that takes `latency`.
async fn fetch(what: &str, latency: Duration) -> String {
    sleep(latency).await;
    format!("{what} after {}ms", latency.as_millis())
}

// Fetches the config and the user list at the same time, and turns the spinner once every
// SPIN_EVERY (the first time at once) until both have arrived.
async fn load_page(config_latency: Duration, users_latency: Duration) -> Page {
    let mut config_fetch = pin!(fetch("config", config_latency));
    let mut users_fetch = pin!(fetch("users", users_latency));
    let mut spinner = interval(SPIN_EVERY);

    let mut config = None;
    let mut users = None;
    let mut spinner_frames = 0;
    while config.is_none() || users.is_none() {
        // TODO: once a fetch has finished, the next turns poll it again. Give each fetch
        // branch a precondition, so that it is only polled while its result is missing.
        tokio::select! {
            c = fetch("config", config_latency) => config = Some(c),
            u = fetch("users", users_latency) => users = Some(u),
            _ = spinner.tick() => spinner_frames += 1,
        }
    }
    Page {
        config: config.unwrap(),
        users: users.unwrap(),
        spinner_frames,
    }
}

#[tokio::main]
async fn main() {
    let page = load_page(Duration::from_millis(120), Duration::from_millis(230)).await;
    println!("{page:?}");
}
