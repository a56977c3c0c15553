// expect: A failure must not be kept
// Wrong fix: the fetch's `Result` stored in the cell, so a failure is remembered for good.
// sync4: one initialization for everyone: `OnceCell`
//
// Some values are expensive to get and never change once you have them: a token from an auth
// server, a connection pool, a configuration read over the network. The usual plan is to get
// it on first use and keep it. The usual bug is in "first": check, find nothing, fetch, store.
// When ten requests arrive at once, all ten check before any fetch is back, all ten find
// nothing, and the auth server gets ten requests for the same token (a thundering herd):
//
//     request 1  check: none |---- fetch ----| store
//     request 2  check: none |---- fetch ----| store
//     request 3  check: none |---- fetch ----| store
//
// `tokio::sync::OnceCell` makes the first call the only one. Its async initializer runs once;
// callers that arrive while it runs wait for it and share its value; later callers get the
// value at once:
//
//     let value: &T = cell.get_or_init(|| async { fetch().await }).await;
//     let value: &T = cell.get_or_try_init(|| async { try_fetch().await }).await?;
//
// With `get_or_try_init`, a failure is returned to the caller whose initializer failed and is
// *not* stored: the next caller runs the initializer again. (If the caller running the
// initializer is cancelled, the next waiting caller takes over.)
//
// `std::sync::OnceLock` cannot do this in async code: its initializer is a plain closure, which
// cannot `.await`. Holding a `tokio::sync::Mutex<Option<T>>` across the fetch also works; the
// cell says what you mean, and after the first call reading it takes no lock at all.
//
// Below, a client gets its token on first use. Under a burst of first requests, it asks the
// auth server once per request. Ask once.

use std::future::Future;
use std::time::Duration;

use tokio::sync::OnceCell;

/// The auth server. (The checks bring their own.)
trait Auth: Send + Sync + 'static {
    /// Asks for a token. Slow, and it may fail.
    fn fetch_token(&self) -> impl Future<Output = Result<String, String>> + Send;
}

struct Client<A> {
    auth: A,
    // TODO: a place for a value that is fetched once, by whichever caller comes first.
    token: OnceCell<Result<String, String>>,
}

impl<A: Auth> Client<A> {
    /// A client; it fetches nothing until it is first used.
    fn new(auth: A) -> Self {
        Client {
            auth,
            token: OnceCell::new(),
        }
    }

    /// The token: fetched on first use, then reused. A failed fetch is returned to the caller
    /// and not kept, so a later call tries again.
    async fn token(&self) -> Result<String, String> {
        // TODO: every caller that arrives before the first fetch is back fetches too.
        self.token
            .get_or_init(|| self.auth.fetch_token())
            .await
            .clone()
    }

    /// Sends a request with the token.
    async fn get(&self, path: &str) -> Result<String, String> {
        let token = self.token().await?;
        Ok(format!("GET {path} (token {token})"))
    }
}

/// A pretend auth server that counts its requests.
struct Server {
    requests: std::sync::atomic::AtomicUsize,
}

impl Auth for Server {
    async fn fetch_token(&self) -> Result<String, String> {
        let n = self
            .requests
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst)
            + 1;
        tokio::time::sleep(Duration::from_millis(50)).await;
        Ok(format!("t{n}"))
    }
}

#[tokio::main]
async fn main() {
    let server = Server {
        requests: Default::default(),
    };
    let client = Client::new(server);
    let paths = ["/inbox", "/contacts", "/calendar", "/settings"];
    let replies = futures::future::join_all(paths.iter().map(|path| client.get(path))).await;
    for reply in replies {
        println!("{reply:?}");
    }
    println!("{:?} tokens asked for", client.auth.requests);
}
