// channels4: a broadcast receiver that falls behind
//
// A `broadcast` channel delivers every value to every receiver: each `subscribe()` (or the
// receiver `broadcast::channel` returns) sees everything sent after it was made. The channel
// keeps only the last `capacity` values, though. It cannot wait for its slowest receiver
// (that would let one slow receiver stall everybody), so a receiver that falls more than
// `capacity` values behind loses the oldest ones:
//
//     sent           1  2  3  4  5  6  7  8        capacity 4: the channel still holds 5 6 7 8
//     slow receiver  got 1, then:
//                    recv() -> Err(RecvError::Lagged(3))    2, 3 and 4 are gone
//                    recv() -> Ok(5), Ok(6), Ok(7), Ok(8)   it carries on with the oldest kept
//                    recv() -> Err(RecvError::Closed)       once every sender is gone
//
// So `recv()` has two kinds of error. `Closed` is the end: no value will ever come again.
// `Lagged(n)` is news, not the end: n values were missed, and the receiver is ready to go on.
// A loop `while let Ok(value) = rx.recv().await` treats both the same, and stops listening
// at the first burst it cannot keep up with.
//
// `follow` below watches a price feed. Make it report a lag with its count and carry on, and
// stop only when the feed is closed.

use std::time::Duration;

use tokio::sync::broadcast;
use tokio::sync::broadcast::error::RecvError;

/// What the follower saw, in order.
#[derive(Debug, PartialEq)]
enum Event {
    /// A price it received.
    Price(u32),
    /// It fell behind, and this many prices were lost to it.
    Missed(u64),
}

/// Follows the feed until it is closed. Records each price received, and each time it fell
/// behind, how many prices it missed.
async fn follow(mut feed: broadcast::Receiver<u32>) -> Vec<Event> {
    let mut events = Vec::new();
    // Only `Closed` ends the loop. After `Lagged(n)` the receiver has already moved on to
    // the oldest price the channel still holds, so the next `recv` simply goes on from there.
    loop {
        let price = match feed.recv().await {
            Ok(price) => price,
            Err(RecvError::Closed) => break,
            Err(RecvError::Lagged(missed)) => {
                events.push(Event::Missed(missed));
                continue;
            }
        };
        events.push(Event::Price(price));
    }
    events
}

#[tokio::main]
async fn main() {
    let (feed, follower) = broadcast::channel(4);
    let follower = tokio::spawn(follow(follower));
    // A quiet start, then a burst of ten prices faster than the follower can take them.
    for price in [100, 101] {
        feed.send(price).unwrap();
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    for price in 102..112 {
        let _ = feed.send(price); // An error only means nobody is listening any more.
    }
    tokio::time::sleep(Duration::from_millis(10)).await;
    let _ = feed.send(120);
    drop(feed);
    println!("{:?}", follower.await.unwrap());
}
