// Checks for async_fn5: `.await?` across error types, with context.
//
// Mistakes a learner makes here, and how each is caught:
// - `unwrap`/`expect` instead of `?` (catching nothing, crashing instead): load_port runs
//   under `catch_unwind`, and a panic is reported as such.
// - `From` impls (which cannot know the path) or a fixed path string: the checks read paths
//   the exercise does not show, and the error must name the one that was read.
// - the original error dropped or replaced (a new `io::Error`, a `String`): its kind and
//   `source()` must be the callee's, unchanged.
// - the wrong variant (a parse failure reported as a read failure, or the other way round).
// - the Ok path changed (trimming dropped): a value with spaces and a newline must parse.

use super::{ConfigError, Files, load_port};

use std::error::Error;
use std::io;
use std::num::IntErrorKind;
use std::panic::AssertUnwindSafe;
use std::time::Duration;

use asynclings_support::watchdog;
use futures::FutureExt;

const LIMIT: Duration = Duration::from_secs(10);

// Runs load_port, turning a panic (an `unwrap` or `expect` left in) into a failure that
// says so.
async fn load(files: &Files, path: &str) -> Result<u16, ConfigError> {
    let what = format!("load_port(&files, {path:?})");
    let run = AssertUnwindSafe(load_port(files, path)).catch_unwind();
    match watchdog(LIMIT, &what, run).await {
        Ok(result) => {
            let result: Result<u16, ConfigError> = result;
            result
        }
        Err(_) => panic!(
            "{what} panicked instead of returning an error. An `unwrap` or `expect` turns a \
             missing file or a bad number into a crash; `?` hands the error to the caller"
        ),
    }
}

#[tokio::test(start_paused = true)]
async fn a_good_file_gives_its_port() {
    let files = Files::with(&[("conf/cache.conf", "  6379\n")]);
    let result = load(&files, "conf/cache.conf").await;
    assert!(
        matches!(result, Ok(6379)),
        "load_port(&files, \"conf/cache.conf\") on a file holding \"  6379\\n\" gave \
         {result:?}; expected Ok(6379). The Ok path should be as it was"
    );
}

#[tokio::test(start_paused = true)]
async fn a_missing_file_is_a_read_error_that_names_the_file() {
    let files = Files::with(&[("conf/other.conf", "1")]);
    let result = load(&files, "conf/db.conf").await;
    let err = match result {
        Err(err) => err,
        Ok(port) => panic!("load_port on a missing file gave Ok({port}); expected an error"),
    };
    match &err {
        ConfigError::Read { path, source } => {
            let path: &String = path;
            let source: &io::Error = source;
            assert_eq!(
                path, "conf/db.conf",
                "reading the missing file \"conf/db.conf\" gave a Read error for the path \
                 {path:?}. The error must name the file that was read: a `From` impl cannot \
                 know it, and a fixed string names the wrong one. Add the `path` argument \
                 with map_err before the `?`"
            );
            assert_eq!(
                source.kind(),
                io::ErrorKind::NotFound,
                "the Read error's source is {source:?}; expected the io::Error from \
                 files.read, unchanged"
            );
        }
        other => panic!(
            "reading the missing file \"conf/db.conf\" gave {other:?}; expected \
             ConfigError::Read, since it is files.read that failed"
        ),
    }
    let cause = err.source().map(|cause| cause.to_string());
    assert_eq!(
        cause.as_deref(),
        Some("no such file"),
        "the error's source() is {cause:?}; expected the original io::Error (\"no such \
         file\"), kept as `source`"
    );
}

#[tokio::test(start_paused = true)]
async fn a_file_without_a_number_is_a_parse_error_that_names_the_file() {
    let files = Files::with(&[("etc/queue.conf", "port=5672"), ("etc/huge.conf", "70000")]);
    for (path, kind) in [
        ("etc/queue.conf", IntErrorKind::InvalidDigit),
        ("etc/huge.conf", IntErrorKind::PosOverflow),
    ] {
        let result = load(&files, path).await;
        match &result {
            Err(ConfigError::Parse {
                path: named,
                source,
            }) => {
                let named: &String = named;
                let source: &std::num::ParseIntError = source;
                assert_eq!(
                    named, path,
                    "parsing {path:?} failed with a Parse error for the path {named:?}. The \
                     error must name the file that was read: a `From` impl cannot know it, \
                     and a fixed string names the wrong one. Add the `path` argument with \
                     map_err before the `?`"
                );
                assert_eq!(
                    source.kind(),
                    &kind,
                    "the Parse error for {path:?} has the source {source:?}; expected the \
                     ParseIntError from `parse`, unchanged"
                );
            }
            other => panic!(
                "load_port(&files, {path:?}) on a file that does not hold a port number gave \
                 {other:?}; expected Err(ConfigError::Parse {{ path: {path:?}, .. }}), since \
                 it is `parse` that failed"
            ),
        }
    }
}
