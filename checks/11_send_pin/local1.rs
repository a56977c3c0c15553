use super::*;

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
    let mut drawn = ui.drawn.borrow().clone();
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
