// expect: handled later
// join5: handle each result as soon as it is ready
//
// `join_all` hands back every output at once, when the slowest future is done. Often you want
// to act on each result the moment it exists: show it, store it, start the next step for it.
//
//     join_all:         a ────────────────┐
//                       b ──┐             │
//                       c ────────┐       │
//                                         └─▶ a, b, c handled here, all together
//
//     FuturesUnordered: a ────────────────┴─▶ a
//                       b ──┴─▶ b
//                       c ────────┴─▶ c
//
// `futures::stream::FuturesUnordered` is a set of futures that you poll as a stream
// (`StreamExt::next`): it runs all of them concurrently, inside the current task, and yields
// each output as soon as its future completes, in completion order:
//
//     let mut running: FuturesUnordered<_> = items.into_iter().map(work).collect();
//     while let Some(output) = running.next().await { ... }
//
// `run_all` below reports every job only after the slowest job has finished. Report each job
// as soon as it is done.

use std::time::Duration;

use tokio::time::sleep;

/// A job to run: its name and how long it takes.
struct Job {
    name: String,
    duration: Duration,
}

/// Pretends to run a job and returns its report.
async fn run_job(job: Job) -> String {
    sleep(job.duration).await;
    format!("{} done", job.name)
}

/// Runs every job at the same time and calls `on_done` with each job's report as soon as
/// that job finishes.
async fn run_all(jobs: Vec<Job>, mut on_done: impl FnMut(String)) {
    // Report each job right after awaiting it.
    for job in jobs {
        on_done(run_job(job).await);
    }
}

#[tokio::main]
async fn main() {
    let jobs = [("backup", 300), ("thumbnail", 20), ("email", 120)]
        .map(|(name, ms)| Job {
            name: name.to_string(),
            duration: Duration::from_millis(ms),
        })
        .into();
    let start = tokio::time::Instant::now();
    run_all(jobs, |report| {
        println!("{:>4}ms: {report}", start.elapsed().as_millis())
    })
    .await;
}
