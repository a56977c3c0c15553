// expect: works only on a multi-threaded runtime
// Wrong fix: block_in_place around the blocking work; tokio refuses it on a current-thread
// runtime.
// blocking2: heavy work goes to the blocking pool
//
// What keeps your program from making progress? If it is waiting (for the network, a timer,
// another task), that is what async is for: while one task waits, the thread runs others.
// If it is computing (hashing, compressing, parsing a huge file) or calling an API that
// blocks (`std::fs`, `std::io::Read`, a database driver without async support), there is
// nothing to wait for asynchronously: the work needs a thread, for as long as it takes. Do
// it in an async task and it takes the runtime's thread, and every task queued on it waits.
//
// Marking the function `async` changes nothing about that: an `async fn` that never reaches
// an `.await` that waits is a blocking function with extra steps.
//
// Tokio keeps a separate pool of threads for such work. `tokio::task::spawn_blocking` runs a
// plain closure on one of them and gives you a `JoinHandle` to await; the runtime's threads
// stay free meanwhile:
//
//     runtime thread   |--other tasks-----------------------------|-- use the result
//     blocking pool         |===== read + hash (blocking, CPU) =====|
//
//     let sum = tokio::task::spawn_blocking(move || heavy(data)).await?;
//
// The closure must be `Send + 'static` (it moves to another thread and may outlive the
// caller), so move owned data into it. For a lot of CPU-bound work, a pool sized to the
// number of cores (rayon) fits better than the blocking pool, which is meant for waiting on
// blocking calls; and a program that is all computation and no I/O may not need async.
//
// `checksum` below reads a file with `std::io::Read` and mixes every byte into a slow hash,
// all on the runtime's thread. Move that work off it.

use std::io::{self, Read};
use std::time::Duration;

const SEED: u64 = 0xcbf2_9ce4_8422_2325;

// How hard the hash works on each byte: deliberately slow, like a password hash.
const ROUNDS: u32 = 64;

// Mixes `bytes` into the hash `state`. Pure computation: it never waits, it only works.
fn mix(mut state: u64, bytes: &[u8]) -> u64 {
    for &byte in bytes {
        for round in 0..ROUNDS {
            state ^= u64::from(byte) + u64::from(round);
            state = state.wrapping_mul(0x0100_0000_01b3).rotate_left(7);
        }
    }
    state
}

// Reads `file` to the end and returns the hash of its bytes. Blocking: call it from a
// blocking thread, not from async code.
fn checksum_blocking(mut file: impl Read) -> io::Result<u64> {
    let mut state = SEED;
    let mut buf = [0u8; 4096];
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            return Ok(state);
        }
        state = mix(state, &buf[..n]);
    }
}

// Reads `file` to the end and returns the hash of its bytes.
async fn checksum(file: impl Read + Send + 'static) -> io::Result<u64> {
    // The blocking reads and the hashing run on a thread of the blocking pool; this task
    // waits for the result at the `.await`, leaving the runtime's thread to other tasks.
    tokio::task::block_in_place(move || checksum_blocking(file))
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    // A spinner that should turn every 10ms while the checksum is computed.
    let spinner = tokio::spawn(async {
        let mut turns = 0;
        loop {
            tokio::time::sleep(Duration::from_millis(10)).await;
            turns += 1;
            print!("\rspinner turns: {turns}");
        }
    });
    let file = io::Cursor::new(vec![42u8; 1 << 20]);
    let sum = checksum(file).await.unwrap();
    spinner.abort();
    println!("\nchecksum: {sum:016x}");
}
