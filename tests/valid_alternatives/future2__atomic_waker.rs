// future2: wake the waker of the latest poll
//
// future1's promise, "I will wake this task", has a catch: *which* task. The `Waker` in `cx`
// belongs to whoever polls the future this time, and that can change from one poll to the
// next. A future is a value: it can be polled for a while inside one task (say, in a
// `select!` against a timeout) and then be moved into another task and awaited there. Or it
// can sit in a `FuturesUnordered`, which hands each of its futures a waker of its own.
//
//     poll 1, in task A:  Pending, keeps waker A
//     (the future is moved to task B)
//     poll 2, in task B:  Pending, still keeps waker A      <- stale
//     the event happens:  wakes A; nobody polls B's future again: B waits forever
//
// So a pending future must keep the waker of its *latest* poll. Replacing it on every poll
// is correct. Cloning a waker costs a little (an atomic increment, often), so the usual form
// skips the clone when the stored waker would wake the same task anyway:
//
//     match &mut state.waiter {
//         Some(waiter) if waiter.will_wake(cx.waker()) => {}    // same task: keep it
//         waiter => *waiter = Some(cx.waker().clone()),         // new, or another task
//     }
//
// (`waiter.clone_from(cx.waker())` does the same check for you.)
//
// Below, a countdown latch: `wait()` finishes once `count_down()` has been called `count`
// times. Its future keeps the first waker it was given, and never looks again.

use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

struct State {
    remaining: u32,
    /// The waker of the task waiting for the count to reach zero.
    waiter: futures::task::AtomicWaker,
}

#[derive(Clone)]
struct Latch {
    state: Arc<Mutex<State>>,
}

impl Latch {
    fn new(count: u32) -> Self {
        Latch {
            state: Arc::new(Mutex::new(State {
                remaining: count,
                waiter: futures::task::AtomicWaker::new(),
            })),
        }
    }

    /// One of the things waited for is done. The last one wakes the waiting task.
    fn count_down(&self) {
        let waiter = {
            let mut state = self.state.lock().unwrap();
            state.remaining = state.remaining.saturating_sub(1);
            if state.remaining > 0 {
                return;
            }
            state.waiter.take()
        };
        if let Some(waiter) = waiter {
            waiter.wake();
        }
        let _: Option<Waker> = None;
    }

    /// Waits until the count reaches zero.
    fn wait(&self) -> Wait {
        Wait {
            state: Arc::clone(&self.state),
        }
    }
}

/// The future of `Latch::wait`.
struct Wait {
    state: Arc<Mutex<State>>,
}

impl Future for Wait {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let mut state = self.state.lock().unwrap();
        if state.remaining == 0 {
            return Poll::Ready(());
        }
        // Keep the waker of this poll, the latest: the future may have moved to another task
        // since the last one. `will_wake` skips the clone when the stored waker already
        // wakes the same task.
        // `register` replaces the stored waker unless it already wakes the same task.
        state.waiter.register(cx.waker());
        Poll::Pending
    }
}

#[tokio::main]
async fn main() {
    let latch = Latch::new(2);
    for delay in [100, 400] {
        let latch = latch.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(delay)).await;
            latch.count_down();
        });
    }
    let mut wait = Box::pin(latch.wait());
    // Wait here a little (this polls `wait` in main's task)...
    tokio::select! {
        _ = &mut wait => println!("done early"),
        _ = tokio::time::sleep(Duration::from_millis(50)) => println!("not yet; waiting elsewhere"),
    }
    // ... then finish the wait on a task of its own.
    let waiter = tokio::spawn(async move {
        wait.await;
        println!("both done");
    });
    if tokio::time::timeout(Duration::from_secs(2), waiter)
        .await
        .is_err()
    {
        println!("still waiting after 2s: which task did the latch wake?");
    }
}
