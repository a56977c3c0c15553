use super::*;

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
    GREETED
        .lock()
        .unwrap()
        .iter()
        .filter(|n| *n == name)
        .count()
}

// A plain test, not `#[tokio::test]`: `main` has to bring its own runtime.
#[test]
fn main_awaits_the_greeting_once() {
    main_must_be_a_plain_fn_that_starts_its_own_runtime(main);
    main();
    let n = times_greeted("async world");
    assert_eq!(
        n, 1,
        "main() returned, but greeting(\"async world\") ran {n} times; expected exactly once. \
         Keep `main` async and keep `greeting(\"async world\").await` in it: the fix is the \
         runtime attribute on `main`, not a different body"
    );
}

#[tokio::test]
async fn greeting_greets_by_name() {
    let line = greeting("Ferris").await;
    assert_eq!(
        line, "Hello, Ferris!",
        "greeting(\"Ferris\") returned {line:?}; it should greet whoever it is given, as \
         shipped: only `main` needed a change"
    );
}
