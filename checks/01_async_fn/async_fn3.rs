// Checks for async_fn3: creating a future does not start it; the first poll does.
//
// Mistakes a learner makes here, and how each is caught:
// - the confirmation recorded before the save is awaited (the shipped bug, and any order that
//   still tells the user first): polled by hand, step by step, keep_note must not record
//   "told" before "saved".
// - the save and a "matching" sleep joined (`join!(save, async { sleep(20ms); tell })`):
//   the checks' disk is slower than the exercise's and the save ends with a flush, so a sleep
//   copied from the file, or of the disk's write time, tells the user a tick or more early.
//   No verdict depends on which of two timers at the same instant fires first.
// - the save spawned as a task (with whatever makes that compile) or not awaited at all:
//   keep_note finishes before the save, or the journal misses "saved".
// - the save awaited twice, or recorded by hand (bypassing save_note): the journal holds
//   exactly the save's two entries and the confirmation, and keep_note takes exactly the
//   write plus the flush.
// - work started before the first poll (a future made eagerly, e.g. by a helper that records
//   first): the journal must be empty until keep_note's future is polled.

use super::{Journal, keep_note};

use std::time::Duration;

use asynclings_support::watchdog;
use tokio::time::Instant;
use tokio_test::task;

const LIMIT: Duration = Duration::from_secs(10);

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn events(journal: &Journal) -> Vec<String> {
    let events: Vec<String> = journal.events.lock().unwrap().clone();
    events
}

/// Advances the paused clock by `by`, polling `keep` whenever it has been woken, the way a
/// runtime would. Returns whether it finished.
async fn run_for<F: Future<Output = ()>>(keep: &mut task::Spawn<F>, by: Duration) -> bool {
    let step = ms(1);
    let mut passed = Duration::ZERO;
    while passed < by {
        tokio::time::advance(step).await;
        passed += step;
        if keep.is_woken() && keep.poll().is_ready() {
            return true;
        }
    }
    false
}

// Polls keep_note by hand, one step at a time, and looks at the journal after each step. The
// disk here takes 36ms to write and 9ms to flush: 45ms in all.
#[tokio::test(start_paused = true)]
async fn nothing_happens_before_the_first_poll_and_the_user_waits_for_the_save() {
    let journal = Journal::new(ms(36));
    let mut keep = task::spawn(keep_note(&journal, "tax return"));

    let before = events(&journal);
    assert!(
        before.is_empty(),
        "the journal shows {before:?} although keep_note's future was never polled; the body \
         of an async fn runs only when its future is polled. Keep keep_note an `async fn`"
    );

    let first = keep.poll();
    let after_first = events(&journal);
    assert!(
        !after_first.iter().any(|e| e.starts_with("told")),
        "after the first poll the journal shows {after_first:?}: the user was told the note is \
         safe while the save was not finished (it takes 45ms here). Calling save_note(..) does not \
         start it; the save starts when it is awaited. Await the save, then tell the user"
    );
    assert!(
        first.is_pending(),
        "keep_note finished at its first poll, with the journal showing {after_first:?}; \
         saving takes 45ms here, so it should still be waiting for the save. Is the save \
         awaited?"
    );
    assert_eq!(
        after_first,
        ["saving tax return"],
        "after the first poll the journal shows {after_first:?}; expected only that the save \
         has started"
    );

    let done_early = run_for(&mut keep, ms(44)).await;
    let after_44ms = events(&journal);
    assert!(
        !after_44ms.iter().any(|e| e.starts_with("told")),
        "44ms into a save that takes 45ms (a 36ms write, then a 9ms flush), the journal shows \
         {after_44ms:?}: the user was told before the note was safe. A sleep that matches the \
         exercise's numbers is a guess about how long the disk takes; await the save itself, \
         then tell the user"
    );
    assert!(
        !done_early && after_44ms == ["saving tax return"],
        "44ms into a 45ms save, keep_note is {} and the journal shows {after_44ms:?}; nothing \
         more should have happened yet",
        if done_early {
            "finished"
        } else {
            "still waiting"
        }
    );

    let done = run_for(&mut keep, ms(1)).await;
    let at_end = events(&journal);
    assert!(
        done,
        "the 45ms save is over but keep_note is still waiting; the journal shows {at_end:?}"
    );
    assert_eq!(
        at_end,
        [
            "saving tax return",
            "saved tax return",
            "told the user tax return is safe"
        ],
        "keep_note recorded {at_end:?}; expected the save to start, then finish, and only then \
         the user to be told"
    );
}

#[tokio::test(start_paused = true)]
async fn the_user_is_told_when_the_save_is_done() {
    for (note, disk) in [("recipe", 52), ("poem", 8)] {
        let journal = Journal::new(ms(disk));
        let start = Instant::now();
        watchdog(LIMIT, "keep_note", keep_note(&journal, note)).await;
        let took = start.elapsed();

        let got = events(&journal);
        let expected = [
            format!("saving {note}"),
            format!("saved {note}"),
            format!("told the user {note} is safe"),
        ];
        assert_eq!(
            got, expected,
            "keep_note({note:?}) recorded {got:?}; expected the save to start, then finish, and \
             only then the user to be told. A future starts when it is awaited, not when it is \
             made"
        );
        let save = ms(disk) + ms(disk) / 4;
        assert_eq!(
            took, save,
            "keep_note({note:?}) took {took:?} of virtual time; one save on a disk that writes in \
             {disk}ms and flushes in a quarter of that takes exactly {save:?}: is the save \
             awaited exactly once?"
        );
    }
}
