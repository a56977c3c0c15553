// expect: If it made a new `Sleep`
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
use tokio::time::Sleep;

/// Counts down from `from` to 1, one number every `period`.
struct Countdown {
    /// The next number to yield; 0 once the countdown is over.
    next: u32,
    period: Duration,
    /// The timer for the next number: made at the first poll, then moved one period on after
    /// each number. Boxed, because a `Sleep` must stay where it was first polled.
    sleep: Option<Pin<Box<Sleep>>>,
}

impl Countdown {
    fn new(from: u32, period: Duration) -> Countdown {
        // Nothing starts here: a stream does nothing until it is polled.
        Countdown {
            next: from,
            period,
            sleep: None,
        }
    }
}

impl Stream for Countdown {
    type Item = u32;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<u32>> {
        // `Countdown` is `Unpin` (its only pinned part is behind a `Box`), so it can be
        // reached as a plain `&mut`.
        let this = self.get_mut();
        if this.next == 0 {
            // The end, and every poll after it: `None`, never `Pending` (nobody would wake us).
            this.sleep = None;
            return Poll::Ready(None);
        }
        let period = this.period;
        // The clock starts at the first poll; after that, the same `Sleep` is kept.
        let sleep = this.sleep.insert(Box::pin(tokio::time::sleep(period)));
        // `Pending` from the `Sleep` means it has handed `cx`'s waker to the timer: passing the
        // `Pending` on keeps our own promise.
        if sleep.as_mut().poll(cx).is_pending() {
            return Poll::Pending;
        }
        // Due. Move the same timer one period on (from its deadline, so that nothing drifts);
        // the next `poll_next` polls it again.
        let next_deadline = sleep.deadline() + period;
        sleep.as_mut().reset(next_deadline);
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
