// expect: A `BufReader` reads ahead
// Wrong fix: a BufReader is made for each line; whatever it read beyond that line is dropped
// with it.
// io1: reading lines from a stream
//
// A socket, a pipe or a file is a stream of bytes. One `read` hands you whatever bytes have
// arrived so far, at most a buffer's worth, and knows nothing about lines. A client that
// sends three lines may well be read like this:
//
//     sent     "GET /a\nGET /b\nQUIT"          (no newline after the last line)
//     read 1   "GET /a\nGE"
//     read 2   "T /b\nQU"
//     read 3   "IT"
//     read 4   ""                                (0 bytes: the end of the stream)
//
// Splitting each chunk on '\n' cuts "GET /b" and "QUIT" in two. Getting it right by hand
// means keeping the unfinished end of one chunk until the next arrives, not forgetting it at
// the end of the stream, decoding only whole lines (a character may be split across reads
// too), and removing "\r\n" as well as "\n".
//
// `tokio::io::BufReader` does the keeping: it wraps any `AsyncRead`, fills an internal buffer,
// and implements `AsyncBufRead`. On top of that, `AsyncBufReadExt::lines()` turns it into a
// `Lines`, whose `next_line().await` gives `Ok(Some(line))` for each complete line (without
// its line ending) and `Ok(None)` at the end of the stream.
//
// `for_each_line` below splits each chunk as it comes. Make it hand over whole lines.

use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWriteExt, BufReader};

/// Calls `handle` with each line of `input`, as soon as that line is complete, without its
/// line ending ("\n" or "\r\n"). The last line counts too when no newline follows it.
async fn for_each_line(
    mut input: impl AsyncRead + Unpin,
    mut handle: impl FnMut(String),
) -> std::io::Result<()> {
    // `BufReader` keeps the bytes of an unfinished line between reads, and `Lines` hands out
    // a line only once its line ending (or the end of the stream) has arrived, decoded as a
    // whole and without "\n" or "\r\n".
    loop {
        let mut lines = BufReader::new(&mut input).lines();
        match lines.next_line().await? {
            Some(line) => handle(line),
            None => return Ok(()),
        }
    }
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    // An in-memory connection: what the client writes into one end, the server reads from the
    // other, as from a socket.
    let (mut client, server) = tokio::io::duplex(64);
    tokio::spawn(async move {
        for piece in ["GET /a\nGE", "T /b\nQU", "IT"] {
            client.write_all(piece.as_bytes()).await.unwrap();
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        // Dropping `client` ends the stream.
    });
    for_each_line(server, |line| println!("line: {line:?}")).await
}
