//! The subcommands, one file each, and what they share: opening the workbook and the
//! learner's progress, and choosing an exercise.

pub mod dev;
pub mod hint;
pub mod init;
pub mod list;
pub mod reset;
pub mod run;
pub mod verify;

use std::path::Path;
use std::time::Duration;

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
    /// Opens the workbook and the progress, printing what went wrong with the progress file
    /// (it was set aside and rebuilt) to standard error: for the one-shot commands.
    pub fn open(root: &Path) -> Result<Self> {
        let (session, warnings) = Self::open_quietly(root)?;
        for warning in warnings {
            eprintln!("{} {warning}", term::yellow("warning:"));
        }
        Ok(session)
    }

    /// [`Session::open`], handing the warnings to the caller, who draws them where they will
    /// be seen (watch mode clears the screen).
    pub fn open_quietly(root: &Path) -> Result<(Self, Vec<String>)> {
        let wb = Workbook::open(root)?;
        let (state, warning) = State::load(&wb.learner_root)?;
        Ok((Self { wb, state }, warning.into_iter().collect()))
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
    if !wb.learner_file(ex).is_file() {
        bail!(
            "`{}` is missing: was it deleted or renamed? `asynclings reset {}` restores the \
             shipped version",
            ex.path().display(),
            ex.name
        );
    }
    Ok(())
}

/// Records a verdict in the learner's progress, and returns a line for the learner when there
/// is something to say: a done exercise that fails again is no longer done; on a pass in a
/// learner workspace, the exercise's solution is written there.
pub fn record_verdict(
    wb: &Workbook,
    state: &mut State,
    ex: &Exercise,
    passed: bool,
) -> Option<String> {
    let was_done = state.is_done(&ex.name);
    state.set_done(&ex.name, passed);
    if !passed {
        return was_done.then(|| {
            format!(
                "`{}` was done; this version fails, so it is no longer marked done.",
                ex.name
            )
        });
    }
    match crate::workspace::reveal_solution(wb, ex) {
        Ok(Some(path)) => Some(format!(
            "A solution to compare with yours is now in `{}`.",
            path.display()
        )),
        Ok(None) => None,
        Err(err) => Some(format!("(could not write the solution: {err:#})")),
    }
}

/// What to say when every exercise is done.
pub fn finished(wb: &Workbook, state: &State) -> String {
    let mut out = String::new();
    if let Some(message) = &wb.final_message {
        out += &format!("{message}\n\n");
    }
    out += &format!(
        "{} all {} exercises done, with {} hints, in {}.\n",
        term::green("Summary:"),
        wb.exercises.len(),
        state.total_hints_used(),
        human_duration(state.time_spent())
    );
    out
}

pub fn human_duration(time: Duration) -> String {
    let minutes = time.as_secs() / 60;
    match (minutes / 60, minutes % 60) {
        (0, 0) => "under a minute".to_owned(),
        (0, m) => format!("{m} min"),
        (h, m) => format!("{h} h {m} min"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_naturally() {
        assert_eq!(human_duration(Duration::from_secs(59)), "under a minute");
        assert_eq!(human_duration(Duration::from_secs(125)), "2 min");
        assert_eq!(
            human_duration(Duration::from_secs(3 * 3600 + 60)),
            "3 h 1 min"
        );
    }
}
