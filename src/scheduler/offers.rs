//! Offers held between their arrival and the ACCEPT or DECLINE that answers them, what is known
//! about each agent's size, and the executors we started on it.

use std::collections::{HashMap, HashSet};

use super::convert;
use super::decisions::LaunchInfo;
use crate::proto::mesos as m;
use crate::resources::Resources;

/// An offer not yet answered.
#[derive(Clone, Debug)]
pub struct Held {
    pub offer: m::Offer,
    pub received_ms: u64,
}

/// An executor we launched with resources of its own: later tasks for it must carry exactly
/// these (echoed) resources, and must not pay for them again.
#[derive(Clone, Debug)]
pub struct Executor {
    pub resources: Vec<m::Resource>,
    pub launched_ms: u64,
}

/// What we know of one agent.
#[derive(Clone, Debug, Default)]
pub struct Agent {
    /// Largest amount seen per packing dimension (or the agent's total when told).
    pub max: Vec<i64>,
    /// `max` is the agent's real total (given by the caller), not a guess from offers.
    pub exact: bool,
    pub executors: HashMap<String, Executor>,
    /// Per executor id on this agent: our launched tasks (with executor slots), their
    /// milli-cpus, and the smallest limit any of them set (see `slot_for`).
    pub busy: HashMap<String, (u32, i64, i64)>,
}

impl Agent {
    /// The first executor id of `base`'s slots (`base`, `base-1`, ...) with room for a task
    /// of `millicpus`: idle, or running tasks of at most `limit` milli-cpus with it (and of at
    /// most the limits its tasks set).
    pub fn slot_for(&self, base: &str, millicpus: i64, limit: i64) -> String {
        (0..)
            .map(|n| {
                if n == 0 {
                    base.to_string()
                } else {
                    format!("{base}-{n}")
                }
            })
            .find(|id| {
                let (tasks, used, theirs) = self.busy.get(id).copied().unwrap_or((0, 0, 0));
                tasks == 0 || used + millicpus <= limit.min(theirs)
            })
            .unwrap_or_else(|| base.to_string())
    }
}

/// An executor launched this long ago that an offer of its agent does not list has exited
/// (younger ones may simply not be known to the offer yet).
const EXECUTOR_GRACE_MS: u64 = 10_000;

/// Held offers and known agents.
#[derive(Debug, Default)]
pub struct Offers {
    held: Vec<Held>,
    agents: HashMap<String, Agent>,
    /// Set when an agent appears or grows; cleared by whoever re-checks waiting work.
    pub agents_grew: bool,
}

/// The held offers of one agent and allocation role, combined for packing: their resources
/// add up, and one ACCEPT can answer all of them.
#[derive(Debug)]
pub struct Bin {
    pub agent_id: m::AgentId,
    pub offer_ids: Vec<m::OfferId>,
    /// The offered `Resource` messages (echo sources).
    pub sources: Vec<m::Resource>,
    /// What is left, `extra` indexing `sources`.
    pub remaining: Resources<usize>,
    /// `remaining` per packing dimension.
    pub vector: Vec<i64>,
    /// Executors of this framework the offers say are running on the agent.
    pub running: HashSet<String>,
    /// Tasks placed this round, ready to launch.
    pub tasks: Vec<LaunchInfo>,
    /// Per demand class, what its last template copy took here and its launch encoding.
    pub echoes: Vec<Echo>,
}

/// The entries found in a bin for a demand class and their encoding as a launch's resources
/// field. Copies of the class take the same entries while they are still there, as finding
/// them again would (see `placement::take`): no search, no echo, no encoding per copy.
#[derive(Debug)]
pub struct Echo {
    pub class: usize,
    pub got: Resources<usize>,
    pub field: Vec<u8>,
}

impl Offers {
    pub fn held(&self) -> &[Held] {
        &self.held
    }

    pub fn is_empty(&self) -> bool {
        self.held.is_empty()
    }

    pub fn agents(&self) -> impl Iterator<Item = (&String, &Agent)> {
        self.agents.iter()
    }

    pub fn agents_mut(&mut self) -> &mut HashMap<String, Agent> {
        &mut self.agents
    }

    /// Holds new offers and learns agent sizes and exited executors from them.
    pub fn add(&mut self, offers: Vec<m::Offer>, now: u64, dims: &[String]) {
        for offer in offers {
            if self.held.iter().any(|h| h.offer.id == offer.id) {
                continue; // a duplicate delivery
            }
            // What the agent offers at once: this offer plus its other held ones.
            let mut entries = convert::offered(&offer.resources, 0);
            for h in self
                .held
                .iter()
                .filter(|h| h.offer.agent_id == offer.agent_id)
            {
                entries.extend(convert::offered(&h.offer.resources, 0));
            }
            let vector = Resources::from_entries(entries)
                .map(|r| r.to_vector(dims))
                .unwrap_or_else(|_| vec![0; dims.len()]);
            let agent = self.agents.entry(offer.agent_id.value.clone()).or_default();
            if agent.max.len() != dims.len() {
                agent.max = vec![0; dims.len()];
                self.agents_grew = true;
            }
            if !agent.exact {
                for (m, v) in agent.max.iter_mut().zip(&vector) {
                    if v > m {
                        *m = *v;
                        self.agents_grew = true;
                    }
                }
            }
            let listed: HashSet<&str> = offer
                .executor_ids
                .iter()
                .map(|e| e.value.as_str())
                .collect();
            agent.executors.retain(|id, e| {
                listed.contains(id.as_str())
                    || now.saturating_sub(e.launched_ms) < EXECUTOR_GRACE_MS
            });
            self.held.push(Held {
                offer,
                received_ms: now,
            });
        }
    }

    /// Sets an agent's real total (exact from now on).
    pub fn set_total(&mut self, agent_id: &str, total: Vec<i64>) {
        let agent = self.agents.entry(agent_id.to_owned()).or_default();
        if agent.max.len() != total.len() || total.iter().zip(&agent.max).any(|(t, m)| t > m) {
            self.agents_grew = true;
        }
        agent.max = total;
        agent.exact = true;
    }

    /// A task of `millicpus` launched into `executor_id` on `agent_id` left it (ended or
    /// queued again).
    pub fn release_slot(&mut self, agent_id: &str, executor_id: &str, millicpus: i64) {
        if let Some(a) = self.agents.get_mut(agent_id) {
            if let Some((tasks, used, _)) = a.busy.get_mut(executor_id) {
                *tasks = tasks.saturating_sub(1);
                *used -= millicpus;
                if *tasks == 0 {
                    a.busy.remove(executor_id);
                }
            }
        }
    }

    /// Forgets an executor that exited (its resources must be paid again by a new one).
    pub fn executor_lost(&mut self, agent_id: &str, executor_id: &str) {
        if let Some(a) = self.agents.get_mut(agent_id) {
            a.executors.remove(executor_id);
        }
    }

    /// Drops a rescinded offer; true when it was held.
    pub fn rescind(&mut self, offer_id: &str) -> bool {
        let before = self.held.len();
        self.held.retain(|h| h.offer.id.value != offer_id);
        self.held.len() != before
    }

    /// Forgets every held offer (they are invalid after a resubscription).
    pub fn clear(&mut self) {
        self.held.clear();
    }

    /// Removes and returns the held offers `pick` selects.
    pub fn take_if(&mut self, mut pick: impl FnMut(&Held) -> bool) -> Vec<Held> {
        let (out, keep) = std::mem::take(&mut self.held)
            .into_iter()
            .partition(|h| pick(h));
        self.held = keep;
        out
    }

    /// Every held offer as bins (one per agent and allocation role, in arrival order).
    pub fn bins(&self, dims: &[String]) -> Vec<Bin> {
        let mut bins: Vec<Bin> = Vec::new();
        let mut index: HashMap<(&str, Option<&str>), usize> = HashMap::new();
        let mut entries: Vec<Vec<crate::resources::Resource<usize>>> = Vec::new();
        for h in &self.held {
            let o = &h.offer;
            let role = o.allocation_info.as_ref().and_then(|a| a.role.as_deref());
            let b = *index
                .entry((o.agent_id.value.as_str(), role))
                .or_insert_with(|| {
                    bins.push(Bin {
                        agent_id: o.agent_id.clone(),
                        offer_ids: Vec::new(),
                        sources: Vec::new(),
                        remaining: Resources::new(),
                        vector: Vec::new(),
                        running: HashSet::new(),
                        tasks: Vec::new(),
                        echoes: Vec::new(),
                    });
                    entries.push(Vec::new());
                    bins.len() - 1
                });
            let bin = &mut bins[b];
            bin.offer_ids.push(o.id.clone());
            entries[b].extend(convert::offered(&o.resources, bin.sources.len()));
            bin.sources.extend(o.resources.iter().cloned());
            bin.running
                .extend(o.executor_ids.iter().map(|e| e.value.clone()));
        }
        for (bin, list) in bins.iter_mut().zip(entries) {
            // Offers of one agent never mix value kinds for a name; if they did, nothing can be
            // placed in this bin (it is declined).
            bin.remaining = Resources::from_entries(list).unwrap_or_default();
            bin.vector = bin.remaining.to_vector(dims);
        }
        bins
    }
}
