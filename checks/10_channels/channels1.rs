// Mistakes learners make on "when does a channel end", and how each is caught:
// - the original `tx` kept alive (the shipped bug), or dropped after the loop: `catalogue`
//   never returns; the watchdog names the leftover Sender when every book was already filed.
// - closing the receiver (`rx.close()`, `drop(rx)`) instead of dropping the sender: nothing
//   or too little is filed; the message says it gave up at once.
// - stopping after a quiet spell (`timeout` around `recv`) or after one message per
//   scanner: books missing, or `catalogue` returns later than the last book.
// - waiting for the scanners (awaiting their JoinHandles) and only then draining the channel
//   (`recv` or `try_recv`): every book is filed at the end, not when it is found, and a
//   shelf with more books than the channel holds (16) deadlocks. Each book's filing time is
//   compared exactly with the time its scanner sent it.
// - polling (`try_recv` plus a sleep) instead of awaiting `recv`: a book filed after the
//   instant it was sent is reported as late (a coarse poll always is; a 1 ms poll that lands
//   on the same timer tick may pass here, and is caught in channels4, where the checks send
//   between ticks).
// - hard-coding: the shelves, books and paces here are not the ones the exercise shows.

use super::{Shelf, catalogue};

use std::time::Duration;

use asynclings_support::timeline::{self, Timeline};
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

/// Every book of `shelves` with the virtual time at which its scanner sends it, in that order.
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
    for pair in found.windows(2) {
        assert!(
            pair[0].0 != pair[1].0,
            "check bug: two books found at the same instant"
        );
    }
    found
}

/// The books found (`sent`, the same in both runs), each filed, and catalogue to its return.
fn run(sent: &[(Duration, String)], filed: &[(Duration, String)], took: Duration) -> Timeline {
    let run = Timeline::new();
    run.declare_instants("found");
    for (at, _) in sent {
        run.instant_at("found", *at);
    }
    run.declare_instants("filed");
    for (at, _) in filed {
        run.instant_at("filed", *at);
    }
    run.span_at("catalogue", Duration::ZERO, took);
    run.end_at(took);
    run
}

/// Runs `catalogue` and compares what it files, and when, with what the scanners send.
async fn assert_catalogue(shelves: Vec<Shelf>) {
    let want = expected(&shelves);
    let want_books: Vec<String> = want.iter().map(|(_, b)| b.clone()).collect();
    let last = want.last().map_or(Duration::ZERO, |(at, _)| *at);
    let start = Instant::now();
    let mut filed: Vec<(Duration, String)> = Vec::new();
    let outcome = tokio::time::timeout(
        LIMIT,
        catalogue(shelves, |book: String| filed.push((start.elapsed(), book))),
    )
    .await;
    let took = start.elapsed();
    let got_books: Vec<String> = filed.iter().map(|(_, b)| b.clone()).collect();
    let Ok(count) = outcome else {
        if got_books.len() < want_books.len() {
            panic!(
                "catalogue stopped making progress: it filed {} of the {} books, and after \
                 {LIMIT:?} of virtual time nothing more had happened. The channel holds 16 \
                 books: a scanner with more to send waits for room until someone reads. Does \
                 `catalogue` wait for the scanners to finish (awaiting their JoinHandles) before \
                 it reads the channel? Read it while they run: the channel itself says when \
                 they are done",
                got_books.len(),
                want_books.len()
            );
        }
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
    let count: usize = count;
    let (recorded, expected) = (run(&want, &filed, took), run(&want, &want, last));
    if got_books.len() < want_books.len() {
        let why = if got_books.is_empty() && took == Duration::ZERO {
            "it gave up at once. Closing the receiver (`rx.close()`) makes every later send fail; \
             it is the leftover Sender that must go"
        } else if took < last {
            "it stopped listening before the last scanner was done: does it stop after a quiet \
             spell, or after a fixed number of messages?"
        } else {
            "some books never arrived: does it stop after a fixed number of messages? One \
             scanner can send many"
        };
        timeline::fail(
            format_args!(
                "catalogue filed {} of the {} books by {took:?} of virtual time ({got_books:?}); \
                 the last book is found at {last:?}: {why}",
                got_books.len(),
                want_books.len()
            ),
            &recorded,
            Some(&expected),
        );
    }
    assert_eq!(
        got_books, want_books,
        "catalogue filed the books {got_books:?}; expected every book once, in the order found: \
         {want_books:?}"
    );
    for ((at, book), (sent, _)) in filed.iter().zip(&want) {
        if at != sent {
            let why = if *at >= last && last > Duration::ZERO {
                "it filed the books only once every scanner was done. Does it wait for the \
                 scanners (their JoinHandles) before reading the channel? Read while they run: \
                 `recv().await` hands over each book the moment it is sent"
            } else {
                "is the channel polled (`try_recv` and a sleep) instead of awaited? \
                 `recv().await` wakes the moment a book is sent, not at the next poll"
            };
            timeline::fail(
                format_args!(
                    "catalogue filed {book:?} at {at:?} of virtual time, but its scanner sent it \
                     at {sent:?}: {why}"
                ),
                &recorded,
                Some(&expected),
            );
        }
    }
    assert_eq!(
        count,
        want_books.len(),
        "catalogue filed {} books but returned {count}",
        want_books.len()
    );
    timeline::assert_eq(took, last, &recorded, Some(&expected), || {
        format!(
            "catalogue filed every book on time, but returned at {took:?} of virtual time, while \
             the last scanner was done at {last:?}: it should return as soon as the channel \
             closes (does it wait for a quiet spell, or poll, before it stops?)"
        )
    });
}

#[tokio::test(start_paused = true)]
async fn returns_when_the_last_scanner_is_done() {
    assert_catalogue(vec![
        shelf("maps", &["Atlas", "Charts", "Globe", "Routes", "Tides"], 30),
        shelf("music", &["Fugues", "Nocturnes"], 71),
        shelf("law", &["Statutes"], 113),
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
async fn more_books_than_the_channel_holds() {
    const PAMPHLETS: [&str; 40] = [
        "p01", "p02", "p03", "p04", "p05", "p06", "p07", "p08", "p09", "p10", "p11", "p12", "p13",
        "p14", "p15", "p16", "p17", "p18", "p19", "p20", "p21", "p22", "p23", "p24", "p25", "p26",
        "p27", "p28", "p29", "p30", "p31", "p32", "p33", "p34", "p35", "p36", "p37", "p38", "p39",
        "p40",
    ];
    assert_catalogue(vec![
        shelf("pamphlets", &PAMPHLETS, 3),
        shelf("atlases", &["Mercator", "Ortelius"], 41),
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
