use super::*;

use std::panic::AssertUnwindSafe;
use std::time::Duration;

use futures::FutureExt;
use tokio::time::Instant;

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn panic_text(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "(no message)".to_string())
}

/// Runs load_page, turning a panic or a hang into a lesson.
async fn load(config: u64, users: u64) -> (Page, Duration) {
    let start = Instant::now();
    let run = AssertUnwindSafe(load_page(ms(config), ms(users))).catch_unwind();
    let outcome = tokio::time::timeout(Duration::from_secs(10), run).await;
    let page = match outcome {
        Err(_) => panic!(
            "load_page({config}ms, {users}ms) was still loading after 10s of virtual time. Is a \
             fetch created inside the loop? Then it starts over at every turn and a spinner tick \
             every 50ms keeps restarting it: create both fetches once, before the loop, pinned, \
             and select on `&mut` references to them"
        ),
        Ok(Err(payload)) => panic!(
            "load_page({config}ms, {users}ms) panicked with {:?}. When the first fetch has \
             finished, the loop goes on (it still waits for the other) and polls the finished \
             future again, which an async fn's future does not allow. Add a precondition to \
             each fetch branch: `c = &mut config_fetch, if config.is_none() => ...`",
            panic_text(payload.as_ref())
        ),
        Ok(Ok(page)) => page,
    };
    (page, start.elapsed())
}

#[tokio::test(start_paused = true)]
async fn both_results_arrive_when_the_config_comes_first() {
    let (page, took) = load(70, 180).await;
    assert_eq!(
        page,
        Page {
            config: "config after 70ms".to_string(),
            users: "users after 180ms".to_string(),
            spinner_frames: 4,
        },
        "load_page(70ms, 180ms) gave {page:?}; expected both results, and 4 spinner frames (at \
         0, 50, 100 and 150ms)"
    );
    assert_eq!(
        took,
        ms(180),
        "load_page(70ms, 180ms) took {took:?} of virtual time; the fetches run at the same time, \
         so it should take 180ms"
    );
}

#[tokio::test(start_paused = true)]
async fn both_results_arrive_when_the_users_come_first() {
    let (page, took) = load(260, 35).await;
    assert_eq!(
        page,
        Page {
            config: "config after 260ms".to_string(),
            users: "users after 35ms".to_string(),
            spinner_frames: 6,
        },
        "load_page(260ms, 35ms) gave {page:?}; expected both results, and 6 spinner frames (at \
         0, 50, ... 250ms)"
    );
    assert_eq!(
        took,
        ms(260),
        "load_page(260ms, 35ms) took {took:?} of virtual time; expected 260ms"
    );
}

#[tokio::test(start_paused = true)]
async fn both_results_arrive_when_they_finish_together() {
    let (page, took) = load(95, 95).await;
    assert_eq!(
        (
            page.config.as_str(),
            page.users.as_str(),
            page.spinner_frames,
            took
        ),
        ("config after 95ms", "users after 95ms", 2, ms(95)),
        "load_page(95ms, 95ms) gave {page:?} after {took:?} of virtual time; expected both \
         results and 2 spinner frames, at 95ms"
    );
}
