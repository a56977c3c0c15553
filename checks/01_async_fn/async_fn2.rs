// Checks for async_fn2: synchronous code runs async code through a runtime's `block_on`.
//
// Mistakes a learner makes here, and how each is caught:
// - `total_price` made `async`: its synchronous callers get a future; the const below then
//   fails to compile, with a comment that says why.
// - another executor's `block_on` (`futures::executor::block_on`) around Tokio's sleep: it
//   panics with "no reactor running"; the panic is caught and named.
// - ... and, to make that executor work, `fetch_price` rewritten with `std::thread::sleep`
//   (blocking hidden in a helper): a check runs `fetch_price` on a paused Tokio runtime of its
//   own, where a real await of Tokio's timer takes exactly 2ms of virtual time and a blocking
//   sleep takes none.
// - a runtime without its timer (`new_current_thread().build()` with no `enable_all`): the
//   "timers are disabled" panic is caught and named.
// - a runtime started inside another (`#[tokio::main]` on `main` plus `block_on` inside): the
//   "within a runtime" panic is caught and named.
// - the prices worked out without the price service (bypassing `fetch_price`): every lookup
//   takes 2ms, so `total_price` of a non-empty basket cannot return sooner (a lower bound on
//   the real time, which is never early).
// - hard-coded totals: the checks use baskets the exercise does not show.

use super::{fetch_price, main, total_price};

use std::any::Any;
use std::panic::{self, UnwindSafe};
use std::time::Duration;

// These are plain `#[test]`s on purpose: nothing here runs a runtime for you, just as
// nothing does for the synchronous callers of `total_price`.

// The callers of `total_price` are synchronous and need a number, not a future. If this line
// fails to compile with "expected fn pointer, found fn item", `total_price` was made `async`:
// keep it a plain `fn` and run the async part on a runtime inside it.
const TOTAL_PRICE_MUST_STAY_SYNCHRONOUS: fn(&[&str]) -> u32 = total_price;

// What the price service charges, worked out independently of the learner's file.
fn price(item: &str) -> u32 {
    item.bytes().map(u32::from).sum::<u32>() % 1000
}

fn panic_text(payload: &(dyn Any + Send)) -> &str {
    payload
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| payload.downcast_ref::<&str>().copied())
        .unwrap_or("(no message)")
}

// Runs `f`, turning a panic into a failure that says what usually causes it.
fn without_panic<T>(what: &str, f: impl FnOnce() -> T + UnwindSafe) -> T {
    match panic::catch_unwind(f) {
        Ok(value) => value,
        Err(payload) => {
            let text = panic_text(&*payload);
            let why = if text.contains("timers are disabled") {
                "The runtime was built without its timer driver: call `.enable_all()` (or at \
                 least `.enable_time()`) on the builder before `.build()`."
            } else if text.contains("within a runtime") {
                "A runtime was started inside another one: `block_on` belongs at the \
                 synchronous edge only. Keep `main` a plain `fn` and let `total_price` own \
                 the one runtime."
            } else if text.contains("no reactor running") || text.contains("Tokio 1.x") {
                "The future ran without a Tokio runtime around it. `tokio::time::sleep` \
                 needs one: build a Tokio runtime and call its `block_on` (another \
                 executor's `block_on` is not enough)."
            } else {
                ""
            };
            panic!("{what} panicked with {text:?}. {why}")
        }
    }
}

#[test]
fn total_price_runs_the_lookups_from_sync_code() {
    let items = ["tea", "oat milk", "honey"];
    let expected: u32 = items.iter().map(|item| price(item)).sum();
    // Real time, as a lower bound only: a timer never fires early.
    let start = std::time::Instant::now();
    let total: u32 = without_panic("total_price([\"tea\", \"oat milk\", \"honey\"])", || {
        TOTAL_PRICE_MUST_STAY_SYNCHRONOUS(&items)
    });
    let took = start.elapsed();
    assert_eq!(
        total, expected,
        "total_price({items:?}) returned {total}; the prices add up to {expected}. Is every \
         item's price awaited and added?"
    );
    assert!(
        took >= Duration::from_millis(2),
        "total_price({items:?}) returned after {took:?}, but one lookup at the price service \
         takes 2ms: the prices were not fetched. Run `fetch_price(item).await` for each item \
         inside the runtime's `block_on`"
    );
}

// `fetch_price` is the price service: it must still wait on Tokio's timer. On a paused Tokio
// runtime, awaiting that timer takes exactly 2ms of virtual time; a blocking sleep takes none
// (the paused clock moves only while every task is waiting).
#[test]
fn fetch_price_still_awaits_the_price_service() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .expect("the checks could not build a runtime");
    let (value, took) = without_panic("fetch_price(\"rye bread\")", || {
        runtime.block_on(async {
            let start = tokio::time::Instant::now();
            let value: u32 = fetch_price("rye bread").await;
            (value, start.elapsed())
        })
    });
    assert_eq!(
        value,
        price("rye bread"),
        "fetch_price(\"rye bread\") returned {value}; leave the price service as it was \
         shipped"
    );
    assert_eq!(
        took,
        Duration::from_millis(2),
        "fetch_price took {took:?} of Tokio's virtual time instead of its 2ms: it no longer \
         awaits `tokio::time::sleep`. A blocking `std::thread::sleep` in async code holds the \
         thread and every task on it; leave `fetch_price` as shipped and give `total_price` a \
         Tokio runtime to run it on"
    );
}

#[test]
fn an_empty_basket_costs_nothing() {
    let total: u32 = without_panic("total_price([])", || TOTAL_PRICE_MUST_STAY_SYNCHRONOUS(&[]));
    assert_eq!(
        total, 0,
        "total_price([]) returned {total}; an empty basket costs 0"
    );
}

#[test]
fn total_price_works_from_any_thread_and_more_than_once() {
    let worker = std::thread::spawn(|| {
        let first = without_panic("total_price on a plain thread", || {
            TOTAL_PRICE_MUST_STAY_SYNCHRONOUS(&["salt"])
        });
        let second = without_panic("a second call of total_price", || {
            TOTAL_PRICE_MUST_STAY_SYNCHRONOUS(&["salt", "pepper"])
        });
        (first, second)
    });
    let (first, second) = worker
        .join()
        .unwrap_or_else(|payload| panic!("{}", panic_text(&*payload)));
    assert_eq!(
        first,
        price("salt"),
        "total_price([\"salt\"]) returned {first}"
    );
    assert_eq!(
        second,
        price("salt") + price("pepper"),
        "total_price([\"salt\", \"pepper\"]) returned {second}"
    );
}

#[test]
fn main_is_synchronous_and_runs() {
    without_panic("main()", main);
}
