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

use crate::check::{Progress, check, check_learner_files};
use crate::commands::Session;
use crate::commands::record_verdict;
use crate::commands::reset::reset_exercise;
use crate::exercise::Variant;
use crate::fnv::fnv1a;
use crate::outcome::Outcome;
use crate::state::State;
use crate::sync::Harness;
use crate::term;
use crate::warm_up::ensure_dependencies;
use crate::workbook::{INFO_FILE, Workbook};

use files::{Change, Events, FileEvent, Poll, Poller};
use list::ListView;
use screen::{ExerciseScreen, Size, Verdict};

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

const NO_EDITOR: &str = "No editor is set: start asynclings with `--edit-cmd \"code\"` (any \
     command that takes a file), or set `VISUAL` or `EDITOR`, for `e` to open the exercise.";

/// What `?` shows.
const KEYS_HELP: &str = "Keys: h the next hint · n the next exercise (after a pass) · l the \
     list (/ to search in it) · c check every exercise · r check again · x reset this exercise \
     · e open it in your editor · ↑/↓ PgUp/PgDn scroll · q quit. Saving the file checks it.";

#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Move to the next exercise as soon as one passes.
    pub auto_advance: bool,
    /// Check only when `r` is pressed.
    pub manual_run: bool,
    /// Poll the file instead of relying on file events.
    pub poll: bool,
    /// What `e` runs on the exercise's file (else `$VISUAL`, then `$EDITOR`).
    pub edit_cmd: Option<String>,
}

pub async fn watch(root: &Path, options: Options) -> Result<ExitCode> {
    if !(std::io::stdin().is_terminal() && std::io::stdout().is_terminal()) {
        eprintln!("note: {NO_TERMINAL}");
        return crate::commands::run::start(root).await;
    }
    let (Session { wb, state }, warnings) = Session::open_quietly(root)?;
    let first_run = state.first_run;
    if first_run && let Some(welcome) = &wb.welcome_message {
        println!("{welcome}\n");
    }
    ensure_dependencies(&wb).await?;
    let Some(current) = state.current_exercise(&wb) else {
        println!("{}", crate::commands::finished(&wb, &state));
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
        scroll: 0,
        max_scroll: 0,
        notices: warnings.into_iter().chain(notice).collect(),
        message: None,
        welcome: first_run.then(|| wb.welcome_message.clone()).flatten(),
        keys: keys::Keys::spawn(),
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
        resized: screen::Resizes::listen(),
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
    Progress(Progress),
    Tick,
    Interrupted,
    /// The terminal changed size.
    Resized,
}

enum Flow {
    Go,
    Quit,
    /// Open the current exercise in the learner's editor.
    Edit,
    /// Restore exercise `idx` to its shipped version (confirmed).
    Reset(usize),
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
    /// How many lines of the verdict are scrolled out of sight above, and at most.
    scroll: usize,
    max_scroll: usize,
    /// Lasting notes: file events fell back to polling, info.toml changed, progress unsaved.
    notices: Vec<String>,
    /// What the last action did (a reset, checking all); gone with the next verdict.
    message: Option<String>,
    /// The welcome message, shown until the learner's first save or key.
    welcome: Option<String>,
    keys: keys::Keys,
    events: Events,
    poller: Poller,
    settle: Option<Instant>,
    session_start: std::time::Instant,
    log: Option<File>,
    resized: screen::Resizes,
    progress_tx: mpsc::UnboundedSender<Progress>,
    progress_rx: mpsc::UnboundedReceiver<Progress>,
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
            match self.handle(event)? {
                Flow::Go => {}
                Flow::Quit => return Ok(ExitCode::SUCCESS),
                Flow::Edit => self.edit().await,
                Flow::Reset(idx) => self.reset(idx).await,
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
        let resized = &mut self.resized;
        tokio::select! {
            key = keys.rx.recv() => key.map_or(Event::KeysGone, Event::Key),
            Some(event) = events.recv() => Event::File(event),
            () = sleep_until(settle.unwrap_or_else(Instant::now)), if settle.is_some() => Event::Settled,
            output = async { job.as_mut().expect("guarded by is_some").future.as_mut().await },
                if job.is_some() => Event::JobDone(output),
            Some(done) = progress.recv() => Event::Progress(done),
            _ = tick.tick() => Event::Tick,
            _ = tokio::signal::ctrl_c() => Event::Interrupted,
            () = resized.changed() => Event::Resized,
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
            Event::Resized => self.draw(),
            Event::Progress(progress) => {
                if matches!(self.view, View::Exercise) {
                    screen::status(&self.check_all_status(progress));
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
        } else if event.path.extension().is_some_and(|ext| ext == "rs") {
            // A change to another exercise does not concern the one on screen. (Other files
            // are not logged: the log itself may be one of them.)
            self.log(&format!("elsewhere {}", event.path.display()));
        }
    }

    /// The current exercise's file may have changed: check it if its content is new.
    fn saved(&mut self) {
        let Ok(content) = std::fs::read(self.wb.learner_root.join(self.current_path())) else {
            self.cancel_job();
            self.last_started = None;
            self.set_verdict(Verdict::Missing);
            self.draw();
            return;
        };
        let hash = fnv1a(&content);
        if Some(hash) == self.last_started {
            let name = &self.wb.exercises[self.current].name;
            self.log(&format!("unchanged {name} {hash:016x}"));
            return;
        }
        // A message about an earlier action would read as if it were about this save.
        self.message = None;
        if self.options.manual_run {
            self.set_verdict(Verdict::Unchecked);
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
            self.set_verdict(Verdict::Missing);
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
            check(wb, ex, &Harness::of(ex, Variant::Exercise))
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
        screen::status(&self.check_all_status(Progress::Built(0)));
    }

    /// The status line while every exercise is checked.
    fn check_all_status(&self, progress: Progress) -> String {
        let (_, done) = progress.phase();
        let what = match progress {
            Progress::Built(_) => "Compiling every exercise",
            Progress::Checked(_) => "Checking every exercise",
        };
        format!(
            "{what} {} {}",
            term::bar(done, self.wb.exercises.len(), 20),
            term::dim("(q quits)")
        )
    }

    fn job_done(&mut self, output: Result<JobOutput>) {
        let Some(job) = self.job.take() else { return };
        match (job.kind, output) {
            (_, Err(err)) => self.set_verdict(Verdict::Failed(format!("{err:#}"))),
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
                self.set_verdict(Verdict::Done(outcome));
                if passed && self.state.current_exercise(self.wb).is_none() {
                    self.set_verdict(Verdict::AllDone(crate::commands::finished(
                        self.wb,
                        &self.state,
                    )));
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

    /// A new verdict is read from its top.
    fn set_verdict(&mut self, verdict: Verdict) {
        self.verdict = verdict;
        self.scroll = 0;
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
        self.set_verdict(Verdict::Checking);
        self.view = View::Exercise;
        self.draw();
        self.check_current(true);
    }

    fn go_to_next(&mut self) {
        match self.state.next_pending(self.wb, self.current) {
            Some(next) => self.go_to(next),
            None => {
                self.set_verdict(Verdict::AllDone(crate::commands::finished(
                    self.wb,
                    &self.state,
                )));
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
                if let Some(list) = list {
                    self.view = View::List(list);
                }
                if key == Key::Char('y') || key == Key::Char('Y') {
                    return Flow::Reset(idx);
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
                    self.message = Some(crate::commands::hint::last_hint(ex));
                } else {
                    self.hints_shown = (self.hints_shown + 1).min(ex.hints.len());
                    // The new hint is at the end of the screen: show it, whatever is above.
                    self.scroll = usize::MAX;
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
            Key::Char('e') => return Flow::Edit,
            Key::Char('?') => self.message = Some(KEYS_HELP.to_owned()),
            Key::ArrowUp | Key::ArrowDown | Key::PageUp | Key::PageDown | Key::Home | Key::End => {
                let page = Size::of_terminal().rows.saturating_sub(8).max(1);
                let scroll = match key {
                    Key::ArrowUp => self.scroll.saturating_sub(1),
                    Key::ArrowDown => self.scroll + 1,
                    Key::PageUp => self.scroll.saturating_sub(page),
                    Key::PageDown => self.scroll + page,
                    Key::Home => 0,
                    _ => self.max_scroll,
                };
                let scroll = scroll.min(self.max_scroll);
                if scroll == self.scroll {
                    return Flow::Go;
                }
                self.scroll = scroll;
            }
            Key::Char(c) if !c.is_control() && c != ' ' => {
                self.message = Some(format!("`{c}` does nothing here: press ? for the keys."));
            }
            _ => return Flow::Go,
        }
        self.draw();
        Flow::Go
    }

    fn draw(&mut self) {
        let size = Size::of_terminal();
        let frame = match &self.view {
            View::List(list) => {
                list.render(self.wb, &self.state, self.current, size.rows, size.cols)
            }
            View::Exercise => {
                let frame = self.exercise_screen().frame(size, self.scroll);
                self.scroll = self.scroll.min(frame.max_scroll);
                self.max_scroll = frame.max_scroll;
                frame.text
            }
            View::ConfirmReset { idx, .. } => {
                screen::confirm_reset(&self.wb.exercises[*idx].path().display().to_string())
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

    fn exercise_screen(&self) -> ExerciseScreen<'_> {
        let ex = &self.wb.exercises[self.current];
        ExerciseScreen {
            ex,
            position: (self.current + 1, self.wb.exercises.len()),
            n_done: self.state.n_done(self.wb),
            file: self.wb.learner_file(ex),
            welcome: self.welcome.as_deref(),
            notices: &self.notices,
            verdict: &self.verdict,
            hints_shown: self.hints_shown,
            message: self.message.as_deref(),
        }
    }

    /// Restores exercise `idx`, saying what was done (git is asked, with a time limit, where
    /// the shipped version comes from the workbook's history).
    async fn reset(&mut self, idx: usize) {
        let ex = &self.wb.exercises[idx];
        self.message = Some(match reset_exercise(self.wb, ex, &mut self.state).await {
            Ok(lines) => lines.join(" "),
            Err(err) => format!("{err:#}"),
        });
        if idx == self.current {
            self.check_current(true);
        }
        self.draw();
    }

    /// The command that opens a file in the learner's editor: `--edit-cmd`, else `$VISUAL`,
    /// else `$EDITOR`.
    fn edit_command(&self) -> Option<String> {
        self.options
            .edit_cmd
            .clone()
            .or_else(|| std::env::var("VISUAL").ok())
            .or_else(|| std::env::var("EDITOR").ok())
            .filter(|command| !command.trim().is_empty())
    }

    /// Lends the terminal to the learner's editor on the current exercise, then checks the
    /// file again. A terminal editor takes the screen until it quits; a graphical one returns
    /// at once and its saves are seen like any other.
    async fn edit(&mut self) {
        let Some(command) = self.edit_command() else {
            self.message = Some(NO_EDITOR.to_owned());
            self.draw();
            return;
        };
        // A check left waiting while the editor runs would find its time limit passed.
        self.cancel_job();
        self.last_started = None;
        let file = self.wb.learner_file(&self.wb.exercises[self.current]);
        self.keys.pause();
        screen::draw("");
        let ended = crate::process::run_in_terminal(&command, &file).await;
        self.keys.resume();
        self.message = Some(match ended {
            Ok(status) if status.success() => format!(
                "Opened `{}` with `{command}`.",
                self.current_path().display()
            ),
            Ok(status) => format!("`{command}` ended with {status}."),
            Err(err) => format!("{err:#}"),
        });
        self.draw();
        self.check_current(false);
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
