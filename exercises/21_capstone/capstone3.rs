// capstone3: publish and subscribe
//
// Step 3 of the capstone. So far (steps 1 and 2) the server frames commands and serves each
// connection in a task of its own over a shared map. Now clients can talk to each other:
//
//     SUBSCRIBE <channel>\n          ->  SUBSCRIBED <channel>\n, then for every message
//                                        published to it:  MESSAGE <channel> "<message>"\n
//     PUBLISH <channel> <n>\n<msg>   ->  SENT <k>\n   (k: how many subscribers it reached)
//
// A subscribed connection only receives from then on (other commands get an ERR), until its
// client hangs up.
//
// Every subscriber of a channel must see every message, in one order: that is a `broadcast`
// channel (10_channels). The server keeps one `broadcast::Sender` per channel name in the
// shared `Db`; `SUBSCRIBE` takes a receiver from it (`sender.subscribe()`), `PUBLISH` sends
// to it (`send` says how many receivers there are, and fails when there are none).
//
//     PUBLISH quay ──> Db.channels["quay"] ──┬──> receiver ──> task of subscriber A
//                      a broadcast::Sender,   └──> receiver ──> task of subscriber B
//                      keeps CHANNEL_CAPACITY messages
//
// A broadcast channel holds at most CHANNEL_CAPACITY messages, however slow a subscriber is:
// that bounds the memory a slow subscriber can cost. A receiver that falls further behind
// loses the oldest messages, and its next `recv` says how many: `Err(RecvError::Lagged(n))`.
// That is not the end of the channel: the next `recv` returns the oldest message still
// there. The server tells the client (`LAGGED <channel> <n>\n`) and carries on.
//
// The subscribed connection waits for two things at once: the next message, and its client
// (to notice when it hangs up). That is a `select!` over `messages.recv()` and
// `framed.read_command()`, which is why step 1 made `read_command` cancel-safe.
//
// `subscribe` and `publish` below do not share anything, and a lag ends the subscription.

use std::collections::HashMap;
use std::io;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{
    AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader, DuplexStream,
};
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::{broadcast, mpsc};
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
        // TODO: subscribers and publishers of one channel must share one sender; keep the
        // senders in `self.channels`, one per channel name.
        let (_sender, receiver) = broadcast::channel(CHANNEL_CAPACITY);
        receiver
    }

    /// Sends `message` to the subscribers of `channel`; returns how many there were.
    fn publish(&self, channel: &str, message: String) -> usize {
        // TODO: send through the channel's sender, if it has one.
        let _ = (channel, message);
        0
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

/// Serves every connection that arrives on `incoming`. Returns once `incoming` is closed;
/// connections still open then go on being served.
async fn serve(mut incoming: mpsc::Receiver<Peer>) {
    let db = Arc::new(Db::default());
    while let Some(peer) = incoming.recv().await {
        // Each connection gets a task of its own, and its own handle on the shared state.
        tokio::spawn(handle_connection(peer, Arc::clone(&db)));
    }
}

/// Answers one client's commands until it hangs up.
async fn handle_connection(peer: Peer, db: Arc<Db>) {
    let mut framed = Framed::new(peer.stream);
    loop {
        let command = match framed.read_command().await {
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
                // TODO: a receiver that fell behind is not at the end of the channel.
                Err(_) => return,
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
    let scripts: [(u64, &[(u64, &str)], u64); 3] = [
        (1, &[(0, "SUBSCRIBE news\n")], 300),
        (2, &[(0, "SUBSCRIBE news\n")], 300),
        (
            3,
            &[
                (50, "PUBLISH news 5\nhello"),
                (100, "PUBLISH news 7\ngoodbye"),
                (150, "PUBLISH sport 3\n1-0"),
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
    tokio::join!(serve(incoming), futures::future::join_all(clients));
}
