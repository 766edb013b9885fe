//! [`SchedulerCore`]: its state, task intake, kills, queries and the smaller inputs. Status
//! updates are in `update`, the common end of every input (placement, declines, REVIVE and
//! SUPPRESS, timers) in `cycle`.

use std::sync::Arc;

use prost::Message;

use super::config::Config;
use super::convert;
use super::decisions::{Op, Outcome, OutcomeKind, Output};
use super::graveyard::Graveyard;
use super::offers::Offers;
use super::placement::{MethodPlacer, Placer};
use super::queue::Queue;
use super::reconcile::Reconciler;
use super::state::Stats;
use super::task::{self, Kind, Phase, Serial, Task};
use super::template::Template;
use super::workers::{Worker, WorkerPool};
use super::FastMap;
use crate::proto::mesos::{self as m, TaskInfo, TaskState};
use crate::{Error, Result};

/// The queue scheduler state machine. Not thread-safe by itself: one owner feeds it.
pub struct SchedulerCore {
    pub(super) config: Config,
    pub(super) placer: Box<dyn Placer>,
    pub(super) fallback: MethodPlacer,
    pub(super) tasks: FastMap<Serial, Task>,
    pub(super) by_id: FastMap<String, Serial>,
    /// Current and earlier attempt ids of live tasks.
    pub(super) by_mesos: FastMap<String, Serial>,
    pub(super) next_serial: Serial,
    pub(super) queue: Queue,
    /// Classes not yet checked against known agents, and classes found too big.
    pub(super) unchecked: Vec<usize>,
    pub(super) too_big: Vec<usize>,
    pub(super) offers: Offers,
    pub(super) graveyard: Graveyard,
    pub(super) stats: Stats,
    pub(super) workers: WorkerPool,
    pub(super) recon: Reconciler,
    /// Subscribed (calls can be sent).
    pub(super) connected: bool,
    /// Offers suppressed as far as we know (None: unknown, right after subscribing).
    pub(super) suppressed: Option<bool>,
    /// Declines with a filter were sent since the last REVIVE.
    pub(super) filters_active: bool,
    /// Work was queued since the last cycle.
    pub(super) new_work: bool,
    pub(super) out: Output,
}

impl SchedulerCore {
    /// A core placing with the configured heuristic.
    pub fn new(config: Config) -> Result<SchedulerCore> {
        let weights = config.validate()?;
        let placer = MethodPlacer {
            heuristic: config.heuristic.clone(),
            weights,
        };
        let fallback = MethodPlacer {
            heuristic: config.heuristic.clone(),
            weights: placer.weights.clone(),
        };
        Ok(SchedulerCore {
            graveyard: Graveyard::new(config.graveyard_size),
            config,
            placer: Box::new(placer),
            fallback,
            tasks: FastMap::default(),
            by_id: FastMap::default(),
            by_mesos: FastMap::default(),
            next_serial: 1,
            queue: Queue::default(),
            unchecked: Vec::new(),
            too_big: Vec::new(),
            offers: Offers::default(),
            stats: Stats::default(),
            workers: WorkerPool::default(),
            recon: Reconciler::default(),
            connected: false,
            suppressed: None,
            filters_active: false,
            new_work: false,
            out: Output::default(),
        })
    }

    /// A core whose placement proposals come from `placer` (the configured heuristic stands in
    /// for a round when it fails).
    pub fn with_placer(config: Config, placer: Box<dyn Placer>) -> Result<SchedulerCore> {
        let mut core = SchedulerCore::new(config)?;
        core.placer = placer;
        Ok(core)
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Queues a task (TASK_STAGING). Its `resources` are its demand; `max_attempts` overrides
    /// the configured limit of launches for infrastructure failures. Returns the task id.
    /// Errors (the task is not queued): an invalid or duplicate id, not exactly one of
    /// `command`/`executor`, unreadable resources.
    pub fn submit(&mut self, info: TaskInfo, max_attempts: Option<u32>) -> Result<String> {
        let encoded = info.encode_to_vec();
        let id = info.task_id.value.clone();
        self.submit_checked(&info, id, encoded, max_attempts, None, None)
    }

    /// [`SchedulerCore::submit_encoded`]; with `executor_cpus` the task shares an executor of
    /// its settings only with tasks of at most that many cpus in all, with it (0: none); see
    /// [`Task::executor_slots`].
    pub fn submit_with(
        &mut self,
        encoded: Vec<u8>,
        max_attempts: Option<u32>,
        executor_cpus: Option<f64>,
    ) -> Result<String> {
        let info = TaskInfo::decode(encoded.as_slice())
            .map_err(|e| Error::Protocol(format!("cannot decode the TaskInfo: {e}")))?;
        self.submit_decoded(info, encoded, max_attempts, executor_cpus)
    }

    /// [`SchedulerCore::submit_with`] for a TaskInfo already decoded, `encoded` being its
    /// encoding.
    pub fn submit_decoded(
        &mut self,
        info: TaskInfo,
        encoded: Vec<u8>,
        max_attempts: Option<u32>,
        executor_cpus: Option<f64>,
    ) -> Result<String> {
        let id = info.task_id.value.clone();
        let executor_slots = executor_slots(executor_cpus)?;
        self.submit_checked(&info, id, encoded, max_attempts, executor_slots, None)
    }

    /// Queues a copy of `template` with task id `id`, `name` and `data` (see [`Template`]),
    /// as [`SchedulerCore::submit_with`] would queue that TaskInfo.
    pub fn submit_copy(
        &mut self,
        template: &Arc<Template>,
        id: String,
        name: &str,
        data: &[u8],
        max_attempts: Option<u32>,
        executor_cpus: Option<f64>,
    ) -> Result<String> {
        let executor_slots = executor_slots(executor_cpus)?;
        let encoded = template.copy(&id, name, data);
        let id = self.submit_checked(
            template.info(),
            id,
            encoded,
            max_attempts,
            executor_slots,
            Some(template),
        )?;
        Ok(id)
    }

    /// Whether the live task submitted as `id` is a template copy
    /// ([`SchedulerCore::submit_copy`]).
    pub fn is_copy(&self, id: &str) -> bool {
        self.by_id
            .get(id)
            .and_then(|s| self.tasks.get(s))
            .is_some_and(|t| t.template.is_some())
    }

    /// [`SchedulerCore::submit`] for an encoded TaskInfo (kept as given).
    pub fn submit_encoded(
        &mut self,
        encoded: Vec<u8>,
        max_attempts: Option<u32>,
    ) -> Result<String> {
        self.submit_with(encoded, max_attempts, None)
    }

    fn submit_checked(
        &mut self,
        info: &TaskInfo,
        id: String,
        encoded: Vec<u8>,
        max_attempts: Option<u32>,
        executor_slots: Option<i64>,
        template: Option<&Arc<Template>>,
    ) -> Result<String> {
        task::check_id(&id).map_err(Error::InvalidArgument)?;
        if self.by_id.contains_key(&id) || self.by_mesos.contains_key(&id) {
            return Err(Error::InvalidArgument(format!(
                "task id {id:?} is already in use by a queued or running task"
            )));
        }
        let max_attempts = max_attempts.unwrap_or(self.config.max_attempts);
        if max_attempts == 0 {
            return Err(Error::InvalidArgument(
                "max_attempts must be at least 1".into(),
            ));
        }
        let serial = match template {
            Some(template) => self.enqueue_copy(template, id.clone(), encoded, max_attempts),
            None => self.enqueue(info, id.clone(), encoded, Kind::Call, max_attempts)?,
        };
        if let Some(t) = self.tasks.get_mut(&serial) {
            t.executor_slots = executor_slots.filter(|_| info.executor.is_some());
        }
        self.stats.submitted += 1;
        Ok(id)
    }

    /// Checks and queues a task; shared by `submit` and worker creation.
    pub(super) fn enqueue(
        &mut self,
        info: &TaskInfo,
        id: String,
        encoded: Vec<u8>,
        kind: Kind,
        max_attempts: u32,
    ) -> Result<Serial> {
        if info.command.is_some() == info.executor.is_some() {
            return Err(Error::InvalidArgument(format!(
                "task {id:?} needs exactly one of command or executor"
            )));
        }
        let demand = convert::demand(&info.resources)?;
        if let Some(e) = &info.executor {
            convert::demand(&e.resources)
                .map_err(|err| Error::Resource(format!("executor of task {id:?}: {err}")))?;
        }
        let sig = signature(&info.resources);
        let dims = &self.config.dimensions;
        let (class, created) = self.queue.class_for(sig, || {
            let vector = demand.to_vector(dims);
            (demand, vector)
        });
        let executor_resources = info
            .executor
            .as_ref()
            .is_some_and(|e| !e.resources.is_empty());
        Ok(self.insert(
            class,
            created,
            id,
            encoded,
            kind,
            max_attempts,
            executor_resources,
            None,
        ))
    }

    /// [`SchedulerCore::enqueue`] of a template copy: the template was checked and its demand
    /// parsed once, when it was made.
    fn enqueue_copy(
        &mut self,
        template: &Arc<Template>,
        id: String,
        encoded: Vec<u8>,
        max_attempts: u32,
    ) -> Serial {
        let dims = &self.config.dimensions;
        let (class, created) = self.queue.class_for(template.signature.clone(), || {
            (template.demand.clone(), template.demand.to_vector(dims))
        });
        let executor_resources = template
            .info()
            .executor
            .as_ref()
            .is_some_and(|e| !e.resources.is_empty());
        let template = Some(Arc::clone(template));
        self.insert(
            class,
            created,
            id,
            encoded,
            Kind::Call,
            max_attempts,
            executor_resources,
            template,
        )
    }

    #[allow(clippy::too_many_arguments)]
    fn insert(
        &mut self,
        class: usize,
        created: bool,
        id: String,
        encoded: Vec<u8>,
        kind: Kind,
        max_attempts: u32,
        executor_resources: bool,
        template: Option<Arc<Template>>,
    ) -> Serial {
        if created {
            self.unchecked.push(class);
        }
        let serial = self.next_serial;
        self.next_serial += 1;
        self.tasks.insert(
            serial,
            Task {
                mesos_id: id.clone(),
                id: id.clone(),
                kind,
                encoded,
                executor_resources,
                executor_slots: None,
                executor_slot: None,
                class,
                phase: Phase::Queued,
                state: TaskState::TaskStaging,
                mesos_ids: Vec::new(),
                launches: 0,
                failures: 0,
                max_attempts,
                kill_requested: false,
                template,
            },
        );
        self.by_id.insert(id, serial);
        self.stats.enter(kind, TaskState::TaskStaging);
        self.queue.push(class, serial, false);
        self.new_work = true;
        serial
    }

    /// Queues a task again (after an infrastructure failure or a failed send), ahead of newer
    /// work. Its last attempt id stays known as an earlier attempt.
    pub(super) fn requeue(&mut self, serial: Serial) {
        let Some(t) = self.tasks.get(&serial) else {
            return;
        };
        let resources = t.info().map(|i| i.resources).unwrap_or_default();
        let sig = signature(&resources);
        let dims = &self.config.dimensions;
        let (class, created) = self.queue.class_for(sig, || {
            // It parsed when submitted, so it parses now.
            let demand = convert::demand(&resources).unwrap_or_default();
            let vector = demand.to_vector(dims);
            (demand, vector)
        });
        if created {
            self.unchecked.push(class);
        }
        self.leave_slot(serial);
        if let Some(t) = self.tasks.get_mut(&serial) {
            t.phase = Phase::Queued;
            t.class = class;
            let from = t.state;
            t.state = TaskState::TaskStaging;
            self.stats.change(t.kind, from, TaskState::TaskStaging);
        }
        self.queue.push(class, serial, true);
        self.new_work = true;
    }

    /// A launched task leaves its executor slot (see [`Task::executor_slots`]).
    fn leave_slot(&mut self, serial: Serial) {
        let Some(t) = self.tasks.get_mut(&serial) else {
            return;
        };
        let slot = t.executor_slot.take();
        if let (Some(agent), Some((executor, millicpus))) = (t.agent_id().map(str::to_string), slot)
        {
            self.offers.release_slot(&agent, &executor, millicpus);
        }
    }

    /// Ends a task with its one terminal outcome and forgets it.
    pub(super) fn end(&mut self, serial: Serial, kind: OutcomeKind, detail: Option<String>) {
        self.leave_slot(serial);
        let Some(t) = self.tasks.remove(&serial) else {
            return;
        };
        if t.phase == Phase::Queued {
            self.queue.forget(t.class);
        }
        self.by_id.remove(&t.id);
        for id in t.mesos_ids {
            self.by_mesos.remove(&id);
            self.graveyard.bury(id);
        }
        self.stats.leave(t.kind, t.state);
        self.stats.ended(&kind);
        let worker = t.kind == Kind::Worker;
        self.out.outcomes.push(Outcome {
            task_id: t.id,
            kind: kind.clone(),
            detail: detail.clone(),
            worker,
        });
        if worker {
            self.worker_ended(serial, &kind, detail.as_deref(), t.kill_requested);
        }
    }

    /// Kills a task: a queued one ends as killed at once; a launched one gets a KILL (it ends
    /// when Mesos reports it). `None` when no such task is live.
    pub fn kill(&mut self, task_id: &str, now: u64) -> Option<Output> {
        let serial = *self.by_id.get(task_id)?;
        self.kill_serial(serial, "killed before it was launched");
        self.cycle(now, false);
        Some(self.take_output())
    }

    pub(super) fn kill_serial(&mut self, serial: Serial, queued_detail: &str) {
        let Some(t) = self.tasks.get_mut(&serial) else {
            return;
        };
        if t.kind == Kind::Worker {
            self.workers.alive.remove(&serial);
        }
        t.kill_requested = true;
        match &t.phase {
            Phase::Queued => self.end(serial, OutcomeKind::Killed, Some(queued_detail.into())),
            Phase::Launched { agent_id, .. } => {
                let op = Op::Kill {
                    task_id: m::TaskId {
                        value: t.mesos_id.clone(),
                    },
                    agent_id: Some(m::AgentId {
                        value: agent_id.clone(),
                    }),
                };
                // While disconnected the KILL is sent again when reconciliation reports the
                // task still alive.
                if self.connected {
                    self.out.ops.push(op);
                }
            }
        }
    }

    /// New offers: held, then placed into, then answered.
    pub fn offers(&mut self, offers: Vec<m::Offer>, now: u64) -> Output {
        self.offers.add(offers, now, &self.config.dimensions);
        self.cycle(now, true);
        self.take_output()
    }

    /// An offer was rescinded: forgotten.
    pub fn rescind(&mut self, offer_id: &str, now: u64) -> Output {
        self.offers.rescind(offer_id);
        self.cycle(now, false);
        self.take_output()
    }

    /// SUBSCRIBED (first time or again): held offers are invalid now, suppression is
    /// re-established, and every launched task is reconciled explicitly.
    pub fn subscribed(&mut self, now: u64) -> Output {
        self.connected = true;
        self.offers.clear();
        self.suppressed = None;
        self.filters_active = false;
        self.recon.subscribed(
            now,
            self.config.reconcile_retry_ms,
            self.config.reconcile_interval_ms,
        );
        let tasks = self.launched_tasks(|_| true);
        if !tasks.is_empty() {
            self.out.ops.push(Op::Reconcile { tasks });
        }
        self.cycle(now, false);
        self.take_output()
    }

    /// The subscription was lost: held offers are gone, no calls until `subscribed`.
    pub fn disconnected(&mut self) {
        self.connected = false;
        self.offers.clear();
    }

    /// The ACCEPT answering `offer_ids` could not be sent: its tasks are queued again (not
    /// counted as failures; they relaunch under new attempt ids, and should the ACCEPT have
    /// reached the master after all, the abandoned attempts are killed when they report).
    pub fn launch_failed(&mut self, offer_ids: &[String], now: u64) -> Output {
        let mut found = Vec::new();
        self.recon.accepts.retain(|(_, ids, tasks)| {
            if ids.iter().any(|id| offer_ids.contains(id)) {
                found.extend_from_slice(tasks);
                false
            } else {
                true
            }
        });
        for (serial, launch) in found {
            let silent = self.tasks.get(&serial).is_some_and(|t| {
                t.launches == launch
                    && matches!(
                        t.phase,
                        Phase::Launched {
                            updated_ms: None,
                            ..
                        }
                    )
            });
            if !silent {
                continue;
            }
            let kill_requested = self.tasks.get(&serial).is_some_and(|t| t.kill_requested);
            if kill_requested {
                self.end(serial, OutcomeKind::Killed, Some("killed".into()));
            } else {
                self.requeue(serial);
            }
        }
        self.cycle(now, false);
        self.take_output()
    }

    /// An executor exited (a FAILURE event with an executor id): a task for it pays for a new
    /// one again.
    pub fn executor_lost(&mut self, agent_id: &str, executor_id: &str) {
        self.offers.executor_lost(agent_id, executor_id);
    }

    /// The real total resources of an agent (e.g. from the master's `/slaves`), so a task too
    /// large for it is recognised without guessing from offers.
    pub fn set_agent_total(&mut self, agent_id: &str, resources: &[m::Resource]) -> Result<()> {
        let total = convert::demand(resources)?;
        self.offers
            .set_total(agent_id, total.to_vector(&self.config.dimensions));
        Ok(())
    }

    /// Time passes: held offers expire, too-big tasks end, reconciliation and idle workers are
    /// seen to, and work queued since the last input is placed into held offers.
    pub fn tick(&mut self, now: u64) -> Output {
        self.timers(now);
        self.cycle(now, false);
        self.take_output()
    }

    // --- workers -------------------------------------------------------------------------------

    /// Configures worker mode: workers are launched from `template` (its `task_id` is the
    /// prefix of worker ids `<prefix>-<n>`, its resources are what each worker holds); idle
    /// workers beyond demand are killed after `idle_timeout_ms`; after `max_failures` workers
    /// in a row end without serving, no more are launched (a `WorkersFailed` outcome).
    pub fn set_workers(
        &mut self,
        template: TaskInfo,
        idle_timeout_ms: u64,
        max_failures: u32,
    ) -> Result<()> {
        if template.command.is_some() == template.executor.is_some() {
            return Err(Error::InvalidArgument(
                "the worker template needs exactly one of command or executor".into(),
            ));
        }
        convert::demand(&template.resources)?;
        let prefix = &template.task_id.value;
        if !prefix.is_empty() {
            task::check_id(prefix).map_err(Error::InvalidArgument)?;
        }
        self.workers.template = Some(template);
        self.workers.idle_timeout_ms = idle_timeout_ms;
        self.workers.max_failures = max_failures.max(1);
        self.workers.gave_up = None;
        self.workers.failures_in_a_row = 0;
        Ok(())
    }

    /// How many workers the caller wants now (e.g. calls outstanding, at most the pool size).
    /// Missing workers are queued at once; queued ones beyond it are cancelled; running ones
    /// beyond it are released when idle for the timeout.
    pub fn want_workers(&mut self, n: usize, now: u64) -> Output {
        self.workers.demand = n;
        self.cycle(now, false);
        self.take_output()
    }

    /// The caller reports a worker idle (no call in flight) since `now`; false for an
    /// unknown worker. Any report means the worker came up and served.
    pub fn worker_idle(&mut self, worker_id: &str, now: u64) -> bool {
        let Some(w) = self.worker_mut(worker_id) else {
            return false;
        };
        w.idle_since = Some(now);
        self.workers.failures_in_a_row = 0;
        true
    }

    /// The caller reports a worker busy (a call in flight); false for an unknown worker.
    pub fn worker_busy(&mut self, worker_id: &str) -> bool {
        let Some(w) = self.worker_mut(worker_id) else {
            return false;
        };
        w.idle_since = None;
        self.workers.failures_in_a_row = 0;
        true
    }

    fn worker_mut(&mut self, worker_id: &str) -> Option<&mut Worker> {
        let serial = self.by_id.get(worker_id)?;
        self.workers.alive.get_mut(serial)
    }

    /// Bookkeeping when a worker task ends.
    fn worker_ended(&mut self, serial: Serial, kind: &OutcomeKind, why: Option<&str>, asked: bool) {
        self.workers.alive.remove(&serial);
        let why = why.unwrap_or(kind.name());
        let gave_up = match kind {
            OutcomeKind::Error => self.workers.give_up(why),
            _ if asked => None,
            _ => self.workers.failed(why),
        };
        if let Some(msg) = gave_up {
            self.out.outcomes.push(Outcome {
                task_id: String::new(),
                kind: OutcomeKind::WorkersFailed,
                detail: Some(msg),
                worker: true,
            });
        }
    }

    // --- queries -------------------------------------------------------------------------------

    /// The live state of a task: TASK_STAGING while queued, TASK_STARTING once launched, then
    /// the last state Mesos reported. `None` once it ended (or was never submitted).
    pub fn state(&self, task_id: &str) -> Option<TaskState> {
        self.by_id
            .get(task_id)
            .and_then(|s| self.tasks.get(s))
            .map(|t| t.state)
    }

    /// True for a live worker id.
    pub fn is_worker(&self, task_id: &str) -> bool {
        self.by_id
            .get(task_id)
            .and_then(|s| self.tasks.get(s))
            .is_some_and(|t| t.kind == Kind::Worker)
    }

    /// Live per-call tasks by state.
    pub fn counts(&self) -> Vec<(TaskState, usize)> {
        self.stats.by_state(Kind::Call)
    }

    /// Live workers by state.
    pub fn worker_counts(&self) -> Vec<(TaskState, usize)> {
        self.stats.by_state(Kind::Worker)
    }

    /// Ended tasks by outcome, and running totals.
    pub fn stats(&self) -> &Stats {
        &self.stats
    }

    /// Live per-call tasks (queued or launched).
    pub fn len(&self) -> usize {
        self.stats.live(Kind::Call)
    }

    /// No per-call task is live.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Tasks waiting for an offer (workers included).
    pub fn waiting(&self) -> usize {
        self.queue.waiting()
    }

    /// Offers held now.
    pub fn held_offers(&self) -> usize {
        self.offers.held().len()
    }

    /// Why worker mode gave up, if it did.
    pub fn workers_failed(&self) -> Option<&str> {
        self.workers.gave_up.as_deref()
    }

    // --- helpers -------------------------------------------------------------------------------

    /// `(task id, agent id)` of launched tasks' current attempts that `pick` selects.
    pub(super) fn launched_tasks(
        &self,
        mut pick: impl FnMut(&Task) -> bool,
    ) -> Vec<(m::TaskId, Option<m::AgentId>)> {
        let mut out: Vec<(Serial, m::TaskId, Option<m::AgentId>)> = self
            .tasks
            .iter()
            .filter(|(_, t)| t.is_launched() && pick(t))
            .map(|(s, t)| {
                (
                    *s,
                    m::TaskId {
                        value: t.mesos_id.clone(),
                    },
                    t.agent_id().map(|a| m::AgentId { value: a.into() }),
                )
            })
            .collect();
        // Deterministic order (map iteration order is not).
        out.sort_unstable_by_key(|x| x.0);
        out.into_iter().map(|(_, t, a)| (t, a)).collect()
    }

    pub(super) fn take_output(&mut self) -> Output {
        std::mem::take(&mut self.out)
    }
}

/// The class key of a demand: its messages, encoded.
pub(super) fn signature(resources: &[m::Resource]) -> Vec<u8> {
    let mut sig = Vec::new();
    for r in resources {
        // Encoding into a Vec cannot fail.
        let _ = r.encode_length_delimited(&mut sig);
    }
    sig
}

/// Executor slots (milli-cpus) of `executor_cpus`; see [`Task::executor_slots`].
fn executor_slots(executor_cpus: Option<f64>) -> Result<Option<i64>> {
    match executor_cpus {
        Some(c) if !(c.is_finite() && c >= 0.0) => Err(Error::InvalidArgument(format!(
            "executor_cpus must be a number >= 0, got {c}"
        ))),
        Some(c) => Ok(Some((c * 1000.0).round() as i64)),
        None => Ok(None),
    }
}
