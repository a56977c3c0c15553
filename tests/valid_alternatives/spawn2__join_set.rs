// Valid alternative: the tasks in a `JoinSet`, which aborts them if lookup_all is dropped;
// each task returns its index with the name, to put the names back in order.
// spawn2: why a task must own what it uses, even when you wait for it
//
// The signature of `tokio::spawn` says what a task must be:
//
//     pub fn spawn<F>(future: F) -> JoinHandle<F::Output>
//     where F: Future + Send + 'static, F::Output: Send + 'static
//
// `'static` means the future borrows nothing that could go away before it finishes. (`Send`
// means the task may be moved to another thread; a multi-threaded runtime does that.)
//
// "But I await every handle before my function returns, so my locals outlive the tasks."
// Not necessarily. An async function can be stopped half-way: whoever polls its future may
// drop it at any `.await` (a timeout ran out, a `select!` took another branch, the client hung
// up). Its locals are dropped there and then, while the tasks it spawned go on running: a
// task is not part of the future that spawned it, and dropping a `JoinHandle` does not stop
// its task. A task that borrowed one of those locals would be left pointing at freed memory,
// so the compiler refuses every borrow, whatever the code after the spawn does.
//
//     async fn lookup_all(db: Db, ..) {          caller: timeout(5ms, lookup_all(db, ids))
//         spawn(task that uses db);  ─────────▶  task still running at 5ms...
//         handle.await;   ◀── dropped here at 5ms, and `db` with it
//     }
//
// So a task must *own* what it uses: move it in (`async move`), or, when many tasks share one
// value, give each an `Arc` clone; the value is dropped when the last owner is done, be that
// the function or a task that outlived it.
//
// `Box::leak` also gives a `&'static` reference, and the compiler is happy. It gets there by
// never freeing the value: whatever it holds (memory, a socket, a database connection) stays
// taken until the process exits. Cloning the connection is no better: each copy is another
// connection to close, and `Db` has no `Clone` for that reason.
//
// `lookup_all` below looks up every id on a task of its own, and every task borrows the
// database connection. Make it compile, and make sure the one connection is closed (dropped)
// once, when the last lookup is done, even if `lookup_all` itself is cancelled half-way.

use tokio::task::JoinSet;
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// What a server counts: connections opened, and connections closed.
#[derive(Default)]
struct Counts {
    opened: AtomicUsize,
    closed: AtomicUsize,
}

/// A pretend database server. It counts the connections opened to it and closed.
struct Server {
    rows: HashMap<u32, String>,
    counts: Arc<Counts>,
}

impl Server {
    fn new(rows: &[(u32, &str)]) -> Self {
        let rows = rows
            .iter()
            .map(|&(id, name)| (id, name.to_string()))
            .collect();
        Server {
            rows,
            counts: Arc::default(),
        }
    }

    fn connect(&self) -> Db {
        self.counts.opened.fetch_add(1, Ordering::SeqCst);
        Db {
            rows: self.rows.clone(),
            counts: Arc::clone(&self.counts),
        }
    }

    fn open_connections(&self) -> usize {
        let opened = self.counts.opened.load(Ordering::SeqCst);
        opened.saturating_sub(self.counts.closed.load(Ordering::SeqCst))
    }
}

/// A connection to the server. Dropping it closes it.
struct Db {
    rows: HashMap<u32, String>,
    counts: Arc<Counts>,
}

impl Db {
    /// Looks up one id: one round trip to the server, 20ms.
    async fn lookup(&self, id: u32) -> Option<String> {
        tokio::time::sleep(Duration::from_millis(20)).await;
        self.rows.get(&id).cloned()
    }
}

impl Drop for Db {
    fn drop(&mut self) {
        self.counts.closed.fetch_add(1, Ordering::SeqCst);
    }
}

/// Looks up every id on a task of its own, all at the same time, using the one connection
/// `db`. Returns the names in the order of `ids` (`None` for an unknown id).
async fn lookup_all(db: Db, ids: Vec<u32>) -> Vec<Option<String>> {
    let db = Arc::new(db);
    let mut tasks = JoinSet::new();
    for (i, id) in ids.iter().copied().enumerate() {
        let db = Arc::clone(&db);
        tasks.spawn(async move { (i, db.lookup(id).await) });
    }
    let mut names = vec![None; ids.len()];
    while let Some(done) = tasks.join_next().await {
        let (i, name) = done.expect("a lookup task panicked");
        names[i] = name;
    }
    names
}

#[tokio::main]
async fn main() {
    let server = Server::new(&[(1, "Ada"), (2, "Grace"), (3, "Barbara")]);
    let names = lookup_all(server.connect(), vec![3, 1, 4]).await;
    println!("{names:?}");
    println!("connections still open: {}", server.open_connections());
}
