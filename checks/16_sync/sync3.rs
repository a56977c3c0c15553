// Checks for sync3: lookups read together under a read-write lock; batches are exclusive.
//
// The checks bring a replica that logs every read (key, start, end, and the version of the
// data it saw) and every batch, and counts the reads in flight.
//
// Mistakes a learner makes here, and how each is caught:
// - the `Mutex` kept (as shipped), or `write()` taken for lookups too: lookups run one after
//   another; four concurrent lookups must take as long as the longest of them, and must have
//   a read each in flight at the same moment.
// - a read lock taken and released per key (short reads): a batch slips in halfway through a
//   lookup, which then returns a mix of old and new values; each lookup must see one version.
// - `std::sync::RwLock` with its guard held across `.await`: the lookup future is not `Send`,
//   and the checks spawn lookups as tasks (request handlers), so it does not compile.
// - a batch applied without waiting for the lookups in progress, or lookups that arrive after
//   a waiting batch served before it: the batch's start time and the later lookup's values.
// - values made up instead of read from the replica (bypassing it): keys and values are the
//   checks' own, and every read is logged.

use super::{Guarded, Replica, apply, lookup};

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use asynclings_support::timeline::{self, Timeline};
use asynclings_support::{InFlight, watchdog};
use tokio::time::{Instant, sleep, sleep_until};

const MS: fn(u64) -> Duration = Duration::from_millis;
const LIMIT: Duration = Duration::from_secs(10);

#[derive(Clone, Debug)]
struct Read {
    key: String,
    start: Duration,
    end: Duration,
}

#[derive(Default)]
struct Log {
    reads: Vec<Read>,
    batches: Vec<Duration>,
}

/// A replica whose reads take 10ms and whose batches take 15ms, logging both.
struct TestReplica {
    data: HashMap<String, String>,
    start: Instant,
    log: Arc<Mutex<Log>>,
    in_flight: InFlight,
}

impl TestReplica {
    fn new(data: &[(&str, &str)]) -> (Self, Arc<Mutex<Log>>, InFlight) {
        let log = Arc::new(Mutex::new(Log::default()));
        let in_flight = InFlight::default();
        let replica = TestReplica {
            data: data
                .iter()
                .map(|&(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            start: Instant::now(),
            log: log.clone(),
            in_flight: in_flight.clone(),
        };
        (replica, log, in_flight)
    }
}

impl Replica for TestReplica {
    fn get(&self, key: &str) -> impl Future<Output = Option<String>> + Send {
        let key = key.to_string();
        async move {
            let _guard = self.in_flight.enter();
            let start = self.start.elapsed();
            sleep(MS(10)).await;
            let end = self.start.elapsed();
            self.log.lock().unwrap().reads.push(Read {
                key: key.clone(),
                start,
                end,
            });
            self.data.get(&key).cloned()
        }
    }

    fn apply(&mut self, changes: Vec<(String, String)>) -> impl Future<Output = ()> + Send {
        async move {
            let at = self.start.elapsed();
            self.log.lock().unwrap().batches.push(at);
            sleep(MS(15)).await;
            self.data.extend(changes);
        }
    }
}

/// The reads in flight over time, from the reads `(start, end)`, on `timeline`.
fn reads_in_flight(timeline: &Timeline, reads: &[(Duration, Duration)]) {
    let mut changes: Vec<Duration> = reads.iter().flat_map(|&(s, e)| [s, e]).collect();
    changes.sort();
    changes.dedup();
    timeline.count_at("reads", None, Duration::ZERO, 0);
    for at in changes {
        let n = reads.iter().filter(|&&(s, e)| s <= at && at < e).count();
        timeline.count_at("reads", None, at, n);
    }
}

/// The run as the replica logged it: each read and the batch (15ms from its start).
fn replica_run(log: &Log, took: Duration) -> Timeline {
    let recorded = Timeline::new();
    for read in &log.reads {
        recorded.span_at("read", read.start, read.end);
    }
    for &at in &log.batches {
        recorded.span_at("batch", at, (at + MS(15)).min(took));
    }
    recorded.end_at(took);
    recorded
}

fn values(list: &[Option<&str>]) -> Vec<Option<String>> {
    list.iter().map(|v| v.map(str::to_string)).collect()
}

/// Spawns a lookup as a task, the way a request handler would run it.
fn spawn_lookup(
    db: &Arc<Guarded<TestReplica>>,
    keys: &[&'static str],
) -> tokio::task::JoinHandle<(Vec<Option<String>>, Duration)> {
    let db = db.clone();
    let keys = keys.to_vec();
    tokio::spawn(async move {
        let start = Instant::now();
        let got: Vec<Option<String>> = lookup(&*db, &keys).await;
        (got, start.elapsed())
    })
}

#[tokio::test(start_paused = true)]
async fn lookups_read_together() {
    let (replica, log, in_flight) = TestReplica::new(&[
        ("ada", "analyst"),
        ("brian", "builder"),
        ("chen", "chemist"),
        ("dora", "designer"),
    ]);
    let db = Arc::new(Guarded::new(replica));
    let start = Instant::now();
    let requests = [
        spawn_lookup(&db, &["ada", "brian"]),
        spawn_lookup(&db, &["chen"]),
        spawn_lookup(&db, &["dora", "ada", "chen"]),
        spawn_lookup(&db, &["brian", "nobody"]),
    ];
    let mut results = Vec::new();
    for request in requests {
        let (got, _) = watchdog(LIMIT, "a lookup", request)
            .await
            .expect("a lookup task panicked");
        results.push(got);
    }
    let took = start.elapsed();
    let expected = vec![
        values(&[Some("analyst"), Some("builder")]),
        values(&[Some("chemist")]),
        values(&[Some("designer"), Some("analyst"), Some("chemist")]),
        values(&[Some("builder"), None]),
    ];
    assert_eq!(
        results, expected,
        "the four lookups returned {results:?}; expected {expected:?}, read from the replica"
    );
    let peak = in_flight.peak();
    let recorded = Timeline::new();
    let reads: Vec<(Duration, Duration)> = log
        .lock()
        .unwrap()
        .reads
        .iter()
        .map(|r| (r.start, r.end))
        .collect();
    reads_in_flight(&recorded, &reads);
    recorded.end_at(took);
    // Each lookup reads its keys in turn, all four lookups at once.
    let expected = Timeline::new();
    let together: Vec<(Duration, Duration)> = [2, 1, 3, 2]
        .into_iter()
        .flat_map(|keys| (0..keys).map(|k| (MS(10 * k), MS(10 * k + 10))))
        .collect();
    reads_in_flight(&expected, &together);
    expected.end_at(MS(30));
    timeline::assert(
        took <= MS(30) && peak >= 4,
        &recorded,
        Some(&expected),
        || {
            format!(
                "four lookups of 2, 1, 3 and 2 keys (10ms per read) took {took:?} together, with at \
             most {peak} read(s) in flight at any moment: the lookups waited for each other. A \
             `Mutex` (or a write lock) lets one holder in at a time even when all of them only \
             read; a read lock is shared, so the lookups read together and take as long as the \
             longest one, 30ms"
            )
        },
    );
}

#[tokio::test(start_paused = true)]
async fn a_batch_waits_for_lookups_in_progress_and_later_lookups_see_it() {
    let (replica, log, _) = TestReplica::new(&[
        ("north", "12"),
        ("south", "7"),
        ("east", "31"),
        ("west", "4"),
    ]);
    let db = Arc::new(Guarded::new(replica));
    let start = Instant::now();
    let early = spawn_lookup(&db, &["north", "south"]);
    let short = spawn_lookup(&db, &["east"]);
    sleep_until(start + MS(5)).await;
    let batch = {
        let db = db.clone();
        tokio::spawn(async move {
            let changes = vec![
                ("north".to_string(), "13".to_string()),
                ("south".to_string(), "6".to_string()),
            ];
            apply(&*db, changes).await;
        })
    };
    sleep_until(start + MS(8)).await;
    let late = spawn_lookup(&db, &["south", "north"]);
    let (early, _) = watchdog(LIMIT, "the early lookup", early)
        .await
        .expect("the early lookup panicked");
    let (short, _) = watchdog(LIMIT, "the short lookup", short)
        .await
        .expect("the short lookup panicked");
    watchdog(LIMIT, "the batch", batch)
        .await
        .expect("the batch task panicked");
    let (late, _) = watchdog(LIMIT, "the late lookup", late)
        .await
        .expect("the late lookup panicked");

    assert_eq!(
        short,
        values(&[Some("31")]),
        "a lookup of east returned {short:?}"
    );
    let before = values(&[Some("12"), Some("7")]);
    assert_eq!(
        early, before,
        "a lookup of north and south that started before the batch returned {early:?}; it \
         should see the data as it was before the batch, both values: {before:?}. A mix means \
         the batch was applied halfway through the lookup: the lookup must hold its read lock \
         for all its keys, not take it again for each one"
    );
    let after = values(&[Some("6"), Some("13")]);
    assert_eq!(
        late, after,
        "a lookup of south and north that arrived while the batch was waiting returned \
         {late:?}; expected the batch's values, {after:?}: with Tokio's fair `RwLock`, readers \
         that come after a waiting writer go after it"
    );
    let took = start.elapsed();
    let log = log.lock().unwrap();
    let recorded = replica_run(&log, took);
    // The early and short lookups read at once; the batch waits for them; the late lookup
    // waits for the batch.
    let expected = Timeline::new();
    for (start, end) in [(0, 10), (0, 10), (10, 20), (35, 45), (45, 55)] {
        expected.span_at("read", MS(start), MS(end));
    }
    expected.span_at("batch", MS(20), MS(35));
    expected.end_at(MS(55));
    let Some(&batch_at) = log.batches.first() else {
        panic!("the batch was never applied to the replica");
    };
    let batch_end = batch_at + MS(15);
    if let Some(read) = log
        .reads
        .iter()
        .find(|r| r.start < batch_end && r.end > batch_at)
    {
        timeline::fail(
            format_args!(
                "a read of {:?} ran from {:?} to {:?}, while the batch was being applied \
                 ({batch_at:?} to {batch_end:?}): a batch needs the replica to itself (a write \
                 lock)",
                read.key, read.start, read.end
            ),
            &recorded,
            Some(&expected),
        );
    }
    let busy_until = log
        .reads
        .iter()
        .filter(|r| r.start < batch_at)
        .map(|r| r.end)
        .max();
    timeline::assert_eq(
        Some(batch_at),
        busy_until,
        &recorded,
        Some(&expected),
        || {
            format!(
                "the batch started at {batch_at:?}; it should start as soon as the reads in \
             progress are done ({busy_until:?}), no sooner and no later"
            )
        },
    );
}
