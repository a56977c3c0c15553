// Checks for cleanup1: there is no async Drop.
//
// A pretend collector reads the log over an in-memory connection with a small buffer while
// `audit` runs. The moment `audit` returns, the checks look (without waiting) at what has
// reached the collector: every line, then the end of the stream, must be there already.
//
// Mistakes a learner makes on this idea, and how each is caught:
// - Never closing (as shipped), or closing only on the success path: the lines still in the
//   BufWriter are lost with it; the refused-payment check takes the early-return path.
// - A `close` that flushes and then leaks the log (`mem::forget`, to quiet the warning in
//   `Drop`): every byte arrives, but the connection is never closed, so the end of the stream
//   never comes. (Flushing and then dropping the log is fine: dropping a connection closes
//   it, which needs no waiting.)
// - Closing in `Drop` by spawning a task: the bytes are still on their way when `audit`
//   returns; the checks wait a while longer to tell "sent late" from "lost", and say so.
// - Closing in `Drop` by polling the close future once (`now_or_never`): with a small buffer
//   the flush cannot finish in one poll, and the rest is lost.
// - Closing in `Drop` with a `block_on`: the runtime's only thread blocks, the collector on
//   the same thread can never read, and the flush never finishes; the checks run on a
//   runtime of their own thread with a real-time limit and name the cause.
// - Hard-coding: the payments are the checks' own, up to 700 of them (more than a
//   BufWriter's buffer), and the result must be the count or the refused payment's id.

use super::{AuditError, Payment, audit};

use std::pin::{Pin, pin};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, DuplexStream, ReadBuf};

/// What the collector had when `audit` returned, and what came after.
struct Seen {
    /// The result of `audit`: the count, or the id of the refused payment.
    outcome: Result<usize, u32>,
    /// The bytes the collector had received (or could read without waiting) when `audit`
    /// returned.
    at_return: Vec<u8>,
    /// Whether the end of the stream had arrived when `audit` returned.
    ended_at_return: bool,
    /// The bytes that arrived later, within a second of virtual time.
    later: Vec<u8>,
    /// Whether the end of the stream arrived later, within that second.
    ended_later: bool,
}

/// Reads whatever `conn` can give without waiting. Returns true at the end of the stream.
fn read_without_waiting(conn: &mut DuplexStream, into: &mut Vec<u8>) -> bool {
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        let mut chunk = [0u8; 256];
        let mut buf = ReadBuf::new(&mut chunk);
        match Pin::new(&mut *conn).poll_read(&mut cx, &mut buf) {
            Poll::Ready(Ok(())) if buf.filled().is_empty() => return true,
            Poll::Ready(Ok(())) => into.extend_from_slice(buf.filled()),
            Poll::Ready(Err(err)) => panic!("the collector's read failed: {err}"),
            Poll::Pending => return false,
        }
    }
}

/// Runs `audit` over a connection with a `capacity`-byte buffer, with the collector reading
/// the other end at the same time.
async fn run_audit(payments: &[Payment], capacity: usize) -> Seen {
    let (mut collector, conn) = tokio::io::duplex(capacity);
    let mut at_return = Vec::new();
    let mut ended_at_return = false;
    let mut session = pin!(audit(conn, payments));
    let outcome = loop {
        let mut chunk = [0u8; 40];
        tokio::select! {
            biased;
            outcome = &mut session => break outcome,
            read = collector.read(&mut chunk), if !ended_at_return => match read {
                Ok(0) => ended_at_return = true,
                Ok(n) => at_return.extend_from_slice(&chunk[..n]),
                Err(err) => panic!("the collector's read failed: {err}"),
            },
        }
    };
    let outcome: Result<usize, u32> = match outcome {
        Ok(n) => Ok(n),
        Err(AuditError::Refused { id }) => Err(id),
        Err(AuditError::Io(err)) => panic!("audit failed with an I/O error: {err}"),
    };
    if !ended_at_return {
        ended_at_return = read_without_waiting(&mut collector, &mut at_return);
    }
    let mut later = Vec::new();
    let mut ended_later = false;
    if !ended_at_return {
        let read = collector.read_to_end(&mut later);
        ended_later = matches!(
            tokio::time::timeout(Duration::from_secs(1), read).await,
            Ok(Ok(_))
        );
    }
    Seen {
        outcome,
        at_return,
        ended_at_return,
        later,
        ended_later,
    }
}

/// Checks that the collector had exactly `expected`, and the end of the stream, when
/// `audit` returned.
fn assert_delivered(seen: &Seen, expected: &str, what: &str) {
    let (n, total) = (seen.at_return.len(), expected.len());
    let got = String::from_utf8_lossy(&seen.at_return);
    if n < total && expected.as_bytes().starts_with(&seen.at_return) {
        let all_later = [&seen.at_return[..], &seen.later[..]].concat();
        if all_later == expected.as_bytes() {
            panic!(
                "{what}: when audit returned, the collector had received {n} of the {total} \
                 bytes of the log; the rest arrived only afterwards, sent by something still \
                 running after audit was done (a task spawned from Drop?). Nobody waits for \
                 such a task: if the program ends first, the lines are lost (cleanup2). Close \
                 the log with `log.close().await` before audit returns"
            );
        }
        panic!(
            "{what}: the collector received {n} of the {total} bytes of the log, and then \
             nothing more. The rest was in the AuditLog's BufWriter when the log was dropped: \
             `Drop` cannot wait for the connection, so whatever is still buffered is thrown \
             away. Close the log (`log.close().await`, which must flush and shut down) on every \
             path out of audit, the early return too"
        );
    }
    assert_eq!(
        got, expected,
        "{what}: the collector received a log different from the lines recorded"
    );
    assert!(
        seen.ended_at_return || !seen.ended_later,
        "{what}: the collector received every line, but the end of the stream arrived only \
         after audit had returned, sent by something still running after audit was done (a \
         task spawned from Drop?). Nobody waits for such a task: if the program ends first, \
         the collector never sees the end (cleanup2). Close the log with `log.close().await` \
         before audit returns"
    );
    assert!(
        seen.ended_at_return,
        "{what}: the collector received every line, but when audit returned it was still \
         waiting for the end of the stream (and still was a second later): the connection \
         was neither shut down nor dropped, so the collector cannot tell a finished log from a \
         slow one. Is the log kept alive somewhere (`std::mem::forget` leaks it, connection and \
         all)? `shutdown()` on the BufWriter flushes and then ends the stream"
    );
}

/// Runs `check` on a paused current-thread runtime on a thread of its own, and waits for it
/// with a real-time limit: a thread that is truly blocked is reported with its usual cause.
fn on_its_own_runtime<F, Fut>(check: F)
where
    F: FnOnce() -> Fut + Send + 'static,
    Fut: std::future::Future<Output = ()>,
{
    let (tx, rx) = std::sync::mpsc::channel();
    let runner = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .start_paused(true)
            .build()
            .unwrap();
        runtime.block_on(check());
        let _ = tx.send(());
    });
    match rx.recv_timeout(Duration::from_secs(2)) {
        Ok(()) => {}
        Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
            if let Err(payload) = runner.join() {
                std::panic::resume_unwind(payload);
            }
        }
        Err(std::sync::mpsc::RecvTimeoutError::Timeout) => panic!(
            "audit did not return in 2s of real time, and its runtime's only thread never came \
             back to run anything else: it is blocked for good. A `block_on` inside `Drop` (or \
             anywhere in async code) does that: it holds the runtime's thread until the flush \
             is done, but the flush waits for the collector to read, and the collector runs on \
             that very thread. `Drop` cannot wait; close the log with `log.close().await` \
             before audit returns"
        ),
    }
}

fn log_text(lines: &[String]) -> String {
    lines.iter().map(|line| format!("{line}\n")).collect()
}

#[test]
fn every_line_and_the_end_arrive_before_audit_returns() {
    on_its_own_runtime(|| async {
        let payments: Vec<Payment> = (0..5)
            .map(|i| Payment {
                id: 40 + i,
                cents: 1_000 + 37 * i64::from(i),
            })
            .collect();
        let seen = run_audit(&payments, 64).await;
        let lines: Vec<String> = payments
            .iter()
            .map(|p| format!("{} paid {}", p.id, p.cents))
            .collect();
        assert_delivered(&seen, &log_text(&lines), "five payments, all accepted");
        assert_eq!(
            seen.outcome,
            Ok(5),
            "audit of five accepted payments should return Ok(5)"
        );
    });
}

#[test]
fn a_refused_payment_still_leaves_a_complete_log() {
    on_its_own_runtime(|| async {
        let payments = [
            Payment {
                id: 7,
                cents: 2_500,
            },
            Payment { id: 8, cents: 310 },
            Payment { id: 9, cents: 44 },
            Payment { id: 13, cents: -5 },
            Payment { id: 14, cents: 800 },
        ];
        let seen = run_audit(&payments, 64).await;
        let expected = "7 paid 2500\n8 paid 310\n9 paid 44\n13 refused\n";
        assert_eq!(
            seen.outcome,
            Err(13),
            "payment 13 is of -5 cents: audit should stop there with \
             Err(AuditError::Refused {{ id: 13 }})"
        );
        assert_delivered(
            &seen,
            expected,
            "a refused payment (audit returned early with an error)",
        );
    });
}

#[test]
fn a_log_longer_than_the_buffer_arrives_whole() {
    on_its_own_runtime(|| async {
        let payments: Vec<Payment> = (0..700)
            .map(|i| Payment {
                id: 10_000 + i,
                cents: i64::from(i * 7919 % 100_000) + 1,
            })
            .collect();
        let seen = run_audit(&payments, 128).await;
        let lines: Vec<String> = payments
            .iter()
            .map(|p| format!("{} paid {}", p.id, p.cents))
            .collect();
        assert_delivered(&seen, &log_text(&lines), "700 payments");
        assert_eq!(
            seen.outcome,
            Ok(700),
            "audit of 700 payments should return Ok(700)"
        );
    });
}

#[test]
fn a_first_payment_refused_is_the_whole_log() {
    on_its_own_runtime(|| async {
        let payments = [Payment { id: 501, cents: 0 }, Payment { id: 502, cents: 9 }];
        let seen = run_audit(&payments, 16).await;
        assert_eq!(
            seen.outcome,
            Err(501),
            "payment 501 is of 0 cents: audit should stop there with \
             Err(AuditError::Refused {{ id: 501 }})"
        );
        assert_delivered(&seen, "501 refused\n", "the first payment refused");
    });
}

#[test]
fn an_empty_audit_still_ends_the_stream() {
    on_its_own_runtime(|| async {
        let seen = run_audit(&[], 16).await;
        assert_eq!(
            seen.outcome,
            Ok(0),
            "audit of no payments should return Ok(0)"
        );
        assert_delivered(&seen, "", "no payments at all");
    });
}
