// streams1: reading a stream, item by item
//
// A future gives one value, later. A *stream* gives a sequence of values, each one later: it
// is to `Iterator` what a future is to a plain value. Its one required method looks like a
// future's `poll`:
//
//     fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>>
//
//     Ready(Some(item))   here is the next item
//     Ready(None)         the stream has ended
//     Pending             no item yet; the task will be woken when there is one
//
// Nobody calls `poll_next` by hand. The convenient methods, `next`, `map`, `filter`, `then`,
// `buffered`, ... live in an extension trait, `futures::StreamExt` (or
// `tokio_stream::StreamExt`), and a trait's methods are only callable when the trait is in
// scope: without a `use`, `stream.next()` does not exist.
//
// `next()` also wants the stream to be `Unpin`, because it polls the stream through a plain
// `&mut` again and again. Many streams are not `Unpin`: a stream built from `async` blocks
// (`then`, `unfold`, ...) holds their futures, which may point into themselves once polled,
// so they must not move. Pin the stream first, and then `next()` works on the pinned handle:
//
//     let mut stream = std::pin::pin!(stream);   // pinned on the stack, for this function
//     while let Some(item) = stream.next().await { ... }
//
// (`Box::pin(stream)` pins it on the heap instead, for a stream you must return or store.)
//
// Reading item by item is the point: a dashboard shows the running totals as each order
// comes in. Collecting the whole stream first (`collect`) would make it wait for the last one,
// and polling it on a timer (`now_or_never` and a sleep) instead of awaiting `next()` would
// show each order late, and keep the task busy while nothing happens.
//
// `summarize` below reads a stream of orders as they come in, and reports the running summary
// after each one. Make it compile, without changing its signature.

use std::time::Duration;

use futures::Stream;
use tokio_stream::StreamExt;
use tokio::time::sleep;

#[derive(Debug, Clone, Copy, PartialEq)]
struct Order {
    id: u32,
    cents: u64,
}

#[derive(Debug, Default, PartialEq)]
struct Summary {
    orders: u32,
    revenue_cents: u64,
    largest_cents: u64,
}

/// Counts the orders, adds up their value and finds the largest, as the orders arrive: calls
/// `report` with the running summary the moment each order has come in. Returns the summary
/// once the stream has ended.
async fn summarize(orders: impl Stream<Item = Order>, mut report: impl FnMut(&Summary)) -> Summary {
    let mut summary = Summary::default();
    // `StreamExt` (imported above) provides `next`. `pin!` fixes the stream in place on this
    // function's stack, so it may be polled through `&mut` even though it is not `Unpin`.
    let mut orders = std::pin::pin!(orders);
    while let Some(order) = orders.next().await {
        summary.orders += 1;
        summary.revenue_cents += order.cents;
        summary.largest_cents = summary.largest_cents.max(order.cents);
        report(&summary);
    }
    summary
}

#[tokio::main]
async fn main() {
    let orders = [(1, 1250), (2, 399), (3, 8800)].map(|(id, cents)| Order { id, cents });
    // One order every 100ms. `then` runs an async block per item: this stream is not `Unpin`.
    let incoming = futures::stream::iter(orders).then(async |order| {
        sleep(Duration::from_millis(100)).await;
        println!("order {} came in", order.id);
        order
    });
    let report = |summary: &Summary| println!("so far: {summary:?}");
    println!("{:?}", summarize(incoming, report).await);
}
