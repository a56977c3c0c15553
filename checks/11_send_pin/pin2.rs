// Mistakes learners make on awaiting a caller's future in two goes, and how each is caught:
// - `F: Unpin` added to the bounds (the compiler's first suggestion): the checks pass
//   `async` blocks, which are not `Unpin` (compile error).
// - `tokio::spawn(work)` to avoid lending it: the checks' work borrows a local and holds an
//   `Rc`, so it is neither `'static` nor `Send` (compile error).
// - awaiting the work first and warning afterwards if it took long: the warning's virtual
//   time is compared exactly with the patience.
// - waiting out the patience even when the work is done early (a `join!` of the work and a
//   timer): the result's time is compared exactly with the work's own time.
// - warning more than once, or for quick work: the number and times of warnings are checked.
// - polling the work (a `now_or_never` and a sleep) instead of letting it wake the helper: the
//   work's polls are counted; a woken helper polls it about once per step.
// - doing the work twice or losing its progress: the work counts its own steps.
// - hard-coding: patience, steps and outputs are not the exercise's.

use super::warn_if_slow;

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::Duration;

use tokio::time::{Instant, sleep};

const LIMIT: Duration = Duration::from_secs(60);

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// What the checks' work did: how often it was polled, how many steps it took.
#[derive(Default)]
struct Ledger {
    polls: Cell<usize>,
    steps: Cell<usize>,
}

/// Counts the polls of the future inside (without pinning it: `F: Unpin` is not asked).
struct Counted<'a, F> {
    inner: std::pin::Pin<Box<F>>,
    ledger: &'a Ledger,
}

impl<F: std::future::Future> std::future::Future for Counted<'_, F> {
    type Output = F::Output;
    fn poll(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<F::Output> {
        self.ledger.polls.set(self.ledger.polls.get() + 1);
        self.inner.as_mut().poll(cx)
    }
}

/// Runs `warn_if_slow` on a work of `steps` (virtual ms each) that returns `output`, with
/// `patience`; checks what came back, when, and the warnings.
async fn assert_warns(steps: &[u64], patience: u64, output: Vec<u32>) {
    let ledger = Ledger::default();
    // Not `Send` (an `Rc`), not `'static` (borrows `ledger`), not `Unpin` (an `async` block).
    let note = Rc::new(RefCell::new(Vec::new()));
    let work = {
        let note = note.clone();
        let ledger = &ledger;
        let output = output.clone();
        async move {
            for &step in steps {
                sleep(ms(step)).await;
                ledger.steps.set(ledger.steps.get() + 1);
                note.borrow_mut().push(step);
            }
            output
        }
    };
    let counted = Counted {
        inner: Box::pin(work),
        ledger: &ledger,
    };
    let start = Instant::now();
    let warnings: RefCell<Vec<Duration>> = RefCell::new(Vec::new());
    let warn = || warnings.borrow_mut().push(start.elapsed());
    let Ok(got) = tokio::time::timeout(LIMIT, warn_if_slow(counted, ms(patience), warn)).await
    else {
        panic!("warn_if_slow had not returned after {LIMIT:?} of virtual time");
    };
    let got: Vec<u32> = got;
    let took = start.elapsed();
    let warnings: Vec<Duration> = warnings.into_inner();
    let takes = ms(steps.iter().sum());
    let n_steps = ledger.steps.get();
    assert!(
        got == output && n_steps == steps.len(),
        "warn_if_slow returned {got:?} after the work took {n_steps} of its {} steps; expected \
         {output:?} from one run of the work, from start to end",
        steps.len()
    );
    if takes > ms(patience) {
        if warnings.is_empty() {
            panic!(
                "the work took {takes:?} of virtual time, longer than the patience of \
                 {patience}ms, but `warn` was never called"
            );
        }
        if warnings[0] != ms(patience) {
            panic!(
                "the work took {takes:?} and the patience was {patience}ms, but `warn` was \
                 called at {:?} of virtual time: the warning must come when the patience runs \
                 out, while the work is still going. Does it await the work first and only then \
                 look at how long it took? Wait for it with `timeout(patience, &mut work)`, \
                 after pinning it with `std::pin::pin!`",
                warnings[0]
            );
        }
    } else {
        assert!(
            warnings.is_empty(),
            "the work took {takes:?}, within the patience of {patience}ms, but `warn` was \
             called at {warnings:?}: warn only about work that is not done in time"
        );
    }
    assert_eq!(
        took, takes,
        "the work was done at {takes:?} of virtual time, but warn_if_slow returned at {took:?}: \
         it should return the moment the work is done. Does it wait out the patience whatever \
         happens (a `join!` of the work and a timer)?"
    );
    let polls = ledger.polls.get();
    assert!(
        polls <= 2 * steps.len() + 4,
        "the work was polled {polls} times for {} steps: it wakes the helper when it can go on, \
         so it needs about one poll per step. Is it polled on a timer (`now_or_never` and a \
         sleep) instead of being awaited?",
        steps.len()
    );
    assert_eq!(
        *note.borrow(),
        steps.to_vec(),
        "the work's steps ran as {:?}, expected {steps:?}",
        note.borrow()
    );
}

#[tokio::test(start_paused = true)]
async fn slow_work_is_warned_about_and_still_awaited() {
    assert_warns(&[130, 95, 170], 210, vec![4, 8, 15]).await;
}

#[tokio::test(start_paused = true)]
async fn quick_work_gets_no_warning() {
    assert_warns(&[40, 33], 120, vec![16]).await;
}

#[tokio::test(start_paused = true)]
async fn work_that_is_already_done() {
    assert_warns(&[], 50, vec![23, 42]).await;
}

#[tokio::test(start_paused = true)]
async fn one_long_step() {
    assert_warns(&[777], 301, vec![]).await;
}

#[tokio::test(start_paused = true)]
async fn the_work_may_be_any_future() {
    // An `async fn`'s future, with an output of another type.
    async fn count_down(from: u64) -> String {
        for i in (0..from).rev() {
            sleep(ms(i + 10)).await;
        }
        format!("counted down from {from}")
    }
    let start = Instant::now();
    let warned = Cell::new(None);
    let got: String =
        warn_if_slow(count_down(4), ms(25), || warned.set(Some(start.elapsed()))).await;
    assert_eq!(
        (got.as_str(), warned.get(), start.elapsed()),
        ("counted down from 4", Some(ms(25)), ms(46)),
        "warn_if_slow(count_down(4), 25ms, ..) should warn at 25ms and return the work's output \
         at 46ms"
    );
}
