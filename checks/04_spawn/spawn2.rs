// Checks for spawn2: a task must own what it uses (`'static`), even when every handle is
// awaited, because the spawning function can be cancelled half-way.
//
// Mistakes a learner makes here, and how each is caught:
// - the tasks still borrow `db`: does not compile.
// - `Box::leak` (or `mem::forget`) to get a `&'static Db` (leaking to satisfy `'static`): the
//   server counts connections opened and closed; the one connection must be closed.
// - `#[derive(Clone)]` on `Db` and a copy per task: each copy closes "the" connection when
//   dropped, so the server sees more closes than opens; the message says so (a copy is not a
//   shared connection).
// - a connection per task (`server.connect()` is not available to lookup_all, so: rows copied
//   out of `db`): the names still come back, but through the one connection only; copying is
//   fine so long as that connection is closed once.
// - the tasks awaited one by one as soon as each is spawned, or no tasks at all: the lookups
//   are timed (one round trip in all) and the tasks alive are counted a millisecond in.
// - the connection kept until the process ends when lookup_all is cancelled half-way: a
//   check drops lookup_all's future at 5ms and requires the connection closed once the
//   lookups are over (by the last task to finish, or at once if the tasks were aborted).
// - names out of order, or made up: ids the exercise does not show, in the order given.

use super::{Server, lookup_all};

use std::sync::atomic::Ordering;
use std::time::Duration;

use asynclings_support::timeline::{self, Timeline};
use asynclings_support::watchdog;
use tokio::time::{Instant, sleep, timeout};

const LIMIT: Duration = Duration::from_secs(10);

fn server() -> Server {
    Server::new(&[
        (10, "Hedy"),
        (20, "Katherine"),
        (30, "Margaret"),
        (40, "Radia"),
        (50, "Frances"),
    ])
}

fn opened_and_closed(server: &Server) -> (usize, usize) {
    (
        server.counts.opened.load(Ordering::SeqCst),
        server.counts.closed.load(Ordering::SeqCst),
    )
}

fn assert_closed_once(server: &Server, when: &str) {
    let (opened, closed) = opened_and_closed(server);
    assert_eq!(
        opened, 1,
        "the server saw {opened} connections opened, not 1"
    );
    assert!(
        closed != 0,
        "{when}, the connection is still open: the `Db` was never dropped. `Box::leak` (or \
         `mem::forget`) satisfies `'static` by never freeing the value; share the connection \
         with an `Arc` instead, which drops it when the last owner is done"
    );
    assert_eq!(
        closed, 1,
        "{when}, the server saw the one connection closed {closed} times: the `Db` was copied \
         (a derived `Clone` copies the connection without opening one, and every copy closes it \
         when dropped). Share the one connection with an `Arc`: clones of the `Arc` are \
         handles to the same `Db`, which is dropped once"
    );
}

#[tokio::test(start_paused = true)]
async fn names_come_back_in_the_order_of_the_ids() {
    let server = server();
    let ids = vec![40, 11, 10, 50, 40, 99, 30];
    let names: Vec<Option<String>> = watchdog(
        LIMIT,
        "lookup_all",
        lookup_all(server.connect(), ids.clone()),
    )
    .await;
    let expected: Vec<Option<String>> = [
        Some("Radia"),
        None,
        Some("Hedy"),
        Some("Frances"),
        Some("Radia"),
        None,
        Some("Margaret"),
    ]
    .iter()
    .map(|n| n.map(String::from))
    .collect();
    assert_eq!(
        names, expected,
        "lookup_all({ids:?}) returned {names:?}, expected {expected:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn the_connection_is_closed_afterwards() {
    let server = server();
    let _: Vec<Option<String>> = watchdog(
        LIMIT,
        "lookup_all",
        lookup_all(server.connect(), vec![20, 30, 20]),
    )
    .await;
    assert_closed_once(&server, "after lookup_all returned");
}

#[tokio::test(start_paused = true)]
async fn a_cancelled_lookup_all_still_closes_the_connection() {
    let server = server();
    // The caller gives up after 5ms, while the 20ms lookups are under way: lookup_all's future
    // is dropped at its `.await`, with its locals. Its tasks may run on (or have been aborted).
    let cut_short = timeout(
        Duration::from_millis(5),
        lookup_all(server.connect(), vec![10, 20, 30, 40]),
    )
    .await;
    assert!(
        cut_short.is_err(),
        "lookup_all of four 20ms lookups finished within 5ms; they should take 20ms"
    );
    sleep(Duration::from_millis(100)).await;
    assert_closed_once(
        &server,
        "when lookup_all was cancelled half-way and its lookups were long over",
    );
}

#[tokio::test(start_paused = true)]
async fn every_lookup_runs_on_its_own_task_at_once() {
    let server = server();
    let ids: Vec<u32> = (1..=12).map(|i| i * 10).collect();
    let start = Instant::now();
    // The tasks alive after each poll of lookup_all: each lookup takes 20ms on its task.
    let recorded = Timeline::new();
    let mut last = None;
    let looked = timeline::observe(lookup_all(server.connect(), ids.clone()), || {
        let alive = tokio::runtime::Handle::current()
            .metrics()
            .num_alive_tasks();
        if last != Some(alive) {
            recorded.count_at("tasks", None, recorded.now(), alive);
            last = Some(alive);
        }
    });
    let (names, alive) = watchdog(LIMIT, "lookup_all", async {
        tokio::join!(looked, async {
            // Every lookup takes 20ms: a millisecond in, all their tasks should be running.
            sleep(Duration::from_millis(1)).await;
            tokio::runtime::Handle::current()
                .metrics()
                .num_alive_tasks()
        })
    })
    .await;
    let names: Vec<Option<String>> = names;
    let took = start.elapsed();
    assert_eq!(names.len(), ids.len());
    recorded.end_at(took);
    let expected = Timeline::new();
    expected.count_at("tasks", None, Duration::ZERO, ids.len());
    expected.count_at("tasks", None, Duration::from_millis(20), 0);
    expected.end_at(Duration::from_millis(20));
    timeline::assert_eq(
        took,
        Duration::from_millis(20),
        &recorded,
        Some(&expected),
        || {
            format!(
                "lookup_all of {} ids took {took:?} of virtual time; the 20ms lookups run side \
                 by side take 20ms: are the tasks awaited one by one as soon as each is spawned?",
                ids.len()
            )
        },
    );
    assert_eq!(
        alive,
        ids.len(),
        "while lookup_all looked up {} ids, {alive} tasks were alive; expected one task per id: \
         the lookups should run on spawned tasks",
        ids.len()
    );
}
