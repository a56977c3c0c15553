// Checks for spawn3: a panicking task becomes an `Err(JoinError)`; the others' results stay.
//
// Mistakes a learner makes here, and how each is caught:
// - `.unwrap()` kept (one panic takes down decode_all): decode_all runs on a task of its own
//   and its panic is reported as such.
// - stopping at the first failed task (`break`, `?`): every frame must have a value or `None`.
// - a made-up value (0, `u32::MAX`) for a frame that panicked: it must be `None`.
// - the decoder's rules copied into a check before decoding, so no task ever panics: the
//   checks hand in a decoder of their own, which refuses frames the exercise's decoder
//   accepts; only what the tasks report can tell which ones failed.
// - the decoding done in decode_all itself under `catch_unwind` (no tasks): the checks'
//   decoder records the task it runs on; every frame must be decoded once, on a spawned task
//   of its own.
// - frames decoded one after another: all frames are decoded side by side, in 5ms.
// - the `JoinError` of a cancelled task treated like a panic: not reachable here (nothing
//   cancels the tasks), so either handling passes.

use super::decode_all;

use std::cell::RefCell;
use std::collections::HashSet;
use std::time::Duration;

use asynclings_support::watchdog;
use tokio::task::Id;
use tokio::time::Instant;

const LIMIT: Duration = Duration::from_secs(10);

thread_local! {
    // Where each call of the checks' decoder ran: the task's id, or `None` outside a task.
    // The checks run on a current-thread runtime, so every task runs on this thread.
    static CALLS: RefCell<Vec<Option<Id>>> = const { RefCell::new(Vec::new()) };
}

/// The checks' decoder: hexadecimal after "0x", like the exercise's, but a stricter version
/// that also refuses values that are multiples of 13 and frames in upper case.
fn strict_decode(frame: &str) -> u32 {
    CALLS.with(|calls| calls.borrow_mut().push(tokio::task::try_id()));
    let digits = frame
        .strip_prefix("0x")
        .expect("corrupt frame: no 0x prefix");
    assert!(
        !digits.chars().any(|c| c.is_ascii_uppercase()),
        "corrupt frame: upper case"
    );
    let value = u32::from_str_radix(digits, 16).expect("corrupt frame: not hexadecimal");
    assert!(value % 13 != 0, "corrupt frame: bad checksum");
    value
}

/// Runs `decode_all` on a task of its own, so that a panic of `decode_all` itself is reported
/// with a message.
async fn run(frames: &[&str]) -> (Vec<Option<u32>>, Duration) {
    CALLS.with(|calls| calls.borrow_mut().clear());
    let frames: Vec<String> = frames.iter().map(|f| f.to_string()).collect();
    let start = Instant::now();
    let task = tokio::spawn(decode_all(frames, strict_decode));
    match watchdog(LIMIT, "decode_all", task).await {
        Ok(values) => {
            let values: Vec<Option<u32>> = values;
            (values, start.elapsed())
        }
        Err(err) if err.is_panic() => panic!(
            "decode_all itself panicked when one frame's task panicked: awaiting that task's \
             JoinHandle gives `Err(JoinError)` (with `is_panic()`), and `.unwrap()` on it turns \
             the task's panic into a panic of the caller. Turn it into `None` instead. (Checking the \
             frames yourself before decoding cannot help: you cannot know everything the \
             decoder refuses.)"
        ),
        Err(err) => panic!("the decode_all task failed: {err}"),
    }
}

fn assert_values(frames: &[&str], got: &[Option<u32>], expected: &[Option<u32>]) {
    if got.len() < expected.len() {
        panic!(
            "decode_all of {} frames returned only {} values ({got:?}): keep going after a \
             failed task; its value is `None` and the later frames still count",
            expected.len(),
            got.len()
        );
    }
    assert_eq!(
        got, expected,
        "decode_all({frames:?}) returned {got:?}, expected {expected:?}: a frame whose task \
         panicked gives `None` (not a made-up value), the others their decoded values, in \
         order. Which frames make the decoder panic is the decoder's business: the decoder \
         here is stricter than the exercise's, so only the tasks' results can tell"
    );
    let calls: Vec<Option<Id>> = CALLS.with(|calls| calls.borrow().clone());
    assert_eq!(
        calls.len(),
        frames.len(),
        "the decoder was called {} times for {} frames: decode each frame exactly once, on its \
         task (checking a frame by decoding it first is decoding it twice)",
        calls.len(),
        frames.len()
    );
    assert!(
        calls.iter().all(Option::is_some),
        "the decoder ran outside any task: each frame should be decoded on a spawned task of \
         its own, where the runtime catches the decoder's panic and hands it to the JoinHandle \
         (catching it yourself with `catch_unwind` skips the lesson)"
    );
    let distinct: HashSet<Id> = calls.iter().flatten().copied().collect();
    assert_eq!(
        distinct.len(),
        frames.len(),
        "the {} frames were decoded on {} different tasks: one task per frame, so that the \
         runtime catches each panic at the edge of its own task (a `catch_unwind` of your own \
         inside one task skips the lesson)",
        frames.len(),
        distinct.len()
    );
}

#[tokio::test(start_paused = true)]
async fn a_corrupt_frame_costs_only_its_own_value() {
    let frames = ["0xff", "0x1g", "0x1a", "beef", "0xc0ffee", "0x0"];
    let (values, took) = run(&frames).await;
    assert_values(
        &frames,
        &values,
        &[Some(255), None, None, None, Some(0xc0ffee), None],
    );
    assert_eq!(
        took,
        Duration::from_millis(5),
        "the frames should be decoded side by side, in 5ms; it took {took:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn a_corrupt_first_frame_does_not_stop_the_rest() {
    let frames = ["0xA", "0x7", "0x10"];
    let (values, _) = run(&frames).await;
    assert_values(&frames, &values, &[None, Some(7), Some(16)]);
}

#[tokio::test(start_paused = true)]
async fn good_frames_all_decode() {
    let frames = ["0x1", "0x22", "0x334"];
    let (values, _) = run(&frames).await;
    assert_values(&frames, &values, &[Some(1), Some(0x22), Some(0x334)]);
}

#[tokio::test(start_paused = true)]
async fn every_frame_corrupt() {
    let frames = ["x", "0x", "0xg", "0x4e"];
    let (values, _) = run(&frames).await;
    assert_values(&frames, &values, &[None, None, None, None]);
}
