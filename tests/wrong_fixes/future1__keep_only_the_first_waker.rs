// expect: only the waker of the latest
// future1: a future by hand, and the promise behind `Pending`
//
// Every `.await` comes down to calls of one method:
//
//     trait Future {
//         type Output;
//         fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output>;
//     }
//
// `Poll::Ready(value)` means done. `Poll::Pending` means "not yet", and it carries a promise:
// *I have arranged for this task to be woken when I can make progress.* The runtime does not
// poll a pending task again on its own, it waits for the task's `Waker` (`cx.waker()`) to be
// woken. Whatever can make the future progress (a timer, a socket, another task) must get
// hold of that waker and call `wake()` when it has news:
//
//     task       poll -> Pending                                poll -> Ready(v)
//                  |  stores cx.waker().clone()                   ^
//                  v                                              |
//     other side  ......... news arrives -> waker.wake() ---------+
//
// Break the promise one way and the task sleeps forever: nobody wakes it. Break it the other
// way, calling `cx.waker().wake_by_ref()` on every poll "to be safe", and the task is polled
// again and again with nothing new to see: a busy loop that burns a CPU.
//
// Below is a one-parcel mailbox made by hand: a courier calls `deliver`, a recipient awaits
// `mailbox.parcel()`. The recipient's future returns `Pending` without telling anyone how to
// wake it. Keep the promise.

use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

/// What the courier and the recipient share.
#[derive(Default)]
struct Slot {
    parcel: Option<String>,
    /// The waker of the task waiting for a parcel, if one is waiting.
    recipient: Option<Waker>,
}

#[derive(Clone, Default)]
struct Mailbox {
    slot: Arc<Mutex<Slot>>,
}

impl Mailbox {
    /// Puts a parcel in the mailbox.
    fn deliver(&self, parcel: &str) {
        let recipient = {
            let mut slot = self.slot.lock().unwrap();
            slot.parcel = Some(parcel.to_string());
            slot.recipient.take()
        };
        // News for the waiting task: wake it, so that it is polled again and finds the parcel.
        // (The lock is released first: the woken task will want it.)
        if let Some(recipient) = recipient {
            recipient.wake();
        }
    }

    /// Waits for a parcel and takes it out of the mailbox.
    fn parcel(&self) -> Parcel {
        Parcel {
            slot: Arc::clone(&self.slot),
        }
    }
}

/// The future of `Mailbox::parcel`.
struct Parcel {
    slot: Arc<Mutex<Slot>>,
}

impl Future for Parcel {
    type Output = String;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<String> {
        let mut slot = self.slot.lock().unwrap();
        match slot.parcel.take() {
            Some(parcel) => Poll::Ready(parcel),
            None => {
                // Leave this poll's waker where `deliver` will find it: that keeps the promise
                // of `Pending`. Nothing else wakes the task, so it does not spin.
                if slot.recipient.is_none() {
                    slot.recipient = Some(cx.waker().clone());
                }
                Poll::Pending
            }
        }
    }
}

#[tokio::main]
async fn main() {
    let mailbox = Mailbox::default();
    let courier = mailbox.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(300)).await;
        courier.deliver("a book");
    });
    println!("waiting for the parcel...");
    let start = tokio::time::Instant::now();
    tokio::select! {
        // Checked first: a parcel that is only found when the 2s are up does not count.
        biased;
        _ = tokio::time::sleep(Duration::from_secs(2)) => {
            println!("still waiting after 2s: was the waiting task ever woken?");
        }
        parcel = mailbox.parcel() => println!("got {parcel} after {:?}", start.elapsed()),
    }
}
