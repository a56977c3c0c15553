// Checks for async_fn1: a future does nothing until it is awaited.
//
// Mistakes a learner makes here, and how each is caught:
// - the call left without `.await` (or `let _ = record_visit(..)`): no visit is stored.
// - the visit pushed by hand into `visits.pages`, bypassing `record_visit`: serve then takes
//   no virtual time, though the database round trip takes 5ms.
// - `tokio::spawn` instead of `.await` (and whatever it takes to make that compile): serve
//   returns before the visit is stored; a second call shows the visits out of step.
// - `record_visit` awaited twice, or the visit stored twice: exactly one visit per call.
// - a fixed page: the checks serve paths the exercise does not show.

use super::{Visits, serve};

use std::time::Duration;

use asynclings_support::watchdog;
use tokio::time::Instant;

const LIMIT: Duration = Duration::from_secs(10);

fn stored(visits: &Visits) -> Vec<String> {
    let pages: Vec<String> = visits.pages.lock().unwrap().clone();
    pages
}

#[tokio::test(start_paused = true)]
async fn serve_stores_its_visit_exactly_once() {
    let visits = Visits::default();
    let start = Instant::now();
    let html: String = watchdog(LIMIT, "serve(\"/pricing\")", serve(&visits, "/pricing")).await;
    let took = start.elapsed();

    assert_eq!(
        html, "<h1>/pricing</h1>",
        "serve(\"/pricing\") rendered {html:?}"
    );
    let pages = stored(&visits);
    assert!(
        !pages.is_empty(),
        "serve(\"/pricing\") returned, but no visit was stored. Calling record_visit(..) only \
         makes a future; its body runs when the future is polled. Add `.await` to the call"
    );
    assert_eq!(
        pages,
        ["/pricing"],
        "one call to serve stored {pages:?}; expected exactly one visit, [\"/pricing\"]: is \
         record_visit awaited more than once?"
    );
    assert_eq!(
        took,
        Duration::from_millis(5),
        "serve(\"/pricing\") took {took:?} of virtual time; record_visit takes 5ms, so serve \
         should take exactly 5ms. Did you store the visit some other way than awaiting \
         record_visit?"
    );
}

#[tokio::test(start_paused = true)]
async fn each_call_stores_one_visit_in_order() {
    let visits = Visits::default();
    let start = Instant::now();
    watchdog(LIMIT, "three calls to serve", async {
        for page in ["/docs", "/blog", "/docs"] {
            let _: String = serve(&visits, page).await;
        }
    })
    .await;
    let took = start.elapsed();

    let pages = stored(&visits);
    assert_eq!(
        pages,
        ["/docs", "/blog", "/docs"],
        "after serving /docs, /blog, /docs the visits are {pages:?}; expected each visit \
         stored once, in order. Is each record_visit awaited before serve returns?"
    );
    assert_eq!(
        took,
        Duration::from_millis(15),
        "three calls to serve took {took:?} of virtual time; expected 15ms (5ms per stored \
         visit). Did you store the visit some other way than awaiting record_visit?"
    );
}
