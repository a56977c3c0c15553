use super::*;

use std::sync::Arc;
use std::time::Duration;

use tokio::time::{Instant, sleep};

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn flushed(store: &Store) -> Vec<u32> {
    store.flushed.lock().unwrap().clone()
}

async fn shut_down(server: Server) -> Duration {
    let asked = Instant::now();
    tokio::time::timeout(Duration::from_secs(10), server.shutdown())
        .await
        .unwrap_or_else(|_| {
            panic!(
                "Server::shutdown had not returned 10s of virtual time after it was called, \
                 although no request takes that long. `TaskTracker::wait` is ready only once the \
                 tracker is closed and empty: call `close()` before `wait()`"
            )
        });
    asked.elapsed()
}

#[tokio::test(start_paused = true)]
async fn shutdown_waits_for_every_request_in_flight() {
    let store = Arc::new(Store::default());
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
    let took = shut_down(server).await;
    let got = flushed(&store);
    assert_eq!(
        got,
        [2, 5, 4, 1, 3, 6],
        "shutdown, called at 100ms, returned after {took:?} of virtual time, and by then the \
         store had {got:?}; expected all six requests, the last one (request 6) at 450ms. \
         Requests still in flight when shutdown returns are lost when the runtime stops: keep \
         the tasks in a TaskTracker, and in shutdown `close()` it and `wait()` for it"
    );
    assert_eq!(
        took,
        ms(350),
        "shutdown, called at 100ms, returned after {took:?} of virtual time; it should return as \
         soon as the last request in flight is flushed, at 450ms, that is after 350ms"
    );
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
    let server = Server::new(store.clone());
    for (id, work) in [(31, 20), (32, 35)] {
        server.accept(Request { id, work: ms(work) });
    }
    sleep(ms(90)).await;
    let took = shut_down(server).await;
    assert_eq!(
        (flushed(&store), took),
        (vec![31, 32], Duration::ZERO),
        "with every request done before shutdown was called, shutdown took {took:?} of virtual \
         time and the store had {:?}; expected [31, 32] and no waiting at all. Does shutdown wait \
         a fixed time instead of waiting for the tasks?",
        flushed(&store)
    );
}

#[tokio::test(start_paused = true)]
async fn shutdown_of_an_idle_server_returns_at_once() {
    let store = Arc::new(Store::default());
    let server = Server::new(store.clone());
    let took = shut_down(server).await;
    assert_eq!(
        took,
        Duration::ZERO,
        "shutdown of a server that never accepted a request took {took:?} of virtual time; \
         expected no waiting at all"
    );
}

#[tokio::test(start_paused = true)]
async fn a_request_accepted_right_before_shutdown_is_flushed() {
    let store = Arc::new(Store::default());
    let server = Server::new(store.clone());
    server.accept(Request {
        id: 77,
        work: ms(260),
    });
    let took = shut_down(server).await;
    assert_eq!(
        (flushed(&store), took),
        (vec![77], ms(260)),
        "a 260ms request was accepted just before shutdown; shutdown returned after {took:?} of \
         virtual time with the store holding {:?}; expected it to wait the 260ms for request 77",
        flushed(&store)
    );
}
