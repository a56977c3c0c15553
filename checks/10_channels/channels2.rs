// Mistakes learners make on backpressure, and how each is caught:
// - an unbounded channel (the shipped code): every submit finishes at once.
// - `try_send` that drops the photo when the queue is full: photos missing at the end.
// - a `try_send` retry loop (with a sleep or a yield): the waiting submit is woken although
//   nothing was received (`is_woken`), i.e. it polls instead of being woken.
// - the wrong capacity (hard-coded, or capacity + 1): the submit that has to wait is counted,
//   for capacities the exercise does not show (1, 3, 7).
// - lost or reordered photos: the worker's photos are compared, as plain strings, with what
//   was submitted; many producers at once must all get through and the worker's loop end.

use super::{Photo, Worker, upload_queue};

use std::time::Duration;

use asynclings_support::watchdog;
use tokio_test::task::spawn;

const LIMIT: Duration = Duration::from_secs(10);

/// How many submits the check tries before it concludes that nothing ever waits.
const TRIES: usize = 200;

fn photo(capacity: usize, i: usize) -> Photo {
    Photo(name(capacity, i))
}

fn name(capacity: usize, i: usize) -> String {
    format!("cap{capacity}-photo{i}.png")
}

/// Takes every photo left in the queue, once every producer is gone.
async fn drain(worker: &mut Worker) -> Vec<String> {
    watchdog(LIMIT, "draining the worker's queue", async {
        let mut left: Vec<String> = Vec::new();
        while let Some(p) = worker.next().await {
            let p: String = p.0;
            left.push(p);
        }
        left
    })
    .await
}

/// Fills a queue of `capacity` until a submit has to wait, then checks that it waits (without
/// waking itself up) until the worker takes a photo, and that nothing is lost or reordered.
async fn assert_backpressure(capacity: usize) {
    let (queue, mut worker) = upload_queue(capacity);

    let mut waiting = None;
    for i in 0..TRIES {
        let producer = queue.clone();
        let mut submit = spawn(async move { producer.submit(photo(capacity, i)).await });
        if submit.poll().is_pending() {
            waiting = Some((i, submit));
            break;
        }
    }
    let Some((i, mut submit)) = waiting else {
        drop(queue);
        let n = drain(&mut worker).await.len();
        if n == TRIES {
            panic!(
                "with a capacity of {capacity}, all {TRIES} submits finished at once, before the \
                 worker took a single photo: nothing holds the producers back. An unbounded \
                 channel grows without limit; a bounded one (`mpsc::channel(capacity)`) makes \
                 `send(..).await` wait while it is full"
            );
        }
        panic!(
            "with a capacity of {capacity}, all {TRIES} submits finished at once, but only {n} of \
             the photos reached the worker: the others were dropped. Backpressure means that the \
             producer waits for room (`send(..).await`), not that its work is thrown away (as \
             with `try_send` on a full channel)"
        );
    };
    assert_eq!(
        i,
        capacity,
        "with a capacity of {capacity} and no photo taken yet, submit number {} had to wait; \
         expected the first {capacity} submits to finish at once and number {} to wait: is the \
         channel made with the `capacity` asked for?",
        i + 1,
        capacity + 1
    );

    // Time passes, nothing is received: the waiting submit has no reason to wake up.
    tokio::time::sleep(Duration::from_millis(250)).await;
    assert!(
        !submit.is_woken(),
        "a submit waiting on a full queue woke up although the worker had taken nothing: is it \
         retrying (`try_send` in a loop, with a sleep or a yield)? That burns CPU while it \
         waits. `send(..).await` sleeps until there is room and is woken just then"
    );
    assert!(
        submit.poll().is_pending(),
        "a submit on a full queue finished although the worker had taken nothing"
    );

    let first: Option<String> = watchdog(LIMIT, "worker.next()", worker.next())
        .await
        .map(|p| p.0);
    assert_eq!(
        first,
        Some(name(capacity, 0)),
        "the worker's first photo should be the first one submitted"
    );
    assert!(
        submit.is_woken(),
        "the worker took a photo out of the full queue, but the submit waiting for room was not \
         woken"
    );
    assert!(
        submit.poll().is_ready(),
        "the worker took a photo out of the full queue (capacity {capacity}), but the submit \
         waiting for room still could not finish"
    );
    drop(submit);
    drop(queue);

    let left = drain(&mut worker).await;
    let expected: Vec<String> = (1..=capacity).map(|i| name(capacity, i)).collect();
    assert_eq!(
        left, expected,
        "after the first photo, the worker got {left:?}; expected the rest, in the order submitted, \
         the photo that had to wait included"
    );
}

#[tokio::test(start_paused = true)]
async fn a_full_queue_of_three_makes_the_producer_wait() {
    assert_backpressure(3).await;
}

#[tokio::test(start_paused = true)]
async fn a_full_queue_of_seven_makes_the_producer_wait() {
    assert_backpressure(7).await;
}

#[tokio::test(start_paused = true)]
async fn a_queue_of_one() {
    assert_backpressure(1).await;
}

#[tokio::test(start_paused = true)]
async fn many_producers_take_turns() {
    // Three producer tasks push 20 photos each into a queue of 2 while the worker takes them
    // one at a time, letting other tasks run in between: every photo arrives, and the
    // worker's loop ends once the producers are gone.
    let (queue, mut worker) = upload_queue(2);
    let mut producers = Vec::new();
    for p in 0..3 {
        let queue = queue.clone();
        producers.push(tokio::spawn(async move {
            for i in 0..20 {
                queue.submit(Photo(format!("p{p}-{i}"))).await;
            }
        }));
    }
    drop(queue);
    let received = watchdog(LIMIT, "the worker", async {
        let mut n = 0;
        while worker.next().await.is_some() {
            n += 1;
            for _ in 0..3 {
                tokio::task::yield_now().await;
            }
        }
        n
    })
    .await;
    assert_eq!(
        received, 60,
        "three producers submitted 20 photos each; the worker received {received}"
    );
    for producer in producers {
        producer.await.expect("a producer panicked");
    }
}
