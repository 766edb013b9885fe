//! ACCEPT: the offers are checked (an invalid one loses every task: TASK_LOST, or TASK_DROPPED
//! for PARTITION_AWARE frameworks, REASON_INVALID_OFFERS), then each LAUNCH task or LAUNCH_GROUP
//! is validated against what is left of the offers (TASK_ERROR) or sent to the agent; what is
//! left at the end is declined with the call's filters.

use std::collections::HashSet;

use super::allocator::refuse_seconds;
use super::framework::{master_status, Task};
use super::validation::{self, Context};
use crate::local::resources as res;
use crate::local::world::World;
use crate::proto::mesos as m;
use crate::proto::mesos::framework_info::capability::Type as Cap;
use crate::proto::mesos::offer::operation::Type as Op;
use crate::proto::mesos::scheduler::{call, event, Event};
use crate::proto::mesos::task_status::Reason;
use crate::resources::Resources;

/// Work for the agent once the ACCEPT is through.
enum Run {
    Task(Box<m::TaskInfo>),
    Group(Box<m::ExecutorInfo>, m::TaskGroupInfo),
}

/// Every task an ACCEPT's operations would launch.
fn launched_tasks(ops: &[m::offer::Operation]) -> Vec<&m::TaskInfo> {
    let mut out = Vec::new();
    for op in ops {
        if let Some(l) = &op.launch {
            out.extend(l.task_infos.iter());
        }
        if let Some(g) = &op.launch_group {
            out.extend(g.task_group.tasks.iter());
        }
    }
    out
}

/// Resources as the agent and executors see them: allocation info set, no legacy `*` role.
#[allow(deprecated)]
fn allocated(resources: &mut [m::Resource], role: &str) {
    for r in resources {
        if r.allocation_info.is_none() {
            r.allocation_info = Some(m::resource::AllocationInfo {
                role: Some(role.to_string()),
            });
        }
        if r.role.as_deref() == Some("*") {
            r.role = None;
        }
    }
}

/// The ExecutorInfo as delivered: framework id and the defaults Mesos fills in.
fn complete_executor(mut e: m::ExecutorInfo, fid: &str, role: &str) -> m::ExecutorInfo {
    e.framework_id = Some(m::FrameworkId {
        value: fid.to_string(),
    });
    if let Some(c) = &mut e.command {
        c.shell.get_or_insert(true);
    }
    allocated(&mut e.resources, role);
    e
}

impl World {
    /// Checks the offers of an ACCEPT; takes them back from the framework either way.
    fn claim_offers(
        &mut self,
        fid: &str,
        ids: &[m::OfferId],
    ) -> Result<(usize, String, Resources), String> {
        let mut error = None;
        let mut first: Option<(String, usize, String)> = None;
        let mut seen = HashSet::new();
        for id in ids {
            let ok = match self.master.offers.get(&id.value) {
                Some(o) if o.framework_id == fid => match &first {
                    None => {
                        first = Some((id.value.clone(), o.agent, o.role.clone()));
                        Ok(())
                    }
                    Some((fid0, a0, _)) if *a0 != o.agent => Err(format!(
                        "Aggregated offers must belong to one single agent. Offer {} uses agent \
                         {} and offer {} uses agent {}",
                        id.value,
                        self.master.agent_id(o.agent),
                        fid0,
                        self.master.agent_id(*a0)
                    )),
                    Some((fid0, _, r0)) if *r0 != o.role => Err(format!(
                        "Aggregated offers must be allocated to the same role. Offer {} uses \
                         role {} and offer {} uses role {}",
                        id.value, o.role, fid0, r0
                    )),
                    Some(_) => Ok(()),
                },
                _ => Err(format!("Offer {} is no longer valid", id.value)),
            };
            if !seen.insert(id.value.clone()) && ok.is_ok() {
                error.get_or_insert(format!("Duplicate offer {} in ACCEPT", id.value));
            }
            if let Err(e) = ok {
                error.get_or_insert(e);
            }
        }
        let mut total = Resources::new();
        for id in ids {
            let owned = self
                .master
                .offers
                .get(&id.value)
                .is_some_and(|o| o.framework_id == fid);
            if owned {
                if let Some(o) = self.take_offer(&id.value) {
                    total = res::plus(&total, &o.resources);
                }
            }
        }
        match (error, first) {
            (Some(e), _) => Err(e),
            (None, None) => Err("No offers specified".into()),
            (None, Some((_, agent, role))) => Ok((agent, role, total)),
        }
    }

    /// ACCEPT.
    pub(crate) fn accept(&mut self, fid: &str, accept: call::Accept) {
        let (agent, role, mut available) = match self.claim_offers(fid, &accept.offer_ids) {
            Ok(x) => x,
            Err(e) => {
                self.reject_invalid_offers(fid, &accept.operations, &e);
                return;
            }
        };
        let agent_id = self.master.agent_id(agent);
        let mut seen: HashSet<String> = HashSet::new();
        let mut new_executors: Vec<(String, m::ExecutorInfo)> = Vec::new();
        let mut runs: Vec<Run> = Vec::new();
        for op in accept.operations {
            match Op::try_from(op.r#type.unwrap_or(0)) {
                Ok(Op::Launch) => {
                    for task in op.launch.map(|l| l.task_infos).unwrap_or_default() {
                        let checked = {
                            let Some(fw) = self.master.frameworks.get(fid) else {
                                return;
                            };
                            let ctx = Context {
                                framework: fw,
                                agent,
                                agent_id: &agent_id,
                                role: &role,
                                seen: &seen,
                                new_executors: &new_executors,
                            };
                            validation::task(&ctx, &task, &available)
                        };
                        match checked {
                            Err(e) => self.task_error(fid, &task, Reason::TaskInvalid, &e),
                            Ok((task_res, exec_res)) => {
                                seen.insert(task.task_id.value.clone());
                                available =
                                    res::minus(&available, &res::plus(&task_res, &exec_res));
                                if let Some(e) = &task.executor {
                                    new_executors.push((e.executor_id.value.clone(), e.clone()));
                                }
                                runs.push(
                                    self.launch_task(fid, agent, &role, task, task_res, exec_res),
                                );
                            }
                        }
                    }
                }
                Ok(Op::LaunchGroup) => {
                    let Some(lg) = op.launch_group else { continue };
                    let tasks = lg.task_group.tasks;
                    let checked = {
                        let Some(fw) = self.master.frameworks.get(fid) else {
                            return;
                        };
                        let ctx = Context {
                            framework: fw,
                            agent,
                            agent_id: &agent_id,
                            role: &role,
                            seen: &seen,
                            new_executors: &new_executors,
                        };
                        validation::group(&ctx, &lg.executor, &tasks, &available)
                    };
                    match checked {
                        Err(e) => {
                            for t in &tasks {
                                self.task_error(fid, t, Reason::TaskGroupInvalid, &e);
                            }
                        }
                        Ok((task_res, exec_res)) => {
                            let used = task_res
                                .iter()
                                .fold(exec_res.clone(), |a, r| res::plus(&a, r));
                            available = res::minus(&available, &used);
                            for t in &tasks {
                                seen.insert(t.task_id.value.clone());
                            }
                            new_executors
                                .push((lg.executor.executor_id.value.clone(), lg.executor.clone()));
                            runs.push(self.launch_group(
                                fid,
                                agent,
                                &role,
                                lg.executor,
                                tasks,
                                task_res,
                                exec_res,
                            ));
                        }
                    }
                }
                _ => self.unsupported_operation(fid, &op, &agent_id),
            }
        }
        let seconds = refuse_seconds(&accept.filters);
        self.add_filter(fid, agent, &role, available, seconds);
        // The agent gets the tasks after the master answered the whole ACCEPT, as a real agent
        // gets them in a message after the master's own updates (TASK_ERROR, ...) went out.
        let Some(info) = self.master.frameworks.get(fid).map(|f| f.info.clone()) else {
            return;
        };
        for run in runs {
            match run {
                Run::Task(task) => self.agent_run_task(agent, &info, *task),
                Run::Group(executor, group) => self.agent_run_group(agent, &info, *executor, group),
            }
        }
    }

    /// Every task of an ACCEPT with a bad offer is lost (dropped, for PARTITION_AWARE).
    fn reject_invalid_offers(&mut self, fid: &str, ops: &[m::offer::Operation], error: &str) {
        let Some(fw) = self.master.frameworks.get(fid) else {
            return;
        };
        let state = if fw.has(Cap::PartitionAware) {
            m::TaskState::TaskDropped
        } else {
            m::TaskState::TaskLost
        };
        for task in launched_tasks(ops) {
            fw.send_update(master_status(
                &task.task_id,
                state,
                Reason::InvalidOffers,
                format!("Task launched with invalid offers: {error}"),
                Some(task.agent_id.clone()),
            ));
        }
    }

    fn task_error(&mut self, fid: &str, task: &m::TaskInfo, reason: Reason, error: &str) {
        if let Some(fw) = self.master.frameworks.get(fid) {
            fw.send_update(master_status(
                &task.task_id,
                m::TaskState::TaskError,
                reason,
                error,
                Some(task.agent_id.clone()),
            ));
        }
    }

    /// Reservations, volumes and the like are not supported: an operation with an id gets
    /// OPERATION_ERROR, others are dropped.
    fn unsupported_operation(&mut self, fid: &str, op: &m::offer::Operation, agent_id: &str) {
        let (Some(id), Some(fw)) = (&op.id, self.master.frameworks.get(fid)) else {
            return;
        };
        let name = Op::try_from(op.r#type.unwrap_or(0))
            .map(|t| t.as_str_name())
            .unwrap_or("UNKNOWN");
        fw.send(&Event {
            r#type: Some(event::Type::UpdateOperationStatus as i32),
            update_operation_status: Some(event::UpdateOperationStatus {
                status: m::OperationStatus {
                    operation_id: Some(id.clone()),
                    state: m::OperationState::OperationError as i32,
                    message: Some(format!(
                        "Operation {name} is not supported by the local cluster"
                    )),
                    agent_id: Some(m::AgentId {
                        value: agent_id.to_string(),
                    }),
                    ..Default::default()
                },
            }),
            ..Default::default()
        });
    }

    /// Records a task (and a new executor) at the master and hands it to the agent.
    fn record_task(
        &mut self,
        fid: &str,
        agent: usize,
        role: &str,
        task: &m::TaskInfo,
        resources: Resources,
    ) {
        let Some(fw) = self.master.frameworks.get_mut(fid) else {
            return;
        };
        let mut info = task.clone();
        info.data = None;
        let id = task.task_id.value.clone();
        fw.task_order.push(id.clone());
        fw.tasks.insert(
            id,
            Task {
                info,
                agent,
                executor_id: task.executor.as_ref().map(|e| e.executor_id.value.clone()),
                state: m::TaskState::TaskStaging as i32,
                statuses: Vec::new(),
                latest_uuid: None,
                resources: resources.clone(),
                role: role.to_string(),
                released: false,
            },
        );
        let slot = &mut self.master.slots[agent];
        slot.used = res::plus(&slot.used, &resources);
    }

    fn record_executor(
        &mut self,
        fid: &str,
        agent: usize,
        executor: &m::ExecutorInfo,
        resources: Resources,
    ) {
        let key = (agent, executor.executor_id.value.clone());
        let Some(fw) = self.master.frameworks.get_mut(fid) else {
            return;
        };
        if fw.executors.contains_key(&key) {
            return;
        }
        fw.executors
            .insert(key, (executor.clone(), resources.clone()));
        let slot = &mut self.master.slots[agent];
        slot.used = res::plus(&slot.used, &resources);
    }

    fn launch_task(
        &mut self,
        fid: &str,
        agent: usize,
        role: &str,
        mut task: m::TaskInfo,
        task_res: Resources,
        exec_res: Resources,
    ) -> Run {
        allocated(&mut task.resources, role);
        if let Some(e) = task.executor.take() {
            let e = complete_executor(e, fid, role);
            self.record_executor(fid, agent, &e, exec_res);
            task.executor = Some(e);
        }
        self.record_task(fid, agent, role, &task, task_res);
        Run::Task(Box::new(task))
    }

    #[allow(clippy::too_many_arguments)]
    fn launch_group(
        &mut self,
        fid: &str,
        agent: usize,
        role: &str,
        executor: m::ExecutorInfo,
        mut tasks: Vec<m::TaskInfo>,
        task_res: Vec<Resources>,
        exec_res: Resources,
    ) -> Run {
        let executor = complete_executor(executor, fid, role);
        self.record_executor(fid, agent, &executor, exec_res);
        for (task, r) in tasks.iter_mut().zip(task_res) {
            allocated(&mut task.resources, role);
            if task.executor.is_some() {
                task.executor = Some(executor.clone());
            }
            let mut recorded = task.clone();
            recorded.executor = Some(executor.clone());
            self.record_task(fid, agent, role, &recorded, r);
        }
        Run::Group(Box::new(executor), m::TaskGroupInfo { tasks })
    }
}
