use super::*;

use std::time::Duration;

use tokio::sync::broadcast;

use Event::{Missed, Price};

/// How many turns the scheduler gets, after the feed is closed, for `follow` to return.
const TURNS: usize = 1000;

/// Runs `follow` on a feed of `capacity`. The first burst is sent before the follower starts;
/// between two later bursts the follower has 10ms (virtual) to catch up. Then the feed closes.
async fn run(capacity: usize, bursts: &[&[u32]]) -> Vec<Event> {
    let (feed, receiver) = broadcast::channel(capacity);
    let (first, rest) = bursts.split_first().unwrap();
    for &price in *first {
        feed.send(price).unwrap();
    }
    let follower = tokio::spawn(follow(receiver));
    for burst in rest {
        tokio::time::sleep(Duration::from_millis(10)).await;
        for &price in *burst {
            let _ = feed.send(price);
        }
    }
    drop(feed);
    for _ in 0..TURNS {
        if follower.is_finished() {
            return follower.await.expect("follow panicked");
        }
        tokio::task::yield_now().await;
    }
    follower.abort();
    panic!(
        "follow had not returned {TURNS} turns of the scheduler after the feed was closed. \
         `Err(RecvError::Closed)` means that no price will ever come again: end the loop there \
         (`Err(_) => continue` goes round and round on `Closed` forever)"
    );
}

/// Compares what `follow` saw with what it should have, explaining the difference.
fn assert_events(capacity: usize, bursts: &[&[u32]], got: &[Event], expected: &[Event]) {
    if got == expected {
        return;
    }
    let missed = |events: &[Event]| -> Vec<u64> {
        events
            .iter()
            .filter_map(|e| match e {
                Missed(n) => Some(*n),
                Price(_) => None,
            })
            .collect()
    };
    let prices = |events: &[Event]| -> Vec<u32> {
        events
            .iter()
            .filter_map(|e| match e {
                Price(p) => Some(*p),
                Missed(_) => None,
            })
            .collect()
    };
    let why = if got.len() < expected.len()
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

async fn check(capacity: usize, bursts: &[&[u32]], expected: &[Event]) {
    let got = run(capacity, bursts).await;
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
