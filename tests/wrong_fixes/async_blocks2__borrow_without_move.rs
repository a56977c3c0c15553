// expect: compile error
// async_blocks2: one Arc, many tasks
//
// `async move` moves each captured variable into the block. Inside a loop that spawns a task
// per turn, the first turn moves the variable into the first task, and the second turn finds
// nothing left to move:
//
//     error[E0382]: use of moved value: `total`
//
// When several tasks must share one value, put it in an `Arc` (an atomically reference
// counted pointer) and give each task its own clone of the `Arc`. Cloning an `Arc` does not
// copy the value: it makes another owner of the same value, and the value is freed when the
// last owner is gone.
//
//     total ──┐
//     clone ──┼──▶ [ AtomicUsize ]   one counter, several owners
//     clone ──┘
//
// `total_size` below spawns one task per page; each task adds the page's size to a shared
// counter. Make it compile, and make sure every task adds to the same counter.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// Pretends to measure a page over the network: takes a moment, then returns its size.
async fn measure(page: &str) -> usize {
    tokio::time::sleep(Duration::from_millis(10)).await;
    page.len()
}

/// Measures every page on a task of its own and returns the sum of their sizes.
async fn total_size(pages: Vec<String>) -> usize {
    let total = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for page in pages {
        // TODO: the first turn of the loop moves `total` into its task. Give each task an
        // `Arc` of its own that points to the same counter.
        tasks.push(tokio::spawn(async {
            let size = measure(&page).await;
            total.fetch_add(size, Ordering::SeqCst);
        }));
    }
    for task in tasks {
        task.await.expect("a measuring task panicked");
    }
    total.load(Ordering::SeqCst)
}

#[tokio::main]
async fn main() {
    let pages = ["home", "about", "contact"].map(String::from).to_vec();
    println!("total size: {}", total_size(pages).await);
}
