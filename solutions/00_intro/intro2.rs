// intro2: an async `main` needs a runtime
//
// `#[tokio::main]` rewrites `async fn main` into a plain `fn main` that builds a Tokio
// runtime and calls its `block_on` with the body of `main`: the runtime polls the outermost
// future until it is done, and that is what makes the `.await` inside do anything.

use std::sync::Mutex;
use std::time::Duration;

// Every name `greeting` has greeted. The checks look here to learn whether `main` really
// awaited a greeting to the end, rather than printing a fixed line.
static GREETED: Mutex<Vec<String>> = Mutex::new(Vec::new());

// Looks the name up (the sleep stands in for a slow guest book), then greets. The sleep is a
// Tokio timer: only a Tokio runtime can wake this future up again after it.
async fn greeting(name: &str) -> String {
    tokio::time::sleep(Duration::from_millis(20)).await;
    GREETED.lock().unwrap().push(name.to_string());
    format!("Hello, {name}!")
}

#[tokio::main]
async fn main() {
    let line = greeting("async world").await;
    println!("{line}");
}
