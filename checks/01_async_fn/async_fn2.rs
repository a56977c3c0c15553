use super::*;

use std::any::Any;
use std::panic::{self, UnwindSafe};

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
    let total: u32 = without_panic("total_price([\"tea\", \"oat milk\", \"honey\"])", || {
        TOTAL_PRICE_MUST_STAY_SYNCHRONOUS(&items)
    });
    assert_eq!(
        total, expected,
        "total_price({items:?}) returned {total}; the prices add up to {expected}. Is every \
         item's price awaited and added?"
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
