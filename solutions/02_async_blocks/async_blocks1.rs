// async_blocks1: an async block that must own what it uses
//
// `async { ... }` makes a future on the spot, without naming a function. Like a closure, the
// block captures the variables it mentions, and like a closure it captures them by reference
// unless you write `async move { ... }`.
//
// Borrowing is fine for a future you await right here. It is not fine for a future you hand
// to `tokio::spawn`: the runtime may run that task long after the function that spawned it
// has returned, when its locals are gone. So `tokio::spawn` accepts only futures that own
// everything they hold (the bound is `'static`), and the compiler tells you so:
//
//     error[E0373]: async block may outlive the current function, but it borrows `name`
//
// `greet_later` below starts a task that waits a moment and then builds a greeting. It
// returns the task's `JoinHandle` at once; whoever holds the handle can `.await` it later to
// get the greeting. It takes any name that can be displayed (a `String`, a `&'static str`, a
// type of your own), and says in its signature what the task needs of it: `Send + 'static`.
// Make it compile. The task should own the name, and drop it when it is done with it.

use std::fmt::Display;
use std::time::Duration;

use tokio::task::JoinHandle;
use tokio::time::sleep;

/// Starts a task that waits for `delay`, then returns "Hello, <name>!".
fn greet_later<N: Display + Send + 'static>(name: N, delay: Duration) -> JoinHandle<String> {
    // `move` makes the block own `name` and `delay`: the task carries its own copies and no
    // longer points into `greet_later`'s stack frame, which is gone by the time it runs.
    tokio::spawn(async move {
        sleep(delay).await;
        format!("Hello, {name}!")
    })
}

#[tokio::main]
async fn main() {
    let handle = greet_later(String::from("world"), Duration::from_millis(200));
    println!("The greeting is on its way...");
    let greeting = handle.await.expect("the greeting task failed");
    println!("{greeting}");
}
