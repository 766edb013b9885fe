//! THE tokio runtime of the crate: built lazily on first use, multi-threaded with one or two
//! worker threads (the machines this runs on are small and the work is I/O), shared by the
//! driver and everything else that needs async I/O.
//!
//! Fork caveat: a runtime's worker threads do not survive `fork()`. A forked child (e.g. a
//! `multiprocessing` worker using the "fork" start method) must not touch handles, drivers or
//! futures created in the parent: they belong to a runtime whose threads do not exist in the
//! child and would hang. [`handle`] notices the pid change and builds a fresh runtime for the
//! child (the parent's is leaked in the child, never dropped, since dropping it would wait for
//! threads that are gone), so new work in the child runs; objects inherited from the parent
//! stay unusable. Prefer the "spawn" or "forkserver" start methods.

use std::future::Future;
use std::sync::Mutex;

use tokio::runtime::{Builder, Handle, Runtime};

/// The runtime of this process (pid) and its handle.
static RUNTIME: Mutex<Option<(u32, &'static Runtime)>> = Mutex::new(None);

fn build() -> std::io::Result<Runtime> {
    let workers = std::thread::available_parallelism()
        .map(|n| n.get().clamp(1, 2))
        .unwrap_or(1);
    Builder::new_multi_thread()
        .worker_threads(workers)
        .thread_name("satyr-rt")
        .enable_all()
        .build()
}

/// The shared runtime, built on first use (and again in a forked child).
pub fn runtime() -> std::io::Result<&'static Runtime> {
    let pid = std::process::id();
    // A poisoned lock only means a panic elsewhere while holding it; the data is still valid.
    let mut slot = RUNTIME.lock().unwrap_or_else(|p| p.into_inner());
    if let Some((owner, rt)) = *slot {
        if owner == pid {
            return Ok(rt);
        }
    }
    // Leaked on purpose: it lives as long as the process (and a stale one must not be dropped).
    let rt: &'static Runtime = Box::leak(Box::new(build()?));
    *slot = Some((pid, rt));
    Ok(rt)
}

/// A handle to the shared runtime, for spawning.
pub fn handle() -> std::io::Result<Handle> {
    runtime().map(|rt| rt.handle().clone())
}

/// Runs a future to completion on the shared runtime from a thread that is not one of its
/// workers (e.g. a Python thread with the GIL released). Panics if called from inside an async
/// context, as tokio's `block_on` does.
pub fn block_on<F: Future>(fut: F) -> std::io::Result<F::Output> {
    Ok(runtime()?.block_on(fut))
}

#[cfg(test)]
mod tests {
    #[test]
    fn one_runtime_per_process() {
        let a = super::runtime().unwrap() as *const _;
        let b = super::runtime().unwrap() as *const _;
        assert_eq!(a, b);
        assert_eq!(super::block_on(async { 41 + 1 }).unwrap(), 42);
    }
}
