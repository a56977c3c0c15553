// Checks for quiz2: a polite crawler.
//
// Mistakes a learner makes on these ideas, and how each is caught:
// - No limit, or fixed batches of `max_in_flight`: the network's peak in-flight count, and
//   exact virtual times (a new request must start the moment one ends).
// - No per-request timeout, or one around the whole crawl: a slow page must time out alone
//   at its own deadline, its links unknown.
// - A timeout that also counts the wait for a free slot (a semaphore or a queue inside the
//   timed future): pages quicker than the timeout but queued behind others must still be
//   fetched.
// - De-duplicating only pages already fetched (not the ones in flight or queued): a link to
//   a page still in flight makes a second request; the network lists every request.
// - `stop` looked at only between pages, or without `biased;`: the crawl must return the
//   moment `stop` is cancelled, with the requests in flight dropped.
// - Results compared through the crawl's own types: converted to plain check types first.
// - Hard-coding: networks, latencies and limits are the checks' own.

use super::{Limits, Network, Outcome, Report, crawl};

use std::collections::BTreeMap;
use std::sync::atomic::Ordering;
use std::time::Duration;

use asynclings_support::timeline::{self, Timeline};
use tokio::time::{Instant, sleep};
use tokio_util::sync::CancellationToken;

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn limits(max_in_flight: usize, per_request: u64) -> Limits {
    Limits {
        max_in_flight,
        per_request: ms(per_request),
    }
}

/// An outcome as a plain check type, so that only the values compare.
#[derive(Debug, Clone, PartialEq)]
enum Plain {
    Fetched { bytes: usize },
    NotFound,
    TimedOut,
}

/// A crawl report as plain check types.
#[derive(Debug)]
struct Crawled {
    pages: BTreeMap<String, Plain>,
    cancelled: bool,
}

fn plain(report: Report) -> Crawled {
    let pages: BTreeMap<String, Outcome> = report.pages;
    let cancelled: bool = report.cancelled;
    let pages = pages
        .into_iter()
        .map(|(url, outcome)| {
            let outcome = match outcome {
                Outcome::Fetched { bytes } => Plain::Fetched { bytes },
                Outcome::NotFound => Plain::NotFound,
                Outcome::TimedOut => Plain::TimedOut,
            };
            (url, outcome)
        })
        .collect();
    Crawled { pages, cancelled }
}

/// Crawls `net` from `start`, cancelling `stop` after `cancel_at` if given. The timeline has
/// the crawl, the requests the network counts in flight (looked at after each poll of
/// `crawl`) and the moment `stop` was cancelled.
async fn run(
    net: &Network,
    start: &str,
    limits: Limits,
    cancel_at: Option<u64>,
) -> (Crawled, Duration, Timeline) {
    let recorded = Timeline::new();
    let limit = Some(limits.max_in_flight);
    let stop = CancellationToken::new();
    if let Some(at) = cancel_at {
        let stop = stop.clone();
        tokio::spawn(async move {
            sleep(ms(at)).await;
            stop.cancel();
        });
    }
    let began = Instant::now();
    let mut last = None;
    let crawling = timeline::observe(crawl(net, start, limits, stop), || {
        let now = net.in_flight.load(Ordering::SeqCst);
        if last != Some(now) {
            recorded.count_at("in flight", limit, recorded.now(), now);
            last = Some(now);
        }
    });
    let report = tokio::time::timeout(Duration::from_secs(60), crawling)
        .await
        .unwrap_or_else(|_| {
            panic!(
                "crawl from {start:?} was still running after 60s of virtual time{}",
                if cancel_at.is_some() {
                    ", although `stop` had been cancelled: rule 5, select! on `stop.cancelled()` \
                     next to the requests"
                } else {
                    "; is it waiting forever for a page that never comes? (rule 3)"
                }
            )
        });
    let took = began.elapsed();
    if let Some(at) = cancel_at {
        recorded.instant_at("stop", ms(at));
    }
    recorded.span_at("crawl", Duration::ZERO, took);
    recorded.end_at(took);
    (plain(report), took, recorded)
}

/// The crawl of a `star` network with `max_in_flight` slots, each request started the moment
/// a slot is free: the start page (10ms), then its links in order.
fn star_schedule(children: &[u64], max_in_flight: usize) -> Timeline {
    let expected = Timeline::new();
    let limit = Some(max_in_flight);
    let mut free_at = vec![ms(10); max_in_flight];
    let mut changes: Vec<(Duration, isize)> = vec![(ms(0), 1), (ms(10), -1)];
    for &latency in children {
        let slot = (0..free_at.len()).min_by_key(|&i| free_at[i]).unwrap();
        let (start, end) = (free_at[slot], free_at[slot] + ms(latency));
        changes.extend([(start, 1), (end, -1)]);
        free_at[slot] = end;
    }
    // Ends before starts at the same moment: a slot is handed on, never over the limit.
    changes.sort();
    let mut now: usize = 0;
    let mut samples: Vec<(Duration, usize)> = Vec::new();
    for (at, change) in changes {
        now = now.saturating_add_signed(change);
        match samples.last_mut() {
            Some(last) if last.0 == at => last.1 = now,
            _ => samples.push((at, now)),
        }
    }
    for (at, value) in samples {
        expected.count_at("in flight", limit, at, value);
    }
    let end = free_at.into_iter().max().unwrap_or_default();
    expected.span_at("crawl", Duration::ZERO, end);
    expected.end_at(end);
    expected
}

/// The outcomes of `urls`, fetched, with their sizes taken from `pages`.
fn fetched(pages: &[(&str, u64, &str)], urls: &[&str]) -> BTreeMap<String, Plain> {
    urls.iter()
        .map(|&url| {
            let page = pages.iter().find(|p| p.0 == url).unwrap().2;
            let outcome = Plain::Fetched { bytes: page.len() };
            (url.to_string(), outcome)
        })
        .collect()
}

fn check_requested_once(net: &Network) {
    let requested: Vec<String> = net.requested.lock().unwrap().clone();
    let twice: Vec<&String> = requested
        .iter()
        .enumerate()
        .filter(|(i, url)| requested[..*i].contains(url))
        .map(|(_, url)| url)
        .collect();
    assert!(
        twice.is_empty(),
        "the crawl requested {requested:?}: {twice:?} more than once (rule 1: each page once). \
         A link to a page that is still in flight, or still waiting in the queue, is a link to \
         a page already on its way: mark a url as seen when it is first queued, not when its \
         page arrives"
    );
}

/// A start page linking to `children`, each a page with no links.
fn star(children: &[u64]) -> Network {
    let start: String = (0..children.len())
        .map(|i| format!("link /p{i}\n"))
        .collect::<String>()
        + "the start";
    let mut pages: Vec<(String, u64, String)> = vec![("/".to_string(), 10, start)];
    for (i, &latency) in children.iter().enumerate() {
        pages.push((format!("/p{i}"), latency, format!("page number {i}")));
    }
    let refs: Vec<(&str, u64, &str)> = pages
        .iter()
        .map(|(u, l, p)| (u.as_str(), *l, p.as_str()))
        .collect();
    Network::new(&refs)
}

#[tokio::test(start_paused = true)]
async fn never_more_than_the_limit_in_flight() {
    let net = star(&[100; 10]);
    let (report, took, recorded) = run(&net, "/", limits(3, 1000), None).await;
    let expected = star_schedule(&[100; 10], 3);
    let peak = net.peak_in_flight.load(Ordering::SeqCst);
    timeline::assert_eq(peak, 3, &recorded, Some(&expected), || {
        format!(
            "with max_in_flight = 3 and ten pages to fetch, the network saw at most {peak} \
             requests in flight at once; expected exactly 3 (rule 2)"
        )
    });
    assert_eq!(
        report.pages.len(),
        11,
        "the crawl reported {} pages; expected the start page and its 10 links: {report:?}",
        report.pages.len()
    );
    timeline::assert_eq(took, ms(410), &recorded, Some(&expected), || {
        format!(
            "a 10ms start page and ten 100ms pages, 3 at a time, took {took:?} of virtual time; \
             expected 410ms (10ms, then four rounds of 100ms)"
        )
    });
    check_requested_once(&net);
}

#[tokio::test(start_paused = true)]
async fn the_next_request_starts_as_soon_as_one_ends() {
    let children = [100, 30, 60, 90, 20, 50];
    let net = star(&children);
    let (report, took, recorded) = run(&net, "/", limits(2, 1000), None).await;
    let expected = star_schedule(&children, 2);
    assert_eq!(
        report.pages.len(),
        7,
        "the crawl reported {report:?}; expected 7 pages"
    );
    timeline::assert_eq(took, ms(190), &recorded, Some(&expected), || {
        format!(
            "with pages of 100, 30, 60, 90, 20 and 50ms behind a 10ms start page, 2 at a time, \
             the crawl took {took:?} of virtual time; expected 190ms, starting each request the \
             moment another one ends (fixed batches of 2 would take 250ms; one at a time, 360ms)"
        )
    });
    timeline::assert_eq(
        net.peak_in_flight.load(Ordering::SeqCst),
        2,
        &recorded,
        Some(&expected),
        String::new,
    );
}

#[tokio::test(start_paused = true)]
async fn a_slow_page_times_out_alone() {
    let pages = [
        ("/", 20, "home\nlink /a\nlink /slow\nlink /b\nlink /gone"),
        ("/a", 50, "page a\nlink /c"),
        ("/slow", 900, "slow page\nlink /hidden"),
        ("/b", 70, "page b"),
        ("/c", 30, "page c\nlink /"),
        ("/hidden", 5, "you cannot see me"),
    ];
    let net = Network::new(&pages);
    let (report, took, recorded) = run(&net, "/", limits(4, 200), None).await;
    let mut expected = fetched(&pages, &["/", "/a", "/b", "/c"]);
    expected.insert("/slow".to_string(), Plain::TimedOut);
    expected.insert("/gone".to_string(), Plain::NotFound);
    assert_eq!(
        report.pages, expected,
        "with per_request = 200ms, the crawl reported {:?}; expected the 900ms page TimedOut \
         (rule 3), its links not followed, the missing page NotFound (rule 4), and every other \
         page fetched",
        report.pages
    );
    let expected = Timeline::new();
    for (at, value) in [(0, 1), (20, 4), (30, 3), (90, 2), (100, 1), (220, 0)] {
        expected.count_at("in flight", Some(4), ms(at), value);
    }
    expected.span_at("crawl", Duration::ZERO, ms(220));
    timeline::assert_eq(took, ms(220), &recorded, Some(&expected), || {
        format!(
            "the crawl took {took:?} of virtual time; the slow page should be given up on 200ms \
             after it was requested (at 20ms), so the crawl ends at 220ms"
        )
    });
    assert!(
        !report.cancelled,
        "nobody cancelled the crawl, but it says it was"
    );
    assert_eq!(
        net.in_flight.load(Ordering::SeqCst),
        0,
        "requests are still in flight after the crawl returned"
    );
    check_requested_once(&net);
}

#[tokio::test(start_paused = true)]
async fn cancelling_stops_the_crawl_at_once() {
    let mut pages = vec![(
        "/".to_string(),
        10,
        (1..=8).map(|i| format!("link /x{i}\n")).collect::<String>(),
    )];
    for i in 1..=8 {
        pages.push((format!("/x{i}"), 100, format!("x{i}\nlink /y{i}")));
        pages.push((format!("/y{i}"), 100, format!("y{i}")));
    }
    let refs: Vec<(&str, u64, &str)> = pages
        .iter()
        .map(|(u, l, p)| (u.as_str(), *l, p.as_str()))
        .collect();
    let net = Network::new(&refs);
    let (report, took, recorded) = run(&net, "/", limits(3, 1000), Some(250)).await;
    // Three requests at a time from 10ms on, all dropped when `stop` is cancelled.
    let expected = Timeline::new();
    for (at, value) in [(0, 1), (10, 3), (250, 0)] {
        expected.count_at("in flight", Some(3), ms(at), value);
    }
    expected.instant_at("stop", ms(250));
    expected.span_at("crawl", Duration::ZERO, ms(250));
    timeline::assert_eq(took, ms(250), &recorded, Some(&expected), || {
        format!(
            "`stop` was cancelled at 250ms and the crawl returned after {took:?} of virtual \
             time; it should stop at once (rule 5): select! on `stop.cancelled()` next to the \
             requests, with `biased;` so that it wins whenever it is ready"
        )
    });
    assert!(
        report.cancelled,
        "the crawl was stopped by `stop` but reports cancelled: false"
    );
    let urls: Vec<&String> = report.pages.keys().collect();
    assert_eq!(
        urls,
        ["/", "/x1", "/x2", "/x3", "/x4", "/x5", "/x6"],
        "stopped at 250ms, the crawl reported {urls:?}; expected the pages done by then: the \
         start page and /x1 to /x6"
    );
    let still = net.in_flight.load(Ordering::SeqCst);
    assert_eq!(
        still, 0,
        "the crawl returned after being stopped, but {still} request(s) are still in flight; \
         they should be dropped on the spot"
    );
}

#[tokio::test(start_paused = true)]
async fn circles_and_a_missing_start() {
    let pages = [
        ("/", 15, "a circle\nlink /a"),
        ("/a", 25, "link /b\nlink /"),
        ("/b", 35, "link /a\nlink /b\nlink /"),
    ];
    let net = Network::new(&pages);
    let (report, took, _) = run(&net, "/", limits(5, 100), None).await;
    assert_eq!(
        report.pages,
        fetched(&pages, &["/", "/a", "/b"]),
        "on a circle of three pages the crawl reported {:?}",
        report.pages
    );
    assert_eq!(
        took,
        ms(75),
        "three pages in a row took {took:?}; expected 75ms"
    );
    check_requested_once(&net);

    let (report, took, _) = run(&net, "/nowhere", limits(5, 100), None).await;
    assert_eq!(
        (report.pages.clone(), took),
        (
            BTreeMap::from([("/nowhere".to_string(), Plain::NotFound)]),
            ms(10)
        ),
        "crawling from a page that does not exist gave {report:?} after {took:?}; expected only \
         that page, NotFound, at 10ms"
    );
}

// /quick finishes while /slow is still in flight, and links to it: /slow must not be
// requested a second time.
#[tokio::test(start_paused = true)]
async fn a_link_to_a_page_in_flight_is_not_followed_again() {
    let pages = [
        ("/", 10, "link /slow\nlink /quick"),
        ("/slow", 140, "slow\nlink /quick"),
        ("/quick", 20, "quick\nlink /slow\nlink /late"),
        ("/late", 30, "late\nlink /slow"),
    ];
    let net = Network::new(&pages);
    let (report, took, _) = run(&net, "/", limits(2, 500), None).await;
    check_requested_once(&net);
    assert_eq!(
        (report.pages, took),
        (fetched(&pages, &["/", "/slow", "/quick", "/late"]), ms(150)),
        "expected the four pages fetched once, the crawl ending at 150ms"
    );
}

// One request at a time, each page quicker than the timeout: the pages wait for the slot,
// and that wait is not part of any request's time.
#[tokio::test(start_paused = true)]
async fn the_timeout_does_not_count_the_wait_for_a_slot() {
    let net = star(&[60, 70, 60, 80]);
    let (report, took, _) = run(&net, "/", limits(1, 100), None).await;
    let timed_out: Vec<&String> = report
        .pages
        .iter()
        .filter(|(_, o)| **o == Plain::TimedOut)
        .map(|(url, _)| url)
        .collect();
    assert!(
        timed_out.is_empty(),
        "with one request at a time, per_request = 100ms and pages of 60 to 80ms, the crawl \
         reported {timed_out:?} TimedOut. Each of those pages takes less than 100ms once it is \
         requested: the timeout started while it was still waiting for a free slot. Rule 3 is \
         about the request: start its timeout when the request is sent (around `net.get` \
         alone), not when the url is queued"
    );
    assert_eq!(
        (report.pages.len(), took),
        (5, ms(280)),
        "expected the start page and four pages, one after another, ending at 280ms"
    );
    check_requested_once(&net);
}
