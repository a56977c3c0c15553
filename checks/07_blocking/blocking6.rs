// Checks for blocking6: when the lock must be held across an `.await`.
//
// Mistakes a learner makes on this idea, and how each is caught:
// - A std Mutex guard held across the save: the spawned future is not `Send`; does not
//   compile.
// - The tokio Mutex locked twice (read, then write after the save): overlapping bumps read
//   the same version; the store's saved versions are compared.
// - Reserving a number under a short lock and saving outside it: saves of different lengths
//   reach the store out of order.
// - Hard-coding: bump counts and save latencies are the checks' own.
use super::{Store, Versions, bump_concurrently};

use std::sync::Arc;
use std::time::Duration;

use asynclings_support::watchdog;
use tokio::time::Instant;

const LIMIT: Duration = Duration::from_secs(30);

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

async fn run(n: usize, latencies: &[u64]) -> (Vec<u64>, Vec<u64>, Duration) {
    let store = Arc::new(Store::new(latencies.iter().map(|&l| ms(l)).collect()));
    let versions = Arc::new(Versions::new());
    let start = Instant::now();
    let got: Vec<u64> = watchdog(
        LIMIT,
        "bump_concurrently",
        bump_concurrently(versions, store.clone(), n),
    )
    .await;
    let took = start.elapsed();
    let saved: Vec<u64> = store.saved.lock().unwrap().clone();
    (got, saved, took)
}

#[tokio::test(start_paused = true)]
async fn overlapping_bumps_lose_no_version() {
    let n = 12;
    let latencies = [30, 10, 55, 5, 20];
    let (got, saved, took) = run(n, &latencies).await;
    let expected: Vec<u64> = (1..=n as u64).collect();
    assert_eq!(
        saved, expected,
        "{n} bumps at the same time made the store save {saved:?}; expected every version from 1 \
         to {n}, each once, in order. Bumps that overlap read the same current version when the \
         lock is let go during the save: hold one tokio::sync::Mutex guard across the read, the \
         save and the write. (Saving versions that were handed out under a short lock is no \
         better: slow and quick saves then reach the store out of order)"
    );
    let mut sorted = got.clone();
    sorted.sort();
    assert_eq!(
        sorted, expected,
        "the {n} bumps returned {got:?}; expected each version from 1 to {n} once"
    );
    let total: u64 = (0..n).map(|i| latencies[i % latencies.len()]).sum();
    assert_eq!(
        took,
        ms(total),
        "{n} bumps took {took:?} of virtual time; one after another, their saves take \
         {total}ms"
    );
}

#[tokio::test(start_paused = true)]
async fn two_bumps_get_two_versions() {
    let (got, saved, _) = run(2, &[40]).await;
    assert_eq!(
        (saved.clone(), got.iter().sum::<u64>()),
        (vec![1, 2], 3),
        "two bumps at the same time returned {got:?} and the store saved {saved:?}; expected \
         versions 1 and 2"
    );
}
