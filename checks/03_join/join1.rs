use super::*;

use std::time::Duration;

use asynclings_support::watchdog;
use tokio::time::Instant;

const LIMIT: Duration = Duration::from_secs(10);

fn service(name: &'static str, latency_ms: u64) -> Service {
    Service {
        name,
        latency: Duration::from_millis(latency_ms),
    }
}

/// Loads a page from services with the given latencies; returns the page and the virtual time
/// it took.
async fn load(latencies: [u64; 3], user: u32) -> (Page, Duration) {
    let [p, o, n] = latencies;
    let (profile, orders, news) = (
        service("profile", p),
        service("orders", o),
        service("news", n),
    );
    let start = Instant::now();
    let page = watchdog(
        LIMIT,
        "load_page",
        load_page(&profile, &orders, &news, user),
    )
    .await;
    (page, start.elapsed())
}

fn assert_concurrent(latencies: [u64; 3], took: Duration) {
    let slowest = Duration::from_millis(*latencies.iter().max().unwrap());
    let sum = Duration::from_millis(latencies.iter().sum());
    let why = if took == sum {
        "are they awaited one after another?"
    } else if took > slowest {
        "some of them still wait for another: are all three inside one `join!`?"
    } else {
        "it finished before its slowest request could have answered"
    };
    assert_eq!(
        took, slowest,
        "load_page took {took:?} of virtual time; requests of {latencies:?} ms run concurrently \
         take {slowest:?}, the slowest of them: {why}"
    );
}

#[tokio::test(start_paused = true)]
async fn the_page_takes_as_long_as_the_slowest_request() {
    for latencies in [[90, 20, 310], [150, 150, 150], [5, 400, 60]] {
        let (_, took) = load(latencies, 1).await;
        assert_concurrent(latencies, took);
    }
}

#[tokio::test(start_paused = true)]
async fn each_part_of_the_page_comes_from_its_own_service() {
    let (page, _) = load([30, 10, 20], 4242).await;
    let expected = Page {
        profile: "profile for user 4242".to_string(),
        orders: "orders for user 4242".to_string(),
        news: "news for user 4242".to_string(),
    };
    assert_eq!(
        page, expected,
        "load_page for user 4242 returned {page:?}; each field should hold the answer of its \
         own service for that user"
    );
}
