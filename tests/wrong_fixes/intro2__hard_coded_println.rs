// expect: greeting("async world") never finished
// intro2: an async `main` needs a runtime
//
// Wrong fix: `main` made synchronous and the greeting typed in by hand. It prints the right
// line, but nothing async runs any more.

use std::sync::Mutex;

static GREETED: Mutex<Vec<String>> = Mutex::new(Vec::new());

async fn greeting(name: &str) -> String {
    GREETED.lock().unwrap().push(name.to_string());
    format!("Hello, {name}!")
}

fn main() {
    println!("Hello, async world!");
}
