use super::*;

use std::panic::AssertUnwindSafe;
use std::time::Duration;

use asynclings_support::Heartbeat;
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

async fn banner(latency: u64, values: &[(&str, &str)]) -> (String, Duration, usize) {
    let service = ConfigService::new(ms(latency), values);
    let heartbeat = Heartbeat::start(ms(15));
    let start = Instant::now();
    let run = AssertUnwindSafe(start_app(&service)).catch_unwind();
    let banner = match tokio::time::timeout(Duration::from_secs(10), run).await {
        Err(_) => panic!("start_app had not returned after 10s of virtual time"),
        Ok(Err(payload)) => panic!(
            "start_app panicked with {:?}... `block_on` drives a future by blocking the thread, \
             and inside async code that thread is the runtime's own: Tokio refuses. You are \
             already in async code: call `fetch_setting(..)` and `.await` it (block_in_place \
             does not help either: it panics on a current_thread runtime)",
            panic_text(payload.as_ref())
                .split('.')
                .next()
                .unwrap_or_default()
        ),
        Ok(Ok(banner)) => banner,
    };
    (banner, start.elapsed(), heartbeat.beats())
}

fn check_time(latency: u64, took: Duration, beats: usize) {
    assert!(
        took == ms(latency) || took == ms(2 * latency),
        "start_app took {took:?} of virtual time with lookups of {latency}ms each; expected \
         {latency}ms (both lookups at once) or {}ms (one after the other). A lookup that takes \
         no virtual time did not wait on the runtime's timer: is it driven by some other \
         executor or thread?",
        2 * latency
    );
    let expected = ((took.as_millis() - 1) / 15) as usize;
    assert_eq!(
        beats, expected,
        "while start_app ran for {took:?}, a heartbeat ticking every 15ms beat {beats} times; \
         expected {expected}: the runtime's thread should be free while the lookups wait"
    );
}

#[tokio::test(start_paused = true)]
async fn the_app_starts_with_its_settings() {
    let (banner, took, beats) = banner(
        40,
        &[("app.name", "tide"), ("app.motd", "low water at 14:05")],
    )
    .await;
    assert_eq!(
        banner, "tide: low water at 14:05",
        "start_app gave {banner:?}"
    );
    check_time(40, took, beats);
}

#[tokio::test(start_paused = true)]
async fn a_missing_setting_is_empty() {
    let (banner, took, beats) = banner(22, &[("app.name", "quiet")]).await;
    assert_eq!(
        banner, "quiet: ",
        "start_app gave {banner:?} with no message of the day; expected \"quiet: \""
    );
    check_time(22, took, beats);
}
