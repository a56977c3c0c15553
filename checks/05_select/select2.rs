// Checks for select2: let shutdown win.
//
// Mistakes a learner makes on this idea, and how each is caught:
// - Leaving select! unbiased (random choice between ready branches): 64 rounds start with
//   shutdown and jobs both ready, and 64 more have a job and the shutdown arrive together
//   while serve is idle; with random choice a job slips through in about half of them.
// - `biased;` with the job branch still on top: every queued job is handled first; the
//   message says to put the shutdown branch first.
// - Checking the shutdown with `try_recv` only at the top of each turn or after each job:
//   a job and the shutdown arriving together while serve waits in select! still go to the
//   random choice; the idle rounds catch it.
// - Taking a job out of the queue and then dropping it because shutdown was seen: jobs
//   must stay in the queue for the next run; the checks count what is left.
// - Polling the two receivers with `try_recv` and a short sleep instead of being woken:
//   tokio's timers have millisecond resolution, so a 1ms poller can land on the right
//   millisecond; the checks count how often serve is polled while it is idle.
// - Stopping too late or too early when the shutdown comes during a job: exact virtual
//   times and the exact list of jobs handled.

use super::serve;

use std::cell::Cell;
use std::future::Future;
use std::time::Duration;

use asynclings_support::timeline::{self, Timeline};
use asynclings_support::watchdog;
use tokio::sync::{mpsc, oneshot};
use tokio::time::{Instant, sleep};

const LIMIT: Duration = Duration::from_secs(10);
const ROUNDS: u32 = 64;

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// Counts the polls of `fut` in `polls`.
async fn counted<F: Future>(fut: F, polls: &Cell<usize>) -> F::Output {
    let mut fut = std::pin::pin!(fut);
    std::future::poll_fn(|cx| {
        polls.set(polls.get() + 1);
        fut.as_mut().poll(cx)
    })
    .await
}

/// Runs serve under a watchdog and returns what it handled (as a plain `Vec<u32>`), how many
/// times it was polled, and how long it took.
async fn run_serve(
    jobs: &mut mpsc::Receiver<u32>,
    shutdown: oneshot::Receiver<()>,
) -> (Vec<u32>, usize, Duration) {
    let polls = Cell::new(0);
    let start = Instant::now();
    let handled: Vec<u32> = watchdog(LIMIT, "serve", counted(serve(jobs, shutdown), &polls)).await;
    (handled, polls.get(), start.elapsed())
}

/// Runs serve like `run_serve`, with every job queued (through `queue`) before it starts, and
/// records when serve took each job out of the queue (seen from the sender's free places after
/// each poll): a job runs from its take to the next one, or to serve's return.
async fn run_serve_recorded(
    jobs: &mut mpsc::Receiver<u32>,
    queue: &mpsc::Sender<u32>,
    shutdown: oneshot::Receiver<()>,
    recorded: &Timeline,
) -> (Vec<u32>, Duration) {
    let start = Instant::now();
    let queued = || queue.max_capacity() - queue.capacity();
    let mut last = queued();
    let mut takes = Vec::new();
    let handled: Vec<u32> = watchdog(
        LIMIT,
        "serve",
        timeline::observe(serve(jobs, shutdown), || {
            let now = queued();
            for _ in now..last {
                takes.push(recorded.now());
            }
            last = last.min(now);
        }),
    )
    .await;
    let took = start.elapsed();
    record_serve(recorded, &takes, took);
    (handled, took)
}

/// Records serve's run: `serve` to its return, and each `job` from its take to the next one.
fn record_serve(run: &Timeline, takes: &[Duration], took: Duration) {
    run.span_at("serve", Duration::ZERO, took);
    for (i, &take) in takes.iter().enumerate() {
        let end = takes.get(i + 1).copied().unwrap_or(took).max(take);
        run.span_at("job", take, end);
    }
    run.end_at(took);
}

const POLLING: &str = "Is it checking the queue and the shutdown now and then (`try_recv` and \
                       a short sleep in a loop) instead of waiting on both with `select!`, \
                       which wakes it the moment either is ready?";

// Shutdown is already signalled, and jobs are already queued, when serve starts: both
// branches are ready at the first poll. Random choice would pick the job about half the time,
// so 64 rounds without a single job handled means shutdown truly comes first.
#[tokio::test(start_paused = true)]
async fn shutdown_wins_in_every_round() {
    let mut rounds_with_jobs = Vec::new();
    let mut all_handled_every_time = true;
    // The first round in which serve started a job, as it ran.
    let mut first_wrong = None;
    for round in 0..ROUNDS {
        let queued = 1 + round % 6;
        let (job_tx, mut job_rx) = mpsc::channel(16);
        for i in 0..queued {
            job_tx.send(round * 100 + i).await.unwrap();
        }
        let (stop_tx, stop_rx) = oneshot::channel();
        stop_tx.send(()).unwrap();

        let recorded = Timeline::new();
        recorded.instant_at("shutdown", Duration::ZERO);
        let (handled, _) = run_serve_recorded(&mut job_rx, &job_tx, stop_rx, &recorded).await;
        if !handled.is_empty() {
            rounds_with_jobs.push((round, handled.len(), queued));
            first_wrong.get_or_insert(recorded);
        }
        all_handled_every_time &= handled.len() == queued as usize;
        let left = job_rx.len();
        assert_eq!(
            left + handled.len(),
            queued as usize,
            "shutdown was signalled before serve started with {queued} jobs queued; serve \
             handled {handled:?} and left {left} in the queue, so a job was taken out of the \
             queue and thrown away. The jobs not handled must stay in the queue for the next \
             run: let shutdown win before a job is taken (`biased;`, shutdown first)"
        );
        drop(job_tx);
    }
    if rounds_with_jobs.is_empty() {
        return;
    }
    let (round, n, queued) = rounds_with_jobs[0];
    let why = if all_handled_every_time {
        "It handled every queued job before it noticed the shutdown, every time: with `biased;` \
         the branches are tried in the order they are written. Is the shutdown branch first?"
    } else {
        "When several branches are ready, `select!` picks one at random; write `biased;` at the \
         top of the select! and put the shutdown branch first, so it wins whenever it is ready"
    };
    let expected = Timeline::new();
    expected.instant_at("shutdown", Duration::ZERO);
    record_serve(&expected, &[], Duration::ZERO);
    timeline::fail(
        format_args!(
            "shutdown was signalled before serve started, yet serve started jobs anyway in {} of \
             {ROUNDS} rounds (in round {round} it handled {n} of the {queued} queued jobs); it \
             should handle none. {why}",
            rounds_with_jobs.len()
        ),
        first_wrong.as_ref().unwrap(),
        Some(&expected),
    );
}

// Jobs take 10ms each and shutdown comes at 35ms, during the fourth job: serve finishes the
// job in hand and then stops, at 40ms, although 16 more jobs are queued.
#[tokio::test(start_paused = true)]
async fn shutdown_during_a_job_stops_serve_after_that_job() {
    for attempt in 0..8 {
        let (job_tx, mut job_rx) = mpsc::channel(32);
        let jobs: Vec<u32> = (0..20).map(|i| 7 * i + 3 + attempt).collect();
        for &job in &jobs {
            job_tx.send(job).await.unwrap();
        }
        let (stop_tx, stop_rx) = oneshot::channel();
        let recorded = Timeline::new();
        let shutdown = recorded.clone();
        tokio::spawn(async move {
            sleep(ms(35)).await;
            shutdown.instant("shutdown");
            let _ = stop_tx.send(());
        });

        let (handled, took) = run_serve_recorded(&mut job_rx, &job_tx, stop_rx, &recorded).await;
        let expected = Timeline::new();
        expected.instant_at("shutdown", ms(35));
        record_serve(&expected, &[ms(0), ms(10), ms(20), ms(30)], ms(40));
        let message = || {
            format!(
                "with 10ms jobs and shutdown signalled at 35ms, serve handled {handled:?}; \
                 expected the first four jobs: the one in hand when shutdown came is finished, \
                 and no other is started after it"
            )
        };
        if handled.len() == 4 {
            // Four jobs, but not the first four: a wrong value, shown without a timeline.
            assert_eq!(handled, jobs[..4], "{}", message());
        }
        // Too many or too few: when serve stopped is the lesson.
        timeline::assert_eq(
            &handled[..],
            &jobs[..4],
            &recorded,
            Some(&expected),
            message,
        );
        timeline::assert_eq(took, ms(40), &recorded, Some(&expected), || {
            format!(
                "serve returned after {took:?} of virtual time; it should finish the job in hand \
                 (at 40ms) and stop"
            )
        });
    }
}

// Without a shutdown, serve handles every job, in order, until the queue closes.
#[tokio::test(start_paused = true)]
async fn without_shutdown_every_job_is_handled_in_order() {
    let (job_tx, mut job_rx) = mpsc::channel(4);
    let (_stop_tx, stop_rx) = oneshot::channel::<()>();
    tokio::spawn(async move {
        for (job, gap) in [(41, 0), (8, 25), (19, 3), (77, 160), (52, 0)] {
            sleep(ms(gap)).await;
            job_tx.send(job).await.unwrap();
        }
    });

    let (handled, polls, took) = run_serve(&mut job_rx, stop_rx).await;
    assert_eq!(
        handled,
        [41, 8, 19, 77, 52],
        "with no shutdown signal, serve handled {handled:?}; expected every job in the order \
         it arrived"
    );
    assert!(
        polls <= 30,
        "serve was polled {polls} times to handle five jobs in 208ms of virtual time, most of it \
         idle. {POLLING}"
    );
    assert_eq!(
        took,
        ms(208),
        "serve took {took:?} of virtual time to handle five jobs arriving at 0, 25, 28, 188 and \
         188ms (10ms each); expected it to return at 208ms, when the queue closed"
    );
}

// Nothing queued: serve waits, and the shutdown comes at 173ms. It returns at once, having
// been polled only when something happened.
#[tokio::test(start_paused = true)]
async fn an_idle_serve_stops_the_moment_shutdown_comes() {
    let (_job_tx, mut job_rx) = mpsc::channel::<u32>(4);
    let (stop_tx, stop_rx) = oneshot::channel();
    tokio::spawn(async move {
        sleep(ms(173)).await;
        let _ = stop_tx.send(());
    });
    let (handled, polls, took) = run_serve(&mut job_rx, stop_rx).await;
    assert!(
        polls <= 4,
        "serve was polled {polls} times while it waited 173ms with nothing to do. {POLLING}"
    );
    assert!(
        handled.is_empty() && took == ms(173),
        "with no jobs and shutdown signalled at 173ms, serve returned {handled:?} after {took:?} \
         of virtual time; expected no jobs, at 173ms"
    );
}

// serve is idle, and then a job and the shutdown arrive at the same moment (sent together by
// one task). Shutdown must still win: the job stays in the queue.
#[tokio::test(start_paused = true)]
async fn a_job_and_shutdown_arriving_together_while_idle() {
    let mut rounds_with_jobs = 0;
    // The first round in which serve started the job, as it ran, and as it should have.
    let mut first_wrong = None;
    for round in 0..ROUNDS {
        let (job_tx, mut job_rx) = mpsc::channel(4);
        let (stop_tx, stop_rx) = oneshot::channel();
        let job = 500 + round;
        let arrive = ms(20 + u64::from(round % 7));
        let recorded = Timeline::new();
        let sender = recorded.clone();
        tokio::spawn(async move {
            sleep(arrive).await;
            job_tx.send(job).await.unwrap();
            sender.instant("job sent");
            let _ = stop_tx.send(());
            sender.instant("shutdown");
            // Keep the queue open, so that a closed queue does not end serve instead.
            sleep(ms(1000)).await;
            drop(job_tx);
        });
        let (handled, _, took) = run_serve(&mut job_rx, stop_rx).await;
        if !handled.is_empty() {
            rounds_with_jobs += 1;
            if first_wrong.is_none() {
                // The job was taken when it arrived, and ran until serve returned.
                record_serve(&recorded, &[arrive], took);
                let expected = Timeline::new();
                expected.instant_at("job sent", arrive);
                expected.instant_at("shutdown", arrive);
                record_serve(&expected, &[], arrive);
                first_wrong = Some((recorded, expected));
            }
        }
        let left = job_rx.len();
        assert_eq!(
            left + handled.len(),
            1,
            "a job and the shutdown arrived together; serve handled {handled:?} and left {left} \
             in the queue, so the job was taken out of the queue and thrown away. Let shutdown \
             win before a job is taken (`biased;`, shutdown branch first)"
        );
    }
    if let Some((recorded, expected)) = first_wrong {
        timeline::assert_eq(rounds_with_jobs, 0, &recorded, Some(&expected), || {
            format!(
                "while serve was waiting, a job and the shutdown arrived at the same moment; \
                 serve started the job anyway in {rounds_with_jobs} of {ROUNDS} rounds. \
                 Checking the shutdown before or after the select! does not help here: both \
                 branches are ready inside the same select!, which picks one at random unless \
                 it is `biased;` with the shutdown branch first"
            )
        });
    }
}
