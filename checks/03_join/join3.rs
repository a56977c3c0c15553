// Checks for join3: `try_join!` returns the first error at once and drops the rest.
//
// Mistakes a learner makes here, and how each is caught:
// - `join!` kept (every request awaited even after one failed): the error must come at the
//   failing request's time, not the slowest's.
// - the requests awaited in turn, each with `?` (fails fast, but sequential): all three must
//   have started at once, and a success takes the slowest latency, not the sum.
// - the errors checked in a fixed order rather than in time order: with two failures, the
//   one that happens first is the one returned.
// - the other requests left running (spawned and never aborted): the backends count the
//   requests that ran to the end, long after the error.
// - a made-up error or profile (hard-coding): backends, users and latencies the exercise does
//   not show.

use super::{Backend, FetchError, Profile, load_profile};

use std::sync::atomic::Ordering;
use std::time::Duration;

use asynclings_support::timeline::{self, Timeline};
use asynclings_support::watchdog;
use tokio::time::{Instant, sleep};

const LIMIT: Duration = Duration::from_secs(10);

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// Three backends: (latency in ms, down?) for name, avatar and friends.
fn backends(spec: [(u64, bool); 3]) -> [Backend; 3] {
    let [n, a, f] = spec;
    [
        Backend::new("name", ms(n.0), n.1),
        Backend::new("avatar", ms(a.0), a.1),
        Backend::new("friends", ms(f.0), f.1),
    ]
}

/// The error as the backend's name, or the profile's three fields: compared with std types,
/// not through the learner's `PartialEq`.
fn plain(result: &Result<Profile, FetchError>) -> Result<[String; 3], &'static str> {
    match result {
        Ok(Profile {
            name,
            avatar,
            friends,
        }) => {
            let fields: [&String; 3] = [name, avatar, friends];
            Ok(fields.map(String::clone))
        }
        Err(FetchError::Unavailable(backend)) => {
            let backend: &'static str = backend;
            Err(backend)
        }
    }
}

/// Runs `load_profile`: its result, the virtual time it took, and each request from the
/// moment its backend counted it started to the moment it finished (or, if it never did while
/// `load_profile` ran, to its return: dropped with it).
async fn load(b: &[Backend; 3], user: u32) -> (Result<Profile, FetchError>, Duration, Timeline) {
    let start = Instant::now();
    let recorded = Timeline::new();
    let mut started = [None; 3];
    let mut finished = [None; 3];
    let result: Result<Profile, FetchError> = watchdog(
        LIMIT,
        "load_profile",
        timeline::observe(load_profile(&b[0], &b[1], &b[2], user), || {
            for (i, backend) in b.iter().enumerate() {
                if started[i].is_none() && backend.started.load(Ordering::SeqCst) > 0 {
                    started[i] = Some(recorded.now());
                }
                if finished[i].is_none() && backend.finished.load(Ordering::SeqCst) > 0 {
                    finished[i] = Some(recorded.now());
                }
            }
        }),
    )
    .await;
    let took = start.elapsed();
    for (i, backend) in b.iter().enumerate() {
        if let Some(start) = started[i] {
            recorded.span_at(backend.name, start, finished[i].unwrap_or(took));
        }
    }
    recorded.span_at("load_profile", Duration::ZERO, took);
    recorded.end_at(took);
    (result, took, recorded)
}

/// All three requests started at once; at the first failure (if any) the profile fails and
/// the requests still running are dropped.
fn expected_timeline(spec: [(u64, bool); 3]) -> Timeline {
    let expected = Timeline::new();
    let first_failure = spec.iter().filter(|s| s.1).map(|s| s.0).min();
    let end = first_failure.unwrap_or_else(|| spec.iter().map(|s| s.0).max().unwrap());
    for (name, (latency, _)) in ["name", "avatar", "friends"].into_iter().zip(spec) {
        expected.span_at(name, Duration::ZERO, ms(latency.min(end)));
    }
    expected.span_at("load_profile", Duration::ZERO, ms(end));
    expected.end_at(ms(end));
    expected
}

#[tokio::test(start_paused = true)]
async fn all_good_gives_the_profile_after_the_slowest() {
    let spec = [(60, false), (25, false), (140, false)];
    let b = backends(spec);
    let (result, took, recorded) = load(&b, 31337).await;
    let expected = [
        "name of user 31337".to_string(),
        "avatar of user 31337".to_string(),
        "friends of user 31337".to_string(),
    ];
    assert_eq!(
        plain(&result),
        Ok(expected),
        "load_profile with three working backends gave {result:?}"
    );
    let why = if took == ms(225) {
        ": are the requests awaited one after another?"
    } else {
        ""
    };
    timeline::assert_eq(
        took,
        ms(140),
        &recorded,
        Some(&expected_timeline(spec)),
        || {
            format!(
                "load_profile with backends of 60, 25 and 140ms took {took:?} of virtual time; \
                 run concurrently they take 140ms{why}"
            )
        },
    );
}

#[tokio::test(start_paused = true)]
async fn an_early_failure_returns_at_once_and_drops_the_rest() {
    let spec = [(170, false), (45, true), (260, false)];
    let b = backends(spec);
    let (result, took, recorded) = load(&b, 5).await;
    assert_eq!(
        plain(&result),
        Err("avatar"),
        "load_profile with the avatar backend down gave {result:?}"
    );
    let expected = expected_timeline(spec);
    timeline::assert_eq(took, ms(45), &recorded, Some(&expected), || {
        format!(
            "load_profile returned its error after {took:?} of virtual time, but the avatar \
             backend failed at 45ms: does it wait for every request even after one failed? \
             (`try_join!` returns at the first error)"
        )
    });
    for backend in [&b[0], &b[2]] {
        timeline::assert_eq(
            backend.started.load(Ordering::SeqCst),
            1,
            &recorded,
            Some(&expected),
            || {
                format!(
                    "the {} request never started: all three requests should start at once",
                    backend.name
                )
            },
        );
    }
    // Long after the other requests would have answered: they must not have run on.
    sleep(ms(1_000)).await;
    for backend in [&b[0], &b[2]] {
        assert_eq!(
            backend.finished.load(Ordering::SeqCst),
            0,
            "the {} request ran to the end although load_profile had already failed: the \
             requests still in flight should be dropped (cancelled) with the error",
            backend.name
        );
    }
}

#[tokio::test(start_paused = true)]
async fn the_first_failure_in_time_wins() {
    // Both name and friends are down; friends fails first.
    let spec = [(80, true), (300, false), (50, true)];
    let b = backends(spec);
    let (result, took, recorded) = load(&b, 9).await;
    assert_eq!(
        plain(&result),
        Err("friends"),
        "with name failing at 80ms and friends at 50ms, load_profile gave {result:?}; the \
         error that happens first is the one to return"
    );
    timeline::assert_eq(
        took,
        ms(50),
        &recorded,
        Some(&expected_timeline(spec)),
        || format!("load_profile returned its error after {took:?}, expected 50ms"),
    );
}

#[tokio::test(start_paused = true)]
async fn a_late_failure_returns_when_it_happens() {
    let spec = [(10, false), (20, false), (330, true)];
    let b = backends(spec);
    let (result, took, recorded) = load(&b, 9).await;
    assert_eq!(plain(&result), Err("friends"));
    timeline::assert_eq(
        took,
        ms(330),
        &recorded,
        Some(&expected_timeline(spec)),
        || {
            format!(
                "with only friends failing, at 330ms, load_profile returned after {took:?}; \
                 expected 330ms"
            )
        },
    );
}
