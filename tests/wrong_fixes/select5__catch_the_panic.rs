// expect: the panic was caught
// Wrong fix: the select! loop keeps its panic, and the panic is caught around the loop: the
// transcript comes back, the cause stays.
// select5: when every branch is done
//
// A branch of `tokio::select!` can have a pattern on the left. When the future finishes
// with a value that does not match the pattern, the branch is disabled for the rest of this
// select!, and select! goes on waiting for the others:
//
//     Some(msg) = chat.recv() => ...    // a closed channel gives None: branch disabled
//
// That is handy for merging channels: a closed channel drops out by itself. But in a loop,
// what happens when ALL the channels are closed? Every branch is disabled, nothing is left
// to wait for, and select! panics: "all branches are disabled and there is no else branch".
//
// The `else` branch is select!'s answer to "everything is done". It runs when every branch
// is disabled (by its pattern or by an `, if` precondition), and it is the place to leave
// the loop:
//
//     loop {
//         tokio::select! {
//             Some(msg) = chat.recv() => ...,
//             Some(alert) = alerts.recv() => ...,
//             else => break,
//         }
//     }
//
// `merge` below interleaves two feeds into one transcript. It works until both feeds have
// closed, and then it panics instead of returning the transcript.

use std::time::Duration;

use tokio::sync::mpsc;
use tokio::time::sleep;

// Merges the chat and the alerts into one transcript, in the order the messages arrive,
// and returns it once both feeds have closed.
async fn merge(
    chat: &mut mpsc::Receiver<String>,
    alerts: &mut mpsc::Receiver<String>,
) -> Vec<String> {
    use futures::FutureExt;
    let mut transcript = Vec::new();
    let merging = async {
        loop {
            tokio::select! {
                Some(msg) = chat.recv() => transcript.push(format!("chat: {msg}")),
                Some(alert) = alerts.recv() => transcript.push(format!("ALERT: {alert}")),
            }
        }
    };
    let _ = std::panic::AssertUnwindSafe(merging).catch_unwind().await;
    transcript
}

#[tokio::main]
async fn main() {
    let (chat_tx, mut chat) = mpsc::channel(8);
    let (alert_tx, mut alerts) = mpsc::channel(8);
    tokio::spawn(async move {
        for msg in ["hi", "anyone here?", "bye"] {
            chat_tx.send(msg.to_string()).await.unwrap();
            sleep(Duration::from_millis(30)).await;
        }
    });
    tokio::spawn(async move {
        sleep(Duration::from_millis(40)).await;
        alert_tx.send("disk almost full".to_string()).await.unwrap();
    });
    for line in merge(&mut chat, &mut alerts).await {
        println!("{line}");
    }
}
