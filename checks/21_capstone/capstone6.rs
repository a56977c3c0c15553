// Mistakes learners make with a graceful shutdown, and how each is caught:
// - `shutdown` ignored (the shipped code): `serve` must return after it, at a virtual time
//   compared exactly, and every client must get BYE.
// - everything aborted at once: clients must get BYE after the replies and messages due to
//   them, then the end of the stream; nobody is reported cut off.
// - waiting for the connections without a deadline: a client that does not read keeps its
//   writer busy forever; `serve` must return exactly `drain` after the shutdown, report that
//   client, and leave no task running.
// - sleeping out the whole deadline: when every connection ends at once, `serve` must
//   return at the shutdown's own virtual time.
// - connections still queued in `incoming` served, or left hanging: they must be closed at
//   the shutdown without a word.
// - returning when `incoming` closes: the server runs until `shutdown`, whatever happens to
//   `incoming`.
// - tasks detached instead of tracked: no task may be alive once `serve` has returned.
// - hard-coding: times, limits and clients are not the exercise's.

use super::{Config, Peer, Report, serve};

use std::time::Duration;

use tokio::io::{
    AsyncBufReadExt, AsyncWriteExt, BufReader, DuplexStream, Lines, ReadHalf, WriteHalf,
};
use tokio::sync::mpsc;
use tokio::time::Instant;

use asynclings_support::timeline::{self, Timeline};
use asynclings_support::watchdog;

const LIMIT: Duration = Duration::from_secs(60);

/// The server's run as it went and as it should have: `serve` from the start, the shutdown,
/// and the drain deadline after it.
fn shutdown_timelines(
    shutdown: Duration,
    drain: Duration,
    returned_at: Duration,
    due: Duration,
) -> (Timeline, Timeline) {
    let (recorded, expected) = (Timeline::new(), Timeline::new());
    for (run, end) in [(&recorded, returned_at), (&expected, due)] {
        run.span_at("serve", Duration::ZERO, end);
        run.instant_at("shutdown", shutdown);
        run.instant_at("drain deadline", shutdown + drain);
        run.end_at(end);
    }
    (recorded, expected)
}

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

fn config(max_connections: usize, drain_ms: u64) -> Config {
    Config {
        max_connections,
        request_timeout: ms(60_000),
        drain: ms(drain_ms),
    }
}

/// Runs `serve` with a shutdown at `shutdown_ms`; returns what it reported, when it returned,
/// and how many tasks were alive just after.
async fn run_server(
    incoming: mpsc::Receiver<Peer>,
    config: Config,
    shutdown_ms: u64,
) -> (Vec<u64>, Duration, usize) {
    let start = Instant::now();
    let shutdown = tokio::time::sleep_until(start + ms(shutdown_ms));
    let limit = ms(shutdown_ms) + config.drain + ms(5000);
    let report = match tokio::time::timeout(limit, serve(incoming, config, shutdown)).await {
        Ok(report) => report,
        Err(_) => panic!(
            "`serve` had not returned {:?} of virtual time after the shutdown at \
             {shutdown_ms}ms, with a drain deadline of {:?}. After the shutdown, wait for \
             the connections only until the deadline (`tokio::time::timeout_at`), then abort \
             the rest (`JoinSet::shutdown`). (If it never noticed the shutdown at all: pin \
             the future and `select!` on `&mut shutdown` while waiting for a permit and for \
             the next connection)",
            limit - ms(shutdown_ms),
            config.drain
        ),
    };
    let report: Report = report;
    let cut_off: Vec<u64> = report.cut_off;
    let returned_at = start.elapsed();
    (cut_off, returned_at, alive_tasks())
}

#[tokio::test(start_paused = true)]
async fn at_shutdown_every_client_gets_what_is_due_then_bye() {
    let (connect, incoming) = mpsc::channel(16);
    let clients = async move {
        let mut idle = Client::connect(&connect, 41, 4096).await;
        let mut listener = Client::connect(&connect, 42, 4096).await;
        let mut talker = Client::connect(&connect, 43, 4096).await;
        // The limit is 3: client 44 waits in the queue, unserved, until the shutdown.
        let mut queued = Client::connect(&connect, 44, 4096).await;
        queued.send(&get("anything")).await;
        let reply: String = listener.request(&subscribe("bells")).await;
        assert_eq!(reply, "SUBSCRIBED bells");
        tokio::time::sleep(ms(100)).await;
        let reply: String = talker.request(&publish("bells", "noon")).await;
        assert_eq!(reply, "SENT 1");
        let reply: String = talker.request(&set("hour", "12")).await;
        assert_eq!(reply, "OK");
        // The shutdown comes at 230ms.
        let mut heard = Vec::new();
        for client in [&mut idle, &mut listener, &mut talker] {
            let mut lines = Vec::new();
            loop {
                let line = client
                    .line_within(
                        ms(2000),
                        "the server was shut down at 230ms; every connection \
                     should have been told (`stop.cancel()`), said BYE and closed",
                    )
                    .await;
                let at = client.elapsed();
                match line {
                    Some(line) => lines.push((at, line)),
                    None => {
                        lines.push((at, "<closed>".to_string()));
                        break;
                    }
                }
            }
            heard.push(lines);
        }
        let expected: Vec<Vec<(Duration, String)>> = vec![
            vec![(ms(230), "BYE".into()), (ms(230), "<closed>".into())],
            vec![
                (ms(230), "MESSAGE bells \"noon\"".into()),
                (ms(230), "BYE".into()),
                (ms(230), "<closed>".into()),
            ],
            vec![(ms(230), "BYE".into()), (ms(230), "<closed>".into())],
        ];
        // (The listener's message was due at 100ms; it reads it only now, hence 230ms.)
        assert_eq!(
            heard, expected,
            "what clients 41 (idle), 42 (subscribed) and 43 heard from 100ms on, with the \
             virtual time each line was read. At the shutdown (230ms), each connection gets \
             what was already due to it, then BYE, then the end of its stream: tell them with \
             `stop.cancel()` and let them finish, rather than aborting them"
        );
        let line = queued
            .line_within(
                ms(100),
                "client 44 was still waiting in `incoming` at the shutdown",
            )
            .await;
        assert_eq!(
            (queued.elapsed(), line),
            (ms(230), None),
            "client 44 was still waiting in `incoming` when the server shut down: it must be \
             closed unserved, at once (drop `incoming`: the connections in it are dropped)"
        );
    };
    let ((cut_off, returned_at, alive), ()) = watchdog(LIMIT, "the session", async {
        tokio::join!(run_server(incoming, config(3, 800), 230), clients)
    })
    .await;
    assert_eq!(
        cut_off,
        Vec::<u64>::new(),
        "every connection finished in time: nobody was cut off"
    );
    let (recorded, expected) = shutdown_timelines(ms(230), ms(800), returned_at, ms(230));
    timeline::assert_eq(returned_at, ms(230), &recorded, Some(&expected), || {
        format!(
            "`serve` returned at {returned_at:?} of virtual time; the shutdown came at 230ms and \
             every connection finished at once, so it should return then: wait for the \
             connections, up to the deadline, rather than sleeping out the whole deadline"
        )
    });
    assert_eq!(
        alive, 0,
        "{alive} task(s) still alive after `serve` returned"
    );
}

#[tokio::test(start_paused = true)]
async fn a_client_that_does_not_read_is_cut_off_at_the_deadline() {
    let (connect, incoming) = mpsc::channel(16);
    let novel: String = (0..3000)
        .map(|i| char::from(b'a' + (i % 19) as u8))
        .collect();
    let clients = async move {
        let mut quick = Client::connect(&connect, 52, 4096).await;
        // Client 57's connection buffers 64 bytes; it asks for a long value and never reads.
        let mut stuck = Client::connect(&connect, 57, 64).await;
        let reply: String = quick.request(&set("novel", &novel)).await;
        assert_eq!(reply, "OK");
        stuck.send(&get("novel")).await;
        let line = quick
            .line_within(
                ms(2000),
                "the server was shut down at 100ms; client 52 should have been told \
                 (`stop.cancel()`), said BYE and closed",
            )
            .await;
        assert_eq!(
            (quick.elapsed(), line.as_deref()),
            (ms(100), Some("BYE")),
            "client 52"
        );
        let end = quick.line_within(ms(100), "after BYE, the end").await;
        assert_eq!(
            (quick.elapsed(), end),
            (ms(100), None),
            "client 52's connection closes"
        );
        let _ = connect;
        stuck
    };
    let ((cut_off, returned_at, alive), stuck) = watchdog(LIMIT, "the session", async {
        tokio::join!(run_server(incoming, config(8, 750), 100), clients)
    })
    .await;
    let message = || {
        "client 57 never reads, so its writer can never finish: at the drain deadline (750ms \
         after the shutdown at 100ms) its connection must be cut off, `serve` must return \
         then, and its report must name client 57 (and only it)"
            .to_owned()
    };
    let (got, want) = ((cut_off, returned_at), (vec![57], ms(850)));
    // The wrong clients cut off is a wrong value: no picture for it.
    if got.0 != want.0 {
        assert_eq!(got, want, "{}", message());
    }
    let (recorded, expected) = shutdown_timelines(ms(100), ms(750), returned_at, ms(850));
    timeline::assert_eq(got, want, &recorded, Some(&expected), message);
    assert_eq!(
        alive, 0,
        "{alive} task(s) still alive after `serve` returned: the connections cut off, with \
         their writers and forwarders, must be gone (`JoinSet::shutdown` aborts and waits; \
         tasks spawned with `tokio::spawn` are not aborted with the task that spawned them)"
    );
    drop(stuck);
}

#[tokio::test(start_paused = true)]
async fn the_server_runs_until_shutdown_even_when_incoming_closes() {
    let (connect, incoming) = mpsc::channel(16);
    let clients = async move {
        let mut only = Client::connect(&connect, 61, 4096).await;
        // No more connections will ever come.
        drop(connect);
        tokio::time::sleep(ms(300)).await;
        let _ = only.writer.write_all(get("tea").as_bytes()).await;
        let line = only.line_within(ms(100), "the server never answered").await;
        assert_eq!(
            line.as_deref(),
            Some("NIL"),
            "`incoming` was closed at 0ms (no more connections will come), but client 61's \
             connection is open and the shutdown comes only at 500ms: the server must go on \
             serving it until then"
        );
        let line = only
            .line_within(
                ms(1000),
                "the server was shut down at 500ms; client 61 should have been told \
                 (`stop.cancel()`), said BYE and closed",
            )
            .await;
        assert_eq!(
            (only.elapsed(), line.as_deref()),
            (ms(500), Some("BYE")),
            "client 61"
        );
    };
    let ((cut_off, returned_at, alive), ()) = watchdog(LIMIT, "the session", async {
        tokio::join!(run_server(incoming, config(4, 300), 500), clients)
    })
    .await;
    assert_eq!(
        (cut_off, returned_at, alive),
        (vec![], ms(500), 0),
        "`serve` (its report, when it returned, the tasks alive after): it runs until its \
         shutdown at 500ms, whatever happens to `incoming`, then returns once its one \
         connection has said BYE"
    );
}
