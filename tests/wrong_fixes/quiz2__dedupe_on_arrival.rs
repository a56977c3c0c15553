// expect: mark a url as seen when it is first queued
// Wrong fix: a link is skipped only when its page has already arrived (it is in the report);
// a link to a page still in flight is requested again.
// quiz2: a polite crawler
//
// Time to put select!, cancellation and timeouts together. No new ideas here: everything you
// need is in 03_join, 05_select and 06_cancellation.
//
// `crawl` visits every page reachable from `start` over a (pretend) network, following the
// links it finds on each page. What it must do:
//
// 1. Fetch every reachable page once (pages link to each other, in circles too). A page's
//    links are the lines that start with "link " (`links(&page)`).
// 2. Be polite: never have more than `limits.max_in_flight` requests in flight at once, and
//    as soon as one finishes, start the next one waiting (if any).
// 3. Give up on any single request that takes longer than `limits.per_request`: that page's
//    outcome is `TimedOut`, its links are unknown, and the rest of the crawl goes on.
// 4. A page that does not exist has the outcome `NotFound`.
// 5. Stop at once when `stop` is cancelled: requests in flight are dropped on the spot, and
//    `crawl` returns the outcomes it has so far, with `cancelled: true`. Otherwise it returns
//    when there is nothing left to fetch.
//
// As shipped, it fetches one page at a time, waits forever for a slow page, and never looks
// at `stop`.
//
//     max_in_flight = 3:   start |--|
//                          a        |-----|                 a new request starts the
//                          b        |--------|              moment one ends, while no
//                          c        |---|                   more than 3 are in flight
//                          d            |------|
//                          e                |---X  per_request ran out: TimedOut
//
// A tip for rule 2: the set of urls to fetch grows while you crawl, so hold the requests in
// flight in a `futures::stream::FuturesUnordered`, top it up from a queue, and take whichever
// request finishes first. Each request in it can carry its own timeout.
//
// The `Network` below is the pretend network: do not change it.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use futures::StreamExt;
use futures::stream::FuturesUnordered;
use tokio::time::error::Elapsed;
use tokio::time::{sleep, timeout};
use tokio_util::sync::CancellationToken;

#[derive(Debug, Clone, PartialEq)]
enum NetError {
    NotFound,
}

/// A pretend network: every url it knows answers with its page after its latency; a url it
/// does not know fails with `NotFound` after 10ms. It counts the requests in flight, keeps
/// the highest count, and lists every url requested.
struct Network {
    pages: HashMap<String, (Duration, String)>,
    in_flight: AtomicUsize,
    peak_in_flight: AtomicUsize,
    requested: Mutex<Vec<String>>,
}

impl Network {
    /// A network serving `(url, latency in ms, page)` for each entry.
    fn new(pages: &[(&str, u64, &str)]) -> Self {
        let pages = pages
            .iter()
            .map(|&(url, ms, page)| {
                (
                    url.to_string(),
                    (Duration::from_millis(ms), page.to_string()),
                )
            })
            .collect();
        Self {
            pages,
            in_flight: AtomicUsize::new(0),
            peak_in_flight: AtomicUsize::new(0),
            requested: Mutex::new(Vec::new()),
        }
    }

    async fn get(&self, url: &str) -> Result<String, NetError> {
        let _in_flight = InFlight::enter(self);
        self.requested.lock().unwrap().push(url.to_string());
        match self.pages.get(url) {
            Some((latency, page)) => {
                sleep(*latency).await;
                Ok(page.clone())
            }
            None => {
                sleep(Duration::from_millis(10)).await;
                Err(NetError::NotFound)
            }
        }
    }
}

/// Counts one request in flight while it is alive, even if its future is dropped.
struct InFlight<'a>(&'a Network);

impl<'a> InFlight<'a> {
    fn enter(net: &'a Network) -> Self {
        let now = net.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        net.peak_in_flight.fetch_max(now, Ordering::SeqCst);
        Self(net)
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

/// The links on a page: the rest of every line that starts with "link ".
fn links(page: &str) -> Vec<String> {
    page.lines()
        .filter_map(|line| line.strip_prefix("link "))
        .map(|url| url.trim().to_string())
        .collect()
}

#[derive(Debug, Clone, Copy)]
struct Limits {
    max_in_flight: usize,
    per_request: Duration,
}

#[derive(Debug, Clone, PartialEq)]
enum Outcome {
    Fetched { bytes: usize },
    NotFound,
    TimedOut,
}

#[derive(Debug, Default, PartialEq)]
struct Report {
    pages: BTreeMap<String, Outcome>,
    cancelled: bool,
}

/// One request with its own timeout (rule 3): `Err` when it took longer than `patience`.
async fn fetch(
    net: &Network,
    url: String,
    patience: Duration,
) -> (String, Result<Result<String, NetError>, Elapsed>) {
    let result = timeout(patience, net.get(&url)).await;
    (url, result)
}

/// Crawls from `start` (see the rules at the top of the file).
async fn crawl(net: &Network, start: &str, limits: Limits, stop: CancellationToken) -> Report {
    let mut report = Report::default();
    let mut queue = VecDeque::from([start.to_string()]);
    let mut in_flight = FuturesUnordered::new();
    loop {
        // Rule 2: top up to the limit from the queue, every time one request has finished.
        while in_flight.len() < limits.max_in_flight
            && let Some(url) = queue.pop_front()
        {
            in_flight.push(fetch(net, url, limits.per_request));
        }
        if in_flight.is_empty() {
            return report;
        }
        tokio::select! {
            // Rule 5: `biased;` so that a cancelled crawl stops even when a request is
            // ready at the same moment. Returning drops `in_flight` and its requests.
            biased;
            _ = stop.cancelled() => {
                report.cancelled = true;
                return report;
            }
            Some((url, result)) = in_flight.next() => {
                let outcome = match result {
                    Ok(Ok(page)) => {
                        for link in links(&page) {
                            if !report.pages.contains_key(&link) && !queue.contains(&link) {
                                queue.push_back(link);
                            }
                        }
                        Outcome::Fetched { bytes: page.len() }
                    }
                    Ok(Err(NetError::NotFound)) => Outcome::NotFound,
                    Err(_elapsed) => Outcome::TimedOut,
                };
                report.pages.insert(url, outcome);
            }
        }
    }
}

#[tokio::main]
async fn main() {
    let net = Network::new(&[
        ("/", 20, "welcome\nlink /docs\nlink /blog\nlink /shop"),
        ("/docs", 80, "docs\nlink /\nlink /docs/api"),
        ("/docs/api", 60, "api"),
        ("/blog", 50, "blog\nlink /blog/old"),
        ("/shop", 5000, "a very slow shop\nlink /shop/cart"),
    ]);
    let limits = Limits {
        max_in_flight: 2,
        per_request: Duration::from_millis(300),
    };
    let stop = CancellationToken::new();
    let start = tokio::time::Instant::now();
    let report = crawl(&net, "/", limits, stop).await;
    for (url, outcome) in &report.pages {
        println!("{url:12} {outcome:?}");
    }
    println!("in {:?}, cancelled: {}", start.elapsed(), report.cancelled);
}
