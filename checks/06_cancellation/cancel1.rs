// Checks for cancel1: cleanup that survives cancellation.
//
// Mistakes a learner makes on this idea, and how each is caught:
// - Cleanup written after the `.await` (as shipped): a query cut off by a timeout, by a
//   losing select! branch, or by dropping its future mid-way must still give its connection
//   back; the pool counts connections in use and given back.
// - Giving the connection back before the query (`give_back` before the await) or a guard
//   bound to `_` (dropped at once): while the query runs its connection must stay out.
// - A guard plus an explicit `give_back` at the end: given back twice; exactly one give-back
//   per query is required.
// - Hard-coding the row count: the SQL strings are not the exercise's.

use super::{Pool, run_query};

use std::sync::atomic::Ordering;
use std::time::Duration;

use asynclings_support::watchdog;
use tokio::time::{Instant, sleep, timeout};
use tokio_test::task;

const LIMIT: Duration = Duration::from_secs(10);

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn counts(pool: &Pool) -> (usize, usize) {
    (
        pool.in_use.load(Ordering::SeqCst),
        pool.given_back.load(Ordering::SeqCst),
    )
}

#[tokio::test(start_paused = true)]
async fn a_finished_query_gives_its_connection_back_once() {
    let pool = Pool::default();
    let rows: usize = watchdog(
        LIMIT,
        "run_query",
        run_query(&pool, "select name from pets where legs = 3", ms(25)),
    )
    .await;
    assert_eq!(rows, 8, "run_query returned {rows} rows; expected 8");
    let (in_use, given_back) = counts(&pool);
    assert_eq!(
        (in_use, given_back),
        (0, 1),
        "after one finished query the pool has {in_use} connection(s) in use and got \
         {given_back} back; expected 0 in use and exactly 1 given back (is it given back both \
         by a guard and by an explicit call?)"
    );
}

#[tokio::test(start_paused = true)]
async fn a_query_cut_off_by_a_timeout_gives_its_connection_back() {
    let pool = Pool::default();
    let start = Instant::now();
    let result = timeout(ms(40), run_query(&pool, "select * from logs", ms(300))).await;
    assert!(
        result.is_err(),
        "a 300ms query under a 40ms timeout gave {result:?}; expected the timeout"
    );
    let took = start.elapsed();
    let (in_use, given_back) = counts(&pool);
    assert_eq!(
        (in_use, given_back),
        (0, 1),
        "a query was cancelled by a timeout at {took:?}, and afterwards the pool has {in_use} \
         connection(s) in use and got {given_back} back; expected 0 in use and 1 given back. \
         When a future is dropped at an `.await`, the code after that `.await` never runs, \
         but the locals it holds are dropped: give the connection back in a guard's `Drop`"
    );
}

// While the query runs, its connection must stay checked out: a guard that is dropped at
// once (`let _ = ...`) or a give_back before the await would return it too early.
#[tokio::test(start_paused = true)]
async fn the_connection_is_held_for_the_whole_query() {
    let pool = Pool::default();
    let mut query = task::spawn(run_query(&pool, "delete from cache", ms(60)));
    assert!(query.poll().is_pending(), "a 60ms query finished at once");
    let (in_use, given_back) = counts(&pool);
    assert_eq!(
        (in_use, given_back),
        (1, 0),
        "while a query is running, the pool has {in_use} connection(s) in use and got \
         {given_back} back; expected 1 in use and none back yet. Is the connection given back \
         before the query is done? (`let _ = guard` drops the guard at once; `let _guard = ...` \
         keeps it until the end of the function)"
    );

    tokio::time::advance(ms(30)).await;
    drop(query);
    let (in_use, given_back) = counts(&pool);
    assert_eq!(
        (in_use, given_back),
        (0, 1),
        "a running query's future was dropped (cancelled); afterwards the pool has {in_use} \
         connection(s) in use and got {given_back} back; expected 0 in use and 1 back"
    );
}

// Twenty queries race against deadlines; some finish, some lose. No connection may leak.
#[tokio::test(start_paused = true)]
async fn no_connection_leaks_whichever_queries_lose() {
    let pool = Pool::default();
    let mut finished = 0;
    for i in 0..20u64 {
        let cost = ms(5 + (i * 37) % 90);
        let patience = ms(10 + (i * 53) % 80);
        tokio::select! {
            _ = run_query(&pool, "update stats set n = n + 1", cost) => finished += 1,
            _ = sleep(patience) => {}
        }
    }
    let (in_use, given_back) = counts(&pool);
    assert_eq!(
        (in_use, given_back),
        (0, 20),
        "after 20 queries ({finished} finished, {} cut off by a deadline) the pool has {in_use} \
         connection(s) in use and got {given_back} back; expected 0 in use and all 20 back",
        20 - finished
    );
}
