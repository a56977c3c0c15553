// intro2: an async `main` needs a runtime
//
// An `async fn` does not run by itself. Calling it gives you a *future*: a value that
// describes the work, which makes progress only when something polls it. Inside async code
// you poll a future with `.await`. But someone has to poll the outermost future, the one
// that `main` would return: that someone is a *runtime* (also called an executor), a library
// that runs futures, waits on timers and sockets for them, and wakes them up when they can go
// on. Rust does not pick one for you. This workbook uses Tokio.
//
// So a plain `async fn main` is refused by the compiler: nothing would run it. Tokio ships an
// attribute that you write on the line above `async fn main`. It turns your async `main` into
// an ordinary `fn main` that starts a Tokio runtime and runs your code on it until it
// finishes.
//
// Fix the program so that it compiles and prints its greeting. Keep `main` async: the
// `.await` inside it is the point.

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

// TODO: built as a program, this fails with "`main` function is not allowed to be `async`";
// built with the checks, with "`main` is an `async fn`, and nothing runs its future": the
// checks call `main` as a plain function, the way the program starts. Give `main` a runtime
// to run on, without taking away its `async`.
async fn main() {
    let line = greeting("async world").await;
    println!("{line}");
}
