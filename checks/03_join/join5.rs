use super::*;

use std::time::Duration;

use asynclings_support::{EventLog, watchdog};
use tokio::time::Instant;

const LIMIT: Duration = Duration::from_secs(60);

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// Runs `run_all` over jobs (name, duration in ms); returns when each report was handled.
async fn run(jobs: &[(&str, u64)]) -> (Vec<(Duration, String)>, Duration) {
    let jobs: Vec<Job> = jobs
        .iter()
        .map(|&(name, d)| Job {
            name: name.to_string(),
            duration: ms(d),
        })
        .collect();
    let log = EventLog::new();
    let start = Instant::now();
    watchdog(LIMIT, "run_all", run_all(jobs, |report| log.record(report))).await;
    (log.timed_events(), start.elapsed())
}

fn expected(jobs: &[(&str, u64)]) -> Vec<(Duration, String)> {
    let mut expected: Vec<(Duration, String)> = jobs
        .iter()
        .map(|&(name, d)| (ms(d), format!("{name} done")))
        .collect();
    expected.sort();
    expected
}

fn assert_handled(jobs: &[(&str, u64)], got: &[(Duration, String)]) {
    let expected = expected(jobs);
    let first_late = expected
        .iter()
        .find(|(at, report)| got.iter().any(|(t, r)| r == report && t > at));
    let why = match first_late {
        Some((at, report)) => format!(
            "\"{report}\" was ready at {at:?} but handled later: a report should be handled as \
             soon as its job finishes (`join_all` and `buffered` hand results back in input \
             order; `FuturesUnordered` yields each one as it completes)"
        ),
        None => "every job should be reported once, when it finishes".to_string(),
    };
    assert_eq!(
        got, expected,
        "the reports were handled at {got:?}, expected {expected:?}: {why}"
    );
}

#[tokio::test(start_paused = true)]
async fn each_report_is_handled_when_its_job_finishes() {
    let jobs = [
        ("resize", 240),
        ("index", 15),
        ("compress", 90),
        ("mail", 55),
    ];
    let (handled, took) = run(&jobs).await;
    assert_handled(&jobs, &handled);
    assert_eq!(
        took,
        ms(240),
        "run_all should return when the last job is done, at 240ms; it took {took:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn the_fastest_job_is_reported_first() {
    let jobs = [("a", 500), ("b", 400), ("c", 300), ("d", 200), ("e", 100)];
    let (handled, _) = run(&jobs).await;
    assert_handled(&jobs, &handled);
}

#[tokio::test(start_paused = true)]
async fn jobs_run_at_the_same_time() {
    // In input order already: only running them concurrently gets these times.
    let jobs = [("one", 10), ("two", 20), ("three", 30)];
    let (handled, took) = run(&jobs).await;
    assert_handled(&jobs, &handled);
    assert_eq!(
        took,
        ms(30),
        "three jobs of 10, 20 and 30ms took {took:?}; run at the same time they take 30ms: are \
         they awaited one after another?"
    );
}

#[tokio::test(start_paused = true)]
async fn no_jobs_no_reports() {
    let (handled, _) = run(&[]).await;
    assert!(
        handled.is_empty(),
        "run_all of no jobs reported {handled:?}"
    );
}
