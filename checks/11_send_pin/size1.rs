// Mistakes learners make on the size of a future, and how each is caught:
// - the 64 KiB buffer inside the future (the shipped code), or boxing in the wrong place (the
//   outer future in `main`, the result): `size_of_val` of `handle_upload`'s future is bounded.
// - a smaller buffer: the largest buffer offered to the body is recorded; it must be 64 KiB.
// - one buffer for everybody (a `static` behind a `std::sync::Mutex`, a thread-local
//   `RefCell`): a guard held across the read's `.await` makes the future non-`Send`, and the
//   checks `tokio::spawn` uploads (compile error); behind a `tokio::sync::Mutex`, two uploads
//   at once take turns, and the checks time two uploads whose reads wait.
// - the checksum run in another executor's `block_on` (futures::executor::block_on), which
//   blocks the thread: the body's reads are pending once each, and a neighbour task must get
//   turns between the reads.
// - receipts compared as plain values (name, checksum) for sizes the exercise does not show.

use super::{CHUNK, handle_upload};

use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use asynclings_support::watchdog;
use tokio::io::{AsyncRead, ReadBuf};

/// The most that the future of `handle_upload` may take.
const SMALL: usize = 1024;

const LIMIT: Duration = Duration::from_secs(10);

/// A body that hands out at most `per_read` bytes per read, and remembers the largest
/// buffer a reader offered it. With `pending_once` set, every read is pending once first
/// and wakes itself at once (so other tasks get a turn in between); with `log` set, each
/// read is noted there under the body's name; with `neighbour` set, each read notes how many
/// turns the neighbour has had.
struct Body {
    data: Vec<u8>,
    at: usize,
    per_read: usize,
    largest_buffer: Arc<AtomicUsize>,
    pending_once: Option<bool>,
    log: Option<(Arc<Mutex<Vec<&'static str>>>, &'static str)>,
    neighbour: Option<Neighbour>,
}

/// A task that counts its turns until the body has been read to the end. The body pokes it
/// whenever a read is pending, so it is ready to run whenever the runtime gets the thread.
#[derive(Clone, Default)]
struct Neighbour {
    turns: Arc<AtomicUsize>,
    done: Arc<AtomicBool>,
    seen: Arc<Mutex<Vec<usize>>>,
    poke: Arc<tokio::sync::Notify>,
}

impl AsyncRead for Body {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if let Some(waited) = self.pending_once {
            self.pending_once = Some(!waited);
            if !waited {
                if let Some(neighbour) = &self.neighbour {
                    neighbour.poke.notify_one();
                }
                cx.waker().wake_by_ref();
                return Poll::Pending;
            }
        }
        if let Some(neighbour) = &self.neighbour {
            let turns = neighbour.turns.load(Ordering::SeqCst);
            neighbour.seen.lock().unwrap().push(turns);
        }
        if let Some((log, name)) = &self.log {
            log.lock().unwrap().push(name);
        }
        self.largest_buffer
            .fetch_max(buf.remaining(), Ordering::SeqCst);
        let n = buf
            .remaining()
            .min(self.per_read)
            .min(self.data.len() - self.at);
        let start = self.at;
        buf.put_slice(&self.data[start..start + n]);
        self.at += n;
        if n == 0 {
            if let Some(neighbour) = &self.neighbour {
                neighbour.done.store(true, Ordering::SeqCst);
                neighbour.poke.notify_one();
            }
        }
        Poll::Ready(Ok(()))
    }
}

fn body(len: usize, per_read: usize) -> (Body, Arc<AtomicUsize>) {
    let largest_buffer = Arc::new(AtomicUsize::new(0));
    let data = (0..len).map(|i| (i * 31 % 253) as u8).collect();
    let body = Body {
        data,
        at: 0,
        per_read,
        largest_buffer: Arc::clone(&largest_buffer),
        pending_once: None,
        log: None,
        neighbour: None,
    };
    (body, largest_buffer)
}

/// Runs `handle_upload` on a task of its own (so its future must be `Send`), and returns the
/// receipt as plain values.
async fn upload(name: &str, body: Body) -> (String, u32) {
    let task = tokio::spawn(handle_upload(name.to_string(), body));
    let receipt = watchdog(LIMIT, "handle_upload", task)
        .await
        .expect("handle_upload panicked")
        .expect("handle_upload failed");
    let name: String = receipt.name;
    let checksum: u32 = receipt.checksum;
    (name, checksum)
}

fn expected_checksum(len: usize) -> u32 {
    (0..len)
        .map(|i| (i * 31 % 253) as u8)
        .fold(0u32, |sum, b| sum.rotate_left(5) ^ u32::from(b))
}

#[tokio::test(start_paused = true)]
async fn the_future_of_handle_upload_is_small() {
    let (body, _) = body(10, 10);
    let upload = handle_upload("tiny.txt".to_string(), body);
    let size = size_of_val(&upload);
    assert!(
        size <= SMALL,
        "the future of handle_upload is {size} bytes; it should take at most {SMALL}. While it \
         awaits `checksum`, it holds `checksum`'s whole future, and that holds the {CHUNK}-byte \
         buffer, which lives across an `.await`. Box the inner future where it is awaited \
         (`Box::pin(checksum(body)).await`), or put the buffer itself on the heap"
    );
    drop(upload);
}

#[tokio::test(start_paused = true)]
async fn uploads_are_checksummed_64_kib_at_a_time() {
    for (len, per_read) in [(200_000, 100_000), (65_536, 65_536), (70_001, 4096), (0, 1)] {
        let (body, largest_buffer) = body(len, per_read);
        let name = format!("upload-{len}.bin");
        let receipt = upload(&name, body).await;
        let expected = (name, expected_checksum(len));
        assert_eq!(
            receipt, expected,
            "the receipt (name, checksum) for an upload of {len} bytes is wrong"
        );
        let largest = largest_buffer.load(Ordering::SeqCst);
        assert!(
            largest >= CHUNK,
            "checksum read the upload with a buffer of {largest} bytes; it should read {CHUNK} \
             bytes at a time (fewer, larger reads). Keep the buffer's size and move it off the \
             future instead: onto the heap, or box the future that holds it"
        );
    }
}

#[tokio::test(start_paused = true)]
async fn two_uploads_at_once_do_not_take_turns() {
    // Every read is pending once: two uploads at once read by turns, A B A B ..., unless
    // one waits for the other to finish.
    let log: Arc<Mutex<Vec<&'static str>>> = Arc::default();
    let mut uploads = Vec::new();
    for (name, len) in [("left.raw", 150_000), ("right.raw", 140_000)] {
        let (mut body, _) = body(len, CHUNK);
        body.pending_once = Some(false);
        body.log = Some((log.clone(), name));
        uploads.push(async move { upload(name, body).await });
    }
    let receipts: Vec<(String, u32)> = futures::future::join_all(uploads).await;
    assert_eq!(
        receipts,
        vec![
            ("left.raw".to_string(), expected_checksum(150_000)),
            ("right.raw".to_string(), expected_checksum(140_000)),
        ],
        "the receipts of two uploads at once are wrong"
    );
    let reads: Vec<&'static str> = log.lock().unwrap().clone();
    let last_left = reads.iter().rposition(|r| *r == "left.raw");
    let first_right = reads.iter().position(|r| *r == "right.raw");
    assert!(
        first_right < last_left,
        "two uploads ran at once, but their reads came one upload after the other: {reads:?}. \
         Do they take turns with one shared buffer (a `static` behind a lock)? Each upload \
         needs its own buffer: on the heap (`vec![0; CHUNK]`), or inside a boxed future"
    );
}

#[tokio::test(start_paused = true)]
async fn the_checksum_does_not_block_the_thread() {
    let (mut body, _) = body(40 * CHUNK, CHUNK);
    body.pending_once = Some(false);
    let neighbour = Neighbour::default();
    body.neighbour = Some(neighbour.clone());
    let counting = {
        let neighbour = neighbour.clone();
        tokio::spawn(async move {
            while !neighbour.done.load(Ordering::SeqCst) {
                neighbour.poke.notified().await;
                neighbour.turns.fetch_add(1, Ordering::SeqCst);
            }
        })
    };
    let receipt = upload("big.iso", body).await;
    counting.await.unwrap();
    assert_eq!(
        receipt,
        ("big.iso".to_string(), expected_checksum(40 * CHUNK)),
        "the receipt for an upload of {} bytes is wrong",
        40 * CHUNK
    );
    let seen: Vec<usize> = neighbour.seen.lock().unwrap().clone();
    assert!(
        seen.first() != seen.last(),
        "while the upload was read (41 reads, each of which had to wait once), no other task got \
         a single turn: the thread was blocked. Is the checksum run in another executor's \
         `block_on` (futures::executor::block_on)? That polls it in a loop on this thread, \
         and the runtime can do nothing else meanwhile. Await it: `Box::pin(checksum(body)).await`"
    );
}
