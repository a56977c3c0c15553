// Checks for cancel6: finish what you started before you shut down.
//
// Mistakes a learner makes on this idea, and how each is caught:
// - Returning at once (as shipped), or closing the tracker without waiting: requests in
//   flight are not in the store when shutdown returns.
// - `wait()` without `close()`: never ready; the 10s watchdog names the missing close.
// - Sleeping a fixed time instead of waiting for the tasks: too long when nothing is in
//   flight, too short for a long request.
// - Polling the tracker (`len()`/`is_empty()` and a 1ms sleep) instead of being woken:
//   tokio's timers have millisecond resolution, so the poller can land on the right
//   millisecond; the checks count how often shutdown is polled.
// - Spinning on `is_empty()` with `yield_now`: the paused clock freezes; a real-time alarm
//   names the busy loop.
// - Tasks left alive after shutdown returned: the runtime's alive-task count.
// - Hard-coding: request ids and work times are the checks' own.

use super::{Request, Server, Store};

use std::cell::Cell;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use asynclings_support::timeline::{self, Timeline};
use tokio::time::{Instant, sleep};

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn flushed(store: &Store) -> Vec<u32> {
    let flushed: Vec<u32> = store.flushed.lock().unwrap().clone();
    flushed
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

/// Ready after `after` of real (wall-clock) time, measured on a thread of its own.
async fn real_time_alarm(after: Duration) {
    let (tx, rx) = tokio::sync::oneshot::channel();
    std::thread::spawn(move || {
        std::thread::sleep(after);
        let _ = tx.send(());
    });
    let _ = rx.await;
}

/// Shuts `server` down, recording on `recorded` the shutdown and each request flushed to
/// `store` while it ran (looked at after each poll of `shutdown`).
async fn shut_down(server: Server, store: &Store, recorded: &Timeline) -> Duration {
    let asked = Instant::now();
    let polls = Cell::new(0);
    let called_at = recorded.now();
    recorded.declare_instants("flushed");
    let mut seen = flushed(store).len();
    let observed = timeline::observe(server.shutdown(), || {
        let now = flushed(store).len();
        for _ in seen..now {
            recorded.instant("flushed");
        }
        seen = now;
    });
    let shutdown = tokio::time::timeout(Duration::from_secs(10), counted(observed, &polls));
    tokio::select! {
        biased;
        done = shutdown => done.unwrap_or_else(|_| {
            panic!(
                "Server::shutdown had not returned 10s of virtual time after it was called, \
                 although no request takes that long: it waits for something that never \
                 happens. `TaskTracker::wait` is ready only once the tracker is closed and \
                 empty: call `close()` before `wait()`"
            )
        }),
        () = real_time_alarm(Duration::from_secs(2)) => panic!(
            "Server::shutdown did not return in 2s of real time, and the virtual clock stopped \
             moving: under the paused test clock, time moves only when every task is waiting. \
             A shutdown that spins (checking `is_empty()` or `len()` and calling `yield_now`) \
             is always ready, so the requests' sleeps never end. Wait with \
             `tracker.close(); tracker.wait().await`, which wakes shutdown when the last task \
             ends"
        ),
    }
    let took = asked.elapsed();
    recorded.span_at("shutdown", called_at, called_at + took);
    recorded.end_at(called_at + took);
    let polls = polls.get();
    assert!(
        polls <= 12,
        "Server::shutdown was polled {polls} times in {took:?} of virtual time; waiting for the \
         tracker is one poll at the start and one when the last task ends (a few more for handles \
         awaited one by one). Is it checking the \
         tracker now and then (a short sleep in a loop) instead of waiting to be woken by \
         `tracker.wait()`?"
    );
    took
}

#[tokio::test(start_paused = true)]
async fn shutdown_waits_for_every_request_in_flight() {
    let store = Arc::new(Store::default());
    let recorded = Timeline::new();
    let server = Server::new(store.clone());
    for (id, work) in [(1, 120), (2, 40), (3, 300), (4, 75)] {
        server.accept(Request { id, work: ms(work) });
    }
    sleep(ms(50)).await;
    for (id, work) in [(5, 10), (6, 400)] {
        server.accept(Request { id, work: ms(work) });
    }
    sleep(ms(50)).await;

    // At 100ms requests 1, 3 and 6 are still in flight; the last ends at 450ms.
    let took = shut_down(server, &store, &recorded).await;
    let got = flushed(&store);
    // Requests 1, 3 and 6 flushed at 120, 300 and 450ms, and shutdown done with the last.
    let expected = Timeline::new();
    for at in [120, 300, 450] {
        expected.instant_at("flushed", ms(at));
    }
    expected.span_at("shutdown", ms(100), ms(450));
    timeline::assert_eq(
        got.clone(),
        vec![2, 5, 4, 1, 3, 6],
        &recorded,
        Some(&expected),
        || {
            format!(
                "shutdown, called at 100ms, returned after {took:?} of virtual time, and by then \
                 the store had {got:?}; expected all six requests, the last one (request 6) at \
                 450ms. Requests still in flight when shutdown returns are lost when the runtime \
                 stops: keep the tasks in a TaskTracker, and in shutdown `close()` it and \
                 `wait()` for it"
            )
        },
    );
    timeline::assert_eq(took, ms(350), &recorded, Some(&expected), || {
        format!(
            "shutdown, called at 100ms, returned after {took:?} of virtual time; it should \
             return as soon as the last request in flight is flushed, at 450ms, that is after \
             350ms"
        )
    });
    let alive = tokio::runtime::Handle::current()
        .metrics()
        .num_alive_tasks();
    assert_eq!(
        alive, 0,
        "after shutdown returned, {alive} task(s) are still alive"
    );
}

#[tokio::test(start_paused = true)]
async fn shutdown_with_nothing_in_flight_returns_at_once() {
    let store = Arc::new(Store::default());
    let recorded = Timeline::new();
    let server = Server::new(store.clone());
    for (id, work) in [(31, 20), (32, 35)] {
        server.accept(Request { id, work: ms(work) });
    }
    sleep(ms(90)).await;
    let took = shut_down(server, &store, &recorded).await;
    assert_eq!(
        (flushed(&store), took),
        (vec![31, 32], Duration::ZERO),
        "with every request done before shutdown was called, shutdown took {took:?} of virtual \
         time and the store had {:?}; expected [31, 32] and no waiting at all. Does shutdown wait \
         a fixed time instead of waiting for the tasks still running (here none is)?",
        flushed(&store)
    );
}

#[tokio::test(start_paused = true)]
async fn shutdown_of_an_idle_server_returns_at_once() {
    let store = Arc::new(Store::default());
    let recorded = Timeline::new();
    let server = Server::new(store.clone());
    let took = shut_down(server, &store, &recorded).await;
    assert_eq!(
        took,
        Duration::ZERO,
        "shutdown of a server that never accepted a request took {took:?} of virtual time; \
         expected no waiting at all. Does shutdown wait a fixed time instead of waiting for the \
         tasks still running (here none is)?"
    );
}

#[tokio::test(start_paused = true)]
async fn a_request_accepted_right_before_shutdown_is_flushed() {
    let store = Arc::new(Store::default());
    let recorded = Timeline::new();
    let server = Server::new(store.clone());
    server.accept(Request {
        id: 77,
        work: ms(260),
    });
    let took = shut_down(server, &store, &recorded).await;
    assert_eq!(
        (flushed(&store), took),
        (vec![77], ms(260)),
        "a 260ms request was accepted just before shutdown; shutdown returned after {took:?} of \
         virtual time with the store holding {:?}; expected it to wait the 260ms for request 77",
        flushed(&store)
    );
}
