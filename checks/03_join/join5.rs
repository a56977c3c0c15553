// Checks for join5: each result handled as soon as its future completes.
//
// Mistakes a learner makes here, and how each is caught:
// - `join_all` (or `buffered`, or awaiting the futures in input order) and handling the
//   results afterwards: every report must be handled at the virtual time its job finished.
// - the jobs run one after another: the whole takes the slowest job, not the sum.
// - the jobs sorted by how long they will take, then awaited in that order: the time a job
//   takes is known only to the checks' runner, which the learner's code calls; nothing in
//   the job says it.
// - a job run twice, or a report made up (bypassing `run`): the runner counts its calls, one
//   per job, and the reports are its own.
// - reports dropped or handled twice: each job is reported exactly once.

use super::run_all;

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use asynclings_support::timeline::{self, Timeline};
use asynclings_support::{EventLog, watchdog};
use tokio::time::Instant;

const LIMIT: Duration = Duration::from_secs(60);

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

struct Run {
    handled: Vec<(Duration, String)>,
    took: Duration,
    calls: usize,
    /// Each job, and the moments reports were handled.
    timeline: Timeline,
}

/// Every job started at once, its report handled the moment it is done.
fn expected_timeline(jobs: &[(&str, u64)]) -> Timeline {
    let expected = Timeline::new();
    for &(name, d) in jobs {
        expected.span_at(name, Duration::ZERO, ms(d));
    }
    for &(_, d) in jobs {
        expected.instant_at("handled", ms(d));
    }
    expected.end_at(ms(jobs.iter().map(|j| j.1).max().unwrap_or(0)));
    expected
}

/// Runs `run_all` over jobs (name, duration in ms) with a runner only the checks know the
/// durations of; returns when each report was handled.
async fn run(jobs: &[(&str, u64)]) -> Run {
    let durations: HashMap<String, Duration> = jobs
        .iter()
        .map(|&(name, d)| (name.to_string(), ms(d)))
        .collect();
    let names: Vec<String> = jobs.iter().map(|&(name, _)| name.to_string()).collect();
    let calls = AtomicUsize::new(0);
    let log = EventLog::new();
    let recorded = Timeline::new();
    recorded.declare_instants("handled");
    let start = Instant::now();
    watchdog(
        LIMIT,
        "run_all",
        run_all(
            names,
            async |job: String| {
                calls.fetch_add(1, Ordering::SeqCst);
                let _span = recorded.span(job.clone());
                tokio::time::sleep(durations[&job]).await;
                format!("report on {job}")
            },
            |report: String| {
                recorded.instant("handled");
                log.record(report)
            },
        ),
    )
    .await;
    let took = start.elapsed();
    recorded.end_at(took);
    Run {
        handled: log.timed_events(),
        took,
        calls: calls.load(Ordering::SeqCst),
        timeline: recorded,
    }
}

fn expected(jobs: &[(&str, u64)]) -> Vec<(Duration, String)> {
    let mut expected: Vec<(Duration, String)> = jobs
        .iter()
        .map(|&(name, d)| (ms(d), format!("report on {name}")))
        .collect();
    expected.sort();
    expected
}

fn assert_handled(jobs: &[(&str, u64)], run: &Run) {
    assert_eq!(
        run.calls,
        jobs.len(),
        "run_all of {} jobs called `run` {} times; each job should be run exactly once, by \
         `run`",
        jobs.len(),
        run.calls
    );
    let got = &run.handled;
    let expected = expected(jobs);
    let late = expected
        .iter()
        .find(|(at, report)| got.iter().any(|(t, r)| r == report && t > at));
    let early = expected
        .iter()
        .find(|(at, report)| got.iter().any(|(t, r)| r == report && t < at));
    let mut at = Duration::ZERO;
    let in_turn: Vec<(Duration, String)> = jobs
        .iter()
        .map(|&(name, d)| {
            at += ms(d);
            (at, format!("report on {name}"))
        })
        .collect();
    let why = match (late, early) {
        _ if jobs.len() > 1 && got == &in_turn => "each job started only when the one before \
             it was done: are they awaited one after another? Start them all at once, and \
             take each report as its job completes"
            .to_string(),
        (_, Some((at, report))) => format!(
            "\"{report}\" was handled before its job could have finished ({at:?}): hand \
             `on_done` the report that `run` returned, when it returns it"
        ),
        (Some((at, report)), None) => format!(
            "\"{report}\" was ready at {at:?} but handled later: it waited for another job. \
             Take each report as its job completes (`FuturesUnordered` and `next().await` give \
             whichever finishes next) and handle it then"
        ),
        (None, None) => "every job should be reported once, when it finishes".to_string(),
    };
    let wanted = expected_timeline(jobs);
    timeline::assert_eq(got, &expected, &run.timeline, Some(&wanted), || {
        format!("the reports were handled at {got:?}, expected {expected:?}: {why}")
    });
}

#[tokio::test(start_paused = true)]
async fn each_report_is_handled_when_its_job_finishes() {
    let jobs = [
        ("resize", 241),
        ("index", 17),
        ("compress", 93),
        ("mail", 55),
    ];
    let run = run(&jobs).await;
    assert_handled(&jobs, &run);
    let wanted = expected_timeline(&jobs);
    timeline::assert_eq(run.took, ms(241), &run.timeline, Some(&wanted), || {
        format!(
            "run_all should return when the last job is done, at 241ms; it took {:?}",
            run.took
        )
    });
}

#[tokio::test(start_paused = true)]
async fn the_fastest_job_is_reported_first() {
    let jobs = [("a", 503), ("b", 401), ("c", 302), ("d", 199), ("e", 101)];
    let run = run(&jobs).await;
    assert_handled(&jobs, &run);
}

#[tokio::test(start_paused = true)]
async fn jobs_run_at_the_same_time() {
    // In input order already: only running them concurrently gets these times.
    let jobs = [("one", 11), ("two", 23), ("three", 37)];
    let run = run(&jobs).await;
    assert_handled(&jobs, &run);
    let wanted = expected_timeline(&jobs);
    timeline::assert_eq(run.took, ms(37), &run.timeline, Some(&wanted), || {
        format!(
            "three jobs of 11, 23 and 37ms took {:?}; run at the same time they take 37ms: are \
             they awaited one after another?",
            run.took
        )
    });
}

#[tokio::test(start_paused = true)]
async fn no_jobs_no_reports() {
    let run = run(&[]).await;
    assert!(
        run.handled.is_empty(),
        "run_all of no jobs reported {:?}",
        run.handled
    );
}
