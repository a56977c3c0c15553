// intro1: how this workbook works
//
// This exercise passes as shipped; the solution is the same program. It only shows how a
// round goes: read the lesson, fix the TODOs, save, read the verdict, ask for a hint when
// stuck.

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
