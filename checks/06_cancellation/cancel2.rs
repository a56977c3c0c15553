// Checks for cancel2: reading that survives a lost race.
//
// Mistakes a learner makes on this idea, and how each is caught:
// - A fresh `read_line` (or `read_exact`, or any read that keeps its progress inside the
//   future) in the select!: 40 seeded plans cut the requests into chunks with pauses, so a
//   ping lands while a line is half there; torn lines are named in the message.
// - A buffer outside the loop that is cleared at the wrong moment, or a `biased;` read
//   branch that starves the pings: the pings are counted exactly.
// - Dropping the ping branch to dodge the race: the ping count is exact.
// - Ending early or late: the session must end exactly when the client hangs up.
// - Hard-coding lines: the requests (with non-ASCII text) are not the exercise's.

use super::run_session;

use std::time::Duration;

use tokio::io::AsyncWriteExt;
use tokio::time::{Instant, sleep};

const PING_EVERY: Duration = Duration::from_millis(50);

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// A small deterministic pseudo-random sequence, so each plan is the same on every run.
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }
}

/// How the client sends its bytes: chunks, each after a pause.
struct Plan {
    chunks: Vec<(Duration, Vec<u8>)>,
    /// The pause after the last chunk, before the client hangs up.
    linger: Duration,
}

impl Plan {
    /// Cuts `text` into chunks of 1 to `max_chunk` bytes with pauses of 0 to 40ms, chosen by
    /// `seed`. The total time is kept off the ping period, so the end never ties with a ping.
    fn new(text: &str, seed: u64, max_chunk: u64) -> Self {
        let mut rng = Lcg(seed);
        let bytes = text.as_bytes();
        let mut chunks = Vec::new();
        let mut at = 0;
        let mut total = Duration::ZERO;
        while at < bytes.len() {
            let len = (1 + rng.below(max_chunk) as usize).min(bytes.len() - at);
            let pause = ms(rng.below(5) * 10 + rng.below(2) * 3);
            total += pause;
            chunks.push((pause, bytes[at..at + len].to_vec()));
            at += len;
        }
        let mut linger = ms(1 + rng.below(20));
        if (total + linger)
            .as_millis()
            .is_multiple_of(PING_EVERY.as_millis())
        {
            linger += ms(1);
        }
        Self { chunks, linger }
    }

    fn duration(&self) -> Duration {
        self.chunks.iter().map(|(p, _)| *p).sum::<Duration>() + self.linger
    }

    /// Pings sent at 0, 50, 100, ... before the client hangs up.
    fn expected_pings(&self) -> u32 {
        let end = self.duration().as_millis() as u32;
        (end - 1) / PING_EVERY.as_millis() as u32 + 1
    }
}

/// Plays `plan` as the client over an in-memory connection and runs the session against it.
/// What a session gave, as plain std types.
struct Session {
    lines: Vec<String>,
    pings: u32,
}

async fn play(plan: &Plan) -> (Session, Duration) {
    let (mut client, server) = tokio::io::duplex(16);
    let chunks = plan.chunks.clone();
    let linger = plan.linger;
    tokio::spawn(async move {
        for (pause, chunk) in chunks {
            sleep(pause).await;
            client.write_all(&chunk).await.unwrap();
        }
        sleep(linger).await;
        // Dropping the client ends the stream.
    });
    let start = Instant::now();
    let session = tokio::time::timeout(Duration::from_secs(10), run_session(server, PING_EVERY))
        .await
        .expect(
            "run_session was still running 10s of virtual time after the client hung up; it \
             should return when the stream ends",
        );
    let lines: Vec<String> = session.lines;
    let pings: u32 = session.pings;
    (Session { lines, pings }, start.elapsed())
}

const REQUESTS: &str = "PUT /notes/41 title=shopping\nGET /notes?sort=date&limit=20\n\
    DELETE /notes/7\nPOST /notes body=Grüße aus Köln ✓\nGET /health\n\
    PATCH /notes/41 pinned=true\nGET /notes/41/history";

fn expected_lines() -> Vec<String> {
    REQUESTS.lines().map(str::to_string).collect()
}

const READER_DROPPED: &str = "A reader that reads ahead keeps the bytes it has read in its \
                              buffer: a `BufReader` (or its `Lines`) made inside the loop or \
                              inside the branch is dropped with the bytes after the line it \
                              returned. Make the reader once, before the loop";

fn check(session: &Session, what: &str, all_at_once: bool) {
    let expected = expected_lines();
    if session.lines != expected {
        let torn: Vec<&String> = session
            .lines
            .iter()
            .filter(|l| !expected.contains(l))
            .collect();
        let why = if all_at_once {
            format!(
                "Everything was there at once, so no read was cut off half way: bytes were \
                 dropped with a reader. {READER_DROPPED}"
            )
        } else if torn.is_empty() {
            format!("Some lines are missing. {READER_DROPPED}")
        } else {
            format!(
                "These are torn: {torn:?}. Bytes of a line were read and then dropped with \
                 whatever held them: when the ping wins the race while a line is half there, a \
                 dropped read_line future takes the half it read with it (and so does a reader \
                 made inside the loop). Use a cancel-safe read: `let mut lines = \
                 reader.lines();` before the loop, and `lines.next_line()` in the select!"
            )
        };
        panic!(
            "{what}, run_session read {:?}; expected every line intact: {expected:?}. {why}",
            session.lines
        );
    }
}

#[tokio::test(start_paused = true)]
async fn every_line_arrives_intact_in_many_interleavings() {
    for seed in 0..40 {
        let plan = Plan::new(REQUESTS, seed, 1 + (seed + 8) % 14);
        let (session, _) = play(&plan).await;
        check(
            &session,
            &format!(
                "with the requests sent in {} chunks over {:?} (plan {seed})",
                plan.chunks.len(),
                plan.duration()
            ),
            false,
        );
    }
}

#[tokio::test(start_paused = true)]
async fn pings_keep_going_while_reading() {
    for seed in [3, 17, 29] {
        let plan = Plan::new(REQUESTS, seed, 8);
        let (session, took) = play(&plan).await;
        let expected = plan.expected_pings();
        assert_eq!(
            session.pings,
            expected,
            "the client was connected for {:?} and run_session sent {} pings; with a ping every \
             50ms (the first at once) it should send {expected}. Keep the ping branch in the \
             select!",
            plan.duration(),
            session.pings
        );
        assert_eq!(
            took,
            plan.duration(),
            "run_session returned after {took:?} of virtual time; the client hung up at {:?}",
            plan.duration()
        );
    }
}

#[tokio::test(start_paused = true)]
async fn everything_at_once_is_read_too() {
    let plan = Plan {
        chunks: vec![(ms(0), REQUESTS.as_bytes().to_vec())],
        linger: ms(7),
    };
    let (session, _) = play(&plan).await;
    check(&session, "with all the requests sent at once", true);
}
