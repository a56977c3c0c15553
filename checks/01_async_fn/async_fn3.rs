use super::*;

use std::time::Duration;

use asynclings_support::watchdog;
use tokio::time::Instant;
use tokio_test::task;

const LIMIT: Duration = Duration::from_secs(10);

fn events(journal: &Journal) -> Vec<String> {
    journal.events.lock().unwrap().clone()
}

// Polls keep_note by hand, one step at a time, and looks at the journal after each step.
#[tokio::test(start_paused = true)]
async fn nothing_happens_before_the_first_poll_and_the_user_waits_for_the_save() {
    let journal = Journal::default();
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
        first.is_pending(),
        "keep_note finished at its first poll, with the journal showing {after_first:?}; \
         saving takes 20ms, so it should still be waiting for the save. Is the save awaited?"
    );
    assert!(
        !after_first.iter().any(|e| e.starts_with("told")),
        "after the first poll the journal shows {after_first:?}: the user was told the note is \
         safe while the save had not finished (it takes 20ms). Calling save_note(..) does not \
         start it; the save starts when it is awaited. Await the save, then tell the user"
    );
    assert_eq!(
        after_first,
        ["saving tax return"],
        "after the first poll the journal shows {after_first:?}; expected only that the save \
         has started"
    );

    tokio::time::advance(Duration::from_millis(19)).await;
    let early = keep.poll();
    let after_19ms = events(&journal);
    assert!(
        early.is_pending() && after_19ms == ["saving tax return"],
        "19ms into a 20ms save, keep_note is {} and the journal shows {after_19ms:?}; nothing \
         more should have happened yet",
        if early.is_pending() {
            "still waiting"
        } else {
            "finished"
        }
    );

    tokio::time::advance(Duration::from_millis(1)).await;
    assert!(
        keep.is_woken(),
        "the save's 20ms ran out but keep_note's task was not woken"
    );
    let last = keep.poll();
    let at_end = events(&journal);
    assert!(
        last.is_ready(),
        "the 20ms save is over but keep_note is still waiting; the journal shows {at_end:?}"
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
    let journal = Journal::default();
    let start = Instant::now();
    watchdog(
        LIMIT,
        "keep_note(\"recipe\")",
        keep_note(&journal, "recipe"),
    )
    .await;
    let took = start.elapsed();

    let got = events(&journal);
    assert_eq!(
        got,
        [
            "saving recipe",
            "saved recipe",
            "told the user recipe is safe"
        ],
        "keep_note(\"recipe\") recorded {got:?}; expected the save to start, then finish, and \
         only then the user to be told. A future starts when it is awaited, not when it is made"
    );
    assert_eq!(
        took,
        Duration::from_millis(20),
        "keep_note(\"recipe\") took {took:?} of virtual time; one 20ms save should take exactly \
         20ms"
    );
}
