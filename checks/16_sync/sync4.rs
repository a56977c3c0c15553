// Checks for sync4: concurrent first callers share one initialization.
//
// The checks bring an auth server that counts its fetches, numbers the tokens it hands out,
// takes a fixed time per fetch and fails the fetches they choose.
//
// Mistakes a learner makes here, and how each is caught:
// - check, fetch, store (as shipped, or with `std::sync::OnceLock::set`, or a `tokio::sync::Mutex`
//   released before the fetch): a burst of first callers makes one fetch each; exactly one
//   fetch is allowed.
// - `get_or_init` with an `unwrap`/`expect` on the fetch: a failed fetch panics instead of
//   reaching the caller as an `Err`.
// - the `Result` itself stored (`OnceCell<Result<..>>`): the error is kept and every later
//   call fails; a later call must fetch again and succeed.
// - one cell for the whole program (a `static`): two clients of two auth servers must get
//   their own tokens.
// - the token fetched eagerly in `new` (a spawned fetch): no fetch may happen before the first
//   use.
// - a made-up token (bypassing the server): tokens are the checks' own.
// - callers served one after another: the burst must be answered at the time of one fetch.

use super::{Auth, Client};

use std::panic::AssertUnwindSafe;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use asynclings_support::watchdog;
use futures::FutureExt;
use tokio::time::Instant;

const LIMIT: Duration = Duration::from_secs(10);
const FETCH: Duration = Duration::from_millis(35);

/// An auth server whose fetches take 35ms; the nth fetch gives `{name}-{n}`, or fails if n
/// is in `failing`.
struct TestAuth {
    name: &'static str,
    fetches: AtomicUsize,
    failing: Mutex<Vec<usize>>,
}

impl TestAuth {
    fn new(name: &'static str, failing: &[usize]) -> Self {
        TestAuth {
            name,
            fetches: AtomicUsize::new(0),
            failing: Mutex::new(failing.to_vec()),
        }
    }
}

impl Auth for TestAuth {
    async fn fetch_token(&self) -> Result<String, String> {
        let n = self.fetches.fetch_add(1, Ordering::SeqCst) + 1;
        tokio::time::sleep(FETCH).await;
        if self.failing.lock().unwrap().contains(&n) {
            Err(format!("{} is down", self.name))
        } else {
            Ok(format!("{}-{n}", self.name))
        }
    }
}

fn fetches(client: &Client<TestAuth>) -> usize {
    client.auth.fetches.load(Ordering::SeqCst)
}

async fn token(client: &Client<TestAuth>, what: &str) -> Result<String, String> {
    let call = AssertUnwindSafe(client.token()).catch_unwind();
    match watchdog(LIMIT, what, call).await {
        Ok(result) => result,
        Err(payload) => {
            let text = payload
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            panic!(
                "{what} panicked ({text:?}); the first fetch failed, and that error should \
                 reach the caller as an `Err`. `get_or_try_init` returns it and leaves the \
                 cell empty for the next caller"
            )
        }
    }
}

#[tokio::test(start_paused = true)]
async fn a_burst_of_first_callers_shares_one_fetch() {
    let client = Client::new(TestAuth::new("kestrel", &[]));
    let start = Instant::now();
    let paths = ["/a", "/b", "/c", "/d", "/e", "/f", "/g"];
    let replies = watchdog(
        LIMIT,
        "seven requests at once",
        futures::future::join_all(paths.iter().map(|path| client.get(path))),
    )
    .await;
    let took = start.elapsed();
    let replies: Vec<Result<String, String>> = replies;
    let n = fetches(&client);
    assert_eq!(
        n, 1,
        "seven requests arriving at once on a new client made {n} token fetches; expected \
         exactly one. Checking for a token, fetching and storing it is a race: every caller \
         that checks before the first fetch is back fetches too. `OnceCell::get_or_try_init` \
         runs the fetch once and lets the others wait for it"
    );
    let expected: Vec<Result<String, String>> = paths
        .iter()
        .map(|path| Ok(format!("GET {path} (token kestrel-1)")))
        .collect();
    assert_eq!(
        replies, expected,
        "the replies were {replies:?}; every request should carry the one token fetched"
    );
    assert_eq!(
        took, FETCH,
        "the seven requests took {took:?} of virtual time; sharing one {FETCH:?} fetch, they \
         all have the token after {FETCH:?}"
    );
    let start = Instant::now();
    let again: Result<String, String> = token(&client, "a later token()").await;
    assert_eq!(
        (again, fetches(&client), start.elapsed()),
        (Ok("kestrel-1".to_string()), 1, Duration::ZERO),
        "a later call should reuse the token at once, with no fetch"
    );
}

#[tokio::test(start_paused = true)]
async fn a_failed_fetch_reaches_its_caller_and_is_not_kept() {
    let client = Client::new(TestAuth::new("osprey", &[1]));
    let first: Result<String, String> = token(&client, "token() while the server is down").await;
    assert_eq!(
        first,
        Err("osprey is down".to_string()),
        "the first fetch failed, so the first token() should return that error; it gave \
         {first:?}"
    );
    let second: Result<String, String> = token(&client, "token() after a failure").await;
    assert_eq!(
        second,
        Ok("osprey-2".to_string()),
        "after a failed fetch, the next token() should fetch again (and get osprey-2); it gave \
         {second:?}. A failure must not be kept: `get_or_try_init` leaves the cell empty when \
         the initializer fails"
    );
    let third: Result<String, String> = token(&client, "a third token()").await;
    assert_eq!(
        third,
        Ok("osprey-2".to_string()),
        "a third token() gave {third:?}"
    );
    let n = fetches(&client);
    assert_eq!(
        n, 2,
        "three calls, the first failing, made {n} fetches; expected 2"
    );
}

#[tokio::test(start_paused = true)]
async fn nothing_is_fetched_before_the_first_use() {
    let client = Client::new(TestAuth::new("heron", &[]));
    tokio::time::sleep(Duration::from_millis(500)).await;
    let n = fetches(&client);
    assert_eq!(
        n, 0,
        "a new client, never used, made {n} fetches in 500ms; the token is fetched on first \
         use, not ahead of time"
    );
}

#[tokio::test(start_paused = true)]
async fn each_client_keeps_its_own_token() {
    let one = Client::new(TestAuth::new("wren", &[]));
    let two = Client::new(TestAuth::new("finch", &[]));
    let (a, b) = tokio::join!(token(&one, "one client"), token(&two, "another client"));
    let got: (Result<String, String>, Result<String, String>) = (a, b);
    assert_eq!(
        got,
        (Ok("wren-1".to_string()), Ok("finch-1".to_string())),
        "two clients of two auth servers got {got:?}; each client keeps its own token (a \
         cell in the client, not one for the whole program)"
    );
}
