// Valid alternative: the guard is dropped by hand once the query is done; if the future is
// dropped at the await, the guard's Drop still runs.
// cancel1: cleanup that survives cancellation
//
// An async function runs in pieces, from one `.await` to the next, each time its future is
// polled. If the future is dropped while it waits at an `.await` (a timeout ran out, another
// select! branch won, the task was aborted), it is never polled again. Nothing after that
// `.await` runs: not the rest of the work, and not the cleanup at the end.
//
//     async fn run_query(..) {
//         pool.check_out();
//         do_the_query().await;     // <- dropped here, while waiting
//         pool.give_back();         //    so this line never runs: the connection leaks
//     }
//
// What does run when a future is dropped is the destructor of every local it holds. So
// cleanup that must happen "whatever way we leave" belongs in a guard: a small value whose
// `Drop` impl does the cleanup. Create it right after taking the resource; it is dropped,
// and its cleanup runs, when the function returns, when it panics, and when its future is
// dropped mid-way.
//
//     struct Guard<'a>(&'a Thing);
//     impl Drop for Guard<'_> {
//         fn drop(&mut self) { self.0.clean_up(); }
//     }
//
// `run_query` below gives its connection back at the end. Callers put timeouts around
// queries, and every query that times out leaks a connection, until the pool is empty.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::time::{sleep, timeout};

// A pretend connection pool: it counts the connections in use and the ones given back.
#[derive(Default)]
struct Pool {
    in_use: AtomicUsize,
    given_back: AtomicUsize,
}

impl Pool {
    fn check_out(&self) {
        self.in_use.fetch_add(1, Ordering::SeqCst);
    }

    fn give_back(&self) {
        self.in_use.fetch_sub(1, Ordering::SeqCst);
        self.given_back.fetch_add(1, Ordering::SeqCst);
    }
}

// Holds a checked-out connection and gives it back when dropped.
struct Connection<'a> {
    pool: &'a Pool,
}

impl<'a> Connection<'a> {
    fn check_out(pool: &'a Pool) -> Self {
        pool.check_out();
        Self { pool }
    }
}

impl Drop for Connection<'_> {
    fn drop(&mut self) {
        self.pool.give_back();
    }
}

// Runs `sql` on a connection from `pool`; the query takes `cost`. Returns the number of rows.
async fn run_query(pool: &Pool, sql: &str, cost: Duration) -> usize {
    // The guard is a local of this future: it is dropped when the function returns and also
    // when the future is dropped at the `.await` below, so the connection always goes back.
    let connection = Connection::check_out(pool);
    sleep(cost).await;
    let rows = sql.split_whitespace().count();
    drop(connection);
    rows
}

#[tokio::main]
async fn main() {
    let pool = Pool::default();
    let quick = timeout(
        Duration::from_millis(50),
        run_query(&pool, "select 1", Duration::from_millis(10)),
    );
    let slow = timeout(
        Duration::from_millis(50),
        run_query(&pool, "select * from huge", Duration::from_secs(5)),
    );
    println!("quick query: {:?}", quick.await);
    println!("slow query:  {:?}", slow.await);
    println!(
        "connections still in use: {} (should be 0)",
        pool.in_use.load(Ordering::SeqCst)
    );
}
