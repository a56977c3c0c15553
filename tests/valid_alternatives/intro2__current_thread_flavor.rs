// intro2: an async `main` needs a runtime
//
// Valid alternative: a single-threaded Tokio runtime is all this program needs.

use std::sync::Mutex;
use std::time::Duration;

static GREETED: Mutex<Vec<String>> = Mutex::new(Vec::new());

async fn greeting(name: &str) -> String {
    tokio::time::sleep(Duration::from_millis(20)).await;
    GREETED.lock().unwrap().push(name.to_string());
    format!("Hello, {name}!")
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let line = greeting("async world").await;
    println!("{line}");
}
