// tracing1: spans that follow a future
//
// A server handles many requests at once, on few threads. Its log lines interleave:
//
//     received path="/inbox"
//     received path="/about"
//     authenticated user="mara"         <- which request was that?
//
// The `tracing` crate answers with *spans*: a span is a named context with fields
// (`request{id=7}`), and every event (log line) logged while a span is *entered* belongs to
// it. Subscribers print the spans around each event: `request{id=7}: authenticated`.
//
// Entering a span is a per-thread thing: `span.enter()` returns a guard, and the span stays
// entered on this thread until the guard is dropped. In synchronous code that is fine. In
// async code it is wrong: at an `.await` the task gives up the thread, but the guard, kept
// in the future's state, leaves the span entered. Whatever runs on the thread next, another
// request's future for instance, logs inside the wrong span, and opens its own spans inside
// it:
//
//     request{id=7}: received              (request 7 enters its span, then awaits)
//     request{id=7}:request{id=8}: received    <- request 8, polled meanwhile, is inside 7
//
// The fix is to attach the span to the *future*, not to the thread: `.instrument(span)`
// (from `tracing::Instrument`) enters the span each time the future is polled and leaves it
// each time the poll returns. `#[tracing::instrument]` on an `async fn` does the same, and
// records the function's arguments as fields, *all* of them unless told otherwise
// (`#[instrument(skip(token))]`): mind the secrets.
//
// The same spans are how you find a stuck or slow runtime: which requests are open, where
// each one is waiting. (tokio-console shows them live.)
//
// `handle` below keeps a span entered across its awaits. Attach the span properly, and keep
// the token out of the logs.

use std::time::Duration;

use tracing::{Instrument, info, info_span};

/// Checks the token; returns the user it belongs to. A token is `"<user>:<secret>"`.
async fn authenticate(token: &str) -> String {
    tokio::time::sleep(Duration::from_millis(10)).await;
    let user = token.split(':').next().unwrap_or_default().to_string();
    info!(user, "authenticated");
    user
}

/// Reads the page at `path`: 20ms per path segment.
async fn load(path: &str) -> String {
    let segments = path.split('/').filter(|s| !s.is_empty()).count() as u64;
    tokio::time::sleep(Duration::from_millis(20 * segments.max(1))).await;
    format!("<contents of {path}>")
}

/// Handles one request. Many run at the same time, on one thread.
async fn handle(id: u64, path: &str, token: &str) -> String {
    // The span is entered only around code that does not await, and attached to each future.
    let span = info_span!("request", id);
    span.in_scope(|| info!(path, "received"));
    let user = authenticate(token).instrument(span.clone()).await;
    let body = load(path).instrument(span.clone()).await;
    span.in_scope(|| info!(path, bytes = body.len(), "responded"));
    format!("{user} {body}")
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    tracing_subscriber::fmt().with_target(false).init();
    let (a, b, c) = tokio::join!(
        handle(1, "/inbox", "mara:hunter2"),
        handle(2, "/about", "joss:letmein"),
        handle(3, "/settings/password", "ines:swordfish"),
    );
    println!("{a}\n{b}\n{c}");
}
