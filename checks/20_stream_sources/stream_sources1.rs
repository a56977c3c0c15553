// Checks for stream_sources1: a stream fed by a task.
//
// The checks bring their own sensor: it counts its reads, takes a time of their choosing
// over each, and says when it is dropped. A consumer takes readings slowly, and the checks
// sample, mid-way, how far the reading has got ahead of it.
//
// Mistakes a learner makes on this idea, and how each is caught:
// - An unbounded channel (as shipped): while the consumer is busy, the sensor is read far
//   more than BUFFER readings ahead.
// - Ignoring the error of `send` (as shipped): after the stream is dropped, the sensor goes
//   on being read for nobody, the task stays alive and the sensor is never dropped.
// - No task at all (a lazy `stream::unfold` over the sensor, or `then` over `repeat`): the
//   sensor is read only when the consumer asks, never while it is busy.
// - A buffer of the wrong size (a channel of 1, or of 100): the read-ahead is sampled.
// - Hard-coding: the readings, their number and the sensor's pace are the checks' own.

use super::{BUFFER, Sensor, readings};

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::time::Duration;

use asynclings_support::{DropFlag, watchdog};
use futures::StreamExt;
use tokio::time::{Instant, sleep};

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

const LIMIT: Duration = Duration::from_secs(60);

/// The checks' sensor: reading number `n` (from 0) is `1000 + 13 * n`.
struct Probe {
    latency: Duration,
    /// How many readings it gives before it is unplugged; `None`: forever.
    limit: Option<u32>,
    reads: Arc<AtomicU32>,
    _dropped: DropFlag,
}

/// What the checks see of a probe once it is handed over.
struct ProbeView {
    reads: Arc<AtomicU32>,
    dropped: Arc<AtomicBool>,
}

impl ProbeView {
    fn reads(&self) -> u32 {
        self.reads.load(Ordering::SeqCst)
    }
}

fn probe(latency: Duration, limit: Option<u32>) -> (Probe, ProbeView) {
    let reads = Arc::new(AtomicU32::new(0));
    let (flag, dropped) = DropFlag::new();
    let probe = Probe {
        latency,
        limit,
        reads: reads.clone(),
        _dropped: flag,
    };
    (probe, ProbeView { reads, dropped })
}

impl Sensor for Probe {
    async fn read(&mut self) -> Option<u32> {
        sleep(self.latency).await;
        let n = self.reads.load(Ordering::SeqCst);
        if self.limit.is_some_and(|limit| n >= limit) {
            return None;
        }
        self.reads.store(n + 1, Ordering::SeqCst);
        Some(1000 + 13 * n)
    }
}

fn reading(n: u32) -> u32 {
    1000 + 13 * n
}

#[tokio::test(start_paused = true)]
async fn every_reading_arrives_in_order_and_the_stream_ends() {
    let (sensor, view) = probe(ms(15), Some(9));
    let got: Vec<u32> = watchdog(
        LIMIT,
        "collecting the readings of a sensor that gives 9",
        readings(sensor).collect::<Vec<u32>>(),
    )
    .await;
    let expected: Vec<u32> = (0..9).map(reading).collect();
    assert_eq!(
        got, expected,
        "the stream should give the sensor's 9 readings, in order, and then end"
    );
    assert_eq!(view.reads(), 9);
}

#[tokio::test(start_paused = true)]
async fn the_sensor_is_read_ahead_but_no_further_than_the_buffer() {
    let buffer = BUFFER as u32;
    let (sensor, view) = probe(ms(10), None);
    let mut stream = Box::pin(readings(sensor));
    let mut taken = Vec::new();
    for round in 0..4 {
        let next: Option<u32> = watchdog(LIMIT, "the next reading", stream.next()).await;
        taken.push(next.expect("the stream ended, but the sensor never stops"));
        let took = taken.len() as u32;
        // The consumer thinks it over for a while; meanwhile the reading goes on.
        sleep(ms(300 + 70 * round)).await;
        let reads = view.reads();
        assert!(
            reads > took,
            "while the consumer spent 300ms over its reading, the sensor (10ms a read) was not \
             read at all: {reads} reads for the {took} reading(s) taken. The readings must be \
             taken in a task of their own, which goes on while the consumer is busy; a stream \
             that reads only when asked (a `stream::unfold` over the sensor) makes the \
             consumer wait for every read"
        );
        assert!(
            reads <= took + buffer + 1,
            "while the consumer spent 300ms over reading number {took}, the sensor was read \
             {reads} times: {} readings ahead of the consumer, although the stream may hold \
             only BUFFER = {BUFFER} (and the task one more, in hand, waiting to send it). An \
             unbounded channel takes everything the producer makes, however far behind the \
             consumer is; a bounded `mpsc::channel(BUFFER)` makes `send` wait",
            reads - took
        );
        assert!(
            reads >= took + buffer,
            "while the consumer spent 300ms over reading number {took}, the sensor (10ms a read) \
             was read only {} readings ahead of it; the stream should hold up to BUFFER = \
             {BUFFER} readings ready. Is the channel's capacity BUFFER?",
            reads - took
        );
    }
    let expected: Vec<u32> = (0..4).map(reading).collect();
    assert_eq!(
        taken, expected,
        "the readings should arrive in the order taken"
    );
}

#[tokio::test(start_paused = true)]
async fn dropping_the_stream_stops_the_reading() {
    let buffer = BUFFER as u32;
    let (sensor, view) = probe(ms(25), None);
    let mut stream = Box::pin(readings(sensor));
    for n in 0..2 {
        let next: Option<u32> = watchdog(LIMIT, "the next reading", stream.next()).await;
        assert_eq!(next, Some(reading(n)));
        sleep(ms(180)).await;
    }
    drop(stream);
    let reads_at_drop = view.reads();
    let dropped_at = Instant::now();
    sleep(Duration::from_secs(2)).await;
    let reads = view.reads();
    assert!(
        reads <= 2 + buffer + 1,
        "the consumer took 2 readings and dropped the stream; in the {:?} after that, the \
         sensor was read {} more times (from {reads_at_drop} to {reads} in all): the task goes \
         on reading for nobody. Once the stream is dropped, `send` returns `Err`: stop there \
         (`if tx.send(reading).await.is_err() {{ break; }}`)",
        dropped_at.elapsed(),
        reads - reads_at_drop
    );
    assert!(
        view.dropped.load(Ordering::SeqCst),
        "2s after the stream was dropped, the sensor still had not been dropped: the task that \
         reads it is still alive. It should end when nobody listens any more"
    );
    let alive = tokio::runtime::Handle::current()
        .metrics()
        .num_alive_tasks();
    assert_eq!(
        alive, 0,
        "2s after the stream was dropped, {alive} task(s) were still alive"
    );
}
