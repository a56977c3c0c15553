// expect: only a Tokio runtime can drive it
// intro2: an async `main` needs a runtime
//
// Wrong fix: a plain `main` that drives the async body with the `futures` crate's executor.
// That executor can poll futures, but it has no Tokio timer: the guest book's sleep panics.

use std::sync::Mutex;
use std::time::Duration;

static GREETED: Mutex<Vec<String>> = Mutex::new(Vec::new());

async fn greeting(name: &str) -> String {
    tokio::time::sleep(Duration::from_millis(20)).await;
    GREETED.lock().unwrap().push(name.to_string());
    format!("Hello, {name}!")
}

fn main() {
    futures::executor::block_on(async {
        let line = greeting("async world").await;
        println!("{line}");
    });
}
