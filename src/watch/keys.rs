//! Key presses, read on a blocking thread, and the terminal's settings restored however
//! watch mode ends: quit, Ctrl-C, or a panic.

use std::sync::{Arc, Condvar, Mutex};

use console::{Key, Term};
use tokio::sync::mpsc;

#[cfg(unix)]
use std::fs::File;
#[cfg(unix)]
use std::sync::OnceLock;

#[cfg(unix)]
use nix::libc;
#[cfg(unix)]
use nix::sys::termios::{SetArg, Termios, tcgetattr, tcsetattr};

/// The terminal settings from before watch mode, for the panic hook.
#[cfg(unix)]
static SAVED: OnceLock<libc::termios> = OnceLock::new();

/// Restores the terminal when dropped. The key thread puts the terminal in raw mode for each
/// read; if watch mode ends while it waits for a key, only this puts the settings back.
#[cfg(unix)]
pub struct TerminalGuard {
    tty: Option<File>,
}

/// Elsewhere the console crate restores the terminal after every key it reads.
#[cfg(not(unix))]
pub struct TerminalGuard;

#[cfg(not(unix))]
impl TerminalGuard {
    pub fn new() -> Self {
        Self
    }
}

#[cfg(unix)]
impl TerminalGuard {
    pub fn new() -> Self {
        let tty = File::options().read(true).write(true).open("/dev/tty").ok();
        if let Some(tty) = &tty
            && let Ok(termios) = tcgetattr(tty)
        {
            let _ = SAVED.set(termios.into());
            let previous = std::panic::take_hook();
            std::panic::set_hook(Box::new(move |info| {
                restore();
                previous(info);
            }));
        }
        Self { tty }
    }
}

#[cfg(unix)]
impl Drop for TerminalGuard {
    fn drop(&mut self) {
        if self.tty.is_some() {
            restore();
        }
    }
}

#[cfg(unix)]
fn restore() {
    if let (Some(saved), Ok(tty)) = (
        SAVED.get(),
        File::options().read(true).write(true).open("/dev/tty"),
    ) {
        let _ = tcsetattr(&tty, SetArg::TCSANOW, &Termios::from(*saved));
    }
    // Show the cursor, in case anything hid it.
    print!("\x1b[?25h");
}

/// Where the key thread is: reading, asked to stop for another program, or stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reading {
    On,
    Asked,
    Paused,
}

struct Pause {
    reading: Mutex<Reading>,
    changed: Condvar,
}

/// The key presses of watch mode, read on their own thread, and a way to lend the terminal
/// to another program (the learner's editor) for a while.
pub struct Keys {
    pub rx: mpsc::Receiver<Key>,
    pause: Arc<Pause>,
}

/// How long the key thread waits for a key before it looks whether it should pause.
#[cfg(unix)]
const LOOK_EVERY: u16 = 50;

impl Keys {
    /// Starts the thread that reads keys and sends them to the event loop.
    pub fn spawn() -> Self {
        let (tx, rx) = mpsc::channel(16);
        let pause = Arc::new(Pause {
            reading: Mutex::new(Reading::On),
            changed: Condvar::new(),
        });
        let shared = Arc::clone(&pause);
        std::thread::spawn(move || read_keys(&tx, &shared));
        Self { rx, pause }
    }

    /// Stops reading keys and gives the terminal its own settings back, until [`Keys::resume`].
    /// Returns once the key thread has stopped (or after a second, if it does not answer).
    pub fn pause(&self) {
        let mut reading = self.pause.reading.lock().unwrap_or_else(|e| e.into_inner());
        *reading = Reading::Asked;
        let _ = self.pause.changed.wait_timeout_while(
            reading,
            std::time::Duration::from_secs(1),
            |r| *r == Reading::Asked,
        );
    }

    pub fn resume(&self) {
        *self.pause.reading.lock().unwrap_or_else(|e| e.into_inner()) = Reading::On;
        self.pause.changed.notify_all();
    }
}

fn read_keys(tx: &mpsc::Sender<Key>, pause: &Pause) {
    let term = Term::stdout();
    #[cfg(unix)]
    let raw = RawMode::new();
    loop {
        {
            let mut reading = pause.reading.lock().unwrap_or_else(|e| e.into_inner());
            if *reading == Reading::Asked {
                #[cfg(unix)]
                restore();
                *reading = Reading::Paused;
                pause.changed.notify_all();
                reading = pause
                    .changed
                    .wait_while(reading, |r| *r != Reading::On)
                    .unwrap_or_else(|e| e.into_inner());
                #[cfg(unix)]
                raw.enter();
            }
        }
        // Between keys the terminal stays raw (a key is one byte, not a line) and the thread
        // looks up now and then, so that it can be paused without a key being pressed.
        #[cfg(unix)]
        if !raw.key_waiting(LOOK_EVERY) {
            continue;
        }
        match term.read_key_raw() {
            // Without a terminal there is nothing to read; stop rather than spin.
            Ok(Key::Unknown) if !term.is_term() => break,
            Ok(key) => {
                if tx.blocking_send(key).is_err() {
                    break;
                }
            }
            Err(_) => break,
        }
    }
}

/// The terminal in raw input mode (keys one by one, not echoed), output as it was.
#[cfg(unix)]
struct RawMode {
    stdin: std::io::Stdin,
    raw: Option<Termios>,
}

#[cfg(unix)]
impl RawMode {
    fn new() -> Self {
        let stdin = std::io::stdin();
        let raw = tcgetattr(&stdin).ok().map(|original| {
            let mut raw = original.clone();
            nix::sys::termios::cfmakeraw(&mut raw);
            raw.output_flags = original.output_flags;
            raw
        });
        let mode = Self { stdin, raw };
        mode.enter();
        mode
    }

    fn enter(&self) {
        if let Some(raw) = &self.raw {
            let _ = tcsetattr(&self.stdin, SetArg::TCSADRAIN, raw);
        }
    }

    /// Whether a key can be read within `ms` milliseconds (true when that cannot be known,
    /// so that the read decides).
    fn key_waiting(&self, ms: u16) -> bool {
        use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
        use std::os::fd::AsFd;
        if self.raw.is_none() {
            return true;
        }
        let mut fds = [PollFd::new(self.stdin.as_fd(), PollFlags::POLLIN)];
        !matches!(poll(&mut fds, PollTimeout::from(ms)), Ok(0))
    }
}
