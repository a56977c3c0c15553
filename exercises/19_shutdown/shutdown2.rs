// shutdown2: a deadline for the work in flight
//
// In shutdown1 the connections were idle when the shutdown came, and said goodbye at once.
// Real connections are busy: a report half built, an upload half stored. A graceful shutdown
// lets the work in flight finish, but not forever: a job that is stuck, or simply long,
// would hold the whole program up (and a service manager that asked politely sends SIGKILL
// after a while anyway). So the server gives the work in flight a grace period, stops what
// is still running when it is over, and says what it cut off, so that it can be logged or
// retried:
//
//     shutdown ─┬─ stop accepting, tell every connection
//               ├─ wait for the connections ... at most GRACE ──┐
//               │                                               ├─ stop those still running
//               └───────────────────────────────────────────────┴─ report the jobs cut off
//
// Waiting with a deadline is a race between the waiting and a timer:
//
//     tokio::time::timeout(GRACE, wait_for_them).await      // Err(Elapsed) if time ran out
//
// or a `select!` with a `sleep(GRACE)` branch (05_select). When the timer wins, only the
// waiting is dropped: the tasks themselves go on running until someone stops them. A
// `JoinSet` (04_spawn) can: `abort_all()` asks every task to stop at its current `.await`,
// and `shutdown()` aborts them all and waits until they are gone. A job stopped that way
// never reaches the line after its `.await`, which is how the server below knows which jobs
// were cut off: each job is in `in_flight` from its start until it is answered.
//
// `serve` below stops accepting and tells its connections (the answer to shutdown1, with a
// `JoinSet` this time), but then waits for every job, however long it takes.

use std::collections::BTreeSet;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader, DuplexStream};
use tokio::sync::mpsc;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

/// What every connection receives when the server shuts down, before the end of its stream.
const GOODBYE: &str = "* server shutting down\n";

/// How long the jobs in flight at shutdown get to finish.
const GRACE: Duration = Duration::from_secs(2);

/// The jobs being worked on, by name.
type InFlight = Arc<Mutex<BTreeSet<String>>>;

/// Serves every connection that arrives on `incoming`, each in a task of its own, until
/// `shutdown` completes. Then it accepts no more connections and tells every connection to
/// finish: each finishes the job it is working on, says GOODBYE and ends its stream. Jobs
/// still running GRACE after the shutdown are cut off: their tasks are stopped, and their
/// clients get the end of the stream and nothing else. Returns once every connection's task
/// is gone, with the names of the jobs cut off, in alphabetical order.
async fn serve(
    mut incoming: mpsc::Receiver<DuplexStream>,
    shutdown: impl Future<Output = ()>,
) -> Vec<String> {
    let stop = CancellationToken::new();
    let in_flight = InFlight::default();
    let mut connections = JoinSet::new();
    let mut shutdown = std::pin::pin!(shutdown);
    let mut accepting = true;
    loop {
        tokio::select! {
            biased;
            () = &mut shutdown => break,
            conn = incoming.recv(), if accepting => match conn {
                Some(conn) => {
                    connections.spawn(handle(conn, stop.clone(), in_flight.clone()));
                }
                None => accepting = false,
            },
            // A JoinSet keeps each finished task until it is joined: join them as they end.
            Some(_) = connections.join_next() => {}
        }
    }
    stop.cancel();
    // TODO: wait at most GRACE for the connections. Then stop those still running, and
    // report the jobs they were working on.
    while connections.join_next().await.is_some() {}
    Vec::new()
}

/// Serves one client. Each line is a job, `<name> <milliseconds>`: the server works on it
/// for that long, then answers `done <name>`. When `stop` is cancelled, the connection
/// finishes its job in hand (if any), says GOODBYE and ends the stream.
async fn handle(conn: DuplexStream, stop: CancellationToken, in_flight: InFlight) {
    let (reader, mut writer) = tokio::io::split(conn);
    let mut lines = BufReader::new(reader).lines();
    loop {
        let line = tokio::select! {
            biased;
            () = stop.cancelled() => {
                let _ = writer.write_all(GOODBYE.as_bytes()).await;
                let _ = writer.shutdown().await;
                return;
            }
            line = lines.next_line() => match line {
                Ok(Some(line)) => line,
                _ => return,
            },
        };
        let Some((name, millis)) = line.split_once(' ') else {
            continue;
        };
        let Ok(millis) = millis.parse() else {
            continue;
        };
        in_flight.lock().unwrap().insert(name.to_string());
        // The work. A task stopped from outside stops here, and never reaches the next line.
        tokio::time::sleep(Duration::from_millis(millis)).await;
        in_flight.lock().unwrap().remove(name);
        let answer = format!("done {name}\n");
        if writer.write_all(answer.as_bytes()).await.is_err() {
            return;
        }
    }
}

/// A pretend client: sends one job, and prints what comes back until the end.
async fn client(job: &'static str, conn: DuplexStream) {
    let (mut reader, mut writer) = tokio::io::split(conn);
    writer
        .write_all(format!("{job}\n").as_bytes())
        .await
        .unwrap();
    let mut heard = String::new();
    let _ = reader.read_to_string(&mut heard).await;
    println!("client with job {job:?} heard {heard:?}");
}

#[tokio::main]
async fn main() {
    let (connect, incoming) = mpsc::channel(4);
    let mut clients = JoinSet::new();
    for job in ["quick 500", "slow 2500", "stuck 3600000"] {
        let (client_end, server_end) = tokio::io::duplex(1024);
        connect.send(server_end).await.unwrap();
        clients.spawn(client(job, client_end));
    }
    println!("serving: press Ctrl-C to stop (or wait 1 second)");
    let shutdown = async {
        tokio::select! {
            signal = tokio::signal::ctrl_c() => signal.expect("cannot listen for Ctrl-C"),
            () = tokio::time::sleep(Duration::from_secs(1)) => {}
        }
        println!("shutting down, with {GRACE:?} of grace");
    };
    let cut_off = serve(incoming, shutdown).await;
    clients.join_all().await;
    println!("cut off: {cut_off:?}");
}
