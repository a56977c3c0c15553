// Valid alternative: a one-permit Semaphore makes the bumps take turns across the save, and
// the number itself sits in a std Mutex locked only for a moment (no guard across an await).
// blocking6: when the lock must be held across an `.await`
//
// blocking5 kept a `std::sync::Mutex` locked only between awaits. That is not always
// possible. Here, bumping a version number is a read-modify-write with a slow save in the
// middle, and the save must finish before anybody else reads the version:
//
//     read current (7)  ->  save 8 to the store (slow, async)  ->  set current to 8
//
// Lock only for the read, and again for the write, and two bumps that overlap both read 7,
// both save 8, and version 9 never exists:
//
//     bump A   read 7 --- save 8 ------------ write 8
//     bump B        read 7 --- save 8 ---------------- write 8      (lost update)
//
// The lock has to cover all three steps, including the `.await`. A `std::sync::Mutex`
// guard cannot do that in spawned tasks (blocking5: not `Send`, and a parked task would hold
// a lock that blocks threads). `tokio::sync::Mutex` is built for it: `lock().await` WAITS
// for the lock instead of blocking the thread, and its guard may be held across `.await`s.
// Tasks that want the lock queue up, in order, without tying up any thread.
//
// It is slower than the std Mutex, so use it only where the guard must live across an
// `.await`; for short critical sections the std Mutex stays the better choice.
//
// `bump` below loses updates when bumps overlap.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::sleep;

// A pretend store for the version number. Each save takes the next latency of a list that
// repeats, and the store remembers every version it saved, in order.
struct Store {
    latencies: Vec<Duration>,
    calls: AtomicUsize,
    saved: Mutex<Vec<u64>>,
}

impl Store {
    fn new(latencies: Vec<Duration>) -> Self {
        Self {
            latencies,
            calls: AtomicUsize::new(0),
            saved: Mutex::new(Vec::new()),
        }
    }

    async fn save(&self, version: u64) {
        let call = self.calls.fetch_add(1, Ordering::SeqCst);
        sleep(self.latencies[call % self.latencies.len()]).await;
        self.saved.lock().unwrap().push(version);
    }
}

struct Versions {
    // A tokio Mutex: its guard may be held across the save's `.await`.
    current: Mutex<u64>,
    turn: tokio::sync::Semaphore,
}

impl Versions {
    fn new() -> Self {
        Self {
            current: Mutex::new(0),
            turn: tokio::sync::Semaphore::new(1),
        }
    }
}

// Moves to the next version: saves it, then makes it current. Returns the new version.
async fn bump(versions: &Versions, store: &Store) -> u64 {
    // One guard covers the read, the save and the write. A second bump waits at
    // `lock().await` (without blocking the thread) until this one is done.
    let _turn = versions.turn.acquire().await.unwrap();
    let next = *versions.current.lock().unwrap() + 1;
    store.save(next).await;
    *versions.current.lock().unwrap() = next;
    next
}

// Runs `n` bumps at the same time, each in a task of its own, and returns what each got.
async fn bump_concurrently(versions: Arc<Versions>, store: Arc<Store>, n: usize) -> Vec<u64> {
    let tasks: Vec<_> = (0..n)
        .map(|_| {
            let (versions, store) = (versions.clone(), store.clone());
            tokio::spawn(async move { bump(&versions, &store).await })
        })
        .collect();
    let mut got = Vec::new();
    for task in tasks {
        got.push(task.await.unwrap());
    }
    got
}

#[tokio::main]
async fn main() {
    let store = Arc::new(Store::new(vec![Duration::from_millis(20)]));
    let got = bump_concurrently(Arc::new(Versions::new()), store.clone(), 5).await;
    println!("the bumps got {got:?}");
    println!("the store saved {:?}", store.saved.lock().unwrap());
}
