// Checks for blocking4: no block_on inside async code.
//
// Each check runs on a paused current-thread runtime of its own, on a thread of its own; the
// test thread waits for it with a real-time limit, so a runtime thread that is truly blocked
// is reported with its usual cause instead of hanging until the runner's time limit.
//
// Mistakes a learner makes on this idea, and how each is caught:
// - `Handle::current().block_on(..)` inside async code (as shipped): tokio panics; the
//   panic is turned into the lesson.
// - `block_in_place` around that block_on: tokio panics on a current-thread runtime; the
//   message says so.
// - `futures::executor::block_on`: it blocks the runtime's thread, which is the only one
//   that can fire the lookup's timer: a real deadlock; the real-time limit names it.
// - A second runtime on another thread, joined or waited for: the lookups take no virtual
//   time and the heartbeat stops; the message names another executor.
// - Hard-coding the banner: settings and latencies are the checks' own.

use super::{ConfigService, start_app};

use std::panic::AssertUnwindSafe;
use std::sync::mpsc as std_mpsc;
use std::time::Duration;

use asynclings_support::Heartbeat;
use asynclings_support::timeline::{self, Timeline};
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

/// Starts the app next to a heartbeat, on a paused current-thread runtime on a thread of its
/// own, and gives its banner, the virtual time it took and the heartbeat's beats, and the
/// run as a timeline (start_app, and each beat).
fn banner(latency: u64, values: &[(&str, &str)]) -> (String, Duration, usize, Timeline) {
    let values: Vec<(String, String)> = values
        .iter()
        .map(|&(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let (tx, rx) = std_mpsc::channel();
    let runner =
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .start_paused(true)
                .build()
                .unwrap();
            let outcome = runtime.block_on(async move {
            let values: Vec<(&str, &str)> =
                values.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            let service = ConfigService::new(ms(latency), &values);
            let recorded = Timeline::new();
            let heartbeat = Heartbeat::recording(ms(15), &recorded, "heartbeat");
            let start = Instant::now();
            let run = AssertUnwindSafe(start_app(&service)).catch_unwind();
            let banner = match tokio::time::timeout(Duration::from_secs(10), run).await {
                Err(_) => panic!("start_app had not returned after 10s of virtual time"),
                Ok(Err(payload)) => {
                    let text = panic_text(payload.as_ref());
                    let first = text.split('.').next().unwrap_or_default().to_string();
                    if text.contains("only when running on the multi-threaded runtime") {
                        panic!(
                            "start_app panicked with {first:?}: `block_in_place` works only on a \
                             multi-threaded runtime, and this one (like many tests') has a \
                             single thread. And the code is async already: call \
                             `fetch_setting(..)` and `.await` it"
                        );
                    } else if text.contains("runtime from within a runtime") {
                        panic!(
                            "start_app panicked with {first:?}... `block_on` drives a future by \
                             blocking the thread, and inside async code that thread is the \
                             runtime's own: Tokio refuses. You are already in async code: call \
                             `fetch_setting(..)` and `.await` it"
                        );
                    } else {
                        panic!("start_app panicked with {text:?}")
                    }
                }
                Ok(Ok(banner)) => banner,
            };
            let banner: String = banner;
            let took = start.elapsed();
            recorded.span_at("start_app", Duration::ZERO, took);
            recorded.end_at(took);
            (banner, took, heartbeat.beats(), recorded)
        });
            let _ = tx.send(outcome);
        });
    match rx.recv_timeout(Duration::from_secs(3)) {
        Ok(outcome) => outcome,
        Err(std_mpsc::RecvTimeoutError::Disconnected) => match runner.join() {
            Err(payload) => std::panic::resume_unwind(payload),
            Ok(()) => panic!("start_app's runtime ended without a result"),
        },
        Err(std_mpsc::RecvTimeoutError::Timeout) => panic!(
            "start_app did not return in 3s of real time, and its runtime's only thread never \
             came back to run anything else: it is blocked. A `block_on` inside async code \
             (`futures::executor::block_on`, or waiting on a thread that runs another runtime) \
             stops the runtime's own thread, and the lookup's timer can only be fired by that \
             thread, so it waits forever. You are already in async code: call \
             `fetch_setting(..)` and `.await` it"
        ),
    }
}

/// start_app taking `took`, with the heartbeat beating every 15ms meanwhile.
fn expected_run(took: Duration) -> Timeline {
    let expected = Timeline::new();
    expected.declare_instants("heartbeat");
    let mut beat = ms(15);
    while beat < took {
        expected.instant_at("heartbeat", beat);
        beat += ms(15);
    }
    expected.span_at("start_app", Duration::ZERO, took);
    expected.end_at(took);
    expected
}

fn check_time(latency: u64, took: Duration, beats: usize, recorded: &Timeline) {
    // The lookups at once, or one after the other if it took longer than one.
    let should = if took > ms(latency) {
        ms(2 * latency)
    } else {
        ms(latency)
    };
    timeline::assert(
        took == ms(latency) || took == ms(2 * latency),
        recorded,
        Some(&expected_run(should)),
        || {
            format!(
                "start_app took {took:?} of virtual time with lookups of {latency}ms each; expected \
         {latency}ms (both lookups at once) or {}ms (one after the other). A lookup that takes \
         no virtual time did not wait on the runtime's timer: is it driven by some other \
         executor or thread?",
                2 * latency
            )
        },
    );
    let expected = ((took.as_millis() - 1) / 15) as usize;
    timeline::assert_eq(beats, expected, recorded, Some(&expected_run(took)), || {
        format!(
            "while start_app ran for {took:?}, a heartbeat ticking every 15ms beat {beats} times; \
         expected {expected}: the runtime's thread should be free while the lookups wait"
        )
    });
}

#[test]
fn the_app_starts_with_its_settings() {
    let (banner, took, beats, recorded) = banner(
        40,
        &[("app.name", "tide"), ("app.motd", "low water at 14:05")],
    );
    assert_eq!(
        banner, "tide: low water at 14:05",
        "start_app gave {banner:?}"
    );
    check_time(40, took, beats, &recorded);
}

#[test]
fn a_missing_setting_is_empty() {
    let (banner, took, beats, recorded) = banner(22, &[("app.name", "quiet")]);
    assert_eq!(
        banner, "quiet: ",
        "start_app gave {banner:?} with no message of the day; expected \"quiet: \""
    );
    check_time(22, took, beats, &recorded);
}
