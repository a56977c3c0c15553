// Valid alternative: `futures::future::try_join3`, the function form.
// join3: stop at the first error
//
// `join!` waits for *every* future, even when one of them has already failed and the whole
// result is going to be an error anyway:
//
//     name    |-- ok -------------------|
//     avatar  |- fails -|                            join! returns here, at 200ms
//     friends |-------------- ok ----------------------|
//                       ^ the answer was known here, at 30ms
//
// When the futures return `Result`s and one error spoils the whole result, use
// `tokio::try_join!`. It returns `Ok` with all the values when every future succeeds, and
// returns the first `Err` as soon as it happens. The futures that were still running are
// dropped on the spot: they are cancelled, and their unfinished requests are abandoned.
//
// `load_profile` below waits for all three requests before it looks at any error. Make it
// fail fast.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::time::sleep;
use futures::future::try_join3;

#[derive(Debug, Clone, PartialEq)]
enum FetchError {
    /// The named backend is down.
    Unavailable(&'static str),
}

/// A pretend backend. It answers after `latency`, or fails after `latency` when `down`.
/// It counts the requests that started and the ones that ran to the end.
struct Backend {
    name: &'static str,
    latency: Duration,
    down: bool,
    started: AtomicUsize,
    finished: AtomicUsize,
}

impl Backend {
    fn new(name: &'static str, latency: Duration, down: bool) -> Self {
        let (started, finished) = (AtomicUsize::new(0), AtomicUsize::new(0));
        Backend {
            name,
            latency,
            down,
            started,
            finished,
        }
    }

    async fn get(&self, user: u32) -> Result<String, FetchError> {
        self.started.fetch_add(1, Ordering::SeqCst);
        sleep(self.latency).await;
        self.finished.fetch_add(1, Ordering::SeqCst);
        if self.down {
            Err(FetchError::Unavailable(self.name))
        } else {
            Ok(format!("{} of user {user}", self.name))
        }
    }
}

#[derive(Debug, PartialEq)]
struct Profile {
    name: String,
    avatar: String,
    friends: String,
}

/// Loads a user's profile from three backends; fails with the first backend error.
async fn load_profile(
    name: &Backend,
    avatar: &Backend,
    friends: &Backend,
    user: u32,
) -> Result<Profile, FetchError> {
    let (name, avatar, friends) =
        try_join3(name.get(user), avatar.get(user), friends.get(user)).await?;
    Ok(Profile {
        name,
        avatar,
        friends,
    })
}

#[tokio::main]
async fn main() {
    let ms = Duration::from_millis;
    let name = Backend::new("name", ms(120), false);
    let avatar = Backend::new("avatar", ms(30), true);
    let friends = Backend::new("friends", ms(200), false);

    let start = tokio::time::Instant::now();
    let profile = load_profile(&name, &avatar, &friends, 7).await;
    println!("{profile:?} after {:?}", start.elapsed());
}
