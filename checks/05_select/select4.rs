// Checks for select4: a finished future must not be polled again.
//
// The checks hand `load_page` their own fetches: each records when it was first polled and
// panics with a lesson if it is polled again after it has finished. The spinner is a closure
// that records the virtual time of every frame.
//
// Mistakes a learner makes on this idea, and how each is caught:
// - No precondition, or the preconditions swapped: a finished fetch is polled again and
//   says so (it names the fetch and the turn), for the config first, the users first, and
//   both at once.
// - A precondition on one fetch only: the other order polls the unguarded one again.
// - Awaiting one fetch, then the other (with or without the spinner): each fetch records
//   when it was first polled, and both must start at 0ms.
// - Dropping the spinner (a plain `join!`), or making up the frames afterwards from the
//   elapsed time (calling `spin` n times after the fetches are done): the frames are sampled
//   as they happen, at their virtual times, not only counted at the end.
// - Polling the fetches now and then instead of being woken: the fetches count their polls.
// - Hard-coding the results: the fetches' texts and latencies are the checks' own.

use super::load_page;

use std::cell::RefCell;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};
use std::time::Duration;

use asynclings_support::timeline::{self, Timeline};
use futures::FutureExt;
use tokio::time::Instant;

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// What a check fetch saw: when it was first polled, and how many times.
#[derive(Default)]
struct Seen {
    first_poll: Option<Duration>,
    /// When it returned Ready.
    done_at: Option<Duration>,
    polls: usize,
}

/// A fetch of `what` that takes `latency`, answers `text`, and panics with a lesson if it is
/// polled again after it has answered.
struct Fetch {
    what: &'static str,
    start: Instant,
    inner: Pin<Box<dyn Future<Output = String>>>,
    done: bool,
    seen: Rc<RefCell<Seen>>,
}

fn fetch(what: &'static str, latency: Duration, text: String) -> (Fetch, Rc<RefCell<Seen>>) {
    let seen = Rc::new(RefCell::new(Seen::default()));
    let inner = Box::pin(async move {
        tokio::time::sleep(latency).await;
        text
    });
    let fetch = Fetch {
        what,
        start: Instant::now(),
        inner,
        done: false,
        seen: seen.clone(),
    };
    (fetch, seen)
}

impl Future for Fetch {
    type Output = String;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<String> {
        let at = self.start.elapsed();
        if self.done {
            panic!(
                "the {} fetch was polled again at {at:?}, after it had finished. When the first \
                 fetch is done, the loop goes on (it still waits for the other) and its select! \
                 polls the finished future again; a future must not be polled once it has \
                 returned Ready (an async fn's future panics). Add a precondition to each fetch \
                 branch, `c = &mut config_fetch, if config.is_none() => ...`, so that a fetch \
                 is polled only while its result is missing",
                self.what
            );
        }
        {
            let mut seen = self.seen.borrow_mut();
            seen.polls += 1;
            seen.first_poll.get_or_insert(at);
        }
        let polled = self.inner.as_mut().poll(cx);
        if polled.is_ready() {
            self.done = true;
            self.seen.borrow_mut().done_at = Some(at);
        }
        polled
    }
}

fn panic_text(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "(no message)".to_string())
}

/// What one load_page call gave: the two results, the spinner frames' times, when it
/// returned, and when each fetch was first polled and how often.
struct Loaded {
    config: String,
    users: String,
    frames: Vec<Duration>,
    took: Duration,
    config_seen: Seen,
    users_seen: Seen,
}

/// Runs load_page with the checks' fetches, turning a panic or a hang into a lesson.
async fn load(config_latency: u64, users_latency: u64) -> Loaded {
    let start = Instant::now();
    let (config_fetch, config_seen) = fetch(
        "config",
        ms(config_latency),
        format!("config #{}", config_latency * 7 + 3),
    );
    let (users_fetch, users_seen) = fetch(
        "users",
        ms(users_latency),
        format!("{} users", users_latency * 3 + 1),
    );
    let frames = RefCell::new(Vec::new());
    let spin = || frames.borrow_mut().push(start.elapsed());
    let run = AssertUnwindSafe(load_page(config_fetch, users_fetch, spin)).catch_unwind();
    let page = match tokio::time::timeout(Duration::from_secs(10), run).await {
        Err(_) => panic!(
            "load_page({config_latency}ms, {users_latency}ms) was still loading after 10s of \
             virtual time; it should return when both fetches have arrived"
        ),
        Ok(Err(payload)) => panic!(
            "load_page({config_latency}ms, {users_latency}ms) panicked: {}",
            panic_text(payload.as_ref())
        ),
        Ok(Ok(page)) => page,
    };
    let config: String = page.config;
    let users: String = page.users;
    Loaded {
        config,
        users,
        frames: frames.take(),
        took: start.elapsed(),
        config_seen: config_seen.take(),
        users_seen: users_seen.take(),
    }
}

/// The load as it ran: each fetch from its first poll to its answer, the spinner's frames.
fn recorded(loaded: &Loaded) -> Timeline {
    let recorded = Timeline::new();
    for (what, seen) in [
        ("config", &loaded.config_seen),
        ("users", &loaded.users_seen),
    ] {
        match (seen.first_poll, seen.done_at) {
            (Some(start), Some(end)) => recorded.span_at(what, start, end),
            (Some(start), None) => recorded.open_span_at(what, start),
            _ => {}
        }
    }
    recorded.declare_instants("spin");
    for &frame in &loaded.frames {
        recorded.instant_at("spin", frame);
    }
    recorded.end_at(loaded.took);
    recorded
}

/// The load as it should run: both fetches from 0ms, a frame every 50ms until the last.
fn expected(config_latency: u64, users_latency: u64, frames: &[Duration]) -> Timeline {
    let expected = Timeline::new();
    expected.span_at("config", ms(0), ms(config_latency));
    expected.span_at("users", ms(0), ms(users_latency));
    for &frame in frames {
        expected.instant_at("spin", frame);
    }
    expected.end_at(ms(config_latency.max(users_latency)));
    expected
}

/// Checks one load against the expected frames (at 0, 50, 100ms ... before `last`).
fn check(config_latency: u64, users_latency: u64, loaded: Loaded) {
    let name = format!("load_page({config_latency}ms, {users_latency}ms)");
    let expected_config = format!("config #{}", config_latency * 7 + 3);
    let expected_users = format!("{} users", users_latency * 3 + 1);
    assert!(
        loaded.config == expected_config && loaded.users == expected_users,
        "{name} gave config {:?} and users {:?}; expected what the two fetches it was handed \
         answered, {expected_config:?} and {expected_users:?}",
        loaded.config,
        loaded.users
    );
    let expected_frames: Vec<Duration> = (0..)
        .map(|i| ms(50 * i))
        .take_while(|&t| t < ms(config_latency.max(users_latency)))
        .collect();
    let (recorded, expected) = (
        recorded(&loaded),
        expected(config_latency, users_latency, &expected_frames),
    );
    let starts = (loaded.config_seen.first_poll, loaded.users_seen.first_poll);
    timeline::assert_eq(
        starts,
        (Some(ms(0)), Some(ms(0))),
        &recorded,
        Some(&expected),
        || {
            format!(
                "{name}: the config fetch was first polled at {:?} and the users fetch at {:?} (virtual \
         time); both should start at once, at 0ms, and run at the same time. Is one awaited \
         before the other is polled?",
                starts.0, starts.1
            )
        },
    );
    let last = config_latency.max(users_latency);
    timeline::assert_eq(loaded.took, ms(last), &recorded, Some(&expected), || {
        format!(
            "{name} took {:?} of virtual time; the fetches run at the same time, so it should take \
         {last}ms",
            loaded.took
        )
    });
    timeline::assert_eq(
        &loaded.frames,
        &expected_frames,
        &recorded,
        Some(&expected),
        || {
            format!(
                "{name}: the spinner turned at {:?} (virtual time); expected a frame every 50ms while the \
         fetches run, at {expected_frames:?}. The spinner must turn while the page loads, in the \
         same select! loop as the fetches (frames counted or made up afterwards are not a \
         spinner)",
                loaded.frames
            )
        },
    );
    let polls = (loaded.config_seen.polls, loaded.users_seen.polls);
    assert!(
        polls.0 <= 2 * expected_frames.len() + 3 && polls.1 <= 2 * expected_frames.len() + 3,
        "{name}: the config fetch was polled {} times and the users fetch {} times; a loop that \
         waits on the fetches and the spinner polls them about once per turn. Is it polling \
         them now and then instead of waiting to be woken?",
        polls.0,
        polls.1
    );
}

#[tokio::test(start_paused = true)]
async fn both_results_arrive_when_the_config_comes_first() {
    let loaded = load(70, 180).await;
    check(70, 180, loaded);
}

#[tokio::test(start_paused = true)]
async fn both_results_arrive_when_the_users_come_first() {
    let loaded = load(260, 35).await;
    check(260, 35, loaded);
}

#[tokio::test(start_paused = true)]
async fn both_results_arrive_when_they_finish_together() {
    let loaded = load(95, 95).await;
    check(95, 95, loaded);
}

#[tokio::test(start_paused = true)]
async fn a_quick_page_turns_the_spinner_once() {
    let loaded = load(12, 9).await;
    check(12, 9, loaded);
}
