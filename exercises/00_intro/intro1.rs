// intro1: how this workbook works
//
// Welcome! Every exercise is one small Rust file like this one. It starts with a lesson in
// comments, then comes code that is broken in one place (or a few), marked with `// TODO`.
// Your job is to make the code right.
//
// How a round goes:
// 1. Open the exercise file in your editor (asynclings shows you which one).
// 2. Read the lesson, then fix the code where the TODO comments point.
// 3. Save. asynclings notices the save, rebuilds the file and runs hidden checks against
//    it. The checks are not in this file: they call your functions with inputs you have not
//    seen, so the code has to be right, not just print the right thing once.
// 4. Read the verdict: a compiler error, a failing check (its message says what it saw,
//    what it expected and the usual cause), a time-out (often a sign that the async runtime
//    was blocked or is waiting for something that never happens), or done.
//
// When you are stuck:
// - press `h` in watch mode (or run `asynclings hint`) for a hint. Each exercise has three,
//   from a nudge to nearly the answer; ask again to get the next one.
// - press `l` (or run `asynclings list`) to see every exercise and how far you are.
// - each topic folder has a README.md with the lesson in more depth, and links.
//
// - press `x` to put an exercise back as it was shipped (your version is kept as a backup),
//   `c` to check every exercise, `q` to quit: your progress is saved.
//
// Unlike the others, this exercise already passes: there is nothing to fix. Once the verdict
// says done, press `n` to move on to the next exercise, which is broken for real.

// Every exercise keeps a `main`, so you can also run the file as a program and see what it
// prints: `asynclings run intro1 --main` (in a clone, `cargo run --release -- run intro1 --main`).
fn workbook() -> &'static str {
    "asynclings"
}

fn main() {
    println!(
        "Hello from {}! Save any exercise file to check it.",
        workbook()
    );
}
