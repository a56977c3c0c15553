// Valid alternative: a deadline that moves forward by the doubled wait, with `sleep_until`.
// async_closures2: a retry helper that takes an async closure
//
// A helper that runs an operation several times needs a fresh future for every attempt: a
// future runs once, and a finished future cannot be awaited again. So the helper takes
// something it can *call* repeatedly to get a new future each time: an async closure, named
// in the helper's signature as `impl AsyncFn() -> Result<T, E>`.
//
//     retry(3, async || client.get("/status").await)
//
// When a call fails because the other side is overloaded, trying again at once makes things
// worse. Retries usually back off: wait a little after the first failure, twice as long after
// the second, and so on ("exponential backoff"). With a first wait of 100ms:
//
//     attempt 1        attempt 2             attempt 3
//     |--fails--|100ms|--fails--|----200ms----|--fails--|  give up: no wait after the last
//     0ms             100ms                   300ms
//
// `retry` below calls the operation again straight away. Make it back off, using
// `tokio::time::sleep` (it lets other tasks run while this one waits; `std::thread::sleep`
// would block the whole thread).

use std::cell::Cell;
use std::time::Duration;

/// The wait after the first failed attempt; each later wait is twice the one before.
const FIRST_BACKOFF: Duration = Duration::from_millis(100);

/// Calls `operation` until it succeeds or `attempts` calls have failed, and returns the
/// first success or the last error. Waits `FIRST_BACKOFF` after the first failure and doubles
/// the wait after each further failure. Does not wait after the last attempt.
async fn retry<T, E>(attempts: u32, operation: impl AsyncFn() -> Result<T, E>) -> Result<T, E> {
    let mut failures = 0;
    loop {
        match operation().await {
            Ok(value) => return Ok(value),
            Err(err) => {
                failures += 1;
                if failures >= attempts {
                    return Err(err);
                }
                let deadline = tokio::time::Instant::now() + FIRST_BACKOFF * (1 << (failures - 1));
                tokio::time::sleep_until(deadline).await;
            }
        }
    }
}

#[tokio::main]
async fn main() {
    let start = tokio::time::Instant::now();
    // An `AsyncFn` closure may be called while an earlier call is still alive, so it cannot
    // mutate what it captures directly; a `Cell` counts the calls through a shared reference.
    let calls = Cell::new(0);
    let result: Result<&str, String> = retry(4, async || {
        calls.set(calls.get() + 1);
        println!("attempt {} at {:?}", calls.get(), start.elapsed());
        if calls.get() < 3 {
            Err(format!("busy (call {})", calls.get()))
        } else {
            Ok("done")
        }
    })
    .await;
    println!("{result:?}");
}
