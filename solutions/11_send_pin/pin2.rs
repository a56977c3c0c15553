// pin2: awaiting a caller's future in two goes
//
// Sometimes a function waits for a future for a while, does something, and then goes on
// waiting for the *same* future. Here: warn when some work is slow, but never cancel it.
//
//     match timeout(patience, &mut work).await {    // wait a while, without giving `work` away
//         Ok(output) => output,                     // done in time
//         Err(_) => { warn(); work.await }          // too slow: say so, then keep waiting
//     }
//
// `&mut work` lends the future to `timeout` instead of moving it in, so that it is still
// there afterwards. But `&mut F` is a future only when `F: Unpin`. `Unpin` means "may be
// moved even after it has been polled", and the futures of `async fn`s and `async` blocks are
// not: they may point into themselves once polled (pin1). With a `&mut` you could poll such
// a future, then move it (`std::mem::swap`), and break those pointers.
//
// Here `F` is whatever the caller passes, and the compiler's first suggestion is to add
// `F: Unpin` to the bounds. That compiles the helper, and moves the problem to every caller:
// none of them can pass an `async fn`'s future any more, only one they have boxed and pinned
// themselves. The better fix is to pin the future *inside* the helper, once, before its first
// poll:
//
//     let mut work = std::pin::pin!(work);   // a `Pin<&mut F>`: pinned where it stands
//
// A `Pin<&mut F>` is itself `Unpin` (moving the pointer does not move the future), it is a
// future, and `&mut` of it can be lent out again and again. `Box::pin(work)` does the same on
// the heap, at the cost of an allocation.
//
// Two things are not a way out. `tokio::spawn(work)` asks the caller's future to be `Send` and
// `'static`, which the helper does not promise either. And awaiting the work first and then
// checking how long it took warns only once the work is done, too late to be useful.
//
// `warn_if_slow` below does not compile. Make it work for any future its callers give it.

use std::future::Future;
use std::pin::pin;
use std::time::Duration;

use tokio::time::{sleep, timeout};

/// Awaits `work` and returns its output. If it is not done after `patience`, calls `warn`
/// right then, once, and keeps waiting for the same work: it is never cancelled or restarted.
async fn warn_if_slow<F: Future>(work: F, patience: Duration, warn: impl FnOnce()) -> F::Output {
    // Pinned here, once, before its first poll: `work` is now a `Pin<&mut F>`, which is
    // `Unpin` whatever `F` is, so `&mut work` can be lent to `timeout` and the same future
    // awaited afterwards. The callers promise nothing more than `Future`.
    let mut work = pin!(work);
    match timeout(patience, &mut work).await {
        Ok(output) => output,
        Err(_) => {
            warn();
            work.await
        }
    }
}

/// A pretend backup: copies `files` files, 60ms each, and reports what it did.
async fn backup(folder: &str, files: u32) -> String {
    for _ in 0..files {
        sleep(Duration::from_millis(60)).await;
    }
    format!("{folder}: {files} files copied")
}

#[tokio::main]
async fn main() {
    let patience = Duration::from_millis(250);
    for (folder, files) in [("notes", 2), ("photos", 7)] {
        let warn = || println!("the backup of {folder} is slow; still waiting");
        let report = warn_if_slow(backup(folder, files), patience, warn).await;
        println!("{report}");
    }
}
