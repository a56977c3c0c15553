// Checks for cleanup2: clean-up that never happens.
//
// Every check runs on a paused current-thread runtime that the check builds on a thread of
// its own and drops at the end, as `main` does: whatever clean-up is still in a task then is
// dropped with the runtime, and the lock server (which outlives the runtime) shows it.
//
// Mistakes a learner makes on this idea, and how each is caught:
// - Leaving the unlock to the task spawned in `Drop` (as shipped), or `release` that just
//   drops the lease: after the runtime is gone, the server still holds the last lock.
// - `release` that unlocks but lets `Drop` spawn an unlock as well: the server counts unlocks
//   of locks not held.
// - `release` that unlocks and then `std::mem::forget`s the lease to keep `Drop` quiet: the
//   lease's reference to the server leaks (strong count).
// - Removing the spawn from `Drop` altogether: a lease dropped without `release` (here, by a
//   rebuild cancelled with a timeout) is never unlocked.
// - A `yield_now` or a short sleep at the end of `rebuild` to let the spawned unlock run: the
//   server's round trip is the checks' own (35ms, not the 20ms of `main`), so the last unlock
//   is still in flight when the runtime goes.
// - A `block_on` of the unlock inside `Drop`: the runtime's only thread blocks, and the
//   Tokio timer the unlock waits for can only fire on that thread; the real-time limit names
//   the cause.
// - Hard-coding: the report names are the checks' own.

use super::{BUILD_TIME, LockServer, rebuild};

use std::sync::Arc;
use std::time::Duration;

const ROUND_TRIP: Duration = Duration::from_millis(35);

/// Runs `check` on a paused current-thread runtime on a thread of its own, drops the runtime
/// (and every task still in it), and waits for all that with a real-time limit.
fn on_its_own_runtime<F, Fut>(check: F)
where
    F: FnOnce() -> Fut + Send + 'static,
    Fut: std::future::Future<Output = ()>,
{
    let (tx, rx) = std::sync::mpsc::channel();
    let runner = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .start_paused(true)
            .build()
            .unwrap();
        runtime.block_on(check());
        drop(runtime);
        let _ = tx.send(());
    });
    match rx.recv_timeout(Duration::from_secs(2)) {
        Ok(()) => {}
        Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
            if let Err(payload) = runner.join() {
                std::panic::resume_unwind(payload);
            }
        }
        Err(std::sync::mpsc::RecvTimeoutError::Timeout) => panic!(
            "rebuild did not return in 2s of real time, and its runtime's only thread never came \
             back to run anything else: it is blocked for good. A `block_on` inside `Drop` does \
             that: it holds the runtime's thread until the unlock is done, but the unlock waits \
             for a Tokio timer that only that thread can fire. Unlock in an async \
             `release(self)` and await it"
        ),
    }
}

/// Rebuilds `reports` on its own runtime, which is then dropped; returns the server (which
/// outlives the runtime, as a real lock server would) and what rebuild returned.
fn rebuild_then_drop_the_runtime(
    reports: &'static [&'static str],
) -> (Arc<LockServer>, Vec<String>) {
    let server = LockServer::new(ROUND_TRIP);
    let (tx, rx) = std::sync::mpsc::channel();
    let for_runtime = server.clone();
    on_its_own_runtime(move || async move {
        let built: Vec<String> = rebuild(&for_runtime, reports).await;
        let _ = tx.send(built);
    });
    let built = rx.recv().expect("rebuild returned nothing");
    (server, built)
}

fn assert_no_stray_unlocks(server: &LockServer, what: &str) {
    let stray: usize = server.stray_unlocks();
    assert_eq!(
        stray, 0,
        "{what}: the server was asked {stray} time(s) to unlock a lock that was not held. Is \
         each lock unlocked twice, once by `release` and once more by the task that `drop` \
         spawns? `drop` runs when `release(self)` ends, too: let the lease remember that it was \
         released, and have `drop` spawn the unlock only when it was not"
    );
}

fn assert_nothing_leaked(server: Arc<LockServer>, what: &str) {
    let references = Arc::strong_count(&server) - 1;
    assert_eq!(
        references, 0,
        "{what}: after everything ended, {references} reference(s) to the lock server besides \
         the checks' own were still alive: a lease was leaked. `std::mem::forget(self)` keeps \
         `drop` from running, and also leaks everything the lease holds; let the lease remember \
         that it was released instead"
    );
}

#[test]
fn no_lock_is_left_held_when_the_runtime_goes() {
    let (server, built) = rebuild_then_drop_the_runtime(&["north", "south", "east", "west"]);
    assert_eq!(
        built,
        [
            "north rebuilt",
            "south rebuilt",
            "east rebuilt",
            "west rebuilt"
        ],
        "rebuild should return one line per report, in order"
    );
    let held: Vec<String> = server.held();
    assert!(
        held.is_empty(),
        "rebuild returned, its runtime was dropped (as at the end of `main`), and the lock \
         server still holds the lock(s) on {held:?}. Their unlocks were in tasks spawned by \
         `drop` that nobody waited for: dropping a runtime drops every task that has not \
         finished, at the await where it waits. Release each lease with \
         `lease.release().await` before rebuild moves on, so that the unlock is done when \
         rebuild returns"
    );
    assert_no_stray_unlocks(&server, "four reports rebuilt");
    assert_nothing_leaked(server, "four reports rebuilt");
}

#[test]
fn every_lock_is_free_the_moment_rebuild_returns() {
    let server = LockServer::new(ROUND_TRIP);
    let for_runtime = server.clone();
    on_its_own_runtime(move || async move {
        let built: Vec<String> = rebuild(&for_runtime, &["ledger", "audit"]).await;
        assert_eq!(built, ["ledger rebuilt", "audit rebuilt"]);
        // No waiting, not even a yield: rebuild promised that the locks are free.
        let held: Vec<String> = for_runtime.held();
        assert!(
            held.is_empty(),
            "the moment rebuild returned, the server still held the lock(s) on {held:?}: the \
             unlock was still on its way, in a task that nobody waits for. Whoever runs next \
             (or a runtime shutting down) does not wait either. Await the unlock with \
             `lease.release().await`"
        );
    });
    assert_no_stray_unlocks(&server, "two reports rebuilt");
    assert_nothing_leaked(server, "two reports rebuilt");
}

#[test]
fn a_lease_dropped_without_release_is_still_unlocked() {
    let server = LockServer::new(ROUND_TRIP);
    let for_runtime = server.clone();
    on_its_own_runtime(move || async move {
        // Cancelled half-way through building the report, with the lock held.
        let patience = ROUND_TRIP + BUILD_TIME / 2;
        let outcome = tokio::time::timeout(patience, rebuild(&for_runtime, &["solo"])).await;
        assert!(
            outcome.is_err(),
            "rebuild of one report finished within {patience:?}; it should take longer (a \
             round trip of {ROUND_TRIP:?} to lock, then {BUILD_TIME:?} to build)"
        );
        // The runtime keeps running for a while: time for a safety net to work.
        tokio::time::sleep(Duration::from_secs(1)).await;
        let held: Vec<String> = for_runtime.held();
        assert!(
            held.is_empty(),
            "rebuild was cancelled (by a timeout) while it held the lock on \"solo\", and a \
             second later the server still held {held:?}: the lease was dropped without \
             `release`, and nothing unlocked it. Keep the task that `drop` spawns, as the \
             safety net for leases dropped without `release` (a cancelled future, a panic); \
             only skip it when `release` has already unlocked"
        );
    });
    assert_no_stray_unlocks(&server, "a cancelled rebuild");
    assert_nothing_leaked(server, "a cancelled rebuild");
}

#[test]
fn nothing_to_rebuild_leaves_nothing_held() {
    let (server, built) = rebuild_then_drop_the_runtime(&[]);
    assert!(
        built.is_empty(),
        "rebuild of no reports should return nothing"
    );
    let held: Vec<String> = server.held();
    assert!(held.is_empty(), "no reports, yet the server holds {held:?}");
    assert_nothing_leaked(server, "no reports");
}
