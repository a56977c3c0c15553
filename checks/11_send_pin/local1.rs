// Mistakes learners make on tasks that must stay on one thread, and how each is caught:
// - `tokio::spawn` with an `unsafe impl Send` wrapper: on a multi-threaded runtime the Ui is
//   used on a worker thread and panics; the message says why.
// - `Box::leak` (or a `'static` of any kind) instead of an `Rc::clone` per task: the Ui's
//   owner count must be back to 1 afterwards.
// - no task at all (`join_all` of the animations in the caller, inside `run_until` or not), or
//   one task animating every widget: the Ui notes which task drew each frame; every widget
//   must be drawn by a task of its own.
// - one widget after another: the virtual time is the longest animation, not the sum.
// - returning before the set's tasks are done (`run_until` of something else, the set
//   dropped): frames missing.
// - hard-coding: the widgets are not the exercise's.

use super::{Ui, Widget, animate_all};

use std::collections::{BTreeMap, HashSet};
use std::panic::AssertUnwindSafe;
use std::rc::Rc;
use std::time::Duration;

use futures::FutureExt;
use tokio::time::Instant;

const LIMIT: Duration = Duration::from_secs(10);

fn widget(name: &str, frames: u32, ms: u64) -> Widget {
    Widget {
        name: name.to_string(),
        frames,
        frame_time: Duration::from_millis(ms),
    }
}

/// Every frame of every widget, sorted.
fn all_frames(widgets: &[(&str, u32, u64)]) -> Vec<(String, u32)> {
    let mut frames: Vec<(String, u32)> = widgets
        .iter()
        .flat_map(|&(name, n, _)| (0..n).map(move |f| (name.to_string(), f)))
        .collect();
    frames.sort();
    frames
}

/// Runs `animate_all` and turns a panic into a message about threads.
async fn run(ui: &Rc<Ui>, widgets: &[(&str, u32, u64)]) {
    let widgets = widgets.iter().map(|&(n, f, t)| widget(n, f, t)).collect();
    let animating = AssertUnwindSafe(animate_all(Rc::clone(ui), widgets)).catch_unwind();
    let outcome = tokio::time::timeout(LIMIT, animating)
        .await
        .unwrap_or_else(|_| panic!("animate_all did not finish within {LIMIT:?}"));
    if let Err(panic) = outcome {
        let message = panic
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_default();
        panic!(
            "animate_all panicked: \"{message}\". Above it: was the Ui used on another thread? A \
             task given to `tokio::spawn` may run on any of the runtime's worker threads; an \
             `unsafe impl Send` hides that from the compiler but does not change it. Tasks \
             spawned with `spawn_local` on a `LocalSet` stay on the thread that runs the set"
        );
    }
}

fn assert_frames(ui: &Ui, widgets: &[(&str, u32, u64)]) {
    let noted: Vec<(String, u32, Option<tokio::task::Id>)> = ui.drawn.borrow().clone();
    let mut drawn: Vec<(String, u32)> = noted.iter().map(|(w, f, _)| (w.clone(), *f)).collect();
    drawn.sort();
    let expected = all_frames(widgets);
    assert_eq!(
        drawn.len(),
        expected.len(),
        "animate_all drew {} frames of the {} that the widgets have: did it return before the \
         animations were done? The tasks of a `LocalSet` run only while the set is driven \
         (awaited, or inside `run_until`)",
        drawn.len(),
        expected.len()
    );
    assert_eq!(drawn, expected, "animate_all should draw every frame once");
    // Which task drew each widget's frames.
    let mut drawn_by: BTreeMap<String, Vec<Option<tokio::task::Id>>> = BTreeMap::new();
    for (widget, _, by) in &noted {
        let by: Option<tokio::task::Id> = *by;
        drawn_by.entry(widget.clone()).or_default().push(by);
    }
    for (widget, by) in &drawn_by {
        assert!(
            by.iter().all(|b| b.is_some()),
            "the frames of {widget} were drawn outside any task: is every animation run by the \
             caller itself (`join_all`, perhaps inside `run_until`)? Give each widget a task of \
             its own with `spawn_local`"
        );
        assert!(
            by.iter().all(|b| *b == by[0]),
            "the frames of {widget} were drawn by several tasks; one task should animate it from \
             its first frame to its last"
        );
    }
    let tasks: HashSet<Option<tokio::task::Id>> = drawn_by.values().map(|by| by[0]).collect();
    assert_eq!(
        tasks.len(),
        drawn_by.len(),
        "{} widgets were drawn by {} task(s): every widget should be animated on a task of its \
         own (`spawn_local` once per widget), not all of them inside one task",
        drawn_by.len(),
        tasks.len()
    );
}

#[tokio::test(start_paused = true)]
async fn every_widget_is_animated_at_the_same_time() {
    let widgets = [("clock", 4, 25), ("ticker", 2, 60), ("spinner", 6, 10)];
    let ui = Rc::new(Ui::new());
    let start = Instant::now();
    run(&ui, &widgets).await;
    let took = start.elapsed();
    assert_frames(&ui, &widgets);
    assert_eq!(
        took,
        Duration::from_millis(120),
        "animations of 100, 120 and 60ms took {took:?} of virtual time together; each on its \
         own task, at the same time, they take 120ms"
    );
    let owners = Rc::strong_count(&ui);
    assert_eq!(
        owners,
        1,
        "after animate_all returned, the Ui still had {} owner(s) besides the caller: something \
         kept, or leaked, an `Rc` of it. `Box::leak` never frees what it leaks; give each task \
         its own `Rc::clone`, which goes away with the task",
        owners - 1
    );
}

/// On a multi-threaded runtime, the test body runs on this thread and spawned tasks on the
/// worker threads. Tasks that use the Ui must stay here.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_ui_stays_on_its_thread_on_a_multi_threaded_runtime() {
    let widgets = [("gauge", 3, 1), ("meter", 2, 2), ("led", 1, 0)];
    let ui = Rc::new(Ui::new());
    run(&ui, &widgets).await;
    assert_frames(&ui, &widgets);
}

#[tokio::test(start_paused = true)]
async fn no_widgets() {
    let ui = Rc::new(Ui::new());
    run(&ui, &[]).await;
    assert!(ui.drawn.borrow().is_empty());
}
