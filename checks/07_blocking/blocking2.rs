// Checks for blocking2: heavy work off the runtime.
//
// The checks hand `checksum` a pretend file that notes the thread of every read; the first
// read made off the runtime's thread asks a task on the runtime to answer, proving the
// runtime is free meanwhile.
//
// Mistakes a learner makes on this idea, and how each is caught:
// - Reading and hashing on the runtime's thread (as shipped), marking the code `async`, or
//   yielding between chunks: reads are counted on the runtime's thread.
// - A `std::thread` that is `join()`ed (or a `block_on`/channel `recv` that blocks) from the
//   async code: the read happens elsewhere, but the runtime cannot answer meanwhile.
// - `spawn_blocking` around an async block that still does the work on the runtime:
//   reads are counted on the runtime's thread.
// - `block_in_place`: tokio panics on a current-thread runtime; the panic is turned into a
//   lesson.
// - Changing the hash or losing the read error: fixed expected values and an error case.
// - Hard-coding: the data are the checks' own.

use super::{SEED, checksum, mix};

use std::io::{self, Read};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, mpsc as std_mpsc};
use std::thread::ThreadId;
use std::time::Duration;

use tokio::sync::mpsc;

/// How long a read waits for a task on the runtime to answer before it calls the runtime
/// blocked. Only a blocked runtime ever waits this long: a free one answers at once.
const BACKSTOP: Duration = Duration::from_secs(1);

/// What the probe saw.
#[derive(Default)]
struct Seen {
    reads_on_runtime: AtomicUsize,
    reads_elsewhere: AtomicUsize,
    /// A task on the runtime answered while the file was being read elsewhere.
    runtime_answered: AtomicBool,
    runtime_silent: AtomicBool,
}

/// A file that notes on which thread each read happens. The first read made off the
/// runtime's thread asks a task on the runtime to answer, proving that the runtime is free
/// while the file is being read.
struct Probe {
    data: io::Cursor<Vec<u8>>,
    fail_after: Option<u64>,
    runtime_thread: ThreadId,
    ask_runtime: mpsc::UnboundedSender<std_mpsc::Sender<()>>,
    seen: Arc<Seen>,
}

impl Read for Probe {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if std::thread::current().id() == self.runtime_thread {
            self.seen.reads_on_runtime.fetch_add(1, Ordering::SeqCst);
        } else if self.seen.reads_elsewhere.fetch_add(1, Ordering::SeqCst) == 0 {
            let (tx, rx) = std_mpsc::channel();
            if self.ask_runtime.send(tx).is_ok() {
                match rx.recv_timeout(BACKSTOP) {
                    Ok(()) => self.seen.runtime_answered.store(true, Ordering::SeqCst),
                    Err(_) => self.seen.runtime_silent.store(true, Ordering::SeqCst),
                }
            }
        }
        if let Some(limit) = self.fail_after
            && self.data.position() >= limit
        {
            return Err(io::Error::new(
                io::ErrorKind::ConnectionReset,
                "the disk went away",
            ));
        }
        // Small reads, so that the file takes many reads.
        let n = buf.len().min(1000);
        self.data.read(&mut buf[..n])
    }
}

/// A probe over `data` (failing after `fail_after` bytes, if given), and a task on the
/// current runtime that answers the probe.
fn probe(data: Vec<u8>, fail_after: Option<u64>) -> (Probe, Arc<Seen>) {
    let (ask_runtime, mut asks) = mpsc::unbounded_channel::<std_mpsc::Sender<()>>();
    tokio::spawn(async move {
        while let Some(answer) = asks.recv().await {
            let _ = answer.send(());
        }
    });
    let seen = Arc::new(Seen::default());
    let probe = Probe {
        data: io::Cursor::new(data),
        fail_after,
        runtime_thread: std::thread::current().id(),
        ask_runtime,
        seen: seen.clone(),
    };
    (probe, seen)
}

fn sample(len: usize, salt: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(salt))
        .collect()
}

fn check_threads(seen: &Seen) {
    let on_runtime = seen.reads_on_runtime.load(Ordering::SeqCst);
    let elsewhere = seen.reads_elsewhere.load(Ordering::SeqCst);
    assert_eq!(
        on_runtime,
        0,
        "{on_runtime} of the {} reads of the file ran on the runtime's own thread: while they \
         (and the hashing between them) ran, no other task could. Marking code `async`, or \
         yielding between chunks, does not move it off the thread; run the whole read-and-hash \
         loop inside `tokio::task::spawn_blocking(move || ...)` and await its JoinHandle",
        on_runtime + elsewhere
    );
    assert!(
        !seen.runtime_silent.load(Ordering::SeqCst),
        "the file was read on another thread, but meanwhile a task on the runtime could not run \
         for {BACKSTOP:?}: the runtime's thread was blocked waiting for that thread (does it \
         `join()` a `std::thread`?). Use `tokio::task::spawn_blocking` and `.await` its \
         JoinHandle: awaiting waits without blocking"
    );
    assert!(
        seen.runtime_answered.load(Ordering::SeqCst),
        "the file was never read off the runtime's thread"
    );
}

#[tokio::test]
async fn the_file_is_read_and_hashed_off_the_runtime() {
    let data = sample(48_000, 7);
    let (file, seen) = probe(data.clone(), None);
    let sum: io::Result<u64> = no_block_in_place("checksum", checksum(file)).await;
    check_threads(&seen);
    let expected: u64 = mix(SEED, &data);
    assert_eq!(
        sum.as_ref().ok(),
        Some(&expected),
        "checksum gave {sum:?}; expected Ok({expected}), the same hash as before"
    );
}

#[tokio::test]
async fn the_hash_is_unchanged() {
    let (file, _) = probe(b"asynclings".to_vec(), None);
    let sum: io::Result<u64> = no_block_in_place("checksum", checksum(file)).await;
    assert_eq!(
        sum.as_ref().ok(),
        Some(&0x47d4_4973_cce2_a92d),
        "checksum(b\"asynclings\") gave {sum:?}; the hash itself should not change: keep `mix` \
         and SEED as they are"
    );
    let (empty, _) = probe(Vec::new(), None);
    let sum: io::Result<u64> = no_block_in_place("checksum", checksum(empty)).await;
    assert_eq!(
        sum.as_ref().ok(),
        Some(&0xcbf2_9ce4_8422_2325),
        "the checksum of an empty file is {sum:?}; expected Ok(SEED)"
    );
}

#[tokio::test]
async fn a_read_error_is_returned() {
    let (file, seen) = probe(sample(9_000, 3), Some(5_000));
    let sum: io::Result<u64> = no_block_in_place("checksum", checksum(file)).await;
    check_threads(&seen);
    match sum {
        Err(err) if err.kind() == io::ErrorKind::ConnectionReset => {}
        other => panic!(
            "reading the file failed after 5000 bytes, but checksum gave {other:?}; expected the \
             read error, as before"
        ),
    }
}

/// The text of a panic's payload.
fn panic_text(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_default()
}

/// Runs `fut`, turning tokio's panic for `block_in_place` on a current-thread runtime into a
/// lesson; any other panic goes on as it was.
async fn no_block_in_place<F: std::future::Future>(what: &str, fut: F) -> F::Output {
    use futures::FutureExt;
    match std::panic::AssertUnwindSafe(fut).catch_unwind().await {
        Ok(output) => output,
        Err(payload) => {
            let text = panic_text(payload.as_ref());
            if text.contains("only when running on the multi-threaded runtime") {
                panic!(
                    "{what} panicked: {text:?}. `block_in_place` works only on a multi-threaded \
                     runtime, where it can hand this worker's other tasks to another thread; on \
                     a current-thread runtime (this check's, `#[tokio::test]`'s default, and \
                     the exercise's `main`) there is no other thread, so tokio refuses. Move the \
                     blocking read and the hashing to `tokio::task::spawn_blocking(move || ...)` \
                     and `.await` its JoinHandle"
                );
            }
            std::panic::resume_unwind(payload)
        }
    }
}
