// Checks for blocking3: blocking in place.
//
// The checks hand `backup` an archive whose blocking `append` waits until a task on the
// same (single-worker, multi-threaded) runtime has answered it: that task can only answer
// if the worker's other tasks were handed to another thread before the call blocked.
//
// Mistakes a learner makes on this idea, and how each is caught:
// - The blocking call made straight from async code (as shipped), or after a `yield_now`:
//   the answering task cannot run while the call blocks; the archive notices within 1s.
// - `spawn_blocking` with a closure that borrows the archive: does not compile.
// - Dropping the progress reports or the error: each line and the error kind are compared.
// - Hard-coding: file names and sizes are the checks' own.
use super::{Archive, backup};

use std::io;
use std::sync::mpsc as std_mpsc;
use std::time::Duration;

use tokio::sync::mpsc;

/// How long an append waits for a task on the runtime to answer before it calls the worker
/// blocked. Only a blocked worker ever waits this long: a free runtime answers at once.
const BACKSTOP: Duration = Duration::from_secs(1);

/// An archive whose `append` blocks until another task on the runtime has answered it: it
/// proves that the runtime's other tasks keep running while an append blocks.
struct Probe {
    names: Vec<(String, usize)>,
    ask_runtime: mpsc::UnboundedSender<std_mpsc::Sender<()>>,
    answered: usize,
    silent: usize,
}

impl Archive for Probe {
    fn append(&mut self, name: &str, bytes: &[u8]) -> io::Result<()> {
        if self.silent == 0 {
            let (tx, rx) = std_mpsc::channel();
            self.ask_runtime.send(tx).unwrap();
            match rx.recv_timeout(BACKSTOP) {
                Ok(()) => self.answered += 1,
                Err(_) => self.silent += 1,
            }
        }
        if name.ends_with(".bad") {
            return Err(io::Error::new(io::ErrorKind::StorageFull, "disk full"));
        }
        self.names.push((name.to_string(), bytes.len()));
        Ok(())
    }
}

fn probe() -> Probe {
    let (ask_runtime, mut asks) = mpsc::unbounded_channel::<std_mpsc::Sender<()>>();
    tokio::spawn(async move {
        while let Some(answer) = asks.recv().await {
            let _ = answer.send(());
        }
    });
    Probe {
        names: Vec::new(),
        ask_runtime,
        answered: 0,
        silent: 0,
    }
}

fn files(spec: &[(&str, usize)]) -> Vec<(String, Vec<u8>)> {
    spec.iter()
        .map(|&(name, len)| (name.to_string(), vec![7; len]))
        .collect()
}

/// Runs `backup` as a task on the runtime's only worker, next to the answering task.
async fn run_backup(spec: &[(&str, usize)]) -> (io::Result<usize>, Probe, Vec<String>) {
    let files = files(spec);
    let (tx, mut rx) = mpsc::channel(64);
    let task = tokio::spawn(async move {
        let mut archive = probe();
        let result: io::Result<usize> = backup(&mut archive, &files, &tx).await;
        (result, archive)
    });
    let (result, archive) = task.await.expect("the backup task panicked");
    let mut progress = Vec::new();
    while let Ok(line) = rx.try_recv() {
        progress.push(line);
    }
    (result, archive, progress)
}

fn check_not_blocked(archive: &Probe) {
    assert_eq!(
        archive.silent, 0,
        "while the archive's blocking `append` ran, another task on the runtime could not run \
         for {BACKSTOP:?}: the worker thread was blocked, and the tasks queued on it were stuck \
         behind the call. Wrap the call in `tokio::task::block_in_place(|| ...)`, which hands \
         the worker's other tasks to another thread before blocking"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 1)]
async fn other_tasks_run_while_a_file_is_appended() {
    let spec = [
        ("notes.txt", 1200),
        ("song.ogg", 48_000),
        ("cat.png", 9_100),
    ];
    let (result, archive, progress) = run_backup(&spec).await;
    check_not_blocked(&archive);
    assert_eq!(
        archive.answered, 3,
        "another task answered during {} of the 3 appends; expected all 3",
        archive.answered
    );
    assert_eq!(
        result.as_ref().ok(),
        Some(&58_300),
        "backup gave {result:?}; expected Ok(58300), the bytes of the three files"
    );
    let names: Vec<&str> = archive.names.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        ["notes.txt", "song.ogg", "cat.png"],
        "the archive got {names:?}; expected the three files in order"
    );
    assert_eq!(
        progress,
        [
            "archived notes.txt",
            "archived song.ogg",
            "archived cat.png"
        ],
        "backup reported {progress:?}; expected one line per file, in order"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 1)]
async fn an_append_error_stops_the_backup() {
    let spec = [("a.doc", 10), ("b.bad", 20), ("c.doc", 30)];
    let (result, archive, _) = run_backup(&spec).await;
    check_not_blocked(&archive);
    match result {
        Err(err) if err.kind() == io::ErrorKind::StorageFull => {}
        other => panic!(
            "the archive failed on the second file, but backup gave {other:?}; expected that \
             error, and no further appends"
        ),
    }
    assert_eq!(
        archive.names.len(),
        1,
        "after the failed append the archive holds {:?}; expected only a.doc",
        archive.names
    );
}
