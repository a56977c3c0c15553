use super::*;

use std::time::Duration;

use asynclings_support::{EventLog, watchdog};
use tokio::time::Instant;

const LIMIT: Duration = Duration::from_secs(60);

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// Runs `ping_all` over mirrors (host, latency in ms); returns when each answer was handled
/// and how long `ping_all` took.
async fn run(spec: &[(&str, u64)]) -> (Vec<(Duration, String)>, Duration) {
    let mirrors = spec
        .iter()
        .map(|&(host, l)| Mirror {
            host: host.to_string(),
            latency: ms(l),
        })
        .collect();
    let log = EventLog::new();
    let start = Instant::now();
    watchdog(
        LIMIT,
        "ping_all",
        ping_all(mirrors, |line| log.record(line)),
    )
    .await;
    (log.timed_events(), start.elapsed())
}

fn expected(spec: &[(&str, u64)]) -> Vec<(Duration, String)> {
    let mut expected: Vec<(Duration, String)> = spec
        .iter()
        .map(|&(host, l)| (ms(l), format!("{host} answered in {:?}", ms(l))))
        .collect();
    expected.sort();
    expected
}

fn assert_answers(spec: &[(&str, u64)], got: &[(Duration, String)]) {
    let expected = expected(spec);
    let all_at_the_end = got.len() > 1 && got.iter().all(|(at, _)| *at == got[0].0);
    let why = match (got.first(), expected.first()) {
        (Some((at, _)), Some((fastest, _))) if all_at_the_end && at > fastest => format!(
            "every answer was handled at {at:?}, after the slowest mirror had answered: handle \
             each one as `join_next` returns it, rather than collecting them all first"
        ),
        (Some((at, line)), Some((fastest, _))) if at > fastest => format!(
            "the first answer was handled at {at:?} (\"{line}\"), but the fastest mirror answered \
             at {fastest:?}: are the tasks awaited in the order they were spawned? \
             `JoinSet::join_next` gives the next task to finish"
        ),
        _ => "each answer should be handled once, at the moment its mirror answers".to_string(),
    };
    assert_eq!(
        got, expected,
        "the answers were handled at {got:?}, expected {expected:?}: {why}"
    );
}

#[tokio::test(start_paused = true)]
async fn answers_are_handled_as_they_arrive() {
    let spec = [
        ("eu.mirror.test", 180),
        ("us.mirror.test", 35),
        ("ap.mirror.test", 410),
        ("sa.mirror.test", 95),
    ];
    let (answers, took) = run(&spec).await;
    assert_answers(&spec, &answers);
    assert_eq!(
        took,
        ms(410),
        "ping_all should return when the slowest mirror has answered (410ms); it took {took:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn the_slowest_first_does_not_hold_up_the_rest() {
    let spec = [
        ("a.test", 700),
        ("b.test", 600),
        ("c.test", 500),
        ("d.test", 10),
    ];
    let (answers, _) = run(&spec).await;
    assert_answers(&spec, &answers);
}

#[tokio::test(start_paused = true)]
async fn no_task_is_left_behind() {
    let spec = [("x.test", 40), ("y.test", 20)];
    let (answers, _) = run(&spec).await;
    assert_eq!(answers.len(), 2);
    let alive = tokio::runtime::Handle::current()
        .metrics()
        .num_alive_tasks();
    assert_eq!(
        alive, 0,
        "{alive} ping task(s) still alive after ping_all returned: wait for every task"
    );
}

#[tokio::test(start_paused = true)]
async fn no_mirrors_no_answers() {
    let (answers, took) = run(&[]).await;
    assert!(
        answers.is_empty(),
        "ping_all of no mirrors reported {answers:?}"
    );
    assert_eq!(took, Duration::ZERO);
}
