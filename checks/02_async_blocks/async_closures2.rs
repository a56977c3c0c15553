// Checks for async_closures2: a retry helper over `impl AsyncFn` that backs off.
//
// Mistakes a learner makes here, and how each is caught:
// - `std::thread::sleep` for the backoff (blocking hidden in the helper): tokio's paused clock
//   does not see it, so no virtual time passes between attempts; the message names it.
// - a constant backoff, a wait before the first attempt, a wait after the last one, the wrong
//   count of attempts: the attempts' start times and the return time are compared exactly,
//   for several attempt counts, with a diagnosis of which of these it is.
// - the backoff counted from the attempt's start rather than its end (a timer started before
//   the operation): a check with operations that take 40ms.
// - the operation's result replaced (the last error dropped, a success not returned): the
//   result must be the operation's own.
// - retrying after a success: a success stops the retries.

use super::retry;

use std::time::Duration;

use asynclings_support::timeline::{self, Timeline};
use asynclings_support::{EventLog, watchdog};
use tokio::time::Instant;

const LIMIT: Duration = Duration::from_secs(60);

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// What went wrong with the attempt times `got`, when `expected` was wanted and each attempt
/// took `work`.
fn diagnose(got: &[Duration], expected: &[Duration], work: Duration) -> &'static str {
    // The waits between one attempt's end and the next one's start.
    let gaps: Vec<Duration> = got
        .windows(2)
        .map(|w| (w[1] - w[0]).saturating_sub(work))
        .collect();
    if got.first().is_some_and(|&t| t > Duration::ZERO) {
        "the first attempt should start at once, with no wait before it"
    } else if got.len() > 1 && gaps.iter().all(|g| g.is_zero()) {
        "no virtual time passed between attempts: is there a `tokio::time::sleep(..).await` \
         between them? (`std::thread::sleep` blocks the thread, and tokio's clock does not \
         see it)"
    } else if gaps.len() > 1 && gaps.windows(2).all(|w| w[0] == w[1]) {
        "every wait was the same length: double the wait after each failure"
    } else if got.len() != expected.len() {
        "the number of attempts is wrong: stop after `attempts` calls, or at the first success"
    } else {
        "wait FIRST_BACKOFF after the first failure, then twice the previous wait each time"
    }
}

/// The attempts starting at `starts`, each taking `work` (an instant each, if none), and
/// retry returning at `end`.
fn attempts_run(starts: &[Duration], work: Duration, end: Duration) -> Timeline {
    let run = Timeline::new();
    for &at in starts {
        if work.is_zero() {
            run.instant_at("attempt", at);
        } else {
            run.span_at("attempt", at, at + work);
        }
    }
    run.end_at(end);
    run
}

/// Runs `retry(attempts, ..)` with an operation that fails until call number `succeed_on`
/// (never, if `None`) and takes `work` each time. Returns the result, the virtual time of each
/// attempt's start, when `retry` returned, and the run: each attempt, and the return.
async fn run(
    attempts: u32,
    succeed_on: Option<usize>,
    work: Duration,
) -> (Result<usize, String>, Vec<Duration>, Duration, Timeline) {
    let log = EventLog::new();
    let start = Instant::now();
    let recorded = Timeline::new();
    let result: Result<usize, String> = watchdog(
        LIMIT,
        "retry",
        retry(attempts, async || {
            log.record("attempt");
            let call = log.events().len();
            let _span = (!work.is_zero()).then(|| recorded.span("attempt"));
            if work.is_zero() {
                recorded.instant("attempt");
            }
            tokio::time::sleep(work).await;
            if Some(call) == succeed_on {
                Ok(call)
            } else {
                Err(format!("failure {call}"))
            }
        }),
    )
    .await;
    let times = log.timed_events().into_iter().map(|(at, _)| at).collect();
    let returned = start.elapsed();
    recorded.end_at(returned);
    (result, times, returned, recorded)
}

/// `expected` and `end`: when the attempts should start, and retry return.
fn assert_attempts(
    what: &str,
    got: &[Duration],
    expected: &[Duration],
    work: Duration,
    recorded: &Timeline,
    end: Duration,
) {
    let wanted = attempts_run(expected, work, end);
    timeline::assert_eq(got, expected, recorded, Some(&wanted), || {
        format!(
            "{what}: the attempts started at {got:?} of virtual time, expected {expected:?}: {}",
            diagnose(got, expected, work)
        )
    });
}

/// retry should have returned at `end`, after attempts starting at `expected`.
fn assert_returned(
    returned: Duration,
    end: Duration,
    expected: &[Duration],
    work: Duration,
    recorded: &Timeline,
    message: impl FnOnce() -> String,
) {
    let wanted = attempts_run(expected, work, end);
    timeline::assert_eq(returned, end, recorded, Some(&wanted), message);
}

#[tokio::test(start_paused = true)]
async fn three_failures_back_off_100_then_200() {
    let (result, times, returned, recorded) = run(3, None, Duration::ZERO).await;
    let expected = [ms(0), ms(100), ms(300)];
    assert_attempts(
        "retry(3, ..) of an operation that always fails",
        &times,
        &expected,
        Duration::ZERO,
        &recorded,
        ms(300),
    );
    assert_eq!(
        result,
        Err("failure 3".to_string()),
        "retry(3, ..) of an operation that always fails gave {result:?}; it should give the \
         last attempt's error"
    );
    assert_returned(
        returned,
        ms(300),
        &expected,
        Duration::ZERO,
        &recorded,
        || {
            format!(
                "retry returned at {returned:?} of virtual time, but the last attempt failed at \
                 300ms: there is no point waiting after the last attempt"
            )
        },
    );
}

#[tokio::test(start_paused = true)]
async fn five_failures_keep_doubling() {
    let (result, times, returned, recorded) = run(5, None, Duration::ZERO).await;
    let expected = [ms(0), ms(100), ms(300), ms(700), ms(1500)];
    assert_attempts(
        "retry(5, ..) of an operation that always fails",
        &times,
        &expected,
        Duration::ZERO,
        &recorded,
        ms(1500),
    );
    assert_eq!(result, Err("failure 5".to_string()));
    assert_returned(
        returned,
        ms(1500),
        &expected,
        Duration::ZERO,
        &recorded,
        || {
            format!(
                "retry returned at {returned:?}, but the last attempt failed at 1500ms: there is \
                 no point waiting after the last attempt"
            )
        },
    );
}

#[tokio::test(start_paused = true)]
async fn a_success_stops_the_retries() {
    let (result, times, returned, recorded) = run(4, Some(2), Duration::ZERO).await;
    let expected = [ms(0), ms(100)];
    assert_attempts(
        "retry(4, ..) of an operation that succeeds on its second call",
        &times,
        &expected,
        Duration::ZERO,
        &recorded,
        ms(100),
    );
    assert_eq!(
        result,
        Ok(2),
        "the second call succeeded, so retry should return its value"
    );
    assert_returned(
        returned,
        ms(100),
        &expected,
        Duration::ZERO,
        &recorded,
        || "retry should return as soon as an attempt succeeds".to_string(),
    );
}

#[tokio::test(start_paused = true)]
async fn a_single_attempt_does_not_wait() {
    let (result, times, returned, recorded) = run(1, None, Duration::ZERO).await;
    let expected = [ms(0)];
    assert_attempts(
        "retry(1, ..)",
        &times,
        &expected,
        Duration::ZERO,
        &recorded,
        ms(0),
    );
    assert_eq!(result, Err("failure 1".to_string()));
    assert_returned(
        returned,
        ms(0),
        &expected,
        Duration::ZERO,
        &recorded,
        || {
            format!(
                "retry(1, ..) returned at {returned:?}: with one attempt there is nothing to \
                 wait for"
            )
        },
    );
}

#[tokio::test(start_paused = true)]
async fn the_wait_comes_after_each_attempt_ends() {
    // Each attempt takes 40ms; the backoff counts from when it failed.
    let (_, times, returned, recorded) = run(3, None, ms(40)).await;
    let expected = [ms(0), ms(140), ms(380)];
    assert_attempts(
        "retry(3, ..) of a 40ms operation that always fails",
        &times,
        &expected,
        ms(40),
        &recorded,
        ms(420),
    );
    assert_returned(returned, ms(420), &expected, ms(40), &recorded, || {
        String::new()
    });
}
