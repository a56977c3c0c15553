// expect: are they awaited one after another?
// Wrong fix: each job run and reported in turn: reported at once, but one after another.
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
// `futures::stream::FuturesUnordered` is a set of futures that runs all of them
// concurrently, inside the current task. You take outputs out of it one at a time with
// `next().await`, which gives the output of whichever future completes next (`Some(output)`),
// or `None` once the set is empty. (`next` comes from the `StreamExt` trait: a
// `FuturesUnordered` is a *stream*, the async cousin of an iterator, which 13_streams covers.
// Here you need only this one loop.)
//
//     let mut running: FuturesUnordered<_> = items.into_iter().map(|item| work(item)).collect();
//     while let Some(output) = running.next().await { ... }
//
// `run_all` below reports every job only after the slowest job has finished. Report each job
// as soon as it is done. How long a job takes is up to `run`: you cannot know it in advance.

/// Runs every job at the same time with `run`, and calls `on_done` with each job's report as
/// soon as that job finishes.
async fn run_all(
    jobs: Vec<String>,
    run: impl AsyncFn(String) -> String,
    mut on_done: impl FnMut(String),
) {
    for job in jobs {
        on_done(run(job).await);
    }
}

#[tokio::main]
async fn main() {
    use std::time::Duration;

    // A pretend job runner: how long a job takes depends on the job.
    let run = async |job: String| {
        let ms = match job.as_str() {
            "backup" => 300,
            "thumbnail" => 20,
            _ => 120,
        };
        tokio::time::sleep(Duration::from_millis(ms)).await;
        format!("{job} done")
    };
    let jobs = ["backup", "thumbnail", "email"].map(String::from).to_vec();
    let start = tokio::time::Instant::now();
    run_all(jobs, run, |report| {
        println!("{:>4}ms: {report}", start.elapsed().as_millis())
    })
    .await;
}
