// Mistakes learners make with publish/subscribe over `broadcast`, and how each is caught:
// - a channel per subscriber, or a sender that is not kept (the shipped code): two
//   subscribers of one channel must both receive every message, and PUBLISH must count them.
// - a sender replaced by each new subscriber (`insert` instead of `entry`): the first
//   subscriber must still receive, and the count must be 2.
// - `Lagged` treated as the end (the shipped code): a subscriber that reads nothing while
//   200 messages are published must be told how many it missed, and keep receiving.
// - lag swallowed without a word (`Err(Lagged(_)) => continue`): the subscriber must get a
//   LAGGED line, and every message must be either delivered or counted as missed.
// - a huge channel capacity "so that no one lags": a slow subscriber must lag (the channel
//   bounds the memory a slow subscriber costs).
// - subscribers that are counted after they hung up, or tasks left behind: PUBLISH counts
//   only connected subscribers, and no task is alive after everyone has hung up.
// - hard-coding: channels, messages and timings are not the exercise's.

use super::{Peer, serve};

use std::time::Duration;

use tokio::io::{
    AsyncBufReadExt, AsyncWriteExt, BufReader, DuplexStream, Lines, ReadHalf, WriteHalf,
};
use tokio::sync::mpsc;
use tokio::time::Instant;

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

const COUNTED: &str = "two clients have subscribed to the channel, so PUBLISH must reach two \
     subscribers. Publishers and subscribers of a channel must share one `broadcast::Sender`, \
     kept in the `Db` by channel name; its `send` returns how many receivers it reached";

#[tokio::test(start_paused = true)]
async fn every_subscriber_of_a_channel_receives_every_message_in_order() {
    let (connect, incoming) = mpsc::channel(16);
    let clients = async move {
        let mut quay_a = Client::connect(&connect, 11, 4096).await;
        let mut quay_b = Client::connect(&connect, 12, 4096).await;
        let mut pier = Client::connect(&connect, 13, 4096).await;
        let mut publisher = Client::connect(&connect, 14, 4096).await;
        drop(connect);
        for (client, channel) in [
            (&mut quay_a, "quay"),
            (&mut quay_b, "quay"),
            (&mut pier, "pier"),
        ] {
            let reply: String = client.request(&subscribe(channel)).await;
            assert_eq!(
                reply,
                format!("SUBSCRIBED {channel}"),
                "client {}",
                client.id
            );
        }
        let plan: [(u64, &str, &str, &str); 6] = [
            (0, "quay", "ferry in", "SENT 2"),
            (15, "pier", "crab boat", "SENT 1"),
            (15, "quay", "two words\nand a line", "SENT 2"),
            (41, "nowhere", "anyone?", "SENT 0"),
            (58, "quay", "", "SENT 2"),
            (93, "quay", "ferry out", "SENT 2"),
        ];
        let start = Instant::now();
        let publishing = async {
            for (at, channel, message, expected) in plan {
                tokio::time::sleep_until(start + ms(at)).await;
                let reply: String = publisher.request(&publish(channel, message)).await;
                assert_eq!(
                    reply, expected,
                    "PUBLISH {channel} {message:?}: the reply counts the subscribers it \
                     reached (two on quay, one on pier, none on nowhere). Publishers and \
                     subscribers of a channel must share one `broadcast::Sender`, kept in the \
                     `Db` by channel name"
                );
            }
        };
        async fn receive(client: &mut Client, n: usize, start: Instant) -> Vec<(Duration, String)> {
            let mut got = Vec::new();
            for _ in 0..n {
                let line = client.line_within(ms(1000), "a message was due").await;
                let Some(line) = line else {
                    panic!(
                        "the server closed subscriber {}'s connection after {} of its {n} \
                         messages ({got:?}), though the client had not hung up: its receiver \
                         found the channel closed, or the subscription ended for another \
                         reason. The channel's sender must live on in the `Db` for every \
                         subscriber and publisher to share",
                        client.id,
                        got.len()
                    )
                };
                got.push((start.elapsed(), line));
            }
            got
        }
        let ((), got_a, got_b, got_pier) = tokio::join!(
            publishing,
            receive(&mut quay_a, 4, start),
            receive(&mut quay_b, 4, start),
            receive(&mut pier, 1, start),
        );
        let quay: Vec<(Duration, String)> = [0u64, 15, 58, 93]
            .iter()
            .zip(["ferry in", "two words\nand a line", "", "ferry out"])
            .map(|(at, m)| (ms(*at), format!("MESSAGE quay {m:?}")))
            .collect();
        for (id, got) in [(11, got_a), (12, got_b)] {
            assert_eq!(
                got, quay,
                "what subscriber {id} of quay received, and when (virtual time): every \
                 subscriber of a channel receives every message, in order, when it is published"
            );
        }
        let pier_expected = vec![(ms(15), "MESSAGE pier \"crab boat\"".to_string())];
        assert_eq!(got_pier, pier_expected, "the only message on pier");
        for client in [&mut quay_a, &mut quay_b, &mut pier, &mut publisher] {
            client.hang_up().await;
            let rest = client
                .line_within(ms(500), "it hung up; the server should close")
                .await;
            assert_eq!(
                rest, None,
                "client {}: nothing more, then the end",
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
async fn a_subscriber_that_hangs_up_is_no_longer_counted() {
    let (connect, incoming) = mpsc::channel(16);
    let clients = async move {
        let mut leaving = Client::connect(&connect, 21, 4096).await;
        let mut staying = Client::connect(&connect, 22, 4096).await;
        let mut publisher = Client::connect(&connect, 23, 4096).await;
        drop(connect);
        for client in [&mut leaving, &mut staying] {
            let reply: String = client.request(&subscribe("lighthouse")).await;
            assert_eq!(reply, "SUBSCRIBED lighthouse");
        }
        let reply: String = publisher.request(&publish("lighthouse", "beam on")).await;
        assert_eq!(reply, "SENT 2", "{COUNTED}");
        leaving.hang_up().await;
        let line: String = leaving.line().await;
        assert_eq!(line, "MESSAGE lighthouse \"beam on\"");
        assert_eq!(leaving.line_within(ms(500), "it hung up").await, None);
        tokio::time::sleep(ms(5)).await;
        let reply: String = publisher.request(&publish("lighthouse", "beam off")).await;
        assert_eq!(
            reply, "SENT 1",
            "one of the two subscribers hung up, so the message reached one: its receiver \
             must be gone with its connection"
        );
        let lines: Vec<String> = vec![staying.line().await, staying.line().await];
        assert_eq!(
            lines,
            [
                "MESSAGE lighthouse \"beam on\"",
                "MESSAGE lighthouse \"beam off\""
            ]
        );
        staying.hang_up().await;
        publisher.hang_up().await;
        assert_eq!(staying.line_within(ms(500), "it hung up").await, None);
        assert_eq!(publisher.line_within(ms(500), "it hung up").await, None);
        tokio::time::sleep(ms(1)).await;
        let alive = alive_tasks();
        assert_eq!(
            alive, 0,
            "everyone has hung up, yet {alive} task(s) are still alive"
        );
    };
    watchdog(LIMIT, "the session", async {
        tokio::join!(serve(incoming), clients)
    })
    .await;
}

#[tokio::test(start_paused = true)]
async fn a_slow_subscriber_is_told_how_many_it_missed_and_keeps_going() {
    const PUBLISHED: usize = 200;
    let (connect, incoming) = mpsc::channel(16);
    let clients = async move {
        // The slow subscriber's connection buffers 256 bytes; it reads nothing for a second.
        let mut slow = Client::connect(&connect, 31, 256).await;
        let mut fast = Client::connect(&connect, 32, 1 << 16).await;
        let mut publisher = Client::connect(&connect, 33, 1 << 16).await;
        drop(connect);
        for client in [&mut slow, &mut fast] {
            let reply: String = client.request(&subscribe("tide")).await;
            assert_eq!(reply, "SUBSCRIBED tide");
        }
        for i in 0..PUBLISHED {
            let reply: String = publisher
                .request(&publish("tide", &format!("level {i}")))
                .await;
            assert_eq!(reply, "SENT 2", "{COUNTED}");
            tokio::time::sleep(ms(1)).await;
        }
        for i in 0..PUBLISHED {
            let line: String = fast.line().await;
            assert_eq!(
                line,
                format!("MESSAGE tide \"level {i}\""),
                "the fast subscriber"
            );
        }
        tokio::time::sleep(ms(1000)).await;
        // The slow subscriber reads everything it was sent so far.
        let mut delivered = Vec::new();
        let mut missed = 0;
        let mut lagged_lines = 0;
        while delivered.last() != Some(&(PUBLISHED - 1)) {
            let line = slow
                .line_within(
                    ms(500),
                    "it has not received the last message yet; after a LAGGED line the \
                     subscription goes on with the oldest message still in the channel",
                )
                .await;
            let Some(line) = line else {
                panic!(
                    "the server closed the slow subscriber's connection after it had received \
                     {} message(s) and {lagged_lines} LAGGED line(s). A receiver that fell \
                     behind gets `Err(RecvError::Lagged(n))` from `recv`: not the end of the \
                     channel, but the news that n messages were lost. Tell the client \
                     (LAGGED tide n) and keep receiving",
                    delivered.len()
                )
            };
            if let Some(n) = line.strip_prefix("LAGGED tide ") {
                missed += n.parse::<usize>().expect("LAGGED <channel> <number>");
                lagged_lines += 1;
            } else if let Some(rest) = line.strip_prefix("MESSAGE tide \"level ") {
                let i: usize = rest.trim_end_matches('"').parse().expect("a level");
                assert!(
                    delivered.last().is_none_or(|last| i > *last),
                    "message {i} came after message {:?}: out of order",
                    delivered.last()
                );
                delivered.push(i);
            } else {
                panic!("the slow subscriber got an unexpected line {line:?}");
            }
        }
        assert!(
            lagged_lines > 0 || delivered.len() < PUBLISHED,
            "a subscriber that read nothing while {PUBLISHED} messages were published received \
             all of them: something held every message for it. A broadcast channel of \
             CHANNEL_CAPACITY messages bounds what a slow subscriber costs (do not make it \
             huge); when the subscriber falls behind, `recv` says how many it missed, and the \
             server must send LAGGED tide <n>"
        );
        assert!(
            lagged_lines > 0,
            "the slow subscriber received {} of the {PUBLISHED} messages and was never told \
             that it missed the others: on `Err(RecvError::Lagged(n))`, send the client \
             LAGGED tide <n> before going on",
            delivered.len()
        );
        assert_eq!(
            delivered.len() + missed,
            PUBLISHED,
            "the slow subscriber received {} message(s) and was told it missed {missed}: every \
             message is either delivered or counted in a LAGGED line",
            delivered.len()
        );
        // And it keeps going.
        let reply: String = publisher.request(&publish("tide", "turning")).await;
        assert_eq!(reply, "SENT 2");
        let line: String = slow.line().await;
        assert_eq!(
            line, "MESSAGE tide \"turning\"",
            "a subscriber that lagged keeps receiving"
        );
        let line: String = fast.line().await;
        assert_eq!(line, "MESSAGE tide \"turning\"");
        for client in [&mut slow, &mut fast, &mut publisher] {
            client.hang_up().await;
            assert_eq!(client.line_within(ms(500), "it hung up").await, None);
        }
    };
    watchdog(LIMIT, "the session", async {
        tokio::join!(serve(incoming), clients)
    })
    .await;
}
