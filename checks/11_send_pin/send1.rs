// Mistakes learners make on "what a future keeps across an .await", and how each is caught:
// - the Document alive across the `.await` (the shipped code), or `drop(doc)` after a method
//   call on it (rustc still counts it as held to the end of its scope): does not compile,
//   because the checks `tokio::spawn` the survey.
// - `unsafe impl Send` for a wrapper: the survey is paused on one thread and resumed on
//   another (as a multi-threaded runtime may do); the Document's own drop check panics.
// - `Box::leak` or `std::mem::forget` to get rid of the Document: the parser's count of live
//   documents on this thread must be back to 0 after the survey.
// - parsing somewhere else (a `std::thread` and a blocking `join()`, `spawn_blocking`): the
//   parser's count of documents parsed on the task's thread must equal the pages fetched.
// - hard-coding: the site and paths are not the exercise's.

use super::{ALIVE, PARSED, Site, survey};

use std::collections::BTreeMap;
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use asynclings_support::watchdog;

const LIMIT: Duration = Duration::from_secs(10);

fn site() -> Arc<Site> {
    Arc::new(Site {
        pages: vec![
            ("/start", "three short words /news /team /missing"),
            ("/news", "nothing happened today at all /start"),
            ("/team", "ada and bob"),
        ],
    })
}

fn expected() -> BTreeMap<String, usize> {
    [("/start", 3), ("/news", 5), ("/team", 3), ("/missing", 0)]
        .into_iter()
        .map(|(p, n)| (p.to_string(), n))
        .collect()
}

/// The parser's counts on this thread: documents parsed, documents still alive.
fn parser_counts() -> (usize, usize) {
    let parsed: usize = PARSED.get();
    let alive: usize = ALIVE.get();
    (parsed, alive)
}

/// Checks the parser's counts on this thread since `before`: `pages` documents parsed here,
/// none of them still alive.
fn assert_parsed_here(before: (usize, usize), pages: usize) {
    let (parsed, alive) = parser_counts();
    let parsed = parsed.wrapping_sub(before.0);
    let alive = alive.wrapping_sub(before.1);
    assert!(
        parsed == pages,
        "the survey fetched {pages} pages, but {parsed} were parsed on the thread that runs the \
         survey task. Was the parsing moved to another thread (a `std::thread` and `join()`, \
         which blocks the runtime's thread while it waits, or `spawn_blocking`)? The parser \
         keeps a cache per thread: parse on the task, and let the Document go before the \
         `.await`"
    );
    assert!(
        alive == 0,
        "after the survey, {alive} Document(s) were still alive: never dropped. `Box::leak` and \
         `std::mem::forget` get a value out of the way by never freeing it (its `Drop` never \
         runs). Let the Document end in a block of its own, before the `.await`"
    );
}

fn assert_counts(got: &BTreeMap<String, usize>) {
    assert_eq!(
        *got,
        expected(),
        "survey of /start returned {got:?}; expected the word count of /start and of each page \
         it links to"
    );
}

#[tokio::test(start_paused = true)]
async fn survey_runs_on_a_spawned_task() {
    // This only compiles if the future of `survey` is `Send` (and `'static`).
    let before = parser_counts();
    let task = tokio::spawn(survey(site(), "/start".to_string()));
    let got: BTreeMap<String, usize> = watchdog(LIMIT, "the survey task", task)
        .await
        .expect("the survey task panicked");
    assert_counts(&got);
    assert_parsed_here(before, 4);
}

#[tokio::test(start_paused = true)]
async fn a_page_without_links() {
    let before = parser_counts();
    let task = tokio::spawn(survey(site(), "/team".to_string()));
    let got: BTreeMap<String, usize> = watchdog(LIMIT, "the survey task", task)
        .await
        .expect("the survey task panicked");
    assert_parsed_here(before, 1);
    let expected: BTreeMap<String, usize> = [("/team".to_string(), 3)].into();
    assert_eq!(got, expected, "survey of /team (no links) returned {got:?}");
}

/// A multi-threaded runtime may poll a task on one thread, and after an `.await`, resume it
/// on another. This check does that on purpose: it runs the survey on this thread until the
/// start page is parsed and a linked page is being fetched, then finishes it on another thread.
#[test]
fn the_survey_can_move_to_another_thread_between_two_awaits() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .unwrap();
    let before = parser_counts();
    let mut survey = Box::pin(survey(site(), "/start".to_string()));
    runtime.block_on(async {
        // The start page arrives at 20ms; at 30ms the first linked page is on its way.
        tokio::select! {
            _ = &mut survey => panic!("survey finished before its second fetch could have"),
            _ = tokio::time::sleep(Duration::from_millis(30)) => {}
        }
    });
    let finished = thread::scope(|scope| {
        scope
            .spawn(|| {
                let before = parser_counts();
                let got: BTreeMap<String, usize> =
                    runtime.block_on(watchdog(LIMIT, "survey", survey));
                (got, before, parser_counts())
            })
            .join()
    });
    match finished {
        Ok((got, there_before, there_after)) => {
            assert_counts(&got);
            assert_parsed_here(before, 1);
            // The other thread's counts, read there, checked here.
            let parsed = there_after.0.wrapping_sub(there_before.0);
            let alive = there_after.1.wrapping_sub(there_before.1);
            assert!(
                parsed == 3 && alive == 0,
                "resumed on another thread, the survey parsed {parsed} of the 3 linked pages \
                 there and left {alive} Document(s) alive: parse on the task, and let each \
                 Document end before the next `.await`"
            );
        }
        Err(panic) => {
            let message = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            panic!(
                "the survey was paused at an `.await` on one thread and resumed on another, as \
                 a multi-threaded runtime may do, and then it panicked: \"{message}\". The \
                 future held a Document across the `.await` and took it to the other thread. A \
                 type that is not `Send` is not `Send` for a reason: an `unsafe impl Send` \
                 silences the compiler without making the move safe. Let the Document go before \
                 the `.await` instead"
            );
        }
    }
}
