// Checks for spawn4: results from many tasks in completion order (`JoinSet`).
//
// Mistakes a learner makes here, and how each is caught:
// - the handles awaited in spawn order (the shipped bug): each answer must be handled at the
//   virtual time its mirror answered, with the slowest mirrors spawned first.
// - every answer collected first and handled at the end (`join_all` of the handles, a
//   `JoinSet` drained into a `Vec`): all answers handled at the slowest time; said so.
// - the mirrors sorted by how long they will take, then awaited in that order: the time a
//   mirror takes is known only to the checks' `ping`; nothing in the host name says it.
// - the handles polled with `is_finished()` every millisecond (polling instead of being
//   woken): each of the checks' pings finishes a scheduler turn after its timer fires, so a
//   poller woken on the same tick still finds it running and handles it a tick late; the
//   times are exact, whatever order tokio fires same-tick timers in.
// - no tasks (the pings joined with `FuturesUnordered` in this task): the checks count the
//   tasks alive a millisecond in: one per mirror.
// - a mirror pinged twice or an answer made up (bypassing `ping`): `ping` counts its calls,
//   one per mirror, and each answer must be the one it returned.
// - tasks left running after ping_all returns: none may be alive.

use super::ping_all;

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use asynclings_support::timeline::{self, Timeline};
use asynclings_support::{EventLog, watchdog};
use tokio::time::{Instant, sleep};

const LIMIT: Duration = Duration::from_secs(60);

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

struct Run {
    answers: Vec<(Duration, String)>,
    took: Duration,
    alive_during: usize,
    alive_after: usize,
    pings: usize,
    /// Each ping, and the moments answers were handled.
    timeline: Timeline,
}

/// Every mirror pinged at once, each answer handled the moment it comes.
fn expected_timeline(spec: &[(&str, u64)]) -> Timeline {
    let expected = Timeline::new();
    for &(host, l) in spec {
        expected.span_at(host, Duration::ZERO, ms(l));
    }
    for &(_, l) in spec {
        expected.instant_at("handled", ms(l));
    }
    expected.end_at(ms(spec.iter().map(|m| m.1).max().unwrap_or(0)));
    expected
}

/// Runs `ping_all` over mirrors (host, latency in ms); the latencies are known only to the
/// `ping` handed in.
async fn run(spec: &[(&str, u64)]) -> Run {
    let latency: Arc<HashMap<String, Duration>> = Arc::new(
        spec.iter()
            .map(|&(host, l)| (host.to_string(), ms(l)))
            .collect(),
    );
    let pings = Arc::new(AtomicUsize::new(0));
    let mirrors: Vec<String> = spec.iter().map(|&(host, _)| host.to_string()).collect();
    let log = EventLog::new();
    let recorded = Timeline::new();
    recorded.declare_instants("handled");
    let start = Instant::now();
    let ping = {
        let pings = Arc::clone(&pings);
        let recorded = recorded.clone();
        move |host: String| {
            pings.fetch_add(1, Ordering::SeqCst);
            let latency = Arc::clone(&latency);
            let recorded = recorded.clone();
            async move {
                let _span = recorded.span(host.clone());
                let l = latency[&host];
                sleep(l).await;
                // The reply is read a scheduler turn after the timer fires.
                tokio::task::yield_now().await;
                format!("{host} answered after {}ms", l.as_millis())
            }
        }
    };
    let (took, alive_during) = watchdog(LIMIT, "ping_all", async {
        tokio::join!(
            async {
                ping_all(mirrors, ping, |line: String| {
                    recorded.instant("handled");
                    log.record(line)
                })
                .await;
                start.elapsed()
            },
            async {
                sleep(ms(1)).await;
                tokio::runtime::Handle::current()
                    .metrics()
                    .num_alive_tasks()
            }
        )
    })
    .await;
    Run {
        answers: log.timed_events(),
        took,
        alive_during,
        alive_after: tokio::runtime::Handle::current()
            .metrics()
            .num_alive_tasks(),
        pings: pings.load(Ordering::SeqCst),
        timeline: {
            recorded.end_at(took);
            recorded
        },
    }
}

fn expected(spec: &[(&str, u64)]) -> Vec<(Duration, String)> {
    let mut expected: Vec<(Duration, String)> = spec
        .iter()
        .map(|&(host, l)| (ms(l), format!("{host} answered after {l}ms")))
        .collect();
    expected.sort();
    expected
}

fn assert_answers(spec: &[(&str, u64)], run: &Run) {
    assert_eq!(
        run.pings,
        spec.len(),
        "ping_all of {} mirrors called `ping` {} times; each mirror should be pinged exactly \
         once, by `ping`",
        spec.len(),
        run.pings
    );
    let got = &run.answers;
    let expected = expected(spec);
    let slowest = expected.last().map(|(at, _)| *at).unwrap_or_default();
    let late: Vec<Duration> = got
        .iter()
        .filter_map(|(t, line)| {
            let (at, _) = expected.iter().find(|(_, l)| l == line)?;
            (t > at).then(|| *t - *at)
        })
        .collect();
    let why = if got.len() > 1 && got.iter().all(|(at, _)| *at == slowest) {
        "every answer was handled after the slowest mirror had answered: handle each one as \
         `join_next` returns it, rather than collecting them all first"
            .to_string()
    } else if !late.is_empty() && late.iter().all(|d| *d <= ms(1)) {
        "answers were handled a millisecond late: noticed by checking the tasks every \
         millisecond (polling) rather than by waiting to be woken. `JoinSet::join_next` wakes \
         you the moment a task finishes"
            .to_string()
    } else if !late.is_empty() {
        "an answer was handled after a slower mirror's: are the tasks awaited in the order \
         they were spawned? `JoinSet::join_next` gives whichever task finishes next"
            .to_string()
    } else {
        "each answer should be handled once, at the moment its mirror answers, with the line \
         `ping` returned"
            .to_string()
    };
    let wanted = expected_timeline(spec);
    timeline::assert_eq(got, &expected, &run.timeline, Some(&wanted), || {
        format!("the answers were handled at {got:?}, expected {expected:?}: {why}")
    });
}

#[tokio::test(start_paused = true)]
async fn answers_are_handled_as_they_arrive() {
    let spec = [
        ("eu.mirror.test", 183),
        ("us.mirror.test", 37),
        ("ap.mirror.test", 411),
        ("sa.mirror.test", 97),
    ];
    let run = run(&spec).await;
    assert_answers(&spec, &run);
    let wanted = expected_timeline(&spec);
    timeline::assert_eq(run.took, ms(411), &run.timeline, Some(&wanted), || {
        format!(
            "ping_all should return when the slowest mirror has answered (411ms); it took {:?}",
            run.took
        )
    });
}

#[tokio::test(start_paused = true)]
async fn the_slowest_first_does_not_hold_up_the_rest() {
    let spec = [
        ("a.test", 701),
        ("b.test", 599),
        ("c.test", 503),
        ("d.test", 11),
    ];
    let run = run(&spec).await;
    assert_answers(&spec, &run);
}

#[tokio::test(start_paused = true)]
async fn every_mirror_on_a_task_and_none_left_behind() {
    let spec = [("x.test", 43), ("y.test", 21), ("z.test", 67)];
    let run = run(&spec).await;
    assert_answers(&spec, &run);
    assert_eq!(
        run.alive_during,
        spec.len(),
        "while ping_all pinged {} mirrors, {} tasks were alive; expected one task per mirror",
        spec.len(),
        run.alive_during
    );
    assert_eq!(
        run.alive_after, 0,
        "{} ping task(s) still alive after ping_all returned: wait for every task",
        run.alive_after
    );
}

#[tokio::test(start_paused = true)]
async fn no_mirrors_no_answers() {
    let run = run(&[]).await;
    assert!(
        run.answers.is_empty(),
        "ping_all of no mirrors reported {:?}",
        run.answers
    );
    assert_eq!(run.took, Duration::ZERO);
}
