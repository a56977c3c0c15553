// capstone7: tracing, a span per connection
//
// Step 7 of the capstone, the last. The server now has everything: framing (step 1), a task
// per connection over a shared map (step 2), publish/subscribe (step 3), limits (step 4), a
// writer task behind a bounded outbox (step 5) and a graceful shutdown (step 6). It also
// logs, with `tracing`: every connection says "connected", each command, each line its
// writer writes, each message its forwarders queue, and "closed". Run it (`main` prints the
// logs) and try to tell which line belongs to which client: with a few clients talking at
// once, you cannot. Nothing in `wrote line="OK"` says whose OK it was.
//
// The fix is not a `peer` field on every event (the writer and the forwarders do not even
// know the peer), but a span: `tracing::info_span!("connection", peer = peer.id)`, one per
// connection, that every event logged while serving that connection sits inside. A log then
// reads `connection{peer=7}: wrote line="OK"`, and a subscriber can filter by it.
//
// Two things make that harder than it sounds:
//
// - A span must be attached to the future, not entered on the thread: `.instrument(span)`
//   (`tracing::Instrument`) enters the span each time the future is polled and leaves it
//   each time the future waits. A guard from `span.enter()` held across an `.await` stays
//   entered while the task is parked, so whatever the thread runs meanwhile (the other
//   connections) is logged inside it (tracing1). It even compiles in a spawned task: the
//   guard is `Send`. The compiler will not catch it; the logs will be wrong.
// - A spawned task does not inherit the span of the task that spawned it. `tokio::spawn`
//   (and `JoinSet::spawn`) start a new task, polled by the runtime on its own; the span that
//   was current at the call is not carried along unless you attach it: `.in_current_span()`
//   (the span current where the future is made) or `.instrument(span.clone())`. The
//   connection spawns its writer and one forwarder per subscription: each must carry the
//   connection's span, or its lines are logged outside any connection.
//
//     serve ── spawn(handle_connection(..).instrument(info_span!("connection", peer)))
//                  │
//                  ├── writer_task.spawn(write_lines(..).in_current_span())
//                  └── subscriptions.spawn(forward(..).in_current_span())
//
// One span per connection, made in the loop for that peer: a single span cloned into every
// connection (a clone of a `Span` is the same span) puts everyone's lines in one place.
//
// Below, nothing has a span: the connections' events are logged outside any span.

use std::collections::{BTreeSet, HashMap};
use std::future::Future;
use std::io;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{
    AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWriteExt, BufReader, DuplexStream, WriteHalf,
};
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::{Semaphore, broadcast, mpsc};
use tokio::task::JoinSet;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

/// A command from a client.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Command {
    Get { key: String },
    Set { key: String, value: String },
    Publish { channel: String, message: String },
    Subscribe { channel: String },
}

/// The longest command line (the part up to the first newline) the server accepts.
const MAX_LINE: usize = 256;

/// The longest value or message the server accepts, in bytes.
const MAX_PAYLOAD: usize = 64 * 1024;

fn invalid(what: impl Into<String>) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, what.into())
}

/// Looks for one complete command at the start of `buf`. Returns the command and how many
/// bytes of `buf` it took, `Ok(None)` if `buf` holds only the beginning of a command (read
/// more and try again), or an error if `buf` can never become a valid command.
fn parse_command(buf: &[u8]) -> io::Result<Option<(Command, usize)>> {
    let Some(end) = buf.iter().position(|&b| b == b'\n') else {
        if buf.len() > MAX_LINE {
            return Err(invalid("command line too long"));
        }
        return Ok(None);
    };
    let line = std::str::from_utf8(&buf[..end]).map_err(|_| invalid("command is not UTF-8"))?;
    let words: Vec<&str> = line.split(' ').collect();
    let body = end + 1;
    match words[..] {
        ["GET", key] if !key.is_empty() => {
            let key = key.to_string();
            Ok(Some((Command::Get { key }, body)))
        }
        ["SUBSCRIBE", channel] if !channel.is_empty() => {
            let channel = channel.to_string();
            Ok(Some((Command::Subscribe { channel }, body)))
        }
        [verb @ ("SET" | "PUBLISH"), name, len] if !name.is_empty() => {
            let len: usize = len.parse().map_err(|_| invalid("length is not a number"))?;
            if len > MAX_PAYLOAD {
                return Err(invalid("value too long"));
            }
            let Some(payload) = buf.get(body..body + len) else {
                return Ok(None);
            };
            let payload =
                String::from_utf8(payload.to_vec()).map_err(|_| invalid("value is not UTF-8"))?;
            let name = name.to_string();
            let command = match verb {
                "SET" => Command::Set {
                    key: name,
                    value: payload,
                },
                _ => Command::Publish {
                    channel: name,
                    message: payload,
                },
            };
            Ok(Some((command, body + len)))
        }
        _ => Err(invalid(format!("unknown command {line:?}"))),
    }
}

/// The reading side of a connection: the stream and what has been read from it but not yet
/// parsed.
struct Framed<S> {
    stream: S,
    buffer: Vec<u8>,
}

impl<S: AsyncRead + Unpin> Framed<S> {
    fn new(stream: S) -> Self {
        Self {
            stream,
            buffer: Vec::new(),
        }
    }

    /// The next command, or `Ok(None)` when the client has hung up between commands.
    ///
    /// Cancel-safe: the only `.await` is `read`, which takes no bytes from the stream unless
    /// it completes, and everything read so far lives in `self.buffer`, not in this future.
    async fn read_command(&mut self) -> io::Result<Option<Command>> {
        loop {
            // A command may already be buffered (two arrived in one read): parse first.
            if let Some((command, used)) = parse_command(&self.buffer)? {
                self.buffer.drain(..used);
                return Ok(Some(command));
            }
            let mut chunk = [0u8; 1024];
            let n = self.stream.read(&mut chunk).await?;
            if n == 0 {
                if self.buffer.is_empty() {
                    return Ok(None);
                }
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "the client hung up in the middle of a command",
                ));
            }
            self.buffer.extend_from_slice(&chunk[..n]);
        }
    }
}

/// A connection handed to the server: a stream to the client, and a number that names the
/// client (where a TCP server would have the peer's address).
struct Peer {
    id: u64,
    stream: DuplexStream,
}

/// The server's limits.
#[derive(Clone, Copy, Debug)]
struct Config {
    /// How many connections are served at once.
    max_connections: usize,
    /// How long a connection that is not subscribed may take to send its next command.
    request_timeout: Duration,
    /// How long, after the shutdown, the connections have to finish before they are cut off.
    drain: Duration,
}

/// What a shutdown had to cut off.
#[derive(Debug, Default)]
struct Report {
    /// The ids of the peers whose connections were still open at the drain deadline.
    cut_off: Vec<u64>,
}

/// How many lines a connection's outbox holds for a client that reads slowly.
const OUTBOX_CAPACITY: usize = 8;

/// How many messages a channel keeps for its slowest subscriber.
const CHANNEL_CAPACITY: usize = 16;

/// The server's state, shared by every connection.
#[derive(Default)]
struct Db {
    entries: Mutex<HashMap<String, String>>,
    /// One sender per channel name.
    channels: Mutex<HashMap<String, broadcast::Sender<String>>>,
}

impl Db {
    /// A receiver for the messages published to `channel` from now on.
    fn subscribe(&self, channel: &str) -> broadcast::Receiver<String> {
        // One sender per channel name, made by the first subscriber and kept in the map.
        let mut channels = self.channels.lock().unwrap();
        channels
            .entry(channel.to_string())
            .or_insert_with(|| broadcast::channel(CHANNEL_CAPACITY).0)
            .subscribe()
    }

    /// Sends `message` to the subscribers of `channel`; returns how many there were.
    fn publish(&self, channel: &str, message: String) -> usize {
        // `send` fails when no receiver is left: then the message reached no one.
        let channels = self.channels.lock().unwrap();
        match channels.get(channel) {
            Some(sender) => sender.send(message).unwrap_or(0),
            None => 0,
        }
    }

    /// Carries out a command and returns the reply. The lock is taken and released inside
    /// this synchronous method, so no caller can hold it across an `.await`.
    fn apply(&self, command: Command) -> String {
        match command {
            Command::Get { key } => match self.entries.lock().unwrap().get(&key) {
                Some(value) => format!("VALUE {value:?}\n"),
                None => "NIL\n".to_string(),
            },
            Command::Set { key, value } => {
                self.entries.lock().unwrap().insert(key, value);
                "OK\n".to_string()
            }
            Command::Publish { channel, message } => {
                format!("SENT {}\n", self.publish(&channel, message))
            }
            Command::Subscribe { .. } => unreachable!("handle_connection subscribes itself"),
        }
    }
}

/// Serves every connection that arrives on `incoming`, at most `config.max_connections` at
/// once, until `shutdown` completes; then shuts down gracefully (see the top of the file).
async fn serve(
    mut incoming: mpsc::Receiver<Peer>,
    config: Config,
    shutdown: impl Future<Output = ()>,
) -> Report {
    let db = Arc::new(Db::default());
    let slots = Arc::new(Semaphore::new(config.max_connections));
    let stop = CancellationToken::new();
    // Each connection's task returns its peer's id; `open` holds the ids not yet returned.
    let mut connections = JoinSet::new();
    let mut open = BTreeSet::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            biased;
            () = &mut shutdown => break,
            permit = Arc::clone(&slots).acquire_owned() => {
                permit.expect("the semaphore is never closed")
            }
        };
        let peer = tokio::select! {
            biased;
            () = &mut shutdown => break,
            peer = incoming.recv() => peer,
        };
        let Some(peer) = peer else {
            // No more connections will come; the open ones are served until the shutdown.
            (&mut shutdown).await;
            break;
        };
        // Forget the connections that have ended, so that the set does not grow forever.
        while let Some(done) = connections.try_join_next() {
            if let Ok(id) = done {
                open.remove(&id);
            }
        }
        let db = Arc::clone(&db);
        let stop = stop.clone();
        open.insert(peer.id);
        // One span per connection, attached to its task's future: entered whenever the task
        // is polled, left whenever it waits, so other connections never log inside it.
        let span = tracing::info_span!("connection", peer = peer.id);
        connections.spawn(
            async move {
                let id = peer.id;
                handle_connection(peer, db, config.request_timeout, stop).await;
                drop(permit);
                id
            }
            .instrument(span),
        );
    }
    // 1. Stop accepting: whoever still waits in `incoming` is dropped, unserved.
    drop(incoming);
    // 2. Tell every connection.
    stop.cancel();
    // 3. Drain, until the deadline.
    let deadline = Instant::now() + config.drain;
    while let Ok(Some(done)) = tokio::time::timeout_at(deadline, connections.join_next()).await {
        if let Ok(id) = done {
            open.remove(&id);
        }
    }
    // 4. Cut off the rest (aborted, and waited for), and say who they were.
    connections.shutdown().await;
    Report {
        cut_off: open.into_iter().collect(),
    }
}

/// Answers one client's commands until it hangs up, or takes too long to send one while it
/// has no subscription, or `stop` is cancelled: then it says BYE after the replies already
/// queued, and closes.
async fn handle_connection(
    peer: Peer,
    db: Arc<Db>,
    request_timeout: Duration,
    stop: CancellationToken,
) {
    let (reader, writer) = tokio::io::split(peer.stream);
    let mut framed = Framed::new(reader);
    let (outbox, lines) = mpsc::channel(OUTBOX_CAPACITY);
    // The writer and the forwarders live in JoinSets owned by this future: if the
    // connection's task is aborted, dropping them aborts them too.
    tracing::info!("connected");
    // A spawned task does not inherit this task's span: hand it over with `in_current_span`.
    let mut writer_task = JoinSet::new();
    writer_task.spawn(write_lines(lines, writer).in_current_span());
    let mut subscriptions = JoinSet::new();
    let mut said_bye = false;
    loop {
        let next_command = async {
            if subscriptions.is_empty() {
                tokio::time::timeout(request_timeout, framed.read_command()).await
            } else {
                Ok(framed.read_command().await)
            }
        };
        let next = tokio::select! {
            biased;
            () = stop.cancelled() => {
                tracing::info!("told to stop");
                said_bye = true;
                break;
            }
            next = next_command => next,
        };
        let Ok(next) = next else {
            tracing::info!("timed out");
            let _ = outbox.send("ERR timeout\n".to_string()).await;
            break;
        };
        let command = match next {
            Ok(Some(command)) => command,
            Ok(None) => break,
            Err(err) => {
                tracing::info!(%err, "bad command");
                let _ = outbox.send(format!("ERR {err}\n")).await;
                break;
            }
        };
        tracing::info!(?command, "command");
        let reply = match command {
            Command::Subscribe { channel } => {
                let messages = db.subscribe(&channel);
                // SUBSCRIBED goes into the outbox before the first message can.
                if outbox
                    .send(format!("SUBSCRIBED {channel}\n"))
                    .await
                    .is_err()
                {
                    break;
                }
                subscriptions.spawn(forward(channel, messages, outbox.clone()).in_current_span());
                continue;
            }
            // The lock lives inside `apply`; it is released before the reply is queued.
            command => db.apply(command),
        };
        // Waits while the outbox is full: no more commands are read meanwhile.
        if outbox.send(reply).await.is_err() {
            break;
        }
    }
    // Stop the forwarders (with them go their clones of the outbox); then BYE, if the server
    // is shutting down, after everything already queued; then let the writer finish.
    subscriptions.shutdown().await;
    if said_bye {
        let _ = outbox.send("BYE\n".to_string()).await;
    }
    drop(outbox);
    while writer_task.join_next().await.is_some() {}
    tracing::info!("closed");
}

/// The writer task: writes every line from the outbox to the client, in order, and closes
/// the connection once every sender of the outbox is gone.
async fn write_lines(mut lines: mpsc::Receiver<String>, mut writer: WriteHalf<DuplexStream>) {
    while let Some(line) = lines.recv().await {
        tracing::info!(line = line.trim_end(), "wrote");
        if writer.write_all(line.as_bytes()).await.is_err() {
            return;
        }
    }
    let _ = writer.shutdown().await;
}

/// Queues the messages of one subscription for the writer, until the connection ends.
async fn forward(
    channel: String,
    mut messages: broadcast::Receiver<String>,
    outbox: mpsc::Sender<String>,
) {
    loop {
        let line = match messages.recv().await {
            Ok(message) => {
                tracing::info!(%channel, "forwarded");
                format!("MESSAGE {channel} {message:?}\n")
            }
            Err(RecvError::Lagged(missed)) => {
                tracing::info!(%channel, missed, "lagged");
                format!("LAGGED {channel} {missed}\n")
            }
            Err(RecvError::Closed) => return,
        };
        // Waits while the outbox is full; meanwhile the broadcast channel may overflow, and
        // the next `recv` reports the lag.
        if outbox.send(line).await.is_err() {
            return;
        }
    }
}

/// A client of the demo in `main`: sends each request at its time (milliseconds after
/// `start`), closes its side of the connection at `leave_ms`, and prints every line it
/// receives until the server closes the connection too.
async fn demo_client(
    id: u64,
    stream: DuplexStream,
    start: Instant,
    script: &[(u64, &str)],
    leave_ms: u64,
) {
    let (reader, mut writer) = tokio::io::split(stream);
    let talk = async {
        for (at, request) in script {
            tokio::time::sleep_until(start + Duration::from_millis(*at)).await;
            println!(
                "{:>4}ms  client {id} sends {request:?}",
                start.elapsed().as_millis()
            );
            if writer.write_all(request.as_bytes()).await.is_err() {
                return;
            }
        }
        tokio::time::sleep_until(start + Duration::from_millis(leave_ms)).await;
        let _ = writer.shutdown().await;
    };
    let listen = async {
        let mut lines = BufReader::new(reader).lines();
        while let Ok(Some(line)) = lines.next_line().await {
            println!(
                "{:>4}ms  client {id} got   {line}",
                start.elapsed().as_millis()
            );
        }
        println!(
            "{:>4}ms  client {id}: connection closed",
            start.elapsed().as_millis()
        );
    };
    tokio::join!(talk, listen);
}

#[tokio::main]
async fn main() {
    // Logs to stderr, with the spans around each event: `connection{peer=1}: wrote ...`.
    tracing_subscriber::fmt()
        .with_target(false)
        .without_time()
        .with_writer(std::io::stderr)
        .init();
    let (connect, incoming) = mpsc::channel(16);
    let start = Instant::now();
    let mut clients = Vec::new();
    let config = Config {
        max_connections: 2,
        request_timeout: Duration::from_millis(200),
        drain: Duration::from_millis(100),
    };
    let scripts: [(u64, &[(u64, &str)], u64); 2] = [
        // Client 1 subscribes to two channels, and goes on with other commands.
        (
            1,
            &[
                (0, "SUBSCRIBE news\n"),
                (10, "SUBSCRIBE sport\n"),
                (60, "SET mood 5\nhappy"),
                (120, "GET mood\n"),
            ],
            300,
        ),
        (
            2,
            &[
                (50, "PUBLISH news 5\nhello"),
                (100, "PUBLISH sport 3\n1-0"),
                (150, "PUBLISH news 7\ngoodbye"),
            ],
            200,
        ),
    ];
    for (id, script, leave_ms) in scripts {
        let (client_end, server_end) = tokio::io::duplex(1024);
        connect
            .send(Peer {
                id,
                stream: server_end,
            })
            .await
            .unwrap();
        clients.push(demo_client(id, client_end, start, script, leave_ms));
    }
    drop(connect);
    // The server stops at Ctrl-C, or after 170ms, whichever comes first. (A server that
    // takes its shutdown as a future does not care which.)
    let shutdown = async {
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            () = tokio::time::sleep(Duration::from_millis(170)) => {}
        }
        println!("{:>4}ms  shutting down", start.elapsed().as_millis());
    };
    let (report, _) = tokio::join!(
        serve(incoming, config, shutdown),
        futures::future::join_all(clients)
    );
    println!("cut off: {:?}", report.cut_off);
}
