// Mistakes learners make on merging two streams, and how each is caught:
// - stopping when the first feed ends (the shipped code): messages missing.
// - polling a feed again after it ended (`continue` on `None` without a precondition): the
//   checks' feeds panic when polled after their end, with a message that says why.
// - `chain` (one feed read to the end before the other): the order of arrival is lost.
// - a loop that never ends once both feeds are done: the watchdog fires.
// - the timeline compared as plain strings, for feeds the exercise does not show; the virtual
//   time must be that of the last message.

use super::merge_feeds;

use std::collections::VecDeque;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use asynclings_support::timeline::{self, Timeline};
use asynclings_support::watchdog;
use futures::Stream;
use tokio::time::{Instant, Sleep, sleep};

const LIMIT: Duration = Duration::from_secs(10);

/// A feed of messages, each sent `gap` after the one before. It refuses (panics) to be
/// polled again after it has ended, as many streams do.
struct Feed {
    name: &'static str,
    messages: VecDeque<(Duration, String)>,
    timer: Option<Pin<Box<Sleep>>>,
    ended: bool,
    /// Each message as it is handed over, in a row named after the feed.
    recorded: Timeline,
}

fn feed(name: &'static str, messages: &[(u64, &str)]) -> Feed {
    Feed {
        name,
        messages: messages
            .iter()
            .map(|&(gap, text)| (Duration::from_millis(gap), text.to_string()))
            .collect(),
        timer: None,
        ended: false,
        recorded: Timeline::new(),
    }
}

impl Stream for Feed {
    type Item = String;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<String>> {
        assert!(
            !self.ended,
            "feed {:?} was polled again after it had ended (returned None). A stream that has \
             ended may panic or hang when polled again: stop polling a feed once it is done \
             (an `if` precondition on its `select!` branch), or merge the feeds with \
             `futures::stream::select`, which does that for you",
            self.name
        );
        let Some((gap, _)) = self.messages.front() else {
            self.ended = true;
            return Poll::Ready(None);
        };
        let gap = *gap;
        let timer = self.timer.get_or_insert_with(|| Box::pin(sleep(gap)));
        match timer.as_mut().poll(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(()) => {
                self.timer = None;
                let (_, text) = self.messages.pop_front().unwrap();
                self.recorded.instant(self.name);
                Poll::Ready(Some(text))
            }
        }
    }
}

/// Two feeds merged: what came out, the virtual time it took, when each feed handed over
/// each message, and when it should have (as soon as each message is sent).
struct Merged {
    got: Vec<String>,
    took: Duration,
    recorded: Timeline,
    expected: Timeline,
}

/// Merges two feeds.
async fn merge(mut a: Feed, mut b: Feed) -> Merged {
    let start = Instant::now();
    let (recorded, expected) = (Timeline::new(), Timeline::new());
    for feed in [&mut a, &mut b] {
        feed.recorded = recorded.clone();
        recorded.declare_instants(feed.name);
        expected.declare_instants(feed.name);
        let mut at = Duration::ZERO;
        for (gap, _) in &feed.messages {
            at += *gap;
            expected.instant_at(feed.name, at);
        }
    }
    let got: Vec<String> = watchdog(LIMIT, "merge_feeds", merge_feeds(a, b)).await;
    let took = start.elapsed();
    recorded.span_at("merge", Duration::ZERO, took);
    recorded.end_at(took);
    Merged {
        got,
        took,
        recorded,
        expected,
    }
}

fn diagnose(got: &[String], expected: &[&str]) -> &'static str {
    if got.len() < expected.len() {
        "messages are missing: does the loop stop as soon as the first feed ends?"
    } else if got.len() > expected.len() {
        "there are more messages than were sent"
    } else {
        "every message is there, but not in the order they arrived: is one feed read to the \
         end before the other?"
    }
}

fn assert_timeline(merged: Merged, expected: &[&str], ends_at: u64) {
    let Merged {
        got,
        took,
        recorded,
        expected: should,
    } = merged;
    let ends_at_ms = Duration::from_millis(ends_at);
    should.span_at("merge", Duration::ZERO, ends_at_ms);
    should.end_at(ends_at_ms);
    let message = || {
        format!(
            "merge_feeds gave {got:?}; expected {expected:?}, every message of both feeds in \
             the order they arrived: {}",
            diagnose(&got, expected)
        )
    };
    if got.len() > expected.len() {
        // More than was sent: a wrong value, shown without a timeline.
        assert!(got == expected, "{}", message());
    }
    // Missing or out of order: when each feed was read shows why.
    timeline::assert(got == expected, &recorded, Some(&should), message);
    timeline::assert_eq(took, ends_at_ms, &recorded, Some(&should), || {
        format!(
            "merge_feeds took {took:?} of virtual time; the last message arrives at {ends_at}ms \
             and both feeds end then"
        )
    });
}

#[tokio::test(start_paused = true)]
async fn the_short_feed_ends_first() {
    // north: 30, 90 (then ends);  south: 20, 50, 120, 180, 250.
    let north = feed("north", &[(30, "n1"), (60, "n2")]);
    let south = feed(
        "south",
        &[(20, "s1"), (30, "s2"), (70, "s3"), (60, "s4"), (70, "s5")],
    );
    let merged = merge(north, south).await;
    assert_timeline(merged, &["s1", "n1", "s2", "n2", "s3", "s4", "s5"], 250);
}

#[tokio::test(start_paused = true)]
async fn the_other_feed_ends_first() {
    // east: 15, 45, 100, 190;  west: 40 (then ends).
    let east = feed("east", &[(15, "e1"), (30, "e2"), (55, "e3"), (90, "e4")]);
    let west = feed("west", &[(40, "w1")]);
    let merged = merge(east, west).await;
    assert_timeline(merged, &["e1", "w1", "e2", "e3", "e4"], 190);
}

#[tokio::test(start_paused = true)]
async fn an_empty_feed() {
    let quiet = feed("quiet", &[]);
    let chatty = feed("chatty", &[(5, "c1"), (5, "c2"), (5, "c3")]);
    let merged = merge(quiet, chatty).await;
    assert_timeline(merged, &["c1", "c2", "c3"], 15);
}
