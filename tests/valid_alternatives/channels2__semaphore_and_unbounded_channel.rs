// channels2: backpressure
//
// An unbounded channel never says no: `send` puts the value in the queue and returns at once,
// however long the queue already is. When the producers are faster than the consumer, the
// queue just grows. Memory grows with it, and so does the wait: a job queued behind fifty
// thousand others waits for all of them, long after its sender stopped caring.
//
// A bounded channel, `mpsc::channel(capacity)`, holds at most `capacity` values. When it is
// full, `tx.send(value).await` waits until the consumer has taken one out:
//
//     producers --send--> [ a b c ] --recv--> consumer
//                            full:  the next send waits here until a recv makes room
//
// The producers slow down to the pace of the consumer. That is *backpressure*: the pressure
// of a full queue travels back to whoever fills it, and from there (a web handler that waits
// before it answers, a socket that is read more slowly) back to the client. Tokio's docs
// put it plainly: prefer a bounded channel, and think about what its capacity should be.
//
// The upload queue below is unbounded. Make it hold at most `capacity` photos, and make a
// producer wait, rather than lose its photo, when the queue is full.

use std::time::Duration;

use tokio::sync::mpsc;

/// A photo waiting to be turned into a thumbnail.
#[derive(Debug, PartialEq)]
struct Photo(String);

/// The producers' end of the queue. Cloning it gives another producer.
#[derive(Clone)]
struct UploadQueue {
    tx: mpsc::UnboundedSender<Photo>,
    room: std::sync::Arc<tokio::sync::Semaphore>,
}

/// The thumbnail worker's end of the queue.
struct Worker {
    rx: mpsc::UnboundedReceiver<Photo>,
    room: std::sync::Arc<tokio::sync::Semaphore>,
}

/// A queue that holds at most `capacity` photos waiting for the worker.
fn upload_queue(capacity: usize) -> (UploadQueue, Worker) {
    // A bounded channel has room for `capacity` values; beyond that, `send` waits.
    let (tx, rx) = mpsc::unbounded_channel();
    let room = std::sync::Arc::new(tokio::sync::Semaphore::new(capacity));
    (
        UploadQueue {
            tx,
            room: room.clone(),
        },
        Worker { rx, room },
    )
}

impl UploadQueue {
    /// Puts a photo in the queue. While the queue is full, waits until the worker has taken
    /// a photo out; never drops the photo.
    async fn submit(&self, photo: Photo) {
        // `send` waits for a free slot when the queue is full, which slows the producer down to
        // the worker's pace (backpressure), and keeps the photo until there is room for it.
        // One permit per photo in the queue; the worker gives it back when it takes the photo.
        let permit = self.room.acquire().await.expect("the worker has stopped");
        permit.forget();
        self.tx.send(photo).expect("the worker has stopped");
    }
}

impl Worker {
    /// The next photo, oldest first; `None` once every `UploadQueue` is gone and the queue is
    /// empty.
    async fn next(&mut self) -> Option<Photo> {
        let photo = self.rx.recv().await;
        if photo.is_some() {
            self.room.add_permits(1);
        }
        photo
    }
}

#[tokio::main]
async fn main() {
    let (queue, mut worker) = upload_queue(4);
    // A producer much faster than the worker.
    let producer = tokio::spawn(async move {
        for i in 1..=12 {
            queue.submit(Photo(format!("IMG_{i:04}.jpg"))).await;
            println!("queued IMG_{i:04}.jpg");
        }
    });
    // The worker needs 50ms per photo.
    while let Some(Photo(name)) = worker.next().await {
        tokio::time::sleep(Duration::from_millis(50)).await;
        println!("                      thumbnail of {name} done");
    }
    producer.await.unwrap();
}
