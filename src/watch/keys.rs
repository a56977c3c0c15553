//! Key presses, read on a blocking thread, and the terminal's settings restored however
//! watch mode ends: quit, Ctrl-C, or a panic.

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

/// Starts the thread that reads keys and sends them to the event loop.
pub fn spawn_reader() -> mpsc::Receiver<Key> {
    let (tx, rx) = mpsc::channel(16);
    std::thread::spawn(move || {
        let term = Term::stdout();
        loop {
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
    });
    rx
}
