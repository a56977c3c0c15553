// stream_by_hand1: a `Stream` by hand
//
// A stream is a future that can be ready more than once. Its one method looks like `poll`:
//
//     trait Stream {
//         type Item;
//         fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>>;
//     }
//
// and each call answers one of three ways:
//
//     Poll::Ready(Some(item))   here is the next item
//     Poll::Pending             not yet, AND a wake-up has been arranged (as in future1)
//     Poll::Ready(None)         the stream is over: `while let Some(..) = s.next().await` ends
//
// `StreamExt::next`, `collect`, `map` and friends are all written on top of `poll_next`.
//
// A stream that waits for time cannot keep the promise of `Pending` by itself: only the timer
// can wake the task. So it keeps a timer future inside itself, a `tokio::time::Sleep`, and
// polls it from `poll_next`. When the `Sleep` returns `Pending`, it has registered `cx`'s waker
// with Tokio's timer, and the stream may pass that `Pending` on: the promise is kept. A `Sleep`
// is `!Unpin` (the timer keeps track of where it is), so it lives in a `Pin<Box<Sleep>>`, and
// the same one must be kept from poll to poll: a fresh `sleep(period)` at every poll starts its
// period over each time and never fires.
//
// Like a future, a stream is lazy: `Countdown::new` only stores its numbers, and the clock
// starts at the first `poll_next`.
//
// Below, `Countdown::new(3, period)` should yield 3, 2, 1, one `period` apart starting from
// the first poll, and then end at once (no extra period) and stay ended. As shipped it checks
// the clock and returns `Pending` with nobody to wake it, and it never ends.

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use futures::{Stream, StreamExt};
use tokio::time::Instant;

/// Counts down from `from` to 1, one number every `period`.
struct Countdown {
    /// The next number to yield; 0 once the countdown is over.
    next: u32,
    period: Duration,
    /// When the next number is due: set at the first poll.
    // TODO: an `Instant` cannot wake anyone. Keep a timer that can (and is made at the
    // first poll, not in `new`).
    due: Option<Instant>,
}

impl Countdown {
    fn new(from: u32, period: Duration) -> Countdown {
        Countdown {
            next: from,
            period,
            due: None,
        }
    }
}

impl Stream for Countdown {
    type Item = u32;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<u32>> {
        let this = self.get_mut();
        if this.next == 0 {
            // TODO: the countdown is over. How does a stream say so, and who would ever wake
            // a task waiting on this?
            return Poll::Pending;
        }
        let period = this.period;
        let due = *this.due.get_or_insert_with(|| Instant::now() + period);
        if Instant::now() < due {
            // TODO: `Pending` promises a wake-up. Nothing here arranges one.
            return Poll::Pending;
        }
        this.due = Some(due + period);
        let number = this.next;
        this.next -= 1;
        Poll::Ready(Some(number))
    }
}
#[tokio::main]
async fn main() {
    let start = tokio::time::Instant::now();
    let countdown = Countdown::new(5, Duration::from_millis(200));
    let counting = async {
        let mut countdown = std::pin::pin!(countdown);
        while let Some(number) = countdown.next().await {
            println!("{number} at {:?}", start.elapsed());
        }
        println!("liftoff at {:?}", start.elapsed());
    };
    if tokio::time::timeout(Duration::from_secs(3), counting)
        .await
        .is_err()
    {
        println!("still counting after 3s: was the task woken when each number was due?");
    }
}
