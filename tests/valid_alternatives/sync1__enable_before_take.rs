// Valid alternative: `notify_waiters` kept; the `Notified` is created and enabled before the
// lines are taken, so any nudge after that point reaches it.
// sync1: a wake-up without data: `Notify`, and the lost wake-up
//
// Sometimes a task does not need a message, only a nudge: "there is something for you now,
// go and look". The data is somewhere both sides can reach (here a `Mutex<Vec<String>>`),
// and `tokio::sync::Notify` carries the nudge:
//
//     notify.notified().await;    // the waiter: sleep until nudged
//     notify.notify_one();        // a nudger: wake one waiter, or leave a permit
//     notify.notify_waiters();    // a nudger: wake everyone waiting *right now*
//
// The classic bug with any wake-up signal is the lost wake-up. The waiter checks the data,
// finds nothing, does something else for a moment, and only then starts waiting. A writer who
// comes along in that moment adds its line and nudges, but nobody is waiting yet, and
// `notify_waiters` wakes only the tasks that are already waiting. The nudge is gone; the waiter
// goes to sleep next to a line that nobody will ever write out:
//
//     flusher   take(): nothing |--- disk.sync() ---| notified().await ........ forever
//     writer                         write("x") + notify_waiters()   (nobody waiting: lost)
//
// Two ways to close that gap:
// - `notify_one` keeps a *permit* when nobody is waiting: the next `notified().await`
//   completes at once. A missed nudge is remembered (at most one: nudges do not pile up).
// - Register before you check: create the `Notified` future (and call `.enable()` on it,
//   pinned) *before* looking at the data; a nudge after that point reaches it.
//
// Do not paper over the gap with a timeout or a sleep-and-look-again loop: the line then
// waits for the next timer instead of being written at once, and an idle flusher keeps
// waking up for nothing. On a multi-threaded runtime the gap exists even with no `.await`
// between the check and the wait: another thread can write in between.
//
// The flusher below writes log lines to disk in batches, and syncs the disk whenever it has
// nothing to write. A line written while the disk syncs is never saved. Fix it.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::Notify;

/// Where the flusher puts the lines: a pretend disk. (The checks bring their own.)
trait Disk {
    /// Appends the lines to the log file.
    async fn save(&self, lines: Vec<String>);
    /// Makes what was saved durable (think fsync): slow, so done only when there is time.
    async fn sync(&self);
}

/// Log lines waiting to be saved, shared by the writers and the flusher.
struct LogBuffer {
    lines: Mutex<Vec<String>>,
    wake: Notify,
}

impl LogBuffer {
    fn new() -> Self {
        LogBuffer {
            lines: Mutex::new(Vec::new()),
            wake: Notify::new(),
        }
    }

    /// Adds a line and nudges the flusher. Writers call it from anywhere; it never waits.
    fn write(&self, line: &str) {
        self.lines.lock().unwrap().push(line.to_string());
        self.wake.notify_waiters();
    }

    /// Takes every line written so far.
    fn take(&self) -> Vec<String> {
        std::mem::take(&mut *self.lines.lock().unwrap())
    }
}

/// Saves whatever the buffer holds, in batches, forever. With nothing to save, it syncs the
/// disk and then sleeps until a writer nudges it.
async fn flusher(buffer: Arc<LogBuffer>, disk: impl Disk) {
    loop {
        let mut notified = std::pin::pin!(buffer.wake.notified());
        notified.as_mut().enable();
        let batch = buffer.take();
        if batch.is_empty() {
            disk.sync().await;
            notified.await;
        } else {
            disk.save(batch).await;
        }
    }
}

/// A disk that prints what it is asked to do.
struct Console;

impl Disk for Console {
    async fn save(&self, lines: Vec<String>) {
        tokio::time::sleep(Duration::from_millis(10)).await;
        println!("saved {lines:?}");
    }

    async fn sync(&self) {
        tokio::time::sleep(Duration::from_millis(5)).await;
        println!("synced");
    }
}

#[tokio::main]
async fn main() {
    let buffer = Arc::new(LogBuffer::new());
    tokio::spawn(flusher(buffer.clone(), Console));
    tokio::time::sleep(Duration::from_millis(2)).await;
    buffer.write("server started");
    tokio::time::sleep(Duration::from_millis(50)).await;
    println!("still in the buffer: {:?}", buffer.lines.lock().unwrap());
}
