// expect: is the lock on the map held
// capstone2: one task per connection, one shared map
//
// Step 2 of the capstone (see the topic's README.md for the whole plan). Step 1's framing is
// done: `Framed::read_command` turns a byte stream into commands. Now the server answers
// them, for many clients at once:
//
//     GET <key>\n                 ->  VALUE "<value>"\n   or   NIL\n
//     SET <key> <n>\n<value>      ->  OK\n
//     anything else               ->  ERR <why>\n, and the connection is closed
//
// (PUBLISH and SUBSCRIBE answer "ERR not supported yet" until step 3.)
//
// The server does not open sockets itself: it is handed its connections, each a `Peer`, on
// an `mpsc` channel. A real server would feed that channel from a `TcpListener`; here `main`
// (and the checks) feed it in-memory `tokio::io::duplex` streams and play the clients.
//
//     incoming ──> serve ──spawn──> task: handle_connection(peer 1) ──┐
//                        ──spawn──> task: handle_connection(peer 2) ──┼──> Arc<Db>
//                        ──spawn──> task: handle_connection(peer 3) ──┘    Mutex<HashMap>
//
// One task per connection (04_spawn): a connection spends most of its life waiting for its
// client, and a server that awaits one connection to the end before taking the next serves
// one client at a time. `tokio::spawn` needs a future that owns what it uses (`'static`):
// every task gets its own clone of the `Arc<Db>`.
//
// The map is behind a `std::sync::Mutex`, not tokio's (07_blocking): every critical section
// is a lookup or an insert, with no `.await` inside. The guard must be dropped before the
// next `.await`: a spawned task may move between threads at an await, which a `std` guard
// cannot (the compiler says the future "cannot be sent between threads safely"); and with
// any mutex, a lock held across the write of a reply lets one client that does not read
// its replies stall every other client. The usual shape is a small synchronous method on
// the shared state that locks, works, and returns.
//
// `serve` below awaits each connection to its end. Give each connection a task of its own,
// and keep the lock away from the awaits.

use std::collections::HashMap;
use std::io;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{
    AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader, DuplexStream,
};
use tokio::sync::mpsc;
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

/// The server's state, shared by every connection.
#[derive(Default)]
struct Db {
    entries: Mutex<HashMap<String, String>>,
    tokio_entries: tokio::sync::Mutex<HashMap<String, String>>,
}

impl Db {
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
            Command::Publish { .. } | Command::Subscribe { .. } => {
                "ERR not supported yet\n".to_string()
            }
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
        // A tokio guard may cross the await; it is held while the reply is written.
        let mut entries = db.tokio_entries.lock().await;
        let reply = match command {
            Command::Get { key } => match entries.get(&key) {
                Some(value) => format!("VALUE {value:?}\n"),
                None => "NIL\n".to_string(),
            },
            Command::Set { key, value } => {
                entries.insert(key, value);
                "OK\n".to_string()
            }
            Command::Publish { .. } | Command::Subscribe { .. } => {
                "ERR not supported yet\n".to_string()
            }
        };
        if framed.write_line(&reply).await.is_err() {
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
        // Client 1 connects first, and thinks for a while before it says anything.
        (1, &[(300, "GET fruit\n")], 350),
        (2, &[(0, "SET fruit 4\npear"), (10, "GET fruit\n")], 100),
        (3, &[(50, "GET fruit\n"), (60, "GET vegetable\n")], 100),
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
