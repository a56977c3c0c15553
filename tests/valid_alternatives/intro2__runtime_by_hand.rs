// intro2: an async `main` needs a runtime
//
// Valid alternative: what `#[tokio::main]` expands to, written out: a plain `main` builds a
// Tokio runtime and blocks on the async body.

use std::sync::Mutex;
use std::time::Duration;

static GREETED: Mutex<Vec<String>> = Mutex::new(Vec::new());

async fn greeting(name: &str) -> String {
    tokio::time::sleep(Duration::from_millis(20)).await;
    GREETED.lock().unwrap().push(name.to_string());
    format!("Hello, {name}!")
}

fn main() {
    let runtime = tokio::runtime::Runtime::new().expect("failed to build a Tokio runtime");
    runtime.block_on(async {
        let line = greeting("async world").await;
        println!("{line}");
    });
}
