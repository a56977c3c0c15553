//! The curriculum as the runner was built with it (see `build.rs`): what grading grades with,
//! what `init` writes into a learner's workspace, and what `reset` restores there.

include!(concat!(env!("OUT_DIR"), "/embedded.rs"));

/// The embedded file at `path` (workbook-relative, `/`-separated), wherever it is kept.
pub fn file(path: &str) -> Option<&'static str> {
    FILES
        .iter()
        .chain(LEARNER_FILES)
        .chain(SOLUTIONS)
        .find(|(p, _)| *p == path)
        .map(|(_, content)| *content)
}
