//! Long calls run without the GIL and stop waiting on Ctrl-C.
//!
//! The work runs on a thread of its own while the calling thread, with the
//! GIL released, waits for it in short slices; between slices it checks for
//! pending signals, so a KeyboardInterrupt reaches the caller within a
//! tenth of a second. An interrupted computation finishes in the
//! background and its result is dropped: the SDK's calls have no side
//! effects to undo.

use std::sync::mpsc;
use std::time::Duration;

use pyo3::prelude::*;

use crate::errors::{Outcome, raise};

/// How often a waiting call looks for Ctrl-C.
const SIGNAL_POLL: Duration = Duration::from_millis(50);

/// Work estimated below this many floating-point operations (a few
/// milliseconds at most) runs on the calling thread: starting a thread costs
/// as much as the work itself at small sizes, and Ctrl-C waits no longer
/// than it would for any other short call.
const SHORT_WORK: usize = 10_000_000;

/// Runs `work` off the GIL: on the calling thread when `flops` (an estimate
/// of its floating-point operations) is small, else as [`interruptible`].
pub(crate) fn sized<T, F>(py: Python<'_>, flops: usize, work: F) -> PyResult<T>
where
    T: Send + 'static,
    F: FnOnce() -> Outcome<T> + Send + 'static,
{
    if flops < SHORT_WORK {
        detached(py, work)
    } else {
        interruptible(py, work)
    }
}

/// Runs `work` off the GIL, answering Ctrl-C while it runs.
pub(crate) fn interruptible<T, F>(py: Python<'_>, work: F) -> PyResult<T>
where
    T: Send + 'static,
    F: FnOnce() -> Outcome<T> + Send + 'static,
{
    let (tx, rx) = mpsc::sync_channel(1);
    std::thread::Builder::new()
        .name("auravest-call".to_owned())
        .spawn(move || {
            // The receiver is gone when the caller was interrupted.
            let _ = tx.send(work());
        })
        .map_err(|e| {
            pyo3::exceptions::PyRuntimeError::new_err(format!("cannot start a thread: {e}"))
        })?;
    let mut rx = rx;
    loop {
        let (next, back) = py.detach(move || (rx.recv_timeout(SIGNAL_POLL), rx));
        rx = back;
        match next {
            Ok(out) => return raise(py, out),
            Err(mpsc::RecvTimeoutError::Timeout) => py.check_signals()?,
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                return Err(pyo3::exceptions::PyRuntimeError::new_err(
                    "the computation stopped without a result (it panicked)",
                ));
            }
        }
    }
}

/// Runs a short call off the GIL on the calling thread.
pub(crate) fn detached<T, F>(py: Python<'_>, work: F) -> PyResult<T>
where
    T: Send,
    F: FnOnce() -> Outcome<T> + Send,
{
    let out = py.detach(work);
    raise(py, out)
}
