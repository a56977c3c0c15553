// Mistakes learners make when serving connections over shared state, and how each is caught:
// - one connection at a time (the shipped code), or `tokio::spawn(..).await` in the loop
//   (a task, awaited at once: the same thing): a client that connects first and says
//   nothing must hold up no one; the others' replies come at virtual time zero.
// - concurrency without tasks (`join!`, `FuturesUnordered` inside `serve`): while four
//   clients are connected, four tasks must be alive (the runtime can only spread tasks over
//   threads), and none once they have hung up.
// - a lock held across the write of a reply (a `tokio::sync::Mutex` guard kept over the
//   `.await`; with a `std` guard the spawned future does not compile): a client that does
//   not read its replies leaves the server stuck in a write; others must still be served.
// - a `Db` per connection (to get around `'static`): values must be seen by other clients.
// - hard-coding: keys, values and client numbers are not the exercise's.

use super::{Peer, serve};

use std::time::Duration;

use tokio::io::{
    AsyncBufReadExt, AsyncWriteExt, BufReader, DuplexStream, Lines, ReadHalf, WriteHalf,
};
use tokio::sync::mpsc;
use tokio::time::Instant;

use asynclings_support::timeline::{self, Timeline};
use asynclings_support::watchdog;

const LIMIT: Duration = Duration::from_secs(60);

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn alive_tasks() -> usize {
    tokio::runtime::Handle::current()
        .metrics()
        .num_alive_tasks()
}

fn get(key: &str) -> String {
    format!("GET {key}\n")
}

fn set(key: &str, value: &str) -> String {
    format!("SET {key} {}\n{value}", value.len())
}

fn publish(channel: &str, message: &str) -> String {
    format!("PUBLISH {channel} {}\n{message}", message.len())
}

fn subscribe(channel: &str) -> String {
    format!("SUBSCRIBE {channel}\n")
}

/// A client played by the checks: one end of an in-memory connection whose other end was
/// handed to the server.
struct Client {
    id: u64,
    lines: Lines<BufReader<ReadHalf<DuplexStream>>>,
    writer: WriteHalf<DuplexStream>,
    start: Instant,
    /// The session's run (each line received, on the client's row) and the expected one.
    run: Option<(Timeline, Timeline)>,
}

impl Client {
    /// Connects to the server through `connect`; each direction of the connection buffers
    /// `buffer` bytes.
    async fn connect(connect: &mpsc::Sender<Peer>, id: u64, buffer: usize) -> Client {
        let (client_end, server_end) = tokio::io::duplex(buffer);
        let peer = Peer {
            id,
            stream: server_end,
        };
        if connect.send(peer).await.is_err() {
            panic!("client {id} could not connect: the server dropped `incoming` early");
        }
        let (reader, writer) = tokio::io::split(client_end);
        Client {
            id,
            lines: BufReader::new(reader).lines(),
            writer,
            start: Instant::now(),
            run: None,
        }
    }

    /// Records each line the client receives on `recorded`; a line that does not come shows
    /// it beside `expected`.
    fn recording(mut self, recorded: &Timeline, expected: &Timeline) -> Self {
        recorded.declare_instants(&self.label());
        self.run = Some((recorded.clone(), expected.clone()));
        self
    }

    fn label(&self) -> String {
        format!("client {}", self.id)
    }

    /// Sends bytes to the server (waits while the connection's buffer is full).
    async fn send(&mut self, text: &str) {
        if let Err(err) = self.writer.write_all(text.as_bytes()).await {
            panic!("client {} could not send {text:?}: {err}", self.id);
        }
    }

    /// The next line from the server, `None` once the server has closed the connection, or
    /// a panic with `why` when nothing comes within `limit` of virtual time.
    async fn line_within(&mut self, limit: Duration, why: &str) -> Option<String> {
        match tokio::time::timeout(limit, self.lines.next_line()).await {
            Ok(Ok(line)) => {
                if let (Some((recorded, _)), Some(_)) = (&self.run, &line) {
                    recorded.instant(&self.label());
                }
                line
            }
            Ok(Err(err)) => panic!("client {} could not read: {err}", self.id),
            Err(_) => {
                let message = format!(
                    "client {} waited {limit:?} of virtual time for a line from the server and \
                     got none: {why}",
                    self.id
                );
                match &self.run {
                    Some((recorded, expected)) => {
                        recorded.end();
                        timeline::fail(message, recorded, Some(expected))
                    }
                    None => panic!("{message}"),
                }
            }
        }
    }

    /// The next line, which must come within a second of virtual time.
    async fn line(&mut self) -> String {
        let id = self.id;
        match self
            .line_within(Duration::from_secs(1), "the server never answered")
            .await
        {
            Some(line) => line,
            None => panic!("client {id}: the server closed the connection instead of answering"),
        }
    }

    /// Sends a request and returns the reply line.
    async fn request(&mut self, text: &str) -> String {
        self.send(text).await;
        self.line().await
    }

    /// Closes the client's side of the connection: the server reads the end of the stream.
    async fn hang_up(&mut self) {
        let _ = self.writer.shutdown().await;
    }

    /// Virtual time since the client connected.
    fn elapsed(&self) -> Duration {
        self.start.elapsed()
    }
}

const QUIET_ONE: &str = "client 31 connected first and has said nothing yet, and the server \
     did not answer client 32 meanwhile: is `serve` still waiting for client 31's connection \
     to end, serving one connection at a time? Give each connection a task of its own \
     (`tokio::spawn`, not awaited in the loop)";

const QUIET_ONE_5: &str = "client 5 connected first and is still connected, and the server did not answer client 6 meanwhile: is `serve` still waiting for client 5's connection to end, serving one connection at a time? Give each connection a task of its own (`tokio::spawn`, not awaited in the loop)";

#[tokio::test(start_paused = true)]
async fn a_quiet_client_holds_up_no_one() {
    let (connect, incoming) = mpsc::channel(16);
    // Each client's lines as they come: 32 and 33 are answered at once, 31 when it asks.
    let recorded = Timeline::new();
    let expected = Timeline::new();
    for (client, at) in [("client 31", 90), ("client 32", 0), ("client 33", 40)] {
        expected.instant_at(client, ms(at));
    }
    expected.end_at(ms(90));
    let clients = async move {
        let mut quiet = Client::connect(&connect, 31, 4096)
            .await
            .recording(&recorded, &expected);
        let mut busy = Client::connect(&connect, 32, 4096)
            .await
            .recording(&recorded, &expected);
        busy.send(&set("harbour", "full tide")).await;
        let reply = busy.line_within(ms(500), QUIET_ONE).await;
        assert_eq!(reply.as_deref(), Some("OK"), "client 32's SET");
        assert_eq!(
            busy.elapsed(),
            ms(0),
            "client 32's reply should come at once"
        );

        tokio::time::sleep(ms(40)).await;
        let mut late = Client::connect(&connect, 33, 4096)
            .await
            .recording(&recorded, &expected);
        drop(connect);
        late.send(&get("harbour")).await;
        let reply = late.line_within(ms(500), QUIET_ONE).await;
        assert_eq!(
            reply.as_deref(),
            Some("VALUE \"full tide\""),
            "client 33 asked for the value client 32 had set"
        );
        assert_eq!(
            late.elapsed(),
            ms(0),
            "client 33's reply should come at once"
        );

        tokio::time::sleep(ms(50)).await;
        let reply: String = quiet.request(&get("harbour")).await;
        assert_eq!(reply, "VALUE \"full tide\"", "client 31, at last");
        for client in [&mut quiet, &mut busy, &mut late] {
            client.hang_up().await;
            let last = client
                .line_within(ms(500), "it hung up; the server should close")
                .await;
            assert_eq!(
                last, None,
                "client {} hung up: the server closes its side",
                client.id
            );
        }
    };
    watchdog(LIMIT, "the session", async {
        tokio::join!(serve(incoming), clients)
    })
    .await;
}

#[tokio::test(start_paused = true)]
async fn each_connection_has_a_task_of_its_own_and_none_is_left_after() {
    let (connect, incoming) = mpsc::channel(16);
    let clients = async move {
        let mut clients = Vec::new();
        for id in [71, 72, 73, 74] {
            let mut client = Client::connect(&connect, id, 4096).await;
            let reply: String = client.request(&set(&format!("seat{id}"), "taken")).await;
            assert_eq!(reply, "OK");
            clients.push(client);
        }
        drop(connect);
        let alive = alive_tasks();
        assert_eq!(
            alive, 4,
            "four clients are connected, so four connection tasks should be alive, but {alive} \
             task(s) are. Serving several connections inside `serve`'s own future (`join!`, \
             `FuturesUnordered`) is concurrency without tasks: everything still runs on one \
             thread at a time. `tokio::spawn` each connection in a task of its own, which \
             the runtime may run in parallel"
        );
        for client in &mut clients {
            client.hang_up().await;
            let last = client
                .line_within(ms(500), "it hung up; the server should close")
                .await;
            assert_eq!(
                last, None,
                "client {} hung up: the server closes its side",
                client.id
            );
        }
        tokio::time::sleep(ms(1)).await;
        let alive = alive_tasks();
        assert_eq!(
            alive, 0,
            "every client has hung up, yet {alive} task(s) are still alive: a connection's \
             task should end when its client hangs up"
        );
    };
    watchdog(LIMIT, "the session", async {
        tokio::join!(serve(incoming), clients)
    })
    .await;
}

#[tokio::test(start_paused = true)]
async fn a_client_that_does_not_read_its_replies_holds_up_no_one() {
    let (connect, incoming) = mpsc::channel(16);
    let novel: String = (0..2000)
        .map(|i| char::from(b'a' + (i % 23) as u8))
        .collect();
    // Client 5 reads only its SET's reply; client 6 is answered at once, before and after.
    let recorded = Timeline::new();
    let expected = Timeline::new();
    expected.instant_at("client 5", ms(0));
    for at in [0, 10, 10] {
        expected.instant_at("client 6", ms(at));
    }
    expected.end_at(ms(10));
    let clients = async move {
        // Client 5's connection buffers 64 bytes each way, and it never reads: the server's
        // reply to its first GET fills the buffer, and the server's write waits for room.
        let mut stuck = Client::connect(&connect, 5, 64)
            .await
            .recording(&recorded, &expected);
        let mut other = Client::connect(&connect, 6, 4096)
            .await
            .recording(&recorded, &expected);
        drop(connect);
        let reply: String = stuck.request(&set("novel", &novel)).await;
        assert_eq!(reply, "OK");
        other.send(&get("novel")).await;
        let reply = other.line_within(ms(500), QUIET_ONE_5).await;
        assert_eq!(
            reply,
            Some(format!("VALUE {novel:?}")),
            "client 6 reads the novel"
        );
        stuck.send(&get("novel")).await;
        stuck.send(&get("novel")).await;
        tokio::time::sleep(ms(10)).await;

        other.send(&set("tide", "low")).await;
        let reply = other
            .line_within(
                ms(500),
                "client 5 is not reading its replies, so the server is stuck writing one to \
                 it, and client 6's SET was never answered: is the lock on the map held \
                 while the reply is written? Take the guard in a block (or a synchronous \
                 method) that ends before the `.await`",
            )
            .await;
        assert_eq!(reply.as_deref(), Some("OK"), "client 6's SET");
        let reply: String = other.request(&get("novel")).await;
        assert_eq!(
            reply,
            format!("VALUE {novel:?}"),
            "client 6 reads the novel"
        );
        // Client 5 goes away altogether: the server's write to it fails.
        drop(stuck);
        other.hang_up().await;
        assert_eq!(other.line_within(ms(500), "it hung up").await, None);
    };
    watchdog(LIMIT, "the session", async {
        tokio::join!(serve(incoming), clients)
    })
    .await;
}

#[tokio::test(start_paused = true)]
async fn every_client_sees_the_values_of_the_others() {
    let (connect, incoming) = mpsc::channel(16);
    let clients = async move {
        let values = ["amber", "two words", "line\nbreak", "", "émoji ☂"];
        let mut clients = Vec::new();
        for (i, value) in values.iter().enumerate() {
            let id = 400 + i as u64;
            let mut client = Client::connect(&connect, id, 4096).await;
            let reply: String = client.request(&set(&format!("k{id}"), value)).await;
            assert_eq!(reply, "OK", "client {id}'s SET");
            clients.push(client);
        }
        drop(connect);
        for i in 0..values.len() {
            let other = (i + 2) % values.len();
            let key = format!("k{}", 400 + other);
            let reply: String = clients[i].request(&get(&key)).await;
            assert_eq!(
                reply,
                format!("VALUE {:?}", values[other]),
                "client {} asked for the value client {} had set: every connection must \
                 share one `Db` (clone the `Arc`, not the map)",
                400 + i,
                400 + other
            );
        }
        // Three requests in one write, and a key nobody set.
        let first = &mut clients[0];
        first
            .send(&format!(
                "{}{}{}",
                get("nothing-here"),
                set("k402", "new"),
                get("k402")
            ))
            .await;
        let replies: Vec<String> = vec![first.line().await, first.line().await, first.line().await];
        assert_eq!(
            replies,
            ["NIL", "OK", "VALUE \"new\""],
            "three requests in one write"
        );
        // A request the server does not know closes the connection after an ERR.
        let reply: String = first.request("DELETE k400\n").await;
        assert!(
            reply.starts_with("ERR "),
            "an unknown command gets an ERR, got {reply:?}"
        );
        assert_eq!(first.line_within(ms(500), "after ERR").await, None);
        for client in &mut clients[1..] {
            client.hang_up().await;
            assert_eq!(client.line_within(ms(500), "it hung up").await, None);
        }
    };
    watchdog(LIMIT, "the session", async {
        tokio::join!(serve(incoming), clients)
    })
    .await;
}
