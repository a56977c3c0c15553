// traits2: promising `Send` from a trait's futures
//
// `tokio::spawn` hands a future to the runtime, which may move it to another worker thread at
// any `.await`, so the future must be `Send`. For a concrete type the compiler simply looks:
// `Directory`'s `fetch` future holds nothing that is not `Send`, so it is `Send`.
//
// A generic function cannot look. Inside `fn fetch_all<B: Backend>(..)`, all the compiler
// knows about `B`'s `fetch` future is what the trait promises, and a plain `async fn` in a
// trait promises nothing about `Send`. (That is deliberate: traits1 had a single-threaded
// implementation that could not be `Send`.) So spawning `backend.fetch(id)` in generic code
// fails with "future cannot be sent between threads safely".
//
// The trait has to make the promise itself. `async fn fetch(..) -> T` is shorthand for
// `fn fetch(..) -> impl Future<Output = T>`, and the long form has room for one more bound:
//
//     fn fetch(&self, id: u64) -> impl Future<Output = Option<String>> + Send;
//
// Implementations can still write `async fn fetch`; the compiler then checks that each one's
// future really is `Send`. (The `trait-variant` crate writes this for you: put
// `#[trait_variant::make(Backend: Send)]` on a `trait LocalBackend` with plain `async fn`s,
// and it generates `Backend`, the `Send` variant.)
//
// `fetch_all` below spawns one task per id. Make the trait promise what it needs.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use tokio::time::sleep;

// The long form of `async fn` lets the trait promise a `Send` future. Generic code such as
// `fetch_all` may rely on the promise (and spawn the future), and each impl, still written
// as an `async fn`, is checked against it.
trait Backend {
    /// The name of the user `id`, if there is one.
    fn fetch(&self, id: u64) -> impl Future<Output = Option<String>> + Send;
}

/// A remote user directory that answers every lookup after `latency`.
struct Directory {
    names: HashMap<u64, String>,
    latency: Duration,
}

impl Directory {
    fn new(users: &[(u64, &str)], latency: Duration) -> Self {
        let names = users
            .iter()
            .map(|&(id, name)| (id, name.to_string()))
            .collect();
        Directory { names, latency }
    }
}

impl Backend for Directory {
    async fn fetch(&self, id: u64) -> Option<String> {
        sleep(self.latency).await;
        self.names.get(&id).cloned()
    }
}

/// Looks up every id at the same time, each on a task of its own, and returns the answers in
/// the order of `ids`.
async fn fetch_all<B>(backend: Arc<B>, ids: &[u64]) -> Vec<Option<String>>
where
    B: Backend + Send + Sync + 'static,
{
    let mut set = tokio::task::JoinSet::new();
    for (i, &id) in ids.iter().enumerate() {
        let backend = Arc::clone(&backend);
        set.spawn(async move { (i, backend.fetch(id).await) });
    }
    let mut names = vec![None; ids.len()];
    while let Some(done) = set.join_next().await {
        let (i, name) = done.expect("a lookup task panicked");
        names[i] = name;
    }
    names
}

#[tokio::main]
async fn main() {
    let directory = Directory::new(&[(1, "Ada"), (2, "Grace")], Duration::from_millis(80));
    let start = tokio::time::Instant::now();
    let names = fetch_all(Arc::new(directory), &[2, 1, 3]).await;
    println!("{names:?} in {:?}", start.elapsed());
}
