// expect: polled the future with `Waker::noop()`
// executor1: a `block_on` of your own
//
// An executor is the code that calls `poll`. The smallest one runs a single future on the
// current thread until it is done: `block_on`. (`#[tokio::main]` is a `block_on` around your
// `main`, with a much cleverer executor inside.) Its whole job:
//
//     loop {
//         poll the future -> Ready(v)?  return v
//                         -> Pending?   sleep until the waker is woken, then poll again
//     }
//
// The waker is the executor's side of future1's promise: the executor decides what "wake"
// does. For a `block_on`, the natural meaning is "unpark the thread that is blocked on this":
//
//     std::thread::park()         sleeps until someone calls `unpark` on this thread
//     thread.unpark()             wakes it; an unpark that comes *before* the park is kept,
//                                 so the next `park()` returns at once (no lost wake-up)
//
// and `std::task::Wake` turns any `Arc<T: Wake>` into a `Waker` without unsafe code:
//
//     struct ThreadWaker(std::thread::Thread);
//     impl Wake for ThreadWaker { fn wake(self: Arc<Self>) { ... } }
//     let waker = Waker::from(Arc::new(ThreadWaker(std::thread::current())));
//
// (`park` may also return for no reason at all, a "spurious wake-up"; then the loop simply
// polls once more and parks again.)
//
// The `block_on` below polls with a waker that does nothing, so it cannot know when to poll
// again, and polls again at once, forever: while the future waits, a CPU runs at 100%.

use std::pin::pin;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

/// Runs `future` on the current thread until it is done, and returns its output.
fn block_on<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    // TODO: with a waker that does nothing, nobody can tell this loop when to poll again.
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return output;
        }
        std::thread::yield_now();
    }
}

fn main() {
    // A oneshot channel works with any executor: its receiver is a future.
    let (sender, receiver) = futures::channel::oneshot::channel();
    std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(500));
        sender.send("hello from another thread").unwrap();
    });
    println!("{}", block_on(receiver).unwrap());
    println!("{}", block_on(async { 6 * 7 }));
}
