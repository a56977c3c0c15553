use super::*;

use std::sync::Arc;
use std::time::Duration;

use asynclings_support::watchdog;
use tokio::time::Instant;

const LIMIT: Duration = Duration::from_secs(60);

fn alive_tasks() -> usize {
    tokio::runtime::Handle::current()
        .metrics()
        .num_alive_tasks()
}

async fn check(keys: &[&str]) {
    let cache = Arc::new(Cache::default());
    let keys: Vec<String> = keys.iter().map(|k| k.to_string()).collect();
    let slowest = keys
        .iter()
        .map(|k| Duration::from_millis(10 * k.len() as u64))
        .max()
        .unwrap_or_default();
    let sum: Duration = keys
        .iter()
        .map(|k| Duration::from_millis(10 * k.len() as u64))
        .sum();
    let start = Instant::now();
    watchdog(
        LIMIT,
        "warm_cache",
        warm_cache(Arc::clone(&cache), keys.clone()),
    )
    .await;
    let took = start.elapsed();
    let alive = alive_tasks();
    let cached = cache.lock().unwrap().clone();
    let missing: Vec<&String> = keys.iter().filter(|k| !cached.contains_key(*k)).collect();
    assert!(
        missing.is_empty(),
        "warm_cache returned with {} of {} keys in the cache (missing: {missing:?}) and {alive} \
         task(s) still alive: a spawned task is detached and runs on after the function returns. \
         Keep the JoinHandles (or a JoinSet) and wait for every task. (Dropping a JoinSet \
         aborts its tasks instead.)",
        keys.len() - missing.len(),
        keys.len()
    );
    for key in &keys {
        assert_eq!(
            cached[key],
            key.to_uppercase(),
            "the cached value for {key:?} is wrong"
        );
    }
    assert_eq!(
        alive, 0,
        "{alive} task(s) still alive after warm_cache returned: wait for every task it spawned"
    );
    let why = if took == sum {
        "the tasks ran one after another: spawn them all first, then wait for them"
    } else if took > slowest {
        "it waited longer than the work took: waiting a fixed time is a guess; wait for the \
         tasks themselves"
    } else {
        "the tasks should run side by side"
    };
    assert_eq!(
        took, slowest,
        "warm_cache took {took:?} of virtual time; its slowest fetch takes {slowest:?}: {why}"
    );
}

#[tokio::test(start_paused = true)]
async fn every_key_is_cached_when_it_returns() {
    check(&["orders", "inventory", "tax-rates", "fx", "shipping-zones"]).await;
}

#[tokio::test(start_paused = true)]
async fn a_single_key() {
    check(&["k"]).await;
}

#[tokio::test(start_paused = true)]
async fn no_keys() {
    check(&[]).await;
}
