// Checks for select1: race a reply against a deadline.
//
// Mistakes a learner makes on this idea, and how each is caught:
// - Awaiting the reply first and looking at the clock afterwards (no race at all): a server
//   that never answers keeps `price_within` waiting; the 10s watchdog names the missing race.
// - `join!` instead of `select!` (waits for the timer even when the answer came first): the
//   quick answer must come back at the server's exact latency.
// - Polling the request and the clock every millisecond (`now_or_never` or a short
//   `timeout` plus `sleep(1ms)`) instead of being woken: tokio's timers have millisecond
//   resolution, so a poller can land on the right millisecond; instead the checks count how
//   often `price_within` is polled (a woken future is polled a handful of times, a poller
//   hundreds) and look, when driving it by hand, whether it was woken while nothing it waits
//   for was due.
// - Reporting a timeout as a made-up price (`Ok(0)`): the result is compared as a plain
//   `Result<u32, ()>`.
// - Keeping the request alive after the deadline (spawning it, or leaving it running): the
//   server counts the requests in progress, which must be zero the moment the timer wins.
// - Hard-coding a price: the items and prices are not the ones the exercise shows.

use super::{PriceServer, TimedOut, price_within};

use std::cell::Cell;
use std::future::Future;
use std::sync::atomic::Ordering;
use std::task::Poll;
use std::time::Duration;

use asynclings_support::timeline::{self, Timeline};
use tokio::time::Instant;
use tokio_test::task;

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// Turns the learner's result into a plain std type, so that nothing but the values compare.
fn plain(result: Result<u32, TimedOut>) -> Result<u32, ()> {
    result.map_err(|_: TimedOut| ())
}

/// Counts the polls of `fut` in `polls`.
async fn counted<F: Future>(fut: F, polls: &Cell<usize>) -> F::Output {
    let mut fut = std::pin::pin!(fut);
    std::future::poll_fn(|cx| {
        polls.set(polls.get() + 1);
        fut.as_mut().poll(cx)
    })
    .await
}

/// Runs `price_within`, failing with a lesson if it is still waiting after 10s of virtual time.
async fn ask(server: &PriceServer, item: &str, patience: Duration) -> (Result<u32, ()>, Duration) {
    let start = Instant::now();
    let polls = Cell::new(0);
    let result = tokio::time::timeout(
        Duration::from_secs(10),
        counted(price_within(server, item, patience), &polls),
    )
    .await
    .unwrap_or_else(|_| {
        panic!(
            "price_within(.., {item:?}, {patience:?}) was still waiting after 10s of virtual \
             time; with a patience of {patience:?} it should give up at {patience:?}. Awaiting \
             the request waits as long as the server takes (forever, for a silent one): race \
             the request against `sleep(patience)` with `tokio::select!`"
        )
    });
    let took = start.elapsed();
    let polls = polls.get();
    assert!(
        polls <= 4,
        "price_within(.., {item:?}, {patience:?}) was polled {polls} times in {took:?} of \
         virtual time; a future that waits for the reply and the timer is polled once at the \
         start and once when one of them is ready. Is it checking now and then (a short sleep or \
         timeout in a loop, `now_or_never`) instead of being woken? `tokio::select!` wakes up \
         the moment either the reply or the timer is ready"
    );
    (plain(result), took)
}

fn expected_price(item: &str) -> u32 {
    item.bytes().map(u32::from).sum::<u32>() * 3 % 1000
}

/// The race as it ran and as it should have: the call, the moment the server's reply is due
/// (if it ever is) and the deadline.
fn race(reply: Option<Duration>, patience: Duration, took: Duration) -> (Timeline, Timeline) {
    let due = reply.map_or(patience, |reply| reply.min(patience));
    let (recorded, expected) = (Timeline::new(), Timeline::new());
    for (run, end) in [(&recorded, took), (&expected, due)] {
        run.span_at("price_within", Duration::ZERO, end);
        if let Some(reply) = reply {
            run.instant_at("reply due", reply);
        }
        run.instant_at("deadline", patience);
        run.end_at(end);
    }
    (recorded, expected)
}

/// `assert_eq!` of (result, time taken): a wrong result fails plainly, a right result at the
/// wrong time shows the race.
#[track_caller]
fn assert_race(
    got: (Result<u32, ()>, Duration),
    want: (Result<u32, ()>, Duration),
    reply: Option<Duration>,
    patience: Duration,
    message: impl FnOnce() -> String,
) {
    if got.0 != want.0 {
        assert_eq!(got, want, "{}", message());
    }
    let (recorded, expected) = race(reply, patience, got.1);
    timeline::assert_eq(got, want, &recorded, Some(&expected), message);
}

/// Why `price_within` finished at `took` instead of at `due`.
fn why_late(took: Duration, due: Duration, what: &str) -> String {
    if took > due {
        format!("it kept waiting {:?} after {what}", took - due)
    } else {
        format!("it finished {:?} before {what}", due - took)
    }
}

#[tokio::test(start_paused = true)]
async fn a_quick_answer_comes_back_at_once() {
    let server = PriceServer::new(Some(ms(37)));
    let (result, took) = ask(&server, "bicycle bell", ms(121)).await;
    assert_eq!(
        result,
        Ok(expected_price("bicycle bell")),
        "a server answering in 37ms, with a patience of 121ms, gave {result:?}; expected the \
         server's price"
    );
    let (recorded, expected) = race(Some(ms(37)), ms(121), took);
    if took == ms(121) {
        timeline::fail(
            format_args!(
                "price_within returned after {took:?} of virtual time, at the deadline, although \
                 the server answered at 37ms. Does it wait for the timer even after the answer \
                 came? (`join!` waits for both; `select!` finishes with the first branch that is \
                 ready)"
            ),
            &recorded,
            Some(&expected),
        );
    }
    timeline::assert_eq(took, ms(37), &recorded, Some(&expected), || {
        format!(
            "price_within returned after {took:?} of virtual time; the server answered at 37ms, \
             so it should return at 37ms: {}",
            why_late(took, ms(37), "the answer came")
        )
    });
}

#[tokio::test(start_paused = true)]
async fn an_answer_just_before_the_deadline_is_kept() {
    let server = PriceServer::new(Some(ms(99)));
    let (result, took) = ask(&server, "hammock", ms(100)).await;
    let want = (Ok(expected_price("hammock")), ms(99));
    assert_race((result, took), want, Some(ms(99)), ms(100), || {
        format!(
            "a server answering in 99ms, with a patience of 100ms, gave {result:?} after \
             {took:?} of virtual time; expected the price, at 99ms. {}",
            why_late(took, ms(99), "the answer came")
        )
    });
}

#[tokio::test(start_paused = true)]
async fn a_slow_server_is_given_up_on_at_the_deadline() {
    let server = PriceServer::new(Some(ms(900)));
    let (result, took) = ask(&server, "lamp", ms(241)).await;
    assert_eq!(
        result,
        Err(()),
        "a server answering in 900ms, with a patience of 241ms, gave {result:?}; expected \
         Err(TimedOut), not a made-up price"
    );
    let (recorded, expected) = race(Some(ms(900)), ms(241), took);
    timeline::assert_eq(took, ms(241), &recorded, Some(&expected), || {
        format!(
            "price_within gave up after {took:?} of virtual time; with a patience of 241ms it \
             should give up at exactly 241ms: {}",
            why_late(took, ms(241), "the deadline")
        )
    });
    let working = server.working.load(Ordering::SeqCst);
    assert_eq!(
        working, 0,
        "price_within has returned, but the server still has {working} request(s) in progress: \
         the request's future should have been dropped when the timer won"
    );
}

#[tokio::test(start_paused = true)]
async fn a_silent_server_is_given_up_on_at_the_deadline() {
    let server = PriceServer::new(None);
    let (result, took) = ask(&server, "kettle", ms(77)).await;
    assert_race((result, took), (Err(()), ms(77)), None, ms(77), || {
        format!(
            "a server that never answers, with a patience of 77ms, gave {result:?} after \
             {took:?} of virtual time; expected Err(TimedOut) at exactly 77ms. {}",
            why_late(took, ms(77), "the deadline")
        )
    });
}

// Polls price_within by hand: until the deadline the request is in progress; at the deadline
// the result is ready and the request's future is gone.
#[tokio::test(start_paused = true)]
async fn the_request_is_dropped_the_moment_the_timer_wins() {
    let server = PriceServer::new(Some(ms(500)));
    let mut asking = task::spawn(price_within(&server, "umbrella", ms(163)));

    assert!(
        asking.poll().is_pending(),
        "price_within finished at its first poll, before the server (500ms) or the timer \
         (163ms) could have"
    );
    let working = server.working.load(Ordering::SeqCst);
    assert_eq!(
        working, 1,
        "after the first poll the server has {working} request(s) in progress; expected the one \
         request, running while the timer runs"
    );

    tokio::time::advance(ms(50)).await;
    assert!(
        !asking.is_woken(),
        "price_within was woken at 50ms, although nothing it should wait for was due (the \
         server answers at 500ms, the patience runs out at 163ms): is it checking now and then \
         (a short sleep in a loop) instead of waiting on the reply and a timer?"
    );
    tokio::time::advance(ms(112)).await;
    assert!(
        asking.poll().is_pending(),
        "price_within finished after 162ms, before its patience of 163ms was up"
    );

    tokio::time::advance(ms(1)).await;
    assert!(
        asking.is_woken(),
        "the patience of 163ms is up but price_within was not woken: it should be waiting on \
         a timer that rings at the deadline, not checking the clock now and then"
    );
    let result = asking.poll();
    assert!(
        result.is_ready(),
        "the patience of 163ms is up but price_within is still waiting; it should give up \
         exactly when the timer rings"
    );
    let working = server.working.load(Ordering::SeqCst);
    let answered = server.answered.load(Ordering::SeqCst);
    assert!(
        working == 0 && answered == 0,
        "at the deadline the server still has {working} request(s) in progress and sent \
         {answered} answer(s); the losing branch of `select!` should be dropped (cancelled) the \
         moment the timer wins"
    );
}
