//! The subcommands, one file each, and what they share: opening the workbook and the
//! learner's progress, and choosing an exercise.

pub mod dev;
pub mod hint;
pub mod list;
pub mod reset;
pub mod run;
pub mod verify;

use std::path::Path;

use anyhow::{Result, bail};

use crate::exercise::Exercise;
use crate::state::State;
use crate::term;
use crate::workbook::Workbook;

/// The workbook with the learner's progress.
pub struct Session {
    pub wb: Workbook,
    pub state: State,
}

impl Session {
    pub fn open(root: &Path) -> Result<Self> {
        let wb = Workbook::load(root)?;
        let (state, warning) = State::load(root)?;
        if let Some(warning) = warning {
            eprintln!("{} {warning}", term::yellow("warning:"));
        }
        Ok(Self { wb, state })
    }

    /// The exercise called `name`, or the current one.
    pub fn pick(&self, name: Option<&str>) -> Result<usize> {
        match name {
            Some(name) => self.wb.find(name),
            None => match self.state.current_exercise(&self.wb) {
                Some(idx) => Ok(idx),
                None => bail!(
                    "every exercise is done: name one to run it again (`asynclings list` shows them)"
                ),
            },
        }
    }
}

/// An error when the learner's file for `ex` is gone, saying how to get it back.
pub fn require_file(wb: &Workbook, ex: &Exercise) -> Result<()> {
    if !wb.root.join(ex.path()).is_file() {
        bail!(
            "`{}` is missing: was it deleted or renamed? `asynclings reset {}` restores the \
             shipped version",
            ex.path().display(),
            ex.name
        );
    }
    Ok(())
}
