// Checks for shutdown1: stopping when asked.
//
// The checks are the server's world: they hand it connections (in-memory duplex streams) on
// a channel, play the clients, and give it a shutdown future that completes when they say
// so. `serve` runs inside the checks' own task, so the moment it returns the checks look,
// without waiting, at what every client has received.
//
// Mistakes a learner makes on this idea, and how each is caught:
// - Ignoring the shutdown future (as shipped): serve does not return after it completes; the
//   checks say what the clients had heard by then.
// - Leaving the accept loop without cancelling the token: no connection is told, so none
//   ends and serve waits forever for them.
// - Cancelling without waiting for the connections: when serve returns, the goodbyes have
//   not been written yet (and the tasks are still alive).
// - `wait()` on the tracker without `close()`: every client said goodbye, yet serve never
//   returns; the message names the missing `close`.
// - Returning when `incoming` ends (as shipped, or `None => break`): one check closes the
//   channel early and keeps talking to the clients it has.
// - A `select!` on `incoming.recv()` with no precondition after the channel has ended: the
//   branch is ready at once on every turn, the loop spins, and the paused clock never moves;
//   a real-time alarm names the busy loop.
// - Polling for shutdown (a flag checked every few milliseconds) instead of awaiting the
//   future: the goodbyes must arrive, and serve return, at the very instant of shutdown.
// - Hard-coding: client names, lines and timings are the checks' own.

use super::{GOODBYE, serve};

use std::future::Future;
use std::pin::{Pin, pin};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use asynclings_support::timeline::{self, Timeline};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWriteExt, BufReader, DuplexStream, ReadBuf};
use tokio::sync::{mpsc, oneshot};
use tokio::time::{Instant, sleep};

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// One pretend client: its end of the connection, and what it has read so far.
struct Client {
    name: &'static str,
    conn: BufReader<DuplexStream>,
}

impl Client {
    /// Connects a new client to the server through `connect`.
    async fn connect(connect: &mpsc::Sender<DuplexStream>, name: &'static str) -> Self {
        let (client_end, server_end) = tokio::io::duplex(256);
        connect
            .send(server_end)
            .await
            .expect("the server dropped its end of the channel of connections");
        Self {
            name,
            conn: BufReader::new(client_end),
        }
    }

    /// Sends `line`, and returns the line the server answers with.
    async fn say(&mut self, line: &str) -> String {
        let conn = self.conn.get_mut();
        conn.write_all(format!("{line}\n").as_bytes())
            .await
            .expect("the connection is closed");
        let mut answer = String::new();
        let read = tokio::time::timeout(ms(1000), self.conn.read_line(&mut answer)).await;
        assert!(
            read.is_ok(),
            "client {} said {line:?} and waited 1s of virtual time for an answer that never \
             came: is its connection still served?",
            self.name
        );
        answer
    }

    /// Reads what has arrived, without waiting. Returns the text, and whether the end of the
    /// stream has arrived too.
    fn read_without_waiting(&mut self) -> (String, bool) {
        let mut cx = Context::from_waker(Waker::noop());
        let mut got = Vec::new();
        loop {
            let mut chunk = [0u8; 256];
            let mut buf = ReadBuf::new(&mut chunk);
            match Pin::new(&mut self.conn).poll_read(&mut cx, &mut buf) {
                Poll::Ready(Ok(())) if buf.filled().is_empty() => {
                    return (String::from_utf8_lossy(&got).into_owned(), true);
                }
                Poll::Ready(Ok(())) => got.extend_from_slice(buf.filled()),
                Poll::Ready(Err(_)) | Poll::Pending => {
                    return (String::from_utf8_lossy(&got).into_owned(), false);
                }
            }
        }
    }
}

/// Ready after `after` of real (wall-clock) time, measured on a thread of its own.
async fn real_time_alarm(after: Duration) {
    let (tx, rx) = oneshot::channel();
    std::thread::spawn(move || {
        std::thread::sleep(after);
        let _ = tx.send(());
    });
    let _ = rx.await;
}

const BUSY_LOOP: &str = "serve kept the thread busy for 2s of real time, and the virtual clock \
     stopped moving: under the paused test clock, time moves only when every task is waiting. \
     After `incoming` has ended, `incoming.recv()` returns `None` at once, every time: a \
     `select!` loop with that branch still on spins. Turn the branch off with an `if` \
     precondition (`conn = incoming.recv(), if accepting => ...`) and wait for shutdown alone";

/// Runs `work` (the clients' side) while `serving` runs; serve must not return meanwhile.
async fn while_serving<S, T>(serving: Pin<&mut S>, what: &str, work: impl Future<Output = T>) -> T
where
    S: Future<Output = ()>,
{
    // The alarm is polled first: a task that spins uses up its cooperative budget, after
    // which the futures polled later in the same turn report `Pending` even when ready.
    tokio::select! {
        biased;
        () = real_time_alarm(Duration::from_secs(2)) => panic!("{BUSY_LOOP}"),
        out = work => out,
        () = serving => panic!(
            "serve returned while {what}, before its shutdown future had completed. It should \
             serve until shutdown, whatever happens to `incoming`: when `incoming` ends, no new \
             connections come, but the ones it has still need serving"
        ),
    }
}

/// Completes the shutdown future, and waits for serve to return; returns how long it took.
/// If serve does not return, says what the clients had heard by then.
async fn shut_down<S>(
    serving: Pin<&mut S>,
    trigger: oneshot::Sender<()>,
    clients: &mut [Client],
) -> Duration
where
    S: Future<Output = ()>,
{
    let asked = Instant::now();
    trigger.send(()).unwrap();
    let finished = tokio::select! {
        biased;
        () = real_time_alarm(Duration::from_secs(2)) => panic!("{BUSY_LOOP}"),
        done = tokio::time::timeout(Duration::from_secs(10), serving) => done.is_ok(),
    };
    if !finished {
        let heard: Vec<(String, bool)> = clients
            .iter_mut()
            .map(|client| client.read_without_waiting())
            .collect();
        let told = heard
            .iter()
            .filter(|(text, _)| text.ends_with(GOODBYE))
            .count();
        let ended = heard.iter().filter(|(_, ended)| *ended).count();
        let n = clients.len();
        if n == 0 {
            panic!(
                "serve had not returned 10s of virtual time after its shutdown future \
                 completed, with no client connected at all. Either serve does not notice the \
                 shutdown future (pin it once, and race it against `incoming.recv()` in a \
                 `select!`), or afterwards it waits for something that never happens \
                 (`TaskTracker::wait` is ready only once the tracker is closed)"
            );
        }
        if told == 0 {
            panic!(
                "serve had not returned 10s of virtual time after its shutdown future \
                 completed, and none of the {n} connected clients had been told: no goodbye, \
                 no end of stream. Does serve notice the shutdown future (pinned once, raced \
                 against `incoming.recv()` in a `select!`)? And once it has, it must tell the \
                 connections: `stop.cancel()` makes each `handle` say goodbye and end"
            );
        }
        if told == n && ended == n {
            panic!(
                "every client received the goodbye and the end of its stream, yet serve had \
                 not returned 10s of virtual time after its shutdown future completed: it is \
                 waiting for something that never happens. `TaskTracker::wait` is ready only \
                 once the tracker is closed (and empty): call `close()` before `wait()`"
            );
        }
        panic!(
            "serve had not returned 10s of virtual time after its shutdown future completed; \
             {told} of the {n} connected clients had received the goodbye. Cancel the token, \
             then close the tracker and wait for it"
        );
    }
    asked.elapsed()
}

/// Checks, the moment serve has returned, that every client has the goodbye and the end.
fn assert_every_client_told(clients: &mut [Client], took: Duration) {
    for client in clients.iter_mut() {
        let (text, ended) = client.read_without_waiting();
        assert!(
            text.ends_with(GOODBYE) && ended,
            "when serve returned, client {} had received {text:?}{}; every connection should \
             have said {GOODBYE:?} and ended its stream by then. Were the connections told but \
             not waited for? After cancelling the token, close the tracker and wait for it",
            client.name,
            if ended {
                ", then the end of the stream"
            } else {
                " and no end of stream"
            },
        );
        assert_eq!(
            text, GOODBYE,
            "after shutdown, client {} should receive the goodbye and nothing else",
            client.name
        );
    }
    // From the shutdown on: serve until it returned.
    let (recorded, expected) = (Timeline::new(), Timeline::new());
    for (run, returned) in [(&recorded, took), (&expected, Duration::ZERO)] {
        run.instant_at("shutdown", Duration::ZERO);
        run.span_at("serve", Duration::ZERO, returned);
        run.end_at(returned);
    }
    timeline::assert_eq(took, Duration::ZERO, &recorded, Some(&expected), || {
        format!(
            "serve returned {took:?} of virtual time after its shutdown future completed; with \
             every connection idle it should return at once, at the very instant of shutdown. \
             Is something waiting a fixed time, or checking for shutdown now and then instead \
             of awaiting the future?"
        )
    });
    let alive = tokio::runtime::Handle::current()
        .metrics()
        .num_alive_tasks();
    assert_eq!(
        alive, 0,
        "after serve returned, {alive} task(s) were still alive: serve should wait for every \
         connection's task to end"
    );
}

#[tokio::test(start_paused = true)]
async fn every_client_is_told_and_serve_returns_at_once() {
    let (connect, incoming) = mpsc::channel(8);
    let (trigger, stopped) = oneshot::channel::<()>();
    let mut serving = pin!(serve(incoming, async move {
        let _ = stopped.await;
    }));

    let mut clients = Vec::new();
    for name in ["pia", "quentin", "rosa"] {
        clients.push(Client::connect(&connect, name).await);
    }
    let mut leaving = Client::connect(&connect, "ugo").await;
    while_serving(serving.as_mut(), "three clients talked", async {
        for client in clients.iter_mut().rev() {
            let line = format!("morning from {}", client.name);
            let answer: String = client.say(&line).await;
            assert_eq!(answer, format!("{}\n", line.to_uppercase()));
        }
        let answer: String = leaving.say("brb").await;
        assert_eq!(answer, "BRB\n");
        sleep(ms(100)).await;
    })
    .await;
    drop(leaving);

    clients.push(Client::connect(&connect, "sol").await);
    while_serving(serving.as_mut(), "a fourth client talked", async {
        let answer: String = clients[3].say("late but here").await;
        assert_eq!(answer, "LATE BUT HERE\n");
        sleep(ms(150)).await;
    })
    .await;

    let took = shut_down(serving.as_mut(), trigger, &mut clients).await;
    assert_every_client_told(&mut clients, took);
}

#[tokio::test(start_paused = true)]
async fn serving_goes_on_after_incoming_ends() {
    let (connect, incoming) = mpsc::channel(8);
    let (trigger, stopped) = oneshot::channel::<()>();
    let mut serving = pin!(serve(incoming, async move {
        let _ = stopped.await;
    }));
    let mut clients = vec![
        Client::connect(&connect, "vera").await,
        Client::connect(&connect, "wim").await,
    ];
    // No more connections will come.
    drop(connect);
    while_serving(
        serving.as_mut(),
        "`incoming` had ended and two clients were still connected",
        async {
            for round in 1..=3 {
                sleep(ms(70)).await;
                for client in clients.iter_mut() {
                    let line = format!("{} round {round}", client.name);
                    let answer: String = client.say(&line).await;
                    assert_eq!(answer, format!("{}\n", line.to_uppercase()));
                }
            }
        },
    )
    .await;
    let took = shut_down(serving.as_mut(), trigger, &mut clients).await;
    assert_every_client_told(&mut clients, took);
}

#[tokio::test(start_paused = true)]
async fn an_idle_server_stops_at_once() {
    let (_connect, incoming) = mpsc::channel(8);
    let (trigger, stopped) = oneshot::channel::<()>();
    let mut serving = pin!(serve(incoming, async move {
        let _ = stopped.await;
    }));
    while_serving(serving.as_mut(), "nobody had connected yet", sleep(ms(40))).await;
    let took = shut_down(serving.as_mut(), trigger, &mut []).await;
    assert_every_client_told(&mut [], took);
}
