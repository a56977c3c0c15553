use super::*;

use std::time::Duration;

use tokio::sync::mpsc;
use tokio::time::{Instant, sleep};

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// A voter task: sends `count` votes named `{who} {i}`, `every` apart (the first at once),
/// then goes away (closing the channel) unless `stay` is true.
fn voter(who: &'static str, count: usize, every: Duration, stay: bool) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel(64);
    tokio::spawn(async move {
        for i in 0..count {
            if i > 0 {
                sleep(every).await;
            }
            if tx.send(format!("{who} {i}")).await.is_err() {
                return;
            }
        }
        if stay {
            std::future::pending::<()>().await;
        }
    });
    rx
}

async fn collect(votes: &mut mpsc::Receiver<String>, window: Duration) -> (Vec<String>, Duration) {
    let start = Instant::now();
    let got = tokio::time::timeout(Duration::from_secs(10), collect_votes(votes, window))
        .await
        .unwrap_or_else(|_| {
            panic!(
                "collect_votes with a window of {window:?} was still collecting after 10s of \
                 virtual time, while votes kept coming; the poll should close at {window:?}. A \
                 sleep created inside the loop starts counting again at every turn, so steady \
                 votes keep pushing it back: make the deadline once, before the loop"
            )
        });
    (got, start.elapsed())
}

fn names(who: &str, n: usize) -> Vec<String> {
    (0..n).map(|i| format!("{who} {i}")).collect()
}

#[tokio::test(start_paused = true)]
async fn the_poll_closes_at_the_deadline_while_votes_keep_coming() {
    // Votes at 0, 30, 60, ... 1170ms; the window is 250ms.
    let mut votes = voter("ana", 40, ms(30), false);
    let (got, took) = collect(&mut votes, ms(250)).await;
    assert_eq!(
        took,
        ms(250),
        "collect_votes with a 250ms window returned after {took:?} of virtual time, with {} \
         votes, while a vote came every 30ms; the poll should close at exactly 250ms. A sleep \
         created inside the loop starts counting again at every turn: make the deadline once, \
         before the loop, and select on `&mut deadline`",
        got.len()
    );
    assert_eq!(
        got,
        names("ana", 9),
        "with votes every 30ms and a 250ms window, collect_votes returned {got:?}; expected the \
         nine votes cast at 0, 30, ... 240ms"
    );
}

#[tokio::test(start_paused = true)]
async fn the_poll_closes_even_if_voting_never_stops() {
    let mut votes = voter("ben", usize::MAX, ms(40), true);
    let (got, took) = collect(&mut votes, ms(130)).await;
    assert_eq!(
        (got.len(), took),
        (4, ms(130)),
        "with a vote every 40ms and a 130ms window, collect_votes returned {} votes after {took:?} \
         of virtual time; expected the 4 votes cast at 0, 40, 80 and 120ms, at 130ms",
        got.len()
    );
}

#[tokio::test(start_paused = true)]
async fn a_silent_poll_closes_at_the_deadline() {
    let mut votes = voter("nobody", 0, ms(1), true);
    let (got, took) = collect(&mut votes, ms(170)).await;
    assert!(
        got.is_empty() && took == ms(170),
        "with no votes and a 170ms window, collect_votes returned {got:?} after {took:?} of \
         virtual time; expected no votes, at 170ms"
    );
}

#[tokio::test(start_paused = true)]
async fn the_poll_ends_early_when_every_voter_has_gone() {
    // Votes at 0, 25 and 50ms, then the voter goes away: the channel closes at 50ms.
    let mut votes = voter("cy", 3, ms(25), false);
    let (got, took) = collect(&mut votes, ms(400)).await;
    assert_eq!(
        got,
        names("cy", 3),
        "collect_votes returned {got:?}; expected the three votes"
    );
    assert_eq!(
        took,
        ms(50),
        "the only voter left at 50ms, but collect_votes returned after {took:?} of virtual time; \
         when the channel closes (recv gives None) the poll is over at once"
    );
}
