// expect: a permit dropped in the loop
// capstone4: limits
//
// Step 4 of the capstone. So far the server frames commands (step 1), serves each connection
// in a task over a shared map (step 2), and relays published messages to subscribers
// (step 3). It serves anyone, for as long as they like. A server that must stay up puts
// limits on what one client, or many, can take from it:
//
// 1. At most `config.max_connections` connections are served at once. The next one waits
//    in `incoming`, unserved, until one of those ends; then it is served.
// 2. A connection that is not subscribed must send each command within
//    `config.request_timeout` of being served or of its previous reply. If it does not, it
//    gets `ERR timeout\n` and is closed, and its place goes to the next in line.
//    (Subscribers wait for messages, not commands: no timeout applies to them.)
//
// The tool for (1) is a `Semaphore` with `max_connections` permits (join4 and sync2 limited
// work in flight with one). Two details make it fit a server:
//
//     loop:  permit = semaphore.acquire_owned().await    <- waits while all are in use
//            peer   = incoming.recv().await
//            tokio::spawn(async move { handle_connection(peer, ..).await; drop(permit); })
//
// - Acquire *before* taking the connection: connections over the limit stay in the queue,
//   and cost no task and no memory on the server's side.
// - `acquire_owned` on an `Arc<Semaphore>` gives an `OwnedSemaphorePermit`, which borrows
//   nothing, so it can move into the connection's task. It is released when dropped, when
//   the task ends, however it ends (a hang-up, an error, a timeout, even a panic).
//
// The tool for (2) is `tokio::time::timeout` around each wait for a command (select1,
// cancel5): one timeout per request, not one around the whole connection, which would cut
// off a client that is busy but has been connected for long.
//
// `serve` and `handle_connection` below take a `Config` and ignore it.

use std::collections::HashMap;
use std::io;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{
    AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader, DuplexStream,
};
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::{Semaphore, broadcast, mpsc};
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

impl<S: AsyncWrite + Unpin> Framed<S> {
    /// Writes one reply line (it ends with its own `\n`).
    async fn write_line(&mut self, line: &str) -> io::Result<()> {
        self.stream.write_all(line.as_bytes()).await
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
        // The permit is dropped at the end of this loop turn, not when the connection ends.
        let _permit = slots
            .acquire()
            .await
            .expect("the semaphore is never closed");
        let Some(peer) = incoming.recv().await else {
            return;
        };
        tokio::spawn(handle_connection(
            peer,
            Arc::clone(&db),
            config.request_timeout,
        ));
    }
}

/// Answers one client's commands until it hangs up, or takes too long to send one.
async fn handle_connection(peer: Peer, db: Arc<Db>, request_timeout: Duration) {
    let mut framed = Framed::new(peer.stream);
    loop {
        // Each command gets its own timeout, counted from the previous reply.
        let Ok(next) = tokio::time::timeout(request_timeout, framed.read_command()).await else {
            let _ = framed.write_line("ERR timeout\n").await;
            return;
        };
        let command = match next {
            Ok(Some(command)) => command,
            Ok(None) => return,
            Err(err) => {
                let _ = framed.write_line(&format!("ERR {err}\n")).await;
                return;
            }
        };
        let reply = match command {
            Command::Subscribe { channel } => {
                let messages = db.subscribe(&channel);
                return subscribed(framed, channel, messages).await;
            }
            // The lock lives inside `apply`; it is released before the reply is written.
            command => db.apply(command),
        };
        if framed.write_line(&reply).await.is_err() {
            return;
        }
    }
}

/// Forwards the messages of `channel` to a subscribed client, until it hangs up.
async fn subscribed(
    mut framed: Framed<DuplexStream>,
    channel: String,
    mut messages: broadcast::Receiver<String>,
) {
    if framed
        .write_line(&format!("SUBSCRIBED {channel}\n"))
        .await
        .is_err()
    {
        return;
    }
    loop {
        let line = tokio::select! {
            // `read_command` is cancel-safe: when a message wins, no input is lost.
            command = framed.read_command() => match command {
                Ok(Some(_)) => "ERR a subscribed connection only receives\n".to_string(),
                Ok(None) | Err(_) => return,
            },
            message = messages.recv() => match message {
                Ok(message) => format!("MESSAGE {channel} {message:?}\n"),
                // Lagging is not the end: say how many were lost, and carry on with the
                // oldest message still in the channel.
                Err(RecvError::Lagged(missed)) => format!("LAGGED {channel} {missed}\n"),
                Err(RecvError::Closed) => return,
            },
        };
        if framed.write_line(&line).await.is_err() {
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
    let scripts: [(u64, &[(u64, &str)], u64); 4] = [
        // Client 1 stops talking after its first command: it is timed out.
        (1, &[(0, "SET fruit 4\npear")], 1000),
        (2, &[(0, "GET fruit\n"), (150, "GET fruit\n")], 250),
        // Clients 3 and 4 wait for a free slot.
        (3, &[(0, "GET fruit\n")], 300),
        (4, &[(0, "GET vegetable\n")], 400),
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
