use super::*;

use std::time::Duration;

use asynclings_support::watchdog;
use tokio::time::Instant;

const LIMIT: Duration = Duration::from_secs(10);

// Compiles only for a future that owns everything it uses (`'static`) and may move between
// threads (`Send`): what `tokio::spawn` asks of a future. If the call below fails to compile,
// fetch_name's future still borrows `db`: did you write `+ Send + 'static` on the returned
// `impl Future`, and give the future its own clone of the handle?
fn assert_spawnable<F: Future + Send + 'static>(future: F) -> F {
    future
}

#[tokio::test(start_paused = true)]
async fn the_future_outlives_the_borrow_of_db() {
    let db = UserDb::default();
    db.insert(404, "Barbara");
    let lookup = {
        let borrowed = db.clone();
        // `borrowed` is dropped at the end of this block while the future lives on. If this
        // fails with "`borrowed` does not live long enough", fetch_name's future still
        // borrows its `db` argument: return `impl Future<..> + Send + 'static` from a plain
        // `fn`, and move a clone of the handle into the future.
        assert_spawnable(fetch_name(&borrowed, 404))
    };
    let name = watchdog(LIMIT, "fetch_name(&db, 404)", lookup).await;
    assert_eq!(
        name.as_deref(),
        Some("Barbara"),
        "fetch_name(&db, 404) gave {name:?} for a user named Barbara"
    );
}

#[tokio::test(start_paused = true)]
async fn spawned_lookups_give_the_same_results_and_overlap() {
    let db = UserDb::default();
    db.insert(17, "Margaret");
    db.insert(23, "Radia");

    let start = Instant::now();
    let handles: Vec<_> = [23, 17, 5]
        .into_iter()
        .map(|id| tokio::spawn(fetch_name(&db, id)))
        .collect();
    drop(db);
    let names = watchdog(LIMIT, "three spawned lookups", async {
        let mut names = Vec::new();
        for handle in handles {
            names.push(handle.await.expect("a lookup task panicked"));
        }
        names
    })
    .await;
    let took = start.elapsed();

    let expected = [
        Some("Radia".to_string()),
        Some("Margaret".to_string()),
        None,
    ];
    assert_eq!(
        names, expected,
        "spawned lookups of ids 23, 17, 5 gave {names:?}; expected {expected:?}. The rewrite \
         should change only the signature, not what a lookup returns"
    );
    assert_eq!(
        took,
        Duration::from_millis(30),
        "three spawned lookups took {took:?} of virtual time; each is one 30ms round trip and \
         they run as separate tasks, so together they take 30ms"
    );
}

#[tokio::test(start_paused = true)]
async fn the_lookup_happens_when_the_future_runs() {
    let db = UserDb::default();
    let lookup = fetch_name(&db, 61);
    // Added after the call but before the future is polled: the future must see it.
    db.insert(61, "Frances");
    let name = watchdog(LIMIT, "fetch_name(&db, 61)", lookup).await;
    assert_eq!(
        name.as_deref(),
        Some("Frances"),
        "a user added after fetch_name(&db, 61) was called, but before its future ran, was \
         not found (got {name:?}). The code before `async move` runs at the call: clone only \
         the handle there (it shares the map); copying the map, or looking the user up there, \
         sees the data as it was at the call"
    );
}
