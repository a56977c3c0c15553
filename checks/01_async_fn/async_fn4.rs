// Checks for async_fn4: `fn -> impl Future<Output = T> + 'static`, a future that owns its data.
//
// Mistakes a learner makes here, and how each is caught:
// - the future still borrows `db` (an `async fn`, or the long form without `'static`/`use<>`,
//   or a clone made inside the `async move` block): the block below, which drops the handle
//   before the future runs, fails to compile; the comment there says why.
// - `fetch_name` changed to take the handle by value (the callers' code changes): does not
//   compile against the calls here, which are those of the exercise.
// - `Box::leak` of a clone to get a `&'static UserDb` (leaking to satisfy `'static`): the
//   leaked clone is never given back, so the map's `Arc` keeps an extra owner; the checks
//   count the owners after every lookup is done, and after a lookup dropped unpolled.
// - the map copied, or the user looked up, at the call (eager work where the lesson is that
//   the future does the work when it runs): a user added after the call is not found.
// - the answer not fetched through the pretend database (bypassing the round trip): each
//   lookup takes exactly 30ms of virtual time.

use super::{UserDb, fetch_name};

use std::sync::Arc;
use std::time::Duration;

use asynclings_support::watchdog;
use tokio::time::Instant;

const LIMIT: Duration = Duration::from_secs(10);

// Compiles only for a future that owns everything it uses (`'static`). If the call below fails
// to compile, fetch_name's future still borrows `db`: did you write `+ 'static` (or
// `+ use<>`) on the returned `impl Future`, and clone the handle *before* the `async move`
// block, so that the block owns the clone?
fn assert_owns_its_data<F: Future + 'static>(future: F) -> F {
    future
}

/// How many owners the database's map has (the check's own handle is one).
fn owners(db: &UserDb) -> usize {
    Arc::strong_count(&db.users)
}

#[tokio::test(start_paused = true)]
async fn the_future_outlives_the_handle_it_was_made_from() {
    let db = UserDb::default();
    db.insert(404, "Barbara");
    let lookup = {
        let handle = db.clone();
        // `handle` is dropped at the end of this block while the future lives on. If this
        // fails with "`handle` does not live long enough", fetch_name's future still borrows
        // its `db` argument: return `impl Future<..> + 'static` from a plain `fn`, and move a
        // clone of the handle into the future.
        assert_owns_its_data(fetch_name(&handle, 404))
    };
    let start = Instant::now();
    let name: Option<String> = watchdog(LIMIT, "fetch_name(&db, 404)", lookup).await;
    let took = start.elapsed();
    assert_eq!(
        name.as_deref(),
        Some("Barbara"),
        "fetch_name(&db, 404) gave {name:?} for a user named Barbara"
    );
    assert_eq!(
        took,
        Duration::from_millis(30),
        "the lookup took {took:?} of virtual time; one round trip to the database takes 30ms. \
         Keep the body of fetch_name as it was, inside the `async move` block"
    );
    let n = owners(&db);
    assert_eq!(
        n, 1,
        "after the lookup was done, the database's map still has {n} owners, though only the \
         check's own handle is left: a handle was never given back. `Box::leak` (or \
         `std::mem::forget`) gets a `'static` borrow by never freeing the clone; move the clone \
         into the future instead, and it is dropped when the future is done"
    );
}

#[tokio::test(start_paused = true)]
async fn lookups_made_early_are_awaited_later() {
    let db = UserDb::default();
    db.insert(17, "Margaret");
    db.insert(23, "Radia");
    let lookups = {
        let handle = db.clone();
        [23, 17, 5].map(|id| assert_owns_its_data(fetch_name(&handle, id)))
    };
    let names: Vec<Option<String>> = watchdog(LIMIT, "three lookups", async {
        let mut names = Vec::new();
        for lookup in lookups {
            names.push(lookup.await);
        }
        names
    })
    .await;
    let expected = vec![
        Some("Radia".to_string()),
        Some("Margaret".to_string()),
        None,
    ];
    assert_eq!(
        names, expected,
        "lookups of ids 23, 17, 5 gave {names:?}; expected {expected:?}. The rewrite should \
         change only the signature, not what a lookup returns"
    );
    let n = owners(&db);
    assert_eq!(
        n, 1,
        "after three lookups were done, the database's map has {n} owners instead of 1: each \
         lookup's clone of the handle should be dropped with its future, not leaked"
    );
}

#[tokio::test(start_paused = true)]
async fn a_lookup_dropped_unpolled_gives_its_handle_back() {
    let db = UserDb::default();
    let lookup = fetch_name(&db, 8);
    drop(lookup);
    let n = owners(&db);
    assert_eq!(
        n, 1,
        "a lookup that was made and dropped without being awaited left the database's map with \
         {n} owners instead of 1: the future should own the clone it was given, so that \
         dropping the future drops the clone"
    );
}

#[tokio::test(start_paused = true)]
async fn the_lookup_happens_when_the_future_runs() {
    let db = UserDb::default();
    let lookup = fetch_name(&db, 61);
    // Added after the call but before the future is polled: the future must see it.
    db.insert(61, "Frances");
    let name: Option<String> = watchdog(LIMIT, "fetch_name(&db, 61)", lookup).await;
    assert_eq!(
        name.as_deref(),
        Some("Frances"),
        "a user added after fetch_name(&db, 61) was called, but before its future ran, was \
         not found (got {name:?}). The code before `async move` runs at the call: clone only \
         the handle there (it shares the map); copying the map, or looking the user up there, \
         sees the data as it was at the call"
    );
}
