//! The first, cold build of the exercises' dependencies, with a progress bar instead of a
//! silent wait, remembered so that later runs skip straight to the exercise.

use std::hash::{DefaultHasher, Hash, Hasher};
use std::io::IsTerminal;

use anyhow::Result;
use indicatif::{ProgressBar, ProgressStyle};

use crate::cargo;
use crate::workbook::Workbook;

const MARKER_FILE: &str = "asynclings-dependencies-built";

const FIRST_BUILD: &str = "Building the exercises' dependencies (tokio and friends). This \
     happens once and takes a minute or two; every check after it takes well under a second.";

/// Grading never links what a student's repository holds (its `target/` could hold anything):
/// it builds the dependencies in its own workspace, once per machine and version of the checks.
const GRADING_BUILD: &str = "Building the exercises' dependencies for grading, in a workspace \
     of its own under your cache directory: grading never uses what was built in the \
     repository it grades. This happens once per machine and version of the checks, and takes \
     a minute or two.";

/// Makes sure tokio and the other exercise dependencies are built, showing progress when they
/// are not. A marker in the target directory (tied to `Cargo.lock`) skips the cargo call on
/// later runs; without it, a warm check costs one more cargo start.
pub async fn ensure_dependencies(wb: &Workbook) -> Result<()> {
    let marker = cargo::target_dir(wb).join(MARKER_FILE);
    let fingerprint = fingerprint(wb);
    if std::fs::read_to_string(&marker).is_ok_and(|text| text == fingerprint) {
        return Ok(());
    }
    let interactive = std::io::stderr().is_terminal();
    let bar = ProgressBar::hidden();
    let mut announced = false;
    let built = cargo::warm_up(wb, |progress| {
        if !announced {
            announced = true;
            eprintln!(
                "{}",
                if wb.grading {
                    GRADING_BUILD
                } else {
                    FIRST_BUILD
                }
            );
            if interactive {
                bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
                bar.set_style(
                    ProgressStyle::with_template("{bar:40.cyan/blue} {pos}/{len} {msg}")
                        .unwrap_or_else(|_| ProgressStyle::default_bar()),
                );
            }
        }
        bar.set_length(progress.total as u64);
        bar.set_position(progress.done as u64);
        bar.set_message(progress.current.clone());
    })
    .await;
    bar.finish_and_clear();
    let built = built?;
    if built {
        eprintln!("Dependencies built.");
    }
    if let Some(parent) = marker.parent() {
        let _ = std::fs::create_dir_all(parent);
    }
    // A failed write only costs the next run one more cargo start.
    let _ = std::fs::write(&marker, fingerprint);
    Ok(())
}

fn fingerprint(wb: &Workbook) -> String {
    let mut hasher = DefaultHasher::new();
    for file in [
        "Cargo.lock",
        "Cargo.toml",
        "checks/Cargo.toml",
        "checks/support.rs",
    ] {
        std::fs::read(wb.root.join(file))
            .unwrap_or_default()
            .hash(&mut hasher);
    }
    format!("{:016x}", hasher.finish())
}
