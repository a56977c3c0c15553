// Checks for shutdown2: a deadline for the work in flight.
//
// The checks hand the server connections, play the clients (each sends jobs), and complete
// the shutdown future when they choose. `serve` runs inside the checks' own task, so the
// checks know the exact virtual instant it returns, and look then, without waiting, at what
// every client has received.
//
// Mistakes a learner makes on this idea, and how each is caught:
// - Waiting for every job however long it takes (as shipped): serve returns long after the
//   grace period.
// - Sleeping the whole grace period whatever happens: serve must return as soon as the last
//   job in flight is done when that is sooner.
// - Cutting everything off at once, with no grace: a job that would have finished within the
//   grace is sampled mid-way and must have been answered.
// - A deadline that stops only the waiting (a `timeout` around the drain, then return, or
//   `abort_all()` without waiting): tasks are still alive when serve returns.
// - Reporting what was in flight at shutdown instead of what was cut off: a job that finished
//   within the grace must not be reported.
// - Accepting during the grace period: a connection arriving then must get nothing at all.
// - Hard-coding: job names and times are the checks' own; the grace is the file's `GRACE`.

use super::{GOODBYE, GRACE, serve};

use std::future::Future;
use std::pin::{Pin, pin};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use asynclings_support::timeline::{self, Timeline};
use tokio::io::{AsyncRead, AsyncWriteExt, DuplexStream, ReadBuf};
use tokio::sync::{mpsc, oneshot};
use tokio::time::{Instant, sleep, sleep_until};

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// One pretend client: its end of the connection, and everything it has received so far.
struct Client {
    job: &'static str,
    conn: DuplexStream,
    got: String,
    ended: bool,
}

impl Client {
    /// Connects a client that sends one job, `<name> <millis>`.
    async fn with_job(connect: &mpsc::Sender<DuplexStream>, job: &'static str) -> Self {
        let (mut client_end, server_end) = tokio::io::duplex(256);
        connect
            .send(server_end)
            .await
            .expect("the server dropped its end of the channel of connections");
        if !job.is_empty() {
            client_end
                .write_all(format!("{job}\n").as_bytes())
                .await
                .unwrap();
        }
        Self {
            job,
            conn: client_end,
            got: String::new(),
            ended: false,
        }
    }

    fn name(&self) -> &'static str {
        self.job.split(' ').next().unwrap_or_default()
    }

    /// Takes in what has arrived, without waiting.
    fn read_without_waiting(&mut self) {
        let mut cx = Context::from_waker(Waker::noop());
        while !self.ended {
            let mut chunk = [0u8; 256];
            let mut buf = ReadBuf::new(&mut chunk);
            match Pin::new(&mut self.conn).poll_read(&mut cx, &mut buf) {
                Poll::Ready(Ok(())) if buf.filled().is_empty() => self.ended = true,
                Poll::Ready(Ok(())) => self.got += &String::from_utf8_lossy(buf.filled()),
                Poll::Ready(Err(_)) => self.ended = true,
                Poll::Pending => return,
            }
        }
    }
}

/// The server, driven by the checks, and when it returned (after shutdown) with what.
struct Run<'a, S> {
    serving: Pin<&'a mut S>,
    returned: Option<(Duration, Vec<String>)>,
}

impl<S: Future<Output = Vec<String>>> Run<'_, S> {
    /// Lets the server run until `until`; records when it returned, if it did.
    async fn run_until(&mut self, until: Instant, since: Instant) {
        if self.returned.is_some() {
            return;
        }
        tokio::select! {
            biased;
            cut_off = self.serving.as_mut() => {
                let cut_off: Vec<String> = cut_off;
                self.returned = Some((since.elapsed(), cut_off));
            }
            () = sleep_until(until) => {}
        }
    }
}

/// Sets up a server with a shutdown future that completes when the returned sender is used.
fn server() -> (
    mpsc::Sender<DuplexStream>,
    oneshot::Sender<()>,
    impl Future<Output = Vec<String>>,
) {
    let (connect, incoming) = mpsc::channel(16);
    let (trigger, stopped) = oneshot::channel::<()>();
    let serving = serve(incoming, async move {
        let _ = stopped.await;
    });
    (connect, trigger, serving)
}

fn assert_not_returned<S>(run: &Run<'_, S>, when: &str) {
    if let Some((took, cut_off)) = &run.returned {
        panic!("serve returned {took:?} after shutdown (reporting {cut_off:?} cut off), {when}");
    }
}

/// From shutdown on: the grace period, each job in flight until it is done or serve returns
/// (`in_flight`: its name, and how long after shutdown it would be done), and serve.
fn after_shutdown(in_flight: &[(&str, u64)], returned: Duration) -> Timeline {
    let run = Timeline::new();
    run.span_at("grace", Duration::ZERO, GRACE);
    for &(job, done) in in_flight {
        run.span_at(job, Duration::ZERO, ms(done).min(returned));
    }
    run.span_at("serve", Duration::ZERO, returned);
    run.end_at(returned);
    run
}

/// What the checks expect of serve's return; `in_flight` lists the jobs in flight at
/// shutdown, each with how long after it it would be done.
fn assert_returned<S>(
    run: &Run<'_, S>,
    took: Duration,
    cut_off: &[&str],
    why: &str,
    in_flight: &[(&str, u64)],
) {
    let Some((got_took, got_cut_off)) = &run.returned else {
        panic!(
            "serve had not returned 30s of virtual time after shutdown, although the grace \
             period is {GRACE:?}: the jobs in flight at shutdown get that long, and no longer. \
             Wait for the connections with a deadline (`tokio::time::timeout(GRACE, ..)`), \
             then stop those still running"
        );
    };
    let got_took: Duration = *got_took;
    let got_cut_off: Vec<String> = got_cut_off.clone();
    let (recorded, expected) = (
        after_shutdown(in_flight, got_took),
        after_shutdown(in_flight, took),
    );
    if got_took > took && got_took > GRACE {
        timeline::fail(
            format_args!(
                "serve returned {got_took:?} after shutdown; the grace period is {GRACE:?}: the \
                 jobs in flight at shutdown get that long, and no longer ({why}). Does serve \
                 wait for every job, however long it takes? Wait with a deadline \
                 (`tokio::time::timeout(GRACE, ..)`), then stop the connections still running"
            ),
            &recorded,
            Some(&expected),
        );
    }
    if got_took > took {
        timeline::fail(
            format_args!(
                "serve returned {got_took:?} after shutdown; {why}, so it should have returned \
                 after {took:?}. Does it wait out the whole grace period even when the work is \
                 done sooner? Race the waiting against the deadline, so that whichever comes \
                 first ends it"
            ),
            &recorded,
            Some(&expected),
        );
    }
    if got_took < took {
        timeline::fail(
            format_args!(
                "serve returned {got_took:?} after shutdown, reporting {got_cut_off:?} cut off; \
                 {why}, so it should have returned after {took:?}. The jobs in flight get a \
                 grace period of {GRACE:?}: cut off only what is still running when it is over"
            ),
            &recorded,
            Some(&expected),
        );
    }
    assert_eq!(
        got_cut_off, cut_off,
        "serve returned {got_took:?} after shutdown and reported {got_cut_off:?} as cut off; \
         expected {cut_off:?} (the jobs still running when the grace period was over, in \
         alphabetical order). A job that finished within the grace was not cut off; is the \
         report taken before the grace period, or after the tasks were stopped?"
    );
    let alive = tokio::runtime::Handle::current()
        .metrics()
        .num_alive_tasks();
    assert_eq!(
        alive, 0,
        "when serve returned, {alive} connection task(s) were still alive. When the deadline \
         passes, the waiting is dropped, but the tasks run on until they are stopped: abort \
         them and wait until they are gone before returning (`JoinSet::shutdown` does both; \
         `abort_all` alone only asks)"
    );
}

/// Checks that `client` has received exactly `expected`, and the end of its stream.
fn assert_heard(client: &mut Client, expected: &str, when: &str) {
    client.read_without_waiting();
    let got: &str = &client.got;
    assert!(
        got == expected && client.ended,
        "{when}, the client with job {:?} had received {got:?}{}; expected {expected:?} and \
         then the end of the stream",
        client.job,
        if client.ended {
            " and the end of the stream"
        } else {
            ", and no end of stream yet"
        }
    );
}

#[tokio::test(start_paused = true)]
async fn jobs_past_the_deadline_are_cut_off_and_reported() {
    let (connect, trigger, serving) = server();
    let mut run = Run {
        serving: pin!(serving),
        returned: None,
    };
    let start = Instant::now();
    let at = |n: u64| start + ms(n);

    let mut quick = Client::with_job(&connect, "kai-report 300").await;
    let mut finishing = Client::with_job(&connect, "lu-index 1730").await;
    run.run_until(at(200), start).await;
    let mut long = Client::with_job(&connect, "nia-export 6000").await;
    run.run_until(at(900), start).await;
    let mut overdue = Client::with_job(&connect, "oz-backup 2500").await;
    let mut idle = Client::with_job(&connect, "").await;
    run.run_until(at(1000), start).await;
    assert_not_returned(&run, "before its shutdown future had completed");
    quick.read_without_waiting();
    assert_eq!(
        quick.got, "done kai-report\n",
        "a 300ms job sent at 0ms should have been answered by 1000ms"
    );

    // Shutdown at 1000ms. The grace period lasts until 1000ms + GRACE.
    let asked = Instant::now();
    trigger.send(()).unwrap();
    run.run_until(asked + ms(1), asked).await;
    assert_heard(&mut idle, GOODBYE, "1ms after shutdown");
    assert_heard(
        &mut quick,
        &format!("done kai-report\n{GOODBYE}"),
        "1ms after shutdown",
    );

    // A connection arriving during the grace period is not accepted.
    run.run_until(asked + ms(200), asked).await;
    let mut latecomer = Client::with_job(&connect, "pim-late 10").await;

    // lu-index, sent at 0ms, takes 1730ms: it finishes within the grace period.
    run.run_until(asked + ms(740), asked).await;
    assert_not_returned(
        &run,
        "but the job lu-index, in flight at shutdown, was to finish 730ms after it, well \
         within the grace period: the work in flight gets the grace period to finish, and \
         only what is still running when it is over is cut off",
    );
    assert_heard(
        &mut finishing,
        &format!("done lu-index\n{GOODBYE}"),
        "730ms after shutdown (when its job was done)",
    );

    run.run_until(asked + Duration::from_secs(30), asked).await;
    assert_returned(
        &run,
        GRACE,
        &["nia-export", "oz-backup"],
        "nia-export and oz-backup were to run until long after the grace period",
        // Shutdown at 1000ms: lu-index (0 + 1730ms), nia-export (200 + 6000ms) and oz-backup
        // (900 + 2500ms) are in flight.
        &[("lu-index", 730), ("nia-export", 5200), ("oz-backup", 2400)],
    );
    for client in [&mut long, &mut overdue] {
        let when = format!("when serve returned (job {} cut off)", client.name());
        assert_heard(client, "", &when);
    }
    assert_heard(
        &mut latecomer,
        "",
        "when serve returned (the connection arrived during the grace period, and must not \
         have been accepted)",
    );
    // And nothing more arrives from the jobs cut off.
    sleep(Duration::from_secs(10)).await;
    assert_heard(&mut long, "", "10s after serve returned");
}

#[tokio::test(start_paused = true)]
async fn when_every_job_ends_within_the_grace_serve_returns_then() {
    let (connect, trigger, serving) = server();
    let mut run = Run {
        serving: pin!(serving),
        returned: None,
    };
    let start = Instant::now();
    let mut a = Client::with_job(&connect, "rhea-sum 650").await;
    run.run_until(start + ms(150), start).await;
    let mut b = Client::with_job(&connect, "sven-zip 1320").await;
    run.run_until(start + ms(250), start).await;
    let asked = Instant::now();
    trigger.send(()).unwrap();
    run.run_until(asked + Duration::from_secs(30), asked).await;
    // sven-zip ends at 150 + 1320 = 1470ms, 1220ms after the shutdown at 250ms.
    assert_returned(
        &run,
        ms(1220),
        &[],
        "every job in flight at shutdown was done 1220ms after it",
        // Shutdown at 250ms: rhea-sum (0 + 650ms) and sven-zip (150 + 1320ms) are in flight.
        &[("rhea-sum", 400), ("sven-zip", 1220)],
    );
    assert_heard(
        &mut a,
        &format!("done rhea-sum\n{GOODBYE}"),
        "when serve returned",
    );
    assert_heard(
        &mut b,
        &format!("done sven-zip\n{GOODBYE}"),
        "when serve returned",
    );
}

#[tokio::test(start_paused = true)]
async fn an_idle_server_returns_at_once_with_nothing_cut_off() {
    let (connect, trigger, serving) = server();
    let mut run = Run {
        serving: pin!(serving),
        returned: None,
    };
    let start = Instant::now();
    let mut idle = Client::with_job(&connect, "").await;
    run.run_until(start + ms(80), start).await;
    let asked = Instant::now();
    trigger.send(()).unwrap();
    run.run_until(asked + Duration::from_secs(30), asked).await;
    assert_returned(
        &run,
        Duration::ZERO,
        &[],
        "no job was in flight at shutdown",
        &[],
    );
    assert_heard(&mut idle, GOODBYE, "when serve returned");
}
