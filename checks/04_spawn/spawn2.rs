use super::*;

use std::time::Duration;

use asynclings_support::watchdog;
use tokio::time::{Instant, sleep};

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

#[tokio::test(start_paused = true)]
async fn names_come_back_in_the_order_of_the_ids() {
    let server = server();
    let ids = vec![40, 11, 10, 50, 40, 99, 30];
    let names = watchdog(
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
    watchdog(
        LIMIT,
        "lookup_all",
        lookup_all(server.connect(), vec![20, 30, 20]),
    )
    .await;
    let open = server.open_connections();
    assert_eq!(
        open, 0,
        "{open} connection(s) still open after lookup_all returned: the `Db` was never dropped. \
         `Box::leak` satisfies `'static` by never freeing the value; share the connection with \
         an `Arc` instead, which drops it when the last owner is done"
    );
}

#[tokio::test(start_paused = true)]
async fn every_lookup_runs_on_its_own_task_at_once() {
    let server = server();
    let ids: Vec<u32> = (1..=12).map(|i| i * 10).collect();
    let start = Instant::now();
    let (names, alive) = watchdog(LIMIT, "lookup_all", async {
        tokio::join!(lookup_all(server.connect(), ids.clone()), async {
            // Every lookup takes 20ms: a millisecond in, all their tasks should be running.
            sleep(Duration::from_millis(1)).await;
            tokio::runtime::Handle::current()
                .metrics()
                .num_alive_tasks()
        })
    })
    .await;
    let took = start.elapsed();
    assert_eq!(names.len(), ids.len());
    assert_eq!(
        took,
        Duration::from_millis(20),
        "lookup_all of {} ids took {took:?} of virtual time; the 20ms lookups run side by side \
         take 20ms: are the tasks awaited one by one as soon as each is spawned?",
        ids.len()
    );
    assert_eq!(
        alive,
        ids.len(),
        "while lookup_all looked up {} ids, {alive} tasks were alive; expected one task per id: \
         the lookups should run on spawned tasks",
        ids.len()
    );
}
