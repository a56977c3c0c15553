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

async fn load(b: &[Backend; 3], user: u32) -> (Result<Profile, FetchError>, Duration) {
    let start = Instant::now();
    let result: Result<Profile, FetchError> = watchdog(
        LIMIT,
        "load_profile",
        load_profile(&b[0], &b[1], &b[2], user),
    )
    .await;
    (result, start.elapsed())
}

#[tokio::test(start_paused = true)]
async fn all_good_gives_the_profile_after_the_slowest() {
    let b = backends([(60, false), (25, false), (140, false)]);
    let (result, took) = load(&b, 31337).await;
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
    assert_eq!(
        took,
        ms(140),
        "load_profile with backends of 60, 25 and 140ms took {took:?} of virtual time; run \
         concurrently they take 140ms{why}"
    );
}

#[tokio::test(start_paused = true)]
async fn an_early_failure_returns_at_once_and_drops_the_rest() {
    let b = backends([(170, false), (45, true), (260, false)]);
    let (result, took) = load(&b, 5).await;
    assert_eq!(
        plain(&result),
        Err("avatar"),
        "load_profile with the avatar backend down gave {result:?}"
    );
    assert_eq!(
        took,
        ms(45),
        "load_profile returned its error after {took:?} of virtual time, but the avatar \
         backend failed at 45ms: does it wait for every request even after one failed? \
         (`try_join!` returns at the first error)"
    );
    for backend in [&b[0], &b[2]] {
        assert_eq!(
            backend.started.load(Ordering::SeqCst),
            1,
            "the {} request never started: all three requests should start at once",
            backend.name
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
    let b = backends([(80, true), (300, false), (50, true)]);
    let (result, took) = load(&b, 9).await;
    assert_eq!(
        plain(&result),
        Err("friends"),
        "with name failing at 80ms and friends at 50ms, load_profile gave {result:?}; the \
         error that happens first is the one to return"
    );
    assert_eq!(
        took,
        ms(50),
        "load_profile returned its error after {took:?}, expected 50ms"
    );
}

#[tokio::test(start_paused = true)]
async fn a_late_failure_returns_when_it_happens() {
    let b = backends([(10, false), (20, false), (330, true)]);
    let (result, took) = load(&b, 9).await;
    assert_eq!(plain(&result), Err("friends"));
    assert_eq!(
        took,
        ms(330),
        "with only friends failing, at 330ms, load_profile returned after {took:?}; expected \
         330ms"
    );
}
