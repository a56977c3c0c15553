// Valid alternative: the log is closed explicitly before each return, the early one and the
// final one, and close flushes and then shuts down the connection inside the BufWriter.
// cleanup1: there is no async Drop
//
// Some clean-up has to wait for I/O. A buffered writer must send what it still holds and
// then tell the peer that the stream is over (09_io, io2); a transaction must be committed;
// an upload must be finished with one last request.
//
// Rust runs clean-up in `Drop`, and `Drop::drop` is a plain `fn`: it cannot `.await`. There
// is no async `Drop` in the language (it is being worked on, and is not stable). So a type
// whose clean-up must wait offers it as an async method, usually called `close()` or
// `shutdown()`, and whoever owns a value must call it and await it, before letting go:
//
//     let mut log = AuditLog::new(conn);
//     log.record("7 paid 1200").await?;
//     log.close().await?;           // sends what is buffered, then ends the stream
//
// "Before letting go" means on every path out of the function. A `?` or an early `return`
// drops the log just as surely as the end of the function does, and then nothing is sent.
// One way to make sure: do the work in an inner `async` block, keep its result, close, then
// return the result:
//
//     let outcome = async { /* the work, with its `?`s and returns */ }.await;
//     log.close().await?;
//     outcome
//
// What `Drop` can do is what needs no waiting: closing a connection (dropping a socket or a
// `DuplexStream` closes it, and the peer sees the end of the stream), freeing memory, and
// noticing that `close` was forgotten, as `AuditLog`'s does below. What needs waiting, such
// as sending the bytes still in a buffer, it cannot do: blocking until the bytes are sent (a
// `block_on` inside `drop`) holds the thread that the peer, and everything else, needs to
// run on, and handing the work to a spawned task has problems of its own (cleanup2).
//
// `audit` below records payments in an audit log that goes to a collector over a
// connection. The collector receives nothing, and waits forever for the end of the log.

use std::io;

use tokio::io::{AsyncWriteExt, BufWriter, DuplexStream};

/// An audit log sent to a collector over `conn`, one line per entry. Writes are buffered:
/// a line is sent when the buffer is full, or when the log is closed.
struct AuditLog {
    out: BufWriter<DuplexStream>,
    closed: bool,
}

impl AuditLog {
    fn new(conn: DuplexStream) -> Self {
        Self {
            out: BufWriter::new(conn),
            closed: false,
        }
    }

    async fn record(&mut self, entry: &str) -> io::Result<()> {
        self.out.write_all(entry.as_bytes()).await?;
        self.out.write_all(b"\n").await
    }

    /// Sends everything still buffered, then ends the stream, so that the collector knows
    /// the log is complete.
    async fn close(mut self) -> io::Result<()> {
        // `shutdown` on a `BufWriter` flushes its buffer into the connection, then shuts
        // down the connection's sending half: the collector reads every line, then the end.
        self.out.flush().await?;
        self.out.get_mut().shutdown().await?;
        self.closed = true;
        Ok(())
    }
}

impl Drop for AuditLog {
    fn drop(&mut self) {
        // `drop` cannot await, so it cannot send anything. It can only tell you.
        if !self.closed {
            eprintln!(
                "an AuditLog was dropped without close(): {} buffered bytes were never sent, \
                 and the collector never sees the end of the log",
                self.out.buffer().len()
            );
        }
    }
}

/// A payment to record: who is paid, and how much (in cents).
struct Payment {
    id: u32,
    cents: i64,
}

/// Why `audit` stopped: the connection failed, or a payment of zero or fewer cents.
#[derive(Debug)]
enum AuditError {
    Io(io::Error),
    Refused { id: u32 },
}

impl From<io::Error> for AuditError {
    fn from(err: io::Error) -> Self {
        Self::Io(err)
    }
}

/// Records each payment in the audit log sent over `conn`, as a line `<id> paid <cents>`,
/// and returns how many were recorded. A payment of zero or fewer cents is refused: it is
/// recorded as `<id> refused`, and `audit` stops there with `Err(AuditError::Refused { id })`.
/// Either way, the collector at the other end of `conn` must have received every line
/// recorded, and the end of the stream, by the time `audit` returns.
async fn audit(conn: DuplexStream, payments: &[Payment]) -> Result<usize, AuditError> {
    let mut log = AuditLog::new(conn);
    // The work runs in an inner async block: its `?`s and its `return` leave the block, not
    // `audit`, so that whatever happened, the log is closed (and awaited) before `audit`
    // returns. Drop could not do this for us: it cannot wait for the collector.
    for payment in payments {
        if payment.cents <= 0 {
            log.record(&format!("{} refused", payment.id)).await?;
            log.close().await?;
            return Err(AuditError::Refused { id: payment.id });
        }
        log.record(&format!("{} paid {}", payment.id, payment.cents))
            .await?;
    }
    log.close().await?;
    Ok(payments.len())
}

/// The collector: reads the log to its end, but gives up after a second.
async fn collector(mut conn: DuplexStream) -> String {
    use tokio::io::AsyncReadExt;
    let mut log = String::new();
    let read = conn.read_to_string(&mut log);
    match tokio::time::timeout(std::time::Duration::from_secs(1), read).await {
        Ok(_) => log,
        Err(_) => format!("(gave up after 1s without the end of the log; got {log:?})"),
    }
}

#[tokio::main]
async fn main() {
    for payments in [
        vec![Payment { id: 1, cents: 1200 }, Payment { id: 2, cents: 99 }],
        vec![Payment { id: 3, cents: 500 }, Payment { id: 4, cents: 0 }],
    ] {
        let (collector_end, conn) = tokio::io::duplex(1024);
        let collecting = tokio::spawn(collector(collector_end));
        let outcome = audit(conn, &payments).await;
        println!("audit returned {outcome:?}");
        println!("the collector got: {:?}", collecting.await.unwrap());
    }
}
