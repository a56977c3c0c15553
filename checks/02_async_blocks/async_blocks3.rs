// Checks for async_blocks3: `?` inside an async block whose error type nobody names.
//
// Mistakes a learner makes here, and how each is caught:
// - `unwrap`/`expect` where a `?` should be (a panic instead of an error): read_port runs on
//   a task of its own, and a panic is reported as such.
// - every error turned into one (`map_err(|_| TimedOut)` on the whole block, or a catch-all):
//   a missing key must arrive as `Missing`, a bad value as `NotAPort`, unchanged.
// - the timeout moved or dropped (a timeout per step, or none): a slow store must give
//   `TimedOut` at exactly 500ms of virtual time, and a good one its value at its latency.
// - a fixed port or key (hard-coding): the checks use keys and values the exercise does not
//   show.

use super::{ConfigError, Store, read_port};

use std::collections::HashMap;
use std::time::Duration;

use asynclings_support::watchdog;
use tokio::time::Instant;

const LIMIT: Duration = Duration::from_secs(10);

fn store(latency_ms: u64, pairs: &[(&str, &str)]) -> Store {
    Store {
        values: pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect::<HashMap<_, _>>(),
        latency: Duration::from_millis(latency_ms),
    }
}

/// Runs `read_port` on a task of its own, so that a panic (an `unwrap` where a `?` should be)
/// is reported with a message instead of ending the check.
async fn read(
    latency_ms: u64,
    pairs: &[(&str, &str)],
    key: &str,
) -> (Result<u16, ConfigError>, Duration) {
    let store = store(latency_ms, pairs);
    let key = key.to_string();
    let start = Instant::now();
    let task = tokio::spawn(async move { read_port(&store, &key).await });
    match watchdog(LIMIT, "read_port", task).await {
        Ok(result) => {
            let result: Result<u16, ConfigError> = result;
            (result, start.elapsed())
        }
        Err(err) if err.is_panic() => panic!(
            "read_port panicked instead of returning an error to its caller: is an `unwrap` or \
             `expect` standing where a `?` should be? (see the panic message above)"
        ),
        Err(err) => panic!("the read_port task failed: {err}"),
    }
}

#[tokio::test(start_paused = true)]
async fn a_good_value_is_parsed() {
    let pairs = [("metrics", " 9100\n"), ("db", "5432")];
    let (result, took) = read(70, &pairs, "metrics").await;
    assert!(
        matches!(result, Ok(9100)),
        "read_port(\"metrics\") for the value \" 9100\\n\" gave {result:?}"
    );
    assert_eq!(
        took,
        Duration::from_millis(70),
        "read_port took {took:?} of virtual time with a store that answers in 70ms; expected \
         exactly 70ms"
    );
    let (result, _) = read(70, &pairs, "db").await;
    assert!(
        matches!(result, Ok(5432)),
        "read_port(\"db\") for the value \"5432\" gave {result:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn a_missing_key_reaches_the_caller() {
    let (result, took) = read(40, &[("db", "5432")], "cache").await;
    assert!(
        matches!(&result, Err(ConfigError::Missing(key)) if key.as_str() == "cache"),
        "read_port for a key that is not in the store gave {result:?}; the store's own error \
         must reach the caller unchanged through both `?`s, as Err(Missing(\"cache\"))"
    );
    assert_eq!(took, Duration::from_millis(40));
}

#[tokio::test(start_paused = true)]
async fn a_value_that_is_not_a_port_reaches_the_caller() {
    for bad in ["ninety", "70000", "-1", ""] {
        let (result, _) = read(10, &[("web", bad)], "web").await;
        assert!(
            matches!(result, Err(ConfigError::NotAPort(_))),
            "read_port for the value {bad:?} gave {result:?}, expected Err(NotAPort(..)): the \
             parse error must reach the caller through the block's `?`"
        );
    }
}

#[tokio::test(start_paused = true)]
async fn a_slow_store_times_out_at_the_deadline() {
    let (result, took) = read(2_000, &[("web", "80")], "web").await;
    assert!(
        matches!(result, Err(ConfigError::TimedOut)),
        "read_port with a store that takes 2s gave {result:?}, expected Err(TimedOut) after \
         the 500ms timeout"
    );
    assert_eq!(
        took,
        Duration::from_millis(500),
        "read_port gave up after {took:?} of virtual time, expected exactly 500ms (TIMEOUT)"
    );
}
