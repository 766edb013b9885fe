//! The few libc calls the local cluster needs (the crate otherwise denies `unsafe`): signals to
//! process groups, the parent-death signal of children, free disk space.

use std::io;
use std::path::Path;

/// Sends `signal` to every process of the group `pgid`. False if there is no such group.
#[allow(unsafe_code)]
pub fn signal_group(pgid: u32, signal: i32) -> bool {
    let Ok(pgid) = libc::pid_t::try_from(pgid) else {
        return false;
    };
    if pgid <= 1 {
        // Never signal "every process" (0, -1) or init's group.
        return false;
    }
    // SAFETY: kill(2) takes plain integers and touches no memory of ours; a negative pid
    // addresses the process group, which we created for the child (its pid is its pgid).
    unsafe { libc::kill(-pgid, signal) == 0 }
}

/// Runs in a freshly forked child, before exec: asks the kernel to SIGKILL the child when the
/// thread that forked it exits (the launcher thread, which lives as long as the cluster), and
/// closes the race where that happened before the request was made.
#[allow(unsafe_code)]
pub fn die_with_parent(parent: libc::pid_t) -> io::Result<()> {
    // SAFETY: prctl(PR_SET_PDEATHSIG) and getppid are async-signal-safe system calls taking
    // integers only; nothing here allocates or takes locks, as required between fork and exec.
    unsafe {
        if libc::prctl(
            libc::PR_SET_PDEATHSIG,
            libc::SIGKILL as libc::c_ulong,
            0,
            0,
            0,
        ) != 0
        {
            return Err(io::Error::last_os_error());
        }
        if libc::getppid() != parent {
            // The cluster's process exited during the launch: do not run orphaned.
            return Err(io::Error::from_raw_os_error(libc::ESRCH));
        }
    }
    Ok(())
}

/// This process's pid, as the children's expected parent.
pub fn own_pid() -> libc::pid_t {
    libc::pid_t::try_from(std::process::id()).unwrap_or(0)
}

/// Free space (for unprivileged users) of the file system holding `path`, in MB.
#[allow(unsafe_code)]
pub fn free_disk_mb(path: &Path) -> Option<f64> {
    use std::os::unix::ffi::OsStrExt;
    let c_path = std::ffi::CString::new(path.as_os_str().as_bytes()).ok()?;
    // SAFETY: statvfs is plain old data, so all-zero is a valid value; the call writes only
    // into it and reads the NUL-terminated path, which lives until the call returns.
    let mut stat: libc::statvfs = unsafe { std::mem::zeroed() };
    let rc = unsafe { libc::statvfs(c_path.as_ptr(), &mut stat) };
    if rc != 0 {
        return None;
    }
    Some(stat.f_bavail as f64 * stat.f_frsize as f64 / (1024.0 * 1024.0))
}

/// The name `strsignal` gives a signal, as Mesos's command executor reports it.
pub fn signal_name(signal: i32) -> String {
    let name = match signal {
        libc::SIGHUP => "Hangup",
        libc::SIGINT => "Interrupt",
        libc::SIGQUIT => "Quit",
        libc::SIGILL => "Illegal instruction",
        libc::SIGTRAP => "Trace/breakpoint trap",
        libc::SIGABRT => "Aborted",
        libc::SIGBUS => "Bus error",
        libc::SIGFPE => "Floating point exception",
        libc::SIGKILL => "Killed",
        libc::SIGUSR1 => "User defined signal 1",
        libc::SIGSEGV => "Segmentation fault",
        libc::SIGUSR2 => "User defined signal 2",
        libc::SIGPIPE => "Broken pipe",
        libc::SIGALRM => "Alarm clock",
        libc::SIGTERM => "Terminated",
        libc::SIGXCPU => "CPU time limit exceeded",
        libc::SIGXFSZ => "File size limit exceeded",
        _ => return format!("Unknown signal {signal}"),
    };
    name.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_to_signal_everything() {
        assert!(!signal_group(0, 0));
        assert!(!signal_group(1, 0));
        assert!(!signal_group(u32::MAX, 0));
    }

    #[test]
    fn names_and_disk() {
        assert_eq!(signal_name(libc::SIGTERM), "Terminated");
        assert_eq!(signal_name(libc::SIGKILL), "Killed");
        assert!(free_disk_mb(&std::env::temp_dir()).is_some_and(|mb| mb > 0.0));
        assert!(free_disk_mb(Path::new("/nonexistent/x")).is_none());
    }
}
