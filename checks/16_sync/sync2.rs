// Checks for sync2: owned permits, moved into the tasks, come back on every path.
//
// The checks bring a store that counts the uploads in flight (and their peak), fails or
// panics on the files they choose, and hand `upload_all` a semaphore they keep a handle to,
// so they can count its permits and its owners afterwards.
//
// Mistakes a learner makes here, and how each is caught:
// - the permit given back by hand, only on success (as shipped): after as many failures as
//   there are permits, nothing runs; `upload_all` must finish, with every permit back.
// - `add_permits(1)` added to the error path too, but not to the panic path: a store that
//   panics on one file; its permit must come back all the same.
// - the permit dropped at the end of the loop body, before the upload ends (for example
//   `let _permit = slots.acquire().await` next to the spawn): the peak in flight exceeds it.
// - the permit taken inside each task, after spawning all of them: the number of alive tasks
//   is sampled mid-way and must not exceed the permits.
// - a semaphore of one's own with a hard-coded size, or `buffer_unordered` sized from the
//   permits (bypassing the shared pool): two uploaders share one semaphore and their combined
//   peak must stay within it; the checks use sizes the exercise does not show.
// - uploads awaited one after another (sequencing disguised as concurrency): exact virtual
//   time of a greedy schedule over the permits.
// - a permit or an `Arc` of the semaphore leaked: the semaphore's strong count and available
//   permits are checked after `upload_all` returns.

use super::{Store, upload_all};

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use asynclings_support::timeline::{self, Timeline};
use asynclings_support::{InFlight, watchdog};
use tokio::sync::Semaphore;
use tokio::time::Instant;

const LIMIT: Duration = Duration::from_secs(60);

/// A store whose uploads take a millisecond per byte; it refuses some files and panics on
/// others.
struct TestStore {
    /// The uploads in flight over time (the permits are the limit).
    recorded: Timeline,
    in_flight: InFlight,
    refuse: HashSet<String>,
    panic_on: HashSet<String>,
}

impl TestStore {
    fn new(permits: usize, refuse: &[&str], panic_on: &[&str]) -> Self {
        let recorded = Timeline::new();
        TestStore {
            in_flight: recorded.in_flight("in flight", Some(permits)),
            recorded,
            refuse: refuse.iter().map(|s| s.to_string()).collect(),
            panic_on: panic_on.iter().map(|s| s.to_string()).collect(),
        }
    }
}

impl Store for TestStore {
    async fn put(&self, name: String, bytes: Vec<u8>) -> Result<(), String> {
        let _guard = self.in_flight.enter();
        tokio::time::sleep(Duration::from_millis(bytes.len() as u64)).await;
        if self.panic_on.contains(&name) {
            panic!("the store crashed on {name} (the checks make it panic on purpose)");
        }
        if self.refuse.contains(&name) {
            return Err(format!("{name} refused"));
        }
        Ok(())
    }
}

fn files(spec: &[(&str, usize)]) -> Vec<(String, Vec<u8>)> {
    spec.iter()
        .map(|&(name, ms)| (name.to_string(), vec![1; ms]))
        .collect()
}

/// How long a greedy schedule takes: each file starts as soon as one of `permits` is free.
fn greedy(spec: &[(&str, usize)], permits: usize) -> Duration {
    let mut free_at = vec![0; permits];
    for &(_, ms) in spec {
        let slot = (0..permits).min_by_key(|&i| free_at[i]).unwrap();
        free_at[slot] += ms;
    }
    Duration::from_millis(*free_at.iter().max().unwrap() as u64)
}

/// The uploads in flight under a greedy schedule over `permits`, as a timeline.
fn greedy_run(spec: &[(&str, usize)], permits: usize) -> Timeline {
    let mut free_at = vec![0; permits];
    let mut changes: Vec<(usize, i32)> = Vec::new();
    for &(_, ms) in spec {
        let slot = (0..permits).min_by_key(|&i| free_at[i]).unwrap();
        changes.push((free_at[slot], 1));
        free_at[slot] += ms;
        changes.push((free_at[slot], -1));
    }
    // At one instant, the uploads ending before those starting.
    changes.sort();
    let expected = Timeline::new();
    let mut count = 0;
    for (i, &(at, change)) in changes.iter().enumerate() {
        count += change;
        if changes.get(i + 1).is_none_or(|next| next.0 != at) {
            let at = Duration::from_millis(at as u64);
            expected.count_at("in flight", Some(permits), at, count as usize);
        }
    }
    expected.end_at(greedy(spec, permits));
    expected
}

/// Runs `upload_all` under a watchdog that explains a hang by the permits left.
async fn run(
    store: &Arc<TestStore>,
    slots: &Arc<Semaphore>,
    spec: &[(&str, usize)],
) -> (Vec<Result<(), String>>, Duration) {
    let start = Instant::now();
    let upload = upload_all(store.clone(), slots.clone(), files(spec));
    let results: Vec<Result<(), String>> = match tokio::time::timeout(LIMIT, upload).await {
        Ok(results) => results,
        Err(_) => panic!(
            "upload_all never finished: {} of the semaphore's permits were left, and the next \
             file waited for one forever. A permit given back by hand (`add_permits`) is lost \
             on every path that does not reach that line: a `?` on a failed upload, a panic. \
             Move an owned permit (`acquire_owned`) into the task: dropping it gives it back \
             on every path",
            slots.available_permits()
        ),
    };
    (results, start.elapsed())
}

fn assert_pool_intact(slots: &Arc<Semaphore>, permits: usize, what: &str) {
    let available = slots.available_permits();
    assert_eq!(
        available, permits,
        "after {what}, the semaphore had {available} of its {permits} permits; every permit \
         should be back once the uploads are over. A permit given back by hand is lost on any \
         path that skips that line; an owned permit moved into the task comes back when it is \
         dropped"
    );
    let owners = Arc::strong_count(slots);
    assert_eq!(
        owners, 1,
        "after upload_all returned, {owners} handles to the semaphore were alive instead of \
         just the checks' own: something kept (or leaked) a permit or a clone of the `Arc`"
    );
}

#[tokio::test(start_paused = true)]
async fn never_more_uploads_at_once_than_permits_and_free_ones_are_reused() {
    let spec = [
        ("a", 30),
        ("b", 70),
        ("c", 20),
        ("d", 50),
        ("e", 40),
        ("f", 10),
        ("g", 60),
        ("h", 30),
        ("i", 20),
    ];
    let store = Arc::new(TestStore::new(3, &[], &[]));
    let slots = Arc::new(Semaphore::new(3));
    let (results, took) = run(&store, &slots, &spec).await;
    store.recorded.end_at(took);
    assert_eq!(
        results,
        vec![Ok(()); spec.len()],
        "upload_all gave {results:?}; every file should have been stored"
    );
    let peak = store.in_flight.peak();
    let schedule = greedy_run(&spec, 3);
    timeline::assert_eq(peak, 3, &store.recorded, Some(&schedule), || {
        format!(
            "at most {peak} uploads were in flight at once, with 3 permits; expected exactly 3: \
             a permit must be held for as long as its upload runs (not dropped when the loop \
             body ends), and all three must be used"
        )
    });
    let expected = greedy(&spec, 3);
    timeline::assert_eq(took, expected, &store.recorded, Some(&schedule), || {
        format!(
            "the uploads took {took:?} of virtual time; with 3 permits, each file starting as \
             soon as a permit is free, they take {expected:?}"
        )
    });
    assert_pool_intact(&slots, 3, "nine successful uploads");
}

#[tokio::test(start_paused = true)]
async fn failed_uploads_give_their_permits_back() {
    let spec = [
        ("report.pdf.part", 25),
        ("scan.tiff.part", 15),
        ("cover.png", 40),
        ("draft.odt.part", 10),
        ("index.html", 5),
        ("logo.svg", 35),
    ];
    let store = Arc::new(TestStore::new(
        2,
        &["report.pdf.part", "scan.tiff.part", "draft.odt.part"],
        &[],
    ));
    let slots = Arc::new(Semaphore::new(2));
    let (results, took) = run(&store, &slots, &spec).await;
    let expected: Vec<Result<(), String>> = vec![
        Err("report.pdf.part refused".to_string()),
        Err("scan.tiff.part refused".to_string()),
        Ok(()),
        Err("draft.odt.part refused".to_string()),
        Ok(()),
        Ok(()),
    ];
    assert_eq!(
        results, expected,
        "upload_all gave {results:?}; expected each file's own outcome, in input order, with \
         the store's error for the refused ones"
    );
    store.recorded.end_at(took);
    let schedule = greedy_run(&spec, 2);
    timeline::assert_eq(
        took,
        greedy(&spec, 2),
        &store.recorded,
        Some(&schedule),
        || {
            format!(
                "the uploads took {took:?} of virtual time; with 2 permits, each file starting as \
             soon as a permit is free (a failed upload frees its permit too), they take {:?}",
                greedy(&spec, 2)
            )
        },
    );
    assert_pool_intact(&slots, 2, "three failed and three successful uploads");
}

#[tokio::test(start_paused = true)]
async fn a_panicking_upload_gives_its_permit_back() {
    let spec = [
        ("one.bin", 12),
        ("two.bin", 30),
        ("three.bin", 8),
        ("four.bin", 17),
    ];
    let store = Arc::new(TestStore::new(1, &[], &["one.bin"]));
    let slots = Arc::new(Semaphore::new(1));
    let (results, _) = run(&store, &slots, &spec).await;
    assert!(
        results[0].is_err() && results[1..].iter().all(|r| r.is_ok()),
        "upload_all gave {results:?}; the store panicked on one.bin, so that file failed, and \
         the other three should still be stored"
    );
    assert_pool_intact(&slots, 1, "an upload that panicked");
}

#[tokio::test(start_paused = true)]
async fn the_permits_are_shared_with_other_uploaders() {
    let first = [("a1", 20), ("a2", 20), ("a3", 20), ("a4", 20)];
    let second = [("b1", 20), ("b2", 20), ("b3", 20), ("b4", 20)];
    let store = Arc::new(TestStore::new(3, &[], &[]));
    let slots = Arc::new(Semaphore::new(3));
    let ((one, _), (two, _)) = watchdog(LIMIT, "two upload_all calls sharing a semaphore", async {
        tokio::join!(run(&store, &slots, &first), run(&store, &slots, &second))
    })
    .await;
    assert!(
        one.iter().chain(&two).all(|r| r.is_ok()),
        "the two uploaders gave {one:?} and {two:?}; every file should have been stored"
    );
    let peak = store.in_flight.peak();
    let schedule = greedy_run(&[first, second].concat(), 3);
    timeline::assert_eq(peak, 3, &store.recorded, Some(&schedule), || {
        format!(
            "two uploaders sharing a semaphore of 3 permits had {peak} uploads in flight at once; \
         the permits are the limit for the whole program, so together they must never exceed \
         3. Take the permits from the semaphore `upload_all` is given, not from a pool of its \
         own"
        )
    });
    assert_pool_intact(&slots, 3, "two uploaders");
}

#[tokio::test(start_paused = true)]
async fn a_task_is_spawned_only_once_a_permit_is_free() {
    let spec = [
        ("p", 50),
        ("q", 50),
        ("r", 50),
        ("s", 50),
        ("t", 50),
        ("u", 50),
        ("v", 50),
    ];
    let store = Arc::new(TestStore::new(2, &[], &[]));
    let slots = Arc::new(Semaphore::new(2));
    let metrics = tokio::runtime::Handle::current().metrics();
    let before = metrics.num_alive_tasks();
    let sample = async {
        tokio::time::sleep(Duration::from_millis(10)).await;
        metrics.num_alive_tasks() - before
    };
    let ((results, _), alive) = tokio::join!(run(&store, &slots, &spec), sample);
    assert!(
        results.iter().all(|r| r.is_ok()),
        "upload_all gave {results:?}; every file should have been stored"
    );
    assert!(
        alive <= 2,
        "10ms into uploading 7 files with 2 permits, {alive} tasks were alive. Take the permit \
         before spawning, so the loop waits for a free permit and there are never more tasks \
         (each holding its file) than permits; then move the permit into the task"
    );
    assert_pool_intact(&slots, 2, "seven uploads");
}
