// Checks for async_blocks1: a spawned `async` block must own what it uses (`async move`).
//
// Mistakes a learner makes here, and how each is caught:
// - the block still borrows `name` or `delay`: does not compile (E0373).
// - `Box::leak` (or `std::mem::forget`) to get a `&'static` name (leaking to satisfy
//   `'static`): the checks hand in a name that counts its drops; once the greeting has been
//   built and the task is done, it must have been dropped exactly once.
// - the task awaited inside greet_later (blocking the caller until it is done, or a
//   `block_on`): greet_later must return at once, before any virtual time passes.
// - a fixed greeting, or the name formatted before the task (hard-coding): the checks greet
//   names the exercise does not show.
// - the delay ignored or fixed: the greeting must come after exactly the given delay.

use super::greet_later;

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use asynclings_support::watchdog;
use tokio::time::Instant;

const LIMIT: Duration = Duration::from_secs(10);

/// A name that counts how many times it has been dropped.
struct CountedName {
    name: &'static str,
    drops: Arc<AtomicUsize>,
}

impl CountedName {
    fn new(name: &'static str) -> (Self, Arc<AtomicUsize>) {
        let drops = Arc::new(AtomicUsize::new(0));
        let counted = CountedName {
            name,
            drops: Arc::clone(&drops),
        };
        (counted, drops)
    }
}

impl fmt::Display for CountedName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name)
    }
}

impl Drop for CountedName {
    fn drop(&mut self) {
        self.drops.fetch_add(1, Ordering::SeqCst);
    }
}

async fn greet(name: &'static str, delay: Duration) -> (String, usize) {
    let (counted, drops) = CountedName::new(name);
    let handle = greet_later(counted, delay);
    let greeting: String = watchdog(LIMIT, "the greeting task", handle)
        .await
        .expect("the greeting task panicked");
    (greeting, drops.load(Ordering::SeqCst))
}

#[tokio::test(start_paused = true)]
async fn the_task_greets_the_name_it_was_given() {
    for name in ["Ferris", "Ada Lovelace", ""] {
        let (greeting, _) = greet(name, Duration::from_millis(30)).await;
        let expected = format!("Hello, {name}!");
        assert_eq!(
            greeting, expected,
            "greet_later({name:?}, ..) produced {greeting:?}, expected {expected:?}: the task \
             should build the greeting from the name it was given"
        );
    }
    let greeting: String = greet_later(String::from("Grace"), Duration::from_millis(3))
        .await
        .expect("the greeting task panicked");
    assert_eq!(greeting, "Hello, Grace!");
}

#[tokio::test(start_paused = true)]
async fn the_task_owns_the_name_and_drops_it() {
    let (greeting, drops) = greet("Hedy", Duration::from_millis(45)).await;
    assert_eq!(greeting, "Hello, Hedy!");
    assert_eq!(
        drops, 1,
        "the greeting task is done, but the name it was given was dropped {drops} times \
         (expected once): a value that is never dropped was leaked. `Box::leak` gets a \
         `&'static` by never freeing the value; `async move` gives the task the value itself, \
         and the task drops it when it is done"
    );
}

#[tokio::test(start_paused = true)]
async fn the_task_waits_for_its_delay() {
    let start = Instant::now();
    let handle = greet_later("Grace", Duration::from_millis(731));
    let greeting: String = watchdog(LIMIT, "the greeting task", handle)
        .await
        .expect("the greeting task panicked");
    let took = start.elapsed();
    assert_eq!(greeting, "Hello, Grace!");
    assert_eq!(
        took,
        Duration::from_millis(731),
        "the greeting arrived after {took:?} of virtual time; with a delay of 731ms it should \
         arrive after exactly 731ms: does the task sleep for the `delay` it was given?"
    );
}

#[tokio::test(start_paused = true)]
async fn greet_later_returns_before_the_task_runs() {
    // The handle comes back at once: `greet_later` is a plain `fn` that starts a task and
    // does not wait for it. Two greetings started together both finish after the longer
    // delay, not after the sum.
    let start = Instant::now();
    let slow = greet_later("slow", Duration::from_millis(300));
    let fast = greet_later("fast", Duration::from_millis(100));
    let returned = start.elapsed();
    assert_eq!(
        returned,
        Duration::ZERO,
        "greet_later returned after {returned:?} of virtual time; it should start the task \
         and return its handle at once, without waiting for the greeting"
    );
    let (slow, fast) = watchdog(LIMIT, "two greeting tasks", async {
        tokio::join!(slow, fast)
    })
    .await;
    let slow: String = slow.expect("a greeting task panicked");
    let fast: String = fast.expect("a greeting task panicked");
    assert_eq!(slow, "Hello, slow!");
    assert_eq!(fast, "Hello, fast!");
    let took = start.elapsed();
    assert_eq!(
        took,
        Duration::from_millis(300),
        "two greeting tasks with delays of 300ms and 100ms took {took:?}; tasks run \
         concurrently, so both should be done after 300ms"
    );
}
