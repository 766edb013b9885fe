//! Status updates: the current attempt's move its task on; anything else (unknown tasks,
//! abandoned attempts, duplicates after the end) changes nothing, except that a copy still
//! running that nobody waits for is killed.

use super::core::SchedulerCore;
use super::decisions::{Op, Outcome, OutcomeKind, Output};
use super::retries::{self, Verdict};
use super::task::{Kind, Phase};
use crate::proto::mesos::{self as m, TaskState, TaskStatus};

impl SchedulerCore {
    /// A status update (acknowledging it is the driver's business, whatever this returns).
    pub fn update(&mut self, status: &TaskStatus, now: u64) -> Output {
        self.apply(status, now);
        self.cycle(now, false);
        self.take_output()
    }

    fn apply(&mut self, status: &TaskStatus, now: u64) {
        let id = &status.task_id.value;
        let state = TaskState::try_from(status.state).ok();
        let alive = state.is_some_and(|s| !retries::is_terminal(s));
        let Some(&serial) = self.by_mesos.get(id) else {
            if alive && self.graveyard.contains(id) {
                self.kill_orphan(status);
            }
            return;
        };
        let Some(task) = self.tasks.get_mut(&serial) else {
            return;
        };
        let current = task.is_launched() && task.mesos_id == *id;
        if !current {
            // An abandoned attempt (its task was retried or is queued again).
            if alive {
                self.kill_orphan(status);
            }
            return;
        }
        if let Phase::Launched { updated_ms, .. } = &mut task.phase {
            *updated_ms = Some(now);
        }
        match retries::classify(status, task.kill_requested) {
            Verdict::Progress => {
                let Some(s) = state else {
                    return;
                };
                let (kind, from) = (task.kind, task.state);
                task.state = s;
                self.stats.change(kind, from, s);
                let resend_kill = task.kill_requested && self.connected;
                let agent = task.agent_id().map(|a| m::AgentId { value: a.into() });
                let task_id = task.id.clone();
                if resend_kill {
                    // Still alive after a KILL (e.g. sent while disconnected): say it again.
                    self.out.ops.push(Op::Kill {
                        task_id: status.task_id.clone(),
                        agent_id: status.agent_id.clone().or(agent),
                    });
                }
                if kind == Kind::Worker && s == TaskState::TaskRunning {
                    if let Some(w) = self.workers.alive.get_mut(&serial) {
                        w.idle_since.get_or_insert(now);
                    }
                }
                self.out.outcomes.push(Outcome {
                    task_id,
                    kind: OutcomeKind::Update,
                    detail: Some(s.as_str_name().into()),
                    worker: kind == Kind::Worker,
                });
            }
            Verdict::Finished => self.end(serial, OutcomeKind::Finished, None),
            Verdict::Exception => {
                let message = status.message.clone().filter(|m| !m.is_empty());
                self.end(serial, OutcomeKind::Exception, message)
            }
            Verdict::Killed => {
                let why = retries::describe(status);
                self.end(serial, OutcomeKind::Killed, Some(why))
            }
            Verdict::Failed(why) => self.end(serial, OutcomeKind::Failed, Some(why)),
            Verdict::Error(why) => self.end(serial, OutcomeKind::Error, Some(why)),
            Verdict::Retry(why) => self.retry(serial, why),
        }
    }

    /// An infrastructure failure of the current attempt: another attempt if the task has one
    /// left (workers are replaced instead), else the end.
    fn retry(&mut self, serial: u64, why: String) {
        let Some(task) = self.tasks.get_mut(&serial) else {
            return;
        };
        if task.kind == Kind::Worker {
            self.end(serial, OutcomeKind::Failed, Some(why));
            return;
        }
        task.failures += 1;
        let (failures, max) = (task.failures, task.max_attempts);
        if failures >= max {
            let detail = format!("gave up after {failures} failed attempts; the last: {why}");
            self.end(serial, OutcomeKind::Failed, Some(detail));
            return;
        }
        let task_id = task.id.clone();
        self.stats.retries += 1;
        self.requeue(serial);
        self.out.outcomes.push(Outcome {
            task_id,
            kind: OutcomeKind::Retry,
            detail: Some(format!("attempt {} of {max} after {why}", failures + 1)),
            worker: false,
        });
    }

    /// KILL for a running copy nobody waits for.
    fn kill_orphan(&mut self, status: &TaskStatus) {
        if self.connected {
            self.out.ops.push(Op::Kill {
                task_id: status.task_id.clone(),
                agent_id: status.agent_id.clone(),
            });
        }
    }
}
