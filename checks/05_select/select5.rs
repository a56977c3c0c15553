// Checks for select5: when every branch is done.
//
// Mistakes a learner makes on this idea, and how each is caught:
// - No `else` branch: select! panics once both feeds are closed; the panic is turned into
//   the lesson.
// - Catching that panic (`catch_unwind` around the loop or the select!) instead of ending
//   the loop: a panic hook counts every "all branches are disabled" panic, caught or not.
// - `else => continue`: a busy loop that never awaits, so the clock never moves; only the
//   runner's time limit stops it.
// - Breaking when the first feed closes: the rest of the other feed is lost; the message
//   says so only when that is what the transcript shows.
// - Polling the feeds (`try_recv` and a short sleep) instead of being woken: the checks
//   count how often merge is polled.
// - Hard-coding the transcript: the feeds' messages and times are not the exercise's.

use super::merge;

use std::cell::Cell;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::Once;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use asynclings_support::timeline::{self, Timeline};
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

/// How many "all branches are disabled" panics happened in this process, caught or not.
static DISABLED_PANICS: AtomicUsize = AtomicUsize::new(0);

fn count_disabled_panics() {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if panic_text(info.payload()).contains("all branches are disabled") {
                DISABLED_PANICS.fetch_add(1, Ordering::SeqCst);
            }
            previous(info);
        }));
    });
}

/// Counts the polls of `fut` in `polls`.
async fn counted<F: Future>(fut: F, polls: &Cell<usize>) -> F::Output {
    let mut fut = std::pin::pin!(fut);
    std::future::poll_fn(|cx| {
        polls.set(polls.get() + 1);
        fut.as_mut().poll(cx)
    })
    .await
}

async fn run_merge(
    chat: &mut mpsc::Receiver<String>,
    alerts: &mut mpsc::Receiver<String>,
) -> (Vec<String>, Duration) {
    count_disabled_panics();
    let start = Instant::now();
    let polls = Cell::new(0);
    let run = AssertUnwindSafe(counted(merge(chat, alerts), &polls)).catch_unwind();
    let outcome = tokio::time::timeout(Duration::from_secs(10), run).await;
    let caught = DISABLED_PANICS.load(Ordering::SeqCst);
    if caught > 0 && matches!(outcome, Ok(Ok(_))) {
        panic!(
            "merge returned, but on the way select! panicked with \"all branches are disabled \
             and there is no else branch\" ({caught} time(s)) and the panic was caught. Catching \
             the panic hides the cause: once both feeds are closed, no branch is left to wait \
             for. Give the select! an `else => break` branch, which runs when every branch is \
             disabled"
        );
    }
    let transcript: Vec<String> = match outcome {
        Err(_) => panic!(
            "merge was still running 10s of virtual time after both feeds had closed; it should \
             return the transcript as soon as the last feed closes (select!'s `else` branch \
             runs when every branch is disabled)"
        ),
        Ok(Err(payload)) => panic!(
            "merge panicked with {:?} once both feeds had closed. A closed feed gives None, which \
             does not match `Some(..)`, so its branch is disabled; with both disabled, select! \
             has nothing left to wait for. Add an `else => break` branch: it runs when every \
             branch is disabled",
            panic_text(payload.as_ref())
        ),
        Ok(Ok(transcript)) => transcript,
    };
    let polls = polls.get();
    assert!(
        polls <= 2 * transcript.len() + 6,
        "merge was polled {polls} times for {} messages; a select! loop is woken once per \
         message or closed feed. Is it checking the feeds now and then (`try_recv` and a short \
         sleep) instead of waiting on both with select!?",
        transcript.len()
    );
    (transcript, start.elapsed())
}

/// The two feeds (each message, and the moment the feed closed) and merge from its call to
/// `merge_end`.
fn feeds(chat: (&[u64], u64), alerts: (&[u64], u64), merge_end: Duration) -> Timeline {
    let run = Timeline::new();
    for (label, (messages, closed)) in [("chat", chat), ("alert", alerts)] {
        for &at in messages {
            run.instant_at(label, ms(at));
        }
        run.instant_at(&format!("{label} end"), ms(closed));
    }
    run.span_at("merge", Duration::ZERO, merge_end);
    run.end_at(merge_end);
    run
}

/// Says "stopped when the first feed closed" only when the transcript shows exactly that.
fn why_short(
    transcript: &[String],
    expected: &[&str],
    took: Duration,
    first_close: Duration,
) -> &'static str {
    let is_prefix = transcript.len() < expected.len()
        && transcript
            .iter()
            .zip(expected)
            .all(|(got, want)| got == want);
    if is_prefix && took == first_close {
        "It returned when the first feed closed: a closed feed only disables its own branch; \
         the loop must go on until every branch is disabled (`else => break`)"
    } else {
        "Every message of each feed should be in the transcript, in arrival order, written as \
         `chat: ..` or `ALERT: ..`"
    }
}

#[tokio::test(start_paused = true)]
async fn both_feeds_are_merged_until_the_last_one_closes() {
    let mut chat = feed(&[(10, "lunch?"), (40, "pizza"), (70, "ok")], 90);
    let mut alerts = feed(&[(25, "cpu hot"), (60, "fan on")], 120);
    let (transcript, took) = run_merge(&mut chat, &mut alerts).await;
    let expected = [
        "chat: lunch?",
        "ALERT: cpu hot",
        "chat: pizza",
        "ALERT: fan on",
        "chat: ok",
    ];
    let (chat, alerts) = ((&[10, 40, 70][..], 90), (&[25, 60][..], 120));
    let (recorded, wanted) = (feeds(chat, alerts, took), feeds(chat, alerts, ms(120)));
    let why = why_short(&transcript, &expected, took, ms(90));
    let message = || {
        format!(
            "merge returned {transcript:?} after {took:?}; expected every message from both \
             feeds, in the order they arrived. {why}"
        )
    };
    if took == ms(90) && transcript != expected {
        // Stopped when the chat closed: a matter of time, shown on the timeline.
        timeline::assert_eq(
            &transcript[..],
            &expected.map(String::from)[..],
            &recorded,
            Some(&wanted),
            message,
        );
    }
    assert_eq!(transcript, expected, "{}", message());
    timeline::assert_eq(took, ms(120), &recorded, Some(&wanted), || {
        format!(
            "merge returned after {took:?} of virtual time; the chat closed at 90ms and the \
             alerts at 120ms, so it should return at 120ms"
        )
    });
}

#[tokio::test(start_paused = true)]
async fn an_empty_feed_that_closes_at_once_does_not_stop_the_other() {
    let mut chat = feed(&[], 0);
    let mut alerts = feed(
        &[(5, "door open"), (15, "door closed"), (45, "lights off")],
        55,
    );
    let (transcript, took) = run_merge(&mut chat, &mut alerts).await;
    let expected = [
        "ALERT: door open",
        "ALERT: door closed",
        "ALERT: lights off",
    ];
    let (chat, alerts) = ((&[][..], 0), (&[5, 15, 45][..], 55));
    let (recorded, wanted) = (feeds(chat, alerts, took), feeds(chat, alerts, ms(55)));
    let why = why_short(&transcript, &expected, took, ms(0));
    let message = || {
        format!(
            "with the chat closed from the start, merge returned {transcript:?} after {took:?}; \
             expected the three alerts. {why}"
        )
    };
    if took == ms(0) && transcript != expected {
        timeline::assert_eq(
            &transcript[..],
            &expected.map(String::from)[..],
            &recorded,
            Some(&wanted),
            message,
        );
    }
    assert_eq!(transcript, expected, "{}", message());
    timeline::assert_eq(took, ms(55), &recorded, Some(&wanted), || {
        format!("merge returned after {took:?} of virtual time; the alerts closed at 55ms")
    });
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
