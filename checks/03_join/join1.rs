// Checks for join1: three independent requests, joined instead of awaited in turn.
//
// Mistakes a learner makes here, and how each is caught:
// - the requests still awaited one after another (or two joined and the third after): the
//   page must take exactly as long as the slowest request, with latencies the exercise does
//   not show; the message says which of the two it looks like.
// - the answers formatted by hand with one `sleep` as long as the slowest request (bypassing
//   the services, hard-coding): every service counts its requests, and each must get exactly
//   one, for the right user.
// - `select!` instead of `join!` (the first answer wins, the others are dropped): the page
//   needs all three answers, and every request must be made.
// - futures made first and awaited in turn later: lazy, so still one after another: timing.
// - a field filled from the wrong service: each field must hold its own service's answer.

use super::{Page, Service, load_page};

use std::sync::atomic::Ordering;
use std::time::Duration;

use asynclings_support::timeline::{self, Timeline};
use asynclings_support::watchdog;
use tokio::time::Instant;

const LIMIT: Duration = Duration::from_secs(10);

struct Loaded {
    profile: String,
    orders: String,
    news: String,
    took: Duration,
    calls: [usize; 3],
    /// Each request from the moment its service was called to its answer.
    timeline: Timeline,
}

/// Loads a page from services with the given latencies (in ms).
async fn load(latencies: [u64; 3], user: u32) -> Loaded {
    let [p, o, n] = latencies.map(Duration::from_millis);
    let (profile, orders, news) = (
        Service::new("profile", p),
        Service::new("orders", o),
        Service::new("news", n),
    );
    let start = Instant::now();
    // A request starts when its service counts the call: after each poll of `load_page`, the
    // checks look at the counters (the services are the learner's, so they cannot be timed
    // from inside). Each answer comes exactly its latency later.
    let timeline = Timeline::new();
    let mut started = [None; 3];
    let services = [&profile, &orders, &news];
    let page: Page = watchdog(
        LIMIT,
        "load_page",
        timeline::observe(load_page(&profile, &orders, &news, user), || {
            for (i, service) in services.iter().enumerate() {
                if started[i].is_none() && service.calls.load(Ordering::SeqCst) > 0 {
                    started[i] = Some(timeline.now());
                }
            }
        }),
    )
    .await;
    let took = start.elapsed();
    for ((name, latency), start) in ["profile", "orders", "news"]
        .into_iter()
        .zip([p, o, n])
        .zip(started)
    {
        if let Some(start) = start {
            timeline.span_at(name, start, (start + latency).min(took));
        }
    }
    timeline.end_at(took);
    let Page {
        profile: p,
        orders: o,
        news: n,
    } = page;
    let (p, o, n): (String, String, String) = (p, o, n);
    Loaded {
        profile: p,
        orders: o,
        news: n,
        took,
        calls: [&profile, &orders, &news].map(|s| s.calls.load(Ordering::SeqCst)),
        timeline,
    }
}

fn assert_each_service_asked_once(calls: [usize; 3]) {
    assert_eq!(
        calls,
        [1, 1, 1],
        "the profile, orders and news services got {calls:?} requests; each should get exactly \
         one. The page is made of the services' own answers: call `get` on each (an answer \
         written by hand plus a sleep only looks like one)"
    );
}

fn assert_concurrent(latencies: [u64; 3], took: Duration, recorded: &Timeline) {
    let slowest = Duration::from_millis(*latencies.iter().max().unwrap());
    let sum = Duration::from_millis(latencies.iter().sum());
    let why = if took == sum {
        "are they awaited one after another?"
    } else if took > slowest {
        "some of them still wait for another: are all three inside one `join!`?"
    } else {
        "it finished before its slowest request could have answered"
    };
    let expected = Timeline::new();
    for (name, latency) in ["profile", "orders", "news"].into_iter().zip(latencies) {
        expected.span_at(name, Duration::ZERO, Duration::from_millis(latency));
    }
    expected.end_at(slowest);
    timeline::assert_eq(took, slowest, recorded, Some(&expected), || {
        format!(
            "load_page took {took:?} of virtual time; requests of {latencies:?} ms run \
             concurrently take {slowest:?}, the slowest of them: {why}"
        )
    });
}

#[tokio::test(start_paused = true)]
async fn the_page_takes_as_long_as_the_slowest_request() {
    for latencies in [[93, 21, 317], [151, 151, 151], [7, 403, 61]] {
        let loaded = load(latencies, 1).await;
        assert_each_service_asked_once(loaded.calls);
        assert_concurrent(latencies, loaded.took, &loaded.timeline);
    }
}

#[tokio::test(start_paused = true)]
async fn each_part_of_the_page_comes_from_its_own_service() {
    let loaded = load([33, 11, 23], 4242).await;
    assert_each_service_asked_once(loaded.calls);
    let got = [loaded.profile, loaded.orders, loaded.news];
    let expected = [
        "profile for user 4242",
        "orders for user 4242",
        "news for user 4242",
    ];
    assert_eq!(
        got, expected,
        "load_page for user 4242 gave the profile, orders and news {got:?}; each field should \
         hold the answer of its own service for that user"
    );
}
