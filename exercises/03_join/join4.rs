// join4: a limit on how much runs at once
//
// `join_all` over a thousand downloads starts a thousand downloads at once. The other side
// rarely thanks you for that: servers limit connections per client, and the sockets, memory
// and file handles all add up on your side too. What you usually want is "all of them, but
// at most N at a time":
//
//     slot 1  |--a--|--e--|--i--|
//     slot 2  |--b--|--f--|--j--|
//     slot 3  |--c--|--g--|
//     slot 4  |--d--|--h--|
//
// and when one download finishes, the next one starts in its slot right away, without
// waiting for the others in its "batch".
//
// A `tokio::sync::Semaphore` is a counter of *permits*. `acquire().await` takes one, waiting
// while there are none left; the permit goes back when it is dropped. Make one with `n`
// permits, and have every download take a permit before it starts and hold it until it is
// done: then at most `n` are in flight, whatever the number of futures being joined, and a
// finished download hands its permit straight to the next one waiting.
//
//     let slots = Semaphore::new(4);
//     let guarded = async {
//         let _permit = slots.acquire().await.expect("the semaphore is never closed");
//         work().await                      // the permit is held until this is done
//     };                                    // ...and given back here, when it is dropped
//
// (13_streams shows another way: a stream of futures with `buffer_unordered(n)`.)
//
// `download_all` below starts every download at once. Keep it to `MAX_IN_FLIGHT`.

use std::time::Duration;

use futures::future::join_all;

/// How many downloads may be in flight at once.
const MAX_IN_FLIGHT: usize = 4;

/// Downloads every url with `download`, with at most `MAX_IN_FLIGHT` downloads in flight at
/// any moment. Returns the pages in any order.
async fn download_all(urls: Vec<String>, download: impl AsyncFn(String) -> String) -> Vec<String> {
    // TODO: this starts every download at the same moment.
    join_all(urls.into_iter().map(|url| download(url))).await
}

#[tokio::main]
async fn main() {
    use std::sync::atomic::{AtomicUsize, Ordering};

    // A pretend server that takes 100ms per page and reports how many requests it is serving.
    let in_flight = AtomicUsize::new(0);
    let download = async |url: String| {
        let now = in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        println!("GET {url} ({now} in flight)");
        tokio::time::sleep(Duration::from_millis(100)).await;
        in_flight.fetch_sub(1, Ordering::SeqCst);
        format!("<page {url}>")
    };

    let urls: Vec<String> = (1..=10).map(|i| format!("/item/{i}")).collect();
    let start = tokio::time::Instant::now();
    let pages = download_all(urls, download).await;
    println!("{} pages in {:?}", pages.len(), start.elapsed());
}
