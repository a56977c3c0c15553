// expect: bytes were dropped with a reader
// Wrong fix: next_line is used, but on a Lines made anew on every turn: whatever its buffer
// read beyond the line it returned is dropped with it.
// cancel2: reading that survives a lost race
//
// In a `select!` loop, every turn that another branch wins drops the futures of the
// branches that lost (05_select). Usually they had done nothing yet and the next turn simply
// starts them again. But some operations do part of their work before they finish, and keep
// that part inside the future: drop the future and that part is gone.
//
// `read_line` is one of them. It takes bytes out of the reader's buffer as they arrive and
// keeps them in its own state until it sees the newline:
//
//     bytes arrive   "GET /ind"    ...30ms...    "ex.html\n"
//     read_line      takes "GET /ind" ----X       (a ping tick wins: the future is dropped)
//     next turn      a NEW read_line takes "ex.html\n"  ->  the line "ex.html"
//
// Tokio's docs say, for each method, whether it is "cancel safe": whether dropping its future
// before it finishes can lose anything. `read_line` is not. `Lines::next_line` is: a `Lines`
// (from `reader.lines()`) keeps the partial line inside itself, not inside the future, so a
// dropped `next_line()` loses nothing and the next call picks up where it stopped. The rule
// for a select! loop: state that must outlive one turn lives outside the branch futures.
//
// `run_session` below reads a client's requests, one per line, while it sends a keep-alive
// ping every `ping_every`. When a ping is due while a line is only half there, the line is
// torn.

use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWriteExt, BufReader};
use tokio::time::{interval, sleep};

#[derive(Debug, Default)]
struct Session {
    // The lines read, without their newlines.
    lines: Vec<String>,
    // The keep-alive pings sent.
    pings: u32,
}

// Reads lines from `conn` until it ends, and pings every `ping_every` (the first time at once)
// meanwhile.
async fn run_session(mut conn: impl AsyncRead + Unpin, ping_every: Duration) -> Session {
    // `Lines` keeps a half-read line in its own buffer, outside the `next_line()` future, so
    // a ping that wins the race loses nothing: the next call goes on from where it stopped.
    let mut pinger = interval(ping_every);
    let mut session = Session::default();
    loop {
        let mut lines = BufReader::new(&mut conn).lines();
        tokio::select! {
            line = lines.next_line() => match line {
                Ok(Some(line)) => session.lines.push(line),
                Ok(None) | Err(_) => break,
            },
            _ = pinger.tick() => session.pings += 1,
        }
    }
    session
}

#[tokio::main]
async fn main() {
    let (mut client, server) = tokio::io::duplex(64);
    tokio::spawn(async move {
        for chunk in ["GET /ind", "ex.html\nGET /a", "bout.html\n"] {
            client.write_all(chunk.as_bytes()).await.unwrap();
            sleep(Duration::from_millis(30)).await;
        }
    });
    let session = run_session(server, Duration::from_millis(50)).await;
    println!("{session:?}");
}
