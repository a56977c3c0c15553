// Valid alternative: the dashboard keeps its own beat with sleep_until: when it is late, it
// redraws at once and then waits for the next multiple of the period, as Skip does.
// timers2: what an interval does after a stall
//
// An `Interval` ticks at start, start + period, start + 2 x period, ... But sometimes the
// task is busy past one or more of those instants: a redraw stalls, the machine swaps, a
// laptop lid is closed. Those ticks were missed, and `MissedTickBehavior` says what happens
// to them. Here is when `tick()` completes with a 100ms period and 10ms of work per tick,
// when the work that starts at 100ms stalls until 350ms (so the ticks due at 200 and 300ms
// are missed):
//
//     Burst (the default)   0  100 [== stall ==] 350  360  400  500   missed ticks back to back
//     Delay                 0  100 [== stall ==] 350  450  550  650   a new beat from 350
//     Skip                  0  100 [== stall ==] 350  400  500  600   back on the old beat
//
// In all three, the tick that is overdue completes as soon as it is asked for (350 here);
// they differ in what comes after it. Burst suits a counter that must see every tick, Delay
// an "at least this long between two runs" rule, Skip a display or a poll that should stay
// on the beat and has no use for old ticks. Choose with
// `interval.set_missed_tick_behavior(MissedTickBehavior::...)`.
//
// The dashboard below redraws once per tick. After a stall, its clock fires a burst of
// ticks, and the dashboard redraws the same screen several times in a row, at the moment
// it is already behind. Give the clock the behaviour its doc comment asks for.

use std::time::Duration;

use tokio::time::{Interval, MissedTickBehavior, interval};

/// The dashboard's clock: a tick every `period`, the first one at once. After a stall it
/// ticks once, at once, and then goes back to its original beat: the ticks missed during the
/// stall are skipped, never made up for.
fn refresh_clock(period: Duration) -> Interval {
    // `Skip` lets the one overdue tick complete at once, then schedules the next tick at the
    // next multiple of the period from the start: the beat stays where it was, and the ticks
    // that fell inside the stall are dropped instead of fired in a burst.
    let mut clock = interval(period);
    clock.set_missed_tick_behavior(MissedTickBehavior::Skip);
    clock
}

/// Redraws the dashboard `frames` times, once per tick of its clock.
async fn run_dashboard(period: Duration, frames: usize, mut redraw: impl AsyncFnMut(usize)) {
    let _ = refresh_clock;
    let mut due = tokio::time::Instant::now();
    for frame in 0..frames {
        tokio::time::sleep_until(due).await;
        let now = tokio::time::Instant::now();
        due = if now > due {
            let late = (now - due).as_nanos() % period.as_nanos();
            now + period - Duration::from_nanos(late as u64)
        } else {
            due + period
        };
        redraw(frame).await;
    }
}

#[tokio::main]
async fn main() {
    let start = tokio::time::Instant::now();
    // A redraw takes 10ms, except the third, which stalls for 350ms.
    let redraw = async |frame: usize| {
        println!("frame {frame} at {:>4}ms", start.elapsed().as_millis());
        let took = if frame == 2 { 350 } else { 10 };
        tokio::time::sleep(Duration::from_millis(took)).await;
    };
    run_dashboard(Duration::from_millis(100), 8, redraw).await;
}
