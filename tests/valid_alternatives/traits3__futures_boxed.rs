// traits3: async traits behind `dyn`
//
// A `Vec<Box<dyn Store>>` holds values of different types and calls their methods through a
// vtable: a table with one function pointer per method, the same layout for every type. A
// method whose return type differs from one impl to the next has no place in such a table.
// And that is exactly what a native `async fn` in a trait is: a method returning
// `impl Future`, a different future type for each impl. So a trait with an `async fn` is not
// *dyn compatible* (error E0038), and `dyn Store` does not exist.
//
// To call it through `dyn`, every impl must return the *same* type. Box the future and erase
// its type behind a trait object of its own:
//
//     fn get<'a>(&'a self, key: &'a str) -> Pin<Box<dyn Future<Output = Option<String>> + Send + 'a>>;
//
// and each impl wraps its body: `Box::pin(async move { ... })`. The `'a` says the future may
// borrow `self` and `key`. (`futures::future::BoxFuture<'a, T>` names that type for you.) The
// `async-trait` crate's `#[async_trait]`, put on the trait and on every impl, writes the same
// code. Either way each call allocates one box: that is the price of `dyn`. Generic code
// (traits1, traits2) pays nothing, but cannot keep different types in one `Vec`.
//
// Below, a cache keeps three layers of different types in one `Vec<Box<dyn Store>>`. Make
// `Store` dyn compatible.

use std::collections::HashMap;
use futures::FutureExt;
use futures::future::BoxFuture;
use std::sync::Mutex;
use std::time::Duration;

use tokio::time::sleep;


// Every impl returns the same type, a boxed future, so the methods fit in a vtable and
// `dyn Store` exists. The cost is one allocation per call.
trait Store {
    /// The value stored under `key`, if any.
    fn get<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Option<String>>;
    /// Stores `value` under `key`.
    fn put<'a>(&'a self, key: &'a str, value: &'a str) -> BoxFuture<'a, ()>;
}

/// Memory: answers at once, forgets everything when the program ends.
#[derive(Default)]
struct Memory {
    map: Mutex<HashMap<String, String>>,
}

impl Store for Memory {
    fn get<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Option<String>> {
        async move { self.map.lock().unwrap().get(key).cloned() }.boxed()
    }

    fn put<'a>(&'a self, key: &'a str, value: &'a str) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            self.map
                .lock()
                .unwrap()
                .insert(key.to_string(), value.to_string());
        })
    }
}

/// A local disk: slower, every read and write takes `latency`.
struct Disk {
    files: Mutex<HashMap<String, String>>,
    latency: Duration,
}

impl Disk {
    fn new(latency: Duration) -> Self {
        Disk {
            files: Mutex::default(),
            latency,
        }
    }
}

impl Store for Disk {
    fn get<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Option<String>> {
        Box::pin(async move {
            sleep(self.latency).await;
            self.files.lock().unwrap().get(key).cloned()
        })
    }

    fn put<'a>(&'a self, key: &'a str, value: &'a str) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            sleep(self.latency).await;
            self.files
                .lock()
                .unwrap()
                .insert(key.to_string(), value.to_string());
        })
    }
}

/// The origin server: it has everything, slowly, and ignores writes.
struct Origin {
    data: HashMap<String, String>,
    latency: Duration,
}

impl Origin {
    fn new(data: &[(&str, &str)], latency: Duration) -> Self {
        let data = data
            .iter()
            .map(|&(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Origin { data, latency }
    }
}

impl Store for Origin {
    fn get<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Option<String>> {
        Box::pin(async move {
            sleep(self.latency).await;
            self.data.get(key).cloned()
        })
    }

    fn put<'a>(&'a self, _key: &'a str, _value: &'a str) -> BoxFuture<'a, ()> {
        Box::pin(async {})
    }
}

/// A cache of several layers, fastest first.
struct Layered {
    layers: Vec<Box<dyn Store>>,
}

impl Layered {
    /// Asks each layer in turn. On a hit, copies the value into the faster layers that missed,
    /// so that the next `get` of the key is quicker.
    async fn get(&self, key: &str) -> Option<String> {
        for (i, layer) in self.layers.iter().enumerate() {
            if let Some(value) = layer.get(key).await {
                for faster in &self.layers[..i] {
                    faster.put(key, &value).await;
                }
                return Some(value);
            }
        }
        None
    }
}

#[tokio::main]
async fn main() {
    let ms = Duration::from_millis;
    let cache = Layered {
        layers: vec![
            Box::new(Memory::default()),
            Box::new(Disk::new(ms(10))),
            Box::new(Origin::new(&[("motd", "hello")], ms(200))),
        ],
    };
    for _ in 0..2 {
        let start = tokio::time::Instant::now();
        let motd = cache.get("motd").await;
        println!("{motd:?} in {:?}", start.elapsed());
    }
}
