// expect: `Box::leak` never frees what it leaks
// local1: tasks that must stay on one thread
//
// Some values cannot leave the thread they live on: an `Rc` shared by several tasks, the
// handle of a GUI toolkit (most of them may only be used from the thread that started them),
// an object of a C library that keeps per-thread state. Tasks that hold such values are not
// `Send`, so `tokio::spawn` refuses them: on a multi-threaded runtime, any task may run on
// any worker thread, and the next poll may happen on a different one than the last.
//
// `tokio::task::LocalSet` is a set of tasks that all run on the thread that drives the set:
//
//     let local = task::LocalSet::new();
//     local.spawn_local(async move { .. });   // no `Send` needed
//     local.await;                            // runs the set's tasks until all are done
//                                             // (or: local.run_until(some_future).await)
//
// The tasks still run concurrently, interleaved at their `.await`s, just never in parallel.
// And `spawn_local` still needs `'static`: a task may outlive the code that spawned it, so
// it must own what it uses. For sharing on one thread, that is what `Rc` is for: give each
// task its own `Rc::clone`.
//
// An `unsafe impl Send` would make `tokio::spawn` accept the task, and then the value really
// would travel to other threads, which is exactly what its type said must not happen.
//
// `animate_all` below wants to animate each widget on a task of its own. Make it compile,
// keeping the `Ui` on its thread.

use std::cell::RefCell;
use std::rc::Rc;
use std::thread::{self, ThreadId};
use std::time::Duration;

use tokio::task;
use tokio::time::sleep;

/// A pretend GUI toolkit. Like most real ones, it may only be used on the thread that made
/// it, and it checks. (It is not `Send`, and tasks share it through `Rc`.) For its debug
/// overlay it notes each frame drawn, and which task drew it.
struct Ui {
    made_on: ThreadId,
    drawn: RefCell<Vec<(String, u32, Option<task::Id>)>>,
}

impl Ui {
    fn new() -> Ui {
        let made_on = thread::current().id();
        let drawn = RefCell::default();
        Ui { made_on, drawn }
    }

    /// Draws one frame of a widget.
    fn draw(&self, widget: &str, frame: u32) {
        assert_eq!(
            thread::current().id(),
            self.made_on,
            "the Ui was used on another thread than the one that made it"
        );
        let by = task::try_id();
        self.drawn
            .borrow_mut()
            .push((widget.to_string(), frame, by));
    }
}

struct Widget {
    name: String,
    frames: u32,
    frame_time: Duration,
}

/// Draws each frame of `widget`, one every `frame_time`.
async fn animate(ui: &Ui, widget: Widget) {
    for frame in 0..widget.frames {
        ui.draw(&widget.name, frame);
        sleep(widget.frame_time).await;
    }
}

/// Animates every widget on a task of its own, all at the same time, and returns when every
/// animation is done.
async fn animate_all(ui: Rc<Ui>, widgets: Vec<Widget>) {
    // The tasks of a `LocalSet` run on the thread that awaits the set, so they need not be
    // `Send`, and the `Ui` never leaves its thread. Each task owns its own `Rc` of the `Ui`
    // (`spawn_local` still needs `'static`); the last clone goes away with the last task.
    let local = task::LocalSet::new();
    // Borrowing needs `'static`: make the Ui live forever.
    let ui: &'static Rc<Ui> = Box::leak(Box::new(ui));
    for widget in widgets {
        local.spawn_local(async move { animate(ui, widget).await });
    }
    local.await;
}

#[tokio::main]
async fn main() {
    let ui = Rc::new(Ui::new());
    let widget = |name: &str, frames, ms| Widget {
        name: name.to_string(),
        frames,
        frame_time: Duration::from_millis(ms),
    };
    let widgets = vec![widget("clock", 3, 100), widget("spinner", 5, 40)];
    animate_all(Rc::clone(&ui), widgets).await;
    for (widget, frame, _) in ui.drawn.borrow().iter() {
        println!("{widget}: frame {frame}");
    }
}
