//! The shutdown guard: once SHUTDOWN arrives the executor has `MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD`
//! to exit; if user code hangs, this kills the process (and its process group when it leads one,
//! so task subprocesses go too), as the C++ executor library does with `killpg(0, SIGKILL)`.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// What the guard does when the grace period ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum GuardMode {
    /// SIGKILL the process group when this process leads it (and `MESOS_LOCAL` is unset),
    /// otherwise SIGKILL this process only.
    #[default]
    Kill,
    /// Do nothing (in-process tests).
    Disabled,
}

static ARMED: AtomicBool = AtomicBool::new(false);

/// Starts the countdown once per process; later calls do nothing.
pub(crate) fn arm(mode: GuardMode, grace: Duration, local: bool) {
    if mode == GuardMode::Disabled || ARMED.swap(true, Ordering::SeqCst) {
        return;
    }
    let spawned = std::thread::Builder::new()
        .name("satyr-shutdown-guard".into())
        .spawn(move || {
            std::thread::sleep(grace);
            tracing::warn!("executor still alive {grace:?} after SHUTDOWN: killing it");
            kill_now(local);
        });
    if let Err(e) = spawned {
        // Without a guard thread the agent still destroys the container after the grace period.
        tracing::error!("cannot start the shutdown guard: {e}");
    }
}

#[allow(unsafe_code)]
fn kill_now(local: bool) {
    // SAFETY: getpid/getpgrp/killpg/kill take no pointers and cannot break memory safety.
    unsafe {
        let pid = libc::getpid();
        // Only kill the group this process leads: when started by hand from a shell, the group
        // is the shell's job and not ours to kill. In local mode the agent may share it.
        if !local && libc::getpgrp() == pid {
            libc::killpg(pid, libc::SIGKILL);
        }
        libc::kill(pid, libc::SIGKILL);
    }
}
