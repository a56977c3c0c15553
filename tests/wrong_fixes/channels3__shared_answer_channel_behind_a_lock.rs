// expect: the next asker received the answer meant for the one that gave up
// channels3: asking an actor a question
//
// An *actor* is a task that owns some state and is the only code that touches it. Everyone
// else sends it messages through a channel, and it handles them one at a time: no lock, no
// data race, and a clear order of events.
//
// Messages that only *tell* the actor something are easy: send, and move on. A question is
// harder: the answer has to find its way back to whoever asked. The usual way is to put a
// `tokio::sync::oneshot::Sender` in the message. A oneshot channel carries exactly one value;
// the actor answers through the sender, and the asker awaits the receiver:
//
//     asker                                        actor
//     let (reply, answer) = oneshot::channel();
//     commands.send(Get { key, reply }) ------->   Get { key, reply } => {
//                                                      let _ = reply.send(count);
//     let count = answer.await  <--------------    }
//
// Each question carries its own way back, so answers never get mixed up, however many tasks
// ask at once. If the actor drops the sender without answering, `answer.await` gives an
// `Err`: the asker learns that no answer is coming instead of waiting forever.
//
// The counter actor below works out every answer and prints it. Send it back to the asker.

use std::collections::HashMap;

use std::sync::Arc;

use tokio::sync::{Mutex, mpsc};

/// What a `Counter` handle can ask of the actor.
enum Command {
    Add {
        key: String,
        amount: u64,
    },
    /// The question carries the sender the actor answers through.
    Get {
        key: String,
    },
}

/// The actor: owns the counts, and handles one command at a time until every handle is gone.
async fn run_counter(mut commands: mpsc::Receiver<Command>, answers: mpsc::Sender<u64>) {
    let mut counts: HashMap<String, u64> = HashMap::new();
    while let Some(command) = commands.recv().await {
        match command {
            Command::Add { key, amount } => *counts.entry(key).or_default() += amount,
            Command::Get { key } => {
                let count = counts.get(&key).copied().unwrap_or(0);
                // Sending fails only if the asker has stopped waiting; then nobody needs it.
                let _ = answers.send(count).await;
            }
        }
    }
}

/// A handle to a counter actor. Clones talk to the same actor.
#[derive(Clone)]
struct Counter {
    commands: mpsc::Sender<Command>,
    answers: Arc<Mutex<mpsc::Receiver<u64>>>,
}

impl Counter {
    /// Starts a counter actor on a task of its own.
    fn start() -> Counter {
        let (commands, rx) = mpsc::channel(32);
        let (answer_tx, answers) = mpsc::channel(32);
        tokio::spawn(run_counter(rx, answer_tx));
        Counter {
            commands,
            answers: Arc::new(Mutex::new(answers)),
        }
    }

    /// Adds `amount` to the count of `key`.
    async fn add(&self, key: &str, amount: u64) {
        let key = key.to_string();
        let command = Command::Add { key, amount };
        self.commands
            .send(command)
            .await
            .expect("the counter has stopped");
    }

    /// The count of `key` (0 for a key never added to), as the actor has it once every
    /// command sent before this one has been handled.
    async fn get(&self, key: &str) -> u64 {
        // A fresh oneshot channel per question: the actor answers through `reply`, and only
        // this call holds `answer`, so no other asker can receive this answer.
        // Hold the lock from the question to the answer, so askers take turns.
        let mut answers = self.answers.lock().await;
        let key = key.to_string();
        let command = Command::Get { key };
        self.commands
            .send(command)
            .await
            .expect("the counter has stopped");
        answers.recv().await.expect("the counter has stopped")
    }
}

#[tokio::main]
async fn main() {
    let counter = Counter::start();
    let mut visitors = Vec::new();
    for page in ["home", "blog", "home", "shop", "home"] {
        let counter = counter.clone();
        visitors.push(tokio::spawn(async move { counter.add(page, 1).await }));
    }
    for visitor in visitors {
        visitor.await.unwrap();
    }
    for page in ["home", "blog", "shop", "about"] {
        println!("{page}: {} visits", counter.get(page).await);
    }
}
