//! The tokio runtime the binding owns, and cancellable calls on it.
//!
//! Kotlin's coroutines and Swift's tasks poll the exported futures through
//! UniFFI; the SDK's I/O (reqwest, timers) needs a tokio reactor, so each
//! call runs as a task on this runtime and the exported future only waits
//! for it. When the caller cancels (a Kotlin `Job.cancel()`, a Swift task
//! cancellation), UniFFI drops the exported future; the [`Task`] guard then
//! aborts the tokio task, which drops the SDK future at its next await: its
//! HTTP connection closes and its fetch claim is given back.

use std::future::Future;
use std::sync::OnceLock;

use crate::errors::{AuraError, Outcome};

/// Threads that run the market's and the assistant's I/O.
const WORKERS: usize = 2;

static RUNTIME: OnceLock<Result<tokio::runtime::Runtime, String>> = OnceLock::new();

/// The shared runtime, started on first use.
fn runtime() -> Outcome<&'static tokio::runtime::Runtime> {
    RUNTIME
        .get_or_init(|| {
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(WORKERS)
                .thread_name("auravest-io")
                .enable_all()
                .build()
                .map_err(|e| e.to_string())
        })
        .as_ref()
        .map_err(|e| AuraError::internal("runtime", format!("cannot start the async runtime: {e}")))
}

/// Aborts its task when dropped before the task finished.
struct Task<T>(tokio::task::JoinHandle<T>);

impl<T> Drop for Task<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Runs `work` on the binding's runtime and waits for it; dropping the
/// returned future cancels the work.
pub(crate) async fn spawn<T, F>(work: F) -> Outcome<T>
where
    T: Send + 'static,
    F: Future<Output = Outcome<T>> + Send + 'static,
{
    let mut task = Task(runtime()?.spawn(work));
    match (&mut task.0).await {
        Ok(out) => out,
        Err(e) => Err(AuraError::internal(
            "task",
            format!("the call stopped without a result: {e}"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::time::Duration;

    use super::*;

    struct Flag(Arc<AtomicBool>);

    impl Drop for Flag {
        fn drop(&mut self) {
            self.0.store(true, Ordering::SeqCst);
        }
    }

    #[test]
    fn dropping_the_call_drops_the_work() {
        let dropped = Arc::new(AtomicBool::new(false));
        let flag = Flag(Arc::clone(&dropped));
        let call = spawn(async move {
            let _held = flag;
            tokio::time::sleep(Duration::from_secs(60)).await;
            Ok(())
        });
        // Poll once on a throwaway runtime so the task starts, then drop it.
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a test runtime");
        rt.block_on(async {
            let _ = tokio::time::timeout(Duration::from_millis(50), call).await;
        });
        for _ in 0..100 {
            if dropped.load(Ordering::SeqCst) {
                return;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        panic!("the cancelled task still holds its resources");
    }

    #[test]
    fn a_panicking_task_is_an_internal_error() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("a test runtime");
        let out: Outcome<()> = rt.block_on(spawn(async { panic!("boom") }));
        assert!(
            matches!(&out, Err(AuraError::Internal { detail }) if detail.kind == "task"),
            "{out:?}"
        );
    }
}
