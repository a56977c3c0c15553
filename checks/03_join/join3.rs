use super::*;

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

async fn load(b: &[Backend; 3], user: u32) -> (Result<Profile, FetchError>, Duration) {
    let start = Instant::now();
    let result = watchdog(
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
    let expected = Profile {
        name: "name of user 31337".to_string(),
        avatar: "avatar of user 31337".to_string(),
        friends: "friends of user 31337".to_string(),
    };
    assert_eq!(
        result,
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
        result,
        Err(FetchError::Unavailable("avatar")),
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
        result,
        Err(FetchError::Unavailable("friends")),
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
    assert_eq!(result, Err(FetchError::Unavailable("friends")));
    assert_eq!(
        took,
        ms(330),
        "with only friends failing, at 330ms, load_profile returned after {took:?}; expected \
         330ms"
    );
}
