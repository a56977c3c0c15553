// Mistakes learners make on keeping a waker up to date, and how each is caught:
// - keeping the first waker only (the shipped code): polled by a second waker, the count
//   reaching zero must wake the second; a wait moved to another task must finish there.
// - keeping every waker (a `Vec`, one clone per poll): the latch must hold exactly one clone
//   after five polls by the same task (`waker_ref_count`).
// - waking on every poll to be safe (a busy loop): wake counts must stay 0 while waiting.
// - `will_wake` inverted (replacing the waker only when it is the same task's): caught by the
//   second-waker check.
// - waking before the count reaches zero, or never: counted; virtual time compared exactly.

use super::Latch;

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

fn counting_waker() -> (Arc<CountingWaker>, Waker) {
    let counter = Arc::new(CountingWaker::default());
    let waker = Waker::from(Arc::clone(&counter));
    (counter, waker)
}

fn wakes(counter: &CountingWaker) -> usize {
    counter.wakes.load(Ordering::SeqCst)
}

/// Polls a wait that cannot finish, a few times, and fails if it woke itself.
fn assert_does_not_spin() {
    let latch = Latch::new(1);
    let mut wait = std::pin::pin!(latch.wait());
    let (counter, waker) = counting_waker();
    for _ in 0..3 {
        assert!(
            wait.as_mut()
                .poll(&mut Context::from_waker(&waker))
                .is_pending()
        );
    }
    assert_eq!(
        wakes(&counter),
        0,
        "a latch wait that cannot finish yet woke its own waker while being polled: the \
         task is then polled again and again for nothing (a busy loop). Keep the latest \
         waker, and let `count_down` wake it"
    );
}

#[test]
fn a_wait_does_not_wake_itself() {
    assert_does_not_spin();
}

#[test]
fn the_waker_of_the_latest_poll_is_woken() {
    let latch = Latch::new(2);
    let mut wait = std::pin::pin!(latch.wait());
    let (first, first_waker) = counting_waker();
    let (latest, latest_waker) = counting_waker();

    assert!(
        wait.as_mut()
            .poll(&mut Context::from_waker(&first_waker))
            .is_pending()
    );
    // The future moves on: from now on another task polls it.
    assert!(
        wait.as_mut()
            .poll(&mut Context::from_waker(&latest_waker))
            .is_pending()
    );
    latch.count_down();
    latch.count_down();
    assert_eq!(
        (wakes(&first), wakes(&latest)),
        (0, 1),
        "the wait was polled first by task A, then by task B; when the count reached zero, \
         A's waker was woken {} time(s) and B's {} time(s). Only B polls the future now: its \
         waker, the one of the latest poll, must be woken (once), and A's, which is stale, \
         not at all. Replace the stored waker when a poll brings one that does not \
         `will_wake` the same task",
        wakes(&first),
        wakes(&latest)
    );
    assert_eq!(
        wait.as_mut().poll(&mut Context::from_waker(&latest_waker)),
        Poll::Ready(()),
        "once the count reached zero the wait should be ready"
    );
}

#[test]
fn polls_by_the_same_task_keep_one_waker() {
    let latch = Latch::new(1);
    let mut wait = tokio_test::task::spawn(latch.wait());
    for _ in 0..5 {
        assert!(wait.poll().is_pending());
    }
    // The task itself holds one reference to its waker; the rest are clones kept elsewhere.
    let held = wait.waker_ref_count() - 1;
    assert_eq!(
        held, 1,
        "after five polls by the same task, the latch holds {held} clones of that task's \
         waker; it should hold one, the latest. Replace the stored waker rather than adding \
         one per poll"
    );
    latch.count_down();
    assert!(
        wait.is_woken(),
        "the count reached zero and the waiting task was not woken"
    );
    assert!(wait.poll().is_ready());
}

#[tokio::test(start_paused = true)]
async fn a_wait_moved_to_another_task_finishes_there() {
    // A future that spins would keep this runtime busy forever; find that out first.
    assert_does_not_spin();
    let latch = Latch::new(3);
    for after_ms in [20, 90, 35] {
        let latch = latch.clone();
        tokio::spawn(async move {
            sleep(Duration::from_millis(after_ms)).await;
            latch.count_down();
        });
    }
    let start = Instant::now();
    let mut wait = Box::pin(latch.wait());
    // Polled once here, in the check's task...
    assert!(futures::poll!(&mut wait).is_pending());
    // ... then awaited in a task of its own.
    let waiter = tokio::spawn(async move {
        wait.await;
        Instant::now()
    });
    let done_at = watchdog(
        LIMIT,
        "a latch wait first polled in one task, then awaited in another,",
        waiter,
    )
    .await
    .expect("the waiting task panicked");
    assert_eq!(
        done_at - start,
        Duration::from_millis(90),
        "the wait finished at {:?} of virtual time; the last count_down came at 90ms",
        done_at - start
    );
}
