// Checks for cancel5: a timeout for each request, not one for the batch.
//
// Mistakes a learner makes on this idea, and how each is caught:
// - One timeout around the batch (as shipped), or a longer one: either every result is lost
//   or nothing times out; the exact results per url are compared, and the message names the
//   batch timeout only when every result failed together.
// - A timeout per request, but the requests awaited one after another: the elapsed virtual
//   time must be the slowest allowed request, not the sum.
// - Waiting for slow requests after their timeout (keeping them alive): the server counts the
//   requests it answered.
// - A timed-out request reported as an empty page: results are compared as plain
//   `Result<String, ()>`.
// - Results in completion order instead of url order: the urls' latencies are not sorted.
// - Hard-coding: urls, latencies and patience are the checks' own.

use super::{Server, TimedOut, fetch_all};

use std::sync::atomic::Ordering;
use std::time::Duration;

use asynclings_support::timeline::{self, Timeline};
use tokio::time::Instant;

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn page(url: &str) -> Result<String, ()> {
    Ok(format!("<html>{url}</html>"))
}

async fn fetch(
    pages: &[(&str, u64)],
    patience: u64,
) -> (Server, Vec<Result<String, ()>>, Duration, Timeline) {
    let server = Server::new(pages);
    let urls: Vec<&str> = pages.iter().map(|&(url, _)| url).collect();
    let start = Instant::now();
    // The server counts the requests it starts and answers; after each poll of `fetch_all`
    // the checks note when those counts went up.
    let recorded = Timeline::new();
    recorded.declare_instants("started");
    recorded.declare_instants("answered");
    let mut seen = (0, 0);
    let results = tokio::time::timeout(
        Duration::from_secs(10),
        timeline::observe(fetch_all(&server, &urls, ms(patience)), || {
            let started = server.started.load(Ordering::SeqCst);
            let answered = server.answered.load(Ordering::SeqCst);
            for _ in seen.0..started {
                recorded.instant("started");
            }
            for _ in seen.1..answered {
                recorded.instant("answered");
            }
            seen = (started, answered);
        }),
    )
    .await
    .expect("fetch_all had not returned after 10s of virtual time");
    let results: Vec<Result<String, TimedOut>> = results;
    let results: Vec<Result<String, ()>> = results
        .into_iter()
        .map(|r| r.map_err(|_: TimedOut| ()))
        .collect();
    let took = start.elapsed();
    recorded.span_at("fetch_all", Duration::ZERO, took);
    recorded.end_at(took);
    (server, results, took, recorded)
}

/// Every request started at once, each answered at its latency unless that is past the
/// patience, and the batch done when the last request is answered or given up on.
fn expected_timeline(pages: &[(&str, u64)], patience: u64) -> Timeline {
    let expected = Timeline::new();
    let end = ms(pages
        .iter()
        .map(|&(_, l)| l.min(patience))
        .max()
        .unwrap_or(0));
    for _ in pages {
        expected.instant_at("started", Duration::ZERO);
    }
    for &(_, l) in pages {
        if l < patience {
            expected.instant_at("answered", ms(l));
        }
    }
    expected.span_at("fetch_all", Duration::ZERO, end);
    expected.end_at(end);
    expected
}

/// Names the batch timeout only when the results show it: every request failed together.
fn why_wrong(results: &[Result<String, ()>]) -> &'static str {
    if results.iter().any(|r| r.as_deref() == Ok("")) {
        "A request that timed out must give Err(TimedOut), not an empty page"
    } else if !results.is_empty() && results.iter().all(|r| r.is_err()) {
        "Every request failed together: a timeout around the whole batch throws away the pages \
         that did arrive. Put a timeout around each request"
    } else if results.iter().all(|r| r.is_ok()) {
        "Nothing timed out: each request needs its own timeout of `patience`"
    } else {
        "Each result belongs to its url, in the order of the urls: the page, or Err(TimedOut) \
         for a request slower than the patience"
    }
}

fn took_hint(took: Duration, pages: &[(&str, u64)], patience: u64) -> &'static str {
    let sequential: u64 = pages.iter().map(|&(_, l)| l.min(patience)).sum();
    if took == ms(sequential) {
        " Are the requests awaited one after another? join_all runs them at the same time."
    } else {
        ""
    }
}

#[tokio::test(start_paused = true)]
async fn a_slow_request_in_the_middle_fails_alone() {
    let pages = [("/cart", 30), ("/recommendations", 500), ("/stock", 80)];
    let (server, results, took, recorded) = fetch(&pages, 200).await;
    assert_eq!(
        results,
        [page("/cart"), Err(()), page("/stock")],
        "with requests of 30ms, 500ms and 80ms and a patience of 200ms, fetch_all gave \
         {results:?}; expected only the 500ms request to time out, and the other two pages. {}",
        why_wrong(&results)
    );
    let expected = expected_timeline(&pages, 200);
    timeline::assert_eq(took, ms(200), &recorded, Some(&expected), || {
        format!(
            "fetch_all took {took:?} of virtual time; with the requests running at the same time \
             and a patience of 200ms, it should take 200ms.{}",
            took_hint(took, &pages, 200)
        )
    });
    let started = server.started.load(Ordering::SeqCst);
    let answered = server.answered.load(Ordering::SeqCst);
    assert_eq!(
        (started, answered),
        (3, 2),
        "the server saw {started} requests start and answered {answered}; expected 3 started and \
         2 answered: the slow one should be dropped at the timeout, not waited for"
    );
}

#[tokio::test(start_paused = true)]
async fn when_all_are_quick_all_pages_arrive() {
    let pages = [("/a", 10), ("/b", 60), ("/c", 45), ("/d", 20)];
    let (_, results, took, recorded) = fetch(&pages, 75).await;
    assert_eq!(
        results,
        [page("/a"), page("/b"), page("/c"), page("/d")],
        "with every request quicker than the patience, fetch_all gave {results:?}; expected every \
         page, in the order of the urls. {}",
        why_wrong(&results)
    );
    let expected = expected_timeline(&pages, 75);
    timeline::assert_eq(took, ms(60), &recorded, Some(&expected), || {
        format!(
            "four requests of at most 60ms, run at the same time, took {took:?} of virtual time; \
             expected 60ms.{}",
            took_hint(took, &pages, 75)
        )
    });
}

#[tokio::test(start_paused = true)]
async fn each_slow_request_fails_on_its_own() {
    let pages = [
        ("/1", 310),
        ("/2", 15),
        ("/3", 125),
        ("/4", 90),
        ("/5", 700),
        ("/6", 119),
    ];
    let (server, results, took, recorded) = fetch(&pages, 120).await;
    assert_eq!(
        results,
        [
            Err(()),
            page("/2"),
            Err(()),
            page("/4"),
            Err(()),
            page("/6")
        ],
        "with a patience of 120ms and requests of 310, 15, 125, 90, 700 and 119ms, fetch_all gave \
         {results:?}; expected the three requests slower than 120ms to time out and the others \
         to give their pages. {}",
        why_wrong(&results)
    );
    let expected = expected_timeline(&pages, 120);
    timeline::assert_eq(took, ms(120), &recorded, Some(&expected), || {
        format!(
            "fetch_all took {took:?} of virtual time; expected 120ms, the patience.{}",
            took_hint(took, &pages, 120)
        )
    });
    let answered = server.answered.load(Ordering::SeqCst);
    assert_eq!(
        answered, 3,
        "the server answered {answered} requests; expected 3: the slow ones should be dropped at \
         their timeout"
    );
}

#[tokio::test(start_paused = true)]
async fn when_all_are_slow_all_fail_at_the_patience() {
    let pages = [("/x", 400), ("/y", 250)];
    let (_, results, took, _) = fetch(&pages, 90).await;
    assert_eq!(
        (&results[..], took),
        (&[Err(()), Err(())][..], ms(90)),
        "with both requests slower than the 90ms patience, fetch_all gave {results:?} after \
         {took:?}; expected two timeouts at 90ms"
    );
}
