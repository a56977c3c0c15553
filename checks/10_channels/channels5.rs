use super::*;

use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::FutureExt;
use tokio::time::{Instant, sleep_until};

const LIMIT: Duration = Duration::from_secs(60);

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn config(version: u32) -> Config {
    Config {
        version,
        max_connections: version * 37 % 500 + 8,
    }
}

/// What the publisher does at an instant (in ms after the start).
enum Step {
    Publish(u32),
    GoAway,
}
use Step::{GoAway, Publish};

struct Run {
    /// The versions applied, and when each was applied.
    applied: Vec<(u32, Duration)>,
    /// When `run_watcher` returned.
    returned: Duration,
}

/// Starts from version 1, publishes `before` before the watcher starts, then follows the
/// timeline; every apply takes `apply_ms`.
async fn run(before: &[u32], timeline: &[(u64, Step)], apply_ms: u64) -> Run {
    let start = Instant::now();
    let (publisher, watcher) = config_channel(config(1));
    for &v in before {
        publisher.publish(config(v));
    }
    let applied = Arc::new(Mutex::new(Vec::new()));
    let apply = async |c: Config| {
        applied.lock().unwrap().push((c, start.elapsed()));
        tokio::time::sleep(ms(apply_ms)).await;
    };
    let publishing = async move {
        let mut publisher = Some(publisher);
        for (at, step) in timeline {
            sleep_until(start + ms(*at)).await;
            match step {
                Publish(v) => publisher.as_ref().unwrap().publish(config(*v)),
                GoAway => drop(publisher.take()),
            }
        }
    };
    let watching = async {
        let outcome = AssertUnwindSafe(run_watcher(watcher, apply))
            .catch_unwind()
            .await;
        (outcome.is_ok(), start.elapsed())
    };
    let Ok(((finished, returned), ())) =
        tokio::time::timeout(LIMIT, async { tokio::join!(watching, publishing) }).await
    else {
        panic!(
            "run_watcher had not returned {LIMIT:?} after the publisher was dropped. \
             `changed().await` returns `Err` once the sender is gone: that ends the watching"
        );
    };
    assert!(
        finished,
        "run_watcher panicked (see the message above). Was it `changed().await.unwrap()` (or \
         `expect`)? `changed()` returns `Err` once the publisher is gone: that is the normal \
         end of the watching, not an error"
    );
    let applied = applied.lock().unwrap().clone();
    for (c, _) in &applied {
        assert_eq!(
            *c,
            config(c.version),
            "the watcher applied {c:?}, a configuration that was never published"
        );
    }
    let applied = applied.into_iter().map(|(c, at)| (c.version, at)).collect();
    Run { applied, returned }
}

/// Compares the versions applied (and when) with the expected ones, explaining the first
/// difference. `published` lists every version with the instant it was published.
fn assert_applied(run: &Run, expected: &[(u32, u64)], published: &[(u32, u64)], returned: u64) {
    let expected: Vec<(u32, Duration)> = expected.iter().map(|&(v, t)| (v, ms(t))).collect();
    let shown = |a: &[(u32, Duration)]| -> String {
        a.iter()
            .map(|(v, t)| format!("v{v} at {}ms", t.as_millis()))
            .collect::<Vec<_>>()
            .join(", ")
    };
    if run.applied != expected {
        let stale = run.applied.iter().find_map(|&(v, at)| {
            published
                .iter()
                .find(|&&(newer, when)| newer > v && ms(when) <= at)
                .map(|&(newer, when)| (v, at, newer, when))
        });
        let twice = run
            .applied
            .iter()
            .find(|&&(v, _)| run.applied.iter().filter(|&&(w, _)| w == v).count() > 1);
        let why = if let Some((v, at, newer, when)) = stale {
            format!(
                "v{v} was applied at {}ms, but v{newer} had replaced it at {when}ms: a stale \
                 configuration. Only the newest one matters; a `watch` channel holds just that",
                at.as_millis()
            )
        } else if let Some((v, _)) = twice {
            format!(
                "v{v} was applied twice. `borrow()` reads the value without marking it seen, so \
                 the next `changed()` reports the same value as new: read it with \
                 `borrow_and_update()`"
            )
        } else if run.applied.first().map(|&(_, t)| t) != Some(ms(0)) {
            "the watcher should apply the current configuration at once, when it starts, before \
             waiting for a change"
                .to_string()
        } else {
            "after each change, the watcher should apply the newest configuration, as soon as \
             it is free"
                .to_string()
        };
        panic!(
            "the watcher applied [{}]; expected [{}]: {why}",
            shown(&run.applied),
            shown(&expected)
        );
    }
    assert_eq!(
        run.returned,
        ms(returned),
        "run_watcher applied the right configurations, but returned at {:?} of virtual time; \
         expected {returned}ms, when the publisher was gone and the last apply was done",
        run.returned
    );
}

#[tokio::test(start_paused = true)]
async fn a_busy_watcher_skips_to_the_newest() {
    let timeline = [
        (10, Publish(2)),
        (20, Publish(3)),
        (30, Publish(4)),
        (250, Publish(5)),
        (400, GoAway),
    ];
    let run = run(&[], &timeline, 100).await;
    assert_applied(
        &run,
        &[(1, 0), (4, 100), (5, 250)],
        &[(1, 0), (2, 10), (3, 20), (4, 30), (5, 250)],
        400,
    );
}

#[tokio::test(start_paused = true)]
async fn what_was_published_before_the_start_is_applied_once() {
    let run = run(&[2, 3], &[(120, GoAway)], 50).await;
    assert_applied(&run, &[(3, 0)], &[(1, 0), (2, 0), (3, 0)], 120);
}

#[tokio::test(start_paused = true)]
async fn every_change_is_applied_when_the_watcher_keeps_up() {
    let timeline = [
        (50, Publish(2)),
        (100, Publish(3)),
        (150, Publish(4)),
        (200, GoAway),
    ];
    let run = run(&[], &timeline, 10).await;
    assert_applied(
        &run,
        &[(1, 0), (2, 50), (3, 100), (4, 150)],
        &[(1, 0), (2, 50), (3, 100), (4, 150)],
        200,
    );
}

#[tokio::test(start_paused = true)]
async fn the_watcher_stops_when_the_publisher_is_gone() {
    let run = run(&[], &[(30, GoAway)], 100).await;
    assert_applied(&run, &[(1, 0)], &[(1, 0)], 100);
}
