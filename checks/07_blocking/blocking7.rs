// Checks for blocking7: a long loop must take turns.
//
// A progress-bar task on the same current-thread runtime records the progress it sees at
// each of its turns; the largest stretch of rows between two turns must stay within 500.
//
// Mistakes a learner makes on this idea, and how each is caught:
// - No yield at all (as shipped), one yield before the loop, or `yield_now()` without
//   `.await`: the bar never gets a turn mid-way.
// - A blocking `std::thread::sleep` "to let others run": the thread is held; no turn.
// - Yielding too rarely, a fixed count (every 1000 rows) or a share of the input (every
//   1% of the rows): a 150 001-row import makes 1% 1500 rows.
// - `block_in_place`: tokio panics on a current-thread runtime; the panic is turned into a
//   lesson.
// - Dropping or reordering rows while restructuring the loop: every record is compared.
// - Hard-coding: rows are the checks' own.

use super::{Record, import, parse};

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

const MOST_ROWS_BETWEEN_TURNS: usize = 500;

fn rows(n: usize) -> Vec<String> {
    (0..n)
        .map(|i| match i % 7 {
            3 => format!("  guest{i} , {}", i % 13),
            5 => format!("broken{i},n/a"),
            _ => format!("user{i},{}", (i * 31) % 1000),
        })
        .collect()
}

/// Runs the import next to a progress bar task on the same thread, and returns the progress
/// values the bar saw, in order.
async fn import_beside_a_bar(rows: &[String]) -> (Vec<Record>, Vec<usize>) {
    let progress = Arc::new(AtomicUsize::new(0));
    let seen = Arc::new(Mutex::new(Vec::new()));
    let done = Arc::new(AtomicBool::new(false));
    let bar = {
        let (progress, seen, done) = (progress.clone(), seen.clone(), done.clone());
        tokio::spawn(async move {
            while !done.load(Ordering::SeqCst) {
                seen.lock().unwrap().push(progress.load(Ordering::SeqCst));
                tokio::task::yield_now().await;
            }
        })
    };
    let mut db: Vec<Record> = Vec::new();
    no_block_in_place("import", import(rows, &mut db, &progress)).await;
    done.store(true, Ordering::SeqCst);
    bar.await.unwrap();
    let seen: Vec<usize> = seen.lock().unwrap().clone();
    (db, seen)
}

fn check_turns(n: usize, seen: &[usize]) {
    // The largest stretch of rows imported between two turns of the bar.
    let mut points = vec![0];
    points.extend(seen.iter().copied().filter(|&p| p < n));
    points.push(n);
    let (worst, at) = points
        .windows(2)
        .map(|w| (w[1] - w[0], w[0]))
        .max()
        .unwrap();
    let shown: Vec<usize> = seen.iter().copied().take(8).collect();
    let turns = if seen.is_empty() {
        "never got a turn".to_string()
    } else {
        format!(
            "got turns with the progress at {shown:?}{}",
            if seen.len() > 8 { "..." } else { "" }
        )
    };
    assert!(
        worst <= MOST_ROWS_BETWEEN_TURNS,
        "while {n} rows were imported, a progress bar on the same thread {turns}: at one point \
         {worst} rows (from row {at}) went by without the bar getting a turn; at most \
         {MOST_ROWS_BETWEEN_TURNS} may. The loop never reaches an \
         `.await` that gives the thread away: call `tokio::task::yield_now().await` every few \
         hundred rows, a fixed number that does not grow with the input (a `yield_now()` \
         without `.await`, or a blocking sleep, does nothing for the other tasks)"
    );
}

#[tokio::test]
async fn the_progress_bar_gets_turns_during_the_import() {
    let rows = rows(4321);
    let (db, seen) = import_beside_a_bar(&rows).await;
    check_turns(rows.len(), &seen);
    assert_eq!(
        db.len(),
        rows.len(),
        "the import stored {} of {} rows",
        db.len(),
        rows.len()
    );
    let expected: Vec<(String, u32)> = rows
        .iter()
        .map(|r| parse(r))
        .map(|r| (r.name, r.score))
        .collect();
    let db: Vec<(String, u32)> = db.into_iter().map(|r| (r.name, r.score)).collect();
    assert!(
        db == expected,
        "the imported records differ from the parsed rows; the import should store every row, \
         parsed, in order"
    );
}

#[tokio::test]
async fn a_big_import_takes_turns_all_the_way() {
    let rows = rows(150_001);
    let (db, seen) = import_beside_a_bar(&rows).await;
    check_turns(rows.len(), &seen);
    assert_eq!(
        db.len(),
        rows.len(),
        "the import stored {} of {} rows",
        db.len(),
        rows.len()
    );
}

#[tokio::test]
async fn a_small_import_is_fine_as_it_is() {
    let rows = rows(120);
    let (db, seen) = import_beside_a_bar(&rows).await;
    check_turns(rows.len(), &seen);
    let row3: (&str, u32) = (db[3].name.as_str(), db[3].score);
    assert_eq!(
        row3,
        ("guest3", 3),
        "row 3 (\"  guest3 , 3\") was imported as {row3:?}"
    );
}

/// The text of a panic's payload.
fn panic_text(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_default()
}

/// Runs `fut`, turning tokio's panic for `block_in_place` on a current-thread runtime into a
/// lesson; any other panic goes on as it was.
async fn no_block_in_place<F: std::future::Future>(what: &str, fut: F) -> F::Output {
    use futures::FutureExt;
    match std::panic::AssertUnwindSafe(fut).catch_unwind().await {
        Ok(output) => output,
        Err(payload) => {
            let text = panic_text(payload.as_ref());
            if text.contains("only when running on the multi-threaded runtime") {
                panic!(
                    "{what} panicked: {text:?}. `block_in_place` works only on a multi-threaded \
                     runtime, where it can hand this worker's other tasks to another thread; on \
                     a current-thread runtime (this check's, `#[tokio::test]`'s default, and \
                     the exercise's `main`) there is no other thread, so tokio refuses. The loop \
                     should take turns: `tokio::task::yield_now().await` every few hundred rows"
                );
            }
            std::panic::resume_unwind(payload)
        }
    }
}
