// Mistakes learners make on a `block_on` of their own, and how each is caught:
// - polling in a loop with a no-op waker (the shipped code, a busy loop): counted polls while
//   a helper thread leaves the future alone (SPINNING cuts the wait short).
// - a no-op waker and a sleep (or `park_timeout`) between polls: the waker handed to the
//   future is compared with `Waker::noop()` (it must be able to wake the executor); a real
//   waker with a timed sleep between polls is caught by the poll count over a long quiet spell
//   (200 ms: any period under 100 ms polls at least twice too often, the usual 1-50 ms
//   certainly) and by the time from a wake to the next poll (at most 100 ms, where a parked
//   thread takes microseconds; longer periods, such as 500 ms, land there). Periods between
//   about 100 and 300 ms may slip through, depending on how they line up with the helper, and
//   a thread spinning on a flag that the waker sets polls exactly as often as a parked one:
//   neither is visible from safe code in a check.
// - a waker that unparks the thread calling `wake` instead of the one running `block_on`:
//   `block_on` never returns; the message names the cause.
// - a wake-up during the poll lost (a flag reset after the poll): a self-waking future must
//   be polled exactly twice.

use super::block_on;

use std::future::Future;
use std::pin::Pin;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::thread;
// Real time, on purpose: `block_on` blocks a real thread, and the helpers below are real
// threads. The verdicts do not depend on how fast the machine is, only the time limits do.
use std::time::{Duration, Instant};

/// How long `block_on` may take, at most, before it counts as stuck.
const STUCK: Duration = Duration::from_secs(2);
/// How long a helper leaves a waiting future alone before it makes progress: long enough to
/// see whether the executor polls it again without being woken.
const QUIET: Duration = Duration::from_millis(200);
/// A parked thread is back within microseconds of its wake-up; this leaves room for a busy
/// machine.
const PROMPT: Duration = Duration::from_millis(100);
/// A future polled this many times without a wake-up is being spun on; no need to wait more.
const SPINNING: u32 = 25;

#[derive(Default)]
struct Shared {
    /// Steps of progress the helper has made.
    progress: u32,
    /// Times the future was polled.
    polls: u32,
    waker: Option<Waker>,
    /// The waker of a poll was the no-op waker.
    noop_waker: bool,
    /// When the helper last woke the future, and the longest time from a wake to a poll.
    woken_at: Option<Instant>,
    slowest_response: Duration,
}

/// Ready once a helper thread has made `needed` steps of progress; outputs how many times it
/// was polled.
struct Remote {
    shared: Arc<Mutex<Shared>>,
    needed: u32,
}

impl Future for Remote {
    type Output = u32;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<u32> {
        let mut shared = self.shared.lock().unwrap();
        shared.polls += 1;
        if cx.waker().will_wake(Waker::noop()) {
            shared.noop_waker = true;
        }
        if let Some(woken_at) = shared.woken_at.take() {
            let response = woken_at.elapsed();
            shared.slowest_response = shared.slowest_response.max(response);
        }
        if shared.progress >= self.needed {
            Poll::Ready(shared.polls)
        } else {
            shared.waker = Some(cx.waker().clone());
            Poll::Pending
        }
    }
}

/// A thread that makes `steps` steps of progress. Before each step it waits until the
/// future has been polled since the last one (it is waiting again), then leaves it alone
/// for `QUIET` (or until it has been spun on), then makes the step and wakes the future.
fn helper(shared: Arc<Mutex<Shared>>, steps: u32) {
    thread::spawn(move || {
        let mut seen = 0;
        for _ in 0..steps {
            let start = Instant::now();
            while shared.lock().unwrap().polls <= seen && start.elapsed() < STUCK {
                thread::sleep(Duration::from_millis(1));
            }
            let polled = shared.lock().unwrap().polls;
            let quiet_since = Instant::now();
            while quiet_since.elapsed() < QUIET && shared.lock().unwrap().polls < polled + SPINNING
            {
                thread::sleep(Duration::from_millis(1));
            }
            let waker = {
                let mut shared = shared.lock().unwrap();
                shared.progress += 1;
                seen = shared.polls;
                shared.woken_at = Some(Instant::now());
                shared.waker.take()
            };
            if let Some(waker) = waker {
                waker.wake();
            }
        }
    });
}

/// Runs `f` (which calls `block_on`) on a thread of its own, and fails if it does not return
/// within `STUCK`.
fn returns<T: Send + 'static>(what: &str, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (done, result) = mpsc::channel();
    thread::spawn(move || {
        let _ = done.send(f());
    });
    match result.recv_timeout(STUCK) {
        Ok(value) => value,
        Err(RecvTimeoutError::Timeout) => panic!(
            "{what} did not return within {STUCK:?}: the future was woken, but `block_on` \
             never polled it again. Is the thread still parked? The waker must unpark the \
             thread that runs `block_on` (captured with `std::thread::current()` inside \
             `block_on`), not the thread that happens to call `wake`"
        ),
        Err(RecvTimeoutError::Disconnected) => panic!("{what} panicked"),
    }
}

fn run_remote(steps: u32) -> u32 {
    let shared = Arc::new(Mutex::new(Shared::default()));
    helper(Arc::clone(&shared), steps);
    let future = Remote {
        shared: Arc::clone(&shared),
        needed: steps,
    };
    let polls: u32 = returns(
        "block_on of a future woken from another thread",
        move || block_on(future),
    );
    let shared = shared.lock().unwrap();
    assert!(
        !shared.noop_waker,
        "block_on polled the future with `Waker::noop()`: waking it does nothing, so block_on \
         cannot know when the future has news, and must guess (poll again at once, or after a \
         sleep). Give it a waker that unparks the thread running block_on"
    );
    assert_polls(polls, steps);
    let slowest = shared.slowest_response;
    assert!(
        slowest <= PROMPT,
        "the future was woken, and block_on polled it again only {slowest:?} later: does it \
         sleep for a while between polls (`thread::sleep`, `park_timeout`) instead of parking \
         until the waker unparks it? A parked thread is back within microseconds"
    );
    polls
}

fn assert_polls(polls: u32, wakes: u32) {
    let ideal = wakes + 1;
    assert!(
        polls <= ideal + 1,
        "block_on polled the future {polls} times while it waited for {wakes} wake-up(s); an \
         executor that sleeps until it is woken polls once at the start and once per \
         wake-up, {ideal} times. Polling when nothing has happened is a busy loop (sleeping a \
         little between polls is a slower one): park the thread with \
         `std::thread::park()` until the waker unparks it"
    );
}

#[test]
fn block_on_sleeps_until_the_future_is_woken() {
    run_remote(1);
}

#[test]
fn every_wake_up_gets_a_poll() {
    run_remote(4);
}

/// Wakes itself during its first poll and is ready at the second, like `yield_now`.
struct YieldOnce {
    polls: u32,
}

impl Future for YieldOnce {
    type Output = u32;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<u32> {
        self.polls += 1;
        if self.polls == 1 {
            cx.waker().wake_by_ref();
            Poll::Pending
        } else {
            Poll::Ready(self.polls)
        }
    }
}

#[test]
fn a_wake_up_during_the_poll_is_not_lost() {
    let polls: u32 = returns(
        "block_on of a future that wakes itself during its first poll",
        || block_on(YieldOnce { polls: 0 }),
    );
    assert_eq!(
        polls, 2,
        "a future that woke itself once and was then ready was polled {polls} times; expected 2"
    );
}

#[test]
fn the_output_comes_back() {
    let output: (i32, String) = returns("block_on of async blocks", || {
        let answer: i32 = block_on(async { 19 * 3 });
        let nested: String = block_on(async {
            let a = async { "async" }.await;
            format!("{a}lings")
        });
        (answer, nested)
    });
    assert_eq!(
        output,
        (57, "asynclings".to_string()),
        "block_on should return the future's output"
    );
}
