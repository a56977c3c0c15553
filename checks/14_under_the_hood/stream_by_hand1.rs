// Mistakes learners make on a hand-written `Stream`, and how each is caught:
// - `Pending` with no wake-up arranged (the shipped code: the clock is checked, nobody is told):
//   polled by hand with a counting waker, nothing wakes it when the period is up.
// - a new `Sleep` made at every poll: each poll starts the period over, so the timer never
//   fires for the poll that made it; polled again after its wake-up, the stream must yield,
//   and on a runtime the first number never comes.
// - waking its own waker on every poll (`cx.waker().wake_by_ref()`, a busy loop): the wake
//   count must stay 0 while no number is due, and on a runtime a counting wrapper stops the
//   check when the stream is polled far more often than twice a number.
// - ending with `Pending` instead of `Ready(None)`: the end must come at the last number's
//   time, and the stream must stay ended.
// - a timer made in `new` (eager work where laziness is the lesson): the countdown is made
//   well before it is first polled, and the first number must come one period after the
//   first poll.
// - hard-coding the shipped example (5 numbers, 200 ms): other counts and periods are used,
//   at exact virtual times.

use super::Countdown;

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

use asynclings_support::watchdog;
use futures::{Stream, StreamExt};
use tokio::time::{Instant, advance, sleep};

const LIMIT: Duration = Duration::from_secs(10);

/// A waker that counts how often it is woken.
#[derive(Default)]
struct CountingWaker {
    wakes: AtomicUsize,
}

impl Wake for CountingWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.wakes.fetch_add(1, Ordering::SeqCst);
    }
}

impl CountingWaker {
    fn new() -> (Arc<Self>, Waker) {
        let counter = Arc::new(Self::default());
        let waker = Waker::from(Arc::clone(&counter));
        (counter, waker)
    }

    fn wakes(&self) -> usize {
        self.wakes.load(Ordering::SeqCst)
    }
}

const SPINS: &str = "a stream must not wake its own task while it waits: the task is then \
                     polled again and again with nothing new to find (a busy loop). Let the \
                     timer wake it: poll a `Sleep` kept in the stream and pass its `Pending` on";

/// Polls a countdown by hand, on the paused clock, and fails with the cause if it spins, is
/// not woken when a number is due, or does not yield when polled after its wake-up. Run first
/// in every check on a runtime: a stream that spins would keep the runtime busy forever.
async fn assert_woken_when_due() {
    let period = Duration::from_millis(70);
    let mut countdown = Box::pin(Countdown::new(3, period));
    let (counter, waker) = CountingWaker::new();
    let mut cx = Context::from_waker(&waker);
    for poll in 1..=2 {
        let got: Poll<Option<u32>> = countdown.as_mut().poll_next(&mut cx);
        assert_eq!(
            got,
            Poll::Pending,
            "a `Countdown::new(3, 70ms)` polled at once (poll {poll}) should be pending: its \
             first number is due 70ms after the first poll"
        );
        assert_eq!(
            counter.wakes(),
            0,
            "polled {poll} time(s) with no number due, the countdown woke its own waker {} \
             time(s): {SPINS}",
            counter.wakes()
        );
    }
    advance(period - Duration::from_millis(1)).await;
    assert_eq!(
        counter.wakes(),
        0,
        "69ms into a 70ms period, the countdown's waker had been woken {} time(s): nothing was \
         due yet. {SPINS}",
        counter.wakes()
    );
    advance(Duration::from_millis(1)).await;
    assert!(
        counter.wakes() >= 1,
        "the countdown returned `Pending`, its first number came due 70ms later, and nothing \
         woke its task: a task that got `Pending` is polled again only when its waker is woken, \
         so on a runtime it would wait forever. `Pending` must come with a wake-up arranged: \
         poll a `tokio::time::Sleep` kept in the stream; its `Pending` means it has given `cx`'s \
         waker to the timer"
    );
    let got: Poll<Option<u32>> = countdown.as_mut().poll_next(&mut cx);
    assert_eq!(
        got,
        Poll::Ready(Some(3)),
        "the countdown was woken when its first number came due, then polled, and did not \
         yield 3. If it made a new `Sleep` at this poll, that timer starts its period over and \
         the number is never yielded: keep one `Sleep` in the stream from poll to poll (in a \
         `Pin<Box<Sleep>>`) and `reset` it after each number"
    );
}

#[tokio::test(start_paused = true)]
async fn woken_by_the_timer_not_by_itself() {
    assert_woken_when_due().await;
}

/// The numbers of a countdown, each with the virtual time at which it came.
type Timed = Vec<(u32, Duration)>;

#[tokio::test(start_paused = true)]
async fn numbers_come_one_period_apart_then_the_end() {
    assert_woken_when_due().await;
    for (from, period_ms) in [(4, 35), (1, 500), (6, 7)] {
        let period = Duration::from_millis(period_ms);
        let mut countdown = Box::pin(Countdown::new(from, period));
        let start = Instant::now();
        let mut got: Timed = Vec::new();
        for _ in 0..from {
            let next: Option<u32> = watchdog(
                LIMIT,
                &format!("awaiting the next number of `Countdown::new({from}, {period:?})`"),
                countdown.next(),
            )
            .await;
            match next {
                Some(number) => got.push((number, start.elapsed())),
                None => break,
            }
        }
        let expected: Timed = (1..=from)
            .rev()
            .zip(1..)
            .map(|(number, k)| (number, period * k))
            .collect();
        assert_eq!(
            got, expected,
            "`Countdown::new({from}, {period:?})` should yield {from} down to 1, one every \
             {period:?} from the first poll (numbers with their virtual times)"
        );
        let end = tokio::time::timeout(LIMIT, countdown.next()).await;
        let end: Option<u32> = end.unwrap_or_else(|_| {
            panic!(
                "after its last number, `Countdown::new({from}, {period:?})` returned `Pending` \
                 and nothing woke it in {LIMIT:?}: a stream says it is over with \
                 `Poll::Ready(None)`, which ends `while let Some(..) = stream.next().await`. \
                 `Pending` would leave the consumer waiting forever"
            )
        });
        assert_eq!(
            end, None,
            "after counting down to 1, the countdown should end (`None`)"
        );
        assert_eq!(
            start.elapsed(),
            period * from,
            "the countdown should end right after its last number, without waiting another \
             period"
        );
        let again: Poll<Option<u32>> = countdown
            .as_mut()
            .poll_next(&mut Context::from_waker(Waker::noop()));
        assert_eq!(
            again,
            Poll::Ready(None),
            "polled again after its end, the countdown should still say `Ready(None)`: it \
             promises to stay ended"
        );
    }
}

#[tokio::test(start_paused = true)]
async fn nothing_starts_before_the_first_poll() {
    assert_woken_when_due().await;
    let period = Duration::from_millis(40);
    let countdown = Countdown::new(2, period);
    sleep(Duration::from_millis(300)).await;
    let mut countdown = Box::pin(countdown);
    let start = Instant::now();
    let first: Option<u32> = watchdog(LIMIT, "awaiting the first number", countdown.next()).await;
    let took = start.elapsed();
    assert_eq!(first, Some(2), "`Countdown::new(2, 40ms)` starts at 2");
    assert_eq!(
        took, period,
        "a countdown made 300ms before its first poll yielded its first number {took:?} after \
         that poll; it should take one period (40ms) from the first poll. A stream, like a \
         future, does nothing until it is polled: `new` should only store the numbers, and the \
         timer should be made at the first `poll_next`"
    );
}

/// A stream that counts how often `poll_next` is called on the stream inside, and stops the
/// check when it is polled far more often than a woken stream ever is.
struct Counted<S> {
    inner: Pin<Box<S>>,
    polls: Arc<AtomicUsize>,
    max: usize,
}

impl<S: Stream> Stream for Counted<S> {
    type Item = S::Item;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<S::Item>> {
        let polls = self.polls.fetch_add(1, Ordering::SeqCst) + 1;
        assert!(
            polls <= self.max,
            "the countdown was polled {polls} times before it ended, where a stream woken only \
             by its timer is polled at most {} times (twice a number, once for the end): {SPINS}",
            self.max
        );
        self.inner.as_mut().poll_next(cx)
    }
}

#[tokio::test(start_paused = true)]
async fn collect_polls_twice_a_number() {
    assert_woken_when_due().await;
    let (from, period) = (5, Duration::from_millis(23));
    let polls = Arc::new(AtomicUsize::new(0));
    let counted = Counted {
        inner: Box::pin(Countdown::new(from, period)),
        polls: Arc::clone(&polls),
        max: 2 * from as usize + 1,
    };
    let start = Instant::now();
    let got: Vec<u32> = watchdog(
        LIMIT,
        "collecting `Countdown::new(5, 23ms)`",
        counted.collect::<Vec<u32>>(),
    )
    .await;
    assert_eq!(
        got,
        vec![5, 4, 3, 2, 1],
        "`Countdown::new(5, 23ms)` collected"
    );
    assert_eq!(
        start.elapsed(),
        period * from,
        "collecting `Countdown::new(5, 23ms)` should take five periods of virtual time"
    );
}
