// Mistakes learners make with a writer task and its outbox, and how each is caught:
// - an unbounded outbox (the shipped code): a client that sends 300 commands and reads no
//   reply must not have them all carried out (the server stops reading it), and a subscriber
//   that reads nothing while 500 messages are published must lag rather than be sent all
//   500; how much the server held for it is bounded by what the queues can hold.
// - `try_send` that drops what does not fit: a client that sends 120 requests and reads the
//   replies late must get all 120, in order.
// - forwarders spawned and forgotten (`tokio::spawn` without keeping or aborting them): they
//   keep the outbox open, so the connection never closes; every client must see its
//   connection close when it hangs up, and no task may be left.
// - subscriptions that take over the connection (step 3's way): a subscriber of two
//   channels must still get replies to its commands, interleaved with the messages of both.
// - hard-coding: channels, counts and timings are not the exercise's.

use super::{CHANNEL_CAPACITY, Config, OUTBOX_CAPACITY, Peer, serve};

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
        }
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
            Ok(Ok(line)) => line,
            Ok(Err(err)) => panic!("client {} could not read: {err}", self.id),
            Err(_) => panic!(
                "client {} waited {limit:?} of virtual time for a line from the server and \
                 got none: {why}",
                self.id
            ),
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

fn config() -> Config {
    Config {
        max_connections: 16,
        request_timeout: ms(60_000),
    }
}

/// Client 61's session: the messages published to its channels (5, 25, 45ms), its commands
/// (15, 35ms), and each line it received.
fn talk(received: &[Duration], end: Duration) -> Timeline {
    let run = Timeline::new();
    for at in [5, 25, 45] {
        run.instant_at("published", ms(at));
    }
    for at in [15, 35] {
        run.instant_at("command", ms(at));
    }
    run.declare_instants("received");
    for &at in received {
        run.instant_at("received", at);
    }
    run.end_at(end);
    run
}

#[tokio::test(start_paused = true)]
async fn a_subscriber_of_two_channels_still_gets_replies_to_its_commands() {
    let (connect, incoming) = mpsc::channel(16);
    let clients = async move {
        let mut both = Client::connect(&connect, 61, 4096).await;
        let mut publisher = Client::connect(&connect, 62, 4096).await;
        drop(connect);
        let reply: String = both.request(&subscribe("quay")).await;
        assert_eq!(reply, "SUBSCRIBED quay");
        let reply: String = both.request(&subscribe("pier")).await;
        assert_eq!(
            reply, "SUBSCRIBED pier",
            "a client that has subscribed to one channel can subscribe to another"
        );
        let start = Instant::now();
        let publishing = async {
            for (at, channel, message) in [
                (5, "quay", "ferry in"),
                (25, "pier", "crab boat"),
                (45, "quay", "ferry out"),
            ] {
                tokio::time::sleep_until(start + ms(at)).await;
                let reply: String = publisher.request(&publish(channel, message)).await;
                assert_eq!(reply, "SENT 1", "one subscriber on {channel}");
            }
        };
        let Client { lines, writer, .. } = &mut both;
        let talking = async {
            for (at, request) in [(15, set("anchor", "down")), (35, get("anchor"))] {
                tokio::time::sleep_until(start + ms(at)).await;
                writer.write_all(request.as_bytes()).await.unwrap();
            }
        };
        let listening = async {
            let mut got = Vec::new();
            for _ in 0..5 {
                let line = match tokio::time::timeout(ms(500), lines.next_line()).await {
                    Ok(Ok(Some(line))) => line,
                    Ok(_) => "<closed>".to_string(),
                    Err(_) => "<nothing within 500ms>".to_string(),
                };
                got.push((start.elapsed(), line));
            }
            got
        };
        let ((), (), got) = tokio::join!(publishing, talking, listening);
        let expected: Vec<(Duration, String)> = [
            (5, "MESSAGE quay \"ferry in\""),
            (15, "OK"),
            (25, "MESSAGE pier \"crab boat\""),
            (35, "VALUE \"down\""),
            (45, "MESSAGE quay \"ferry out\""),
        ]
        .iter()
        .map(|(at, line)| (ms(*at), line.to_string()))
        .collect();
        let message = || {
            "client 61 subscribed to quay and pier, then sent SET and GET between the \
             messages; what it received, and when (virtual time). A subscription no longer \
             takes over the connection: its messages and the replies go through the outbox"
                .to_string()
        };
        let times = |lines: &[(Duration, String)]| -> Vec<Duration> {
            lines.iter().map(|(at, _)| *at).collect()
        };
        if times(&got) == times(&expected) {
            // Each line at its time, but not the right ones: a wrong value, without a timeline.
            assert_eq!(got, expected, "{}", message());
        }
        let (recorded, should) = (
            talk(&times(&got), start.elapsed()),
            talk(&times(&expected), ms(45)),
        );
        timeline::assert_eq(&got, &expected, &recorded, Some(&should), message);
        for client in [&mut both, &mut publisher] {
            client.hang_up().await;
            let end = client
                .line_within(
                    ms(500),
                    "it hung up, but its connection stays open: is something still holding a \
                     sender of the outbox (a forwarder that was spawned and never stopped?), \
                     so that the writer task never sees the end of it?",
                )
                .await;
            assert_eq!(
                end, None,
                "client {} hung up: nothing more, then the end",
                client.id
            );
        }
        tokio::time::sleep(ms(1)).await;
        let alive = alive_tasks();
        assert_eq!(
            alive, 0,
            "every client has hung up, yet {alive} task(s) are still alive: the connection's \
             tasks (the writer, the forwarders) must end with it"
        );
    };
    watchdog(LIMIT, "the session", async {
        tokio::join!(serve(incoming, config()), clients)
    })
    .await;
}

#[tokio::test(start_paused = true)]
async fn a_client_that_reads_no_replies_is_no_longer_read_either() {
    const SENT: usize = 300;
    let (connect, incoming) = mpsc::channel(16);
    let clients = async move {
        assert!(
            OUTBOX_CAPACITY <= 64,
            "OUTBOX_CAPACITY is {OUTBOX_CAPACITY}: a queue that large for every connection is \
             unbounded in all but name; a few lines are enough to keep the writer busy"
        );
        // Client 71's connection buffers 128 bytes each way; it never reads.
        let mut flood = Client::connect(&connect, 71, 128).await;
        let mut probe = Client::connect(&connect, 72, 4096).await;
        drop(connect);
        let flooding = async {
            for i in 0..SENT {
                flood.send(&set(&format!("k{i}"), "x")).await;
            }
        };
        tokio::select! {
            () = flooding => {}
            () = tokio::time::sleep(ms(1000)) => {}
        }
        // How many of the SETs did the server carry out?
        let mut carried_out = 0;
        for i in 0..SENT {
            let reply: String = probe.request(&get(&format!("k{i}"))).await;
            if reply == "VALUE \"x\"" {
                carried_out = i + 1;
            } else {
                break;
            }
        }
        let bound = 128 / "OK\n".len() + OUTBOX_CAPACITY + 4;
        assert!(
            carried_out <= bound,
            "client 71 sent {SENT} SETs and read none of the replies; the server carried out \
             {carried_out} of them, holding their replies for a client that does not read. \
             The replies pile up in the connection's outbox: with a bounded outbox \
             (`mpsc::channel(OUTBOX_CAPACITY)`, `send(..).await`), the connection's loop \
             waits once the outbox is full and reads no more commands (backpressure): at most \
             about {bound} would have been carried out"
        );
        assert!(
            carried_out >= OUTBOX_CAPACITY,
            "the server carried out only {carried_out} of client 71's commands: the outbox \
             ({OUTBOX_CAPACITY} lines) should let the connection go on while the writer waits"
        );
        drop(flood);
        probe.hang_up().await;
        assert_eq!(probe.line_within(ms(500), "it hung up").await, None);
    };
    watchdog(LIMIT, "the session", async {
        tokio::join!(serve(incoming, config()), clients)
    })
    .await;
}

#[tokio::test(start_paused = true)]
async fn replies_are_never_dropped() {
    const REQUESTS: usize = 120;
    let (connect, incoming) = mpsc::channel(16);
    let clients = async move {
        // Client 81's connection buffers 64 bytes each way. It sends 120 requests before it
        // reads any reply, so the server's outbox fills up on the way.
        let mut late_reader = Client::connect(&connect, 81, 64).await;
        drop(connect);
        let requests: String = (0..REQUESTS).map(|i| get(&format!("nothing{i}"))).collect();
        let Client { lines, writer, .. } = &mut late_reader;
        let sending = async {
            writer.write_all(requests.as_bytes()).await.unwrap();
        };
        let reading = async {
            tokio::time::sleep(ms(100)).await;
            let mut got = 0;
            while got < REQUESTS {
                match tokio::time::timeout(ms(500), lines.next_line()).await {
                    Ok(Ok(Some(line))) if line == "NIL" => got += 1,
                    Ok(Ok(other)) => panic!("reply {got} to client 81 was {other:?}"),
                    Ok(Err(err)) => panic!("client 81 could not read: {err}"),
                    Err(_) => panic!(
                        "client 81 sent {REQUESTS} requests and read the replies late; it got \
                         {got} replies, and then no more: the others were lost. A reply must \
                         not be dropped when the outbox is full (`try_send`): \
                         `send(..).await` waits for room instead"
                    ),
                }
            }
        };
        tokio::join!(sending, reading);
        late_reader.hang_up().await;
        assert_eq!(late_reader.line_within(ms(500), "it hung up").await, None);
    };
    watchdog(LIMIT, "the session", async {
        tokio::join!(serve(incoming, config()), clients)
    })
    .await;
}

#[tokio::test(start_paused = true)]
async fn a_subscriber_that_does_not_read_lags_instead_of_costing_memory() {
    const PUBLISHED: usize = 500;
    let (connect, incoming) = mpsc::channel(16);
    let clients = async move {
        // The subscriber's connection buffers 128 bytes each way; it reads nothing for now.
        let mut slow = Client::connect(&connect, 91, 128).await;
        let mut publisher = Client::connect(&connect, 92, 1 << 16).await;
        drop(connect);
        let reply: String = slow.request(&subscribe("tide")).await;
        assert_eq!(reply, "SUBSCRIBED tide");
        for i in 0..PUBLISHED {
            let reply: String = publisher
                .request(&publish("tide", &format!("level {i}")))
                .await;
            assert_eq!(reply, "SENT 1", "the subscriber is connected");
            tokio::time::sleep(ms(1)).await;
        }
        let mut delivered = Vec::new();
        let mut missed = 0;
        let mut before_first_lag = None;
        while delivered.last() != Some(&(PUBLISHED - 1)) {
            let line = slow.line_within(ms(500), "the last message was due").await;
            let Some(line) = line else {
                panic!(
                    "the subscriber's connection was closed after {} messages",
                    delivered.len()
                )
            };
            if let Some(n) = line.strip_prefix("LAGGED tide ") {
                missed += n.parse::<usize>().expect("LAGGED <channel> <number>");
                before_first_lag.get_or_insert(delivered.len());
            } else if let Some(rest) = line.strip_prefix("MESSAGE tide \"level ") {
                delivered.push(
                    rest.trim_end_matches('"')
                        .parse::<usize>()
                        .expect("a level"),
                );
            } else {
                panic!("the subscriber got an unexpected line {line:?}");
            }
        }
        let bound =
            128 / "MESSAGE tide \"level 0\"\n".len() + OUTBOX_CAPACITY + CHANNEL_CAPACITY + 3;
        let held = before_first_lag.unwrap_or(delivered.len());
        assert!(
            held <= bound,
            "a subscriber that read nothing while {PUBLISHED} messages were published was sent \
             {held} of them before it was told it lagged: the server held them all for it, \
             in the connection's outbox. With a bounded outbox (`mpsc::channel(\
             OUTBOX_CAPACITY)`), the forwarder waits once it is full, its broadcast receiver \
             falls behind, and the subscriber is told LAGGED: what a slow subscriber costs is \
             bounded by the two queues (about {bound} messages here)"
        );
        assert_eq!(
            delivered.len() + missed,
            PUBLISHED,
            "every message is either delivered or counted in a LAGGED line"
        );
        for client in [&mut slow, &mut publisher] {
            client.hang_up().await;
            assert_eq!(client.line_within(ms(500), "it hung up").await, None);
        }
    };
    watchdog(LIMIT, "the session", async {
        tokio::join!(serve(incoming, config()), clients)
    })
    .await;
}
