// expect: expected Err(TimedOut) after the 500ms timeout
// Wrong fix: the timeout taken out, and with it the double `?` that confused inference.
// async_blocks3: `?` inside an async block
//
// An async block is a good way to group several steps into one future, for example to put a
// single timeout around all of them. `?` works inside the block, but it returns from the
// *block*, not from the enclosing function: the error becomes the block's output.
//
// That raises a question the compiler cannot always answer. `?` converts the error with
// `From::from` into whatever error type the block returns, and a block, unlike a function,
// has no declared return type. When nothing else pins that type down, you get:
//
//     error[E0282]: type annotations needed
//
// Below, nothing decides it. The `?`s inside the block need an error type that a
// `ConfigError` and a `ParseIntError` can be converted into; the `?` applied to the block's
// result after the timeout needs one that can be converted into a `ConfigError`. `ConfigError`
// itself fits all three, but the compiler does not pick a type from requirements like these:
// it asks you to name it.
//
// The usual fix is to say what the block returns at its `Ok`: `Ok::<u16, ConfigError>(port)`.
// (There is no syntax for writing a return type on an async block itself.)
//
// `read_port` below looks a key up in a slow configuration store and parses it as a port
// number, all within a timeout. Make it compile; every error must reach the caller.

use std::collections::HashMap;
use std::num::ParseIntError;
use std::time::Duration;

use tokio::time::{sleep, timeout};

#[derive(Debug, Clone, PartialEq)]
enum ConfigError {
    /// The key is not in the store.
    Missing(String),
    /// The value is not a port number.
    NotAPort(ParseIntError),
    /// The store did not answer in time.
    TimedOut,
}

// This lets `?` turn a failed `parse` into a `ConfigError`.
impl From<ParseIntError> for ConfigError {
    fn from(err: ParseIntError) -> Self {
        ConfigError::NotAPort(err)
    }
}

/// A pretend remote configuration store that answers after `latency`.
struct Store {
    values: HashMap<String, String>,
    latency: Duration,
}

impl Store {
    async fn get(&self, key: &str) -> Result<String, ConfigError> {
        sleep(self.latency).await;
        self.values
            .get(key)
            .cloned()
            .ok_or_else(|| ConfigError::Missing(key.to_string()))
    }
}

/// How long `read_port` waits for the store, in total.
const TIMEOUT: Duration = Duration::from_millis(500);

/// Reads `key` from the store and parses it as a port number.
async fn read_port(store: &Store, key: &str) -> Result<u16, ConfigError> {
    let text = store.get(key).await?;
    let port: u16 = text.trim().parse()?;
    Ok(port)
}

#[tokio::main]
async fn main() {
    let store = Store {
        values: HashMap::from([
            ("http".to_string(), "8080".to_string()),
            ("admin".to_string(), "eighty".to_string()),
        ]),
        latency: Duration::from_millis(100),
    };
    for key in ["http", "admin", "ssh"] {
        println!("{key}: {:?}", read_port(&store, key).await);
    }
}
