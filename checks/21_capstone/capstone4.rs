// Mistakes learners make when limiting connections and requests, and how each is caught:
// - no limit, or a permit dropped in `serve`'s loop instead of moved into the task: with a
//   limit of 3, the fourth and fifth clients must be served exactly when the first ones
//   leave (virtual times compared), not at once.
// - connections over the limit rejected (`try_acquire`) instead of waiting: they must be
//   served later, not closed.
// - the permit acquired inside the spawned task: thirty clients queue at a limit of 2; only
//   two tasks may be alive (a waiting connection costs no task).
// - one timeout around the whole connection: a client that sends a command every 500ms
//   with a 730ms timeout must never be cut off, and a subscriber must wait as long as it
//   likes.
// - no timeout, or a timeout that does not close: a silent client gets `ERR timeout` and
//   the end of its stream exactly `request_timeout` after its last reply, and its slot goes
//   to the next client at that moment.
// - a slot not given back after an error: a client that sends garbage frees its slot.
// - hard-coding: limits, timeouts and clients are not the exercise's.

use super::{Config, Peer, serve};

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

fn config(max_connections: usize, request_timeout_ms: u64) -> Config {
    Config {
        max_connections,
        request_timeout: ms(request_timeout_ms),
    }
}

/// Five clients of a server limited to 3: each from when it was served until it hung up
/// (clients 2 and 1 at 70 and 130ms; the others stay), and the number served at once.
fn five_clients(fourth: Duration, fifth: Duration) -> Timeline {
    let run = Timeline::new();
    let end = fourth.max(fifth).max(ms(130));
    let served = [
        (ms(0), Some(ms(130))),
        (ms(0), Some(ms(70))),
        (ms(0), None),
        (fourth, None),
        (fifth, None),
    ];
    let mut changes: Vec<(Duration, i32)> = Vec::new();
    for (id, &(from, to)) in served.iter().enumerate() {
        let label = format!("client {}", id + 1);
        match to {
            Some(to) => run.span_at(&label, from, to),
            None => run.open_span_at(&label, from),
        }
        changes.push((from, 1));
        changes.extend(to.map(|to| (to, -1)));
    }
    changes.sort();
    let mut count = 0;
    for (i, &(at, change)) in changes.iter().enumerate() {
        count += change;
        if changes.get(i + 1).is_none_or(|next| next.0 != at) {
            run.count_at("served", Some(3), at, count as usize);
        }
    }
    run.end_at(end);
    run
}

/// Reads a client's next line; `None` if the server closed the connection.
async fn next(client: &mut Client, within_ms: u64, why: &str) -> (Duration, Option<String>) {
    let line = client.line_within(ms(within_ms), why).await;
    (client.elapsed(), line)
}

#[tokio::test(start_paused = true)]
async fn at_most_the_limit_is_served_and_the_others_wait_their_turn() {
    let (connect, incoming) = mpsc::channel(64);
    let clients = async move {
        let mut c = Vec::new();
        for id in 1..=5 {
            let mut client = Client::connect(&connect, id, 4096).await;
            client.send(&get(&format!("locker{id}"))).await;
            c.push(client);
        }
        drop(connect);
        let mut served = Vec::new();
        for client in &mut c[..3] {
            served.push(next(client, 100, "the server never answered").await);
        }
        assert_eq!(
            served,
            vec![(ms(0), Some("NIL".to_string())); 3],
            "the first three clients (the limit is 3) are served at once"
        );
        let [first, second, _, fourth, fifth] = &mut c[..] else {
            unreachable!()
        };
        let leaving = async {
            tokio::time::sleep(ms(70)).await;
            second.hang_up().await;
            tokio::time::sleep(ms(60)).await;
            first.hang_up().await;
        };
        let why = "it is waiting for a free slot, which never came";
        let ((), four, five) =
            tokio::join!(leaving, next(fourth, 1000, why), next(fifth, 1000, why));
        let recorded = five_clients(four.0, five.0);
        let expected = five_clients(ms(70), ms(130));
        for (id, (at, line), due) in [(4, four, 70), (5, five, 130)] {
            let Some(line) = line else {
                panic!(
                    "client {id}'s connection was closed without an answer. A connection over \
                     the limit waits in `incoming` for a free slot (`acquire_owned().await` \
                     before taking it), rather than being turned away"
                )
            };
            assert_eq!(line, "NIL", "client {id}'s GET");
            timeline::assert(at == ms(due), &recorded, Some(&expected), || {
                format!(
                    "client {id} was served at {at:?} of virtual time; with a limit of 3 \
                 connections it must wait until a slot is free: clients 2 and 1 hang up at 70ms \
                 and 130ms, so clients 4 and 5 are served then. {}",
                    if at < ms(due) {
                        "It was served too early: nothing held it back. Limit the connections with \
                     a `Semaphore` whose permit is held as long as the connection is served: \
                     `acquire_owned` it in `serve` and move it into the connection's task (a \
                     permit dropped in the loop frees its slot at once)"
                    } else {
                        "It was served late: a slot must go to the next connection as soon as the \
                     permit is dropped"
                    }
                )
            });
        }
    };
    watchdog(LIMIT, "the session", async {
        tokio::join!(serve(incoming, config(3, 60_000)), clients)
    })
    .await;
}

#[tokio::test(start_paused = true)]
async fn connections_waiting_for_a_slot_cost_no_task() {
    let (connect, incoming) = mpsc::channel(64);
    let clients = async move {
        let mut c = Vec::new();
        for id in 100..130 {
            c.push(Client::connect(&connect, id, 1024).await);
        }
        drop(connect);
        tokio::time::sleep(ms(5)).await;
        let alive = alive_tasks();
        assert_eq!(
            alive, 2,
            "thirty clients are connected and the limit is 2, so two connection tasks should \
             be alive, but {alive} are. A connection waiting for a slot should wait in \
             `incoming`, costing nothing: take a permit in `serve` before taking the next \
             connection (not inside a task spawned for it), so that connections over the \
             limit are not taken at all"
        );
        for client in &mut c {
            client.hang_up().await;
        }
        for client in &mut c {
            let (_, line) = next(client, 1000, "it hung up; the server should close").await;
            assert_eq!(
                line, None,
                "client {} hung up: nothing more, then the end",
                client.id
            );
        }
        tokio::time::sleep(ms(1)).await;
        assert_eq!(
            alive_tasks(),
            0,
            "every client has hung up: no task should be left"
        );
    };
    watchdog(LIMIT, "the session", async {
        tokio::join!(serve(incoming, config(2, 60_000)), clients)
    })
    .await;
}

#[tokio::test(start_paused = true)]
async fn a_silent_client_is_timed_out_and_its_slot_goes_to_the_next() {
    let (connect, incoming) = mpsc::channel(64);
    let clients = async move {
        let mut silent = Client::connect(&connect, 7, 4096).await;
        let mut waiting = Client::connect(&connect, 8, 4096).await;
        drop(connect);
        waiting.send(&get("shelf")).await;
        tokio::time::sleep(ms(100)).await;
        let reply: String = silent.request(&set("shelf", "books")).await;
        assert_eq!(reply, "OK");
        let why = "client 7 has sent nothing for longer than the request timeout (730ms), so \
                   the server should have sent it ERR timeout and closed its connection: give \
                   each wait for a command its own `tokio::time::timeout`";
        let ((at7, line7), (at8, line8)) =
            tokio::join!(next(&mut silent, 5000, why), next(&mut waiting, 5000, why));
        assert_eq!(
            (at7, line7.as_deref()),
            (ms(830), Some("ERR timeout")),
            "client 7 got its last reply at 100ms and then fell silent; with a request \
             timeout of 730ms it must get ERR timeout at 830ms of virtual time. Give each wait \
             for a command its own `tokio::time::timeout`"
        );
        let (at, end) = next(&mut silent, 100, "after ERR timeout the server closes").await;
        assert_eq!(
            (at, end),
            (ms(830), None),
            "client 7's connection closes after ERR timeout"
        );
        assert_eq!(
            (at8, line8.as_deref()),
            (ms(830), Some("VALUE \"books\"")),
            "the limit is 1: client 8 waits until client 7's connection ends (timed out at \
             830ms), and is served at that moment"
        );
        // A client that sends garbage is closed, and frees its slot at once too.
        waiting.send("FLY me to the moon\n").await;
        let (_, line) = next(&mut waiting, 100, "an unknown command gets an ERR").await;
        assert!(
            line.is_some_and(|l| l.starts_with("ERR ")),
            "an unknown command gets an ERR"
        );
    };
    watchdog(LIMIT, "the session", async {
        tokio::join!(serve(incoming, config(1, 730)), clients)
    })
    .await;
}

#[tokio::test(start_paused = true)]
async fn busy_clients_and_subscribers_are_never_timed_out() {
    let (connect, incoming) = mpsc::channel(64);
    let clients = async move {
        let mut busy = Client::connect(&connect, 51, 4096).await;
        let mut listener = Client::connect(&connect, 52, 4096).await;
        let mut idle = Client::connect(&connect, 53, 4096).await;
        drop(connect);
        let reply: String = listener.request(&subscribe("weather")).await;
        assert_eq!(reply, "SUBSCRIBED weather");
        for i in 0..8 {
            tokio::time::sleep(ms(500)).await;
            // (Sent without a fuss if the server has closed: the reply tells.)
            let _ = busy
                .writer
                .write_all(set("count", &i.to_string()).as_bytes())
                .await;
            let (at, reply) = next(&mut busy, 100, "the server never answered").await;
            assert_eq!(
                reply.as_deref(),
                Some("OK"),
                "client 51 sends a command every 500ms, well within the 730ms request \
                 timeout, yet after {at:?} of virtual time it got {reply:?}. The timeout is \
                 for each command, counted from the previous reply: not one timeout around the \
                 whole connection"
            );
        }
        // The subscriber has waited 4s without a command; it still receives.
        let reply: String = busy.request(&publish("weather", "fog")).await;
        assert_eq!(
            reply, "SENT 1",
            "the subscriber is still connected after 4s"
        );
        let line = listener
            .line_within(ms(100), "a message was published")
            .await;
        assert_eq!(
            line.as_deref(),
            Some("MESSAGE weather \"fog\""),
            "a subscriber waits for messages, not commands: no request timeout applies to it"
        );
        for client in [&mut busy, &mut listener] {
            client.hang_up().await;
            assert_eq!(client.line_within(ms(100), "it hung up").await, None);
        }
        let (_, line) = next(
            &mut idle,
            100,
            "client 53 has said nothing since it was served, 4s ago; after the request \
             timeout (730ms) it should have got ERR timeout",
        )
        .await;
        assert_eq!(
            line.as_deref(),
            Some("ERR timeout"),
            "client 53 never spoke"
        );
    };
    watchdog(LIMIT, "the session", async {
        tokio::join!(serve(incoming, config(3, 730)), clients)
    })
    .await;
}
