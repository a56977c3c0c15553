// sync3: many readers, one writer: `RwLock`
//
// A `Mutex` lets one task in at a time, whatever it does inside. When most tasks only *read*,
// and each holds the lock across `.await`s, they queue for nothing: readers cannot disturb
// each other. A read-write lock tells the two apart:
//
//     let view = lock.read().await;     // shared: any number of readers hold it together
//     let mut db = lock.write().await;  // exclusive: waits until no reader holds it
//
//     lookup 1  |== read ===============|
//     lookup 2  |== read =========|
//     batch         (waiting)           |== write ==|
//     lookup 3        (waiting, behind the batch)   |== read ==========|
//
// Tokio's `RwLock` is fair: once a writer waits, new readers queue behind it, so a stream of
// readers cannot starve a writer, and a lookup that arrives after a batch sees the batch.
// The read guard is shared (`&R` through it), the write guard gives `&mut R`.
//
// What it costs: every read still takes and releases the lock, and a read-write lock does more
// bookkeeping per acquisition than a mutex (all readers update one shared count). When each
// read is short (copy a value out, no `.await` inside), readers hardly ever overlap, so there
// is nothing to gain and the extra cost is all there is: a `std::sync::Mutex` is the better
// tool then (07_blocking), or an `Arc` snapshot that readers clone under a short lock. A
// `RwLock` pays off when reads are long, like the lookups below, which await the replica while
// they hold it, and writes are rare. And a writer still waits for every reader in progress:
// long reads mean long waits for writes.
//
// The lookups below each need one consistent view of the replica (no batch applied halfway
// through one), so they hold the lock for the whole lookup. Behind a `Mutex`, they run one at
// a time. Let them run together, and keep batches exclusive.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::RwLock;

/// A read replica of the database. (The checks bring their own.) Reads share it; a batch of
/// changes needs it to itself.
trait Replica: Send + Sync + 'static {
    /// Reads one key. Slow: it goes to the replica's disk.
    fn get(&self, key: &str) -> impl Future<Output = Option<String>> + Send;
    /// Applies a batch of changes.
    fn apply(&mut self, changes: Vec<(String, String)>) -> impl Future<Output = ()> + Send;
}

// Lookups share the replica through read guards; a batch takes a write guard, which waits for
// the lookups in progress and keeps later ones out until it is done.
type Guarded<R> = RwLock<R>;

/// Reads `keys` from one consistent view of the replica: no batch is applied halfway through.
async fn lookup<R: Replica>(db: &Guarded<R>, keys: &[&str]) -> Vec<Option<String>> {
    // A read guard, held for the whole lookup: other lookups read alongside, and a batch
    // waits until this lookup is done, so it sees one version of the data.
    let replica = db.read().await;
    let mut values = Vec::new();
    for key in keys {
        values.push(replica.get(key).await);
    }
    values
}

/// Applies a batch of changes to the replica, with no lookup in progress.
async fn apply<R: Replica>(db: &Guarded<R>, changes: Vec<(String, String)>) {
    let mut replica = db.write().await;
    replica.apply(changes).await;
}

/// A pretend replica: every read takes 10ms.
struct Memory(HashMap<String, String>);

impl Replica for Memory {
    async fn get(&self, key: &str) -> Option<String> {
        tokio::time::sleep(Duration::from_millis(10)).await;
        self.0.get(key).cloned()
    }

    async fn apply(&mut self, changes: Vec<(String, String)>) {
        tokio::time::sleep(Duration::from_millis(20)).await;
        self.0.extend(changes);
    }
}

#[tokio::main]
async fn main() {
    let data = [("eur", "1.00"), ("usd", "1.08"), ("gbp", "0.85")];
    let data = data.iter().map(|&(k, v)| (k.to_string(), v.to_string()));
    let db: Arc<Guarded<Memory>> = Arc::new(Guarded::new(Memory(data.collect())));
    let start = tokio::time::Instant::now();
    let mut requests = Vec::new();
    for keys in [vec!["eur", "usd"], vec!["gbp"], vec!["usd", "gbp", "eur"]] {
        let db = db.clone();
        requests.push(tokio::spawn(async move { lookup(&db, &keys).await }));
    }
    for request in requests {
        println!("{:?}", request.await.unwrap());
    }
    apply(&db, vec![("usd".to_string(), "1.09".to_string())]).await;
    println!("after the batch: {:?}", lookup(&db, &["usd"]).await);
    println!("took {:?}", start.elapsed());
}
