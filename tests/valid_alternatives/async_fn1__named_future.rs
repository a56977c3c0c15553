// Valid alternative: the future is kept in a variable and awaited before serve returns.
// async_fn1: a future does nothing until it is awaited
//
// Calling an ordinary function runs its body. Calling an `async fn` does not: it returns a
// future, a value that holds the arguments and says "this work is still to do". The body
// runs only when the future is polled, and inside async code `.await` is how you poll it:
// `.await` runs the future until it finishes, handing the thread back to the runtime
// whenever the future has to wait, and then gives you its output.
//
//     record_visit(visits, page);          // makes a future, then drops it: nothing runs
//     record_visit(visits, page).await;    // runs the body to the end
//
// A future that is made and dropped without an `.await` is a quiet bug: the program
// compiles and runs, and the work just never happens. The compiler warns about it
// ("unused implementer of `Future` that must be used"); read the warnings.
//
// Below, a tiny web server counts page visits, but the count stays empty. Make every call
// to `serve` record its visit exactly once.

use std::sync::Mutex;
use std::time::Duration;

#[derive(Default)]
struct Visits {
    pages: Mutex<Vec<String>>,
}

// Stores one visit. The sleep stands in for the round trip to a real database.
async fn record_visit(visits: &Visits, page: &str) {
    tokio::time::sleep(Duration::from_millis(5)).await;
    visits.pages.lock().unwrap().push(page.to_string());
}

// Records the visit, then renders the page.
async fn serve(visits: &Visits, page: &str) -> String {
    // The future is made first and awaited before the page goes out: it runs at the await.
    let visit = record_visit(visits, page);
    let html = format!("<h1>{page}</h1>");
    visit.await;
    html
}

#[tokio::main]
async fn main() {
    let visits = Visits::default();
    for page in ["/", "/about", "/"] {
        println!("{}", serve(&visits, page).await);
    }
    println!("visits: {:?}", visits.pages.lock().unwrap());
}
