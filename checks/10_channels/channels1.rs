use super::*;

use std::time::Duration;

use tokio::time::Instant;

const LIMIT: Duration = Duration::from_secs(60);

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn shelf(name: &'static str, books: &[&'static str], pace_ms: u64) -> Shelf {
    Shelf {
        name,
        books: books.to_vec(),
        pace: ms(pace_ms),
    }
}

/// Every book of `shelves` with the virtual time at which its scanner finds it, in that order.
fn expected(shelves: &[Shelf]) -> Vec<(Duration, String)> {
    let mut found: Vec<(Duration, String)> = shelves
        .iter()
        .flat_map(|s| {
            s.books
                .iter()
                .enumerate()
                .map(move |(i, book)| (s.pace * (i as u32 + 1), format!("{}: {book}", s.name)))
        })
        .collect();
    found.sort();
    found
}

/// Runs `catalogue` and compares what it returns, and when, with what the scanners find.
async fn assert_catalogue(shelves: Vec<Shelf>) {
    let want = expected(&shelves);
    let want_books: Vec<String> = want.iter().map(|(_, b)| b.clone()).collect();
    let last = want.last().map_or(ms(0), |(at, _)| *at);
    let start = Instant::now();
    let Ok(got) = tokio::time::timeout(LIMIT, catalogue(shelves)).await else {
        let done = match want.len() {
            0 => "there was nothing to scan".to_string(),
            n => format!(
                "the scanners had found all {n} books and were done at {last:?} of virtual time"
            ),
        };
        panic!(
            "catalogue did not return: {done}, yet after {LIMIT:?} `recv()` was still waiting. \
             A channel ends only when every Sender has been dropped, and `catalogue` still \
             holds the `tx` it made the clones from: drop it once the scanners have their clones"
        );
    };
    let took = start.elapsed();
    if got.len() < want_books.len() {
        let why = if got.is_empty() && took == ms(0) {
            "it gave up at once. Closing the receiver (`rx.close()`) makes every later send fail; \
             it is the leftover Sender that must go"
        } else if took < last {
            "it stopped listening before the last scanner was done: does it stop after a quiet \
             spell, or after a fixed number of messages?"
        } else {
            "some books never arrived: does it stop after a fixed number of messages? One \
             scanner can send many"
        };
        panic!(
            "catalogue returned {} of the {} books at {took:?} of virtual time ({got:?}); the \
             last book is found at {last:?}: {why}",
            got.len(),
            want_books.len()
        );
    }
    assert_eq!(
        got, want_books,
        "catalogue returned the books {got:?}; expected every book once, in the order found: \
         {want_books:?}"
    );
    assert_eq!(
        took, last,
        "catalogue returned all the books, but at {took:?} of virtual time, while the last \
         scanner was done at {last:?}: it should return as soon as the channel closes (does it \
         wait for a quiet spell before it stops?)"
    );
}

#[tokio::test(start_paused = true)]
async fn returns_when_the_last_scanner_is_done() {
    assert_catalogue(vec![
        shelf("maps", &["Atlas", "Charts", "Globe", "Routes", "Tides"], 30),
        shelf("music", &["Fugues", "Nocturnes"], 70),
        shelf("law", &["Statutes"], 110),
    ])
    .await;
}

#[tokio::test(start_paused = true)]
async fn slow_scanners_are_waited_for() {
    assert_catalogue(vec![
        shelf("attic", &["Diary", "Letters", "Ledger"], 150),
        shelf("empty", &[], 10),
    ])
    .await;
}

#[tokio::test(start_paused = true)]
async fn one_shelf() {
    assert_catalogue(vec![shelf("kids", &["Matilda"], 20)]).await;
}

#[tokio::test(start_paused = true)]
async fn no_shelves_at_all() {
    assert_catalogue(vec![]).await;
}
