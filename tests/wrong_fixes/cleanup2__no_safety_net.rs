// expect: Keep the task that `drop` spawns
// Wrong fix: the spawned unlock is taken out of drop altogether; a lease dropped without
// release (a cancelled rebuild) is never unlocked.
// cleanup2: clean-up that never happens
//
// `Drop` cannot await (cleanup1). A common way around it is to spawn the async clean-up from
// `drop`, and return:
//
//     impl Drop for Lease {
//         fn drop(&mut self) {
//             let server = self.server.clone();
//             tokio::spawn(async move { server.unlock(..).await });   // and hope
//         }
//     }
//
// It looks fine, and while the program runs it mostly works. But nobody waits for that task:
//
// - The code that dropped the lease goes on at once, before the unlock has happened. Whatever
//   it does next may still find the lock held.
// - When the runtime shuts down (at the end of `#[tokio::main]`'s `main`, or when a `Runtime`
//   is dropped), every task that has not finished is dropped at the `.await` where it waits,
//   and never resumes. Clean-up that was spawned and has not finished by then never happens,
//   and nothing tells you.
//
//     rebuild:  lock daily, build, drop ─┐   lock weekly, build, drop ─┐   return
//     task:                              └── unlock daily ── done       │
//     task:                                                             └── unlock weekly ..
//     the runtime is dropped when rebuild returns: the last task goes with it, unfinished
//
// So a task spawned from `Drop` is a safety net, for values dropped on paths you did not plan
// for (a cancelled future, a panic). On the normal path, do the clean-up yourself and await it:
//
//     lease.release().await;        // when this returns, the server has unlocked
//
// and let `drop` know that nothing is left for it to do.
//
// `rebuild` below rebuilds reports, each under a lock held on a lock server. `main` runs it
// on a runtime, drops the runtime, and then looks at the server: one lock is still held, and
// nobody is left to unlock it.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::sleep;

/// How long building one report takes.
const BUILD_TIME: Duration = Duration::from_millis(150);

/// A lock server somewhere on the network (here, in memory): every call takes a round trip.
/// (Nothing to change here.)
struct LockServer {
    round_trip: Duration,
    held: Mutex<Vec<String>>,
    stray_unlocks: AtomicUsize,
}

impl LockServer {
    fn new(round_trip: Duration) -> Arc<Self> {
        Arc::new(Self {
            round_trip,
            held: Mutex::new(Vec::new()),
            stray_unlocks: AtomicUsize::new(0),
        })
    }

    /// Takes the lock on `name`.
    async fn lock(self: &Arc<Self>, name: &str) -> Lease {
        sleep(self.round_trip).await;
        self.held.lock().unwrap().push(name.to_string());
        Lease::new(name.to_string(), self.clone())
    }

    /// Gives up the lock on `name`; returns once the server has done so.
    async fn unlock(&self, name: &str) {
        sleep(self.round_trip).await;
        let mut held = self.held.lock().unwrap();
        match held.iter().position(|held| held == name) {
            Some(at) => {
                held.remove(at);
            }
            None => {
                self.stray_unlocks.fetch_add(1, Ordering::SeqCst);
            }
        }
    }

    /// The locks held right now.
    fn held(&self) -> Vec<String> {
        self.held.lock().unwrap().clone()
    }

    /// How often the server was asked to unlock a lock that was not held.
    fn stray_unlocks(&self) -> usize {
        self.stray_unlocks.load(Ordering::SeqCst)
    }
}

/// A lock held on the server. Give it back with `release().await`.
struct Lease {
    name: String,
    server: Arc<LockServer>,
}

impl Lease {
    fn new(name: String, server: Arc<LockServer>) -> Self {
        Self { name, server }
    }

    /// Unlocks on the server, and returns once the server has unlocked.
    async fn release(self) {
        self.server.unlock(&self.name).await;
        // The server has unlocked: `drop`, which runs when `self` goes out of scope just
        // below, has nothing left to do. (Were this future dropped half-way through the
        // unlock, `released` would still be false, and `drop`'s safety net would unlock.)
    }
}

/// Rebuilds each report under its own lock. Every lock is free again when it returns.
async fn rebuild(server: &Arc<LockServer>, reports: &[&str]) -> Vec<String> {
    let mut built = Vec::new();
    for report in reports {
        let lease = server.lock(report).await;
        sleep(BUILD_TIME).await;
        built.push(format!("{report} rebuilt"));
        // Awaited here, the unlock is done before the next report, and before rebuild
        // returns: nothing is left to a task that a runtime shutting down would drop.
        lease.release().await;
    }
    built
}

fn main() {
    let server = LockServer::new(Duration::from_millis(20));
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let built = runtime.block_on(rebuild(&server, &["daily", "weekly", "monthly"]));
    // Dropping the runtime drops every task still in it, finished or not.
    drop(runtime);
    println!("built: {built:?}");
    println!("still locked on the server: {:?}", server.held());
}
