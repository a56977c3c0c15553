//! Watch mode: one event loop over file events, key presses and the running check. A save
//! that arrives while a check runs cancels it (its process group is killed) and starts a new
//! one, so the verdict on screen is always for the file's latest content.

mod files;
mod keys;
mod list;
mod screen;

use std::fs::File;
use std::future::Future;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Result;
use console::Key;
use tokio::sync::mpsc;
use tokio::time::{Instant, MissedTickBehavior, interval, sleep_until};

use crate::check::{check, check_learner_files};
use crate::commands::Session;
use crate::commands::record_verdict;
use crate::commands::reset::reset_exercise;
use crate::exercise::Variant;
use crate::fs_util::fnv1a;
use crate::outcome::Outcome;
use crate::state::State;
use crate::term;
use crate::warm_up::ensure_dependencies;
use crate::workbook::{INFO_FILE, Workbook};

use files::{Change, Events, FileEvent, Poll, Poller};
use list::ListView;

/// How long to wait for more writes after the last file event before checking. Short after a
/// finished write (the file was closed or renamed into place); longer after a bare
/// modification, which editors that save in several steps follow with more.
const SETTLE_AFTER_FINISHED: Duration = Duration::from_millis(15);
const SETTLE_AFTER_MODIFIED: Duration = Duration::from_millis(100);

const CHECKING: &str = "⟳ Checking your latest save… (a new save restarts the check)";

const NO_TERMINAL: &str = "watch mode needs a terminal to read keys from, so asynclings checks \
     the current exercise once instead";

/// Set to a file path to have watch mode append a line for each check it starts, cancels and
/// finishes (used by the tests and the latency benchmark).
const LOG_VAR: &str = "ASYNCLINGS_WATCH_LOG";

/// What `?` shows.
const KEYS_HELP: &str = "Keys: h the next hint · n the next exercise (after a pass) · l the \
     list (/ to search in it) · c check every exercise · r check again · x reset this exercise \
     · q quit. Saving the file checks it.";

#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// Move to the next exercise as soon as one passes.
    pub auto_advance: bool,
    /// Check only when `r` is pressed.
    pub manual_run: bool,
    /// Poll the file instead of relying on file events.
    pub poll: bool,
}

pub async fn watch(root: &Path, options: Options) -> Result<ExitCode> {
    if !(std::io::stdin().is_terminal() && std::io::stdout().is_terminal()) {
        eprintln!("note: {NO_TERMINAL}");
        return crate::commands::run::start(root).await;
    }
    let Session { wb, state } = Session::open(root)?;
    let first_run = state.first_run;
    if first_run && let Some(welcome) = &wb.welcome_message {
        println!("{welcome}\n");
    }
    ensure_dependencies(&wb).await?;
    let Some(current) = state.current_exercise(&wb) else {
        println!("{}", screen::finished(&wb, &state));
        return Ok(ExitCode::SUCCESS);
    };
    let guard = keys::TerminalGuard::new();
    let (events, notice) = Events::start(&wb.learner_root, options.poll);
    let polling = !events.is_watching();
    let poller = Poller::new(wb.learner_file(&wb.exercises[current]), polling);
    let (progress_tx, progress_rx) = mpsc::unbounded_channel();
    let mut app = App {
        wb: &wb,
        state,
        options,
        current,
        view: View::Exercise,
        verdict: Verdict::Checking,
        job: None,
        last_started: None,
        hints_shown: 0,
        notices: notice.into_iter().collect(),
        message: None,
        welcome: first_run.then(|| wb.welcome_message.clone()).flatten(),
        keys: keys::spawn_reader(),
        events,
        poller,
        settle: None,
        session_start: std::time::Instant::now(),
        log: std::env::var_os(LOG_VAR).and_then(|path| {
            File::options()
                .create(true)
                .append(true)
                .open(PathBuf::from(path))
                .ok()
        }),
        progress_tx,
        progress_rx,
    };
    let result = app.run().await;
    app.state.add_time_spent(app.session_start.elapsed());
    let saved = app.state.save();
    drop(guard);
    println!("\n\nYour progress is saved. Run `cargo run --release` (or `asynclings`) to go on.");
    saved?;
    result
}

enum View {
    Exercise,
    List(ListView),
    /// Asking whether to reset exercise `idx`; back to the list afterwards if it came from there.
    ConfirmReset {
        idx: usize,
        list: Option<ListView>,
    },
}

enum Verdict {
    Checking,
    Done(Outcome),
    Missing,
    Failed(String),
    /// Saved but not checked (`--manual-run`).
    Unchecked,
    AllDone,
}

enum JobKind {
    One { idx: usize, hash: u64 },
    All,
}

enum JobOutput {
    One(Outcome),
    All(Vec<bool>),
}

type JobFuture<'a> = Pin<Box<dyn Future<Output = Result<JobOutput>> + 'a>>;

struct Job<'a> {
    kind: JobKind,
    future: JobFuture<'a>,
}

enum Event {
    Key(Key),
    KeysGone,
    File(FileEvent),
    Settled,
    JobDone(Result<JobOutput>),
    Progress(usize),
    Tick,
    Interrupted,
}

enum Flow {
    Go,
    Quit,
}

struct App<'a> {
    wb: &'a Workbook,
    state: State,
    options: Options,
    current: usize,
    view: View,
    verdict: Verdict,
    job: Option<Job<'a>>,
    /// The content hash of the current exercise that the last check was started for.
    last_started: Option<u64>,
    hints_shown: usize,
    /// Lasting notes: file events fell back to polling, info.toml changed, progress unsaved.
    notices: Vec<String>,
    /// What the last action did (a reset, checking all); gone with the next verdict.
    message: Option<String>,
    /// The welcome message, shown until the learner's first save or key.
    welcome: Option<String>,
    keys: mpsc::Receiver<Key>,
    events: Events,
    poller: Poller,
    settle: Option<Instant>,
    session_start: std::time::Instant,
    log: Option<File>,
    progress_tx: mpsc::UnboundedSender<usize>,
    progress_rx: mpsc::UnboundedReceiver<usize>,
}

impl<'a> App<'a> {
    async fn run(&mut self) -> Result<ExitCode> {
        self.draw();
        self.check_current(true);
        let mut tick = interval(files::CHECK_EVENTS_EVERY);
        tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
        loop {
            let event = self.next_event(&mut tick).await;
            if let Event::Tick = event
                && self.poller.polling
                && tick.period() != files::POLL_EVERY
            {
                tick = interval(files::POLL_EVERY);
                tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
            }
            if let Flow::Quit = self.handle(event)? {
                return Ok(ExitCode::SUCCESS);
            }
        }
    }

    async fn next_event(&mut self, tick: &mut tokio::time::Interval) -> Event {
        // Borrow the sources one by one so that every branch can be polled at once.
        let keys = &mut self.keys;
        let events = &mut self.events;
        let job = &mut self.job;
        let progress = &mut self.progress_rx;
        let settle = self.settle;
        tokio::select! {
            key = keys.recv() => key.map_or(Event::KeysGone, Event::Key),
            Some(event) = events.recv() => Event::File(event),
            () = sleep_until(settle.unwrap_or_else(Instant::now)), if settle.is_some() => Event::Settled,
            output = async { job.as_mut().expect("guarded by is_some").future.as_mut().await },
                if job.is_some() => Event::JobDone(output),
            Some(done) = progress.recv() => Event::Progress(done),
            _ = tick.tick() => Event::Tick,
            _ = tokio::signal::ctrl_c() => Event::Interrupted,
        }
    }

    fn handle(&mut self, event: Event) -> Result<Flow> {
        if matches!(event, Event::Key(_) | Event::Settled) {
            self.welcome = None;
        }
        match event {
            Event::Key(key) => return Ok(self.key(key)),
            Event::KeysGone | Event::Interrupted => return Ok(Flow::Quit),
            Event::File(event) => self.file_event(event),
            Event::Settled => {
                self.settle = None;
                self.saved();
            }
            Event::Tick => match self.poller.tick() {
                Poll::Unchanged => {}
                Poll::Changed => self.saved(),
                Poll::FellBack => {
                    self.notices
                        .push(files::WATCH_FELL_BACK_TO_POLLING.to_owned());
                    self.saved();
                    self.draw();
                }
            },
            Event::JobDone(output) => self.job_done(output),
            Event::Progress(done) => {
                if matches!(self.view, View::Exercise) {
                    let total = self.wb.exercises.len();
                    screen::status(&format!(
                        "Checking all exercises {}",
                        term::bar(done, total, 30)
                    ));
                }
            }
        }
        Ok(Flow::Go)
    }

    fn current_path(&self) -> PathBuf {
        self.wb.exercises[self.current].path()
    }

    fn file_event(&mut self, event: FileEvent) {
        if event.path == self.current_path() {
            self.poller.notified();
            let wait = match event.change {
                Change::Finished => SETTLE_AFTER_FINISHED,
                Change::Modified | Change::Removed => SETTLE_AFTER_MODIFIED,
            };
            self.settle = Some(Instant::now() + wait);
        } else if event.path == Path::new(INFO_FILE) {
            let notice = format!("`{INFO_FILE}` changed: restart asynclings to apply it.");
            if !self.notices.contains(&notice) {
                self.notices.push(notice);
                self.draw();
            }
        }
        // A change to another exercise does not concern the one on screen.
    }

    /// The current exercise's file may have changed: check it if its content is new.
    fn saved(&mut self) {
        let Ok(content) = std::fs::read(self.wb.learner_root.join(self.current_path())) else {
            self.cancel_job();
            self.last_started = None;
            self.verdict = Verdict::Missing;
            self.draw();
            return;
        };
        if Some(fnv1a(&content)) == self.last_started {
            return;
        }
        // A message about an earlier action would read as if it were about this save.
        self.message = None;
        if self.options.manual_run {
            self.verdict = Verdict::Unchecked;
            self.draw();
            return;
        }
        self.check_current(false);
    }

    fn cancel_job(&mut self) {
        if let Some(job) = self.job.take() {
            if let JobKind::One { idx, hash } = job.kind {
                self.log(&format!(
                    "cancel {} {hash:016x}",
                    self.wb.exercises[idx].name
                ));
            }
            // Dropping the future kills the build or check process group.
            drop(job);
        }
    }

    /// Starts checking the current exercise (again, when `force`d, even if unchanged).
    fn check_current(&mut self, force: bool) {
        let ex = &self.wb.exercises[self.current];
        let Ok(content) = std::fs::read(self.wb.learner_file(ex)) else {
            self.cancel_job();
            self.verdict = Verdict::Missing;
            self.draw();
            return;
        };
        let hash = fnv1a(&content);
        if !force && Some(hash) == self.last_started {
            return;
        }
        self.cancel_job();
        self.last_started = Some(hash);
        self.log(&format!("start {} {hash:016x}", ex.name));
        let wb = self.wb;
        let idx = self.current;
        let future: JobFuture<'a> = Box::pin(async move {
            let ex = &wb.exercises[idx];
            check(wb, ex, &ex.harness_bin(Variant::Exercise))
                .await
                .map(JobOutput::One)
        });
        self.job = Some(Job {
            kind: JobKind::One { idx, hash },
            future,
        });
        if matches!(self.view, View::Exercise) {
            screen::status(&term::dim(CHECKING));
        }
    }

    fn check_all(&mut self) {
        self.cancel_job();
        // The current exercise is checked again afterwards, whatever its content.
        self.last_started = None;
        let wb = self.wb;
        let progress = self.progress_tx.clone();
        let future: JobFuture<'a> = Box::pin(async move {
            // Every harness in one cargo run, the checks two at a time: as `verify` does.
            let outcomes = check_learner_files(wb, &wb.exercises, |done| {
                let _ = progress.send(done);
            })
            .await?;
            let passed = outcomes
                .iter()
                .map(|outcome| {
                    outcome
                        .as_ref()
                        .is_some_and(|(outcome, _)| outcome.is_passed())
                })
                .collect();
            Ok(JobOutput::All(passed))
        });
        self.job = Some(Job {
            kind: JobKind::All,
            future,
        });
        screen::status(&format!(
            "Checking all exercises {}",
            term::bar(0, self.wb.exercises.len(), 30)
        ));
    }

    fn job_done(&mut self, output: Result<JobOutput>) {
        let Some(job) = self.job.take() else { return };
        match (job.kind, output) {
            (_, Err(err)) => self.verdict = Verdict::Failed(format!("{err:#}")),
            (JobKind::One { idx, hash }, Ok(JobOutput::One(outcome))) => {
                let ex = &self.wb.exercises[idx];
                self.log(&format!(
                    "verdict {} {hash:016x} {}",
                    ex.name,
                    outcome.label().replace(' ', "-")
                ));
                let passed = outcome.is_passed();
                if let Some(line) = record_verdict(self.wb, &mut self.state, ex, passed) {
                    self.message = Some(line);
                }
                self.save_state();
                self.verdict = Verdict::Done(outcome);
                if passed && self.state.current_exercise(self.wb).is_none() {
                    self.verdict = Verdict::AllDone;
                } else if passed && self.options.auto_advance {
                    self.go_to_next();
                    return;
                }
            }
            (JobKind::All, Ok(JobOutput::All(results))) => {
                let (mut newly_done, mut undone) = (Vec::new(), Vec::new());
                for (ex, passed) in self.wb.exercises.iter().zip(results) {
                    match (self.state.is_done(&ex.name), passed) {
                        (false, true) => newly_done.push(ex.name.as_str()),
                        (true, false) => undone.push(ex.name.as_str()),
                        _ => {}
                    }
                    record_verdict(self.wb, &mut self.state, ex, passed);
                }
                self.save_state();
                let mut report = format!(
                    "Checked every exercise: {} of {} pass.",
                    self.state.n_done(self.wb),
                    self.wb.exercises.len()
                );
                if newly_done.is_empty() && undone.is_empty() {
                    report += " Nothing changed.";
                }
                if !newly_done.is_empty() {
                    report += &format!(" Now done: {}.", newly_done.join(", "));
                }
                if !undone.is_empty() {
                    report += &format!(" No longer passing: {}.", undone.join(", "));
                }
                self.check_current(true);
                self.message = Some(report);
            }
            (_, Ok(_)) => {}
        }
        self.draw();
    }

    fn save_state(&mut self) {
        if let Err(err) = self.state.save() {
            let notice = format!("{err:#}");
            if !self.notices.contains(&notice) {
                self.notices.push(notice);
            }
        }
    }

    fn go_to(&mut self, idx: usize) {
        self.current = idx;
        self.state.set_current(&self.wb.exercises[idx].name);
        self.save_state();
        self.poller
            .follow(self.wb.learner_root.join(self.current_path()));
        self.hints_shown = 0;
        self.last_started = None;
        self.message = None;
        self.verdict = Verdict::Checking;
        self.view = View::Exercise;
        self.draw();
        self.check_current(true);
    }

    fn go_to_next(&mut self) {
        match self.state.next_pending(self.wb, self.current) {
            Some(next) => self.go_to(next),
            None => {
                self.verdict = Verdict::AllDone;
                self.draw();
            }
        }
    }

    fn key(&mut self, key: Key) -> Flow {
        if key == Key::CtrlC {
            return Flow::Quit;
        }
        match std::mem::replace(&mut self.view, View::Exercise) {
            View::Exercise => return self.exercise_key(key),
            View::List(mut list) => match list.key(&key, self.wb, &self.state) {
                list::Action::Stay => self.view = View::List(list),
                list::Action::Back => {}
                list::Action::Jump(idx) => {
                    self.go_to(idx);
                    return Flow::Go;
                }
                list::Action::Reset(idx) => {
                    self.view = View::ConfirmReset {
                        idx,
                        list: Some(list),
                    }
                }
            },
            View::ConfirmReset { idx, list } => {
                if key == Key::Char('y') || key == Key::Char('Y') {
                    let ex = &self.wb.exercises[idx];
                    self.message = Some(match reset_exercise(self.wb, ex, &mut self.state) {
                        Ok(lines) => lines.join(" "),
                        Err(err) => format!("{err:#}"),
                    });
                    if idx == self.current {
                        self.check_current(true);
                    }
                }
                if let Some(list) = list {
                    self.view = View::List(list);
                }
            }
        }
        self.draw();
        Flow::Go
    }

    fn exercise_key(&mut self, key: Key) -> Flow {
        let ex = &self.wb.exercises[self.current];
        match key {
            Key::Char('q') | Key::Char('Q') => return Flow::Quit,
            Key::Char('h') => {
                if ex.hints.is_empty() {
                    self.message = Some(format!("`{}` has no hints.", ex.name));
                } else if self.hints_shown == ex.hints.len() {
                    self.message = Some(format!(
                        "That was the last hint. The solution is in `{}` once you are done.",
                        ex.solution_path().display()
                    ));
                } else {
                    self.hints_shown = (self.hints_shown + 1).min(ex.hints.len());
                    let used = self.state.hints_used(&ex.name).max(self.hints_shown);
                    let name = ex.name.clone();
                    self.state.set_hints_used(&name, used);
                    self.save_state();
                }
            }
            Key::Char('n') => {
                if matches!(&self.verdict, Verdict::Done(outcome) if outcome.is_passed()) {
                    self.go_to_next();
                    return Flow::Go;
                }
                screen::status(&term::yellow(
                    "n moves on once this exercise passes (l lists them all)",
                ));
                return Flow::Go;
            }
            Key::Char('r') => {
                self.check_current(true);
                return Flow::Go;
            }
            Key::Char('x') => {
                self.view = View::ConfirmReset {
                    idx: self.current,
                    list: None,
                }
            }
            Key::Char('l') => self.view = View::List(ListView::new(self.current)),
            Key::Char('c') => {
                self.check_all();
                return Flow::Go;
            }
            Key::Char('?') => self.message = Some(KEYS_HELP.to_owned()),
            Key::Char(c) if !c.is_control() && c != ' ' => {
                self.message = Some(format!("`{c}` does nothing here: press ? for the keys."));
            }
            _ => return Flow::Go,
        }
        self.draw();
        Flow::Go
    }

    fn draw(&self) {
        let width = screen::width();
        let frame = match &self.view {
            View::List(list) => {
                let rows = console::Term::stdout()
                    .size_checked()
                    .map_or(24, |(rows, _)| rows as usize);
                list.render(self.wb, &self.state, self.current, rows, width)
            }
            View::Exercise => self.exercise_frame(width),
            View::ConfirmReset { idx, .. } => {
                let ex = &self.wb.exercises[*idx];
                format!(
                    "Reset `{}` to the version it shipped with?\nYour version is kept in \
                     `.asynclings-backups/`.\n\n{}",
                    ex.path().display(),
                    term::bold("y: reset · any other key: keep it")
                )
            }
        };
        screen::draw(&frame);
        // A redraw while a check runs (a hint, say) keeps saying that it runs.
        if matches!(self.view, View::Exercise)
            && let Some(Job {
                kind: JobKind::One { .. },
                ..
            }) = &self.job
        {
            screen::status(&term::dim(CHECKING));
        }
    }

    fn exercise_frame(&self, width: usize) -> String {
        let ex = &self.wb.exercises[self.current];
        let path = ex.path().display().to_string();
        let mut out = format!(
            "{} {} ({} of {})\n\n",
            term::bold("asynclings ·"),
            term::bold(&ex.name),
            self.current + 1,
            self.wb.exercises.len()
        );
        if let Some(welcome) = &self.welcome {
            out += &format!("{welcome}\n\n");
        }
        for notice in &self.notices {
            out += &format!("{} {notice}\n", term::yellow("note:"));
        }
        if let Some(message) = &self.message {
            out += &format!("{message}\n");
        }
        if !self.notices.is_empty() || self.message.is_some() {
            out.push('\n');
        }
        let mut passed = false;
        match &self.verdict {
            Verdict::Checking => out += &format!("Checking `{path}`…\n"),
            Verdict::Done(outcome) => {
                out += &outcome.render(&path, width);
                if outcome.is_passed() {
                    passed = true;
                    // An exercise that passes as shipped (intro1) has nothing to compare yet.
                    out += &if ex.skip_check_unsolved {
                        format!(
                            "\nNothing to fix here: read the file, then press {} for the next \
                             exercise.\n",
                            term::bold("n")
                        )
                    } else {
                        format!(
                            "\nCompare your code with `{}`. Press {} for the next exercise.\n",
                            ex.solution_path().display(),
                            term::bold("n")
                        )
                    };
                }
            }
            Verdict::Missing => {
                out += &format!(
                    "{} `{path}` is gone (deleted or renamed). Save it again, or press {} to \
                     restore the shipped version.\n",
                    term::red("✗ Missing:"),
                    term::bold("x")
                );
            }
            Verdict::Failed(err) => out += &format!("{} {err}\n", term::red("error:")),
            Verdict::Unchecked => {
                out += &format!(
                    "Saved. Press {} to check it (--manual-run).\n",
                    term::bold("r")
                );
            }
            Verdict::AllDone => {
                out += &format!("{} `{path}`\n\n", term::green("✓ Done:"));
                out += &screen::finished(self.wb, &self.state);
                passed = true;
            }
        }
        if self.hints_shown > 0 {
            out += &format!("\n{}", screen::hints(ex, self.hints_shown));
        }
        out += &screen::footer(self.wb, &self.state, ex, width, passed);
        out
    }

    fn log(&mut self, line: &str) {
        if let Some(log) = &mut self.log {
            let at = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0.0, |d| d.as_secs_f64());
            let _ = writeln!(log, "{at:.6} {line}");
        }
    }
}
