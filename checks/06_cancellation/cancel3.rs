use super::*;

use std::time::Duration;

use tokio::sync::mpsc;
use tokio::time::{Instant, timeout};

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
    let saved = store.saved.lock().unwrap().clone();
    (saved, start.elapsed())
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
        format!("These were saved more than once: {twice:?}")
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
