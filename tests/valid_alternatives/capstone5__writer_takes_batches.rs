// capstone5: a writer task and backpressure
//
// Step 5 of the capstone. So far: framing (step 1), a task per connection over a shared map
// (step 2), publish/subscribe (step 3), a connection limit and a request timeout (step 4).
// Until now a subscribed connection only received. From this step on, a client may
// SUBSCRIBE to several channels and go on sending commands: its replies and the messages of
// its channels arrive interleaved on one connection. (The request timeout applies only
// while a connection has no subscription.)
//
// Several tasks now have something to write to one client, so no single loop owns the
// connection's writing any more. The connection is split into its two halves
// (`tokio::io::split`, as in io3): the reading half stays with `handle_connection`, and
// the writing half goes to a *writer task* that takes lines from a channel, the outbox,
// and writes them in order. Everyone with something to say sends into the outbox:
//
//     client ──read half──> handle_connection ──replies────────┐
//                             │ spawns one per SUBSCRIBE        │
//                             └──> forward(channel) ──messages──┤
//                                                               v
//     client <──write half── writer task <──────────────── outbox (mpsc)
//
// What if the client reads slowly, or not at all? The writer task waits on the connection,
// and lines pile up in the outbox. With an *unbounded* channel (as shipped) they pile up
// without limit: a client that sends commands and never reads the replies, or a subscriber
// of a busy channel that does not read, makes the server hold everything for it, until
// memory runs out. With a *bounded* channel, `mpsc::channel(OUTBOX_CAPACITY)` (channels2),
// `send(..).await` waits while the outbox is full, and the waiting travels back:
//
// - `handle_connection` waits to queue its reply, so it stops reading commands: the client
//   is slowed down to the pace at which it reads (backpressure).
// - a `forward` task waits to queue a message, so it stops taking messages from its
//   broadcast channel: the subscriber lags, and is told so (step 3). Nothing grows.
//
// Never `try_send` and drop what does not fit: a reply must not be lost.
//
// Make the outbox bounded.

use std::collections::HashMap;
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
    #[expect(dead_code, reason = "the server names its peers from step 6 on")]
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
/// once. Returns once `incoming` is closed; connections still open then go on being served.
async fn serve(mut incoming: mpsc::Receiver<Peer>, config: Config) {
    let db = Arc::new(Db::default());
    let slots = Arc::new(Semaphore::new(config.max_connections));
    loop {
        // A free slot first, then the next connection: connections over the limit wait in
        // `incoming` and cost nothing here.
        let permit = Arc::clone(&slots)
            .acquire_owned()
            .await
            .expect("the semaphore is never closed");
        let Some(peer) = incoming.recv().await else {
            return;
        };
        let db = Arc::clone(&db);
        tokio::spawn(async move {
            handle_connection(peer, db, config.request_timeout).await;
            // The slot is free again when the connection ends, however it ends.
            drop(permit);
        });
    }
}

/// Answers one client's commands until it hangs up, or takes too long to send one while it
/// has no subscription.
async fn handle_connection(peer: Peer, db: Arc<Db>, request_timeout: Duration) {
    let (reader, writer) = tokio::io::split(peer.stream);
    let mut framed = Framed::new(reader);
    // A bounded outbox: when the client reads slowly, senders wait instead of piling up.
    let (outbox, lines) = mpsc::channel(OUTBOX_CAPACITY);
    let writer_task = tokio::spawn(write_lines(lines, writer));
    let mut subscriptions = JoinSet::new();
    loop {
        let next = if subscriptions.is_empty() {
            let Ok(next) = tokio::time::timeout(request_timeout, framed.read_command()).await
            else {
                let _ = outbox.send("ERR timeout\n".to_string()).await;
                break;
            };
            next
        } else {
            framed.read_command().await
        };
        let command = match next {
            Ok(Some(command)) => command,
            Ok(None) => break,
            Err(err) => {
                let _ = outbox.send(format!("ERR {err}\n")).await;
                break;
            }
        };
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
                subscriptions.spawn(forward(channel, messages, outbox.clone()));
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
    // Stop the forwarders (with them go their clones of the outbox), then let the writer
    // write what is queued and close the connection.
    subscriptions.shutdown().await;
    drop(outbox);
    let _ = writer_task.await;
}

/// The writer task: writes every line from the outbox to the client, in order, and closes
/// the connection once every sender of the outbox is gone.
async fn write_lines(mut lines: mpsc::Receiver<String>, mut writer: WriteHalf<DuplexStream>) {
    // Takes whatever is queued (up to a full outbox) and writes it in one go.
    let mut batch = Vec::with_capacity(OUTBOX_CAPACITY);
    while lines.recv_many(&mut batch, OUTBOX_CAPACITY).await > 0 {
        let text: String = batch.drain(..).collect();
        if writer.write_all(text.as_bytes()).await.is_err() {
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
            Ok(message) => format!("MESSAGE {channel} {message:?}\n"),
            Err(RecvError::Lagged(missed)) => format!("LAGGED {channel} {missed}\n"),
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
    let (connect, incoming) = mpsc::channel(16);
    let start = Instant::now();
    let mut clients = Vec::new();
    let config = Config {
        max_connections: 2,
        request_timeout: Duration::from_millis(200),
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
    tokio::join!(serve(incoming, config), futures::future::join_all(clients));
}
