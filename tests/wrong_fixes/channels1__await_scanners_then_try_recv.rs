// expect: wait for the scanners to finish
// channels1: when does a channel end?
//
// An `mpsc` channel (many producers, one consumer) is how tasks hand values to each other:
// `let (tx, mut rx) = tokio::sync::mpsc::channel(capacity);`. Producers call
// `tx.send(value).await`; the consumer loops on `rx.recv().await`, which gives `Some(value)`
// for each value and `None` once the channel is *closed and empty*.
//
// The channel closes when every `Sender` is gone. Each `tx.clone()` is one more sender, and
// the original `tx` counts too:
//
//     let (tx, rx)      tx ──clone──> scanner a   drops its clone when it is done
//                       tx ──clone──> scanner b   drops its clone when it is done
//                       tx            still held here, by the loop's own function
//
//     while let Some(..) = rx.recv().await     waits for tx, which will never send: forever
//
// So the code that hands out clones must let go of its own `tx` before it waits for the end
// of the channel: `drop(tx)`, or move the original into the last producer.
//
// Reading the channel *while* the producers run matters too: waiting for every scanner to
// finish before the first `recv` files every book late, and a scanner that finds more books
// than the channel holds then waits forever for room.
//
// `catalogue` below starts a scanner task per shelf and files each book as it arrives. It
// files everything, and then never returns.

use std::time::Duration;

use tokio::sync::mpsc;
use tokio::time::sleep;

/// A shelf to scan: the scanner finds one book every `pace`.
struct Shelf {
    name: &'static str,
    books: Vec<&'static str>,
    pace: Duration,
}

/// Scans a shelf, sending `"<shelf>: <book>"` for each book as it finds it.
async fn scan(shelf: Shelf, found: mpsc::Sender<String>) {
    for book in shelf.books {
        sleep(shelf.pace).await;
        if found.send(format!("{}: {book}", shelf.name)).await.is_err() {
            return; // Nobody is listening any more.
        }
    }
}

/// Scans every shelf on a task of its own, all at once. Files each book (`file(book)`) the
/// moment it is found, and returns how many it filed as soon as the last scanner is done.
async fn catalogue(shelves: Vec<Shelf>, mut file: impl FnMut(String)) -> usize {
    let (tx, mut rx) = mpsc::channel(16);
    let mut scanners = Vec::new();
    for shelf in shelves {
        scanners.push(tokio::spawn(scan(shelf, tx.clone())));
    }
    for scanner in scanners {
        scanner.await.unwrap();
    }
    // Every scanner holds a clone of `tx`. Dropping the original leaves those clones as the
    // only senders, so the channel closes, and `recv` returns `None`, when the last scanner
    // is done (or at once, if there were no shelves at all).
    drop(tx);
    let mut filed = 0;
    while let Ok(book) = rx.try_recv() {
        file(book);
        filed += 1;
    }
    filed
}

#[tokio::main]
async fn main() {
    let ms = Duration::from_millis;
    let shelves = vec![
        Shelf {
            name: "poetry",
            books: vec!["Odes", "Leaves of Grass"],
            pace: ms(100),
        },
        Shelf {
            name: "science",
            books: vec!["Opticks", "Elements", "Micrographia"],
            pace: ms(70),
        },
    ];
    let filed = catalogue(shelves, |book| println!("{book}")).await;
    println!("catalogue complete: {filed} books");
}
