// expect: Nothing timed out
// Wrong fix: a longer timeout around the batch: nothing times out any more, not even the
// requests slower than the patience.
// cancel5: a timeout for each request, not one for the batch
//
// A timeout cancels everything inside it. Wrapped around a whole batch, one slow request
// takes the rest down with it:
//
//     timeout(200ms, join_all([a, b, c]))
//
//     a  |--ok--|                               finished, but its result is thrown away
//     b  |------------------------X             too slow: the whole batch times out
//     c  |----ok----|                           finished, thrown away too
//                                 ^ 200ms: join_all is dropped, with a's and c's results
//
// What is usually meant is "give up on any request that takes longer than 200ms": a
// timeout around EACH request, inside the join. Then only the slow request is cancelled, the
// others keep their results, and the batch still takes at most 200ms, because the requests
// still run at the same time:
//
//     join_all([timeout(200ms, a), timeout(200ms, b), timeout(200ms, c)])
//         -> [Ok(a), Err(timed out), Ok(c)]
//
// `fetch_all` below puts one timeout around the whole batch. Give each request its own.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use futures::future::join_all;
use tokio::time::{sleep, timeout};

#[derive(Debug, PartialEq)]
struct TimedOut;

// A pretend web server. Each page takes its own time to load; it counts the requests that
// started and the ones that it answered.
struct Server {
    latency: HashMap<String, Duration>,
    started: AtomicUsize,
    answered: AtomicUsize,
}

impl Server {
    fn new(pages: &[(&str, u64)]) -> Self {
        let latency = pages
            .iter()
            .map(|&(url, ms)| (url.to_string(), Duration::from_millis(ms)))
            .collect();
        Self {
            latency,
            started: AtomicUsize::new(0),
            answered: AtomicUsize::new(0),
        }
    }

    async fn get(&self, url: &str) -> String {
        self.started.fetch_add(1, Ordering::SeqCst);
        sleep(self.latency[url]).await;
        self.answered.fetch_add(1, Ordering::SeqCst);
        format!("<html>{url}</html>")
    }
}

// Fetches every url at the same time. Each result is the page, or `Err(TimedOut)` if that
// request took longer than `patience`. The results are in the order of `urls`.
async fn fetch_all(
    server: &Server,
    urls: &[&str],
    patience: Duration,
) -> Vec<Result<String, TimedOut>> {
    let requests = urls.iter().map(|url| server.get(url));
    match timeout(patience * 10, join_all(requests)).await {
        Ok(pages) => pages.into_iter().map(Ok).collect(),
        Err(_) => urls.iter().map(|_| Err(TimedOut)).collect(),
    }
}

#[tokio::main]
async fn main() {
    let server = Server::new(&[("/home", 40), ("/search", 900), ("/about", 60)]);
    let results = fetch_all(
        &server,
        &["/home", "/search", "/about"],
        Duration::from_millis(200),
    )
    .await;
    for result in results {
        println!("{result:?}");
    }
}
