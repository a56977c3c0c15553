//! Shared tools for the hidden checks: virtual-time watchdogs, event logs, drop flags and
//! heartbeats. Check files reach them as `asynclings_support::...`.
//!
//! Everything here is deterministic under tokio's paused clock: times are read from
//! `tokio::time::Instant`, never from `std::time`.

use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::Instant;

/// Runs `fut`, failing the check with `what` if it takes longer than `limit` of (virtual)
/// time. Under a paused clock a deadlock on a tokio primitive trips this at once, instead of
/// waiting for the runner's wall-clock time limit.
pub async fn watchdog<F: Future>(limit: Duration, what: &str, fut: F) -> F::Output {
    match tokio::time::timeout(limit, fut).await {
        Ok(output) => output,
        Err(_) => panic!(
            "{what} did not finish within {limit:?} of virtual time: it is waiting for \
             something that never happens (a deadlock, a sender never dropped, a wake-up \
             never arranged?)"
        ),
    }
}

/// A log of events with the virtual time at which each happened, shared between tasks.
#[derive(Clone)]
pub struct EventLog {
    start: Instant,
    events: Arc<Mutex<Vec<(Duration, String)>>>,
}

impl Default for EventLog {
    fn default() -> Self {
        Self::new()
    }
}

impl EventLog {
    /// A new, empty log whose clock starts now.
    pub fn new() -> Self {
        Self {
            start: Instant::now(),
            events: Arc::default(),
        }
    }

    /// Records `event` at the current virtual time.
    pub fn record(&self, event: impl Into<String>) {
        let at = self.start.elapsed();
        self.events.lock().unwrap().push((at, event.into()));
    }

    /// The events in the order they were recorded.
    pub fn events(&self) -> Vec<String> {
        self.events
            .lock()
            .unwrap()
            .iter()
            .map(|(_, e)| e.clone())
            .collect()
    }

    /// The events with the virtual time (since the log was made) at which each happened.
    pub fn timed_events(&self) -> Vec<(Duration, String)> {
        self.events.lock().unwrap().clone()
    }
}

/// Sets a flag when dropped: put one inside a future to learn whether it was dropped
/// (cancelled) or ran to the end.
pub struct DropFlag(Arc<AtomicBool>);

impl DropFlag {
    /// A guard and the flag it sets when dropped.
    pub fn new() -> (Self, Arc<AtomicBool>) {
        let flag = Arc::new(AtomicBool::new(false));
        (Self(flag.clone()), flag)
    }
}

impl Drop for DropFlag {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

/// A task that ticks every `period` and counts its beats. On a current-thread runtime a
/// thread that blocks (instead of awaiting) stops the heartbeat: zero beats means blocked.
pub struct Heartbeat {
    beats: Arc<AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

impl Heartbeat {
    /// Starts beating every `period` on the current runtime.
    pub fn start(period: Duration) -> Self {
        Self::beat(period, None)
    }

    /// Starts beating every `period`, recording each beat on `timeline` as an instant labelled
    /// `label` (a row that stays empty if it never beats).
    pub fn recording(period: Duration, timeline: &timeline::Timeline, label: &str) -> Self {
        timeline.declare_instants(label);
        Self::beat(period, Some((timeline.clone(), label.to_owned())))
    }

    fn beat(period: Duration, record: Option<(timeline::Timeline, String)>) -> Self {
        let beats = Arc::new(AtomicUsize::new(0));
        let counter = beats.clone();
        let task = tokio::spawn(async move {
            loop {
                tokio::time::sleep(period).await;
                counter.fetch_add(1, Ordering::SeqCst);
                if let Some((timeline, label)) = &record {
                    timeline.instant(label);
                }
            }
        });
        Self { beats, task }
    }

    /// How many beats so far.
    pub fn beats(&self) -> usize {
        self.beats.load(Ordering::SeqCst)
    }
}

impl Drop for Heartbeat {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Counts how many of something are in flight at once and remembers the peak; made with
/// [`timeline::Timeline::in_flight`], it also records the count over time.
#[derive(Clone, Default)]
pub struct InFlight {
    now: Arc<AtomicUsize>,
    peak: Arc<AtomicUsize>,
    recorder: Option<Arc<timeline::Recorder>>,
}

impl InFlight {
    fn recording(timeline: timeline::Timeline, label: &str, limit: Option<usize>) -> Self {
        Self {
            recorder: Some(Arc::new(timeline::Recorder {
                timeline,
                label: label.to_owned(),
                limit,
                lock: Mutex::new(()),
            })),
            ..Self::default()
        }
    }

    /// Marks one more in flight until the returned guard is dropped.
    pub fn enter(&self) -> InFlightGuard {
        let now = match &self.recorder {
            Some(recorder) => recorder.change(&self.now, 1),
            None => self.now.fetch_add(1, Ordering::SeqCst) + 1,
        };
        self.peak.fetch_max(now, Ordering::SeqCst);
        InFlightGuard(self.now.clone(), self.recorder.clone())
    }

    /// The most that were ever in flight at once.
    pub fn peak(&self) -> usize {
        self.peak.load(Ordering::SeqCst)
    }
}

/// Held while one operation is in flight; see [`InFlight::enter`].
pub struct InFlightGuard(Arc<AtomicUsize>, Option<Arc<timeline::Recorder>>);

impl Drop for InFlightGuard {
    fn drop(&mut self) {
        match &self.1 {
            Some(recorder) => {
                recorder.change(&self.0, -1);
            }
            None => {
                self.0.fetch_sub(1, Ordering::SeqCst);
            }
        }
    }
}

pub mod timeline {
    //! What happened on the virtual clock, for a failing check to show: spans (an operation
    //! started and ended), instants (a tick, a heartbeat) and counts over time (requests in
    //! flight). Recording takes a lock and pushes to a `Vec`: it never awaits, so it never
    //! changes when anything runs.
    //!
    //! ```ignore
    //! let recorded = Timeline::new();
    //! let profile = async { let _span = recorded.span("profile"); service.get().await };
    //! ...
    //! let expected = Timeline::new();
    //! expected.span_at("profile", ms(0), ms(93));
    //! timeline::assert_eq(took, ms(93), &recorded, Some(&expected), || format!("..."));
    //! ```
    //!
    //! `fail` writes both timelines as one marked line of JSON in the panic message; the runner
    //! takes that line out and draws the picture to the terminal's width. The format is written
    //! by hand (no serde here: every learner builds this crate in their first run) and read by
    //! the runner's `src/timeline.rs`.

    use std::fmt::{Debug, Write};
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    use tokio::time::Instant;

    /// Starts the line that carries a timeline; the runner looks for the same prefix.
    pub const MARKER: &str = "asynclings-timeline v1 ";

    /// Events kept per timeline: past this, more are dropped (a runaway loop must not make the
    /// message huge). The runner refuses more than 4096 in all.
    const MAX_EVENTS: usize = 1500;

    enum Kind {
        Spans(Vec<(Duration, Option<Duration>)>),
        Instants(Vec<Duration>),
        Count {
            limit: Option<usize>,
            samples: Vec<(Duration, usize)>,
        },
    }

    struct Row {
        label: String,
        kind: Kind,
    }

    #[derive(Default)]
    struct Rows {
        rows: Vec<Row>,
        n_events: usize,
        end: Option<Duration>,
    }

    impl Rows {
        /// The row for `label`, made (in the order rows first appear) if it is new.
        fn row(&mut self, label: &str, make: impl FnOnce() -> Kind) -> Option<&mut Kind> {
            if self.n_events >= MAX_EVENTS {
                return None;
            }
            self.n_events += 1;
            let at = match self.rows.iter().position(|row| row.label == label) {
                Some(at) => at,
                None => {
                    self.rows.push(Row {
                        label: label.to_owned(),
                        kind: make(),
                    });
                    self.rows.len() - 1
                }
            };
            Some(&mut self.rows[at].kind)
        }
    }

    /// A recording on the virtual clock, shared between tasks (clones record into the same one).
    /// Times are measured from when it was made. An expected timeline is built the same way,
    /// with the `_at` methods.
    #[derive(Clone)]
    pub struct Timeline {
        start: Instant,
        rows: Arc<Mutex<Rows>>,
    }

    impl Default for Timeline {
        fn default() -> Self {
            Self::new()
        }
    }

    impl Timeline {
        /// An empty timeline whose clock starts now.
        pub fn new() -> Self {
            Self {
                start: Instant::now(),
                rows: Arc::default(),
            }
        }

        /// Virtual time since the timeline was made.
        pub fn now(&self) -> Duration {
            self.start.elapsed()
        }

        /// Starts a span labelled `label` now; it ends when the guard is dropped (or at
        /// [`Span::end`]). A span whose future is dropped early ends at the drop, too.
        pub fn span(&self, label: impl Into<String>) -> Span {
            let label = label.into();
            let index = self.push_span(&label, self.now(), None);
            Span {
                timeline: self.clone(),
                label,
                index,
            }
        }

        /// Records a span that is already over, or one expected.
        pub fn span_at(&self, label: &str, start: Duration, end: Duration) {
            self.push_span(label, start, Some(end));
        }

        /// Records a span that never ended (a task left running): it is drawn to the end.
        pub fn open_span_at(&self, label: &str, start: Duration) {
            self.push_span(label, start, None);
        }

        fn push_span(&self, label: &str, start: Duration, end: Option<Duration>) -> Option<usize> {
            let mut rows = self.rows.lock().unwrap();
            match rows.row(label, || Kind::Spans(Vec::new()))? {
                Kind::Spans(spans) => {
                    spans.push((start, end));
                    Some(spans.len() - 1)
                }
                _ => None,
            }
        }

        /// Records an instant labelled `label` now.
        pub fn instant(&self, label: &str) {
            self.instant_at(label, self.now());
        }

        /// Makes the row of instants labelled `label` now, so that it shows (empty) even if
        /// nothing is ever recorded in it.
        pub fn declare_instants(&self, label: &str) {
            let mut rows = self.rows.lock().unwrap();
            if !rows.rows.iter().any(|row| row.label == label) {
                rows.rows.push(Row {
                    label: label.to_owned(),
                    kind: Kind::Instants(Vec::new()),
                });
            }
        }

        /// Records an instant at `at`.
        pub fn instant_at(&self, label: &str, at: Duration) {
            let mut rows = self.rows.lock().unwrap();
            if let Some(Kind::Instants(times)) = rows.row(label, || Kind::Instants(Vec::new())) {
                times.push(at);
            }
        }

        /// Records that the count labelled `label` is `value` from `at` on. `limit`, if any, is
        /// drawn as the most allowed: the runner points at the moment the count goes above it.
        pub fn count_at(&self, label: &str, limit: Option<usize>, at: Duration, value: usize) {
            let mut rows = self.rows.lock().unwrap();
            if let Some(Kind::Count { samples, .. }) = rows.row(label, || Kind::Count {
                limit,
                samples: Vec::new(),
            }) {
                samples.push((at, value));
            }
        }

        /// An [`InFlight`](super::InFlight) counter that also records its count on this
        /// timeline, under `label`.
        pub fn in_flight(&self, label: &str, limit: Option<usize>) -> super::InFlight {
            super::InFlight::recording(self.clone(), label, limit)
        }

        /// Marks now as the end of the operation the check observed (otherwise the last thing
        /// recorded is).
        pub fn end(&self) {
            self.end_at(self.now());
        }

        /// Marks `at` as the end of the run.
        pub fn end_at(&self, at: Duration) {
            self.rows.lock().unwrap().end = Some(at);
        }

        fn end_span(&self, label: &str, index: usize) {
            let end = self.now();
            let mut rows = self.rows.lock().unwrap();
            if let Some(Row {
                kind: Kind::Spans(spans),
                ..
            }) = rows.rows.iter_mut().find(|row| row.label == label)
                && let Some(span) = spans.get_mut(index)
            {
                span.1 = Some(end);
            }
        }

        /// The timeline as JSON, in the shape the runner reads.
        fn to_json(&self) -> String {
            let rows = self.rows.lock().unwrap();
            let us = |d: Duration| d.as_micros().min(u128::from(u64::MAX)) as u64;
            let mut last = Duration::ZERO;
            let mut out = String::from("{\"rows\":[");
            for (i, row) in rows.rows.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out += "{\"label\":";
                json_string(&mut out, &row.label);
                match &row.kind {
                    Kind::Spans(spans) => {
                        out += ",\"kind\":\"spans\",\"spans\":[";
                        for (j, (start, end)) in spans.iter().enumerate() {
                            last = last.max(end.unwrap_or(*start));
                            let end = end.map_or("null".to_owned(), |e| us(e).to_string());
                            let comma = if j > 0 { "," } else { "" };
                            let _ = write!(out, "{comma}[{},{end}]", us(*start));
                        }
                    }
                    Kind::Instants(times) => {
                        out += ",\"kind\":\"instants\",\"at\":[";
                        for (j, at) in times.iter().enumerate() {
                            last = last.max(*at);
                            let comma = if j > 0 { "," } else { "" };
                            let _ = write!(out, "{comma}{}", us(*at));
                        }
                    }
                    Kind::Count { limit, samples } => {
                        out += ",\"kind\":\"count\",";
                        if let Some(limit) = limit {
                            let _ = write!(out, "\"limit\":{limit},");
                        }
                        out += "\"samples\":[";
                        for (j, (at, value)) in samples.iter().enumerate() {
                            last = last.max(*at);
                            let comma = if j > 0 { "," } else { "" };
                            let _ = write!(out, "{comma}[{},{value}]", us(*at));
                        }
                    }
                }
                out += "]}";
            }
            let end = rows.end.unwrap_or(last);
            let _ = write!(out, "],\"end_us\":{}}}", us(end));
            out
        }
    }

    /// A JSON string literal.
    fn json_string(out: &mut String, text: &str) {
        out.push('"');
        for c in text.chars() {
            match c {
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                c if c.is_control() => {
                    let _ = write!(out, "\\u{:04x}", c as u32);
                }
                c => out.push(c),
            }
        }
        out.push('"');
    }

    /// A span in progress: it ends when dropped.
    pub struct Span {
        timeline: Timeline,
        label: String,
        index: Option<usize>,
    }

    impl Span {
        /// Ends the span now.
        pub fn end(self) {}
    }

    impl Drop for Span {
        fn drop(&mut self) {
            if let Some(index) = self.index {
                self.timeline.end_span(&self.label, index);
            }
        }
    }

    /// Runs `fut`, calling `after_poll` each time it has been polled: a check sees what the
    /// learner's future has started (a counter gone up) at the virtual time it happened,
    /// without adding a task, a timer or an await of its own.
    pub async fn observe<F: std::future::Future>(
        fut: F,
        mut after_poll: impl FnMut(),
    ) -> F::Output {
        let mut fut = std::pin::pin!(fut);
        std::future::poll_fn(|cx| {
            let polled = fut.as_mut().poll(cx);
            after_poll();
            polled
        })
        .await
    }

    /// A paused current-thread runtime, like `#[tokio::test(start_paused = true)]`'s, that calls
    /// `look` each time it goes idle, before its clock moves on: where the learner's code runs
    /// in tasks of its own (and `observe` sees it only when the awaited one is done), a check
    /// still sees each counter move at the virtual time it moved, without a task or a timer of
    /// its own. `look` runs outside any task: it must only read and record.
    pub fn runtime_looking(look: impl Fn() + Send + Sync + 'static) -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .start_paused(true)
            .on_thread_park(look)
            .build()
            .expect("a current-thread runtime")
    }

    /// The line that carries `recorded` (and `expected`) to the runner.
    pub fn encode(recorded: &Timeline, expected: Option<&Timeline>) -> String {
        let expected = expected.map_or(String::new(), |e| format!(",\"expected\":{}", e.to_json()));
        format!("{MARKER}{{\"recorded\":{}{expected}}}", recorded.to_json())
    }

    /// Fails the check with `message`, showing the learner's timeline and the expected one.
    #[track_caller]
    pub fn fail(
        message: impl std::fmt::Display,
        recorded: &Timeline,
        expected: Option<&Timeline>,
    ) -> ! {
        panic!("{message}\n{}", encode(recorded, expected))
    }

    /// `assert_eq!` that shows the timelines when it fails. The message reads as
    /// `assert_eq!`'s does; it is built only on failure.
    #[track_caller]
    pub fn assert_eq<T: PartialEq + Debug>(
        left: T,
        right: T,
        recorded: &Timeline,
        expected: Option<&Timeline>,
        message: impl FnOnce() -> String,
    ) {
        if left != right {
            fail(
                format_args!(
                    "assertion `left == right` failed: {}\n  left: {left:?}\n right: {right:?}",
                    message()
                ),
                recorded,
                expected,
            );
        }
    }

    /// `assert!` that shows the timelines when it fails.
    #[track_caller]
    pub fn assert(
        condition: bool,
        recorded: &Timeline,
        expected: Option<&Timeline>,
        message: impl FnOnce() -> String,
    ) {
        if !condition {
            fail(message(), recorded, expected);
        }
    }

    /// What `encode` writes for a small timeline; `src/timeline.rs` parses the same text in
    /// its tests, so that the two sides cannot drift apart.
    pub const SAMPLE_LINE: &str = concat!(
        "asynclings-timeline v1 {\"recorded\":{\"rows\":[",
        "{\"label\":\"a \\\"b\\\"\",\"kind\":\"spans\",\"spans\":[[0,1500],[2000,null]]},",
        "{\"label\":\"tick\",\"kind\":\"instants\",\"at\":[10000]},",
        "{\"label\":\"in flight\",\"kind\":\"count\",\"limit\":4,\"samples\":[[0,1],[5000,0]]}",
        "],\"end_us\":12000},\"expected\":{\"rows\":[],\"end_us\":3000}}"
    );

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn the_encoding_is_the_one_the_runner_reads() {
            let ms = Duration::from_millis;
            let recorded = Timeline::new();
            recorded.span_at("a \"b\"", ms(0), Duration::from_micros(1500));
            recorded.open_span_at("a \"b\"", ms(2));
            recorded.instant_at("tick", ms(10));
            recorded.count_at("in flight", Some(4), ms(0), 1);
            recorded.count_at("in flight", Some(4), ms(5), 0);
            recorded.end_at(ms(12));
            let expected = Timeline::new();
            expected.end_at(ms(3));
            assert_eq!(encode(&recorded, Some(&expected)), SAMPLE_LINE);
        }
    }

    /// Counts a recording [`InFlight`](super::InFlight) samples.
    pub(super) struct Recorder {
        pub(super) timeline: Timeline,
        pub(super) label: String,
        pub(super) limit: Option<usize>,
        /// Serializes changes with their samples, so that the samples are in order.
        pub(super) lock: Mutex<()>,
    }

    impl Recorder {
        pub(super) fn change(&self, now: &AtomicUsize, delta: isize) -> usize {
            let _order = self.lock.lock().unwrap();
            let value = if delta > 0 {
                now.fetch_add(1, Ordering::SeqCst) + 1
            } else {
                now.fetch_sub(1, Ordering::SeqCst) - 1
            };
            self.timeline
                .count_at(&self.label, self.limit, self.timeline.now(), value);
            value
        }
    }
}
