use super::*;

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
    let task = tokio::spawn(survey(site(), "/start".to_string()));
    let got = watchdog(LIMIT, "the survey task", task)
        .await
        .expect("the survey task panicked");
    assert_counts(&got);
}

#[tokio::test(start_paused = true)]
async fn a_page_without_links() {
    let task = tokio::spawn(survey(site(), "/team".to_string()));
    let got = watchdog(LIMIT, "the survey task", task)
        .await
        .expect("the survey task panicked");
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
            .spawn(|| runtime.block_on(watchdog(LIMIT, "survey", survey)))
            .join()
    });
    match finished {
        Ok(got) => assert_counts(&got),
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
