// Mistakes learners make on a hand-written future's wake-up, and how each is caught:
// - `Pending` with no waker stored (the shipped code): a delivery wakes nobody; polled by hand,
//   the waker's wake count stays 0; on a runtime, the parcel is picked up only when something
//   else polls the task (the time is compared exactly).
// - waking its own waker on every poll (a busy loop): the wake count must stay 0 while the
//   mailbox is empty.
// - storing the waker but never waking it in `deliver`: wake count 0 after a delivery.
// - keeping only the first waker (`if recipient.is_none()`): the future is polled again with
//   a second waker (as a `select!` or a task moved between threads does), and the delivery
//   must wake that one.
// - waking while holding the lock, or more than once: counted.

use super::Mailbox;

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

use asynclings_support::watchdog;
use tokio::time::{Instant, sleep};

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

const SPINS: &str = "a future must not wake its own task while it waits: the task is then \
                     polled again and again with nothing new to find (a busy loop). Wake only \
                     when there is news: store `cx.waker().clone()` where `deliver` can find \
                     it, and let `deliver` wake it";

/// Polls a parcel that nobody delivers, a few times, and fails if it woke itself.
fn assert_does_not_spin() {
    let mailbox = Mailbox::default();
    let mut parcel = std::pin::pin!(mailbox.parcel());
    let (counter, waker) = CountingWaker::new();
    let mut cx = Context::from_waker(&waker);
    for poll in 1..=3 {
        assert!(
            parcel.as_mut().poll(&mut cx).is_pending(),
            "an empty mailbox's parcel future was ready at poll {poll}"
        );
        assert_eq!(
            counter.wakes(),
            0,
            "polled {poll} time(s) with no parcel in the mailbox, the parcel future woke its \
             own waker {} time(s): {SPINS}",
            counter.wakes()
        );
    }
}

#[test]
fn waiting_for_a_parcel_does_not_spin() {
    assert_does_not_spin();
}

#[test]
fn a_delivery_wakes_the_waiting_task_once() {
    let mailbox = Mailbox::default();
    let mut parcel = std::pin::pin!(mailbox.parcel());
    let (counter, waker) = CountingWaker::new();
    let mut cx = Context::from_waker(&waker);

    assert!(parcel.as_mut().poll(&mut cx).is_pending());
    assert_eq!(counter.wakes(), 0, "{SPINS}");
    mailbox.clone().deliver("a teapot");
    assert_eq!(
        counter.wakes(),
        1,
        "after `deliver`, the waker of the task waiting for the parcel was woken {} time(s); \
         expected once. A future that returned `Pending` is only polled again when its waker \
         is woken: `poll` must leave `cx.waker().clone()` in the slot, and `deliver` must take \
         it and call `wake()`",
        counter.wakes()
    );
    match parcel.as_mut().poll(&mut cx) {
        Poll::Ready(got) => {
            let got: String = got;
            assert_eq!(got, "a teapot", "the parcel delivered was a teapot")
        }
        Poll::Pending => panic!("after the delivery and its wake-up, the parcel was still pending"),
    }
}

#[test]
fn a_parcel_already_there_is_ready_at_the_first_poll() {
    let mailbox = Mailbox::default();
    mailbox.deliver("a lamp");
    let (counter, waker) = CountingWaker::new();
    let mut cx = Context::from_waker(&waker);
    let got: Poll<String> = std::pin::pin!(mailbox.parcel()).poll(&mut cx);
    assert_eq!(
        got,
        Poll::Ready("a lamp".to_string()),
        "a parcel delivered before anyone waited should be ready at the first poll"
    );
    assert_eq!(counter.wakes(), 0, "a ready future has nothing to wake");
}

#[tokio::test(start_paused = true)]
async fn a_task_waits_for_a_courier_task() {
    // A future that spins would keep this runtime busy forever; find that out first.
    assert_does_not_spin();
    for (parcel, after_ms) in [("a kite", 75), ("a map", 1), ("a drum", 640)] {
        let mailbox = Mailbox::default();
        let courier = mailbox.clone();
        tokio::spawn(async move {
            sleep(Duration::from_millis(after_ms)).await;
            courier.deliver(parcel);
        });
        let start = Instant::now();
        let got: String = watchdog(
            LIMIT,
            "awaiting a parcel that a courier task delivers later",
            mailbox.parcel(),
        )
        .await;
        assert_eq!(got, parcel, "the courier delivered {parcel:?}");
        let took = start.elapsed();
        assert_eq!(
            took,
            Duration::from_millis(after_ms),
            "the parcel delivered at {after_ms}ms was picked up at {took:?} of virtual time, \
             when the check's time limit happened to poll the waiting task again: nothing \
             woke the task when the parcel came. `poll` must leave `cx.waker().clone()` in \
             the slot, and `deliver` must wake it"
        );
    }
}

#[test]
fn the_latest_waker_is_the_one_woken() {
    let mailbox = Mailbox::default();
    let mut parcel = std::pin::pin!(mailbox.parcel());
    let (first, first_waker) = CountingWaker::new();
    let (second, second_waker) = CountingWaker::new();
    assert!(
        parcel
            .as_mut()
            .poll(&mut Context::from_waker(&first_waker))
            .is_pending()
    );
    // Polled again, by another waker: the task is now the one behind `second_waker`.
    assert!(
        parcel
            .as_mut()
            .poll(&mut Context::from_waker(&second_waker))
            .is_pending()
    );
    mailbox.deliver("a clock");
    assert_eq!(
        second.wakes(),
        1,
        "the parcel future was polled with one waker, then with another, and the delivery woke \
         the second {} time(s) (the first: {}). A future may be polled with a different waker \
         each time (a `select!`, a task moved to another thread): only the waker of the latest \
         poll is sure to reach the task that waits. Store `cx.waker().clone()` at every poll \
         that returns `Pending`, replacing the one before",
        second.wakes(),
        first.wakes()
    );
}
