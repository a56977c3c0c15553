// expect: it is blocked. A `block_on` inside async code
// Wrong fix: the futures crate's block_on does not panic; it blocks the runtime's thread while
// the sleep waits for a timer that only that thread can fire, forever. Only the time limit
// stops it.
// blocking4: no block_on inside async code
//
// `block_on` is the bridge from synchronous code into async code (01_async_fn): the thread
// that calls it stops and drives a future until it is done. That is right at the edge of a
// program, in `main` or in a plain function called from synchronous code, where the thread
// has nothing better to do.
//
// Inside async code it is wrong twice over. The thread that would stop is a runtime thread,
// the one that should be running your tasks; and the future being driven may need that very
// runtime (its timers, its I/O, the tasks it waits for) to make progress. Tokio refuses
// instead of deadlocking:
//
//     async fn start_app(..) {
//         setting(..)             // a sync helper that calls Handle::current().block_on(..)
//     }                           // panics: "Cannot start a runtime from within a runtime"
//
// Inside async code, there is no need for a bridge: you are already on the async side, so
// call the async function and `.await` it. Helpers like `setting` below usually exist
// because someone needed async results in sync code; once the caller is async, go around
// them. (`futures::executor::block_on` does not panic, but on a runtime thread it can block
// forever, waiting for a timer that only that same thread could fire.)
//
// `start_app` below panics at its first line.

use std::collections::HashMap;
use std::time::Duration;

use tokio::time::sleep;

// A pretend remote configuration service: every lookup takes `latency`.
struct ConfigService {
    latency: Duration,
    values: HashMap<String, String>,
}

impl ConfigService {
    fn new(latency: Duration, values: &[(&str, &str)]) -> Self {
        let values = values
            .iter()
            .map(|&(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Self { latency, values }
    }
}

async fn fetch_setting(service: &ConfigService, key: &str) -> String {
    sleep(service.latency).await;
    service.values.get(key).cloned().unwrap_or_default()
}

// A bridge for synchronous callers: waits for a setting by blocking the thread.
fn setting(service: &ConfigService, key: &str) -> String {
    futures::executor::block_on(fetch_setting(service, key))
}

// Starts the app: looks up its name and its message of the day, and returns the banner.
async fn start_app(service: &ConfigService) -> String {
    // TODO: `setting` blocks on a future, and this is async code running on the runtime.
    // Get the two settings without blocking.
    let name = setting(service, "app.name");
    let motd = setting(service, "app.motd");
    format!("{name}: {motd}")
}

#[tokio::main]
async fn main() {
    let service = ConfigService::new(
        Duration::from_millis(30),
        &[
            ("app.name", "asynclings"),
            ("app.motd", "have you awaited it?"),
        ],
    );
    println!("{}", start_app(&service).await);
}
