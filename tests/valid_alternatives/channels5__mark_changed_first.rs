// channels5: only the latest value matters
//
// Some values are events: every one of them counts, in order (orders, log lines, chat
// messages). Others are a *state*: the current configuration, the current leader, "are we
// shutting down?". For a state, only the newest value matters. A reader that was busy while
// the configuration changed three times needs the configuration as it is now, not the three
// steps in between.
//
// An `mpsc` channel delivers every value, so a slow reader works its way through stale
// configurations, applying each one (and undoing it with the next) long after it was
// replaced. `tokio::sync::watch` is made for states: it holds one value, and sending
// replaces it.
//
//     let (tx, mut rx) = watch::channel(initial);
//     tx.send_replace(new);              // the value is now `new`, whoever is looking
//     rx.borrow_and_update().clone()     // the current value, now marked as seen by `rx`
//     rx.changed().await                 // waits for a value newer than the last one seen;
//                                        // `Err` once the sender is gone
//
//     published   v1 .. v2 v3 v4 ............... v5
//     watcher     apply v1 (busy) ... apply v4 .. apply v5     v2 and v3 are never applied
//
// `borrow()` gives the current value too, but without marking it seen: the next `changed()`
// then reports that same value as new.
//
// The configuration watcher below applies every configuration ever published, in turn.
// Make it apply only the newest.

use std::time::Duration;

use tokio::sync::watch;

#[derive(Clone, Debug, PartialEq)]
struct Config {
    version: u32,
    max_connections: u32,
}

/// Where new configurations are published.
struct Publisher {
    tx: watch::Sender<Config>,
}

/// What the watcher reads configurations from.
struct Watcher {
    rx: watch::Receiver<Config>,
}

/// A publisher and a watcher, starting from the `initial` configuration.
fn config_channel(initial: Config) -> (Publisher, Watcher) {
    // A watch channel holds one value: publishing replaces it, so nothing stale piles up.
    let (tx, rx) = watch::channel(initial);
    (Publisher { tx }, Watcher { rx })
}

impl Publisher {
    /// Makes `config` the current configuration.
    fn publish(&self, config: Config) {
        // `send_replace` stores the value even when no watcher is listening (yet).
        self.tx.send_replace(config);
    }
}

/// Applies the current configuration at once, then, each time it changes, the newest one,
/// skipping configurations that were replaced before the watcher got to them. Returns when
/// the publisher is gone.
async fn run_watcher(mut watcher: Watcher, mut apply: impl AsyncFnMut(Config)) {
    // `borrow_and_update` reads the current value and marks it seen, so `changed` waits for a
    // newer one. While `apply` runs, new values simply replace each other in the channel;
    // `changed` then wakes once, and we read only the newest. It fails once the publisher is
    // gone, which ends the loop.
    // Marking the current value unseen makes the first `changed` return at once.
    watcher.rx.mark_changed();
    while watcher.rx.changed().await.is_ok() {
        let config = watcher.rx.borrow_and_update().clone();
        apply(config).await;
    }
}

#[tokio::main]
async fn main() {
    let config = |version, max_connections| Config {
        version,
        max_connections,
    };
    let (publisher, watcher) = config_channel(config(1, 100));
    let apply = async |config: Config| {
        println!("applying {config:?}");
        // Applying a configuration takes a while: reconnecting, resizing pools...
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let watching = tokio::spawn(run_watcher(watcher, apply));
    tokio::time::sleep(Duration::from_millis(10)).await;
    for version in 2..=5 {
        publisher.publish(config(version, 100 + version * 10));
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    drop(publisher);
    watching.await.unwrap();
}
