//! The exercise list inside watch mode: move, filter, jump to an exercise, reset one.

use console::Key;

use crate::state::State;
use crate::term;
use crate::workbook::Workbook;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Filter {
    All,
    Pending,
    Done,
}

pub enum Action {
    Stay,
    Back,
    Jump(usize),
    Reset(usize),
}

pub struct ListView {
    /// The selected exercise, as an index into the workbook's list.
    pub selected: usize,
    pub filter: Filter,
}

impl ListView {
    pub fn new(current: usize) -> Self {
        Self {
            selected: current,
            filter: Filter::All,
        }
    }

    fn visible(&self, wb: &Workbook, state: &State) -> Vec<usize> {
        (0..wb.exercises.len())
            .filter(|&idx| {
                let done = state.is_done(&wb.exercises[idx].name);
                match self.filter {
                    Filter::All => true,
                    Filter::Pending => !done,
                    Filter::Done => done,
                }
            })
            .collect()
    }

    pub fn key(&mut self, key: &Key, wb: &Workbook, state: &State) -> Action {
        let visible = self.visible(wb, state);
        let position = visible.iter().position(|&idx| idx == self.selected);
        match key {
            Key::ArrowDown | Key::Char('j') => {
                let next = position.map_or(0, |p| (p + 1).min(visible.len().saturating_sub(1)));
                if let Some(&idx) = visible.get(next) {
                    self.selected = idx;
                }
            }
            Key::ArrowUp | Key::Char('k') => {
                let prev = position.map_or(0, |p| p.saturating_sub(1));
                if let Some(&idx) = visible.get(prev) {
                    self.selected = idx;
                }
            }
            Key::Home | Key::Char('g') => {
                self.selected = visible.first().copied().unwrap_or(self.selected)
            }
            Key::End | Key::Char('G') => {
                self.selected = visible.last().copied().unwrap_or(self.selected)
            }
            Key::Char('f') => {
                self.filter = match self.filter {
                    Filter::All => Filter::Pending,
                    Filter::Pending => Filter::Done,
                    Filter::Done => Filter::All,
                };
                let visible = self.visible(wb, state);
                if !visible.contains(&self.selected)
                    && let Some(&first) = visible.first()
                {
                    self.selected = first;
                }
            }
            Key::Enter | Key::Char('c') if position.is_some() => {
                return Action::Jump(self.selected);
            }
            Key::Char('r') | Key::Char('x') if position.is_some() => {
                return Action::Reset(self.selected);
            }
            Key::Escape | Key::Char('q') | Key::Char('l') => return Action::Back,
            _ => {}
        }
        Action::Stay
    }

    pub fn render(
        &self,
        wb: &Workbook,
        state: &State,
        current: usize,
        rows: usize,
        width: usize,
    ) -> String {
        let visible = self.visible(wb, state);
        let room = rows.saturating_sub(6).max(3);
        let position = visible
            .iter()
            .position(|&idx| idx == self.selected)
            .unwrap_or(0);
        let first = position
            .saturating_sub(room / 2)
            .min(visible.len().saturating_sub(room));
        let name_width = wb
            .exercises
            .iter()
            .map(|ex| ex.name.len())
            .max()
            .unwrap_or(4);
        let filter = match self.filter {
            Filter::All => "all",
            Filter::Pending => "pending",
            Filter::Done => "done",
        };
        let mut out = format!(
            "{} ({filter}, {} of {} done)\n",
            term::bold("Exercises"),
            state.n_done(wb),
            wb.exercises.len()
        );
        for &idx in visible.iter().skip(first).take(room) {
            let ex = &wb.exercises[idx];
            let cursor = if idx == self.selected { ">" } else { " " };
            let here = if idx == current { "*" } else { " " };
            let state_text = if state.is_done(&ex.name) {
                term::green("done   ")
            } else {
                term::yellow("pending")
            };
            let line = format!(
                "{cursor}{here} {:<name_width$}  {state_text}  {}",
                ex.name,
                ex.path().display()
            );
            let line = console::truncate_str(&line, width.max(20), "…").into_owned();
            out += &if idx == self.selected {
                term::bold(&line)
            } else {
                line
            };
            out.push('\n');
        }
        if visible.is_empty() {
            out += "  (no exercises match this filter)\n";
        }
        let keys = "↑/↓ move · enter go to · f filter · r reset · esc back";
        let keys = if keys.chars().count() <= width {
            keys
        } else {
            "↑↓ enter f r esc"
        };
        out += &format!("\n{}", term::dim(keys));
        out
    }
}
