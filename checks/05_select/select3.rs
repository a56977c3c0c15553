// Checks for select3: one deadline for the whole loop.
//
// Mistakes a learner makes on this idea, and how each is caught:
// - A new `sleep(window)` made on every turn, a `timeout` around each `recv`, or
//   `sleep_until(Instant::now() + window)` inside the loop: each is an idle timeout that
//   steady votes keep pushing back. A voter who never stops trips the 10s watchdog, and one
//   who stops after a while makes the poll close late; the messages name these shapes.
// - Selecting on the sleep by value (moved on the first turn): does not compile.
// - Reading the clock now and then (a 1ms `timeout` around `recv`, or `try_recv` and a
//   short sleep) instead of being woken: tokio's timers have millisecond resolution, so a
//   poller can close on the right millisecond; the checks count how often `collect_votes` is
//   polled, which for a woken loop is about once per vote.
// - Ignoring a closed channel (waiting out the window after every voter has gone): the
//   poll must end the moment the channel closes.
// - Hard-coding a window or a vote count: windows, rates and names differ from the
//   exercise's.

use super::collect_votes;

use std::cell::Cell;
use std::future::Future;
use std::time::Duration;

use asynclings_support::timeline::{self, Timeline};
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

/// Counts the polls of `fut` in `polls`.
async fn counted<F: Future>(fut: F, polls: &Cell<usize>) -> F::Output {
    let mut fut = std::pin::pin!(fut);
    std::future::poll_fn(|cx| {
        polls.set(polls.get() + 1);
        fut.as_mut().poll(cx)
    })
    .await
}

const RESTARTED: &str = "A deadline made inside the loop (`sleep(window)` in the select!, a \
                         `timeout` around each `recv`, `sleep_until(Instant::now() + window)`) \
                         starts counting again at every turn, so steady votes keep pushing it \
                         back: make the deadline once, before the loop, pin it, and select on \
                         `&mut deadline`";

/// Runs collect_votes under a watchdog; fails if it was polled far more often than votes came.
async fn collect(votes: &mut mpsc::Receiver<String>, window: Duration) -> (Vec<String>, Duration) {
    let start = Instant::now();
    let polls = Cell::new(0);
    let got: Vec<String> = tokio::time::timeout(
        Duration::from_secs(10),
        counted(collect_votes(votes, window), &polls),
    )
    .await
    .unwrap_or_else(|_| {
        panic!(
            "collect_votes with a window of {window:?} was still collecting after 10s of virtual \
             time, while votes kept coming; the poll should close at {window:?}. {RESTARTED}"
        )
    });
    let took = start.elapsed();
    let polls = polls.get();
    assert!(
        polls <= 2 * got.len() + 4,
        "collect_votes was polled {polls} times in {took:?} of virtual time for {} votes; a loop \
         that waits on the channel and on one deadline is polled about once per vote. Is it \
         checking the clock now and then (a short timeout or sleep in a loop) instead of being \
         woken by the deadline's timer?",
        got.len()
    );
    (got, took)
}

/// The poll as it ran and as it should have: the call, the votes cast (`count` of them, one
/// every `every`; the checks' own voter), and the deadline.
fn poll_timelines(
    every: Duration,
    count: usize,
    window: Duration,
    took: Duration,
    due: Duration,
) -> (Timeline, Timeline) {
    let (recorded, expected) = (Timeline::new(), Timeline::new());
    let horizon = took.max(due);
    for (run, end) in [(&recorded, took), (&expected, due)] {
        run.span_at("collect_votes", Duration::ZERO, end);
        for i in 0..count.min(1000) {
            let at = every * i as u32;
            if at > horizon {
                break;
            }
            run.instant_at("vote cast", at);
        }
        run.instant_at("deadline", window);
        run.end_at(end);
    }
    (recorded, expected)
}

/// Why the poll closed at `took` instead of at `window`.
fn why(took: Duration, window: Duration) -> &'static str {
    if took > window {
        RESTARTED
    } else {
        "It closed before the window was over: the deadline is `window` after collect_votes \
         starts"
    }
}

fn names(who: &str, n: usize) -> Vec<String> {
    (0..n).map(|i| format!("{who} {i}")).collect()
}

#[tokio::test(start_paused = true)]
async fn the_poll_closes_at_the_deadline_while_votes_keep_coming() {
    // Votes at 0, 30, 60, ... 1170ms; the window is 250ms.
    let mut votes = voter("ana", 40, ms(30), false);
    let (got, took) = collect(&mut votes, ms(250)).await;
    let (recorded, expected) = poll_timelines(ms(30), 40, ms(250), took, ms(250));
    timeline::assert_eq(took, ms(250), &recorded, Some(&expected), || {
        format!(
            "collect_votes with a 250ms window returned after {took:?} of virtual time, with {} \
             votes, while a vote came every 30ms; the poll should close at exactly 250ms. {}",
            got.len(),
            why(took, ms(250))
        )
    });
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
    let (recorded, expected) = poll_timelines(ms(40), usize::MAX, ms(130), took, ms(130));
    let message = || {
        format!(
            "with a vote every 40ms and a 130ms window, collect_votes returned {} votes after \
             {took:?} of virtual time; expected the 4 votes cast at 0, 40, 80 and 120ms, at \
             130ms. {}",
            got.len(),
            why(took, ms(130))
        )
    };
    // A wrong count at the right time is a wrong value: no picture for it.
    if took == ms(130) {
        assert_eq!((got.len(), took), (4, ms(130)), "{}", message());
    }
    timeline::assert_eq(
        (got.len(), took),
        (4, ms(130)),
        &recorded,
        Some(&expected),
        message,
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
    let (recorded, expected) = poll_timelines(ms(25), 3, ms(400), took, ms(50));
    timeline::assert_eq(took, ms(50), &recorded, Some(&expected), || {
        format!(
            "the only voter left at 50ms, but collect_votes returned after {took:?} of virtual \
             time; when the channel closes (recv gives None) the poll is over at once"
        )
    });
}

#[tokio::test(start_paused = true)]
async fn the_poll_closes_at_the_deadline_with_a_quick_voter() {
    // Votes at 0, 7, 14, ...; the window is 61ms: the last vote counted is the one at 56ms.
    let mut votes = voter("dee", 1000, ms(7), false);
    let (got, took) = collect(&mut votes, ms(61)).await;
    assert_eq!(
        (got.len(), took),
        (9, ms(61)),
        "with a vote every 7ms and a 61ms window, collect_votes returned {} votes after {took:?} \
         of virtual time; expected the 9 votes cast at 0, 7, ... 56ms, at 61ms. {}",
        got.len(),
        why(took, ms(61))
    );
}
