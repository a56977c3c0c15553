// expect: compile error
// pin3: an async fn that calls itself
//
// The future of an `async fn` is a value that holds everything alive at its `.await`s,
// including the future it is awaiting at that moment. For a function that awaits itself,
// that means a future that contains a future of its own type, which contains another, as
// deep as the recursion goes, and nobody knows how deep that is at compile time:
//
//     total_size("")                     holds the future of
//       total_size("/photos")            which holds the future of
//         total_size("/photos/2024")     which holds ...      size: infinite
//
// The compiler refuses it: "recursion in an async fn requires boxing". Boxing is the
// way out: `Box::pin(total_size(..)).await` puts the inner future on the heap, and the outer
// future holds only a pointer to it, so its size is known again. Each level of the recursion
// costs one allocation. (Before Rust 1.77 the function itself had to be rewritten to return
// a boxed future; today boxing the recursive call is enough.)
//
// `total_size` below walks a directory tree on a remote file system. Make it compile.

use std::collections::BTreeSet;
use std::time::Duration;

use tokio::time::sleep;

/// What a directory listing holds.
enum Entry {
    File { size: u64 },
    Dir { name: String },
}

/// A pretend remote file system, made from the paths of its files: listing a directory takes
/// 10ms. The root directory is "", its subdirectories are "/photos", "/photos/2024", ...
struct RemoteFs {
    files: Vec<(&'static str, u64)>,
}

impl RemoteFs {
    async fn list(&self, dir: &str) -> Vec<Entry> {
        sleep(Duration::from_millis(10)).await;
        let mut entries = Vec::new();
        let mut subdirs = BTreeSet::new();
        let prefix = format!("{dir}/");
        for &(path, size) in &self.files {
            let Some(rest) = path.strip_prefix(&prefix) else {
                continue;
            };
            match rest.split_once('/') {
                Some((subdir, _)) => {
                    subdirs.insert(subdir.to_string());
                }
                None => entries.push(Entry::File { size }),
            }
        }
        entries.extend(subdirs.into_iter().map(|name| Entry::Dir { name }));
        entries
    }
}

/// The total size of the files in `dir` and in every directory below it.
fn total_size<'a>(fs: &'a RemoteFs, dir: &'a str) -> std::pin::Pin<Box<dyn Future<Output = u64> + 'a>> {
    Box::pin(async move {
        let mut total = 0;
        for entry in fs.list(dir).await {
            match entry {
                Entry::File { size } => total += size,
                Entry::Dir { name } => {
                    let subdir = format!("{dir}/{name}");
                    total += total_size(fs, &subdir).await;
                }
            }
        }
        total
    })
}

#[tokio::main]
async fn main() {
    let fs = RemoteFs {
        files: vec![
            ("/notes.txt", 3),
            ("/photos/cat.jpg", 2400),
            ("/photos/2024/sea.jpg", 3100),
            ("/photos/2024/june/hill.jpg", 2900),
            ("/music/fugue.flac", 30000),
        ],
    };
    println!("{} bytes in all", total_size(&fs, "").await);
}
