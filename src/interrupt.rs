//! Ctrl+C and SIGTERM as a stream the student's loop (`grade` with no lab, `--watch`) can wait
//! on between and during gradings.
//!
//! The handlers are installed by [`Interrupt::register`], before any child is started: a
//! signal that arrived before a lazily registered handler would kill this process with its
//! default action and leave the child grading alone, its report going nowhere.

use std::io;

pub struct Interrupt {
    #[cfg(unix)]
    int: tokio::signal::unix::Signal,
    #[cfg(unix)]
    term: tokio::signal::unix::Signal,
    #[cfg(windows)]
    ctrl_c: tokio::signal::windows::CtrlC,
}

impl Interrupt {
    /// Installs the handlers now. Must be called inside a tokio runtime.
    pub fn register() -> io::Result<Interrupt> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            Ok(Interrupt {
                int: signal(SignalKind::interrupt())?,
                term: signal(SignalKind::terminate())?,
            })
        }
        #[cfg(windows)]
        {
            Ok(Interrupt {
                ctrl_c: tokio::signal::windows::ctrl_c()?,
            })
        }
    }

    /// Resolves at the next Ctrl+C or SIGTERM (every call waits for a new one).
    pub async fn recv(&mut self) {
        #[cfg(unix)]
        {
            tokio::select! {
                _ = self.int.recv() => {}
                _ = self.term.recv() => {}
            }
        }
        #[cfg(windows)]
        {
            self.ctrl_c.recv().await;
        }
    }
}
