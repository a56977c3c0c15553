// expect: a clone was never dropped
// Wrong fix: one clone leaked to get a `&'static` handle that every task can borrow.
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
// `total_size` below measures every page on a task of its own. The counter `total` is
// shared with whoever called it (a progress bar reads it while the work goes on), so each
// task adds its page's size to that counter the moment it has measured it. Make it compile,
// and make sure every task adds to the one counter it was given.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// Pretends to measure a page over the network: a longer page takes longer. Returns its size.
async fn measure(page: &str) -> usize {
    tokio::time::sleep(Duration::from_millis(3 * page.len() as u64 + 7)).await;
    page.len()
}

/// Measures every page on a task of its own, all at the same time. Each task adds its page's
/// size to `total` as soon as it has it. Returns the total once every task is done.
async fn total_size(pages: Vec<String>, total: Arc<AtomicUsize>) -> usize {
    let shared: &'static Arc<AtomicUsize> = Box::leak(Box::new(Arc::clone(&total)));
    let mut tasks = Vec::new();
    for page in pages {
        tasks.push(tokio::spawn(async move {
            let size = measure(&page).await;
            shared.fetch_add(size, Ordering::SeqCst);
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
    let total = Arc::new(AtomicUsize::new(0));
    println!(
        "total size: {}",
        total_size(pages, Arc::clone(&total)).await
    );
    println!("the counter says: {}", total.load(Ordering::SeqCst));
}
