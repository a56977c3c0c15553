use super::*;

use std::panic::AssertUnwindSafe;
use std::time::Duration;

use futures::FutureExt;
use tokio::sync::mpsc;
use tokio::time::Instant;

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// A feed that sends each message at its time (ms from the start) and closes at `close_at`.
fn feed(messages: &[(u64, &str)], close_at: u64) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel(16);
    let messages: Vec<(u64, String)> = messages.iter().map(|&(t, m)| (t, m.to_string())).collect();
    tokio::spawn(async move {
        let start = Instant::now();
        for (at, msg) in messages {
            tokio::time::sleep_until(start + ms(at)).await;
            tx.send(msg).await.unwrap();
        }
        tokio::time::sleep_until(start + ms(close_at)).await;
        drop(tx);
    });
    rx
}

fn panic_text(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "(no message)".to_string())
}

async fn run_merge(
    chat: &mut mpsc::Receiver<String>,
    alerts: &mut mpsc::Receiver<String>,
) -> (Vec<String>, Duration) {
    let start = Instant::now();
    let run = AssertUnwindSafe(merge(chat, alerts)).catch_unwind();
    match tokio::time::timeout(Duration::from_secs(10), run).await {
        Err(_) => panic!(
            "merge was still running 10s of virtual time after both feeds had closed; it should \
             return the transcript as soon as the last feed closes"
        ),
        Ok(Err(payload)) => panic!(
            "merge panicked with {:?} once both feeds had closed. A closed feed gives None, which \
             does not match `Some(..)`, so its branch is disabled; with both disabled, select! \
             has nothing left to wait for. Add an `else => break` branch: it runs when every \
             branch is disabled",
            panic_text(payload.as_ref())
        ),
        Ok(Ok(transcript)) => (transcript, start.elapsed()),
    }
}

#[tokio::test(start_paused = true)]
async fn both_feeds_are_merged_until_the_last_one_closes() {
    let mut chat = feed(&[(10, "lunch?"), (40, "pizza"), (70, "ok")], 90);
    let mut alerts = feed(&[(25, "cpu hot"), (60, "fan on")], 120);
    let (transcript, took) = run_merge(&mut chat, &mut alerts).await;
    assert_eq!(
        transcript,
        [
            "chat: lunch?",
            "ALERT: cpu hot",
            "chat: pizza",
            "ALERT: fan on",
            "chat: ok"
        ],
        "merge returned {transcript:?}; expected every message from both feeds, in the order they \
         arrived. Does it stop as soon as the first feed closes?"
    );
    assert_eq!(
        took,
        ms(120),
        "merge returned after {took:?} of virtual time; the chat closed at 90ms and the alerts at \
         120ms, so it should return at 120ms"
    );
}

#[tokio::test(start_paused = true)]
async fn an_empty_feed_that_closes_at_once_does_not_stop_the_other() {
    let mut chat = feed(&[], 0);
    let mut alerts = feed(
        &[(5, "door open"), (15, "door closed"), (45, "lights off")],
        55,
    );
    let (transcript, took) = run_merge(&mut chat, &mut alerts).await;
    assert_eq!(
        transcript,
        [
            "ALERT: door open",
            "ALERT: door closed",
            "ALERT: lights off"
        ],
        "with the chat closed from the start, merge returned {transcript:?}; expected the three \
         alerts. Does it stop as soon as the first feed closes?"
    );
    assert_eq!(
        took,
        ms(55),
        "merge returned after {took:?} of virtual time; the alerts closed at 55ms"
    );
}

#[tokio::test(start_paused = true)]
async fn feeds_closing_together_end_the_merge_at_once() {
    let mut chat = feed(&[(30, "see you")], 80);
    let mut alerts = feed(&[(50, "backup done")], 80);
    let (transcript, took) = run_merge(&mut chat, &mut alerts).await;
    assert_eq!(
        (transcript.clone(), took),
        (
            vec![
                "chat: see you".to_string(),
                "ALERT: backup done".to_string()
            ],
            ms(80)
        ),
        "merge returned {transcript:?} after {took:?} of virtual time; expected both messages, \
         at 80ms when both feeds closed"
    );
}
