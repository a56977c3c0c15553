// Checks for timers1: keeping a beat with `interval`.
//
// The checks hand `sample` a sensor whose readings take times they choose, and record when
// each reading starts and ends.
//
// Mistakes a learner makes on this idea, and how each is caught:
// - `sleep(period)` after each reading (as shipped): each turn lasts the period plus the
//   reading; the message says the beat drifts.
// - `sleep(period - reading time)`: panics (underflow) when a reading outlasts the period;
//   `saturating_sub` instead moves the beat after a slow reading; both are named.
// - An interval made inside the loop, a tick after the reading, or a wait before the first
//   reading: each gives its own message.
// - An interval set to `MissedTickBehavior::Delay` (or a sleep until the last start plus
//   the period): after a slow reading the beat restarts from the late reading; the message
//   names Delay, not "use an interval".
// - Polling the clock (a 1ms sleep in a loop until the beat): tokio's timers have
//   millisecond resolution, so it can land on the beat; the checks count polls.
// - A wait after the last reading: `sample` must return when the last reading is in.
// - Hard-coding: periods and reading times are the checks' own.

use super::sample;

use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use asynclings_support::timeline::{self, Timeline};
use asynclings_support::watchdog;
use futures::FutureExt;
use tokio::time::Instant;

const LIMIT: Duration = Duration::from_secs(60);

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// What one run of `sample` did: the readings it returned, when each reading started and
/// ended, and when `sample` returned (all in virtual time since the call).
struct Run {
    readings: Vec<f64>,
    starts: Vec<Duration>,
    ends: Vec<Duration>,
    returned: Duration,
}

/// The value the pretend sensor gives at its `i`th reading.
fn value(i: usize) -> f64 {
    -3.5 + 1.25 * i as f64
}

/// Runs `sample(period, work.len(), ..)` with a sensor whose `i`th reading takes `work[i]` ms.
async fn run(period: u64, work: &[u64]) -> Run {
    let start = Instant::now();
    let times = Arc::new(Mutex::new((Vec::new(), Vec::new())));
    let mut i = 0;
    let sensor = async || {
        times.lock().unwrap().0.push(start.elapsed());
        tokio::time::sleep(ms(work[i])).await;
        times.lock().unwrap().1.push(start.elapsed());
        i += 1;
        value(i - 1)
    };
    let polls = std::cell::Cell::new(0);
    let sampled =
        AssertUnwindSafe(counted(sample(ms(period), work.len(), sensor), &polls)).catch_unwind();
    let readings: Vec<f64> = match watchdog(LIMIT, "sample", sampled).await {
        Ok(readings) => readings,
        Err(panic) => {
            let message = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            panic!(
                "sample panicked (\"{message}\") with a period of {period}ms and readings that \
                 took {work:?} ms. Subtracting the time a reading took from the period \
                 underflows as soon as a reading takes longer than the period; \
                 `tokio::time::interval` copes with late turns for you"
            )
        }
    };
    let polls = polls.get();
    assert!(
        polls <= 3 * work.len() + 3,
        "sample was polled {polls} times for {} readings with a period of {period}ms; waiting \
         for each beat and each reading takes a poll or two. Is it looking at the clock now \
         and then (a short sleep in a loop until the beat) instead of waiting on a timer that \
         rings at the beat?",
        work.len()
    );
    let (starts, ends) = times.lock().unwrap().clone();
    Run {
        readings,
        starts,
        ends,
        returned: start.elapsed(),
    }
}

/// When each reading should start: on its beat (`i` x `period`), or, if the reading before
/// it ran past that beat, as soon as that reading is done.
fn expected_starts(period: u64, work: &[u64]) -> Vec<Duration> {
    let mut starts = Vec::new();
    let mut free_at = ms(0);
    for (i, &w) in work.iter().enumerate() {
        let start = ms(period * i as u64).max(free_at);
        starts.push(start);
        free_at = start + ms(w);
    }
    starts
}

/// Compares the start of each reading with its beat, explaining the first one that is off.
fn assert_on_the_beat(period: u64, work: &[u64], run: &Run) {
    let expected = expected_starts(period, work);
    assert_eq!(
        run.starts.len(),
        work.len(),
        "sample({period}ms, {}, ..) took {} readings, expected {}",
        work.len(),
        run.starts.len(),
        work.len()
    );
    let Some(i) = (0..work.len()).find(|&i| run.starts[i] != expected[i]) else {
        return;
    };
    let (got, want) = (run.starts[i], expected[i]);
    let why = if i == 0 {
        "the first reading should happen at once: is there a wait before it? (The first tick of \
         an interval completes immediately.)"
            .to_string()
    } else if got == run.ends[i - 1] {
        format!(
            "it started the moment reading {} ended, so nothing waited for the beat. The first \
             tick of an interval completes at once: make the interval once, before the loop, \
             and await `tick()` before each reading",
            i - 1
        )
    } else if got == run.ends[i - 1] + ms(period) {
        format!(
            "it started a whole period after reading {} ended: each turn lasts the period plus \
             the time the reading took, so the beat drifts. Use `tokio::time::interval`",
            i - 1
        )
    } else if i >= 2
        && got == run.starts[i - 1] + ms(period)
        && run.starts[i - 1] > ms(period * (i as u64 - 1))
    {
        format!(
            "reading {} started late (the one before it outlasted the period), and this one \
             started a whole period after that late start: the beat restarted from the late \
             moment. That is what `MissedTickBehavior::Delay` does, and what a wait computed \
             from each reading's length does (it starts counting again from the late moment). \
             An interval with its default, Burst, or with Skip keeps the original beat, the \
             multiples of {period}ms",
            i - 1
        )
    } else if got > want && work[..i].iter().any(|&w| w > period) {
        "a reading before it took longer than the period, and the beat moved with it: a wait \
         computed from each reading's length starts counting again from the late moment. An \
         interval keeps the beat it started with"
            .to_string()
    } else if got > want {
        "it is late: the time the earlier readings took has been added to the schedule".to_string()
    } else {
        "it is early: did something skip the wait for the beat?".to_string()
    };
    // The readings as they ran and as they should have, with the beats they keep.
    let (recorded, wanted) = (Timeline::new(), Timeline::new());
    for (k, (&start, &end)) in run.starts.iter().zip(&run.ends).enumerate() {
        recorded.span_at("reading", start, end);
        wanted.span_at("reading", expected[k], expected[k] + ms(work[k]));
    }
    for k in 0..work.len() as u64 {
        wanted.instant_at("beat", ms(period * k));
    }
    recorded.end_at(run.returned);
    wanted.end_at(expected[work.len() - 1] + ms(work[work.len() - 1]));
    timeline::fail(
        format!(
            "with a period of {period}ms and readings that take {work:?} ms, reading {i} \
             started at {got:?} of virtual time; expected {want:?}: {why}. (Readings started at \
             {:?}.)",
            run.starts
        ),
        &recorded,
        Some(&wanted),
    );
}

#[tokio::test(start_paused = true)]
async fn readings_start_on_the_beat() {
    let (period, work) = (250, [40, 90, 10, 200, 60, 5]);
    let run = run(period, &work).await;
    assert_on_the_beat(period, &work, &run);
}

#[tokio::test(start_paused = true)]
async fn readings_come_back_in_order() {
    let (period, work) = (70, [15, 15, 50, 1]);
    let run = run(period, &work).await;
    let expected: Vec<f64> = (0..work.len()).map(value).collect();
    assert_eq!(
        run.readings, expected,
        "sample returned {:?}; expected each reading once, in the order taken: {expected:?}",
        run.readings
    );
    assert_on_the_beat(period, &work, &run);
}

#[tokio::test(start_paused = true)]
async fn sample_returns_when_the_last_reading_is_in() {
    let (period, work) = (120, [30, 30, 45]);
    let run = run(period, &work).await;
    assert_on_the_beat(period, &work, &run);
    let last_end = *run.ends.last().unwrap();
    assert_eq!(
        run.returned, last_end,
        "sample returned at {:?} of virtual time, but the last reading was in at {last_end:?}: \
         there is nothing left to wait for after the last reading (is there a wait after it?)",
        run.returned
    );
}

#[tokio::test(start_paused = true)]
async fn a_slow_reading_does_not_move_the_beat() {
    // Reading 1 takes 170ms of a 100ms period: reading 2 (due at 200ms) can only start when
    // it is done, at 270ms, but readings 3 and 4 are back on the beat at 300 and 400ms.
    let (period, work) = (100, [30, 170, 20, 20, 20]);
    let run = run(period, &work).await;
    assert_on_the_beat(period, &work, &run);
}

#[tokio::test(start_paused = true)]
async fn a_single_reading() {
    let run = run(500, &[25]).await;
    assert_eq!(
        (run.readings.len(), run.returned),
        (1, ms(25)),
        "sample(500ms, 1, ..) with a 25ms reading returned {} reading(s) at {:?} of virtual \
         time; expected the one reading, taken at once, and a return at 25ms: is there a wait \
         before or after the reading?",
        run.readings.len(),
        run.returned
    );
}

/// Counts the polls of `fut` in `polls`.
async fn counted<F: std::future::Future>(fut: F, polls: &std::cell::Cell<usize>) -> F::Output {
    let mut fut = std::pin::pin!(fut);
    std::future::poll_fn(|cx| {
        polls.set(polls.get() + 1);
        fut.as_mut().poll(cx)
    })
    .await
}
