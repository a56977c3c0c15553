// Valid alternative: `tokio::time::timeout` is the same race, packaged as a function.
// select1: race a reply against a deadline
//
// A server that is slow, overloaded or gone can leave an `.await` waiting forever. Nothing in
// async Rust gives up on its own: if you want a deadline, you race the work against a timer.
//
// `tokio::select!` polls several futures at once and finishes as soon as ONE of them does. It
// runs the code of the branch that won, and drops every other future:
//
//     tokio::select! {
//         reply = server.price(item) => Ok(reply),      // the reply came first
//         _ = tokio::time::sleep(patience) => Err(..),  // the timer rang first
//     }
//
//     price request  |------------------------------------------ (would answer here)
//     sleep          |--------------|  rings: the request is dropped, mid-flight
//
// Dropping a future is how async Rust cancels it: it is never polled again, so it stops at
// the `.await` where it was waiting, and its locals are dropped. (`tokio::time::timeout` is
// this same race, packaged as a function.)
//
// `price_within` below waits for the server however long it takes, and one of the servers
// never answers. Make it give up after `patience`.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::time::sleep;

#[derive(Debug, PartialEq)]
struct TimedOut;

// A pretend price server. It answers after `latency`, or never when `latency` is `None`.
// It counts the requests it is working on and the answers it has sent.
struct PriceServer {
    latency: Option<Duration>,
    working: AtomicUsize,
    answered: AtomicUsize,
}

impl PriceServer {
    fn new(latency: Option<Duration>) -> Self {
        Self {
            latency,
            working: AtomicUsize::new(0),
            answered: AtomicUsize::new(0),
        }
    }

    async fn price(&self, item: &str) -> u32 {
        // Counts this request as in progress until the future ends or is dropped.
        let _working = Working::start(&self.working);
        match self.latency {
            Some(latency) => sleep(latency).await,
            None => std::future::pending().await,
        }
        self.answered.fetch_add(1, Ordering::SeqCst);
        item.bytes().map(u32::from).sum::<u32>() * 3 % 1000
    }
}

// Adds one to a counter while it is alive.
struct Working<'a>(&'a AtomicUsize);

impl<'a> Working<'a> {
    fn start(count: &'a AtomicUsize) -> Self {
        count.fetch_add(1, Ordering::SeqCst);
        Self(count)
    }
}

impl Drop for Working<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

// Asks `server` for the price of `item`, giving up with `Err(TimedOut)` after `patience`.
async fn price_within(
    server: &PriceServer,
    item: &str,
    patience: Duration,
) -> Result<u32, TimedOut> {
    // `select!` finishes with whichever future is ready first. If the timer wins, the
    // request's future is dropped right here: that is what cancels it.
    tokio::time::timeout(patience, server.price(item))
        .await
        .map_err(|_| TimedOut)
}

#[tokio::main]
async fn main() {
    let patience = Duration::from_millis(100);
    let quick = PriceServer::new(Some(Duration::from_millis(20)));
    let silent = PriceServer::new(None);
    println!(
        "quick:  {:?}",
        price_within(&quick, "teapot", patience).await
    );
    println!(
        "silent: {:?}",
        price_within(&silent, "teapot", patience).await
    );
}
