// expect: an answer written by hand plus a sleep only looks like one
// Wrong fix: the answers formatted by hand, with one sleep as long as the slowest service.
// join1: waiting for several things at once
//
// `.await` waits for one future. Three awaits in a row wait three times, one after another:
//
//     profile |------ 70ms ------|
//     orders                     |------------ 130ms ------------|
//     news                                                       |-- 40ms --|   = 240ms
//
// None of these requests needs another's answer, so there is no reason to wait for them in
// turn. `tokio::join!(a, b, c)` polls all three futures, inside the current task, and
// finishes when the last of them does, giving back all three outputs as a tuple:
//
//     profile |------ 70ms ------|
//     orders  |------------ 130ms ------------|
//     news    |-- 40ms --|                                                     = 130ms
//
// This is concurrency without any extra thread: while one future waits for its answer, the
// task polls the others. The page below loads three independent pieces one after another.
// Load them at the same time.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::time::sleep;

/// A pretend remote service that answers after `latency`. It counts the requests it gets.
struct Service {
    name: &'static str,
    latency: Duration,
    calls: AtomicUsize,
}

impl Service {
    fn new(name: &'static str, latency: Duration) -> Self {
        Service {
            name,
            latency,
            calls: AtomicUsize::new(0),
        }
    }

    async fn get(&self, user: u32) -> String {
        self.calls.fetch_add(1, Ordering::SeqCst);
        sleep(self.latency).await;
        format!("{} for user {user}", self.name)
    }
}

#[derive(Debug, PartialEq)]
struct Page {
    profile: String,
    orders: String,
    news: String,
}

/// Loads the three parts of a user's page.
async fn load_page(profile: &Service, orders: &Service, news: &Service, user: u32) -> Page {
    let slowest = profile.latency.max(orders.latency).max(news.latency);
    sleep(slowest).await;
    Page {
        profile: format!("{} for user {user}", profile.name),
        orders: format!("{} for user {user}", orders.name),
        news: format!("{} for user {user}", news.name),
    }
}

#[tokio::main]
async fn main() {
    let ms = Duration::from_millis;
    let profile = Service::new("profile", ms(70));
    let orders = Service::new("orders", ms(130));
    let news = Service::new("news", ms(40));

    let start = tokio::time::Instant::now();
    let page = load_page(&profile, &orders, &news, 7).await;
    println!("{page:#?}");
    println!("loaded in {:?}", start.elapsed());
}
