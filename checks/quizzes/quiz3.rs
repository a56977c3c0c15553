// Mistakes learners make on the chat broker, and how each is caught:
// - one connection served at a time, or one loop writing to everyone: a slow reader must hold
//   up no one (times of each line compared exactly).
// - echoing to the sender only, or skipping the sender: what each client heard is compared.
// - shutdown ignored by a client task still waiting for a nickname: the broker must return.
// - tasks aborted (or detached) at shutdown instead of saying goodbye and being waited for:
//   the farewell must follow every message due, and no task may be left alive.
// - the farewell before queued messages: compared exactly.
// - stopping when `incoming` closes: the rules say the broker runs until shutdown whatever
//   happens to `incoming`; a check closes it early while clients are still talking.
// - hard-coding: nicknames, lines and times are not the exercise's; the farewell line is the
//   one the rules give, written here, not read from the learner's file.

use super::run_broker;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use asynclings_support::timeline::{self, Timeline};
use tokio::io::{AsyncReadExt, AsyncWriteExt, DuplexStream, ReadHalf, WriteHalf};
use tokio::sync::mpsc;
use tokio::time::{Instant, sleep_until};
use tokio_util::sync::CancellationToken;

/// The line every client receives at shutdown, as the rules give it.
const FAREWELL: &str = "* server shutting down\n";

/// How long after the shutdown the checks wait for the broker and the connections to end.
const GRACE: Duration = Duration::from_secs(1);

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn alive_tasks() -> usize {
    tokio::runtime::Handle::current()
        .metrics()
        .num_alive_tasks()
}

/// What a client of the checks does at a given time.
enum Act {
    /// Connects: its connection goes to the broker, and it sends its nickname (unless it is
    /// shy: then it connects and says nothing at all).
    Connect { shy: bool },
    /// Writes these bytes (one or more lines, or part of one).
    Write(&'static str),
    /// Ends its stream: the broker reads end of file from it.
    HangUp,
    /// Drops the sender of `incoming` (no more connections will ever come); `who` is ignored.
    CloseIncoming,
}

struct Step {
    at_ms: u64,
    who: usize,
    act: Act,
}

fn at(at_ms: u64, who: usize, act: Act) -> Step {
    Step { at_ms, who, act }
}

/// What one client heard, and when.
#[derive(Default, Clone)]
struct Heard {
    text: String,
    /// Each complete line, with the virtual time it was read at.
    lines: Vec<(Duration, String)>,
    closed_at: Option<Duration>,
}

struct Session {
    heard: Vec<Heard>,
    /// When each client connected (by the script), if it did.
    connected_at: Vec<Option<Duration>>,
    shutdown_at: Duration,
    broker_returned_at: Option<Duration>,
    /// Tasks alive at the moment `run_broker` returned.
    alive_at_return: usize,
    alive_after: usize,
}

/// A client of the checks. It starts reading at `reads_from_ms` (a slow reader starts late),
/// and its connection buffers `buffer` bytes each way.
struct Client {
    nick: &'static str,
    buffer: usize,
    reads_from_ms: u64,
}

fn client(nick: &'static str) -> Client {
    Client {
        nick,
        buffer: 4096,
        reads_from_ms: 0,
    }
}

/// Reads everything the broker sends to one client, until the connection closes.
async fn listen(
    mut reader: ReadHalf<DuplexStream>,
    heard: Arc<Mutex<Heard>>,
    start: Instant,
    reads_from: Duration,
) {
    sleep_until(start + reads_from).await;
    let mut buf = [0u8; 512];
    loop {
        match reader.read(&mut buf).await {
            Ok(0) | Err(_) => {
                heard.lock().unwrap().closed_at = Some(start.elapsed());
                return;
            }
            Ok(n) => {
                let mut heard = heard.lock().unwrap();
                heard.text.push_str(&String::from_utf8_lossy(&buf[..n]));
                let complete: usize = heard.lines.iter().map(|(_, l)| l.len() + 1).sum();
                let rest = heard.text[complete..].to_string();
                for line in rest.split_inclusive('\n').filter(|l| l.ends_with('\n')) {
                    let line = line.trim_end_matches('\n').to_string();
                    heard.lines.push((start.elapsed(), line));
                }
            }
        }
    }
}

/// Runs `run_broker` with clients that follow `script`, cancels the shutdown token at
/// `shutdown_ms`, and reports what each client heard.
async fn session(clients: &[Client], script: Vec<Step>, shutdown_ms: u64) -> Session {
    let start = Instant::now();
    let mut connected_at = vec![None; clients.len()];
    for step in &script {
        if let Act::Connect { .. } = step.act {
            connected_at[step.who] = Some(ms(step.at_ms));
        }
    }
    let (connect, incoming) = mpsc::channel(64);
    let shutdown = CancellationToken::new();

    let mut server_ends = Vec::new();
    let mut writers: Vec<Option<WriteHalf<DuplexStream>>> = Vec::new();
    let mut heard = Vec::new();
    let mut listeners = Vec::new();
    for client in clients {
        let (client_end, server_end) = tokio::io::duplex(client.buffer);
        let (reader, writer) = tokio::io::split(client_end);
        server_ends.push(Some(server_end));
        writers.push(Some(writer));
        let h = Arc::new(Mutex::new(Heard::default()));
        listeners.push(listen(
            reader,
            Arc::clone(&h),
            start,
            ms(client.reads_from_ms),
        ));
        heard.push(h);
    }

    let returned = Arc::new(Mutex::new(None));
    let broker = {
        let returned = Arc::clone(&returned);
        let shutdown = shutdown.clone();
        async move {
            run_broker(incoming, shutdown).await;
            *returned.lock().unwrap() = Some((start.elapsed(), alive_tasks()));
        }
    };
    let script = async {
        let mut connect = Some(connect);
        for step in script {
            sleep_until(start + ms(step.at_ms)).await;
            if let Act::CloseIncoming = step.act {
                connect = None;
                continue;
            }
            let writer = writers[step.who].as_mut().expect("a client that hung up");
            match step.act {
                Act::CloseIncoming => unreachable!(),
                Act::Connect { shy } => {
                    let server_end = server_ends[step.who].take().unwrap();
                    connect
                        .as_ref()
                        .expect("a connection after `incoming` was closed")
                        .send(server_end)
                        .await
                        .expect("run_broker dropped `incoming`");
                    if !shy {
                        let nick = format!("{}\n", clients[step.who].nick);
                        writer.write_all(nick.as_bytes()).await.unwrap();
                    }
                }
                Act::Write(bytes) => writer.write_all(bytes.as_bytes()).await.unwrap(),
                Act::HangUp => {
                    writer.shutdown().await.unwrap();
                    writers[step.who] = None;
                }
            }
        }
        sleep_until(start + ms(shutdown_ms)).await;
        shutdown.cancel();
        // The clients that did not hang up keep their side open: the broker must end the
        // connections itself.
        writers
    };
    let everything = async {
        tokio::join!(broker, script, futures::future::join_all(listeners));
    };
    let _ = tokio::time::timeout(ms(shutdown_ms) + GRACE, everything).await;
    let returned = *returned.lock().unwrap();
    Session {
        heard: heard.iter().map(|h| h.lock().unwrap().clone()).collect(),
        connected_at,
        shutdown_at: ms(shutdown_ms),
        broker_returned_at: returned.map(|(at, _)| at),
        alive_at_return: returned.map_or(0, |(_, alive)| alive),
        alive_after: alive_tasks(),
    }
}

/// The session as it ran: each client's connection (from connecting to its close), the
/// shutdown and `run_broker`.
fn connections(session: &Session, clients: &[Client]) -> Timeline {
    let recorded = Timeline::new();
    for ((client, heard), connected) in clients
        .iter()
        .zip(&session.heard)
        .zip(&session.connected_at)
    {
        if let Some(from) = *connected {
            match heard.closed_at {
                Some(closed) => recorded.span_at(client.nick, from, closed),
                None => recorded.open_span_at(client.nick, from),
            }
        }
    }
    recorded.instant_at("shutdown", session.shutdown_at);
    match session.broker_returned_at {
        Some(at) => recorded.span_at("run_broker", Duration::ZERO, at),
        None => recorded.open_span_at("run_broker", Duration::ZERO),
    }
    if session.broker_returned_at.is_none() {
        recorded.end_at(session.shutdown_at + GRACE);
    }
    recorded
}

/// The session as it should run: each connection closed at `closed` (ms), the broker
/// returning at `done`.
fn expected_connections(
    session: &Session,
    clients: &[Client],
    closed: &[u64],
    done: u64,
) -> Timeline {
    let expected = Timeline::new();
    for ((client, &closed), connected) in clients.iter().zip(closed).zip(&session.connected_at) {
        if let Some(from) = *connected {
            expected.span_at(client.nick, from, ms(closed));
        }
    }
    expected.instant_at("shutdown", session.shutdown_at);
    expected.span_at("run_broker", Duration::ZERO, ms(done));
    expected
}

fn diagnose(nick: &str, got: &str, expected: &str) -> String {
    let own = format!("{nick}: ");
    let got_lines: Vec<&str> = got.lines().collect();
    let expected_lines: Vec<&str> = expected.lines().collect();
    if format!("{got}{FAREWELL}") == expected {
        "everything but the farewell: at shutdown, every client gets FAREWELL, then the end of \
         its stream (a client still waiting to send its nickname is connected too)"
            .to_string()
    } else if got.is_empty() {
        format!(
            "{nick} heard nothing at all: is its connection served while the others are? Each \
             client needs a task of its own"
        )
    } else if got.starts_with(expected) {
        format!(
            "{nick} went on hearing after it hung up: a client whose stream has ended is \
             forgotten at once, and its connection dropped"
        )
    } else if got_lines
        .iter()
        .all(|line| line.starts_with(&own) || *line == FAREWELL.trim_end())
        && expected_lines
            .iter()
            .any(|line| !line.starts_with(&own) && *line != FAREWELL.trim_end())
    {
        format!(
            "{nick} heard only its own messages: every message goes to every client (one \
             `broadcast` channel, and a receiver in every client's task)"
        )
    } else if got.ends_with(FAREWELL)
        && got_lines.len() < expected_lines.len()
        && got_lines.iter().all(|line| expected_lines.contains(line))
    {
        "some messages sent before the shutdown never arrived before the farewell: at \
         shutdown, first write the messages still waiting in this client's receiver \
         (`try_recv`), then the farewell"
            .to_string()
    } else {
        "the messages must arrive in the order they were sent, each as the line \
         \"<nickname>: <message>\", and nothing else"
            .to_string()
    }
}

fn assert_heard(session: &Session, clients: &[Client], expected: &[&str]) {
    for ((client, heard), expected) in clients.iter().zip(&session.heard).zip(expected) {
        let nick = client.nick;
        assert!(
            heard.text == *expected,
            "client {nick} heard {:?}; expected {expected:?}: {}",
            heard.text,
            diagnose(nick, &heard.text, expected)
        );
    }
}

fn assert_closed_at(session: &Session, clients: &[Client], closes: &[u64]) {
    // The broker is done when the last connection is.
    let done = closes
        .iter()
        .copied()
        .max()
        .unwrap_or(0)
        .max(session.shutdown_at.as_millis() as u64);
    for ((client, heard), &when) in clients.iter().zip(&session.heard).zip(closes) {
        let nick = client.nick;
        match heard.closed_at {
            None => panic!(
                "client {nick}'s connection was still open {GRACE:?} after the shutdown: after \
                 the farewell, end the stream (`shutdown()` the writer, or drop the connection)"
            ),
            Some(closed_at) => timeline::assert_eq(
                closed_at,
                ms(when),
                &connections(session, clients),
                Some(&expected_connections(session, clients, closes, done)),
                || {
                    format!(
                        "client {nick}'s connection was closed at {closed_at:?} of virtual \
                         time; expected {when}ms ({})",
                        if when == 0 {
                            "at once"
                        } else {
                            "when it hung up, or else at the shutdown"
                        }
                    )
                },
            ),
        }
    }
}

/// Checks that `run_broker` returned at `done_ms` (the shutdown came at `shutdown_ms`), with
/// none of its tasks left.
fn assert_clean_end(session: &Session, clients: &[Client], shutdown_ms: u64, done_ms: u64) {
    // Every connection still open at the shutdown closes when the broker is done.
    let closes: Vec<u64> = session
        .heard
        .iter()
        .map(|heard| match heard.closed_at {
            Some(at) if at < ms(shutdown_ms) => at.as_millis() as u64,
            _ => done_ms,
        })
        .collect();
    let recorded = connections(session, clients);
    let expected = expected_connections(session, clients, &closes, done_ms);
    let Some(at) = session.broker_returned_at else {
        timeline::fail(
            format_args!(
                "run_broker had not returned {GRACE:?} after `shutdown` was cancelled: it must stop \
             taking connections, tell every client task to stop (including one still waiting \
             for a nickname), and wait for them. A `select!` on `shutdown.cancelled()` ends \
             each loop"
            ),
            &recorded,
            Some(&expected),
        )
    };
    assert_eq!(
        session.alive_at_return, 0,
        "run_broker returned at {at:?} of virtual time while {} task(s) it started were still \
         running: a client task still busy (writing to a slow client, or saying goodbye) is \
         part of the shutdown. Track the tasks (a `TaskTracker` or a `JoinSet`) and wait for \
         all of them before returning",
        session.alive_at_return
    );
    timeline::assert(at >= ms(shutdown_ms), &recorded, Some(&expected), || {
        format!(
            "run_broker returned at {at:?} of virtual time, before the shutdown at \
             {shutdown_ms}ms. Did it stop when `incoming` closed (`while let Some(..) = \
             incoming.recv().await`)? The rules say it runs until shutdown, whatever happens to \
             `incoming`: the clients already connected are still being served. When `recv()` \
             gives `None`, stop taking connections (an `if` precondition on that branch) and \
             keep waiting for the shutdown"
        )
    });
    timeline::assert_eq(at, ms(done_ms), &recorded, Some(&expected), || {
        format!(
            "run_broker returned at {at:?} of virtual time; the shutdown came at \
             {shutdown_ms}ms and every client had its farewell by {done_ms}ms: it should run \
             until then, and return at once"
        )
    });
    assert_eq!(
        session.alive_after, 0,
        "{} task(s) were still running after run_broker returned: wait for every task it \
         started (a `TaskTracker` or a `JoinSet`) before returning",
        session.alive_after
    );
}

#[tokio::test(start_paused = true)]
async fn every_message_reaches_every_client_in_the_same_order() {
    let clients = [client("mireille"), client("tomasz"), client("yuki")];
    let script = vec![
        at(0, 0, Act::Connect { shy: false }),
        at(0, 1, Act::Connect { shy: false }),
        at(0, 2, Act::Connect { shy: false }),
        at(10, 0, Act::Write("hello\n")),
        at(20, 1, Act::Write("hi mireille\n")),
        // Yuki, quiet until now, sends two lines at once.
        at(30, 2, Act::Write("yo\nsecond line\n")),
        // Mireille's next line arrives in two pieces.
        at(40, 0, Act::Write("a split ")),
        at(45, 0, Act::Write("message\n")),
    ];
    let session = session(&clients, script, 100).await;
    let all = "mireille: hello\ntomasz: hi mireille\nyuki: yo\nyuki: second line\nmireille: a \
               split message\n* server shutting down\n";
    assert_heard(&session, &clients, &[all, all, all]);
    assert_closed_at(&session, &clients, &[100, 100, 100]);
    assert_clean_end(&session, &clients, 100, 100);
}

#[tokio::test(start_paused = true)]
async fn a_client_that_hangs_up_is_forgotten() {
    let clients = [client("aiko"), client("bram"), client("chidi")];
    let script = vec![
        at(0, 0, Act::Connect { shy: false }),
        at(0, 1, Act::Connect { shy: false }),
        at(0, 2, Act::Connect { shy: false }),
        at(10, 1, Act::Write("hello, and goodbye\n")),
        at(20, 1, Act::HangUp),
        at(30, 0, Act::Write("anyone left?\n")),
        at(40, 2, Act::Write("me\n")),
    ];
    let session = session(&clients, script, 80).await;
    let stayed =
        "bram: hello, and goodbye\naiko: anyone left?\nchidi: me\n* server shutting down\n";
    assert_heard(
        &session,
        &clients,
        &[stayed, "bram: hello, and goodbye\n", stayed],
    );
    assert_closed_at(&session, &clients, &[80, 20, 80]);
    assert_clean_end(&session, &clients, 80, 80);
}

#[tokio::test(start_paused = true)]
async fn a_client_that_joins_later_hears_what_follows() {
    let clients = [client("ola"), client("pim"), client("quinn")];
    let script = vec![
        at(0, 0, Act::Connect { shy: false }),
        at(0, 1, Act::Connect { shy: false }),
        at(10, 0, Act::Write("before\n")),
        at(50, 2, Act::Connect { shy: false }),
        at(60, 1, Act::Write("after\n")),
        at(70, 2, Act::Write("hi\n")),
    ];
    let session = session(&clients, script, 90).await;
    let early = "ola: before\npim: after\nquinn: hi\n* server shutting down\n";
    let late = "pim: after\nquinn: hi\n* server shutting down\n";
    assert_heard(&session, &clients, &[early, early, late]);
    assert_closed_at(&session, &clients, &[90, 90, 90]);
    assert_clean_end(&session, &clients, 90, 90);
}

#[tokio::test(start_paused = true)]
async fn shutdown_reaches_even_a_client_that_never_spoke() {
    let clients = [client("rafa"), client("(shy)")];
    let script = vec![
        at(0, 0, Act::Connect { shy: false }),
        at(5, 1, Act::Connect { shy: true }),
    ];
    let session = session(&clients, script, 30).await;
    assert_clean_end(&session, &clients, 30, 30);
    assert_heard(
        &session,
        &clients,
        &["* server shutting down\n", "* server shutting down\n"],
    );
    assert_closed_at(&session, &clients, &[30, 30]);
}

#[tokio::test(start_paused = true)]
async fn a_slow_reader_holds_up_no_one_but_is_waited_for_at_shutdown() {
    // `slow` has a small buffer and reads nothing until 200ms: its task soon waits to write.
    let clients = [
        client("fast"),
        Client {
            nick: "slow",
            buffer: 64,
            reads_from_ms: 200,
        },
    ];
    let lines = [
        "number one\n",
        "number two\n",
        "number three\n",
        "number four\n",
        "number five\n",
        "number six\n",
    ];
    let mut script = vec![
        at(0, 0, Act::Connect { shy: false }),
        at(0, 1, Act::Connect { shy: false }),
    ];
    for (i, line) in lines.iter().enumerate() {
        script.push(at(10 * (i as u64 + 1), 0, Act::Write(line)));
    }
    let session = session(&clients, script, 100).await;
    // What each client heard, and when: fast each line as it was sent, slow all of it at 200ms.
    let (recorded, expected) = (Timeline::new(), Timeline::new());
    for (client, heard) in clients.iter().zip(&session.heard) {
        recorded.declare_instants(client.nick);
        for (at, _) in &heard.lines {
            recorded.instant_at(client.nick, *at);
        }
    }
    for i in 1..=lines.len() as u64 {
        expected.instant_at("fast", ms(10 * i));
    }
    expected.instant_at("fast", ms(100));
    for _ in 0..=lines.len() {
        expected.instant_at("slow", ms(200));
    }
    for run in [&recorded, &expected] {
        run.instant_at("shutdown", ms(100));
    }
    for (i, line) in lines.iter().enumerate() {
        let line = format!("fast: {}", line.trim_end());
        let sent = ms(10 * (i as u64 + 1));
        let heard = session.heard[0].lines.iter().find(|(_, l)| *l == line);
        let at = heard.map(|(at, _)| *at);
        timeline::assert_eq(at, Some(sent), &recorded, Some(&expected), || {
            format!(
                "fast heard {line:?} at {at:?} of virtual time (None: never); it was sent at \
                 {sent:?}. A client that does not read (here `slow`) may hold up its own task, \
                 never the others: each client needs its own task, writing only to its own \
                 client"
            )
        });
    }
    let said: String = lines.iter().map(|line| format!("fast: {line}")).collect();
    let all = format!("{said}{FAREWELL}");
    assert_heard(&session, &clients, &[&all, &all]);
    assert_closed_at(&session, &clients, &[100, 200]);
    assert_clean_end(&session, &clients, 100, 200);
}

#[tokio::test(start_paused = true)]
async fn an_empty_room_shuts_down_at_once() {
    let session = session(&[], Vec::new(), 15).await;
    assert_clean_end(&session, &[], 15, 15);
}

#[tokio::test(start_paused = true)]
async fn the_room_goes_on_after_incoming_closes() {
    let clients = [client("sol"), client("tam")];
    let script = vec![
        at(0, 0, Act::Connect { shy: false }),
        at(3, 1, Act::Connect { shy: false }),
        at(17, 0, Act::CloseIncoming),
        at(29, 0, Act::Write("still here?\n")),
        at(41, 1, Act::Write("yes\n")),
    ];
    let session = session(&clients, script, 67).await;
    let all = format!("sol: still here?\ntam: yes\n{FAREWELL}");
    assert_clean_end(&session, &clients, 67, 67);
    assert_heard(&session, &clients, &[&all, &all]);
    assert_closed_at(&session, &clients, &[67, 67]);
}

#[tokio::test(start_paused = true)]
async fn an_empty_room_whose_incoming_closes_waits_for_the_shutdown() {
    let clients = [client("uma")];
    let script = vec![
        at(0, 0, Act::Connect { shy: false }),
        at(11, 0, Act::CloseIncoming),
        at(23, 0, Act::Write("bye all\n")),
        at(31, 0, Act::HangUp),
    ];
    let session = session(&clients, script, 58).await;
    assert_clean_end(&session, &clients, 58, 58);
}
