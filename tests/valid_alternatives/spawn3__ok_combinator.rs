// Valid alternative: the handles' results turned into options with `.ok()`.
// spawn3: a task that panics
//
// A panic inside a spawned task does not bring down the program. The runtime catches it at
// the edge of the task, ends that task, and keeps running all the others. The panic is handed
// to whoever awaits the task's `JoinHandle`, as an error:
//
//     match handle.await {
//         Ok(value) => ...,                      // the task finished
//         Err(err) if err.is_panic() => ...,     // the task panicked
//         Err(err) => ...,                       // the task was cancelled (err.is_cancelled())
//     }
//
// `handle.await.unwrap()` throws that protection away: it turns the task's panic back into a
// panic of the caller, and one bad task takes down everything that waits on it. Sometimes
// that is what you want (a panic is a bug). When tasks process untrusted input with code that
// may panic, it usually is not.
//
// `decode_all` below decodes frames with a decoder it is handed, which panics on input it
// does not like. The decoder belongs to another crate: you cannot fix it, and you cannot know
// in advance what it will refuse (its next version may refuse more), so checking the frames
// yourself first is no way out. One frame that makes it panic should cost one result, not all
// of them.

use std::time::Duration;

/// A decoder from another crate: reads a frame such as "0x1f" as a number, and panics when
/// the frame is corrupt. (Pretend you cannot change it; `main` hands it to `decode_all`.)
fn decode(frame: &str) -> u32 {
    let digits = frame
        .strip_prefix("0x")
        .expect("corrupt frame: no 0x prefix");
    u32::from_str_radix(digits, 16).expect("corrupt frame: not hexadecimal")
}

/// Pretends to fetch a frame's payload (5ms), then decodes it with `decode`.
async fn decode_frame(frame: String, decode: fn(&str) -> u32) -> u32 {
    tokio::time::sleep(Duration::from_millis(5)).await;
    decode(&frame)
}

/// Decodes every frame with `decode`, each on a task of its own. Returns the values in the
/// order of `frames`, with `None` for each frame whose decoding panicked.
async fn decode_all(frames: Vec<String>, decode: fn(&str) -> u32) -> Vec<Option<u32>> {
    let tasks: Vec<_> = frames
        .into_iter()
        .map(|frame| tokio::spawn(decode_frame(frame, decode)))
        .collect();
    let mut values = Vec::new();
    for task in tasks {
        values.push(task.await.ok());
    }
    values
}

#[tokio::main]
async fn main() {
    let frames = ["0x10", "0xZZ", "0x2a"].map(String::from).to_vec();
    println!("{:?}", decode_all(frames, decode).await);
}
