//! The status update manager: one stream of updates per task, only its head in flight to the
//! master, resent (10 s doubling to 10 min, as Mesos) until the scheduler acknowledges it, then
//! the next one. Duplicates (same uuid) are dropped. A (re)subscribing framework gets its heads
//! at once.

use std::collections::{HashMap, HashSet, VecDeque};
use std::time::{Duration, Instant};

use crate::local::master::is_terminal;
use crate::local::world::World;
use crate::proto::mesos as m;

/// How many statuses a task keeps for the state endpoint.
const MAX_STATUSES: usize = 50;

/// How many update uuids per task are remembered for dropping duplicates.
const MAX_SEEN: usize = 1024;

/// The longest resend interval.
const MAX_RETRY: Duration = Duration::from_secs(600);

#[derive(Debug, Default)]
struct Stream {
    pending: VecDeque<m::TaskStatus>,
    /// The uuids of the last updates received, to drop duplicates (an executor resends its
    /// unacknowledged ones when it subscribes again).
    seen: HashSet<Vec<u8>>,
    seen_order: VecDeque<Vec<u8>>,
    /// The current resend interval (None: the base one).
    retry: Option<Duration>,
    /// When the head was last sent to the master.
    sent_at: Option<Instant>,
    /// A resend timer is pending (one per stream, however many updates pass).
    armed: bool,
}

/// Every task's update stream on one agent, by (framework id, task id).
#[derive(Debug, Default)]
pub(crate) struct Streams {
    map: HashMap<(String, String), Stream>,
}

impl Streams {
    /// True when the update with this uuid was already received for the task.
    pub(crate) fn seen(&self, fid: &str, tid: &str, uuid: &[u8]) -> bool {
        self.map
            .get(&(fid.to_string(), tid.to_string()))
            .is_some_and(|s| s.seen.contains(uuid))
    }

    /// Forgets every stream of a framework.
    pub(crate) fn drop_framework(&mut self, fid: &str) {
        self.map.retain(|(f, _), _| f != fid);
    }

    /// Updates waiting (in flight or queued), for the state endpoint.
    pub(crate) fn pending(&self) -> usize {
        self.map.values().map(|s| s.pending.len()).sum()
    }
}

impl World {
    /// An update enters the agent (from an executor, a built-in executor, or the agent itself).
    pub(crate) fn agent_status(&mut self, agent: usize, fid: &str, mut status: m::TaskStatus) {
        let a = &mut self.agents[agent];
        status.agent_id = Some(m::AgentId {
            value: a.id.clone(),
        });
        if status.timestamp.is_none() {
            status.timestamp = Some(crate::local::ids::now());
        }
        let tid = status.task_id.value.clone();
        if let Some(af) = a.frameworks.get_mut(fid) {
            if let Some(eid) = af.executor_of(&tid).map(str::to_string) {
                if let Some(ex) = af.executors.get_mut(&eid) {
                    if status.container_status.is_none() {
                        status.container_status = Some(m::ContainerStatus {
                            container_id: Some(m::ContainerId {
                                value: ex.container_id.clone(),
                                parent: None,
                            }),
                            network_infos: vec![m::NetworkInfo {
                                ip_addresses: vec![m::network_info::IpAddress {
                                    protocol: Some(m::network_info::Protocol::IPv4 as i32),
                                    ip_address: Some("127.0.0.1".into()),
                                }],
                                ..Default::default()
                            }],
                            executor_pid: ex.pid,
                            ..Default::default()
                        });
                    }
                    if let Some(task) = ex.tasks.get_mut(&tid) {
                        let mut kept = status.clone();
                        kept.data = None;
                        task.statuses.push(kept);
                        if task.statuses.len() > MAX_STATUSES {
                            task.statuses.remove(0);
                        }
                        task.state = status.state;
                        if is_terminal(status.state) {
                            if let Some(done) = ex.tasks.remove(&tid) {
                                ex.completed_tasks.push(done);
                            }
                        }
                    }
                }
            }
        }
        if !self.master.frameworks.contains_key(fid) {
            // The framework was removed: nobody will ever acknowledge this.
            return;
        }
        let a = &mut self.agents[agent];
        let key = (fid.to_string(), tid.clone());
        let stream = a.updates.map.entry(key).or_default();
        if let Some(uuid) = &status.uuid {
            if !stream.seen.insert(uuid.clone()) {
                return;
            }
            stream.seen_order.push_back(uuid.clone());
            if stream.seen_order.len() > MAX_SEEN {
                if let Some(old) = stream.seen_order.pop_front() {
                    stream.seen.remove(&old);
                }
            }
        }
        stream.pending.push_back(status);
        if stream.pending.len() == 1 {
            self.forward_head(agent, fid, &tid);
        }
    }

    /// Sends the head of a task's stream to the master and arms its resend timer.
    fn forward_head(&mut self, agent: usize, fid: &str, tid: &str) {
        let base = self.ctx.settings.status_update_retry;
        let key = (fid.to_string(), tid.to_string());
        let Some(stream) = self.agents[agent].updates.map.get_mut(&key) else {
            return;
        };
        let Some(head) = stream.pending.front().cloned() else {
            return;
        };
        stream.sent_at = Some(Instant::now());
        let retry = *stream.retry.get_or_insert(base);
        let arm = !std::mem::replace(&mut stream.armed, true);
        self.master_update(agent, fid, &head);
        if arm {
            self.arm_resend(agent, key, retry);
        }
    }

    fn arm_resend(&mut self, agent: usize, key: (String, String), after: Duration) {
        self.ctx.after(after, move |w| {
            let Some(stream) = w.agents[agent].updates.map.get_mut(&key) else {
                return;
            };
            stream.armed = false;
            let (Some(sent), Some(retry)) = (stream.sent_at, stream.retry) else {
                return;
            };
            if stream.pending.is_empty() {
                return;
            }
            let due = sent + retry;
            let now = Instant::now();
            if now < due {
                // The head changed since the timer was set: wait for the new one's turn.
                stream.armed = true;
                return w.arm_resend(agent, key, due - now);
            }
            stream.retry = Some((retry * 2).min(MAX_RETRY));
            let (fid, tid) = key;
            w.forward_head(agent, &fid, &tid);
        });
    }

    /// A scheduler acknowledged `uuid`: pop it if it is the head, then send the next one.
    pub(crate) fn agent_acknowledge(&mut self, agent: usize, fid: &str, tid: &str, uuid: &[u8]) {
        let key = (fid.to_string(), tid.to_string());
        let Some(stream) = self.agents[agent].updates.map.get_mut(&key) else {
            return;
        };
        if stream.pending.front().and_then(|h| h.uuid.as_deref()) != Some(uuid) {
            return;
        }
        let Some(done) = stream.pending.pop_front() else {
            return;
        };
        stream.retry = None;
        if !stream.pending.is_empty() {
            self.forward_head(agent, fid, tid);
        } else if is_terminal(done.state) {
            self.agents[agent].updates.map.remove(&key);
        }
    }

    /// A framework (re)subscribed or changed: agents keep its new info and resend its heads.
    pub(crate) fn agents_framework_updated(&mut self, fid: &str, info: &m::FrameworkInfo) {
        for agent in 0..self.agents.len() {
            if let Some(af) = self.agents[agent].frameworks.get_mut(fid) {
                af.info = info.clone();
            }
            let heads: Vec<String> = self.agents[agent]
                .updates
                .map
                .iter()
                .filter(|((f, _), s)| f == fid && !s.pending.is_empty())
                .map(|((_, t), _)| t.clone())
                .collect();
            for tid in heads {
                if let Some(s) = self.agents[agent]
                    .updates
                    .map
                    .get_mut(&(fid.to_string(), tid.clone()))
                {
                    s.retry = None;
                }
                self.forward_head(agent, fid, &tid);
            }
        }
    }
}
