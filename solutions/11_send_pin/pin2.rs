// pin2: one future across many turns of a loop
//
// A `select!` in a loop often waits for one long operation while it handles other events
// (progress reports, keep-alives, messages). The long operation must be the *same* future on
// every turn, carrying on where it was, not a new one. Three attempts, and where they lead:
//
//     loop { select! { data = download => .., _ = tick => .. } }
//         error: use of moved value. `select!` takes a future by value, so `download` is
//         moved into the first turn and gone for the second.
//
//     loop { select! { data = mirror.download() => .., _ = tick => .. } }
//         compiles, but every turn starts a new download, and the one in progress is
//         dropped whenever the tick wins. If ticks come faster than a download takes, it
//         never finishes.
//
//     loop { select! { data = &mut download => .., _ = tick => .. } }
//         the right idea: a `&mut` to a future polls it without consuming it. But an `async
//         fn`'s future must not move once it has been polled (it may point into itself),
//         and a `&mut` would allow moving it: the compiler asks for it to be pinned first.
//
// So pin it once, before the loop, and select on `&mut` it:
//
//     let mut download = std::pin::pin!(mirror.download());   // pinned where it stands
//     // or: let mut download = Box::pin(mirror.download());    // pinned on the heap
//
// `download_with_progress` below reports progress while it downloads, or it would, if it
// compiled. Keep one download going across the turns of its loop.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::time::{Instant, interval_at, sleep};

/// A pretend mirror: sends 100 bytes every `per_chunk`.
struct Mirror {
    data: Vec<u8>,
    per_chunk: Duration,
    started: AtomicUsize,
}

impl Mirror {
    fn new(data: &[u8], per_chunk: Duration) -> Mirror {
        let data = data.to_vec();
        let started = AtomicUsize::new(0);
        Mirror {
            data,
            per_chunk,
            started,
        }
    }

    /// Downloads all the data, 100 bytes at a time.
    async fn download(&self) -> Vec<u8> {
        self.started.fetch_add(1, Ordering::SeqCst);
        let mut received = Vec::new();
        for chunk in self.data.chunks(100) {
            sleep(self.per_chunk).await;
            received.extend_from_slice(chunk);
        }
        received
    }

    /// How many downloads have been started.
    fn downloads_started(&self) -> usize {
        self.started.load(Ordering::SeqCst)
    }
}

/// Downloads from `mirror`, and while the download runs, calls `progress` every `every`
/// (the first time after one `every`) with the time since the start. Returns the data.
async fn download_with_progress(
    mirror: &Mirror,
    every: Duration,
    mut progress: impl FnMut(Duration),
) -> Vec<u8> {
    let start = Instant::now();
    let mut ticks = interval_at(start + every, every);
    // One download, pinned where it stands so that it may be polled through `&mut`: each
    // turn of the loop polls the same future, which carries on from where it was, and a tick
    // that wins a turn no longer drops it.
    let mut download = std::pin::pin!(mirror.download());
    loop {
        tokio::select! {
            data = &mut download => return data,
            _ = ticks.tick() => progress(start.elapsed()),
        }
    }
}

#[tokio::main]
async fn main() {
    let mirror = Mirror::new(&[7; 1000], Duration::from_millis(60));
    let every = Duration::from_millis(100);
    let report = |t: Duration| println!("still downloading at {t:?}");
    let data = download_with_progress(&mirror, every, report).await;
    let started = mirror.downloads_started();
    println!("{} bytes, {started} download(s) started", data.len());
}
