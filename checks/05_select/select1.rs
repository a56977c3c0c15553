use super::*;

use std::sync::atomic::Ordering;
use std::time::Duration;

use tokio::time::Instant;
use tokio_test::task;

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// Runs `price_within`, failing with a lesson if it is still waiting after 10s of virtual time.
async fn ask(
    server: &PriceServer,
    item: &str,
    patience: Duration,
) -> (Result<u32, TimedOut>, Duration) {
    let start = Instant::now();
    let result = tokio::time::timeout(
        Duration::from_secs(10),
        price_within(server, item, patience),
    )
    .await
    .unwrap_or_else(|_| {
        panic!(
            "price_within(.., {item:?}, {patience:?}) was still waiting after 10s of virtual \
                 time; with a patience of {patience:?} it should give up at {patience:?}. Race the \
                 request against `sleep(patience)` with `tokio::select!`"
        )
    });
    (result, start.elapsed())
}

fn expected_price(item: &str) -> u32 {
    item.bytes().map(u32::from).sum::<u32>() * 3 % 1000
}

#[tokio::test(start_paused = true)]
async fn a_quick_answer_comes_back_at_once() {
    let server = PriceServer::new(Some(ms(35)));
    let (result, took) = ask(&server, "bicycle bell", ms(120)).await;
    assert_eq!(
        result,
        Ok(expected_price("bicycle bell")),
        "a server answering in 35ms, with a patience of 120ms, gave {result:?}; expected the \
         server's price"
    );
    assert_eq!(
        took,
        ms(35),
        "price_within returned after {took:?} of virtual time; the server answered at 35ms, so it \
         should return at 35ms. Does it wait for the timer even after the answer came? (`select!` \
         finishes with the first branch that is ready)"
    );
}

#[tokio::test(start_paused = true)]
async fn a_slow_server_is_given_up_on_at_the_deadline() {
    let server = PriceServer::new(Some(ms(900)));
    let (result, took) = ask(&server, "lamp", ms(240)).await;
    assert_eq!(
        result,
        Err(TimedOut),
        "a server answering in 900ms, with a patience of 240ms, gave {result:?}; expected \
         Err(TimedOut)"
    );
    assert_eq!(
        took,
        ms(240),
        "price_within gave up after {took:?} of virtual time; with a patience of 240ms it should \
         give up at exactly 240ms"
    );
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
    let (result, took) = ask(&server, "kettle", ms(75)).await;
    assert_eq!(
        result,
        Err(TimedOut),
        "a server that never answers, with a patience of 75ms, gave {result:?}; expected \
         Err(TimedOut)"
    );
    assert_eq!(
        took,
        ms(75),
        "price_within gave up on a silent server after {took:?} of virtual time; with a patience \
         of 75ms it should give up at exactly 75ms"
    );
}

// Polls price_within by hand: until the deadline the request is in progress; at the deadline
// the result is ready and the request's future is gone.
#[tokio::test(start_paused = true)]
async fn the_request_is_dropped_the_moment_the_timer_wins() {
    let server = PriceServer::new(Some(ms(500)));
    let mut asking = task::spawn(price_within(&server, "umbrella", ms(160)));

    assert!(
        asking.poll().is_pending(),
        "price_within finished at its first poll, before the server (500ms) or the timer (160ms) \
         could have"
    );
    let working = server.working.load(Ordering::SeqCst);
    assert_eq!(
        working, 1,
        "after the first poll the server has {working} request(s) in progress; expected the one \
         request, running while the timer runs"
    );

    tokio::time::advance(ms(159)).await;
    assert!(
        asking.poll().is_pending(),
        "price_within finished after 159ms, before its patience of 160ms was up"
    );

    tokio::time::advance(ms(1)).await;
    let result = asking.poll();
    assert!(
        result.is_ready(),
        "the patience of 160ms is up but price_within is still waiting; it should give up exactly \
         when the timer rings"
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
