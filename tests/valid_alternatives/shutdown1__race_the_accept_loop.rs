// Valid alternative: the whole accept loop is one future, raced once against shutdown; when
// shutdown wins, the loop is dropped (and with it, the accepting).
// shutdown1: stopping when asked
//
// A server runs until someone tells it to stop: Ctrl-C in a terminal, SIGTERM from a service
// manager, an admin command. Tokio turns Ctrl-C into a future:
//
//     tokio::signal::ctrl_c().await?;    // ready when the user presses Ctrl-C
//
// (Once it has been polled, Ctrl-C no longer kills the program: stopping is now your job.)
//
// Where should that future be awaited? Not deep inside the server: a server that calls
// `ctrl_c()` itself can only be stopped by Ctrl-C, so no test can stop it, and no program can
// stop it for another reason. Instead, the server takes its shutdown as a parameter, any
// future at all, and `main` decides what it is:
//
//     async fn serve(incoming: ..., shutdown: impl Future<Output = ()>)
//
//     serve(incoming, async { tokio::signal::ctrl_c().await.unwrap() }).await;   // in main
//     serve(incoming, async { stop_rx.await.ok(); }).await;                      // in a test
//
// Inside, the server races its accept loop against that future. The future completes once
// and can be polled only where it is, so pin it once, before the loop, and select on it by
// `&mut` (05_select, select3; 11_send_pin, pin2):
//
//     let mut shutdown = std::pin::pin!(shutdown);
//     loop {
//         tokio::select! {
//             () = &mut shutdown => break,
//             conn = incoming.recv() => ...,
//         }
//     }
//
// A graceful shutdown then has three steps:
//
//   1. stop accepting: leave the accept loop;
//   2. tell every connection: one future cannot be awaited by many tasks, so the server
//      hands each connection a `CancellationToken` (06_cancellation) and cancels it;
//   3. wait for the connections to finish what they say on the way out (a `TaskTracker`,
//      06_cancellation, cancel6).
//
// `serve` below does none of this: it serves until `incoming` ends, and ignores `shutdown`.
// `handle` is fine: it says goodbye when its token is cancelled.

use std::future::Future;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader, DuplexStream};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// What every connection receives when the server shuts down, before the end of its stream.
const GOODBYE: &str = "* server shutting down\n";

/// Serves every connection that arrives on `incoming`, each in a task of its own, until
/// `shutdown` completes (whatever happens to `incoming` meanwhile). Then it accepts no more
/// connections, tells every connection (each says GOODBYE to its client and ends its
/// stream), and returns once every connection's task has ended.
async fn serve(mut incoming: mpsc::Receiver<DuplexStream>, shutdown: impl Future<Output = ()>) {
    let stop = CancellationToken::new();
    let connections = TaskTracker::new();
    let accept = async {
        while let Some(conn) = incoming.recv().await {
            connections.spawn(handle(conn, stop.clone()));
        }
        // No more connections will come: serve the ones there are until shutdown.
        std::future::pending::<()>().await;
    };
    tokio::select! {
        biased;
        () = shutdown => {}
        () = accept => {}
    }
    // One future completed, but every connection must hear of it: the token tells them all.
    stop.cancel();
    // Then wait until each has said goodbye. `wait` returns only once the tracker is closed.
    connections.close();
    connections.wait().await;
}

/// Serves one client: answers each line with the same line in capitals, until the client
/// hangs up or `stop` is cancelled; then it says GOODBYE and ends the stream.
async fn handle(conn: DuplexStream, stop: CancellationToken) {
    let (reader, mut writer) = tokio::io::split(conn);
    let mut lines = BufReader::new(reader).lines();
    loop {
        tokio::select! {
            () = stop.cancelled() => {
                let _ = writer.write_all(GOODBYE.as_bytes()).await;
                let _ = writer.shutdown().await;
                return;
            }
            line = lines.next_line() => {
                let Ok(Some(line)) = line else { return };
                let answer = format!("{}\n", line.to_uppercase());
                if writer.write_all(answer.as_bytes()).await.is_err() {
                    return;
                }
            }
        }
    }
}

/// A pretend client: says a line every 400ms and prints what comes back, until the end.
async fn client(name: &'static str, conn: DuplexStream) {
    let (mut reader, mut writer) = tokio::io::split(conn);
    tokio::spawn(async move {
        for n in 1.. {
            let line = format!("{name} says hello #{n}\n");
            if writer.write_all(line.as_bytes()).await.is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(400)).await;
        }
    });
    let mut chunk = [0u8; 256];
    while let Ok(n @ 1..) = reader.read(&mut chunk).await {
        print!("{name} got: {}", String::from_utf8_lossy(&chunk[..n]));
    }
    println!("{name}: the server closed the connection");
}

#[tokio::main]
async fn main() {
    let (connect, incoming) = mpsc::channel(4);
    for name in ["ann", "bo"] {
        let (client_end, server_end) = tokio::io::duplex(1024);
        connect.send(server_end).await.unwrap();
        tokio::spawn(client(name, client_end));
    }
    println!("serving: press Ctrl-C to stop (or wait 3 seconds)");
    let shutdown = async {
        tokio::select! {
            signal = tokio::signal::ctrl_c() => {
                signal.expect("cannot listen for Ctrl-C");
                println!("Ctrl-C: shutting down");
            }
            () = tokio::time::sleep(Duration::from_secs(3)) => {
                println!("3 seconds are up: shutting down");
            }
        }
    };
    serve(incoming, shutdown).await;
    println!("serve returned: every connection is closed");
}
