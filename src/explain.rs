//! Explanations in async terms for the compiler errors, lints and runtime panics that async
//! code produces, read from rustc's JSON diagnostics (codes, spans, child notes) and from the
//! checks' panic messages; and `asynclings explain CODE` for the long form.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::ExitCode;

use anyhow::{Result, bail};

use crate::cargo::Diagnostic;
use crate::outln;
use crate::term;
use crate::workbook::closest;

pub struct Explanation {
    /// What `asynclings explain` takes: an error code or a short name.
    pub key: &'static str,
    pub title: &'static str,
    /// Two to four lines under the verdict.
    pub short: &'static str,
    /// The long form for `asynclings explain`.
    pub long: &'static str,
    pub link: &'static str,
    /// Where the curriculum practises it.
    pub taught_in: &'static str,
}

pub const EXPLANATIONS: &[Explanation] = &[
    Explanation {
        key: "unused-future",
        title: "a future that is never awaited",
        short: "Calling an `async fn` only builds a future; its body runs when the future is \
                polled. This one is dropped unpolled, so its work never happens: add `.await` \
                (or hand it to `join!`, `spawn`, ...).",
        long: "An `async fn` call returns a future: a value describing work still to do. Nothing in \
               the body runs until something polls the future, and inside async code `.await` is \
               how you poll it to completion. A future that is created and dropped, like the \
               result of a call statement `fetch(url);`, never runs at all. The compiler's \
               `unused_must_use` warning on a `Future` almost always means a missing `.await`. \
               Other ways to run a future: pass it to `join!`/`select!`, `tokio::spawn` it, or \
               `block_on` it from synchronous code.",
        link: "https://rust-lang.github.io/async-book/part-guide/async-await.html",
        taught_in: "01_async_fn (async_fn1)",
    },
    Explanation {
        key: "E0728",
        title: "`.await` outside async code",
        short: "`.await` only works inside an `async fn` or `async` block. Make the caller \
                async too, or, at the edge of your program, give the future to a runtime \
                (`#[tokio::main]`, or `Runtime::block_on` from synchronous code).",
        long: "`.await` suspends the current function until the future is ready, which only an \
               async function (itself a future) can do. A synchronous function cannot await: \
               either make it `async` (and its callers await it), or run the future on a \
               runtime at the boundary between sync and async code: `#[tokio::main]` on `main`, \
               or `tokio::runtime::Runtime::new()?.block_on(fut)` in a plain function. Own one \
               runtime and `block_on` at the edge; never nest runtimes.",
        link: "https://doc.rust-lang.org/error_codes/E0728.html",
        taught_in: "00_intro (intro2), 01_async_fn (async_fn2)",
    },
    Explanation {
        key: "not-send",
        title: "a future that is not `Send`",
        short: "`tokio::spawn` may run a task on any worker thread, so the task's future must \
                be `Send`. A value that is not `Send` (an `Rc`, a `std::sync::MutexGuard`, a \
                `RefCell` borrow) is kept alive across an `.await`: end its scope before the \
                await, or use a `Send` type (`Arc`, `tokio::sync::Mutex`).",
        long: "An async fn's future stores every local that lives across an `.await`. If one of \
               them is not `Send`, neither is the future, and `tokio::spawn` (which may move the \
               task between threads at any await) rejects it. rustc's note 'future is not `Send` \
               as this value is used across an await' names the value and the await. Fixes: \
               drop the value before the await (put it in a block that ends first), replace it \
               with a thread-safe type (`Arc` instead of `Rc`; `tokio::sync::Mutex` when a guard \
               must live across an await), or keep the task on one thread with \
               `LocalSet::spawn_local`.",
        link: "https://tokio.rs/tokio/tutorial/spawning#send-bound",
        taught_in: "07_blocking (blocking5), 11_send_pin (send1)",
    },
    Explanation {
        key: "borrow-escapes",
        title: "borrowed data escaping into a spawned task",
        short: "A spawned task can outlive the function that spawned it, so it must own what it \
                uses (`'static`). Move owned values in with `async move`, clone them first, or \
                share them through an `Arc`.",
        long: "`tokio::spawn` requires a `'static` future: the task may still be running after \
               the current function returns, when its locals are gone. An `async` block that \
               borrows a local (E0373), or borrowed data passed into `spawn` (E0521, E0597 with \
               'borrowed for `'static`'), is rejected. Give the task ownership: `async move { .. }` \
               moves the captured values in; clone what the caller still needs before the move; \
               wrap shared data in `Arc` and move a clone into each task. `Box::leak` also \
               satisfies `'static`, by never freeing the value: a leak, not a fix.",
        link: "https://tokio.rs/tokio/tutorial/spawning#static-bound",
        taught_in: "02_async_blocks (async_blocks1), 04_spawn (spawn2)",
    },
    Explanation {
        key: "dyn-async-trait",
        title: "an async trait used as `dyn`",
        short: "A trait with an `async fn` is not dyn compatible: each implementation returns a \
                different future type, which a vtable cannot name. Use generics (static \
                dispatch), or make the method return `Pin<Box<dyn Future<Output = T> + Send + '_>>` \
                (by hand, or with `#[async_trait]`).",
        long: "Native `async fn` in traits desugars to a method returning an anonymous \
               `impl Future`, a different type for every implementation. A `dyn Trait` vtable \
               needs one concrete return type, so such a trait is not dyn compatible (E0038). \
               When the set of types is known at compile time, use generics (`impl Store`, \
               `T: Store`): no allocation per call. When you need `Vec<Box<dyn Store>>`, box the \
               future: declare the method as `fn get(&self) -> Pin<Box<dyn Future<Output = u32> + \
               Send + '_>>` and return `Box::pin(async move { .. })`, or let the `async-trait` \
               crate write that for you (it boxes every call).",
        link: "https://doc.rust-lang.org/reference/items/traits.html#dyn-compatibility",
        taught_in: "12_async_traits (traits3, traits4)",
    },
    Explanation {
        key: "unsafe-code",
        title: "`unsafe` in an exercise",
        short: "asynclings forbids `unsafe` in exercises: none needs it. An `unsafe impl Send` \
                or `Sync` silences the compiler's thread-safety check without making the type \
                safe to use from another thread; look for the safe fix the lesson teaches.",
        long: "The hidden checks are compiled with `#![forbid(unsafe_code)]`. The usual reason to \
               reach for `unsafe` in async code is a future that is not `Send` (an `Rc`, a \
               `RefCell`, a guard held across an await): `unsafe impl Send for Wrapper` makes \
               `tokio::spawn` accept it, and the program can then touch the value from two \
               threads at once, which is undefined behaviour. The safe fixes: end the value's \
               life before the `.await`, use a thread-safe type (`Arc`, `Mutex`), or keep the \
               task on one thread with `LocalSet::spawn_local`.",
        link: "https://doc.rust-lang.org/nomicon/send-and-sync.html",
        taught_in: "11_send_pin (send1, local1)",
    },
    Explanation {
        key: "E0733",
        title: "recursion in an async fn",
        short: "An `async fn` that awaits itself would contain its own future: an infinitely \
                large type. Box the recursive call's future: `Box::pin(fib(n - 1)).await`.",
        long: "The future of an `async fn` is a struct holding its state across awaits. If the \
               function awaits a call to itself, that struct contains itself, which has no \
               finite size (E0733). Put the recursive future behind a pointer: \
               `Box::pin(fib(n - 1)).await`, so the outer future holds only a box.",
        link: "https://doc.rust-lang.org/error_codes/E0733.html",
        taught_in: "11_send_pin (pin3)",
    },
    Explanation {
        key: "E0277",
        title: "a trait that async code needs is missing",
        short: "A type lacks a trait that the code asks of it. In async code the trait is \
                usually `Send` (a future held something thread-bound across an `.await`), \
                `Unpin` (a future polled through `&mut` without being pinned), or `Future` \
                itself (`.await` on a value that is not one).",
        long: "E0277 says that a type does not implement a trait that some code requires. It \
               is the compiler's most general error; in async code four cases make most of it:\n\
               - `Send`: `tokio::spawn` and the multi-threaded runtime need futures that can move \
               between threads, and a future is `Send` only if everything it holds across an \
               `.await` is (an `Rc`, a `RefCell` borrow or a std `MutexGuard` is not). See \
               `asynclings explain not-send`.\n\
               - `Unpin`: a future polled through `&mut` (in `select!` inside a loop, or by hand) \
               must not move, and a future made by `async` may be polled that way only once \
               pinned: `std::pin::pin!(fut)` or `Box::pin(fut)`. See `asynclings explain \
               not-unpin`.\n\
               - `Future`: `.await` applies to futures only, so awaiting what a plain function \
               returns, or a value that was awaited already, fails. See `asynclings explain \
               not-a-future`.\n\
               - `?` in an `async` block: the block's output must be a `Result` for `?` to return \
               early; say its type, for example `async { ...; Ok::<_, Error>(value) }`.\n\
               The lines under the error (`the trait ... is not implemented for ...`, `required \
               by a bound in ...`) say which trait is missing and who asks for it.",
        link: "https://doc.rust-lang.org/error_codes/E0277.html",
        taught_in: "11_send_pin (send1, pin2), 01_async_fn (async_fn1)",
    },
    Explanation {
        key: "not-unpin",
        title: "a future that must be pinned before it is polled",
        short: "This future is polled through a reference (`&mut fut` in `select!`, a poll by \
                hand), which needs it to stay where it is: `Unpin`. Async blocks and `async fn` \
                futures are not. Pin it first: `let fut = std::pin::pin!(fut);` (or \
                `Box::pin(fut)`), then use `&mut fut` or `fut.as_mut()`.",
        long: "A future made by `async` may hold references into itself across an `.await`, so \
               once polled it must never move. Owning it and `.await`ing it is always fine. \
               Polling it through `&mut` is not, unless it is pinned: `Pin<&mut F>` promises \
               that it will not move again. `std::pin::pin!(fut)` pins it on the stack where it \
               stands (cheap, for one scope); `Box::pin(fut)` pins it on the heap (for storing \
               it, or choosing among futures of different types). A pinned future is itself \
               `Unpin`, so `&mut pinned` works in `select!` in a loop and in helpers that take \
               `F: Future + Unpin`. Adding `Unpin` to a generic bound instead moves the problem \
               to every caller.",
        link: "https://doc.rust-lang.org/std/pin/index.html",
        taught_in: "11_send_pin (pin1, pin2), 05_select",
    },
    Explanation {
        key: "not-a-future",
        title: "`.await` on a value that is not a future",
        short: "`.await` works on futures only. This value is already the result (a plain `fn`, \
                or an `async fn` already awaited): drop the `.await`, or make the function \
                `async` if it is meant to wait.",
        long: "`x.await` asks the compiler to poll `x` until it is ready, so `x` must implement \
               `Future` (or `IntoFuture`). A call to a plain function returns its value at once \
               and has nothing to await; so does an expression that was awaited already. If \
               the function is meant to wait for something (a timer, I/O, another task), make \
               it `async fn` and await what it waits for inside it. If a value you expected to \
               be a future is a `JoinHandle`, awaiting it is right; a `Vec` of futures is not \
               one future: join them (`futures::future::join_all`, a `JoinSet`).",
        link: "https://doc.rust-lang.org/std/keyword.await.html",
        taught_in: "01_async_fn (async_fn1)",
    },
    Explanation {
        key: "nested-runtime",
        title: "a runtime started inside a runtime",
        short: "`block_on` was called on a thread that is already running async code, which \
                would block the runtime's own worker. In async code, `.await` the future \
                instead; keep one runtime and `block_on` only at the edge of the program.",
        long: "'Cannot start a runtime from within a runtime' means `Runtime::block_on`, \
               `Handle::block_on` or `#[tokio::main]` ran on a thread that is already driving \
               tasks. Blocking that thread would stall every task on it, so Tokio panics. Inside \
               async code, simply `.await`. From synchronous code called by async code, move the \
               blocking part to `spawn_blocking`, or restructure so that the sync code returns a \
               future. A library should expose async functions and let its user own the runtime.",
        link: "https://docs.rs/tokio/latest/tokio/runtime/struct.Runtime.html#method.block_on",
        taught_in: "07_blocking (blocking4)",
    },
    Explanation {
        key: "resumed-after-completion",
        title: "a future polled after it finished",
        short: "A future was polled again after it had completed, typically a `&mut fut` branch \
                of a `select!` loop that already won once. Disable the branch with an `if` \
                precondition (`, if !done`), or fuse the future.",
        long: "A completed future must not be polled again; an `async fn` future panics with \
               '`async fn` resumed after completion' when it is. In a `select!` loop over a \
               pinned future selected by `&mut`, the branch that completed stays in the loop: \
               guard it with a precondition that turns false once it has produced its value, \
               or wrap it with `FutureExt::fuse` and test `is_terminated()`.",
        link: "https://docs.rs/tokio/latest/tokio/macro.select.html",
        taught_in: "05_select (select4)",
    },
    Explanation {
        key: "task-panicked",
        title: "a spawned task that panicked",
        short: "A panic inside a spawned task ends only that task: awaiting its `JoinHandle` \
                gives `Err(JoinError)` (`is_panic()`). `.unwrap()` on it re-raises the panic \
                here; handle the `Err` to keep the other tasks' results.",
        long: "Tokio catches a panic in a spawned task and reports it through the task's \
               `JoinHandle`: `handle.await` returns `Err(e)` with `e.is_panic()`. Unwrapping that \
               turns one failed task into a failure of its caller. Match on the result instead, \
               log or count the failure, and keep the results of the other tasks. \
               `e.into_panic()` gives back the panic payload if you need it.",
        link: "https://docs.rs/tokio/latest/tokio/task/struct.JoinError.html",
        taught_in: "04_spawn (spawn3)",
    },
    Explanation {
        key: "no-runtime",
        title: "Tokio used outside a runtime",
        short: "This Tokio call needs a runtime, and the current thread has none (a plain \
                `std::thread`, or sync code before the runtime starts). Pass a \
                `tokio::runtime::Handle` to that thread and call `handle.spawn(..)`, or call it \
                from async code.",
        long: "'there is no reactor running, must be called from the context of a Tokio 1.x \
               runtime' means a function such as `tokio::spawn`, `sleep` or a Tokio I/O type was \
               used on a thread where no runtime is entered. Threads you start yourself do not \
               inherit the runtime: capture `Handle::current()` before starting them and use \
               `handle.spawn` or `handle.block_on` there (the latter only on a thread that is not \
               a runtime worker).",
        link: "https://docs.rs/tokio/latest/tokio/runtime/struct.Handle.html",
        taught_in: "04_spawn (spawn7)",
    },
    Explanation {
        key: "timeout",
        title: "checks that never finished",
        short: "A hang in async code usually means the runtime's thread was blocked or tasks \
                wait on each other; see the list above.",
        long: "The checks are stopped when they exceed their time limit. In async code that \
               nearly always means one of: a blocking call (`std::thread::sleep`, a CPU-heavy \
               loop, blocking I/O, a `std::sync::Mutex` that another task holds) on a thread the \
               runtime needs, so no other task, timer or I/O can run; a lock held across an \
               `.await` that the task holding it is waiting for; or a wait that nothing will end \
               (a channel whose sender is never dropped, a future that returns `Pending` without \
               arranging a wake-up, a task that was never spawned). Look for the blocking call \
               first: replace `std::thread::sleep` with `tokio::time::sleep(..).await`, move CPU \
               work to `spawn_blocking`. Tools for a real program: tokio-console shows which task \
               is busy; `tracing` spans with `.instrument` show where each task is waiting.",
        link: "https://tokio.rs/tokio/topics/bridging",
        taught_in: "07_blocking (blocking1, blocking2)",
    },
];

pub fn find(key: &str) -> Option<&'static Explanation> {
    EXPLANATIONS
        .iter()
        .find(|e| e.key.eq_ignore_ascii_case(key))
}

/// An explanation that applies, with details taken from this diagnostic (which value, which line).
pub struct Found {
    pub explanation: &'static Explanation,
    pub detail: Option<String>,
}

/// The explanations that apply to rustc's diagnostics.
pub fn for_diagnostics(diagnostics: &[Diagnostic], root: &Path) -> Vec<Found> {
    let mut found: Vec<Found> = Vec::new();
    for d in diagnostics {
        let code = d.code.as_ref().map(|c| c.code.as_str());
        let hit = match code {
            Some("unused_must_use") if d.message.contains("Future") => Some((
                "unused-future",
                d.primary_place(root)
                    .map(|at| format!("The future is made at {at}.")),
            )),
            Some("E0728") => Some((
                "E0728",
                d.primary_place(root)
                    .map(|at| format!("The `.await` is at {at}.")),
            )),
            Some("E0373" | "E0521") => Some(("borrow-escapes", borrow_detail(d, root))),
            Some("E0597") if d.mentions("'static") => {
                Some(("borrow-escapes", borrow_detail(d, root)))
            }
            Some("E0038") if d.mentions("is `async`") => Some(("dyn-async-trait", None)),
            Some("unsafe_code") => Some(("unsafe-code", None)),
            Some("E0733") => Some((
                "E0733",
                d.primary_place(root)
                    .map(|at| format!("The recursive fn is at {at}.")),
            )),
            _ if d.message.contains("cannot be sent between threads safely")
                && d.message.contains("future") =>
            {
                Some(("not-send", not_send_detail(d, root)))
            }
            Some("E0277") if d.mentions("used across an await") => {
                Some(("not-send", not_send_detail(d, root)))
            }
            Some("E0277") if d.message.contains("is not a future") => Some((
                "not-a-future",
                d.primary_place(root)
                    .map(|at| format!("The `.await` is at {at}.")),
            )),
            Some("E0277")
                if d.message.contains("cannot be unpinned")
                    || d.message.contains("`Unpin` is not implemented")
                    || d.mentions("cannot be unpinned") =>
            {
                Some((
                    "not-unpin",
                    d.primary_place(root)
                        .map(|at| format!("The future is polled at {at}.")),
                ))
            }
            _ => None,
        };
        if let Some((key, detail)) = hit
            && !found.iter().any(|f| f.explanation.key == key)
            && let Some(explanation) = find(key)
        {
            found.push(Found {
                explanation,
                detail,
            });
        }
    }
    found
}

/// The explanations that apply to what failing checks printed (their panic messages).
pub fn for_failure_text(text: &str) -> Vec<Found> {
    let patterns: &[(&str, &str)] = &[
        (
            "Cannot start a runtime from within a runtime",
            "nested-runtime",
        ),
        (
            "`async fn` resumed after completion",
            "resumed-after-completion",
        ),
        ("JoinError::Panic", "task-panicked"),
        (
            "must be called from the context of a Tokio 1.x runtime",
            "no-runtime",
        ),
    ];
    let mut found = Vec::new();
    for (pattern, key) in patterns {
        if text.contains(pattern)
            && let Some(explanation) = find(key)
        {
            found.push(Found {
                explanation,
                detail: None,
            });
        }
    }
    found
}

fn not_send_detail(d: &Diagnostic, root: &Path) -> Option<String> {
    let note = d.find_child("used across an await")?;
    let await_span = note.spans.iter().find(|s| s.is_primary)?;
    let value_span = note.spans.iter().find(|s| !s.is_primary);
    // rustc labels them "await occurs here, with `x` maybe used later" and "has type `T` which is not `Send`".
    let value = await_span
        .label
        .as_deref()
        .and_then(|l| between(l, "with `", "`"));
    let ty = value_span
        .and_then(|s| s.label.as_deref())
        .and_then(|l| between(l, "has type `", "` which"));
    let ty = ty.map(short_type);
    let value = match (value, ty.as_deref()) {
        (Some(v), Some(t)) => format!("`{v}` (a `{t}`)"),
        (Some(v), None) => format!("`{v}`"),
        (None, Some(t)) => format!("a `{t}`"),
        (None, None) => "a value that is not `Send`".to_owned(),
    };
    Some(format!(
        "Here {value} is still alive at the `.await` on {}.",
        await_span.place(root)
    ))
}

/// `std::rc::Rc<std::cell::RefCell<u8>>` as `Rc<RefCell<u8>>`: rustc writes types in full
/// under clippy's driver (grading) and shortly under rustc; explanations read the same in both.
fn short_type(ty: &str) -> String {
    let mut out = String::with_capacity(ty.len());
    let mut word = String::new();
    let mut chars = ty.chars().peekable();
    while let Some(c) = chars.next() {
        if c.is_alphanumeric() || c == '_' {
            word.push(c);
            continue;
        }
        if c == ':' && chars.peek() == Some(&':') && word.starts_with(|w: char| w.is_lowercase()) {
            chars.next();
            word.clear();
            continue;
        }
        out += &word;
        word.clear();
        out.push(c);
    }
    out + &word
}

fn borrow_detail(d: &Diagnostic, root: &Path) -> Option<String> {
    let span = d.spans.iter().find(|s| s.is_primary)?;
    Some(format!("The borrow is at {}.", span.place(root)))
}

fn between<'a>(text: &'a str, start: &str, end: &str) -> Option<&'a str> {
    let from = text.find(start)? + start.len();
    let len = text[from..].find(end)?;
    Some(&text[from..from + len])
}

/// The explanations as they appear under a verdict.
/// The notes under a verdict. An exercise's own `advice` (by explanation key) takes the place
/// of the general text, since the lesson knows what its learner is doing; an empty advice
/// hides the note.
pub fn render(found: &[Found], advice: &BTreeMap<String, String>) -> String {
    let mut out = String::new();
    for Found {
        explanation: e,
        detail,
    } in found
    {
        match advice.get(e.key).map(String::as_str) {
            Some("") => continue,
            Some(own) => {
                out += &format!("\n{} {own}\n", term::yellow("In this exercise:"));
                out += &term::dim(&format!("  More: `asynclings explain {}`\n", e.key));
                continue;
            }
            None => {}
        }
        out += &format!(
            "\n{} {}\n",
            term::yellow("In async terms:"),
            term::bold(e.title)
        );
        // One line: the screen wraps it to its width.
        out += &format!("  {}\n", e.short);
        if let Some(detail) = detail {
            out += &format!("  {detail}\n");
        }
        out += &term::dim(&format!(
            "  Practised in {}. More: {} or `asynclings explain {}`\n",
            e.taught_in, e.link, e.key
        ));
    }
    out
}

/// `asynclings explain [CODE]`.
pub fn explain(key: Option<&str>) -> Result<ExitCode> {
    let Some(key) = key else {
        outln!("Explanations (`asynclings explain <NAME>`):\n")?;
        for e in EXPLANATIONS {
            outln!("  {:<26} {}", e.key, e.title)?;
        }
        return Ok(ExitCode::SUCCESS);
    };
    let aliases: &[(&str, &str)] = &[
        ("E0373", "borrow-escapes"),
        ("E0521", "borrow-escapes"),
        ("E0597", "borrow-escapes"),
        ("E0038", "dyn-async-trait"),
        ("unused_must_use", "unused-future"),
        ("hang", "timeout"),
    ];
    let key = aliases
        .iter()
        .find(|(alias, _)| alias.eq_ignore_ascii_case(key))
        .map_or(key, |(_, k)| k);
    let Some(e) = find(key) else {
        // An error code is exact: a near one would explain something else.
        let is_code = key.len() == 5
            && key.starts_with(['E', 'e'])
            && key[1..].chars().all(|c| c.is_ascii_digit());
        if is_code {
            bail!(
                "no explanation for `{key}` in async terms: `rustc --explain {key}` has the \
                 compiler's own, and `asynclings explain` lists the ones here"
            );
        }
        let closest = closest(key, EXPLANATIONS.iter().map(|e| e.key));
        match closest {
            Some(k) => bail!("no explanation for `{key}`: did you mean `{k}`?"),
            None => bail!("no explanation for `{key}`: `asynclings explain` lists them"),
        }
    };
    outln!("{} ({})\n", term::bold(e.title), e.key)?;
    outln!("{}", term::fit_stdout(e.long))?;
    outln!("\nPractised in {}.\nMore: {}", e.taught_in, e.link)?;
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_are_shortened_to_their_names() {
        assert_eq!(short_type("std::rc::Rc<u32>"), "Rc<u32>");
        assert_eq!(
            short_type("std::sync::MutexGuard<'_, std::vec::Vec<u8>>"),
            "MutexGuard<'_, Vec<u8>>"
        );
        assert_eq!(short_type("Rc<RefCell<u8>>"), "Rc<RefCell<u8>>");
    }

    #[test]
    fn every_explanation_is_short_and_linked() {
        for e in EXPLANATIONS {
            let lines = term::wrap(&format!("  {}", e.short), 90).len();
            assert!((1..=4).contains(&lines), "{} has {lines} lines", e.key);
            assert!(e.link.starts_with("https://"), "{}", e.key);
            assert!(!e.taught_in.is_empty());
        }
    }

    fn e0277(message: &str, child: &str) -> Diagnostic {
        serde_json::from_value(serde_json::json!({
            "level": "error",
            "message": message,
            "code": {"code": "E0277"},
            "spans": [{"file_name": "exercises/a/x.rs", "line_start": 7, "column_start": 9,
                       "is_primary": true}],
            "children": [{"level": "note", "message": child, "spans": [], "children": []}],
        }))
        .unwrap()
    }

    #[test]
    fn e0277_is_explained_by_the_trait_that_is_missing() {
        let key = |message: &str, child: &str| {
            let found = for_diagnostics(&[e0277(message, child)], Path::new(""));
            found.first().map(|f| f.explanation.key)
        };
        assert_eq!(
            key(
                "`u32` is not a future",
                "the trait `Future` is not implemented for `u32`"
            ),
            Some("not-a-future")
        );
        assert_eq!(
            key(
                "`{async block@x.rs:3:5}` cannot be unpinned",
                "consider using the `pin!` macro"
            ),
            Some("not-unpin")
        );
        assert_eq!(
            key(
                "future cannot be sent between threads safely",
                "future is not `Send` as this value is used across an await"
            ),
            Some("not-send")
        );
        assert_eq!(
            key("the size for values of type `str` cannot be known", ""),
            None
        );
        // `asynclings explain E0277` has its own page, which leads to the three.
        let page = find("E0277").unwrap();
        for key in ["not-send", "not-unpin", "not-a-future"] {
            assert!(page.long.contains(key), "{key}");
            assert!(find(key).is_some(), "{key}");
        }
    }

    #[test]
    fn an_exercises_own_advice_replaces_or_hides_the_general_note() {
        console::set_colors_enabled(false);
        let found = for_failure_text(
            "panicked at x.rs:1:1:\nthere is no reactor running, must be called from the context of a Tokio 1.x runtime",
        );
        assert_eq!(found[0].explanation.key, "no-runtime");
        let general = render(&found, &BTreeMap::new());
        assert!(
            general.contains("In async terms: Tokio used outside a runtime"),
            "{general}"
        );
        let own = BTreeMap::from([("no-runtime".to_owned(), "Build a runtime here.".to_owned())]);
        let text = render(&found, &own);
        assert!(
            text.contains("In this exercise: Build a runtime here."),
            "{text}"
        );
        assert!(!text.contains("Handle"), "{text}");
        let hidden = BTreeMap::from([("no-runtime".to_owned(), String::new())]);
        assert_eq!(render(&found, &hidden), "");
    }

    #[test]
    fn runtime_panics_are_recognised() {
        let found = for_failure_text(
            "panicked at src/x.rs:1:1:\nCannot start a runtime from within a runtime. This happens because",
        );
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].explanation.key, "nested-runtime");
        assert!(for_failure_text("assertion failed: left == right").is_empty());
    }

    #[test]
    fn between_finds_the_quoted_part() {
        assert_eq!(
            between(
                "await occurs here, with `shared` maybe used later",
                "with `",
                "`"
            ),
            Some("shared")
        );
        assert_eq!(between("nothing here", "with `", "`"), None);
    }
}
