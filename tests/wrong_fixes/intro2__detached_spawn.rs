// expect: never finished
// intro2: an async `main` needs a runtime
//
// Wrong fix: the greeting handed to a task that nobody waits for. `main` returns at once, the
// runtime shuts down, and the task is dropped in the middle of its wait.

use std::sync::Mutex;
use std::time::Duration;

static GREETED: Mutex<Vec<String>> = Mutex::new(Vec::new());

async fn greeting(name: &str) -> String {
    tokio::time::sleep(Duration::from_millis(20)).await;
    GREETED.lock().unwrap().push(name.to_string());
    format!("Hello, {name}!")
}

#[tokio::main]
async fn main() {
    tokio::spawn(async {
        let line = greeting("async world").await;
        println!("{line}");
    });
}
