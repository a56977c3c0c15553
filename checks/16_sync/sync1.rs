// Checks for sync1: a nudge sent while the flusher is busy must not be lost.
//
// The checks give the flusher a disk of their own that logs every save and sync with its
// virtual time, run the flusher as a task, and write lines at chosen moments.
//
// Mistakes a learner makes here, and how each is caught:
// - the wake-up still lost (`notify_waiters` with nobody waiting, as shipped): a line written
//   while the disk syncs must be saved as soon as the sync ends; it never is.
// - a timeout around `notified()` as a safety net (a timeout raised instead of the cause
//   removed): the line is saved, but only when the timer runs out; its save time is compared
//   exactly with the end of the sync.
// - a loop that sleeps a little and looks again (polling instead of being woken): the flusher
//   task is polled for every look; an idle flusher must be polled only a few times in a whole
//   second. A line written on a timer tick, after a `yield_now`, is also saved exactly then.
// - a loop that spins on `yield_now` (never sleeps at all): the poll count explodes; the
//   counting wrapper stops it with a message instead of hanging the paused clock.
// - lines dropped, duplicated or reordered, or a save per line where one batch is due: every
//   save's batch is compared.
// - a flusher that returns: it must still be running at the end of every check.

use super::{Disk, LogBuffer, flusher};

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use asynclings_support::timeline::{self, Timeline};
use tokio::task::JoinHandle;
use tokio::time::{Instant, sleep_until};

const MS: fn(u64) -> Duration = Duration::from_millis;

/// More polls than any flusher that sleeps between nudges could need in one check.
const SPIN_LIMIT: usize = 5_000;

#[derive(Clone, Debug, PartialEq)]
enum Op {
    Save(Vec<String>),
    Sync,
}

/// A disk that logs each operation with the virtual time it started at.
#[derive(Clone)]
struct TestDisk {
    start: Instant,
    save_time: Duration,
    sync_time: Duration,
    ops: Arc<Mutex<Vec<(Duration, Op)>>>,
}

impl TestDisk {
    fn new(save_time: Duration, sync_time: Duration) -> Self {
        TestDisk {
            start: Instant::now(),
            save_time,
            sync_time,
            ops: Arc::default(),
        }
    }

    fn record(&self, op: Op) {
        let at = self.start.elapsed();
        self.ops.lock().unwrap().push((at, op));
    }

    /// The saves, each with the virtual time it started at.
    fn saves(&self) -> Vec<(Duration, Vec<String>)> {
        let ops = self.ops.lock().unwrap();
        ops.iter()
            .filter_map(|(at, op)| match op {
                Op::Save(lines) => Some((*at, lines.clone())),
                Op::Sync => None,
            })
            .collect()
    }

    fn syncs(&self) -> Vec<Duration> {
        let ops = self.ops.lock().unwrap();
        ops.iter()
            .filter(|(_, op)| *op == Op::Sync)
            .map(|(at, _)| *at)
            .collect()
    }
}

impl Disk for TestDisk {
    async fn save(&self, lines: Vec<String>) {
        self.record(Op::Save(lines));
        tokio::time::sleep(self.save_time).await;
    }

    async fn sync(&self) {
        self.record(Op::Sync);
        tokio::time::sleep(self.sync_time).await;
    }
}

/// The lines written (at `writes` ms; `before` of them before the flusher started), and each
/// save and sync of the disk (`ops`: start and kind, as the disk logged them or as expected).
fn disk_run(
    writes: &[u64],
    ops: &[(Duration, bool)],
    (save_time, sync_time): (u64, u64),
) -> Timeline {
    let run = Timeline::new();
    run.declare_instants("write");
    for &at in writes {
        run.instant_at("write", MS(at));
    }
    let mut end = writes.iter().map(|&at| MS(at)).max().unwrap_or_default();
    for &(at, save) in ops {
        let (label, took) = if save {
            ("save", save_time)
        } else {
            ("sync", sync_time)
        };
        run.span_at(label, at, at + MS(took));
        end = end.max(at + MS(took));
    }
    run.end_at(end);
    run
}

/// The disk's operations as the flusher should ask for them, with lines written at `writes`
/// ms (those at 0 before it started), until the last write is saved and the disk synced:
/// a batch is saved when there is one, the disk synced when there is none, and then the
/// flusher waits for the next line (at once if one came during the sync).
fn expected_ops(writes: &[u64], (save_time, sync_time): (u64, u64)) -> Vec<(Duration, bool)> {
    let (mut ops, mut t, mut taken) = (Vec::new(), 0, 0);
    loop {
        let due = writes.iter().filter(|&&at| at <= t).count();
        if due > taken {
            taken = due;
            ops.push((MS(t), true));
            t += save_time;
            continue;
        }
        ops.push((MS(t), false));
        t += sync_time;
        match writes.iter().copied().filter(|&at| at > t).min() {
            _ if writes.iter().filter(|&&at| at <= t).count() > taken => {}
            Some(next) => t = next,
            None => return ops,
        }
    }
}

/// What the disk was asked to do, and what it should have been, as two timelines on one
/// axis.
fn disk_runs(disk: &TestDisk, writes: &[u64], times: (u64, u64)) -> (Timeline, Timeline) {
    let ops: Vec<(Duration, bool)> = disk
        .ops
        .lock()
        .unwrap()
        .iter()
        .map(|(at, op)| (*at, matches!(op, Op::Save(_))))
        .collect();
    (
        disk_run(writes, &ops, times),
        disk_run(writes, &expected_ops(writes, times), times),
    )
}

type Saves = Vec<(Duration, Vec<String>)>;

/// `assert_eq!` of the saves: saves at other times show the disk's run next to the expected
/// one; the right times with other batches are a wrong value, shown plainly.
#[track_caller]
fn assert_saves(
    (saves, expected): (&Saves, &Saves),
    disk: &TestDisk,
    writes: &[u64],
    times: (u64, u64),
    message: impl FnOnce() -> String,
) {
    let when = |saves: &Saves| -> Vec<Duration> { saves.iter().map(|(at, _)| *at).collect() };
    if when(saves) == when(expected) {
        assert_eq!(saves, expected, "{}", message());
    }
    let (recorded, should) = disk_runs(disk, writes, times);
    timeline::assert_eq(saves, expected, &recorded, Some(&should), message);
}

/// Counts the polls of the future it wraps, and stops a future that spins.
struct Counted<F> {
    inner: Pin<Box<F>>,
    polls: Arc<AtomicUsize>,
}

impl<F: Future> Future for Counted<F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let polls = self.polls.fetch_add(1, Ordering::SeqCst) + 1;
        assert!(
            polls <= SPIN_LIMIT,
            "the flusher was polled {SPIN_LIMIT} times without the clock moving on: it keeps \
             waking itself (a `yield_now` loop?) instead of sleeping until a writer nudges it \
             with the `Notify`"
        );
        self.inner.as_mut().poll(cx)
    }
}

struct Running {
    buffer: Arc<LogBuffer>,
    disk: TestDisk,
    polls: Arc<AtomicUsize>,
    task: JoinHandle<()>,
    start: Instant,
}

impl Running {
    fn start(buffer: Arc<LogBuffer>, save_time: u64, sync_time: u64) -> Self {
        let disk = TestDisk::new(MS(save_time), MS(sync_time));
        let polls = Arc::new(AtomicUsize::new(0));
        let task = tokio::spawn(Counted {
            inner: Box::pin(flusher(buffer.clone(), disk.clone())),
            polls: polls.clone(),
        });
        Running {
            buffer,
            start: disk.start,
            disk,
            polls,
            task,
        }
    }

    /// Writes `line` at `at` after the start: after that tick's timers have fired and
    /// everything woken by them has had its turn.
    async fn write_at(&self, at: u64, line: &str) {
        sleep_until(self.start + MS(at)).await;
        tokio::task::yield_now().await;
        self.buffer.write(line);
    }

    async fn until(&self, at: u64) {
        sleep_until(self.start + MS(at)).await;
    }

    fn polls(&self) -> usize {
        self.polls.load(Ordering::SeqCst)
    }

    /// The flusher must still be running; if it ended, say how.
    async fn still_running(self) -> TestDisk {
        if self.task.is_finished() {
            match self.task.await {
                Ok(()) => panic!(
                    "the flusher returned; it should go on saving lines for as long as it \
                     runs (a `loop` that never ends)"
                ),
                Err(err) => match err.try_into_panic() {
                    Ok(payload) => std::panic::resume_unwind(payload),
                    Err(err) => panic!("the flusher task ended: {err}"),
                },
            }
        }
        self.task.abort();
        self.disk
    }
}

fn lines(list: &[&str]) -> Vec<String> {
    list.iter().map(|line| line.to_string()).collect()
}

#[tokio::test(start_paused = true)]
async fn a_line_written_while_the_disk_syncs_is_saved_when_the_sync_ends() {
    // (sync time, the moment of the write during the first sync)
    for (sync_time, write_at) in [(4, 2), (9, 7)] {
        let run = Running::start(Arc::new(LogBuffer::new()), 10, sync_time);
        let line = format!("checkpoint {write_at}");
        run.write_at(write_at, &line).await;
        run.until(400).await;
        let disk = run.still_running().await;
        let saves = disk.saves();
        let syncs = disk.syncs();
        let (recorded, expected) = disk_runs(&disk, &[write_at], (10, sync_time));
        assert_eq!(
            syncs.first(),
            Some(&Duration::ZERO),
            "with nothing to save, the flusher should sync the disk at once; it synced at \
             {syncs:?}"
        );
        let Some((saved_at, batch)) = saves.first().cloned() else {
            timeline::fail(
                format_args!(
                    "{line:?} was written at {write_at}ms, while the idle flusher was syncing \
                     the disk (0 to {sync_time}ms), and 400ms later it was still not saved. \
                     `notify_waiters` wakes only the tasks already waiting; the flusher was not \
                     waiting yet, so that nudge was lost and it sleeps next to the line. Use a \
                     nudge that is remembered (`notify_one` leaves a permit), or register the \
                     `Notified` before taking the lines"
                ),
                &recorded,
                Some(&expected),
            );
        };
        assert_eq!(
            batch,
            [line.clone()],
            "the first save was {batch:?}; expected just the line written, {line:?}"
        );
        timeline::assert_eq(saved_at, MS(sync_time), &recorded, Some(&expected), || {
            format!(
                "{line:?}, written at {write_at}ms while the disk synced (0 to {sync_time}ms), \
                 was saved at {saved_at:?}; it should be saved as soon as the sync ended, at \
                 {sync_time}ms. A timer that wakes the flusher now and then only hides the lost \
                 nudge: make the nudge itself reach the flusher (`notify_one`, or a `Notified` \
                 registered before the lines are taken)"
            )
        });
    }
}

#[tokio::test(start_paused = true)]
async fn lines_written_during_a_save_go_in_the_next_batch() {
    let run = Running::start(Arc::new(LogBuffer::new()), 10, 4);
    run.write_at(10, "login alice").await;
    run.write_at(13, "login bob").await;
    run.write_at(17, "logout alice").await;
    run.write_at(61, "login carol").await;
    run.until(500).await;
    let disk = run.still_running().await;
    let saves = disk.saves();
    let expected = vec![
        (MS(10), lines(&["login alice"])),
        (MS(20), lines(&["login bob", "logout alice"])),
        (MS(61), lines(&["login carol"])),
    ];
    let writes = [10, 13, 17, 61];
    assert_saves((&saves, &expected), &disk, &writes, (10, 4), || {
        format!(
            "the saves (start time, batch) were {saves:?}; expected {expected:?}. A line \
             written while the flusher waits is saved at once; lines written during a save \
             (10ms each) are saved together, as soon as that save ends"
        )
    });
}

#[tokio::test(start_paused = true)]
async fn lines_written_before_the_flusher_starts_are_saved_at_once() {
    let buffer = Arc::new(LogBuffer::new());
    buffer.write("boot");
    buffer.write("mount /var");
    let run = Running::start(buffer, 6, 3);
    run.until(100).await;
    let disk = run.still_running().await;
    let saves = disk.saves();
    let expected = vec![(Duration::ZERO, lines(&["boot", "mount /var"]))];
    assert_saves((&saves, &expected), &disk, &[0, 0], (6, 3), || {
        format!(
            "the saves (start time, batch) were {saves:?}; expected {expected:?}: the flusher \
             should save what the buffer already holds as soon as it starts"
        )
    });
}

#[tokio::test(start_paused = true)]
async fn an_idle_flusher_sleeps_until_a_line_is_written() {
    let run = Running::start(Arc::new(LogBuffer::new()), 10, 4);
    run.until(1_000).await;
    let idle_polls = run.polls();
    assert!(
        idle_polls <= 6,
        "the flusher task was polled {idle_polls} times in one idle second, with nothing \
         written. A flusher that sleeps and looks again wakes for nothing; one that waits on \
         the `Notify` is polled only when nudged"
    );
    run.write_at(1_037, "rotate").await;
    run.until(1_100).await;
    let disk = run.still_running().await;
    let saves = disk.saves();
    let expected = vec![(MS(1_037), lines(&["rotate"]))];
    assert_saves((&saves, &expected), &disk, &[1_037], (10, 4), || {
        format!(
            "the saves (start time, batch) were {saves:?}; expected {expected:?}: a line \
             written to an idle flusher is saved at once, not at its next look"
        )
    });
}
