// expect: compile error
// Wrong fix: the append runs on a scoped std thread that the worker waits for. It does not
// compile (the archive is not Send), and were it Send, the worker would be as blocked as before.
// blocking3: blocking in place
//
// `spawn_blocking` (blocking2) moves work to another thread, so the closure must own what
// it uses: `Send + 'static`. Sometimes the blocking call needs to borrow, say a `&mut` to a
// value the async function was only lent. Cloning it or wrapping it in `Arc<Mutex<..>>`
// just to move it across is clumsy.
//
// On the multi-threaded runtime there is another way: `tokio::task::block_in_place`. It
// runs a closure right here, on the current thread, borrowing freely; but first it tells
// the runtime "this worker thread is about to block", and the runtime hands the worker's
// other tasks to a new thread:
//
//     worker thread A   |-- backup --|== archive.append (blocking, in place) ==|-- backup --|
//     new thread B                   |-- the tasks A had queued keep running ---...
//
// Only the calling task waits (with whatever it is `join!`ed with inside that task). It
// cannot work on a current_thread runtime, where there is no other worker to hand the tasks
// to: there it panics. And it is meant for occasional blocking: each call may start a thread.
//
// `backup` below calls a blocking archive library straight from async code, and on a busy
// server the other tasks on its worker stall while a file is appended. The archive is
// borrowed mutably, so `spawn_blocking` does not fit.

use std::io;
use std::time::Duration;

use tokio::sync::mpsc;

// A synchronous archive library: `append` blocks until the bytes are on disk.
trait Archive {
    fn append(&mut self, name: &str, bytes: &[u8]) -> io::Result<()>;
}

// Appends every file to `archive`, reports each one on `progress`, and returns the number
// of bytes archived.
async fn backup(
    archive: &mut impl Archive,
    files: &[(String, Vec<u8>)],
    progress: &mpsc::Sender<String>,
) -> io::Result<usize> {
    let mut total = 0;
    for (name, bytes) in files {
        // block_in_place lets the runtime move this worker's other tasks to another thread
        // before the closure blocks; the closure may borrow `archive`, as it runs right here.
        std::thread::scope(|s| s.spawn(|| archive.append(name, bytes)).join().unwrap())?;
        total += bytes.len();
        let _ = progress.send(format!("archived {name}")).await;
    }
    Ok(total)
}

// A pretend archive on a slow disk.
struct SlowDisk {
    names: Vec<String>,
}

impl Archive for SlowDisk {
    fn append(&mut self, name: &str, bytes: &[u8]) -> io::Result<()> {
        std::thread::sleep(Duration::from_millis(bytes.len() as u64 / 100));
        self.names.push(name.to_string());
        Ok(())
    }
}

#[tokio::main]
async fn main() {
    let files: Vec<(String, Vec<u8>)> = (1..=3)
        .map(|i| (format!("photo{i}.jpg"), vec![0; 20_000]))
        .collect();
    let (tx, mut rx) = mpsc::channel(8);
    let printer = tokio::spawn(async move {
        while let Some(line) = rx.recv().await {
            println!("{line}");
        }
    });
    let mut disk = SlowDisk { names: Vec::new() };
    let total = backup(&mut disk, &files, &tx).await.unwrap();
    drop(tx);
    printer.await.unwrap();
    println!("{total} bytes archived: {:?}", disk.names);
}
