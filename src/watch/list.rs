//! The exercise list inside watch mode: move, filter, search, jump to an exercise, reset one.

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
    /// Only exercises whose name or topic contains this (`/` to type it).
    pub query: String,
    /// Keys go to the query until `enter` or `esc`.
    pub searching: bool,
}

impl ListView {
    pub fn new(current: usize) -> Self {
        Self {
            selected: current,
            filter: Filter::All,
            query: String::new(),
            searching: false,
        }
    }

    /// After the filter or the query changed: keep the selection on a visible exercise.
    fn keep_selection_visible(&mut self, wb: &Workbook, state: &State) {
        let visible = self.visible(wb, state);
        if !visible.contains(&self.selected)
            && let Some(&first) = visible.first()
        {
            self.selected = first;
        }
    }

    fn search_key(&mut self, key: &Key, wb: &Workbook, state: &State) -> Action {
        match key {
            Key::Char(c) if !c.is_control() => self.query.push(*c),
            Key::Backspace => {
                self.query.pop();
            }
            Key::Enter => self.searching = false,
            Key::Escape => {
                self.query.clear();
                self.searching = false;
            }
            _ => {}
        }
        self.keep_selection_visible(wb, state);
        Action::Stay
    }

    fn visible(&self, wb: &Workbook, state: &State) -> Vec<usize> {
        let query = self.query.to_lowercase();
        (0..wb.exercises.len())
            .filter(|&idx| {
                let ex = &wb.exercises[idx];
                let done = state.is_done(&ex.name);
                let kept = match self.filter {
                    Filter::All => true,
                    Filter::Pending => !done,
                    Filter::Done => done,
                };
                kept && (query.is_empty()
                    || ex.name.contains(&query)
                    || ex.dir.as_deref().is_some_and(|d| d.contains(&query)))
            })
            .collect()
    }

    pub fn key(&mut self, key: &Key, wb: &Workbook, state: &State) -> Action {
        if self.searching {
            return self.search_key(key, wb, state);
        }
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
                self.keep_selection_visible(wb, state);
            }
            Key::Char('/') => self.searching = true,
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
        if self.searching || !self.query.is_empty() {
            let cursor = if self.searching { "▏" } else { "" };
            out += &format!("Search: {}{cursor}\n", self.query);
        }
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
        let keys = if self.searching {
            "type to search · enter keep · esc clear"
        } else {
            "↑/↓ move · enter go to · / search · f filter · r reset · esc back"
        };
        let keys = if keys.chars().count() <= width {
            keys
        } else if self.searching {
            "enter esc"
        } else {
            "↑↓ enter / f r esc"
        };
        out += &format!("\n{}", term::dim(keys));
        out
    }
}
