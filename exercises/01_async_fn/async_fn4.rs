// async_fn4: writing out the future an `async fn` returns
//
// `async fn` is shorthand. These two say the same thing:
//
//     async fn fetch_name(db: &UserDb, id: u32) -> Option<String> { BODY }
//
//     fn fetch_name<'a>(db: &'a UserDb, id: u32) -> impl Future<Output = Option<String>> + 'a {
//         async move { BODY }
//     }
//
// The future captures every argument, borrows included: it holds on to `db` until it
// finishes. Most of the time that is just what you want. But `tokio::spawn` hands a future
// to the runtime as a separate task that may outlive its caller and move between threads, so
// it accepts only futures that are `'static` (borrow nothing) and `Send`. A future that
// borrows `db` is neither allowed to outlive it nor to be spawned.
//
// Writing the long form yourself gives you two things the shorthand cannot:
// - code that runs at the call, before the future exists: here you can take what the future
//   needs out of the borrowed arguments (clone a cheap handle), so the future owns its data;
// - promises in the signature: `-> impl Future<Output = T> + Send + 'static` tells every
//   caller the future can be spawned, and makes the compiler check it here, at the
//   definition, instead of at some distant `tokio::spawn`.
//
// In edition 2024 an `impl Trait` return type captures every lifetime of the arguments
// unless you say otherwise, so without the `'static` the future still counts as borrowing
// `db`.
//
// `UserDb` is a handle: cloning it is cheap and the clone shares the same map (an `Arc`), the
// way database pools and HTTP clients work. Make `fetch_name` spawnable without changing how
// it is called.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[derive(Clone, Default)]
struct UserDb {
    users: Arc<Mutex<HashMap<u32, String>>>,
}

impl UserDb {
    fn insert(&self, id: u32, name: &str) {
        self.users.lock().unwrap().insert(id, name.to_string());
    }
}

// TODO: `tokio::spawn(fetch_name(&db, id))` in `main` does not compile: the future borrows
// `db`. Rewrite this as a plain `fn` with the same arguments that returns
// `impl Future<Output = Option<String>> + Send + 'static`, and give that future its own
// handle to the database.
async fn fetch_name(db: &UserDb, id: u32) -> Option<String> {
    // The sleep stands in for the network round trip to the database.
    tokio::time::sleep(Duration::from_millis(30)).await;
    db.users.lock().unwrap().get(&id).cloned()
}

#[tokio::main]
async fn main() {
    let db = UserDb::default();
    db.insert(1, "Ada");
    db.insert(2, "Grace");

    // Each lookup runs as its own task, so the three round trips overlap.
    let mut lookups = Vec::new();
    for id in [1, 2, 3] {
        lookups.push(tokio::spawn(fetch_name(&db, id)));
    }
    for lookup in lookups {
        println!("{:?}", lookup.await.expect("the lookup task panicked"));
    }
}
