// quiz3: a chat broker
//
// The last quiz puts the workbook together: tasks, channels, `select!`, cancellation, async
// I/O. No new ideas: everything you need is in 04_spawn, 05_select, 06_cancellation, 09_io
// and 10_channels.
//
// `run_broker` runs a chat room. Each client is a connection, a byte stream in both
// directions (here a `tokio::io::DuplexStream`, an in-memory stand-in for a TCP socket). The
// rules:
//
// 1. A client's first line is its nickname; every later line it sends is a message.
// 2. Every message goes to every client connected at that moment, its sender included, as
//    the line "<nickname>: <message>\n". All clients see the messages in the same order.
// 3. Clients are served at the same time: a quiet client holds up no one, and a new
//    connection is taken while others talk. New connections arrive on `incoming`.
// 4. A client that hangs up (its stream ends) is forgotten at once: its connection is
//    dropped, and the others carry on.
// 5. When `shutdown` is cancelled: take no new connections; every connected client receives
//    the messages still due to it (sent before the shutdown), then the line `FAREWELL`, then
//    the end of its stream; and `run_broker` returns once all of that is done, leaving no task
//    of its own running. Until then it keeps running, whatever happens to `incoming`.
//
// As shipped, it serves one client at a time, until that client hangs up, sends each
// message back to its sender only, and never looks at `shutdown`.
//
//     client ann ---"ann\n"-"hi\n"--------------------->  task(ann) --+
//                                                                      |  every message,
//     client bo  ---"bo\n"---------------"yo\n"-------->  task(bo)  --+--> one channel,
//                                                                      |  to every task
//     client cy  ---"cy\n"----------------------------->  task(cy)  --+
//
//     each task writes every message to its own client: "ann: hi\n", "bo: yo\n", ...
//
// A tip: each client's task waits for three things at once (its client's next line, the next
// message for everyone, and the shutdown), so it is a loop around a `select!`.

use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader, DuplexStream, WriteHalf};
use tokio::sync::{broadcast, mpsc};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// The line every client receives when the server shuts down.
const FAREWELL: &str = "* server shutting down\n";

/// Runs the chat room until `shutdown` is cancelled (see the rules at the top of the file).
async fn run_broker(mut incoming: mpsc::Receiver<DuplexStream>, shutdown: CancellationToken) {
    // One broadcast channel carries every message to every client's task: all of them see
    // the same messages in the same order (rule 2).
    let (messages, _) = broadcast::channel(256);
    // Every client task is tracked, so that shutdown can wait for all of them (rule 5).
    let clients = TaskTracker::new();
    let mut open = true;
    loop {
        tokio::select! {
            biased;
            _ = shutdown.cancelled() => break,
            connection = incoming.recv(), if open => match connection {
                Some(connection) => {
                    clients.spawn(serve(connection, messages.clone(), shutdown.clone()));
                }
                // `incoming` is closed: disable this branch; the shutdown branch remains.
                None => open = false,
            },
        }
    }
    clients.close();
    clients.wait().await;
}

/// Serves one client: reads its nickname, then passes its messages to everyone and everyone's
/// messages to it, until it hangs up or the server shuts down.
async fn serve(
    connection: DuplexStream,
    messages: broadcast::Sender<String>,
    shutdown: CancellationToken,
) {
    // Reading and writing at the same time needs the two halves apart (09_io).
    let (reader, mut writer) = tokio::io::split(connection);
    let mut lines = BufReader::new(reader).lines();
    let nick = tokio::select! {
        biased;
        _ = shutdown.cancelled() => return say_goodbye(writer).await,
        line = lines.next_line() => match line {
            Ok(Some(nick)) => nick,
            _ => return,
        },
    };
    let mut inbox = messages.subscribe();
    loop {
        tokio::select! {
            biased;
            _ = shutdown.cancelled() => {
                // The messages sent before the shutdown are still due to this client.
                while let Ok(message) = inbox.try_recv() {
                    if writer.write_all(message.as_bytes()).await.is_err() {
                        return;
                    }
                }
                return say_goodbye(writer).await;
            }
            // `next_line` is cancel safe: a line read in part is kept for the next turn.
            line = lines.next_line() => match line {
                Ok(Some(text)) => {
                    let _ = messages.send(format!("{nick}: {text}\n"));
                }
                // The client hung up: forget it (rule 4). Returning drops the connection.
                _ => return,
            },
            message = inbox.recv() => match message {
                Ok(message) => {
                    if writer.write_all(message.as_bytes()).await.is_err() {
                        return;
                    }
                }
                Err(broadcast::error::RecvError::Lagged(_)) => {}
                Err(broadcast::error::RecvError::Closed) => return,
            },
        }
    }
}

/// The end of a connection at shutdown: the farewell, then the end of the stream (rule 5).
/// The client may be gone already; that is no error worth reporting.
async fn say_goodbye(mut writer: WriteHalf<DuplexStream>) {
    let _ = writer.write_all(FAREWELL.as_bytes()).await;
    let _ = writer.shutdown().await;
}

/// A client of the example in `main`: says its lines, one every 100ms, then listens until
/// the server closes the connection; returns what it heard.
async fn client(connection: DuplexStream, nick: &str, lines: &[&str]) -> String {
    let (mut reader, mut writer) = tokio::io::split(connection);
    let talk = async {
        writer
            .write_all(format!("{nick}\n").as_bytes())
            .await
            .unwrap();
        for line in lines {
            tokio::time::sleep(Duration::from_millis(100)).await;
            writer
                .write_all(format!("{line}\n").as_bytes())
                .await
                .unwrap();
        }
        writer
    };
    let listen = async {
        let mut heard = String::new();
        reader.read_to_string(&mut heard).await.unwrap();
        heard
    };
    let (_writer, heard) = tokio::join!(talk, listen);
    heard
}

#[tokio::main]
async fn main() {
    let (connect, incoming) = mpsc::channel(8);
    let shutdown = CancellationToken::new();
    let mut clients = Vec::new();
    for (nick, lines) in [("ann", &["hi all", "bye"][..]), ("bo", &["hello ann"][..])] {
        let (client_end, server_end) = tokio::io::duplex(1024);
        connect.send(server_end).await.unwrap();
        clients.push(client(client_end, nick, lines));
    }
    let stop = async {
        tokio::time::sleep(Duration::from_millis(500)).await;
        shutdown.cancel();
    };
    let session = async {
        tokio::join!(
            run_broker(incoming, shutdown.clone()),
            futures::future::join_all(clients),
            stop
        )
    };
    match tokio::time::timeout(Duration::from_secs(2), session).await {
        Ok((_, heard, _)) => {
            for transcript in heard {
                println!("--\n{transcript}");
            }
        }
        Err(_) => println!("the chat had not ended 2s after it started: is it stuck?"),
    }
}
