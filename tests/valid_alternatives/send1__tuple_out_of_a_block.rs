// send1: what a future keeps across an `.await`
//
// The compiler turns an `async fn` into a state machine: an enum with one variant per
// `.await` where the function can pause. Each variant stores every local variable that is
// still alive at that point, because when the function resumes, those values must still be
// there:
//
//     async fn survey(..) {
//         let doc = parse(&site.fetch(&path).await);  // <- paused here: `doc` does not exist yet
//         for link in doc.links() {
//             site.fetch(&link).await;                // <- paused here: the future holds `doc`
//         }
//     }
//
// So the future is `Send` (it may move to another thread between two polls) only if every
// value it holds at every `.await` is `Send`. `tokio::spawn` demands `Send`, because a
// multi-threaded runtime may resume a task on any of its threads. One `Rc` alive across one
// `.await` is enough to make the whole future un-spawnable, and the compiler's error points
// at exactly that `.await` ("future is not `Send` as this value is used across an await").
//
// Two ways out: hold `Send` values instead (`Arc` for `Rc`, `tokio::sync::Mutex` for a
// `std::sync::MutexGuard`), or make sure the value is gone before the `.await`. When the type
// is not yours to change, only the second is open to you, and the reliable way to do it is a
// block: take what you need out of the value inside `{ .. }`, and let the block end before the
// `.await`. `drop(doc)` before the `.await` looks as if it should do the same, but rustc
// decides what a future holds from the *scopes* of its variables: a variable that was
// borrowed (any method call `doc.links()` borrows it) counts as held until the end of its
// scope, `drop` or not, and the future stays non-`Send`. `std::mem::forget` is worse: the
// value is never dropped at all, and whatever it owns leaks.
//
// `unsafe impl Send` for a wrapper silences the compiler, but the type is not `Send` for a
// reason, and the compiler cannot check your promise. Here the reason is spelled out: the
// parser's documents must stay on the thread that parsed them.
//
// Moving the parsing somewhere else (a `std::thread` you `join()`, which blocks the runtime's
// thread while it waits) sidesteps the lesson: the parser keeps a cache per thread, so parse
// on the task, as the code does now.
//
// `survey` below cannot be spawned. Make it spawnable without changing `Document` or `parse`.

use std::cell::Cell;
use std::collections::BTreeMap;
use std::rc::Rc;
use std::sync::Arc;
use std::thread::{self, ThreadId};
use std::time::Duration;

/// A parsed page. Pretend it comes from a parsing library: change the code that uses it, not
/// this type. Like the trees of many parsers it shares its parts through `Rc`, so it is not
/// `Send`, and it must be dropped on the thread that parsed it (it checks).
struct Document {
    words: Rc<[Rc<str>]>,
    parsed_on: ThreadId,
}

thread_local! {
    /// The parser's bookkeeping on this thread: how many documents it has parsed, and how many
    /// of them are still alive.
    static PARSED: Cell<usize> = const { Cell::new(0) };
    static ALIVE: Cell<usize> = const { Cell::new(0) };
}

fn parse(text: &str) -> Document {
    PARSED.set(PARSED.get() + 1);
    ALIVE.set(ALIVE.get() + 1);
    Document {
        words: text.split_whitespace().map(Rc::from).collect(),
        parsed_on: thread::current().id(),
    }
}

impl Document {
    /// How many words the page has (links are not words).
    fn word_count(&self) -> usize {
        self.words.iter().filter(|w| !w.starts_with('/')).count()
    }

    /// The paths the page links to, in order.
    fn links(&self) -> Vec<String> {
        let links = self.words.iter().filter(|w| w.starts_with('/'));
        links.map(|w| w.to_string()).collect()
    }
}

impl Drop for Document {
    fn drop(&mut self) {
        ALIVE.set(ALIVE.get().wrapping_sub(1));
        if thread::current().id() != self.parsed_on && !thread::panicking() {
            panic!("a Document was dropped on another thread than the one that parsed it");
        }
    }
}

/// A pretend web site: every fetch takes 20ms; a page that does not exist is empty.
struct Site {
    pages: Vec<(&'static str, &'static str)>,
}

impl Site {
    async fn fetch(&self, path: &str) -> String {
        tokio::time::sleep(Duration::from_millis(20)).await;
        let page = self.pages.iter().find(|(p, _)| *p == path);
        page.map_or(String::new(), |(_, text)| text.to_string())
    }
}

/// Fetches the page at `path` and each page it links to, one after another. Returns the word
/// count of each of these pages, by path.
async fn survey(site: Arc<Site>, path: String) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    let page = site.fetch(&path).await;
    // The `Document` lives only inside this block: by the next `.await` it is gone, so the
    // future never holds one while paused. What we keep (a count and a `Vec<String>`) is
    // `Send`, and so is the whole future.
    let (count, links) = {
        let doc = parse(&page);
        (doc.word_count(), doc.links())
    };
    counts.insert(path, count);
    for link in links {
        let linked = parse(&site.fetch(&link).await);
        counts.insert(link, linked.word_count());
    }
    counts
}

#[tokio::main]
async fn main() {
    let site = Arc::new(Site {
        pages: vec![
            ("/", "welcome to our little shop /about /prices"),
            ("/about", "we sell tea and maps since 1887 /"),
            ("/prices", "tea 4 maps 9"),
        ],
    });
    let task = tokio::spawn(survey(site, "/".to_string()));
    println!("{:?}", task.await.unwrap());
}
