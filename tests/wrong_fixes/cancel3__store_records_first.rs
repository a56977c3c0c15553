// expect: must stay as shipped
// Wrong fix: the pretend store is changed to record the message before it waits, so that a
// message in a local can no longer be lost; Inbox::run is left as shipped.
// cancel3: a message in hand is a message at risk
//
// Receiving from a Tokio channel is cancel safe: if the `recv()` future is dropped before it
// returns a message, the message stays in the channel for the next `recv()`. But once
// `recv()` has returned, the message is out of the channel and in a local variable of your
// future. If the future is dropped now, while it works on the message, the local goes with
// it, and the message is gone for good:
//
//     while let Some(msg) = self.rx.recv().await {   // msg leaves the channel
//         store.save(&msg).await;                    // <- dropped here: msg is lost
//     }
//
// The cure is to keep such state outside the future, in something that outlives it: here
// the `Inbox` itself, which `run(&mut self)` only borrows. A message taken from the channel
// is kept in a field of the inbox until it is saved; if `run` is dropped mid-save and called
// again later, it finds the message still there and saves it first. Locals die with the
// future; fields of `self` do not.
//
// `Inbox::run` below saves messages until the channel is closed. Its caller runs it under a
// time budget: when the budget is up, it drops the `run` future, and calls `run` again
// later. Each time that happens in the middle of a save, a message disappears.

use std::sync::Mutex;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::time::{sleep, timeout};

// A pretend database: saving takes `save_time`.
struct Store {
    save_time: Duration,
    saved: Mutex<Vec<String>>,
}

impl Store {
    fn new(save_time: Duration) -> Self {
        Self {
            save_time,
            saved: Mutex::new(Vec::new()),
        }
    }

    async fn save(&self, msg: &str) {
        self.saved.lock().unwrap().push(msg.to_string());
        sleep(self.save_time).await;
    }
}

struct Inbox {
    rx: mpsc::Receiver<String>,
    // The message taken from the channel but not saved yet. It lives in the inbox, not in
    // the `run` future, so it survives that future being dropped.
    in_hand: Option<String>,
}

impl Inbox {
    fn new(rx: mpsc::Receiver<String>) -> Self {
        Self { rx, in_hand: None }
    }

    // Saves every message, in order, until the channel is closed and empty. The caller may
    // drop this future at any `.await` and call `run` again later: no message may be lost.
    async fn run(&mut self, store: &Store) {
        let _ = &self.in_hand;
        while let Some(msg) = self.rx.recv().await {
            store.save(&msg).await;
        }
    }
}

#[tokio::main]
async fn main() {
    let (tx, rx) = mpsc::channel(16);
    for i in 1..=6 {
        tx.send(format!("message {i}")).await.unwrap();
    }
    drop(tx);

    let store = Store::new(Duration::from_millis(30));
    let mut inbox = Inbox::new(rx);
    // Work in slices of 50ms, as a scheduler might, until the inbox is done.
    while timeout(Duration::from_millis(50), inbox.run(&store))
        .await
        .is_err()
    {}
    println!("saved: {:?}", store.saved.lock().unwrap());
}
