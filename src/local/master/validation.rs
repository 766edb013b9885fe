//! Task and task group validation, in the order and with the texts of the Mesos 1.11 master
//! (checked against it: bad ids, duplicates, wrong agent, no resources, command/executor,
//! resources beyond the offer).

use std::collections::HashSet;

use super::framework::Framework;
use crate::local::ids;
use crate::local::resources::{self as res};
use crate::proto::mesos as m;
use crate::resources::Resources;

/// What one accepted ACCEPT has to check tasks against.
pub(super) struct Context<'a> {
    pub framework: &'a Framework,
    pub agent: usize,
    pub agent_id: &'a str,
    /// The allocation role of the offers.
    pub role: &'a str,
    /// Task ids already launched by this ACCEPT.
    pub seen: &'a HashSet<String>,
    /// Executors launched by this ACCEPT on the agent, with their info.
    pub new_executors: &'a [(String, m::ExecutorInfo)],
}

impl Context<'_> {
    /// The ExecutorInfo of an executor already known on this agent (running or launched now).
    fn known_executor(&self, id: &str) -> Option<&m::ExecutorInfo> {
        self.framework
            .executors
            .get(&(self.agent, id.to_string()))
            .map(|(info, _)| info)
            .or_else(|| {
                self.new_executors
                    .iter()
                    .find(|(e, _)| e == id)
                    .map(|(_, info)| info)
            })
    }
}

/// Checks common to a task alone and a task of a group; returns its resources.
fn check_task(ctx: &Context<'_>, task: &m::TaskInfo) -> Result<Resources, String> {
    let id = &task.task_id.value;
    if let Some(e) = ids::id_error(id) {
        return Err(e);
    }
    if ctx.framework.tasks.contains_key(id) || ctx.seen.contains(id) {
        return Err(format!("Task has duplicate ID: {id}"));
    }
    if task.agent_id.value != ctx.agent_id {
        return Err(format!(
            "Task uses invalid agent {} while agent {} is expected",
            task.agent_id.value, ctx.agent_id
        ));
    }
    if let Some(grace) = task
        .kill_policy
        .as_ref()
        .and_then(|k| k.grace_period.as_ref())
    {
        if grace.nanoseconds < 0 {
            return Err("Task's 'kill_policy.grace_period' must be non-negative".into());
        }
    }
    if task.resources.is_empty() {
        return Err("Task uses no resources".into());
    }
    res::from_proto(&task.resources)
}

/// Checks an executor (new, or the same as the one already running); returns the resources it
/// adds (none when it already runs).
fn check_executor(ctx: &Context<'_>, executor: &m::ExecutorInfo) -> Result<Resources, String> {
    let eid = &executor.executor_id.value;
    if let Some(e) = ids::id_error(eid) {
        return Err(format!("Executor has an invalid ID: {e}"));
    }
    if let Some(fid) = &executor.framework_id {
        if fid.value != ctx.framework.id {
            return Err(format!(
                "ExecutorInfo has an invalid FrameworkID (Actual: {} vs Expected: {})",
                fid.value, ctx.framework.id
            ));
        }
    }
    if let Some(existing) = ctx.known_executor(eid) {
        if !same_executor(existing, executor) {
            return Err(
                "Task has invalid ExecutorInfo (existing ExecutorInfo with same ExecutorID is \
                 not compatible)"
                    .into(),
            );
        }
        return Ok(Resources::new());
    }
    res::from_proto(&executor.resources)
}

/// Two ExecutorInfos describe the same executor (the master fills in `framework_id`, and may
/// inject allocation info into the resources).
fn same_executor(a: &m::ExecutorInfo, b: &m::ExecutorInfo) -> bool {
    let norm = |e: &m::ExecutorInfo| {
        let mut e = e.clone();
        e.framework_id = None;
        for r in &mut e.resources {
            r.allocation_info = None;
            #[allow(deprecated)]
            if r.role.as_deref() == Some("*") {
                r.role = None;
            }
        }
        if let Some(c) = &mut e.command {
            c.shell.get_or_insert(true);
        }
        e
    };
    norm(a) == norm(b)
}

/// A LAUNCH task: its resources and the resources of a new executor, or the error message.
pub(super) fn task(
    ctx: &Context<'_>,
    task: &m::TaskInfo,
    available: &Resources,
) -> Result<(Resources, Resources), String> {
    let task_res = check_task(ctx, task)?;
    if task.executor.is_some() == task.command.is_some() {
        return Err(
            "Task should have at least one (but not both) of CommandInfo or ExecutorInfo present"
                .into(),
        );
    }
    let exec_res = match &task.executor {
        Some(e) => {
            if e.command.is_none() {
                return Err("ExecutorInfo must have 'command' set".into());
            }
            check_executor(ctx, e)?
        }
        None => Resources::new(),
    };
    let total = res::plus(&task_res, &exec_res);
    if !available.contains(&total).unwrap_or(false) {
        return Err(format!(
            "Total resources {} required by task and its executor is more than available {}",
            res::describe(&total, Some(ctx.role)),
            res::describe(available, Some(ctx.role))
        ));
    }
    Ok((task_res, exec_res))
}

/// A LAUNCH_GROUP: each task's resources and the new executor's, or the error message.
pub(super) fn group(
    ctx: &Context<'_>,
    executor: &m::ExecutorInfo,
    tasks: &[m::TaskInfo],
    available: &Resources,
) -> Result<(Vec<Resources>, Resources), String> {
    if executor.r#type.is_none() {
        return Err("'ExecutorInfo.type' must be set".into());
    }
    let default = executor.r#type == Some(m::executor_info::Type::Default as i32);
    if default && executor.command.is_some() {
        return Err("'ExecutorInfo.command' must not be set for 'DEFAULT' executor".into());
    }
    if !default && executor.command.is_none() {
        return Err("ExecutorInfo must have 'command' set".into());
    }
    let exec_res = check_executor(ctx, executor)?;
    let mut seen = ctx.seen.clone();
    let mut task_res = Vec::with_capacity(tasks.len());
    for t in tasks {
        let inner = Context {
            seen: &seen,
            ..*ctx
        };
        let r = check_task(&inner, t)
            .map_err(|e| format!("Task '{}' is invalid: {e}", t.task_id.value))?;
        if let Some(e) = &t.executor {
            if !same_executor(e, executor) {
                return Err(format!(
                    "Task '{}' is invalid: its ExecutorInfo differs from the task group's",
                    t.task_id.value
                ));
            }
        }
        seen.insert(t.task_id.value.clone());
        task_res.push(r);
    }
    let total = task_res
        .iter()
        .fold(exec_res.clone(), |acc, r| res::plus(&acc, r));
    if !available.contains(&total).unwrap_or(false) {
        return Err(format!(
            "Total resources {} required by task group and its executor are more than available {}",
            res::describe(&total, Some(ctx.role)),
            res::describe(available, Some(ctx.role))
        ));
    }
    Ok((task_res, exec_res))
}
