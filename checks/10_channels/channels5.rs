// Mistakes learners make on `watch`, and how each is caught:
// - applying every configuration in turn (an mpsc or broadcast queue): stale versions are
//   applied; the versions applied and their times are compared exactly.
// - not applying the current configuration at start, or applying only after a change: the
//   first apply must happen at 0 ms.
// - `borrow()` without marking the value seen (`borrow_and_update`): the same version is
//   applied again and again.
// - `changed().await.unwrap()`: panics when the publisher goes away, which is the normal end.
// - polling (`has_changed` plus a sleep) instead of awaiting `changed()`: `run_watcher` is
//   polled through a counter, and a watcher that wakes itself up is polled far more often
//   than once per change.
// - a configuration that was never published (made up, or half-updated): each applied
//   configuration's fields are compared, as plain numbers, with the published one.
// - hard-coding: versions, timelines and apply times are not the exercise's.

use super::{Config, config_channel, run_watcher};

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use asynclings_support::timeline::{self, Timeline};
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

/// Counts the polls of the future inside.
struct Polls<F> {
    inner: Pin<Box<F>>,
    polls: Arc<AtomicUsize>,
}

impl<F: Future> Future for Polls<F> {
    type Output = F::Output;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        self.polls.fetch_add(1, Ordering::SeqCst);
        self.inner.as_mut().poll(cx)
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
    /// How long each apply takes.
    apply: Duration,
}

/// Starts from version 1, publishes `before` before the watcher starts, then follows the
/// timeline; every apply takes `apply_ms`.
async fn run(before: &[u32], timeline: &[(u64, Step)], apply_ms: u64) -> Run {
    let start = Instant::now();
    let (publisher, watcher) = config_channel(config(1));
    for &v in before {
        publisher.publish(config(v));
    }
    let applied: Arc<Mutex<Vec<((u32, u32), Duration)>>> = Arc::new(Mutex::new(Vec::new()));
    let apply = async |c: Config| {
        let (version, max_connections): (u32, u32) = (c.version, c.max_connections);
        applied
            .lock()
            .unwrap()
            .push(((version, max_connections), start.elapsed()));
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
    let polls = Arc::new(AtomicUsize::new(0));
    let watching = async {
        let counted = Polls {
            inner: Box::pin(run_watcher(watcher, apply)),
            polls: polls.clone(),
        };
        let outcome = AssertUnwindSafe(counted).catch_unwind().await;
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
    let polls = polls.load(Ordering::SeqCst);
    let allowed = 3 * (before.len() + timeline.len() + 2);
    assert!(
        polls <= allowed,
        "run_watcher was polled {polls} times for {} changes of configuration: it keeps waking \
         itself up (a sleep or a `yield_now` around `has_changed`, or a timer) instead of \
         waiting in `changed().await`, which is woken only when something is published or the \
         publisher goes away",
        before.len() + timeline.len()
    );
    let applied = applied.lock().unwrap().clone();
    for &((version, max_connections), _) in &applied {
        let published = config(version);
        assert_eq!(
            (version, max_connections),
            (published.version, published.max_connections),
            "the watcher applied version {version} with max_connections {max_connections}, a \
             configuration that was never published"
        );
    }
    let applied = applied
        .into_iter()
        .map(|((version, _), at)| (version, at))
        .collect();
    Run {
        applied,
        returned,
        apply: ms(apply_ms),
    }
}

/// The versions published, each apply (a row per version, as long as an apply takes) and the
/// end.
fn watched(
    published: &[(u32, u64)],
    applied: &[(u32, Duration)],
    apply: Duration,
    returned: Duration,
) -> Timeline {
    let run = Timeline::new();
    for &(_, at) in published {
        run.instant_at("published", ms(at));
    }
    for &(version, at) in applied {
        run.span_at(&format!("apply v{version}"), at, at + apply);
    }
    run.end_at(returned);
    run
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
    let recorded = watched(published, &run.applied, run.apply, run.returned);
    let should = watched(published, &expected, run.apply, ms(returned));
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
        timeline::fail(
            format_args!(
                "the watcher applied [{}]; expected [{}]: {why}",
                shown(&run.applied),
                shown(&expected)
            ),
            &recorded,
            Some(&should),
        );
    }
    timeline::assert_eq(run.returned, ms(returned), &recorded, Some(&should), || {
        format!(
            "run_watcher applied the right configurations, but returned at {:?} of virtual \
             time; expected {returned}ms, when the publisher was gone and the last apply was \
             done",
            run.returned
        )
    });
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
