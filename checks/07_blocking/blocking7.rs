use super::*;

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
    let mut db = Vec::new();
    import(rows, &mut db, &progress).await;
    done.store(true, Ordering::SeqCst);
    bar.await.unwrap();
    let seen = seen.lock().unwrap().clone();
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
         hundred rows (a `yield_now()` without `.await`, or a blocking sleep, does nothing for \
         the other tasks)"
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
    let expected: Vec<Record> = rows.iter().map(|r| parse(r)).collect();
    assert!(
        db == expected,
        "the imported records differ from the parsed rows; the import should store every row, \
         parsed, in order"
    );
}

#[tokio::test]
async fn a_big_import_takes_turns_all_the_way() {
    let rows = rows(20_011);
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
    assert_eq!(
        db[3],
        Record {
            name: "guest3".to_string(),
            score: 3
        },
        "row 3 (\"  guest3 , 3\") was imported as {:?}",
        db[3]
    );
}
