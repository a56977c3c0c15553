// traits1: async fn in traits, without a macro
//
// A trait can declare an `async fn`, and each impl defines it like any other method. This is
// part of the language since Rust 1.75. Code written before then used the `async-trait`
// crate, whose `#[async_trait]` attribute rewrites every `async fn` of a trait, and of each of
// its impls, into a plain method returning a boxed future:
//
//     #[async_trait]                          fn read<'a>(&'a self)
//     async fn read(&self) -> i64;     ==>        -> Pin<Box<dyn Future<Output = i64> + Send + 'a>>;
//
// That rewrite has costs:
//   - every call allocates the future on the heap, and every poll goes through a vtable;
//   - every implementation must give a `Send` future, even when nobody needs one.
//
// Written natively, each impl's `async fn` returns its own future type, which the caller
// keeps inline (no box) and which is `Send` exactly when what it holds is `Send`.
//
// The sensors below still use the macro. `Tally` keeps its count in an `Rc<Cell<..>>`: it
// is only ever used on one thread, and that is fine. But the macro wants a `Send` future from
// every impl, so `Tally` does not compile. Use the language's own async fn in traits.

use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;

use tokio::time::sleep;

// A native `async fn` in a trait: each impl's future is its own type, kept inline by the
// caller (no box per call), and `Send` only when what it holds is `Send`. That is why
// `Tally`, with its `Rc`, can implement the trait now.
trait Sensor {
    /// Takes one reading.
    async fn read(&self) -> i64;
}

/// A thermometer that answers after `latency` with the temperature it measures, corrected by
/// its calibration offset.
struct Thermometer {
    celsius: i64,
    offset: i64,
    latency: Duration,
}

impl Sensor for Thermometer {
    fn read(&self) -> impl std::future::Future<Output = i64> {
        async move {
            sleep(self.latency).await;
            self.celsius + self.offset
        }
    }
}

/// Counts the people passing a door. The door's handler shares the count and runs on the same
/// thread, so an `Rc<Cell<..>>` is all it needs.
#[derive(Default)]
struct Tally {
    passed: Rc<Cell<i64>>,
}

impl Tally {
    /// Someone passed the door.
    fn pass(&self) {
        self.passed.set(self.passed.get() + 1);
    }
}

impl Sensor for Tally {
    async fn read(&self) -> i64 {
        // Let whatever else is ready on this thread run first, then read the count.
        tokio::task::yield_now().await;
        self.passed.get()
    }
}

/// Reads `sensor` `times` times, one reading after another, and returns the sum of the
/// readings.
async fn total<S: Sensor>(sensor: &S, times: u32) -> i64 {
    let mut sum = 0;
    for _ in 0..times {
        sum += sensor.read().await;
    }
    sum
}

#[tokio::main]
async fn main() {
    let thermometer = Thermometer {
        celsius: 21,
        offset: -1,
        latency: Duration::from_millis(50),
    };
    println!("thermometer: {}", thermometer.read().await);
    println!("three readings add up to {}", total(&thermometer, 3).await);

    let tally = Tally::default();
    tally.pass();
    tally.pass();
    println!("tally: {}", tally.read().await);
}
