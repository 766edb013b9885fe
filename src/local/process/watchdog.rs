//! The watchdog: a tiny `/bin/sh` process, in its own process group, that reads `+ PGID` and
//! `- PGID` lines on stdin and, when stdin ends, SIGKILLs every group still listed. Its stdin is
//! the only copy of a close-on-exec pipe held by this process, so it ends when this process
//! exits by any means (return, exception, SIGTERM, SIGKILL) or when the cluster stops.
//!
//! Parent-death signals alone are not enough: they reach the direct children (executors,
//! `sh -c` of command tasks) but not what those started, which stays in their process group.

use std::io::Write;
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::{Duration, Instant};

use std::os::unix::process::CommandExt;

/// Ignores the signals a terminal sends its foreground group (the watchdog has its own group
/// anyway), keeps a space-separated list of groups, kills them all at EOF, then removes the
/// cluster's temporary work folder (`$1`) if it was given one.
const SCRIPT: &str = r#"trap '' INT TERM HUP QUIT
g=' '
while read -r op pg; do
  case $op in
    +) g="$g$pg ";;
    -) case $g in *" $pg "*) g="${g%% $pg *} ${g#* $pg }";; esac;;
  esac
done
for pg in $g; do kill -s KILL -- "-$pg" 2>/dev/null; done
if [ -n "$1" ]; then rm -rf -- "$1"; fi
"#;

pub(crate) struct Watchdog {
    child: Child,
    stdin: Option<ChildStdin>,
}

impl Watchdog {
    /// Starts it; `cleanup` is a temporary folder of ours to remove when it ends.
    pub(crate) fn start(cleanup: Option<&Path>) -> std::io::Result<Watchdog> {
        let mut child = Command::new("/bin/sh")
            .arg("-c")
            .arg(SCRIPT)
            .arg("satyr-local-watchdog")
            .arg(cleanup.map(Path::as_os_str).unwrap_or_default())
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()?;
        let stdin = child.stdin.take();
        Ok(Watchdog { child, stdin })
    }

    fn send(&mut self, line: &str) {
        if let Some(stdin) = &mut self.stdin {
            // A dead watchdog can do nothing for us; the cluster still kills its children itself.
            if stdin.write_all(line.as_bytes()).is_err() {
                self.stdin = None;
            }
        }
    }

    /// Watch this process group.
    pub(crate) fn watch(&mut self, pgid: u32) {
        self.send(&format!("+ {pgid}\n"));
    }

    /// Stop watching this process group (it is gone).
    pub(crate) fn forget(&mut self, pgid: u32) {
        self.send(&format!("- {pgid}\n"));
    }

    /// Closes stdin (the watchdog kills what is left and exits) and reaps it.
    pub(crate) fn finish(mut self, wait: Duration) {
        self.stdin = None;
        let deadline = Instant::now() + wait;
        while Instant::now() < deadline {
            match self.child.try_wait() {
                Ok(Some(_)) | Err(_) => return,
                Ok(None) => std::thread::sleep(Duration::from_millis(2)),
            }
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sleeper() -> Child {
        Command::new("sleep")
            .arg("300")
            .process_group(0)
            .spawn()
            .unwrap()
    }

    #[test]
    fn kills_the_groups_it_watches_when_its_input_ends() {
        let mut watched = sleeper();
        let mut forgotten = sleeper();
        let dir = tempfile::tempdir().unwrap();
        let scratch = dir.path().join("work");
        std::fs::create_dir_all(scratch.join("slaves")).unwrap();
        let mut dog = Watchdog::start(Some(&scratch)).unwrap();
        dog.watch(watched.id());
        dog.watch(forgotten.id());
        dog.forget(forgotten.id());
        dog.finish(Duration::from_secs(10));
        // Killed by the watchdog (SIGKILL), not by us.
        let status = watched.wait().unwrap();
        assert_eq!(
            std::os::unix::process::ExitStatusExt::signal(&status),
            Some(9)
        );
        assert!(
            forgotten.try_wait().unwrap().is_none(),
            "a forgotten group was killed"
        );
        assert!(
            !scratch.exists(),
            "the temporary work folder is still there"
        );
        forgotten.kill().unwrap();
        forgotten.wait().unwrap();
    }
}
