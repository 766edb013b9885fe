//! The end of every input: tasks too big for any agent end, workers are topped up, new work
//! meets held offers, unused offers are answered, and offers are suppressed or revived. Plus
//! the timers `tick` runs (reconciliation, silent launches, idle workers).

use std::collections::HashSet;

use super::core::SchedulerCore;
use super::decisions::{LaunchInfo, Op, Outcome, OutcomeKind};
use super::placement;
use super::queue::Fit;
use super::task::{attempt_id, Kind, Phase, Serial};
use super::template::Template;
use super::workers::Worker;
use crate::binpack::problem::to_float;
use crate::proto::mesos::{self as m, TaskState};
use prost::Message;

impl SchedulerCore {
    /// Runs after every input; `offers_arrived` forces a placement round.
    pub(super) fn cycle(&mut self, now: u64, offers_arrived: bool) {
        self.check_fit(now);
        self.tend_workers();
        if (offers_arrived || self.new_work) && !self.offers.is_empty() && self.queue.waiting() > 0
        {
            self.place(now);
        }
        self.answer_offers(now);
        self.steer_offers();
    }

    /// Checks new demand classes (and, when an agent grew, the too-big ones) against the known
    /// agents; ends the tasks of classes too big for longer than `too_big_after_ms`.
    fn check_fit(&mut self, now: u64) {
        if self.offers.agents().next().is_none() {
            return; // no agent known yet: everything waits
        }
        let grew = std::mem::take(&mut self.offers.agents_grew);
        let mut check = std::mem::take(&mut self.unchecked);
        if grew {
            check.append(&mut self.too_big);
        }
        for id in check {
            let Some(class) = self.queue.class_mut(id) else {
                continue;
            };
            if class.waiting == 0 {
                continue;
            }
            let fits = self
                .offers
                .agents()
                .any(|(_, a)| class.vector.iter().zip(&a.max).all(|(v, m)| v <= m));
            class.fit = match (fits, class.fit) {
                (true, _) => Fit::Fits,
                (false, Fit::TooBig { since_ms }) => Fit::TooBig { since_ms },
                (false, _) => Fit::TooBig { since_ms: now },
            };
            if !fits && !self.too_big.contains(&id) {
                self.too_big.push(id);
            }
        }
        let after = self.config.too_big_after_ms;
        let mut expired = Vec::new();
        self.too_big.retain(|&id| match self.queue.class(id) {
            Some(c) if c.waiting > 0 => match c.fit {
                Fit::TooBig { since_ms } if now.saturating_sub(since_ms) >= after => {
                    expired.push(id);
                    false
                }
                Fit::TooBig { .. } => true,
                _ => false,
            },
            _ => false,
        });
        for id in expired {
            let message = self.too_big_message(id);
            for serial in self.queue.drain(id, &self.tasks) {
                // `drain` retired the class, so `end` has nothing left to take from the queue.
                self.end(serial, OutcomeKind::Error, Some(message.clone()));
            }
        }
    }

    fn too_big_message(&self, class: usize) -> String {
        let Some(c) = self.queue.class(class) else {
            return "the task is larger than every known agent".into();
        };
        let dims = &self.config.dimensions;
        let agents = self.offers.agents().count();
        let largest: Vec<String> = dims
            .iter()
            .enumerate()
            .filter(|(d, _)| c.vector[*d] > 0)
            .map(|(d, name)| {
                let most = self
                    .offers
                    .agents()
                    .map(|(_, a)| a.max.get(d).copied().unwrap_or(0))
                    .max()
                    .unwrap_or(0);
                format!("{name} {}", to_float(most))
            })
            .collect();
        format!(
            "the task needs {}, more than any of the {agents} known agents has (at most {}); \
             it can never run",
            c.demand,
            largest.join(", ")
        )
    }

    /// Keeps the number of workers at the caller's demand: queues missing ones, cancels queued
    /// ones beyond it (running ones beyond it are released when idle, in `timers`).
    fn tend_workers(&mut self) {
        let surplus = if self.workers.gave_up.is_some() {
            usize::MAX // none will be launched: cancel every queued one
        } else {
            self.workers.surplus()
        };
        if surplus > 0 {
            let queued: Vec<Serial> = self
                .workers
                .alive
                .keys()
                .rev()
                .copied()
                .filter(|s| self.tasks.get(s).is_some_and(|t| !t.is_launched()))
                .take(surplus)
                .collect();
            for serial in queued {
                self.kill_serial(serial, "worker not needed any more");
            }
        }
        for _ in 0..self.workers.missing() {
            let Some(mut info) = self.workers.next_task() else {
                break;
            };
            while self.by_id.contains_key(&info.task_id.value)
                || self.by_mesos.contains_key(&info.task_id.value)
            {
                match self.workers.next_task() {
                    Some(next) => info = next,
                    None => return,
                }
            }
            let encoded = info.encode_to_vec();
            match self.enqueue(&info, info.task_id.value.clone(), encoded, Kind::Worker, 1) {
                Ok(serial) => {
                    self.workers.alive.insert(serial, Worker::default());
                }
                Err(e) => {
                    if let Some(msg) = self.workers.give_up(&e.to_string()) {
                        self.out.outcomes.push(Outcome {
                            task_id: String::new(),
                            kind: OutcomeKind::WorkersFailed,
                            detail: Some(msg),
                            worker: true,
                        });
                    }
                    break;
                }
            }
        }
    }

    /// One placement round over every held offer.
    fn place(&mut self, now: u64) {
        let dims = self.config.dimensions.len();
        let mut bins = self.offers.bins(&self.config.dimensions);
        let mut totals = vec![0i64; dims];
        let mut maxes = vec![0i64; dims];
        for b in &bins {
            for d in 0..dims {
                totals[d] = totals[d].saturating_add(b.vector[d]);
                maxes[d] = maxes[d].max(b.vector[d]);
            }
        }
        let candidates = self
            .queue
            .take(&self.tasks, &totals, &maxes, self.config.max_candidates);
        let round = placement::round(
            &mut bins,
            candidates,
            &self.tasks,
            &self.queue,
            self.offers.agents_mut(),
            self.placer.as_mut(),
            &mut self.fallback,
            dims,
            now,
        );
        self.queue.give_back(&round.unplaced);
        if let Some(e) = round.placer_error {
            self.out.outcomes.push(Outcome {
                task_id: String::new(),
                kind: OutcomeKind::PlacerError,
                detail: Some(e),
                worker: false,
            });
        }
        let mut launched: Vec<Vec<(Serial, u32)>> = vec![Vec::new(); bins.len()];
        for p in round.placed {
            let agent = bins[p.bin].agent_id.value.clone();
            if let Some((info, launch)) = self.launch(p.serial, p.info, agent, p.slot, now) {
                bins[p.bin].tasks.push(info);
                launched[p.bin].push((p.serial, launch));
            }
        }
        let refuse = self.refuse_seconds();
        // Bounded even when `tick` is rarely called.
        self.recon.prune_accepts(now, self.config.launch_timeout_ms);
        let mut used: HashSet<String> = HashSet::new();
        for (bin, tasks) in bins.into_iter().zip(launched) {
            if bin.tasks.is_empty() {
                continue;
            }
            let ids: Vec<String> = bin.offer_ids.iter().map(|o| o.value.clone()).collect();
            used.extend(ids.iter().cloned());
            self.recon.accepts.push_back((now, ids, tasks));
            self.out.ops.push(Op::Launch {
                offer_ids: bin.offer_ids,
                tasks: bin.tasks,
                refuse_seconds: refuse,
            });
            if refuse > 0.0 {
                self.filters_active = true;
            }
        }
        if !used.is_empty() {
            self.offers.take_if(|h| used.contains(&h.offer.id.value));
        }
    }

    /// Marks a placed task launched on `agent`; returns its TaskInfo (attempt id set) and
    /// launch number.
    fn launch(
        &mut self,
        serial: Serial,
        mut info: LaunchInfo,
        agent: String,
        slot: Option<super::task::Slot>,
        now: u64,
    ) -> Option<(LaunchInfo, u32)> {
        let t = self.tasks.get_mut(&serial)?;
        // A fresh id per attempt; skip numbers another task uses (ids are the user's to pick).
        let mut launch = t.launches + 1;
        let mut id = attempt_id(&t.id, launch);
        while (self.by_mesos.get(&id).is_some_and(|s| *s != serial))
            || self.by_id.get(&id).is_some_and(|s| *s != serial)
            || (launch > 1 && self.graveyard.contains(&id))
        {
            launch += 1;
            id = attempt_id(&t.id, launch);
        }
        t.launches = launch;
        match &mut info {
            LaunchInfo::Decoded(info) => info.task_id.value = id.clone(),
            // A copy carries its submitted id, which is attempt 1's.
            LaunchInfo::Encoded(bytes) if launch > 1 => Template::set_attempt_id(bytes, &id),
            LaunchInfo::Encoded(_) => {}
        }
        t.mesos_id = id.clone();
        t.mesos_ids.push(id.clone());
        t.executor_slot = slot;
        t.phase = Phase::Launched {
            agent_id: agent.clone(),
            launched_ms: now,
            updated_ms: None,
        };
        let (kind, from) = (t.kind, t.state);
        t.state = TaskState::TaskStarting;
        let task_id = t.id.clone();
        self.by_mesos.insert(id, serial);
        self.stats.change(kind, from, TaskState::TaskStarting);
        self.stats.launches += 1;
        self.recon.launches.push_back((now, serial, launch));
        self.out.outcomes.push(Outcome {
            task_id,
            kind: OutcomeKind::Launched,
            detail: Some(agent),
            worker: kind == Kind::Worker,
        });
        Some((info, launch))
    }

    /// Refusal for offers answered now: short while work waits, long when idle.
    fn refuse_seconds(&self) -> f64 {
        if self.queue.waiting() > 0 {
            self.config.refuse_seconds
        } else {
            self.config.idle_refuse_seconds
        }
    }

    /// Declines held offers whose hold time is over (all of them when not holding).
    fn answer_offers(&mut self, now: u64) {
        if self.offers.is_empty() {
            return;
        }
        let hold = self.config.hold_offers_ms;
        let expired = self
            .offers
            .take_if(|h| hold == 0 || now.saturating_sub(h.received_ms) >= hold);
        if expired.is_empty() || !self.connected {
            return;
        }
        let refuse = self.refuse_seconds();
        self.out.ops.push(Op::Decline {
            offer_ids: expired.into_iter().map(|h| h.offer.id).collect(),
            refuse_seconds: refuse,
        });
        if refuse > 0.0 {
            self.filters_active = true;
        }
    }

    /// SUPPRESS when nothing waits; REVIVE when work waits and offers are suppressed or
    /// filtered away since new work arrived.
    fn steer_offers(&mut self) {
        if !self.connected {
            return;
        }
        let wanting = self.queue.waiting() > 0;
        let roles = self.config.roles.clone();
        match (wanting, self.suppressed) {
            (true, Some(true) | None) => self.revive(roles),
            (true, Some(false)) if self.new_work && self.filters_active => self.revive(roles),
            (false, Some(false) | None) => {
                self.out.ops.push(Op::Suppress { roles });
                self.suppressed = Some(true);
            }
            _ => {}
        }
        self.new_work = false;
    }

    fn revive(&mut self, roles: Vec<String>) {
        self.out.ops.push(Op::Revive { roles });
        self.suppressed = Some(false);
        self.filters_active = false;
    }

    /// `tick`'s timers: reconciliation, silent launches, idle workers.
    pub(super) fn timers(&mut self, now: u64) {
        let timeout = self.config.launch_timeout_ms;
        if self.connected {
            if let Some(started) = self
                .recon
                .retry_due(now, self.config.reconcile_retry_max_ms)
            {
                let tasks = self.launched_tasks(|t| match t.phase {
                    Phase::Launched {
                        launched_ms,
                        updated_ms,
                        ..
                    } => launched_ms < started && updated_ms.map_or(true, |u| u < started),
                    Phase::Queued => false,
                });
                if tasks.is_empty() {
                    self.recon.round_started = None;
                } else {
                    self.out.ops.push(Op::Reconcile { tasks });
                }
            }
            if self
                .recon
                .implicit_due(now, self.config.reconcile_interval_ms)
            {
                self.out.ops.push(Op::Reconcile { tasks: Vec::new() });
            }
            let mut silent = Vec::new();
            let mut again = Vec::new();
            while let Some(&(at, serial, launch)) = self.recon.launches.front() {
                if now.saturating_sub(at) < timeout {
                    break;
                }
                self.recon.launches.pop_front();
                let Some(t) = self.tasks.get(&serial) else {
                    continue;
                };
                if t.launches == launch
                    && matches!(
                        t.phase,
                        Phase::Launched {
                            updated_ms: None,
                            ..
                        }
                    )
                {
                    silent.push((
                        m::TaskId {
                            value: t.mesos_id.clone(),
                        },
                        t.agent_id().map(|a| m::AgentId { value: a.into() }),
                    ));
                    again.push((now, serial, launch));
                }
            }
            self.recon.launches.extend(again);
            if !silent.is_empty() {
                self.out.ops.push(Op::Reconcile { tasks: silent });
            }
        }
        self.recon.prune_accepts(now, timeout);
        for serial in self.workers.expired(now) {
            self.kill_serial(serial, "idle worker released");
        }
    }
}
