// expect: `Box::leak` satisfies `'static` by never freeing the value
// spawn2: what `tokio::spawn` asks of a future: 'static
//
// The signature of `tokio::spawn` says what a task must be:
//
//     pub fn spawn<F>(future: F) -> JoinHandle<F::Output>
//     where F: Future + Send + 'static, F::Output: Send + 'static
//
// `'static` means the future borrows nothing that could go away before it finishes. The
// runtime gives no promise about when a task ends: it may run long after the function that
// spawned it has returned, so it may not point into that function's locals. (`Send` means the
// task may be moved to another thread; a multi-threaded runtime does that.)
//
// So a task must *own* what it uses. When one task needs a value, move it in (`async move`).
// When many tasks need the same value, give each an `Arc` of it: the value lives as long as
// any task still holds a clone, and is dropped when the last one is done.
//
// `Box::leak` also turns a value into a `&'static` reference, and the compiler is happy. It
// gets there by never freeing the value at all: whatever it holds (memory, a socket, a
// database connection) stays taken until the process exits.
//
// `lookup_all` below looks up every id on a task of its own, and every task borrows the
// database connection. Make it compile, and make sure the connection is closed (dropped) once
// the lookups are done.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// A pretend database server. It counts the connections that are open to it.
struct Server {
    rows: HashMap<u32, String>,
    open: Arc<AtomicUsize>,
}

impl Server {
    fn new(rows: &[(u32, &str)]) -> Self {
        let rows = rows
            .iter()
            .map(|&(id, name)| (id, name.to_string()))
            .collect();
        Server {
            rows,
            open: Arc::default(),
        }
    }

    fn connect(&self) -> Db {
        self.open.fetch_add(1, Ordering::SeqCst);
        Db {
            rows: self.rows.clone(),
            open: Arc::clone(&self.open),
        }
    }

    fn open_connections(&self) -> usize {
        self.open.load(Ordering::SeqCst)
    }
}

/// A connection to the server. Dropping it closes it.
struct Db {
    rows: HashMap<u32, String>,
    open: Arc<AtomicUsize>,
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
        self.open.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Looks up every id on a task of its own, all at the same time, using the one connection
/// `db`. Returns the names in the order of `ids` (`None` for an unknown id).
async fn lookup_all(db: Db, ids: Vec<u32>) -> Vec<Option<String>> {
    let db: &'static Db = Box::leak(Box::new(db));
    let mut tasks = Vec::new();
    for id in ids {
        // TODO: this task borrows `db`, a local of `lookup_all`, but a task must not borrow
        // anything that might go away before it ends. Share the connection instead.
        tasks.push(tokio::spawn(async move { db.lookup(id).await }));
    }
    let mut names = Vec::new();
    for task in tasks {
        names.push(task.await.expect("a lookup task panicked"));
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
