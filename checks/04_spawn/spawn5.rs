// Checks for spawn5: a function that starts tasks waits for them (structured concurrency).
//
// Mistakes a learner makes here, and how each is caught:
// - the tasks left detached (the shipped bug): keys missing and tasks alive on return.
// - a fixed sleep before returning (a guess): the checks' fetch times are their own, so the
//   guess is too short (keys missing) or too long (the elapsed time is not the slowest
//   fetch's).
// - only the last handle awaited (in the exercise the last key is also the slowest): the
//   checks put their slowest key first.
// - the cache checked every millisecond until it is full (polling instead of being woken):
//   each of the checks' fetches finishes a scheduler turn after its timer fires, so a poller
//   woken on the same tick sees the cache one short and returns a tick late; exact times.
// - each task awaited as soon as it is spawned (one at a time): the elapsed time is the sum.
// - the JoinSet dropped instead of drained (its tasks aborted): keys missing.
// - the keys stored without fetching them (bypassing `fetch`): `fetch` counts its calls, and
//   the values are the ones it returned.

use super::{Cache, warm_cache};

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use asynclings_support::timeline::{self, Timeline};
use asynclings_support::watchdog;
use tokio::time::{Instant, sleep};

const LIMIT: Duration = Duration::from_secs(60);

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn alive_tasks() -> usize {
    tokio::runtime::Handle::current()
        .metrics()
        .num_alive_tasks()
}

/// Warms a cache with keys (key, fetch time in ms) through a `fetch` whose times only the
/// checks know.
async fn check(spec: &[(&str, u64)]) {
    let cache = Arc::new(Cache::default());
    let keys: Vec<String> = spec.iter().map(|&(k, _)| k.to_string()).collect();
    let times: Arc<HashMap<String, Duration>> =
        Arc::new(spec.iter().map(|&(k, t)| (k.to_string(), ms(t))).collect());
    let calls = Arc::new(AtomicUsize::new(0));
    // Each fetch from its first poll to its answer, and warm_cache itself.
    let recorded = Timeline::new();
    let fetch = {
        let calls = Arc::clone(&calls);
        let recorded = recorded.clone();
        move |key: String| {
            calls.fetch_add(1, Ordering::SeqCst);
            let times = Arc::clone(&times);
            let recorded = recorded.clone();
            async move {
                let _span = recorded.span(key.clone());
                sleep(times[&key]).await;
                // The reply is read a scheduler turn after the timer fires.
                tokio::task::yield_now().await;
                format!("value of {key}")
            }
        }
    };
    let slowest = spec.iter().map(|&(_, t)| ms(t)).max().unwrap_or_default();
    let sum: Duration = spec.iter().map(|&(_, t)| ms(t)).sum();
    let start = Instant::now();
    watchdog(
        LIMIT,
        "warm_cache",
        warm_cache(Arc::clone(&cache), keys.clone(), fetch),
    )
    .await;
    let took = start.elapsed();
    recorded.span_at("warm_cache", Duration::ZERO, took);
    recorded.end_at(took);
    // Every fetch on a task of its own, all started at once, and warm_cache done with the last.
    let expected = Timeline::new();
    for &(key, t) in spec {
        expected.span_at(key, Duration::ZERO, ms(t));
    }
    expected.span_at("warm_cache", Duration::ZERO, slowest);
    expected.end_at(slowest);
    let alive = alive_tasks();
    let cached: HashMap<String, String> = cache.lock().unwrap().clone();
    let missing: Vec<&String> = keys.iter().filter(|k| !cached.contains_key(*k)).collect();
    timeline::assert(missing.is_empty(), &recorded, Some(&expected), || {
        format!(
            "warm_cache returned after {took:?} with {} of {} keys in the cache (missing: \
             {missing:?}) and {alive} task(s) still alive: a spawned task is detached and runs \
             on after the function returns. Keep the JoinHandles (or a JoinSet) and wait for \
             every task: not only the last one, and not for a fixed time. (Dropping a JoinSet \
             aborts its tasks instead.)",
            keys.len() - missing.len(),
            keys.len()
        )
    });
    let calls = calls.load(Ordering::SeqCst);
    assert_eq!(
        calls,
        keys.len(),
        "warm_cache of {} keys called `fetch` {calls} times: fetch each key exactly once",
        keys.len()
    );
    for key in &keys {
        let value: &String = &cached[key];
        assert_eq!(
            value,
            &format!("value of {key}"),
            "the cached value for {key:?} is not the one `fetch` returned"
        );
    }
    assert_eq!(
        alive, 0,
        "{alive} task(s) still alive after warm_cache returned: wait for every task it spawned"
    );
    let why = if took == sum && spec.len() > 1 {
        "the tasks ran one after another: spawn them all first, then wait for them"
    } else if took > slowest && took <= slowest + ms(1) {
        "it returned a millisecond late: it noticed the work was done by checking every \
         millisecond (polling) rather than by waiting on the tasks, which wakes it the moment \
         the last one ends"
    } else if took > slowest {
        "it waited longer than the work took: waiting a fixed time is a guess; wait for the \
         tasks themselves"
    } else {
        "the tasks should run side by side"
    };
    timeline::assert_eq(took, slowest, &recorded, Some(&expected), || {
        format!(
            "warm_cache took {took:?} of virtual time; its slowest fetch takes {slowest:?}: {why}"
        )
    });
}

#[tokio::test(start_paused = true)]
async fn every_key_is_cached_when_it_returns() {
    // The slowest key comes first, the quickest last.
    check(&[
        ("inventory", 613),
        ("orders", 71),
        ("tax-rates", 257),
        ("fx", 149),
        ("shipping-zones", 23),
    ])
    .await;
}

#[tokio::test(start_paused = true)]
async fn the_slowest_key_in_the_middle() {
    check(&[("a", 41), ("b", 977), ("c", 13)]).await;
}

#[tokio::test(start_paused = true)]
async fn a_single_key() {
    check(&[("k", 7)]).await;
}

#[tokio::test(start_paused = true)]
async fn no_keys() {
    check(&[]).await;
}
