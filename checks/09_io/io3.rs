// Checks for io3: talking and listening at the same time.
//
// The checks' server answers each line as it reads it, and reads no further while it cannot
// send its answer; the connection's buffers are small. Nothing on either side sleeps, so a
// correct `shout` takes no virtual time at all.
//
// Mistakes a learner makes on this idea, and how each is caught:
// - Writing everything, then reading (as shipped), or reading in chunks only after the
//   writing: both sides wait for each other; the message says why and what to do.
// - A bigger buffer: a request far bigger than the bigger buffer hangs again.
// - Not shutting down the writing half: the server never sees the end of the request.
// - Small writes with a short `timeout` around reads to poll for answers (no split):
//   it completes, but by waking up on timers; the virtual time it takes must be zero.
// - Reading with `join!` on one unsplit stream: does not compile.
// - Losing or reordering answer bytes: the answer is compared with what the server sent.
// - Hard-coding: texts and buffer sizes are the checks' own.

use super::shout;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, DuplexStream};

/// How long `shout` may take, in virtual time. Nothing in it sleeps: if it is not done by
/// then, both sides are waiting for each other.
const LIMIT: Duration = Duration::from_secs(30);

/// What the check's server did.
#[derive(Default)]
struct Stats {
    read: AtomicUsize,
    sent: AtomicUsize,
    saw_end: AtomicBool,
}

/// A server that answers each line with `> ` and the line reversed, one line at a time: it
/// reads no further while it cannot send its answer.
async fn reversing_server(conn: DuplexStream, stats: Arc<Stats>) {
    let (reader, mut writer) = tokio::io::split(conn);
    let mut lines = BufReader::new(reader).lines();
    while let Some(line) = lines.next_line().await.unwrap() {
        stats.read.fetch_add(line.len() + 1, Ordering::SeqCst);
        let answer = format!("> {}\n", line.chars().rev().collect::<String>());
        writer.write_all(answer.as_bytes()).await.unwrap();
        stats.sent.fetch_add(answer.len(), Ordering::SeqCst);
    }
    stats.saw_end.store(true, Ordering::SeqCst);
    writer.shutdown().await.unwrap();
}

fn expected_answer(text: &str) -> String {
    text.lines()
        .map(|line| format!("> {}\n", line.chars().rev().collect::<String>()))
        .collect()
}

/// Runs `shout(text)` against the reversing server over a connection with `buffer` bytes of
/// room in each direction, and checks the answer.
async fn assert_round_trip(text: &str, buffer: usize) {
    let (client_end, server_end) = tokio::io::duplex(buffer);
    let stats = Arc::new(Stats::default());
    let server = tokio::spawn(reversing_server(server_end, Arc::clone(&stats)));
    let n = text.len();
    let start = tokio::time::Instant::now();
    let outcome: Result<std::io::Result<String>, _> =
        tokio::time::timeout(LIMIT, shout(client_end, text)).await;
    let answer = match outcome {
        Ok(Ok(answer)) => answer,
        Ok(Err(err)) => panic!("shout returned an error: {err}"),
        Err(_) => {
            let read = stats.read.load(Ordering::SeqCst);
            let sent = stats.sent.load(Ordering::SeqCst);
            if read == n && !stats.saw_end.load(Ordering::SeqCst) {
                panic!(
                    "shout of {n} bytes did not finish: the server read all {n} bytes and \
                     answered them, but it never saw the end of the request, so it kept waiting \
                     for more and never ended its answer. After writing, shut down the writing \
                     half (`writer.shutdown().await`)"
                );
            }
            panic!(
                "shout of {n} bytes over a connection with {buffer} bytes of buffer each way did \
                 not finish: the server had read {read} of the {n} bytes and sent {sent} bytes \
                 of answer, and then both sides waited for each other. The client was still \
                 writing and read nothing; the server could not send its answer until someone \
                 read it, and read no more meanwhile. A bigger buffer only moves the limit (a \
                 longer request hangs again): read while you write, with the stream split in a \
                 reading and a writing half driven at the same time"
            );
        }
    };
    let took = start.elapsed();
    assert_eq!(
        took,
        Duration::ZERO,
        "shout of {n} bytes took {took:?} of virtual time, though neither it nor the server ever \
         needs to wait for a timer: is it checking for the answer now and then (a short \
         `timeout` around a read between writes) instead of reading and writing at the same \
         time? Split the stream and drive both halves at once"
    );
    let expected = expected_answer(text);
    assert_eq!(
        answer.len(),
        expected.len(),
        "for a request of {n} bytes, shout returned an answer of {} bytes; expected {}: \
         everything the server sends, up to the end of the stream",
        answer.len(),
        expected.len()
    );
    assert!(
        answer == expected,
        "shout returned an answer of the right length, but different from what the server sent"
    );
    server.await.expect("the check's server failed");
}

fn letter(lines: usize, seed: usize) -> String {
    (0..lines)
        .map(|i| {
            format!(
                "{} bottles of {} on the wall\n",
                i * 7 + seed,
                ["tea", "ink", "oil"][i % 3]
            )
        })
        .collect()
}

#[tokio::test(start_paused = true)]
async fn a_long_text_over_a_small_buffer() {
    assert_round_trip(&letter(250, 3), 64).await;
}

#[tokio::test(start_paused = true)]
async fn a_text_far_bigger_than_a_bigger_buffer() {
    assert_round_trip(&letter(6000, 11), 16 * 1024).await;
}

#[tokio::test(start_paused = true)]
async fn a_short_text() {
    assert_round_trip("hello\nworld\n", 64).await;
}

#[tokio::test(start_paused = true)]
async fn an_empty_text() {
    assert_round_trip("", 32).await;
}
