//! Matching queued tasks to held offers: a vector packing by a `crate::binpack` heuristic (or a
//! caller's function) proposes, the resource algebra disposes: each proposed task is checked
//! exactly against what is left of its bin (roles, reservations, ports) and takes concrete
//! offered entries, which are echoed into its TaskInfo.

use std::borrow::Cow;
use std::collections::HashMap;

use super::config::Heuristic;
use super::convert;
use super::decisions::LaunchInfo;
use super::offers::{Agent, Bin, Echo, Executor};
use super::queue::{Candidate, Queue};
use super::task::{Serial, Slot, Task};
use super::template::Template;
use super::FastMap;
use crate::binpack::{self, portfolio, Packing, Problem, Vectors, Weights};
use crate::resources::{find, Resources};
use crate::{Error, Result};

/// Proposes a bin (or none) for every item of a packing problem. The core checks every
/// proposal, so a placer cannot launch anything that does not fit.
pub trait Placer: Send {
    fn place(&mut self, problem: &Problem) -> Result<Packing>;
}

/// The built-in placer: one binpack heuristic or the portfolio.
pub struct MethodPlacer {
    pub heuristic: Heuristic,
    pub weights: Weights,
}

impl Placer for MethodPlacer {
    fn place(&mut self, problem: &Problem) -> Result<Packing> {
        match &self.heuristic {
            Heuristic::Method(method) => binpack::pack(*method, problem, Some(&self.weights)),
            Heuristic::Best(methods) => {
                portfolio::best(problem, methods, Some(&self.weights)).map(|(_, p)| p)
            }
        }
    }
}

/// A task placed this round.
pub struct Placed {
    pub bin: usize,
    pub serial: Serial,
    pub info: LaunchInfo,
    /// The executor slot taken (executor id, milli-cpus), for tasks with executor slots.
    pub slot: Option<Slot>,
}

/// Result of one round.
pub struct Round {
    pub placed: Vec<Placed>,
    /// Candidates that found no room; they go back to the queue.
    pub unplaced: Vec<Candidate>,
    /// The placer's error, when the built-in heuristic had to stand in.
    pub placer_error: Option<String>,
}

/// Checks a packing from outside: one entry per item, bins in range.
fn check(packing: &Packing, items: usize, bins: usize) -> Result<()> {
    if packing.assignment.len() != items {
        return Err(Error::InvalidArgument(format!(
            "the placer returned {} assignments for {items} tasks",
            packing.assignment.len()
        )));
    }
    if let Some(b) = packing.assignment.iter().flatten().find(|b| **b >= bins) {
        return Err(Error::InvalidArgument(format!(
            "the placer chose offer {b}, but there are only {bins}"
        )));
    }
    let mut seen = vec![false; items];
    for &i in &packing.order {
        if i >= items || std::mem::replace(&mut seen[i], true) {
            return Err(Error::InvalidArgument(format!(
                "the placer's order names task {i} twice or out of range"
            )));
        }
    }
    Ok(())
}

/// The vector problem of `candidates` into `bins`.
fn problem(candidates: &[Candidate], queue: &Queue, bins: &[Bin], dims: usize) -> Result<Problem> {
    let mut items = Vec::with_capacity(candidates.len() * dims);
    for c in candidates {
        match queue.class(c.class) {
            Some(class) => items.extend_from_slice(&class.vector),
            None => items.extend(std::iter::repeat(i64::MAX / 4).take(dims)),
        }
    }
    let mut caps = Vec::with_capacity(bins.len() * dims);
    for b in bins {
        caps.extend_from_slice(&b.vector);
    }
    // Quantities beyond binpack's range cannot come from real offers; clamp rather than fail.
    let clamp = |v: Vec<i64>| v.into_iter().map(|x| x.clamp(0, 1 << 50)).collect();
    Problem::new(
        Vectors::new(dims, clamp(items))?,
        Vectors::new(dims, clamp(caps))?,
    )
}

/// Whether `remaining` still holds every entry of `got` (same key, same offered source, at
/// least as much): then finding the same demand again would take `got` again, since which
/// entries serve a demand first depends only on their keys and order.
fn still_there(got: &Resources<usize>, remaining: &Resources<usize>) -> bool {
    got.iter().all(|piece| {
        remaining
            .iter()
            .any(|r| r.extra == piece.extra && r.key == piece.key && piece.value.fits_in(&r.value))
    })
}

/// Runs one round: `placer` proposes, `fallback` stands in when it fails.
#[allow(clippy::too_many_arguments)]
pub fn round(
    bins: &mut [Bin],
    candidates: Vec<Candidate>,
    tasks: &FastMap<Serial, Task>,
    queue: &Queue,
    agents: &mut HashMap<String, Agent>,
    placer: &mut dyn Placer,
    fallback: &mut MethodPlacer,
    dims: usize,
    now: u64,
) -> Round {
    let mut out = Round {
        placed: Vec::new(),
        unplaced: Vec::new(),
        placer_error: None,
    };
    if candidates.is_empty() || bins.is_empty() {
        out.unplaced = candidates;
        return out;
    }
    let packing = problem(&candidates, queue, bins, dims).and_then(|p| {
        let proposed = placer
            .place(&p)
            .and_then(|k| check(&k, candidates.len(), bins.len()).map(|_| k));
        match proposed {
            Ok(k) => Ok(k),
            Err(e) => {
                out.placer_error = Some(e.to_string());
                fallback.place(&p)
            }
        }
    });
    let packing = match packing {
        Ok(p) => p,
        Err(e) => {
            out.placer_error = Some(e.to_string());
            out.unplaced = candidates;
            return out;
        }
    };
    // Bins a class was found not to fit exactly, this round (capacity only shrinks).
    let mut misfits: HashMap<usize, Vec<bool>> = HashMap::new();
    let mut placed = vec![false; candidates.len()];
    for &i in &packing.order {
        let c = candidates[i];
        let (Some(task), Some(class)) = (tasks.get(&c.serial), queue.class(c.class)) else {
            continue;
        };
        let first = packing.assignment[i];
        let tried = misfits
            .entry(c.class)
            .or_insert_with(|| vec![false; bins.len()]);
        // The proposed bin first, then (only if the exact check refused it) any other bin
        // whose vector still fits, skipping bins this class already failed.
        let order = first
            .into_iter()
            .chain((0..bins.len()).filter(move |b| first.is_some() && Some(*b) != first));
        for b in order {
            if tried[b] || class.vector.iter().zip(&bins[b].vector).any(|(v, m)| v > m) {
                continue;
            }
            let agent = agents.get_mut(&bins[b].agent_id.value);
            match take(&mut bins[b], task, c.class, &class.demand, agent, now) {
                Some((info, slot)) => {
                    for (m, v) in bins[b].vector.iter_mut().zip(&class.vector) {
                        *m = (*m - v).max(0);
                    }
                    out.placed.push(Placed {
                        bin: b,
                        serial: c.serial,
                        info,
                        slot,
                    });
                    placed[i] = true;
                    break;
                }
                None => tried[b] = true,
            }
        }
    }
    out.unplaced = candidates
        .into_iter()
        .zip(placed)
        .filter(|(_, p)| !p)
        .map(|(c, _)| c)
        .collect();
    out
}

/// Takes `demand` (and, for a new executor with resources, the executor's) from `bin`; returns
/// the TaskInfo to launch (attempt id still to be set by the caller) and the executor slot it
/// takes. A template copy is launched from its template's bytes, never decoded.
fn take(
    bin: &mut Bin,
    task: &Task,
    class: usize,
    demand: &Resources,
    agent: Option<&mut Agent>,
    now: u64,
) -> Option<(LaunchInfo, Option<Slot>)> {
    let mut executor_resources = None;
    let mut new_executor = None;
    let mut after_executor = None;
    let mut slot = None;
    let mut unlisted = None;
    let mut executor_id = None;
    // What the executor checks read: the template, or the task decoded (only if needed).
    let mut decoded = None;
    if task.template.is_none() && (task.executor_slots.is_some() || task.executor_resources) {
        decoded = Some(task.info()?);
    }
    let view = task
        .template
        .as_ref()
        .map(|t| t.info())
        .or(decoded.as_deref());
    let executor = view.and_then(|info| info.executor.as_ref());
    if let (Some(limit), Some(e), Some(a)) = (task.executor_slots, executor, agent.as_ref()) {
        let millicpus = (demand.scalar_total("cpus").to_f64() * 1000.0).round() as i64;
        let id = a.slot_for(&e.executor_id.value, millicpus, limit);
        executor_id = Some(id.clone());
        slot = Some((id, millicpus, limit));
    }
    if let (true, Some(e)) = (task.executor_resources, executor) {
        let id = executor_id.as_ref().unwrap_or(&e.executor_id.value);
        let known = agent.as_ref().and_then(|a| a.executors.get(id));
        if let Some(known) = known {
            executor_resources = Some(Cow::Borrowed(&known.resources[..]));
            if !bin.running.contains(id) {
                // Launched by us but not listed by this offer: it may have just exited,
                // and the master would then take its resources from this offer again.
                let want = convert::demand(&known.resources).ok()?;
                let got = find(&bin.remaining, &want).ok()??;
                after_executor = Some(bin.remaining.sub(&got).ok()?);
                unlisted = Some(id.clone());
            }
        } else if !bin.running.contains(id) {
            // A new executor: its resources come out of the offer too.
            let want = convert::demand(&e.resources).ok()?;
            let got = find(&bin.remaining, &want).ok()??;
            after_executor = Some(bin.remaining.sub(&got).ok()?);
            let echoed = convert::echo_all(&got, &bin.sources);
            new_executor = Some((id.clone(), echoed.clone()));
            executor_resources = Some(Cow::Owned(echoed));
        }
    }
    let remaining = after_executor.as_ref().unwrap_or(&bin.remaining);
    let found;
    let (launch, got) = match &task.template {
        Some(template) => {
            let memo = bin
                .echoes
                .iter()
                .position(|e| e.class == class && still_there(&e.got, remaining));
            let i = match memo {
                Some(i) => i,
                None => {
                    let got = find(remaining, demand).ok()??;
                    let field = Template::encode_resources(&convert::echo_all(&got, &bin.sources));
                    bin.echoes.retain(|e| e.class != class);
                    bin.echoes.push(Echo { class, got, field });
                    bin.echoes.len() - 1
                }
            };
            let echo = &bin.echoes[i];
            let launch = template.launch_encoded(
                &task.encoded,
                &bin.agent_id,
                &echo.field,
                executor_id.as_deref(),
                executor_resources.as_deref(),
            );
            (LaunchInfo::Encoded(launch), &echo.got)
        }
        None => {
            found = find(remaining, demand).ok()??;
            // Decoded only once it fits (most proposals do, but not all).
            let mut info = match decoded {
                Some(info) => info,
                None => task.info()?,
            };
            info.resources = convert::echo_all(&found, &bin.sources);
            info.agent_id = bin.agent_id.clone();
            if let Some(e) = info.executor.as_mut() {
                if let Some(id) = executor_id {
                    e.executor_id.value = id;
                }
                if let Some(r) = executor_resources {
                    e.resources = r.into_owned();
                }
            }
            (LaunchInfo::Decoded(info), &found)
        }
    };
    // In place: a copy of the offer's resources per task cost more than the rest of it.
    match after_executor {
        Some(mut left) => {
            left.sub_assign(got).ok()?;
            bin.remaining = left;
        }
        None => bin.remaining.sub_assign(got).ok()?,
    }
    let mut agent = agent;
    if let Some(id) = unlisted {
        // Set aside once per offer, not once per task.
        bin.running.insert(id);
    }
    if let Some((id, resources)) = new_executor {
        bin.running.insert(id.clone());
        if let Some(a) = agent.as_mut() {
            a.executors.insert(
                id,
                Executor {
                    resources,
                    launched_ms: now,
                },
            );
        }
    }
    if let (Some((id, millicpus, limit)), Some(a)) = (slot.as_ref(), agent) {
        let (tasks, used, least) = a.busy.entry(id.clone()).or_insert((0, 0, *limit));
        *tasks += 1;
        *used += millicpus;
        *least = (*least).min(*limit);
    }
    Some((launch, slot.map(|(id, millicpus, _)| (id, millicpus))))
}
