// Mistakes learners make on broadcast lag, and how each is caught:
// - `while let Ok(..)` (the shipped code), or `break` on any error: the follower stops at
//   its first lag; the message names `Lagged` as news, not the end.
// - `Err(_) => continue`: loops forever on `Closed`; caught after a bounded number of turns.
// - a lag skipped without being recorded, or with a wrong count: events compared exactly.
// - `resubscribe()` after a lag: the prices still kept are skipped.
// - polling (`try_recv` plus a sleep or a `yield_now`) instead of awaiting `recv()`: the
//   checks drive the clock themselves in steps of 250 µs (never relying on auto-advance, so a
//   busy `yield_now` loop cannot freeze them), count how often `follow` is polled (a woken
//   follower is polled about once per price; a poller many times more), and send a steady
//   feed every 350 µs into a channel of 2, which a woken follower keeps up with and a 1 ms
//   poller does not (it reports lags that need not happen).
// - hard-coding: capacities, prices and bursts are not the exercise's.

use super::{Event, follow};

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::sync::broadcast;

use Seen::{Missed, Price};

/// What `follow` saw, as a plain value of the checks' own (the learner's `Event` is only
/// read, never compared).
#[derive(Debug, PartialEq)]
enum Seen {
    Price(u32),
    Missed(u64),
}

fn seen(events: Vec<Event>) -> Vec<Seen> {
    events
        .into_iter()
        .map(|event| match event {
            Event::Price(price) => Price(price),
            Event::Missed(n) => Missed(n),
        })
        .collect()
}

/// Counts the polls of the future inside.
struct Polls<F> {
    inner: Pin<Box<F>>,
    polls: Arc<AtomicUsize>,
}

impl<F: Future> Future for Polls<F> {
    type Output = F::Output;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        self.polls.fetch_add(1, Ordering::SeqCst);
        self.inner.as_mut().poll(cx)
    }
}

/// Moves the paused clock forward by `gap` in small steps, letting the other tasks run (and
/// their timers fire) at each step.
async fn pass(gap: Duration) {
    let step = Duration::from_micros(250);
    let mut passed = Duration::ZERO;
    while passed < gap {
        let next = step.min(gap - passed);
        tokio::time::advance(next).await;
        tokio::task::yield_now().await;
        passed += next;
    }
}

/// How many turns the scheduler gets (250 µs of virtual time each), after the feed is closed,
/// for `follow` to return.
const TURNS: usize = 1000;

/// Runs `follow` on a feed of `capacity`. The first burst is sent before the follower starts;
/// between two later bursts the follower has `gap` (virtual) to catch up. Then the feed closes.
async fn run(capacity: usize, bursts: &[&[u32]], gap: Duration) -> Vec<Seen> {
    let (feed, receiver) = broadcast::channel(capacity);
    let (first, rest) = bursts.split_first().unwrap();
    for &price in *first {
        feed.send(price).unwrap();
    }
    let polls = Arc::new(AtomicUsize::new(0));
    let follower = tokio::spawn(Polls {
        inner: Box::pin(follow(receiver)),
        polls: polls.clone(),
    });
    for burst in rest {
        pass(gap).await;
        for &price in *burst {
            let _ = feed.send(price);
        }
    }
    drop(feed);
    for _ in 0..TURNS {
        if follower.is_finished() {
            let events: Vec<Event> = follower.await.expect("follow panicked");
            let polls = polls.load(Ordering::SeqCst);
            let sent: usize = bursts.iter().map(|b| b.len()).sum();
            let allowed = sent + bursts.len() + 2;
            assert!(
                polls <= allowed,
                "follow was polled {polls} times for {sent} prices sent in {} bursts: it keeps \
                 waking itself up (a sleep or a `yield_now` around `try_recv`) instead of waiting \
                 in `recv().await`, which is woken only when a price is sent or the feed closes",
                bursts.len()
            );
            return seen(events);
        }
        pass(Duration::from_micros(250)).await;
    }
    follower.abort();
    panic!(
        "follow had not returned {TURNS} turns of the scheduler after the feed was closed. \
         `Err(RecvError::Closed)` means that no price will ever come again: end the loop there \
         (`Err(_) => continue` goes round and round on `Closed` forever)"
    );
}

/// Compares what `follow` saw with what it should have, explaining the difference.
fn assert_events(capacity: usize, bursts: &[&[u32]], got: &[Seen], expected: &[Seen]) {
    if got == expected {
        return;
    }
    let missed = |events: &[Seen]| -> Vec<u64> {
        events
            .iter()
            .filter_map(|e| match e {
                Missed(n) => Some(*n),
                Price(_) => None,
            })
            .collect()
    };
    let prices = |events: &[Seen]| -> Vec<u32> {
        events
            .iter()
            .filter_map(|e| match e {
                Price(p) => Some(*p),
                Missed(_) => None,
            })
            .collect()
    };
    let why = if missed(expected).is_empty() && !missed(got).is_empty() {
        "the follower reported lags on a feed it could keep up with: every price was sent \
         while it was waiting, into a channel with room for it. Is it polling (`try_recv` and \
         a sleep) instead of awaiting `recv()`? A receiver waiting in `recv().await` is woken \
         by each send, and so never falls behind here"
            .to_string()
    } else if got.len() < expected.len()
        && expected.starts_with(got)
        && matches!(expected[got.len()], Missed(_))
    {
        let Missed(n) = expected[got.len()] else {
            unreachable!()
        };
        format!(
            "the follower stopped at its first lag: `recv()` gave `Err(RecvError::Lagged({n}))`, \
             and the loop ended as if the feed were over. Only `Err(RecvError::Closed)` is the \
             end; after `Lagged`, the receiver carries on with the oldest price still kept"
        )
    } else if prices(got) == prices(expected) && missed(got).is_empty() {
        "every price is there, but the lags were not reported: record `Event::Missed(n)` for \
         `Err(RecvError::Lagged(n))`"
            .to_string()
    } else if prices(got) == prices(expected) {
        format!(
            "the prices are right, but the lags were reported as {:?} missed, expected {:?}: \
             `Lagged(n)` carries the number of prices the receiver lost",
            missed(got),
            missed(expected)
        )
    } else if missed(got) == missed(expected)
        && prices(expected).iter().any(|p| !prices(got).contains(p))
    {
        let lost: Vec<u32> = prices(expected)
            .into_iter()
            .filter(|p| !prices(got).contains(p))
            .collect();
        format!(
            "after a lag, the prices {lost:?}, which the channel still held, never arrived. A \
             lagged receiver goes on with the oldest price still kept; `resubscribe()` would \
             jump past them to prices sent from then on"
        )
    } else {
        "each price should be recorded as it arrives, and each lag as `Missed(n)` where it \
         happened"
            .to_string()
    };
    panic!(
        "a feed of capacity {capacity} sent the bursts {bursts:?}; follow saw {got:?}, expected \
         {expected:?}: {why}"
    );
}

async fn check(capacity: usize, bursts: &[&[u32]], expected: &[Seen]) {
    let got = run(capacity, bursts, Duration::from_millis(10)).await;
    assert_events(capacity, bursts, &got, expected);
}

#[tokio::test(start_paused = true)]
async fn a_lag_is_reported_and_the_follower_goes_on() {
    check(
        4,
        &[
            &[310, 312, 309, 315, 320, 318, 322, 330, 327, 329],
            &[335, 331],
        ],
        &[
            Missed(6),
            Price(322),
            Price(330),
            Price(327),
            Price(329),
            Price(335),
            Price(331),
        ],
    )
    .await;
}

#[tokio::test(start_paused = true)]
async fn two_lags() {
    check(
        2,
        &[&[51, 52, 53, 54, 55], &[61, 62, 63, 64, 65, 66, 67]],
        &[
            Missed(3),
            Price(54),
            Price(55),
            Missed(5),
            Price(66),
            Price(67),
        ],
    )
    .await;
}

#[tokio::test(start_paused = true)]
async fn a_lag_just_before_the_feed_closes() {
    check(
        4,
        &[&[7, 8, 9, 10, 11, 12, 13, 14, 15]],
        &[Missed(5), Price(12), Price(13), Price(14), Price(15)],
    )
    .await;
}

#[tokio::test(start_paused = true)]
async fn a_follower_that_keeps_up_misses_nothing() {
    check(
        8,
        &[&[900, 901, 899], &[905], &[], &[904, 910]],
        &[
            Price(900),
            Price(901),
            Price(899),
            Price(905),
            Price(904),
            Price(910),
        ],
    )
    .await;
}

#[tokio::test(start_paused = true)]
async fn a_feed_closed_before_anything_was_sent() {
    check(8, &[&[]], &[]).await;
}

#[tokio::test(start_paused = true)]
async fn a_quiet_feed_is_waited_for_not_polled() {
    let bursts: &[&[u32]] = &[&[5], &[6], &[7]];
    let got = run(4, bursts, Duration::from_micros(47_350)).await;
    assert_events(4, bursts, &got, &[Price(5), Price(6), Price(7)]);
}

#[tokio::test(start_paused = true)]
async fn a_steady_feed_is_kept_up_with() {
    let bursts: &[&[u32]] = &[
        &[70],
        &[71],
        &[69],
        &[72],
        &[74],
        &[73],
        &[75],
        &[76],
        &[78],
        &[77],
        &[79],
        &[80],
    ];
    let got = run(2, bursts, Duration::from_micros(350)).await;
    let expected: Vec<Seen> = bursts.iter().map(|b| Price(b[0])).collect();
    assert_events(2, bursts, &got, &expected);
}
