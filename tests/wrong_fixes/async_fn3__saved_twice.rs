// expect: still waiting
// Wrong fix: the save is awaited, and then made and awaited again.
// async_fn3: creating a future does not start it
//
// In some languages, calling an async function starts the work at once, and awaiting it
// later only collects the result (a JavaScript promise behaves like that). Rust futures are
// lazy: calling an `async fn` only packs up its arguments. Nothing in its body runs, not even
// the first line, until the future is polled, and with `.await` that happens at the
// `.await`, not at the call.
//
//     let save = save_note(journal, note);   // nothing has happened yet
//     journal.record("told the user");       // this runs first
//     save.await;                            // only now does save_note start
//
// The compiler turns an async body into a state machine: each `.await` is a point where the
// function can pause and give the thread back, and the future keeps every local variable
// that is still needed after that point until it is resumed. Polling it runs the body from
// the last pause to the next one. Before the first poll it is parked at the very top.
//
// Below, a notes app confirms to the user that their note is safe. Its author thought the
// save started when `save_note(..)` was called, so the confirmation went out right away.
// It actually goes out before the save has even begun: if the program crashed in between,
// the user would have been told a lie. Make the confirmation come only after the save has
// finished.

use std::sync::Mutex;
use std::time::Duration;

// A log of what happened, in order, kept on a disk that takes `disk` to write a note.
struct Journal {
    events: Mutex<Vec<String>>,
    disk: Duration,
}

impl Journal {
    fn new(disk: Duration) -> Self {
        Journal {
            events: Mutex::new(Vec::new()),
            disk,
        }
    }

    fn record(&self, event: String) {
        self.events.lock().unwrap().push(event);
    }
}

// Writes the note to disk, then flushes the disk's cache (a quarter of the write's time): only
// then is the note safe. The sleeps stand in for the disk.
async fn save_note(journal: &Journal, note: &str) {
    journal.record(format!("saving {note}"));
    tokio::time::sleep(journal.disk).await;
    tokio::time::sleep(journal.disk / 4).await;
    journal.record(format!("saved {note}"));
}

// Saves the note and tells the user it is safe.
async fn keep_note(journal: &Journal, note: &str) {
    let save = save_note(journal, note);
    save.await;
    save_note(journal, note).await;
    journal.record(format!("told the user {note} is safe"));
}

#[tokio::main]
async fn main() {
    let journal = Journal::new(Duration::from_millis(20));
    keep_note(&journal, "shopping list").await;
    for event in journal.events.lock().unwrap().iter() {
        println!("{event}");
    }
}
