//! Starting and stopping a local cluster: ports bound and the work folder checked first (so bad
//! settings fail at start, never later), then the launcher thread, the HTTP servers and the
//! allocator on the crate's runtime.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use tokio::sync::watch;

use super::agent::{self, Agent};
use super::config::ClusterConfig;
use super::error::LocalError;
use super::http::Listening;
use super::master::{self, AgentSlot, Master};
use super::process::{signals, Launcher};
use super::resources::{self as res, Style};
use super::world::{Ctx, Settings, Shared, World};
use crate::proto::mesos as m;

/// One agent of a running cluster.
#[derive(Debug, Clone)]
pub struct AgentSummary {
    /// The agent id (`<master id>-S<n>`).
    pub id: String,
    /// `http://127.0.0.1:PORT` (executor API, `/files`, `/state`).
    pub url: String,
    /// Its port.
    pub port: u16,
    /// Its total resources.
    pub resources: Vec<m::Resource>,
    /// Its sandboxes' root, `<work_dir>/slaves/<id>`.
    pub work_dir: PathBuf,
}

struct Running {
    shutdown: watch::Sender<bool>,
    launcher: Arc<Launcher>,
}

/// A running local cluster. Stopped by [`LocalCluster::stop`] or when dropped: its executors
/// and tasks are terminated (SIGTERM, then SIGKILL after the stop grace period).
pub struct LocalCluster {
    shared: Arc<Shared>,
    addr: SocketAddr,
    agents: Vec<AgentSummary>,
    work_dir: PathBuf,
    temporary: bool,
    grace: Duration,
    running: Mutex<Option<Running>>,
}

fn temp_work_dir() -> Result<PathBuf, LocalError> {
    let base = std::env::temp_dir();
    for _ in 0..16 {
        let dir = base.join(format!("satyr-local-{:016x}", fastrand::u64(..)));
        match std::fs::create_dir(&dir) {
            Ok(()) => return Ok(dir),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => {
                return Err(LocalError::WorkDir {
                    path: dir.display().to_string(),
                    reason: e.to_string(),
                })
            }
        }
    }
    Err(LocalError::WorkDir {
        path: base.display().to_string(),
        reason: "no free temporary folder name".into(),
    })
}

/// Creates `dir` and proves it writable.
fn check_writable(dir: &Path) -> Result<(), LocalError> {
    let fail = |e: std::io::Error| LocalError::WorkDir {
        path: dir.display().to_string(),
        reason: e.to_string(),
    };
    std::fs::create_dir_all(dir).map_err(fail)?;
    let probe = dir.join(".satyr-write-test");
    std::fs::write(&probe, b"").map_err(fail)?;
    std::fs::remove_file(&probe).map_err(fail)
}

impl LocalCluster {
    /// Starts a cluster. A bad setting, a taken port or an unusable work folder is an error
    /// here.
    pub fn start(config: ClusterConfig) -> Result<LocalCluster, LocalError> {
        let resources = config.validate()?;
        let runtime = crate::runtime::handle()
            .map_err(|e| LocalError::Start(format!("cannot start the I/O runtime: {e}")))?;
        let master_listener = Listening::bind(config.port)?;
        let agent_listeners = (0..config.agents)
            .map(|_| Listening::bind(0))
            .collect::<Result<Vec<_>, _>>()?;
        let (work_dir, temporary) = match &config.work_dir {
            Some(d) => (d.clone(), false),
            None => (temp_work_dir()?, true),
        };
        let cleanup = |e: LocalError| {
            if temporary {
                let _ = std::fs::remove_dir_all(&work_dir);
            }
            e
        };
        let mut master = Master::new(master_listener.addr.port());
        let mut agents = Vec::with_capacity(config.agents);
        for (i, l) in agent_listeners.iter().enumerate() {
            let id = master.agent_id(i);
            let root = work_dir.join("slaves").join(&id);
            check_writable(&root).map_err(cleanup)?;
            agents.push(Agent::new(i, id, l.addr.port(), resources.clone(), root));
            master.slots.push(AgentSlot {
                total: resources.clone(),
                ..Default::default()
            });
        }
        let launcher = Arc::new(
            Launcher::start(runtime.clone(), temporary.then_some(work_dir.as_path())).map_err(
                |e| cleanup(LocalError::Start(format!("cannot start the launcher: {e}"))),
            )?,
        );
        let settings = Arc::new(Settings::from_config(&config));
        let summaries: Vec<AgentSummary> = agents
            .iter()
            .map(|a| AgentSummary {
                id: a.id.clone(),
                url: format!("http://{}", a.endpoint()),
                port: a.port,
                resources: res::to_proto(
                    &a.resources,
                    Style {
                        allocation_role: None,
                        refinement: false,
                    },
                ),
                work_dir: a.root.clone(),
            })
            .collect();
        let shared = Shared::new(|weak| World {
            ctx: Ctx {
                shared: weak,
                runtime: runtime.clone(),
                launcher: launcher.clone(),
                settings: settings.clone(),
            },
            master,
            agents,
            stopping: false,
            live: HashSet::new(),
        });
        let (shutdown, watch_rx) = watch::channel(false);
        let addr = master_listener.addr;
        let serve = || -> Result<(), LocalError> {
            master_listener.serve(
                &runtime,
                master::routes::handler(shared.clone()),
                watch_rx.clone(),
            )?;
            for (i, l) in agent_listeners.into_iter().enumerate() {
                l.serve(
                    &runtime,
                    agent::routes::handler(shared.clone(), i),
                    watch_rx.clone(),
                )?;
            }
            Ok(())
        };
        let cluster = LocalCluster {
            shared: shared.clone(),
            addr,
            agents: summaries,
            work_dir,
            temporary,
            grace: config.stop_grace_period,
            running: Mutex::new(Some(Running { shutdown, launcher })),
        };
        // From here on, a failure stops what was started (Drop).
        serve()?;
        runtime.spawn(allocator(
            Arc::downgrade(&shared),
            config.allocation_interval,
            watch_rx,
        ));
        Ok(cluster)
    }

    /// `http://127.0.0.1:PORT`, the master's URL.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The master's address.
    pub fn address(&self) -> SocketAddr {
        self.addr
    }

    /// The agents.
    pub fn agents(&self) -> &[AgentSummary] {
        &self.agents
    }

    /// The folder holding the sandboxes.
    pub fn work_dir(&self) -> &Path {
        &self.work_dir
    }

    /// Child processes (executors, command tasks) currently alive.
    pub fn live_processes(&self) -> usize {
        self.shared.lock().live.len()
    }

    /// Stops the cluster: streams end, executors get SHUTDOWN and every child process group
    /// SIGTERM, then SIGKILL after the stop grace period; the servers close, a temporary work
    /// folder is removed. Idempotent. Blocks (call it from a thread, not an async task).
    pub fn stop(&self) {
        let Some(running) = self
            .running
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take()
        else {
            return;
        };
        let mut world = self.shared.lock();
        world.stopping = true;
        for fw in world.master.frameworks.values_mut() {
            if let Some(sub) = fw.sub.take() {
                sub.sink.close();
            }
        }
        world.agents_stop();
        for pid in world.live.iter() {
            signals::signal_group(*pid, libc::SIGTERM);
        }
        let deadline = Instant::now() + self.grace;
        while !world.live.is_empty() {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            world = self.shared.wait_exit(world, left);
        }
        for pid in world.live.iter() {
            signals::signal_group(*pid, libc::SIGKILL);
        }
        // Reaping takes a moment after SIGKILL; do not wait for ever.
        let deadline = Instant::now() + Duration::from_secs(2);
        while !world.live.is_empty() && Instant::now() < deadline {
            let left = deadline.saturating_duration_since(Instant::now());
            world = self.shared.wait_exit(world, left);
        }
        drop(world);
        let _ = running.shutdown.send(true);
        running.launcher.stop();
        if self.temporary {
            let _ = std::fs::remove_dir_all(&self.work_dir);
        }
    }
}

impl Drop for LocalCluster {
    fn drop(&mut self) {
        self.stop();
    }
}

impl World {
    /// Stop: executors are told to shut down, every event stream ends.
    fn agents_stop(&mut self) {
        use crate::proto::mesos::executor::{event, Event};
        for a in &mut self.agents {
            for af in a.frameworks.values_mut() {
                for ex in af.executors.values_mut() {
                    if let Some(sink) = ex.sink.take() {
                        sink.send(
                            &Event {
                                r#type: Some(event::Type::Shutdown as i32),
                                ..Default::default()
                            },
                            "mesos.v1.executor.Event",
                        );
                        sink.close();
                    }
                }
            }
        }
    }
}

async fn allocator(weak: Weak<Shared>, interval: Duration, mut shutdown: watch::Receiver<bool>) {
    let Some(shared) = weak.upgrade() else {
        return;
    };
    loop {
        tokio::select! {
            _ = shared.alloc.notified() => {}
            _ = tokio::time::sleep(interval) => {}
            _ = shutdown.changed() => return,
        }
        let mut world = shared.lock();
        if world.stopping {
            return;
        }
        world.allocate();
    }
}
