// Checks for cancel3: a message in hand is a message at risk.
//
// Mistakes a learner makes on this idea, and how each is caught:
// - The message kept in a local across the save (as shipped), or taken out of the inbox's
//   field before the save (`.take()`): `run` is dropped mid-save by time budgets in many
//   schedules, and the lost messages are named.
// - The message cleared only after another `.await` that follows the save (a log, a
//   `yield_now`): a budget that runs out exactly when a save completes drops `run` between
//   the two, and the restart saves the message twice; duplicates are named.
// - A message held in a local between `recv` and the field (an `.await` in between): a
//   producer sends while the inbox runs in slices, so `run` is also dropped while it waits
//   for messages, not only mid-save.
// - Changing the pretend `Store` so that a save records at once (then nothing can be lost
//   and the lesson is bypassed): the store is checked on its own first.
// - Hard-coding: messages, save times and budgets differ from the exercise's.

use super::{Inbox, Store};

use std::time::Duration;

use tokio::sync::mpsc;
use tokio::time::{Instant, sleep, timeout};

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn messages(n: usize, tag: &str) -> Vec<String> {
    (0..n).map(|i| format!("{tag}-{}", 1000 + 37 * i)).collect()
}

/// Queues `msgs`, then runs the inbox in slices of the given budgets (dropping `run` when a
/// budget is up), and finally to the end. Returns what the store saved and how long it took.
async fn run_in_slices(
    msgs: &[String],
    save_time: Duration,
    budgets: &[u64],
) -> (Vec<String>, Duration) {
    let (tx, rx) = mpsc::channel(64);
    for msg in msgs {
        tx.send(msg.clone()).await.unwrap();
    }
    drop(tx);
    let store = Store::new(save_time);
    let mut inbox = Inbox::new(rx);
    let start = Instant::now();
    for &budget in budgets {
        let _ = timeout(ms(budget), inbox.run(&store)).await;
    }
    timeout(Duration::from_secs(10), inbox.run(&store))
        .await
        .expect(
            "the last call to Inbox::run, with no time budget, had not returned after 10s of \
             virtual time; with the channel closed it should return once every message is saved",
        );
    let saved: Vec<String> = store.saved.lock().unwrap().clone();
    (saved, start.elapsed())
}

/// Like `run_in_slices`, but a producer sends the messages while the inbox runs: `gaps[i]`
/// before message i. The channel closes after the last one.
async fn run_in_slices_live(
    msgs: &[String],
    gaps: &[u64],
    save_time: Duration,
    budgets: &[u64],
) -> Vec<String> {
    let (tx, rx) = mpsc::channel(64);
    let plan: Vec<(u64, String)> = gaps.iter().copied().zip(msgs.iter().cloned()).collect();
    tokio::spawn(async move {
        for (gap, msg) in plan {
            sleep(ms(gap)).await;
            tx.send(msg).await.unwrap();
        }
    });
    let store = Store::new(save_time);
    let mut inbox = Inbox::new(rx);
    for &budget in budgets {
        let _ = timeout(ms(budget), inbox.run(&store)).await;
    }
    timeout(Duration::from_secs(10), inbox.run(&store))
        .await
        .expect(
            "the last call to Inbox::run, with no time budget, had not returned after 10s of \
             virtual time; once the channel is closed it should return when every message is \
             saved",
        );
    let saved: Vec<String> = store.saved.lock().unwrap().clone();
    saved
}

fn check_saved(saved: &[String], msgs: &[String], budgets: &[u64]) {
    if saved == msgs {
        return;
    }
    let lost: Vec<&String> = msgs.iter().filter(|m| !saved.contains(m)).collect();
    let twice: Vec<&String> = msgs
        .iter()
        .filter(|m| saved.iter().filter(|s| s == m).count() > 1)
        .collect();
    let why = if !lost.is_empty() {
        format!(
            "These were lost: {lost:?}. Each was taken out of the channel, and then `run` was \
             dropped during its save, taking the message with it. Keep the message in hand in a \
             field of the Inbox (an `Option<String>`) until its save is done, and save it first \
             when `run` starts again. Taking it out of the field before the save (`.take()`) \
             loses it the same way"
        )
    } else if !twice.is_empty() {
        format!(
            "These were saved more than once: {twice:?}. A save completed, and `run` was \
             dropped before the message in hand was cleared, so the next `run` saved it again. \
             Clear the field right after the save completes, with no `.await` in between"
        )
    } else {
        "They are out of order".to_string()
    };
    panic!(
        "the inbox was run in time slices of {budgets:?} ms, each time dropped when its slice \
         was up, then run to the end; the store saved {saved:?}, expected every message once, \
         in order: {msgs:?}. {why}"
    );
}

#[tokio::test(start_paused = true)]
async fn no_message_is_lost_when_run_is_dropped_mid_save() {
    let msgs = messages(7, "order");
    let budgets = [50, 35, 10, 45];
    let (saved, took) = run_in_slices(&msgs, ms(20), &budgets).await;
    check_saved(&saved, &msgs, &budgets);
    // Cut-off saves: 10ms at 50ms, 15ms at 85ms, 10ms at 95ms, 5ms at 140ms; each is redone.
    assert_eq!(
        took,
        ms(180),
        "saving 7 messages (20ms each) with slices of {budgets:?} ms took {took:?} of virtual \
         time; expected 180ms: 140ms of saves plus the 40ms of saves that were cut off and redone"
    );
}

#[tokio::test(start_paused = true)]
async fn no_message_is_lost_in_many_schedules() {
    for round in 0..30u64 {
        let msgs = messages(3 + (round % 5) as usize, &format!("r{round}"));
        let save_time = ms(10 + (round * 7) % 25);
        let budgets: Vec<u64> = (0..(1 + round % 6))
            .map(|i| 1 + (round * 31 + i * 17) % 60)
            .collect();
        let (saved, _) = run_in_slices(&msgs, save_time, &budgets).await;
        check_saved(&saved, &msgs, &budgets);
    }
}

#[tokio::test(start_paused = true)]
async fn an_uninterrupted_run_saves_everything() {
    let msgs = messages(4, "plain");
    let (saved, took) = run_in_slices(&msgs, ms(15), &[]).await;
    check_saved(&saved, &msgs, &[]);
    assert_eq!(
        took,
        ms(60),
        "four saves of 15ms took {took:?} of virtual time; expected 60ms"
    );
}

// The store must be the one the exercise ships: a save takes its time and records the
// message only when it completes. (A store that records first would make the lesson moot.)
#[tokio::test(start_paused = true)]
async fn the_store_saves_at_the_end_of_its_save_time() {
    let store = Store::new(ms(40));
    let cut = timeout(ms(39), store.save("cut off")).await;
    let saved: Vec<String> = store.saved.lock().unwrap().clone();
    assert!(
        cut.is_err() && saved.is_empty(),
        "a save of 40ms cut off at 39ms recorded {saved:?}; the pretend Store must stay as \
         shipped (it records a message only when its save completes): fix `Inbox::run`, not \
         the store"
    );
    let start = Instant::now();
    store.save("whole").await;
    let saved: Vec<String> = store.saved.lock().unwrap().clone();
    assert!(
        saved == ["whole"] && start.elapsed() == ms(40),
        "a whole save recorded {saved:?} after {:?}; the pretend Store must stay as shipped",
        start.elapsed()
    );
}

// Budgets that run out exactly when a save completes: `run` is dropped right after a save,
// before anything else it does afterwards. A message saved must not be saved again.
#[tokio::test(start_paused = true)]
async fn a_completed_save_is_not_done_again_after_a_restart() {
    let msgs = messages(6, "exact");
    let budgets = [25, 25, 50, 25];
    let (saved, _) = run_in_slices(&msgs, ms(25), &budgets).await;
    check_saved(&saved, &msgs, &budgets);
}

// Messages arrive while the inbox runs in slices, so some slices end while `run` waits for
// the next message, and others in the middle of a save.
#[tokio::test(start_paused = true)]
async fn no_message_is_lost_while_messages_keep_arriving() {
    for round in 0..12u64 {
        let msgs = messages(4 + (round % 4) as usize, &format!("live{round}"));
        let gaps: Vec<u64> = (0..msgs.len() as u64)
            .map(|i| (round * 13 + i * 29) % 45)
            .collect();
        let budgets: Vec<u64> = (0..(3 + round % 5))
            .map(|i| 3 + (round * 17 + i * 23) % 40)
            .collect();
        let saved = run_in_slices_live(&msgs, &gaps, ms(12 + round % 9), &budgets).await;
        check_saved(&saved, &msgs, &budgets);
    }
}
