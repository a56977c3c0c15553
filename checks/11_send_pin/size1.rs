use super::*;

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use asynclings_support::watchdog;
use tokio::io::{AsyncRead, ReadBuf};

/// The most that the future of `handle_upload` may take.
const SMALL: usize = 1024;

const LIMIT: Duration = Duration::from_secs(10);

/// A body that hands out at most `per_read` bytes per read, and remembers the largest
/// buffer a reader offered it.
struct Body {
    data: Vec<u8>,
    at: usize,
    per_read: usize,
    largest_buffer: Arc<AtomicUsize>,
}

impl AsyncRead for Body {
    fn poll_read(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        self.largest_buffer
            .fetch_max(buf.remaining(), Ordering::SeqCst);
        let n = buf
            .remaining()
            .min(self.per_read)
            .min(self.data.len() - self.at);
        let start = self.at;
        buf.put_slice(&self.data[start..start + n]);
        self.at += n;
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
    };
    (body, largest_buffer)
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
        let receipt = watchdog(LIMIT, "handle_upload", handle_upload(name.clone(), body))
            .await
            .expect("handle_upload failed");
        let expected = Receipt {
            name,
            checksum: expected_checksum(len),
        };
        assert_eq!(
            receipt, expected,
            "the receipt for an upload of {len} bytes is wrong"
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
