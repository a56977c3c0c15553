// Checks for timers2: what an interval does after a stall.
//
// The checks hand `run_dashboard` a redraw whose durations they choose (some stall past the
// period) and record when each redraw starts.
//
// Mistakes a learner makes on this idea, and how each is caught:
// - The default `Burst` (as shipped): after a stall the missed ticks fire back to back.
// - `Delay`: after a stall the beat restarts from the late tick instead of the original one.
// - A sleep after each redraw instead of the clock: the redraw's time is added every turn.
// - A first tick a period late (`interval_at(now + period, ..)`, or a sleep before the
//   loop): the first redraw must be at once, and the message says why.
// - Polling the clock (a 1ms sleep in a loop until the next beat): the checks count polls.
// - Hard-coding: periods, stalls and frame counts are the checks' own, with two stalls in
//   one run.

use super::run_dashboard;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use asynclings_support::timeline::{self, Timeline};
use asynclings_support::watchdog;
use tokio::time::Instant;

const LIMIT: Duration = Duration::from_secs(60);

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// Runs the dashboard with redraws that take `work[i]` ms; returns when each redraw started,
/// in virtual time since the call.
async fn redraw_starts(period: u64, work: &[u64]) -> Vec<Duration> {
    let start = Instant::now();
    let starts = Arc::new(Mutex::new(Vec::new()));
    let redraw = async |frame: usize| {
        starts.lock().unwrap().push(start.elapsed());
        tokio::time::sleep(ms(work[frame])).await;
    };
    let polls = std::cell::Cell::new(0);
    watchdog(
        LIMIT,
        "run_dashboard",
        counted(run_dashboard(ms(period), work.len(), redraw), &polls),
    )
    .await;
    let polls = polls.get();
    assert!(
        polls <= 3 * work.len() + 3,
        "run_dashboard was polled {polls} times for {} redraws with a period of {period}ms; \
         waiting for each tick and each redraw takes a poll or two. Is it looking at the clock \
         now and then (a short sleep in a loop) instead of waiting for the clock's tick?",
        work.len()
    );
    let starts: Vec<Duration> = std::mem::take(&mut *starts.lock().unwrap());
    starts
}

/// Explains the first redraw that did not start when expected.
fn assert_starts(period: u64, work: &[u64], got: &[Duration], expected: &[u64]) {
    let expected: Vec<Duration> = expected.iter().map(|&e| ms(e)).collect();
    assert_eq!(
        got.len(),
        expected.len(),
        "run_dashboard redrew {} times, expected {}",
        got.len(),
        expected.len()
    );
    let Some(i) = (0..got.len()).find(|&i| got[i] != expected[i]) else {
        return;
    };
    let ended = |i: usize| got[i] + ms(work[i]);
    let stalled = (0..i).rev().find(|&j| work[j] > period);
    let why = match stalled {
        None if i == 0 => format!(
            "the first redraw should come at once, and it came {:?} late. The first tick of \
             `interval(period)` completes immediately; an `interval_at(now + period, ..)`, or a \
             wait before the loop, puts it a period late",
            got[0]
        ),
        Some(_) if got[i] == ended(i - 1) && expected[i] > ended(i - 1) => format!(
            "it started the moment redraw {} ended: that is a burst, the clock making up for the \
             ticks it missed during the stall (`MissedTickBehavior::Burst`, the default). The \
             clock should skip them",
            i - 1
        ),
        Some(_) if got[i] == got[i - 1] + ms(period) => format!(
            "it started a whole period after redraw {}, the late one: the clock started a new \
             beat from the end of the stall (`MissedTickBehavior::Delay`). The clock should go \
             back to its original beat, the multiples of {period}ms",
            i - 1
        ),
        Some(j) => format!(
            "redraw {j} stalled past its period, and after a stall the clock should tick once at \
             once, then go back to its original beat (the multiples of {period}ms), skipping the \
             ticks it missed"
        ),
        None if i > 0 && got[i] == ended(i - 1) + ms(period) => format!(
            "it started a whole period after redraw {} ended: is the dashboard sleeping after \
             each redraw instead of waiting for the clock's tick? That adds the redraw's time to \
             every turn",
            i - 1
        ),
        None => "without a stall, the redraws should simply follow the beat".to_string(),
    };
    timeline::fail(
        format_args!(
            "with a period of {period}ms and redraws that take {work:?} ms, redraw {i} started \
             at {:?} of virtual time; expected {:?}: {why}. (Redraws started at {got:?}; \
             expected {expected:?}.)",
            got[i], expected[i]
        ),
        &redraws(period, work, got, &expected),
        Some(&redraws(period, work, &expected, got)),
    );
}

/// When the last of the redraws starting at `starts` ended.
fn last_end(work: &[u64], starts: &[Duration]) -> Duration {
    let ends = starts
        .iter()
        .zip(work)
        .map(|(&start, &work)| start + ms(work));
    ends.max().unwrap_or_default()
}

/// The redraws starting at `starts` (each as long as its `work`), under the clock's beat (the
/// same in both runs: to the end of this one or of the `other`).
fn redraws(period: u64, work: &[u64], starts: &[Duration], other: &[Duration]) -> Timeline {
    let run = Timeline::new();
    let end = last_end(work, starts);
    let beats_end = end.max(last_end(work, other));
    let mut beat = Duration::ZERO;
    while beat <= beats_end {
        run.instant_at("beat", beat);
        beat += ms(period);
    }
    for (&start, &work) in starts.iter().zip(work) {
        run.span_at("redraw", start, start + ms(work));
    }
    run.end_at(end);
    run
}

#[tokio::test(start_paused = true)]
async fn redraws_follow_the_beat() {
    let work = [3, 20, 7, 45, 1];
    let got = redraw_starts(60, &work).await;
    assert_starts(60, &work, &got, &[0, 60, 120, 180, 240]);
}

#[tokio::test(start_paused = true)]
async fn after_a_stall_the_missed_ticks_are_skipped() {
    // The redraw at 200ms stalls until 460ms: the ticks of 300 and 400ms are missed. One
    // redraw at once (460), then back on the beat: 500, 600.
    let work = [10, 10, 260, 10, 10, 10];
    let got = redraw_starts(100, &work).await;
    assert_starts(100, &work, &got, &[0, 100, 200, 460, 500, 600]);
}

#[tokio::test(start_paused = true)]
async fn a_long_stall_gives_one_late_tick_not_a_flood() {
    // The redraw at 120ms stalls until 420ms: the seven ticks from 160 to 400ms are missed.
    let work = [5, 5, 5, 300, 5, 5, 5];
    let got = redraw_starts(40, &work).await;
    assert_starts(40, &work, &got, &[0, 40, 80, 120, 420, 440, 480]);
}

#[tokio::test(start_paused = true)]
async fn two_stalls() {
    // 0; 70 stalls until 190 (the tick of 140 is missed): 190, then 210; 210 stalls until 400
    // (280 and 350 missed): 400, then 420, 490.
    let work = [1, 120, 1, 190, 1, 1, 1];
    let got = redraw_starts(70, &work).await;
    assert_starts(70, &work, &got, &[0, 70, 190, 210, 400, 420, 490]);
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
