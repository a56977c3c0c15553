// stream_sources1: a stream fed by a task
//
// 13_streams consumed streams. Here you make one. The simplest way to turn "something that
// produces values over time" into a `Stream` is a task and a channel:
//
//     let (tx, rx) = tokio::sync::mpsc::channel(BUFFER);
//     tokio::spawn(async move {
//         while let Some(value) = produce().await {
//             if tx.send(value).await.is_err() {
//                 break;                         // the receiver is gone: nobody listens
//             }
//         }
//     });                                        // tx dropped here: the stream ends
//     tokio_stream::wrappers::ReceiverStream::new(rx)
//
// A Tokio `Receiver` has `recv()`, but it is not a `Stream`; `ReceiverStream` (from the
// `tokio-stream` crate) wraps it into one. Three things make this pattern right:
//
// - The producer runs on its own. It works while the consumer is busy with earlier values,
//   so neither waits for the other more than it must.
// - The channel is bounded: the producer gets at most BUFFER values ahead, then `send`
//   waits until the consumer takes one (10_channels, channels2). An unbounded channel lets a
//   fast producer pile up everything it makes in memory while a slow consumer falls behind.
// - The producer stops when nobody listens. Dropping the stream drops the receiver, and
//   from then on `send` returns `Err`. A producer that ignores that error goes on producing
//   for no one, forever if its source never ends, as a task nobody can see.
//
// `readings` below turns a sensor into a stream of readings, and breaks the last two rules.

use std::future::Future;
use std::time::Duration;

use futures::{Stream, StreamExt};
use tokio::sync::mpsc;
use tokio_stream::wrappers::UnboundedReceiverStream;

/// How many readings the stream may hold that the consumer has not taken yet.
const BUFFER: usize = 4;

/// A device to read from, slowly.
trait Sensor: Send + 'static {
    /// Takes the next reading; `None` once the sensor is unplugged.
    fn read(&mut self) -> impl Future<Output = Option<u32>> + Send;
}

/// The readings of `sensor`, in order, taken in a task of their own: up to BUFFER readings
/// ahead of the consumer, and no more. The stream ends when the sensor is unplugged; the
/// reading stops (and the task ends) when the stream is dropped.
fn readings(mut sensor: impl Sensor) -> impl Stream<Item = u32> {
    // TODO: a channel that holds at most BUFFER readings, and a task that stops when nobody
    // listens any more.
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Some(reading) = sensor.read().await {
            let _ = tx.send(reading);
        }
    });
    UnboundedReceiverStream::new(rx)
}

/// A pretend thermometer: a reading every 100ms, forever, and it counts its reads.
struct Thermometer {
    reads: u32,
}

impl Sensor for Thermometer {
    async fn read(&mut self) -> Option<u32> {
        tokio::time::sleep(Duration::from_millis(100)).await;
        self.reads += 1;
        println!("  (sensor: read #{})", self.reads);
        Some(200 + self.reads % 7)
    }
}

#[tokio::main]
async fn main() {
    // Boxed rather than pinned on the stack, so that it can be dropped below.
    let mut stream = Box::pin(readings(Thermometer { reads: 0 }));
    // A slow consumer: it takes a second over each reading.
    for _ in 0..3 {
        let reading = stream.next().await.unwrap();
        println!("consumer: got {reading}, thinking about it for a second");
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    println!("consumer: done, dropping the stream");
    drop(stream);
    tokio::time::sleep(Duration::from_secs(1)).await;
    println!("a second later: does the sensor still get read above?");
}
