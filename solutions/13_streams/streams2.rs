// streams2: merging two streams without losing items
//
// Two streams, one list, each item taken as soon as it arrives, whichever stream it comes
// from. A `select!` loop over the two `next()` futures looks like the way to do it:
//
//     loop {
//         tokio::select! {
//             item = a.next() => ...,
//             item = b.next() => ...,
//         }
//     }
//
// and it waits for both at once. But it has to decide what to do when one stream ends (its
// `next()` gives `None`) while the other still has items to come:
//
//     a  --1------3----|                   a ends here
//     b  -----2----------4------5----|     ... and 4 and 5 are still to come
//
// Stopping there loses the rest of the other stream. Polling the ended stream again on the
// next turn is no better: a stream that has returned `None` may panic, or hang, if polled
// again (unless it is *fused*, `.fuse()`, and then the loop still needs to know when both are
// done).
//
// A merge that handles all of this is ready-made: `futures::stream::select(a, b)` gives one
// stream with the items of both, in the order they arrive, which ends when *both* have ended
// (`tokio_stream::StreamExt::merge` does the same). If you keep the `select!` loop, each
// branch needs an `if` precondition that disables it once its stream is done, and an `else`
// branch that breaks when every branch is disabled.
//
// The messages of two chat servers below are merged into one timeline. Lose none.

use std::time::Duration;

use futures::{Stream, StreamExt};
use tokio::time::sleep;

/// Every message of both feeds, each taken as soon as it arrives.
async fn merge_feeds(a: impl Stream<Item = String>, b: impl Stream<Item = String>) -> Vec<String> {
    // `select` polls both feeds, yields each message as it arrives, stops polling a feed
    // once it has ended, and ends only when both have: nothing is lost.
    futures::stream::select(a, b).collect().await
}

/// A pretend chat server: sends `messages`, one every `every`.
// `+ use<>` says that the stream captures no lifetime at all: it owns copies of the messages,
// so it does not borrow the slice it was made from. (In edition 2024 a returned `impl Trait`
// is assumed to capture every lifetime of the arguments, here the slice's, unless `use<..>`
// lists the ones it does. `+ 'static` would be a different promise: that the stream holds no
// borrow of anything short-lived, which the compiler then checks against the captures.)
fn feed(messages: &[&str], every: Duration) -> impl Stream<Item = String> + use<> {
    let messages: Vec<String> = messages.iter().map(|m| m.to_string()).collect();
    futures::stream::iter(messages).then(move |message| async move {
        sleep(every).await;
        message
    })
}

#[tokio::main]
async fn main() {
    let ms = Duration::from_millis;
    let north = feed(&["ann: hi", "ann: anyone?"], ms(100));
    let south = feed(&["bo: hey", "bo: here", "bo: ann?", "bo: bye"], ms(70));
    let start = tokio::time::Instant::now();
    for message in merge_feeds(north, south).await {
        println!("{message}");
    }
    println!("in {:?}", start.elapsed());
}
