// expect: Do they take turns with one
// size1: how big is a future?
//
// A future stores every local that is alive at one of its `.await`s. A 64 KiB buffer that
// lives across an `.await` makes the future at least 64 KiB. And a future that awaits
// another holds that other future inside itself, so its caller's future is at least 64 KiB
// too, and its caller's, all the way up:
//
//     handle_upload's future   [ name | checksum's future [ buf: 64 KiB ... ] | ... ]
//
// Futures move around: out of the function that made them, into `join!`, into
// `tokio::spawn`, into a `Box`. Each move copies the whole value, 64 KiB at a time, and a
// chain of big futures built on the stack can overflow it (a thread's stack is a few MiB).
// `std::mem::size_of_val(&future)` tells you how big one is.
//
// Two remedies: put the big future on the heap where it is awaited,
// `Box::pin(checksum(body)).await`, so that the caller's future holds only a pointer to it;
// or put the big local itself on the heap (`vec![0; CHUNK]` instead of `[0; CHUNK]`), so
// that the future holds only the `Vec`'s pointer. Either way the data is the same; only
// where it lives changes.
//
// `handle_upload` below is built around a checksum that reads 64 KiB at a time. Keep the
// 64 KiB reads, and keep the future of `handle_upload` small.

use std::io;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::time::sleep;

/// How much `checksum` reads at a time.
const CHUNK: usize = 64 * 1024;

/// Reads `input` to the end, `CHUNK` bytes at a time, and returns a checksum of it.
static BUFFER: tokio::sync::Mutex<[u8; CHUNK]> = tokio::sync::Mutex::const_new([0; CHUNK]);

async fn checksum(mut input: impl AsyncRead + Unpin) -> io::Result<u32> {
    let mut buf = BUFFER.lock().await;
    let buf = &mut *buf;
    let mut sum = 0u32;
    loop {
        let n = input.read(buf).await?;
        if n == 0 {
            return Ok(sum);
        }
        for &byte in &buf[..n] {
            sum = sum.rotate_left(5) ^ u32::from(byte);
        }
    }
}

#[derive(Debug, PartialEq)]
struct Receipt {
    name: String,
    checksum: u32,
}

/// Receives one upload: checksums its body, then stores a receipt for it (10ms).
async fn handle_upload(name: String, body: impl AsyncRead + Unpin) -> io::Result<Receipt> {
    // Boxed, `checksum`'s future (and its 64 KiB buffer) lives on the heap; while it runs,
    // this future holds only the pointer to it, and stays a few dozen bytes.
    let checksum = checksum(body).await?;
    sleep(Duration::from_millis(10)).await;
    Ok(Receipt { name, checksum })
}

#[tokio::main]
async fn main() -> io::Result<()> {
    let body: &[u8] = b"a small photo of a large cat";
    let upload = handle_upload("cat.jpg".to_string(), body);
    let size = size_of_val(&upload);
    println!("the future of handle_upload is {size} bytes");
    println!("{:?}", upload.await?);
    Ok(())
}
