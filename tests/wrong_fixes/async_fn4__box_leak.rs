// expect: a handle was never given back
// Wrong fix: a clone leaked to get a `&'static UserDb`; it is never dropped.
// async_fn4: writing out the future an `async fn` returns
//
// `async fn` is shorthand. These two say the same thing:
//
//     async fn fetch_name(db: &UserDb, id: u32) -> Option<String> { BODY }
//
//     fn fetch_name(db: &UserDb, id: u32) -> impl Future<Output = Option<String>> {
//         async move { BODY }
//     }
//
// The future holds every argument until it is done, borrows included: a future made from
// `fetch_name(&db, 7)` borrows `db`, so it may not be kept after `db` is gone. (In edition
// 2024, a returned `impl Trait` captures every lifetime of the arguments unless the signature
// says otherwise.) That is fine when you await the future at once. It is not when the future
// has to outlive the borrow: kept in a list and awaited later, returned from a function, or
// handed to another task (topic 04).
//
// The long form gives you two things the shorthand cannot:
// - code that runs *at the call*, before the future exists: here you can take what the
//   future needs out of the borrowed argument (clone a cheap handle), so that the future owns
//   its data instead of borrowing it;
// - a promise in the signature: `-> impl Future<Output = T> + 'static` says "this future
//   borrows nothing", and the compiler checks it here, at the definition, instead of at some
//   distant caller. (`+ use<>` says the same: it captures no lifetime.)
//
// Only the cheap part belongs at the call. The lookup itself must still happen when the
// future runs: a user added after the call but before the await must be found.
//
// `UserDb` is a handle: cloning it is cheap and the clone shares the same map (an `Arc`), the
// way database pools and HTTP clients work. Each clone is one more owner of the map, and is
// given back (dropped) when the future that holds it is done.
//
// `plan_lookups` below makes the lookups while it holds a handle, and its caller awaits them
// after that handle is gone. Make `fetch_name` return a future that owns what it needs,
// without changing how it is called.

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

fn fetch_name(db: &UserDb, id: u32) -> impl Future<Output = Option<String>> + 'static {
    let db: &'static UserDb = Box::leak(Box::new(db.clone()));
    async move {
        tokio::time::sleep(Duration::from_millis(30)).await;
        db.users.lock().unwrap().get(&id).cloned()
    }
}

#[tokio::main]
async fn main() {
    let pool = UserDb::default();
    pool.insert(1, "Ada");
    pool.insert(2, "Grace");

    let lookups = {
        // A handle that lives only in this block, as a request's connection would.
        let db = pool.clone();
        vec![fetch_name(&db, 1), fetch_name(&db, 2), fetch_name(&db, 3)]
    };
    // Added after the lookups were made, before they run: they should see it.
    pool.insert(3, "Barbara");
    for lookup in lookups {
        println!("{:?}", lookup.await);
    }
}
