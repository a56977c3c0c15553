// Mistakes learners make on a recursive async fn, and how each is caught:
// - the recursion left unboxed (the shipped code): does not compile (E0733).
// - only the top level boxed, or recursion cut off at some depth: sizes of deep trees (nine
//   levels) are compared exactly; the message says when only the top directory counted.
// - a boxed future that is not `Send` (`Pin<Box<dyn Future>>` without `+ Send`): the check
//   requires `Send` of the walk (compile error).
// - bypassing the listing (adding up `fs.files` directly): every listing takes 10 ms, so a
//   walk must take at least 10 ms per level of directories; it is timed in virtual time.
// - hard-coding: trees are not the exercise's.
// An iterative walk (a stack of directories) or a concurrent one is a correct answer too.

use super::{RemoteFs, total_size};

use std::time::Duration;

use asynclings_support::watchdog;

const LIMIT: Duration = Duration::from_secs(10);

fn assert_send<T: Send>(_: &T) {}

async fn assert_total(files: &[(&'static str, u64)], dir: &str) {
    let fs = RemoteFs {
        files: files.to_vec(),
    };
    let walking = total_size(&fs, dir);
    // The boxed recursion is still `Send`: it could run on a spawned task.
    assert_send(&walking);
    let start = tokio::time::Instant::now();
    let got: u64 = watchdog(LIMIT, "total_size", walking).await;
    let took = start.elapsed();
    let prefix = format!("{dir}/");
    // Levels of directories to list: `dir` itself, and each level below it that has files.
    let levels = files
        .iter()
        .filter_map(|(p, _)| p.strip_prefix(&prefix))
        .map(|rest| rest.matches('/').count() + 1)
        .max()
        .unwrap_or(1);
    let below: Vec<&(&str, u64)> = files
        .iter()
        .filter(|(p, _)| p.starts_with(&prefix))
        .collect();
    let expected: u64 = below.iter().map(|(_, s)| s).sum();
    let top: u64 = below
        .iter()
        .filter(|(p, _)| !p[prefix.len()..].contains('/'))
        .map(|(_, s)| s)
        .sum();
    let why = if got == top && top != expected {
        "that is only the files directly in it: are its subdirectories walked, all the way down?"
    } else {
        "every file in it and in every directory below it counts, once"
    };
    assert_eq!(
        got, expected,
        "total_size({dir:?}) returned {got} for the files {files:?}; expected {expected}: {why}"
    );
    let at_least = Duration::from_millis(10 * levels as u64);
    assert!(
        took >= at_least,
        "total_size({dir:?}) returned after {took:?} of virtual time, but listing a directory \
         takes 10ms and the walk goes {levels} level(s) deep, so it needs at least \
         {at_least:?}: does it add up `fs.files` without listing the directories?"
    );
}

#[tokio::test(start_paused = true)]
async fn a_deep_tree() {
    assert_total(
        &[
            ("/a.log", 1),
            ("/srv/b.log", 20),
            ("/srv/www/c.html", 300),
            ("/srv/www/img/d.png", 4000),
            ("/srv/www/img/old/e.png", 50000),
            ("/srv/www/img/old/older/f.png", 600000),
            ("/home/g.txt", 7000000),
        ],
        "",
    )
    .await;
}

#[tokio::test(start_paused = true)]
async fn a_subtree() {
    assert_total(
        &[
            ("/x/1", 11),
            ("/x/y/2", 22),
            ("/x/y/z/3", 33),
            ("/x/w/4", 44),
            ("/q/5", 55),
        ],
        "/x",
    )
    .await;
}

#[tokio::test(start_paused = true)]
async fn only_directories_of_directories() {
    assert_total(&[("/1/2/3/4/5/6/7/8/9/deep.bin", 12345)], "").await;
}

#[tokio::test(start_paused = true)]
async fn an_empty_directory() {
    assert_total(&[("/elsewhere/f", 9)], "/nothing").await;
}
