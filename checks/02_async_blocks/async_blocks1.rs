use super::*;

use std::time::Duration;

use asynclings_support::watchdog;
use tokio::time::Instant;

const LIMIT: Duration = Duration::from_secs(10);

#[tokio::test(start_paused = true)]
async fn the_task_greets_the_name_it_was_given() {
    for name in ["Ferris", "Ada Lovelace", ""] {
        let greeting = watchdog(LIMIT, "the greeting task", async {
            greet_later(name.to_string(), Duration::from_millis(30)).await
        })
        .await
        .expect("the greeting task panicked");
        let expected = format!("Hello, {name}!");
        assert_eq!(
            greeting, expected,
            "greet_later({name:?}, ..) produced {greeting:?}, expected {expected:?}: the task \
             should build the greeting from the name it was given"
        );
    }
}

#[tokio::test(start_paused = true)]
async fn the_task_waits_for_its_delay() {
    let start = Instant::now();
    let handle = greet_later("Grace".to_string(), Duration::from_millis(730));
    watchdog(LIMIT, "the greeting task", handle)
        .await
        .expect("the greeting task panicked");
    let took = start.elapsed();
    assert_eq!(
        took,
        Duration::from_millis(730),
        "the greeting arrived after {took:?} of virtual time; with a delay of 730ms it should \
         arrive after exactly 730ms: does the task sleep for the `delay` it was given?"
    );
}

#[tokio::test(start_paused = true)]
async fn greet_later_returns_before_the_task_runs() {
    // The handle comes back at once: `greet_later` is a plain `fn` that starts a task and
    // does not wait for it. Two greetings started together both finish after the longer
    // delay, not after the sum.
    let start = Instant::now();
    let slow = greet_later("slow".to_string(), Duration::from_millis(300));
    let fast = greet_later("fast".to_string(), Duration::from_millis(100));
    assert_eq!(start.elapsed(), Duration::ZERO);
    let (slow, fast) = watchdog(LIMIT, "two greeting tasks", async {
        tokio::join!(slow, fast)
    })
    .await;
    assert_eq!(slow.unwrap(), "Hello, slow!");
    assert_eq!(fast.unwrap(), "Hello, fast!");
    let took = start.elapsed();
    assert_eq!(
        took,
        Duration::from_millis(300),
        "two greeting tasks with delays of 300ms and 100ms took {took:?}; tasks run \
         concurrently, so both should be done after 300ms"
    );
}
