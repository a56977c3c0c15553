// Mistakes learners make on choosing static or dynamic dispatch, and how each is caught:
// - an impl of `DynPlugin` for each plugin instead of one blanket impl: the checks' own plugin
//   implements only `Plugin` and must be registered (compile error).
// - a registry generic over one plugin type, or an enum of the known plugins: the checks mix
//   three plugin types in one registry (compile error).
// - the static path (`serve_batch`) going through `dyn`/`handle_boxed`, or boxing each call:
//   the future of `serve_batch` must hold the plugin's future inline (its size is compared
//   with a plugin whose future is 16 KiB).
// - requests served at once instead of in turn, calls skipped or repeated: virtual time and
//   the plugin's call count compared exactly.
// - answers compared as plain strings, for plugins and requests the exercise does not show.

use super::{Greeter, Plugin, Registry, Upper, serve_batch};

use std::cell::Cell;
use std::time::Duration;

use asynclings_support::watchdog;
use tokio::time::{Instant, sleep};

const LIMIT: Duration = Duration::from_secs(10);

/// A plugin of the checks' own: it writes `request` backwards and counts its calls. It
/// implements `Plugin` only; the registry must accept it all the same.
#[derive(Default)]
struct Backwards {
    calls: Cell<u32>,
}

impl Plugin for Backwards {
    async fn handle(&self, request: &str) -> String {
        self.calls.set(self.calls.get() + 1);
        sleep(Duration::from_millis(12)).await;
        request.chars().rev().collect()
    }
}

/// A plugin whose future is large: it keeps a 16 KiB scratch buffer across an await. Stored
/// inline, its future makes any future that awaits it at least as large.
struct Heavy;

impl Plugin for Heavy {
    async fn handle(&self, request: &str) -> String {
        let mut scratch = [0u8; 16 * 1024];
        scratch[request.len() % 1024] = 1;
        sleep(Duration::from_millis(3)).await;
        format!("{request}:{}", scratch.iter().filter(|&&b| b == 1).count())
    }
}

// If this fails to compile, `Backwards` (which implements only `Plugin`) cannot be put in the
// registry: is `DynPlugin` implemented for every `P: Plugin`, with one blanket impl? A
// `Registry` that is generic over one plugin type cannot hold `Upper`, `Greeter` and
// `Backwards` side by side: it must keep `Box<dyn DynPlugin>`s.
fn registry() -> Registry {
    let mut registry = Registry::default();
    registry.register("rev", Backwards::default());
    registry.register(
        "greet",
        Greeter {
            greeting: "Salve".to_string(),
        },
    );
    registry.register("caps", Upper);
    registry
}

#[tokio::test(start_paused = true)]
async fn the_registry_dispatches_by_name() {
    let registry = registry();
    for (name, request, expected) in [
        ("rev", "stressed", Some("desserts")),
        ("greet", "Marcus", Some("Salve, Marcus!")),
        ("caps", "tiny", Some("TINY")),
        ("nobody", "hello?", None),
    ] {
        let answer: Option<String> = watchdog(
            LIMIT,
            "Registry::dispatch",
            registry.dispatch(name, request),
        )
        .await;
        assert_eq!(
            answer.as_deref(),
            expected,
            "dispatch({name:?}, {request:?}) gave {answer:?}; expected {expected:?}"
        );
    }
}

#[tokio::test(start_paused = true)]
async fn serve_batch_answers_every_request_in_turn() {
    let plugin = Backwards::default();
    let start = Instant::now();
    let answers: Vec<String> = watchdog(
        LIMIT,
        "serve_batch",
        serve_batch(&plugin, &["lager", "reviled", "stop"]),
    )
    .await;
    let took = start.elapsed();
    assert_eq!(
        answers,
        ["regal", "deliver", "pots"],
        "serve_batch through a plugin that reverses its request gave {answers:?}"
    );
    assert_eq!(
        plugin.calls.get(),
        3,
        "serve_batch of 3 requests called the plugin {} times",
        plugin.calls.get()
    );
    assert_eq!(
        took,
        Duration::from_millis(36),
        "serve_batch of 3 requests to a 12ms plugin took {took:?} of virtual time; one after \
         another, as before, they take 36ms"
    );
}

#[test]
fn serve_batch_keeps_the_plugin_future_inline() {
    let one_call = std::mem::size_of_val(&Heavy.handle("x"));
    let requests = ["a", "b"];
    let batch = std::mem::size_of_val(&serve_batch(&Heavy, &requests));
    assert!(
        batch >= one_call,
        "the future of serve_batch(&Heavy, ..) is {batch} bytes, but one `Heavy::handle` \
         future alone is {one_call} bytes: serve_batch does not hold the plugin's futures \
         itself, it keeps them in boxes on the heap, one allocation per request. It knows the \
         plugin's type at compile time: call `plugin.handle(request).await` (static dispatch), \
         not `handle_boxed` through `dyn DynPlugin`"
    );
}
