// expect: compile error
// intro2: an async `main` needs a runtime
//
// Wrong fix: `async` taken off `main` and the `.await` dropped. `greeting(..)` now returns a
// future that nobody polls, and a future cannot be printed with `{}`.

use std::sync::Mutex;

static GREETED: Mutex<Vec<String>> = Mutex::new(Vec::new());

async fn greeting(name: &str) -> String {
    GREETED.lock().unwrap().push(name.to_string());
    format!("Hello, {name}!")
}

fn main() {
    let line = greeting("async world");
    println!("{line}");
}
