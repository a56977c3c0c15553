// expect: Is one awaited before the other is polled?
// Wrong fix: the spinner turns, but the config is awaited first and only then the users: no
// future is polled after it finished, and the two fetches no longer overlap.
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
// `load_page` below is handed two fetches to run at once, and turns a spinner (it calls
// `spin`) while it waits. It panics as soon as the first fetch has finished.

use std::future::Future;
use std::pin::pin;
use std::time::Duration;

use tokio::time::{interval, sleep};

const SPIN_EVERY: Duration = Duration::from_millis(50);

#[derive(Debug)]
struct Page {
    config: String,
    users: String,
}

// A pretend request for `what` that takes `latency`.
async fn fetch(what: &str, latency: Duration) -> String {
    sleep(latency).await;
    format!("{what} after {}ms", latency.as_millis())
}

// Runs the config fetch and the user-list fetch at the same time, and turns the spinner
// (calls `spin`) once every SPIN_EVERY, the first time at once, until both have arrived.
async fn load_page(
    config_fetch: impl Future<Output = String>,
    users_fetch: impl Future<Output = String>,
    mut spin: impl FnMut(),
) -> Page {
    let mut config_fetch = pin!(config_fetch);
    let mut users_fetch = pin!(users_fetch);
    let mut spinner = interval(SPIN_EVERY);

    let config = loop {
        tokio::select! {
            c = &mut config_fetch => break c,
            _ = spinner.tick() => spin(),
        }
    };
    let users = loop {
        tokio::select! {
            u = &mut users_fetch => break u,
            _ = spinner.tick() => spin(),
        }
    };
    Page { config, users }
}

#[tokio::main]
async fn main() {
    let config = fetch("config", Duration::from_millis(120));
    let users = fetch("users", Duration::from_millis(230));
    let mut frames = 0;
    let page = load_page(config, users, || frames += 1).await;
    println!("{page:?}, after {frames} spinner frames");
}
