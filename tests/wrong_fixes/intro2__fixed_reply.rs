// expect: it should greet whoever it is given
// intro2: an async `main` needs a runtime
//
// Wrong fix: `main` gets its runtime, but `greeting` was "simplified" to the one line the
// program prints.

use std::sync::Mutex;
use std::time::Duration;

static GREETED: Mutex<Vec<String>> = Mutex::new(Vec::new());

async fn greeting(name: &str) -> String {
    tokio::time::sleep(Duration::from_millis(20)).await;
    GREETED.lock().unwrap().push(name.to_string());
    "Hello, async world!".to_string()
}

#[tokio::main]
async fn main() {
    let line = greeting("async world").await;
    println!("{line}");
}
