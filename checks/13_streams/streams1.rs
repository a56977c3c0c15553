// Mistakes learners make on reading a stream, and how each is caught:
// - `StreamExt` not imported, or the stream not pinned (the shipped code): does not compile.
// - an `Unpin` bound added to `summarize` instead of pinning inside: the checks' stream is
//   built from async blocks and is not `Unpin` (compile error).
// - `if let` instead of `while let`: one order counted; the message says so.
// - collecting the whole stream first (`collect`), then summarising: every report comes at the
//   end; each report's virtual time is compared with its order's arrival.
// - polling on a timer (`now_or_never` and a sleep) instead of awaiting `next()`: the stream
//   counts how often it is polled while an order is on its way; a reader that is woken polls
//   it about twice per order.
// - summaries compared as plain numbers, for orders and gaps the exercise does not show.

use super::{Order, Summary, summarize};

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use asynclings_support::timeline::{self, Timeline};
use asynclings_support::watchdog;
use futures::Stream;
use futures::stream;
use tokio::time::{Instant, sleep};

const LIMIT: Duration = Duration::from_secs(10);

fn us(n: u64) -> Duration {
    Duration::from_micros(n)
}

/// Counts the polls of the future inside.
struct Counted<F> {
    inner: Pin<Box<F>>,
    polls: Arc<AtomicUsize>,
}

impl<F: Future> Future for Counted<F> {
    type Output = F::Output;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        self.polls.fetch_add(1, Ordering::SeqCst);
        self.inner.as_mut().poll(cx)
    }
}

/// Orders that each arrive their gap (µs) after the one before, as a stream that is not
/// `Unpin` (it is built from async blocks). Every poll while an order is on its way is counted
/// in `polls`. If the checks fail to compile with "cannot be unpinned", `summarize` requires
/// `Unpin` of its stream: pin the stream inside the function instead.
fn arriving(orders: &[(u32, u64, u64)], polls: Arc<AtomicUsize>) -> impl Stream<Item = Order> {
    let orders: Vec<(Order, u64)> = orders
        .iter()
        .map(|&(id, cents, gap)| (Order { id, cents }, gap))
        .collect();
    stream::unfold(orders.into_iter(), move |mut rest| {
        let polls = polls.clone();
        async move {
            let (order, gap) = rest.next()?;
            Counted {
                inner: Box::pin(sleep(us(gap))),
                polls,
            }
            .await;
            Some((order, rest))
        }
    })
}

fn plain(summary: &Summary) -> (u32, u64, u64) {
    let orders: u32 = summary.orders;
    let revenue: u64 = summary.revenue_cents;
    let largest: u64 = summary.largest_cents;
    (orders, revenue, largest)
}

/// The orders arriving (the same in both runs), each report, and summarize to its return.
fn summarizing(arrivals: &[Duration], reports: &[Duration], took: Duration) -> Timeline {
    let run = Timeline::new();
    run.declare_instants("order");
    for &at in arrivals {
        run.instant_at("order", at);
    }
    run.declare_instants("report");
    for &at in reports {
        run.instant_at("report", at);
    }
    run.span_at("summarize", Duration::ZERO, took);
    run.end_at(took);
    run
}

/// Runs `summarize` on `orders` (id, cents, gap in µs) and checks the final summary, each
/// report and when it came, and how often the stream was polled.
async fn assert_summaries(orders: &[(u32, u64, u64)]) {
    let polls = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    let mut reports: Vec<(Duration, (u32, u64, u64))> = Vec::new();
    let summary = watchdog(
        LIMIT,
        "summarize",
        summarize(arriving(orders, polls.clone()), |s: &Summary| {
            reports.push((start.elapsed(), plain(s)))
        }),
    )
    .await;
    let took = start.elapsed();
    let got = plain(&summary);

    // What each report should say, and when the order it reports arrives (a timer of the
    // runtime fires on the next whole millisecond).
    let mut expected = Vec::new();
    let (mut at, mut running) = (Duration::ZERO, (0u32, 0u64, 0u64));
    for &(_, cents, gap) in orders {
        at += us(gap);
        at = Duration::from_millis(at.as_micros().div_ceil(1000) as u64);
        running = (running.0 + 1, running.1 + cents, running.2.max(cents));
        expected.push((at, running));
    }
    let why = if got.0 == 1 && orders.len() > 1 {
        ": the loop stops after the first order (`while let`, not `if let`)"
    } else {
        ""
    };
    assert_eq!(
        got,
        running,
        "summarize of {} orders gave (orders, revenue, largest) = {got:?}; expected \
         {running:?}{why}",
        orders.len()
    );
    let got_sums: Vec<(u32, u64, u64)> = reports.iter().map(|(_, s)| *s).collect();
    let want_sums: Vec<(u32, u64, u64)> = expected.iter().map(|(_, s)| *s).collect();
    assert_eq!(
        got_sums, want_sums,
        "summarize reported the running summaries {got_sums:?}; expected one report per \
         order, as it comes in: {want_sums:?}"
    );
    let arrivals: Vec<Duration> = expected.iter().map(|(at, _)| *at).collect();
    let reported: Vec<Duration> = reports.iter().map(|(at, _)| *at).collect();
    let last = arrivals.last().copied().unwrap_or(Duration::ZERO);
    let recorded = summarizing(&arrivals, &reported, took);
    let should = summarizing(&arrivals, &arrivals, last);
    for ((reported, _), (arrived, _)) in reports.iter().zip(&expected) {
        if reported != arrived {
            let why = if *reported == took {
                "every report came at the end: does it collect the whole stream before it \
                 summarises? Read it item by item, with `next().await`"
            } else {
                "is the stream polled on a timer (`now_or_never` and a sleep) instead of \
                 awaited? `next().await` is woken the moment the next order is there"
            };
            timeline::fail(
                format_args!(
                    "an order arrived at {arrived:?} of virtual time, but its report came at \
                     {reported:?}: {why}"
                ),
                &recorded,
                Some(&should),
            );
        }
    }
    let polls = polls.load(Ordering::SeqCst);
    assert!(
        polls <= 2 * orders.len() + 2,
        "the stream was polled {polls} times while {} orders were on their way: a reader that \
         awaits `next()` is woken when an order is there, and polls about twice per order. Is \
         it polling on a timer (`now_or_never` and a sleep)?",
        orders.len()
    );
    timeline::assert_eq(took, last, &recorded, Some(&should), || {
        format!(
            "summarize returned at {took:?} of virtual time; the stream ended with its last \
             order, at {last:?}"
        )
    });
}

#[tokio::test(start_paused = true)]
async fn every_order_is_reported_as_it_comes_in() {
    assert_summaries(&[
        (70, 2_500, 35_500),
        (71, 10, 12_250),
        (72, 99_999, 61_700),
        (73, 4_200, 3_300),
        (74, 380, 40_100),
        (75, 15, 27_900),
    ])
    .await;
}

#[tokio::test(start_paused = true)]
async fn an_empty_stream_gives_an_empty_summary() {
    assert_summaries(&[]).await;
}

#[tokio::test(start_paused = true)]
async fn a_single_order() {
    assert_summaries(&[(9, 777, 1_400)]).await;
}

#[tokio::test(start_paused = true)]
async fn a_burst_then_a_long_wait() {
    assert_summaries(&[(1, 5, 0), (2, 6, 0), (3, 700, 250_000), (4, 1, 0)]).await;
}
