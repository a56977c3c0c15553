// Mistakes learners make on asking an actor, and how each is caught:
// - the answer never comes back (the shipped code, or `get` returning a made-up 0): every
//   answer is 0 although the adds were real.
// - the state read directly (an `Arc<Mutex<HashMap>>` beside the actor) instead of asking:
//   a get right after an add must see it, because the actor handles commands in order.
// - no answer for a key never added to (the reply sender dropped): `get` panics on the
//   closed oneshot; the message says every question needs an answer.
// - one answer channel shared by every asker (behind a lock, or not): answers pair with
//   askers only by luck. Caught deterministically: an asker that gives up (its `get` is
//   dropped after sending the question) leaves its answer behind, and the next asker must
//   not receive it. 60 askers at once also each need their own answer.
// - `try_recv` on the answer instead of awaiting it: the answer is not there yet (0 / panic).
// - hard-coding: keys and amounts are not the exercise's.

use super::Counter;

use std::time::Duration;

use asynclings_support::watchdog;

const LIMIT: Duration = Duration::from_secs(10);

/// Asks `counter.get(key)` on a task of its own, so that a panic inside `get` becomes a
/// message that says what happened.
async fn ask(counter: &Counter, key: &str) -> u64 {
    let (counter, owned_key) = (counter.clone(), key.to_string());
    let asked = tokio::spawn(async move { counter.get(&owned_key).await });
    match watchdog(LIMIT, &format!("get({key:?})"), asked).await {
        Ok(count) => count,
        Err(err) => {
            let panic = err.into_panic();
            let message = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            panic!(
                "get({key:?}) panicked: \"{message}\". Did the actor drop the reply sender \
                 without answering? Every question needs an answer, also for a key that was \
                 never added to (0)"
            )
        }
    }
}

/// Every answer was 0 although the actor works out the real counts.
const NEVER_CAME_BACK: &str = "every answer was 0, although the actor works out the real \
    counts: the answer never comes back to the asker. Put a `oneshot::Sender<u64>` in the `Get` \
    command, answer through it in the actor, and await the matching receiver in `get`";

/// Checks a batch of answers, explaining the most likely mistake; `all_zero` says what it
/// means when every answer was 0.
fn assert_answers(got: &[(&str, u64)], expected: &[(&str, u64)], story: &str, all_zero: &str) {
    if got == expected {
        return;
    }
    let why = if got.iter().all(|&(_, n)| n == 0) {
        all_zero
    } else if got
        .iter()
        .zip(expected)
        .any(|(&(_, g), &(_, e))| g < e && g != 0)
    {
        "some answers were smaller than the adds sent before them: is the state read directly \
         instead of asking the actor? An add that has been sent may still wait in the actor's \
         queue; an answer from the actor comes after every command sent before the question"
    } else {
        "each asker should get the answer to its own question"
    };
    panic!("{story}, get returned {got:?}; expected {expected:?}: {why}");
}

#[tokio::test(start_paused = true)]
async fn every_question_gets_its_answer() {
    let counter = Counter::start();
    counter.add("lamps", 3).await;
    counter.add("chairs", 41).await;
    counter.add("lamps", 16).await;
    let mut got = Vec::new();
    for key in ["lamps", "chairs", "tables"] {
        got.push((key, ask(&counter, key).await));
    }
    assert_answers(
        &got,
        &[("lamps", 19), ("chairs", 41), ("tables", 0)],
        "after adding 3 and 16 lamps and 41 chairs",
        NEVER_CAME_BACK,
    );
}

#[tokio::test(start_paused = true)]
async fn an_answer_comes_after_the_commands_sent_before_it() {
    let counter = Counter::start();
    let mut got = Vec::new();
    for amount in [5, 0, 12, 7] {
        counter.add("bolts", amount).await;
        let count: u64 = watchdog(LIMIT, "get(\"bolts\")", counter.get("bolts")).await;
        got.push(("bolts", count));
    }
    assert_answers(
        &got,
        &[("bolts", 5), ("bolts", 5), ("bolts", 17), ("bolts", 24)],
        "adding 5, 0, 12 and 7 bolts, with a get right after each add",
        "every answer was 0. Either the answer never comes back to the asker (a `oneshot` in \
         the `Get` command carries it), or the state is read directly, without asking the \
         actor: an add that has been sent may still wait in the actor's queue, and only the \
         actor can answer after every command sent before the question",
    );
}

#[tokio::test(start_paused = true)]
async fn many_askers_at_once_each_get_their_own_answer() {
    let counter = Counter::start();
    let mut askers = Vec::new();
    for i in 1..=60u64 {
        let counter = counter.clone();
        askers.push(tokio::spawn(async move {
            let key = format!("bin{i}");
            counter.add(&key, i * 3).await;
            counter.add("all", 1).await;
            counter.add(&key, 1).await;
            let count: u64 = counter.get(&key).await;
            (i, count)
        }));
    }
    let answers = watchdog(LIMIT, "60 askers", futures::future::join_all(askers)).await;
    let mut wrong = Vec::new();
    for answer in answers {
        let (i, count) = answer.expect("an asker panicked: did it get an answer?");
        if count != i * 3 + 1 {
            wrong.push(format!("bin{i} got {count}, expected {}", i * 3 + 1));
        }
    }
    if !wrong.is_empty() {
        let zeros = wrong.iter().filter(|w| w.contains(" got 0,")).count();
        let why = if zeros == wrong.len() {
            "the answers never came back to the askers (a `oneshot` per question carries each \
             answer to its own asker)"
        } else {
            "answers went to the wrong asker, or were read before the actor had handled the adds"
        };
        panic!(
            "60 tasks each added to their own key and asked for it at the same time; {} of them \
             got a wrong answer ({}, ...): {why}",
            wrong.len(),
            wrong[0]
        );
    }
    let all: u64 = ask(&counter, "all").await;
    assert_eq!(
        all, 60,
        "60 tasks added 1 to \"all\" each, but get(\"all\") is {all}"
    );
}

#[tokio::test(start_paused = true)]
async fn an_asker_that_gives_up_leaves_no_answer_for_the_next() {
    let counter = Counter::start();
    counter.add("ropes", 8).await;
    counter.add("nails", 250).await;
    // The first asker sends its question and stops waiting before the actor has answered (as
    // a `timeout` around `get` would do). Its answer must not reach anybody else.
    {
        let asking = counter.get("ropes");
        let mut asking = tokio_test::task::spawn(asking);
        let poll = asking.poll();
        assert!(
            poll.is_pending(),
            "get(\"ropes\") finished before the actor task had a chance to run: does it read \
             the state directly instead of asking the actor?"
        );
    }
    let nails: u64 = ask(&counter, "nails").await;
    let ropes: u64 = ask(&counter, "ropes").await;
    if nails == 8 || ropes == 250 {
        panic!(
            "an asker sent get(\"ropes\") and gave up before the answer came (its future was \
             dropped). Then get(\"nails\") returned {nails} and get(\"ropes\") returned {ropes}: \
             the next asker received the answer meant for the one that gave up. One answer \
             channel shared by every asker pairs answers with questions only by luck (a lock \
             does not help). Give each question its own way back: a `oneshot::Sender` inside the \
             `Get` command"
        );
    }
    assert_eq!(
        (nails, ropes),
        (250, 8),
        "after adding 8 ropes and 250 nails, get returned {nails} nails and {ropes} ropes"
    );
}
