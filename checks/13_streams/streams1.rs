use super::*;

use std::time::Duration;

use asynclings_support::watchdog;
use futures::stream;
use tokio::time::{Instant, sleep};

const LIMIT: Duration = Duration::from_secs(10);

/// Orders that arrive `gap_ms` apart, as a stream that is not `Unpin` (it is built from
/// async blocks). If the checks fail to compile with "cannot be unpinned", `summarize`
/// requires `Unpin` of its stream: pin the stream inside the function instead.
fn arriving(orders: &[(u32, u64)], gap_ms: u64) -> impl Stream<Item = Order> {
    let orders: Vec<Order> = orders
        .iter()
        .map(|&(id, cents)| Order { id, cents })
        .collect();
    stream::unfold(orders.into_iter(), move |mut rest| async move {
        let order = rest.next()?;
        sleep(Duration::from_millis(gap_ms)).await;
        Some((order, rest))
    })
}

#[tokio::test(start_paused = true)]
async fn every_order_is_counted() {
    let orders = [
        (70, 2_500),
        (71, 10),
        (72, 99_999),
        (73, 4_200),
        (74, 380),
        (75, 15),
    ];
    let start = Instant::now();
    let summary = watchdog(LIMIT, "summarize", summarize(arriving(&orders, 35))).await;
    let took = start.elapsed();
    let expected = Summary {
        orders: 6,
        revenue_cents: 2_500 + 10 + 99_999 + 4_200 + 380 + 15,
        largest_cents: 99_999,
    };
    let why = if summary.orders == 1 {
        ": the loop stops after the first order (`while let`, not `if let`)"
    } else {
        ""
    };
    assert_eq!(
        summary, expected,
        "summarize of 6 orders gave {summary:?}; expected {expected:?}{why}"
    );
    assert_eq!(
        took,
        Duration::from_millis(6 * 35),
        "summarize of 6 orders arriving 35ms apart took {took:?} of virtual time; it should \
         read them as they arrive and end with the stream, after 210ms"
    );
}

#[tokio::test(start_paused = true)]
async fn an_empty_stream_gives_an_empty_summary() {
    let summary = watchdog(LIMIT, "summarize", summarize(arriving(&[], 10))).await;
    assert_eq!(
        summary,
        Summary::default(),
        "summarize of a stream with no orders gave {summary:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn a_single_order() {
    let summary = watchdog(LIMIT, "summarize", summarize(arriving(&[(9, 777)], 1))).await;
    let expected = Summary {
        orders: 1,
        revenue_cents: 777,
        largest_cents: 777,
    };
    assert_eq!(
        summary, expected,
        "summarize of one order of 777 cents gave {summary:?}"
    );
}
