// Valid alternative: the report built in a String, written in one write_all straight to the
// connection, which is then shut down.
// io2: a reply that never leaves
//
// Every write to a socket is a system call, so a program that writes many small pieces
// wraps the connection in a `BufWriter`. It gathers the small writes in memory and passes
// them on in big pieces: when its buffer (8 KiB by default) is full, and when you ask for it.
// Until then, the bytes have not left your program.
//
//     write_all("3 entries\n")  ->  [3 entries\n                ]     nothing sent yet
//     write_all("ada: 31\n")    ->  [3 entries\nada: 31\n       ]     nothing sent yet
//     flush()                   ->  [                           ] --> the peer can read it
//     shutdown()                ->  flush, then close the sending half --> the peer reads
//                                                                          "end of stream"
//
// Two things follow:
//
// - Dropping a tokio `BufWriter` does not send what it holds: flushing means waiting for the
//   socket, and `Drop` cannot wait (there is no async drop). The bytes are thrown away.
// - A peer that reads "until the end" waits for the end of the stream. On a connection that
//   stays open it comes when you shut down your sending half: `shutdown()` (from
//   `AsyncWriteExt`), which for a `BufWriter` flushes first. Until then the peer cannot tell
//   a finished reply from a slow one.
//
// `send_report` below writes a report into a `BufWriter` and returns. The client gets
// nothing, and keeps waiting.

use std::io;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// Sends the report to the client at the other end of `conn`: a line with the number of
/// entries, then a line `name: score` per entry. Then it tells the client that the report is
/// complete by shutting down the sending half of `conn`. (The caller keeps `conn`: the
/// client may still have something to say.)
async fn send_report(
    conn: &mut (impl AsyncWrite + Unpin),
    entries: &[(&str, u32)],
) -> io::Result<()> {
    let mut report = format!("{} entries\n", entries.len());
    for (name, score) in entries {
        report += &format!("{name}: {score}\n");
    }
    conn.write_all(report.as_bytes()).await?;
    let out = conn;
    // `shutdown` first flushes what the `BufWriter` still holds into `conn`, then shuts down
    // the sending half of `conn`: the client reads the whole report, then the end of the
    // stream, and knows the report is complete. Dropping `out` instead would lose the buffer.
    out.shutdown().await
}

/// The client: reads until the end of the stream, but gives up after a second.
async fn client(mut conn: impl AsyncRead + Unpin) {
    let mut report = Vec::new();
    match tokio::time::timeout(Duration::from_secs(1), conn.read_to_end(&mut report)).await {
        Ok(_) => println!("client got:\n{}", String::from_utf8_lossy(&report)),
        Err(_) => println!(
            "client gave up after 1s without seeing the end of the report ({} bytes so far)",
            report.len()
        ),
    }
}

#[tokio::main]
async fn main() -> io::Result<()> {
    let (client_end, mut server_end) = tokio::io::duplex(1024);
    let reader = tokio::spawn(client(client_end));
    send_report(&mut server_end, &[("ada", 31), ("grace", 27), ("linus", 9)]).await?;
    reader.await.unwrap();
    // `server_end` is still open here: the client could still send something on it.
    drop(server_end);
    Ok(())
}
