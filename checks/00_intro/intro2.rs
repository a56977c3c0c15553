// Checks for intro2: an async `main` needs a runtime.
//
// Mistakes a learner makes here, and how each is caught:
// - `main` made a plain `fn` with the greeting typed in by hand (bypassing `greeting`): the
//   greeting is never recorded, "never finished".
// - `async` taken off `main` and the future printed or dropped: does not compile (a future
//   is not `Display`), or the greeting never runs.
// - another executor (`futures::executor::block_on`) driving `main`'s body: `greeting` waits
//   on a Tokio timer, which panics outside a Tokio runtime; the panic is caught and named.
// - the greeting spawned as a detached task and `main` returning at once: the runtime is shut
//   down when `main` returns, the task is dropped in its 20ms wait, and the greeting is
//   never recorded ("never finished").
// - `greeting` changed (a fixed reply): a separate check greets a name the exercise does not
//   show.
// - `main` left `async` with no runtime: the `on_unimplemented` trait below turns the type
//   mismatch into a sentence that says what is missing.

use super::{GREETED, greeting, main};

use std::any::Any;
use std::panic::{self, UnwindSafe};

// The program's entry point is called like any plain function, with no runtime around it.
// An `async fn main` returns a future instead, and fails to compile here: that is what
// "`main` function is not allowed to be `async`" means. The message below is what the learner
// reads in place of a type mismatch.
#[diagnostic::on_unimplemented(
    message = "`main` is an `async fn`, and nothing runs its future: give it a runtime",
    label = "`main` returns `{Self}` here, where a program's `main` returns `()`",
    note = "put `#[tokio::main]` on the line above `async fn main()`: it wraps the body in a \
            runtime's `block_on`, so `main` becomes a plain function again"
)]
trait NotAFuture {}

impl NotAFuture for () {}

fn main_must_be_a_plain_fn_that_starts_its_own_runtime<R: NotAFuture>(_: fn() -> R) {}

fn times_greeted(name: &str) -> usize {
    let greeted: Vec<String> = GREETED.lock().unwrap().clone();
    greeted.iter().filter(|n| n.as_str() == name).count()
}

fn panic_text(payload: &(dyn Any + Send)) -> &str {
    payload
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| payload.downcast_ref::<&str>().copied())
        .unwrap_or("(no message)")
}

fn without_panic(what: &str, f: impl FnOnce() + UnwindSafe) {
    if let Err(payload) = panic::catch_unwind(f) {
        let text = panic_text(&*payload);
        let why = if text.contains("no reactor running") || text.contains("Tokio 1.x") {
            " `greeting` waits on a Tokio timer, and only a Tokio runtime can drive it: another \
             executor's `block_on` (such as `futures::executor::block_on`) has no Tokio timer \
             to wake it. Put `#[tokio::main]` on `async fn main`"
        } else if text.contains("within a runtime") {
            " A runtime was started inside another one: `#[tokio::main]` already builds the \
             runtime, so `main` needs no `block_on` of its own"
        } else {
            ""
        };
        panic!("{what} panicked with {text:?}.{why}");
    }
}

// A plain test, not `#[tokio::test]`: `main` has to bring its own runtime.
#[test]
fn main_awaits_the_greeting_once() {
    main_must_be_a_plain_fn_that_starts_its_own_runtime(main);
    without_panic("main()", main);
    let n = times_greeted("async world");
    assert!(
        n != 0,
        "main() returned, but greeting(\"async world\") never finished: no greeting was \
         recorded. Keep `greeting(\"async world\").await` in an async `main` and put the runtime \
         attribute on `main`. (A line printed by hand never calls `greeting`; a task spawned and \
         not awaited is dropped, unfinished, when the runtime shuts down at the end of `main`.)"
    );
    assert_eq!(
        n, 1,
        "main() returned, but greeting(\"async world\") ran {n} times; expected exactly once. \
         The fix is the runtime attribute on `main`, not a different body"
    );
}

#[tokio::test(start_paused = true)]
async fn greeting_greets_by_name() {
    let line: String = greeting("Ferris").await;
    assert_eq!(
        line, "Hello, Ferris!",
        "greeting(\"Ferris\") returned {line:?}; it should greet whoever it is given, as \
         shipped: only `main` needed a change"
    );
}
