// async_fn2: calling async code from synchronous code
//
// `.await` is allowed only inside async code (an `async fn` or an `async` block). Sooner or
// later, though, synchronous code has to get a result out of a future: `main`, a callback a
// synchronous library calls, a plain `#[test]`, a command-line tool built on an async
// client library.
//
// The answer is always the same: at that edge, a runtime runs the future to the end and the
// synchronous code waits for it. With Tokio:
//
//     let runtime = tokio::runtime::Builder::new_current_thread()
//         .enable_all()            // timers and I/O; without them `sleep` panics
//         .build()
//         .expect("failed to build a Tokio runtime");
//     let value = runtime.block_on(some_future);   // waits here until the future is done
//
// `#[tokio::main]`, which you met in intro2, writes exactly this around the body of `main`.
//
// Making `total_price` async is not a fix: its callers are synchronous (look at `main`), and
// they would just get a future they cannot await. Keep `total_price` a plain function and
// give it a runtime to run the async lookups on.
//
// Tokio's timers and sockets work only on a Tokio runtime. Another executor, such as
// `futures::executor::block_on`, cannot drive `tokio::time::sleep`: it panics with "there is
// no reactor running".

use std::time::Duration;

// Looks up the price of one item, in cents, at a slow price service. (Leave it as it is: it
// stands for the service, and the checks time it.)
async fn fetch_price(item: &str) -> u32 {
    tokio::time::sleep(Duration::from_millis(2)).await;
    item.bytes().map(u32::from).sum::<u32>() % 1000
}

// Adds up the prices of `items`. Its callers are synchronous, so it must stay a plain `fn`.
fn total_price(items: &[&str]) -> u32 {
    // TODO: `.await` cannot be used in a function that is not async. Build a Tokio runtime
    // here and let its `block_on` run the async part.
    let mut total = 0;
    for item in items {
        total += fetch_price(item).await;
    }
    total
}

fn main() {
    let basket = ["apples", "bread", "cheese"];
    println!("the basket costs {} cents", total_price(&basket));
}
