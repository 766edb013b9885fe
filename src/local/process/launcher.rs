//! The launcher thread: forks every child of the cluster, each in a new process group with a
//! parent-death signal (SIGKILL), registers the group with the watchdog, and hands the child to
//! the caller's callback (which awaits it on the runtime).
//!
//! The kernel delivers a parent-death signal when the *thread* that forked the child exits, so
//! children are forked here, on a thread that ends only when the cluster stops, never on a
//! runtime worker or a caller's thread.

use std::fs::OpenOptions;
use std::io;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::mpsc;
use std::sync::Mutex;
use std::thread::JoinHandle;
use std::time::Duration;

use super::signals;
use super::watchdog::Watchdog;

/// What to run, and where its output goes.
#[derive(Debug, Clone)]
pub(crate) struct SpawnSpec {
    pub program: String,
    pub args: Vec<String>,
    /// `argv[0]` when it differs from the program.
    pub arg0: Option<String>,
    pub env: Vec<(String, String)>,
    pub cwd: PathBuf,
    pub stdout: PathBuf,
    pub stderr: PathBuf,
}

/// Receives the spawned child (or why it could not be spawned), on the launcher thread.
pub(crate) type SpawnDone = Box<dyn FnOnce(io::Result<tokio::process::Child>) + Send>;

enum Msg {
    Spawn(Box<SpawnSpec>, SpawnDone),
    Forget(u32),
}

/// The handle of the launcher thread.
pub(crate) struct Launcher {
    tx: Mutex<Option<mpsc::Sender<Msg>>>,
    thread: Mutex<Option<JoinHandle<()>>>,
}

impl Launcher {
    /// Starts the watchdog (which removes `cleanup`, a temporary work folder, when it ends) and
    /// the launcher thread.
    pub(crate) fn start(
        runtime: tokio::runtime::Handle,
        cleanup: Option<&std::path::Path>,
    ) -> io::Result<Launcher> {
        let watchdog = Watchdog::start(cleanup)?;
        let (tx, rx) = mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("satyr-local-launcher".into())
            .spawn(move || run(runtime, watchdog, rx))?;
        Ok(Launcher {
            tx: Mutex::new(Some(tx)),
            thread: Mutex::new(Some(thread)),
        })
    }

    fn send(&self, msg: Msg) -> Result<(), Msg> {
        // A poisoned lock only means a panic elsewhere; the sender is still fine.
        let guard = self.tx.lock().unwrap_or_else(|p| p.into_inner());
        match guard.as_ref() {
            Some(tx) => tx.send(msg).map_err(|e| e.0),
            None => Err(msg),
        }
    }

    /// Spawns a child; `done` gets it (or the error) on the launcher thread.
    pub(crate) fn spawn(&self, spec: SpawnSpec, done: SpawnDone) {
        if let Err(Msg::Spawn(_, done)) = self.send(Msg::Spawn(Box::new(spec), done)) {
            done(Err(io::Error::other("the local cluster is stopping")));
        }
    }

    /// Tells the watchdog a process group is gone.
    pub(crate) fn forget(&self, pgid: u32) {
        let _ = self.send(Msg::Forget(pgid));
    }

    /// Ends the thread (children it forked get their parent-death signal) and the watchdog
    /// (which kills any group still listed).
    pub(crate) fn stop(&self) {
        self.tx.lock().unwrap_or_else(|p| p.into_inner()).take();
        let thread = self.thread.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(t) = thread {
            let _ = t.join();
        }
    }
}

fn run(runtime: tokio::runtime::Handle, mut watchdog: Watchdog, rx: mpsc::Receiver<Msg>) {
    // tokio's child processes are reaped by the runtime's signal driver: spawn inside it.
    let _entered = runtime.enter();
    while let Ok(msg) = rx.recv() {
        match msg {
            Msg::Spawn(spec, done) => {
                let result = spawn(&spec);
                if let Ok(child) = &result {
                    if let Some(pid) = child.id() {
                        watchdog.watch(pid);
                    }
                }
                done(result);
            }
            Msg::Forget(pgid) => watchdog.forget(pgid),
        }
    }
    watchdog.finish(Duration::from_secs(2));
}

#[allow(unsafe_code)]
fn spawn(spec: &SpawnSpec) -> io::Result<tokio::process::Child> {
    let open = |path: &PathBuf| {
        OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|e| io::Error::new(e.kind(), format!("cannot open {}: {e}", path.display())))
    };
    let stdout = open(&spec.stdout)?;
    let stderr = open(&spec.stderr)?;
    let mut cmd = tokio::process::Command::new(&spec.program);
    if let Some(arg0) = &spec.arg0 {
        cmd.arg0(arg0);
    }
    cmd.args(&spec.args)
        .current_dir(&spec.cwd)
        .env_clear()
        .envs(spec.env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null())
        .stdout(Stdio::from(stdout))
        .stderr(Stdio::from(stderr))
        .process_group(0)
        .kill_on_drop(false);
    let parent = signals::own_pid();
    // SAFETY: the closure runs between fork and exec and only makes async-signal-safe system
    // calls (prctl, getppid) on integers; it allocates nothing and takes no locks.
    unsafe {
        cmd.pre_exec(move || signals::die_with_parent(parent));
    }
    cmd.spawn()
}
