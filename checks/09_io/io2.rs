// Checks for io2: a reply that never leaves.
//
// A pretend client on a small in-memory connection reads until the end of the stream, with
// a patience of its own; the server's end stays open afterwards, so only a shutdown of the
// sending half (not dropping the connection) can end the stream.
//
// Mistakes a learner makes on this idea, and how each is caught:
// - Returning with the bytes still in the BufWriter (as shipped), or taking the writer back
//   with `into_inner` before a flush: the client gets part of the report.
// - Flushing only, or writing without a BufWriter and never shutting down: the client gets
//   every byte but never the end of the stream.
// - An in-band end marker (an "END" line) instead of ending the stream: the report must be
//   exactly the bytes sent, and the message says why a marker is not the end.
// - Closing the whole connection to end the report: the client must still be able to
//   answer on it.
// - Hard-coding: entries are the checks' own, up to 900 of them through a 512-byte buffer.

use super::send_report;

use std::time::Duration;

use asynclings_support::watchdog;
use tokio::io::{AsyncReadExt, AsyncWriteExt, DuplexStream};
use tokio::time::{Instant, timeout_at};

const LIMIT: Duration = Duration::from_secs(30);

/// How long the pretend client waits for the end of the report, in virtual time.
const PATIENCE: Duration = Duration::from_secs(5);

/// What the client saw: the bytes, and whether the stream ended within its patience.
struct Seen {
    bytes: Vec<u8>,
    ended: bool,
}

/// Reads from `conn` until the end of the stream or until `PATIENCE` has passed.
async fn client(conn: &mut DuplexStream) -> Seen {
    let deadline = Instant::now() + PATIENCE;
    let mut bytes = Vec::new();
    let mut chunk = [0u8; 300];
    loop {
        match timeout_at(deadline, conn.read(&mut chunk)).await {
            Ok(Ok(0)) => return Seen { bytes, ended: true },
            Ok(Ok(n)) => bytes.extend_from_slice(&chunk[..n]),
            Ok(Err(err)) => panic!("reading the report failed: {err}"),
            Err(_) => {
                return Seen {
                    bytes,
                    ended: false,
                };
            }
        }
    }
}

/// A text as shown in a message: long texts are cut short.
fn short(text: &str) -> String {
    match text.char_indices().nth(40) {
        Some((end, _)) => format!("{}...", &text[..end]),
        None => text.to_string(),
    }
}

fn report_text(entries: &[(&str, u32)]) -> String {
    let mut text = format!("{} entries\n", entries.len());
    for (name, score) in entries {
        text += &format!("{name}: {score}\n");
    }
    text
}

/// Sends a report over an in-memory connection with a small buffer, and checks that the client
/// gets all of it and then the end of the stream, while the server keeps its end open.
async fn assert_report_arrives(entries: &[(&str, u32)]) {
    let expected = report_text(entries);
    let (mut client_end, mut server_end) = tokio::io::duplex(512);
    let (sent, seen) = watchdog(LIMIT, "send_report", async {
        tokio::join!(
            send_report(&mut server_end, entries),
            client(&mut client_end)
        )
    })
    .await;
    let sent: std::io::Result<()> = sent;
    if let Err(err) = sent {
        panic!("send_report returned an error: {err}");
    }
    let (n, total) = (seen.bytes.len(), expected.len());
    let got = String::from_utf8_lossy(&seen.bytes);
    if n < total && got.as_bytes() == &expected.as_bytes()[..n] {
        let then = if seen.ended {
            "then the end of the stream"
        } else {
            "then nothing more"
        };
        panic!(
            "the client received {n} of the {total} bytes of a report of {} entries, {then}. The \
             rest was still in the BufWriter's buffer when send_report was done with it, and \
             dropping a BufWriter (or taking its writer back with `into_inner`) throws the \
             buffer away: flush it before letting go (`shutdown()` flushes too)",
            entries.len()
        );
    }
    if got.len() > expected.len() && got.starts_with(&expected) {
        let extra = &got[expected.len()..];
        panic!(
            "after the whole report the client received {:?} more: a marker written into the \
             data is just more data to the client, which reads until the end of the stream. The \
             end of a stream is not a byte you write: shut down the sending half \
             (`shutdown()` on the BufWriter flushes, then shuts down)",
            short(extra)
        );
    }
    assert_eq!(
        got, expected,
        "the client received a report different from the one sent: every entry once, in order"
    );
    assert!(
        seen.ended,
        "the client received the whole report ({total} bytes), but after {PATIENCE:?} of virtual \
         time it was still waiting for the end of the stream: it cannot tell a finished report \
         from a slow one. Flushing sends the bytes; shutting down the sending half (`shutdown()`) \
         is what tells the client that nothing more is coming"
    );
    // The connection itself is still open the other way: the client can answer.
    client_end.write_all(b"thanks\n").await.unwrap();
    let mut answer = [0u8; 7];
    server_end.read_exact(&mut answer).await.unwrap();
    assert_eq!(&answer, b"thanks\n");
}

#[tokio::test(start_paused = true)]
async fn a_short_report_arrives_whole_and_ends() {
    assert_report_arrives(&[("mira", 88), ("oskar", 7)]).await;
}

#[tokio::test(start_paused = true)]
async fn a_long_report_arrives_whole_and_ends() {
    let names: Vec<String> = (0..900).map(|i| format!("player{i:03}")).collect();
    let entries: Vec<(&str, u32)> = names
        .iter()
        .enumerate()
        .map(|(i, name)| (name.as_str(), (i * 37 % 1000) as u32))
        .collect();
    assert_report_arrives(&entries).await;
}

#[tokio::test(start_paused = true)]
async fn an_empty_report_is_one_line() {
    assert_report_arrives(&[]).await;
}
