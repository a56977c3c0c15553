// Mistakes learners make on async traits behind `dyn`, and how each is caught:
// - `async fn` or `-> impl Future` left in the trait: not dyn compatible (compile error).
// - an enum of the three stores, or generics instead of `dyn`: the checks build a
//   `Vec<Box<dyn Store>>` of their own mix (compile error).
// - boxed futures without `+ Send` (or `#[async_trait(?Send)]`): the futures returned through
//   `&dyn Store` must be `Send`, so that a caller can still be spawned (compile error).
// - `'static` boxed futures that do the work when the method is called, before the future is
//   polled: a put whose future is dropped unpolled must store nothing, and a get made before a
//   put but awaited after it must see the put.
// - layers that change their behaviour (latencies, copying into faster layers): virtual times
//   compared exactly.
// - hard-coding: keys, values and latencies are not the exercise's.

use super::{Disk, Layered, Memory, Origin, Store};

use std::time::Duration;

use asynclings_support::watchdog;
use tokio::time::Instant;

const LIMIT: Duration = Duration::from_secs(10);

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

// The checks keep stores of three different types in one `Vec<Box<dyn Store>>`. If this fails
// to compile with "the trait `Store` is not dyn compatible", `Store` still has methods whose
// return type differs from one impl to the next (`async fn`, or `-> impl Future`): return a
// boxed future instead, `Pin<Box<dyn Future<Output = ..> + Send + 'a>>`. Replacing the `dyn`
// with generics or an enum does not do: the point is a list of any stores, known at run time.
fn three_layers(disk_ms: u64, origin_ms: u64, origin: &[(&str, &str)]) -> Vec<Box<dyn Store>> {
    vec![
        Box::new(Memory::default()),
        Box::new(Disk::new(ms(disk_ms))),
        Box::new(Origin::new(origin, ms(origin_ms))),
    ]
}

/// `cache.get(key)`, with the virtual time it took.
async fn timed_get(cache: &Layered, key: &str) -> (Option<String>, Duration) {
    let start = Instant::now();
    let value: Option<String> = watchdog(LIMIT, "Layered::get", cache.get(key)).await;
    (value, start.elapsed())
}

#[tokio::test(start_paused = true)]
async fn a_miss_goes_to_the_origin_and_fills_the_faster_layers() {
    let cache = Layered {
        layers: three_layers(15, 170, &[("theme", "solarized"), ("lang", "eo")]),
    };

    let (value, took) = timed_get(&cache, "theme").await;
    assert_eq!(
        value.as_deref(),
        Some("solarized"),
        "the first get of \"theme\" gave {value:?}; only the origin has it, and it says \
         \"solarized\""
    );
    assert_eq!(
        took,
        ms(200),
        "the first get of \"theme\" took {took:?} of virtual time; expected 200ms: memory \
         (0) and disk (15ms) miss, the origin answers (170ms), then the value is written to \
         memory (0) and disk (15ms). The layers' behaviour should not change, only the \
         trait's signatures"
    );

    let (value, took) = timed_get(&cache, "theme").await;
    assert_eq!(
        (value.as_deref(), took),
        (Some("solarized"), Duration::ZERO),
        "the second get of \"theme\" gave {value:?} after {took:?}; the first get stored it in \
         memory, which answers at once"
    );

    let (value, took) = timed_get(&cache, "font").await;
    assert_eq!(
        (value.as_deref(), took),
        (None, ms(185)),
        "a get of a key nobody has gave {value:?} after {took:?}; expected None after asking \
         all three layers (0 + 15 + 170 = 185ms)"
    );
}

#[tokio::test(start_paused = true)]
async fn any_mix_of_stores_works_through_dyn() {
    let disk = Disk::new(ms(40));
    {
        let store: &dyn Store = &disk;
        watchdog(LIMIT, "Disk::put through dyn", store.put("lang", "la")).await;
    }
    let cache = Layered {
        layers: vec![
            Box::new(Disk::new(ms(5))),
            Box::new(disk),
            Box::new(Origin::new(&[("lang", "eo")], ms(90))),
        ],
    };
    let (value, took) = timed_get(&cache, "lang").await;
    assert_eq!(
        (value.as_deref(), took),
        (Some("la"), ms(50)),
        "with two disks (5ms, then 40ms, which holds \"la\") above an origin, get(\"lang\") \
         gave {value:?} after {took:?}; expected \"la\" from the second disk after 5 + 40ms, \
         plus 5ms to copy it into the first disk"
    );
}

fn assert_send<T: Send>(_: &T) {}

#[tokio::test(start_paused = true)]
async fn the_futures_behind_dyn_are_send() {
    // If this does not compile, the boxed futures do not promise `Send`: write
    // `Pin<Box<dyn Future<Output = ..> + Send + 'a>>` (or `#[async_trait]`, without `?Send`).
    let stores: Vec<Box<dyn Store>> = three_layers(3, 7, &[("k", "v")]);
    for store in &stores {
        let get = store.get("k");
        assert_send(&get);
        let put = store.put("k", "w");
        assert_send(&put);
    }
}

#[tokio::test(start_paused = true)]
async fn a_call_does_nothing_until_its_future_is_awaited() {
    let stores: Vec<(&str, Box<dyn Store>)> = vec![
        ("Memory", Box::new(Memory::default())),
        ("Disk", Box::new(Disk::new(ms(12)))),
    ];
    for (name, store) in &stores {
        // A put whose future is dropped before it is polled stores nothing.
        drop(store.put("colour", "teal"));
        let value: Option<String> = watchdog(LIMIT, "get", store.get("colour")).await;
        assert!(
            value.is_none(),
            "{name}::put(\"colour\", \"teal\") stored its value although its future was \
             dropped without ever being awaited: the work was done when the method was called. \
             A future does nothing until it is polled: do the work inside \
             `Box::pin(async move {{ .. }})`, borrowing `self` and the arguments for `'a`"
        );
        // A get made before a put, and awaited after it, sees the put.
        let early = store.get("colour");
        watchdog(LIMIT, "put", store.put("colour", "ochre")).await;
        let value: Option<String> = watchdog(LIMIT, "get", early).await;
        assert_eq!(
            value.as_deref(),
            Some("ochre"),
            "{name}::get(\"colour\") was called before a put of \"ochre\" and awaited after \
             it, and gave {value:?}: it read the store when it was called, not when it was \
             awaited. Do the work inside the boxed `async move` block, borrowing `self` and \
             the key for `'a`, instead of copying what it needs into a `'static` future"
        );
    }
}
