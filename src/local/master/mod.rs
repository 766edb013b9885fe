//! The master: frameworks and their subscriptions, offers from the agents' free resources, task
//! launch validated as Mesos validates it, status updates on to the schedulers, reconciliation,
//! and the scheduler HTTP API (`/api/v1/scheduler`) with `/master/state`.

mod accept;
mod allocator;
mod framework;
mod reconcile;
pub(crate) mod routes;
mod scheduler_api;
mod state_json;
mod subscribe;
mod updates;
mod validation;

use std::collections::{HashMap, HashSet, VecDeque};

pub(crate) use framework::{is_terminal, Framework};

use crate::proto::mesos as m;
use crate::resources::Resources;

/// The master's view of one agent's resources.
#[derive(Debug, Clone, Default)]
pub(crate) struct AgentSlot {
    pub total: Resources,
    /// Used by tasks and executors.
    pub used: Resources,
    /// Held by outstanding offers.
    pub offered: Resources,
}

/// An outstanding offer.
#[derive(Debug, Clone)]
pub(crate) struct OfferRecord {
    pub framework_id: String,
    pub agent: usize,
    pub role: String,
    pub resources: Resources,
}

/// How many removed frameworks `/master/state` lists (Mesos's `--max_completed_frameworks`).
const MAX_COMPLETED_FRAMEWORKS: usize = 50;

/// The master's state.
pub(crate) struct Master {
    pub id: String,
    pub info: m::MasterInfo,
    pub port: u16,
    pub start_time: f64,
    next_framework: u64,
    next_offer: u64,
    pub frameworks: HashMap<String, Framework>,
    pub completed: VecDeque<Framework>,
    pub removed: HashSet<String>,
    pub offers: HashMap<String, OfferRecord>,
    pub slots: Vec<AgentSlot>,
}

impl Master {
    pub(crate) fn new(port: u16) -> Master {
        let id = super::ids::uuid();
        let address = m::Address {
            hostname: Some("127.0.0.1".into()),
            ip: Some("127.0.0.1".into()),
            port: i32::from(port),
        };
        let info = m::MasterInfo {
            id: id.clone(),
            // 127.0.0.1 in network byte order read as a host integer, as Mesos writes it.
            ip: u32::from_le_bytes([127, 0, 0, 1]),
            port: u32::from(port),
            pid: Some(format!("master@127.0.0.1:{port}")),
            hostname: Some("127.0.0.1".into()),
            version: Some(super::VERSION.into()),
            address: Some(address),
            capabilities: [
                m::master_info::capability::Type::AgentUpdate,
                m::master_info::capability::Type::AgentDraining,
                m::master_info::capability::Type::QuotaV2,
            ]
            .into_iter()
            .map(|t| m::master_info::Capability {
                r#type: Some(t as i32),
            })
            .collect(),
            ..Default::default()
        };
        Master {
            id,
            info,
            port,
            start_time: super::ids::now(),
            next_framework: 0,
            next_offer: 0,
            frameworks: HashMap::new(),
            completed: VecDeque::new(),
            removed: HashSet::new(),
            offers: HashMap::new(),
            slots: Vec::new(),
        }
    }

    pub(crate) fn new_framework_id(&mut self) -> String {
        let id = format!("{}-{:04}", self.id, self.next_framework);
        self.next_framework += 1;
        id
    }

    pub(crate) fn new_offer_id(&mut self) -> String {
        let id = format!("{}-O{}", self.id, self.next_offer);
        self.next_offer += 1;
        id
    }

    /// The agent id of agent `index`.
    pub(crate) fn agent_id(&self, index: usize) -> String {
        format!("{}-S{index}", self.id)
    }

    /// The index of an agent id.
    pub(crate) fn agent_index(&self, id: &str) -> Option<usize> {
        let n: usize = id
            .strip_prefix(&self.id)?
            .strip_prefix("-S")?
            .parse()
            .ok()?;
        (n < self.slots.len()).then_some(n)
    }

    /// An agent's resources neither used nor offered.
    pub(crate) fn free(&self, agent: usize) -> Resources {
        let slot = &self.slots[agent];
        let left = super::resources::minus(&slot.total, &slot.used);
        super::resources::minus(&left, &slot.offered)
    }

    /// Keeps a removed framework for `/master/state`.
    pub(crate) fn retire(&mut self, framework: Framework) {
        self.removed.insert(framework.id.clone());
        self.completed.push_back(framework);
        while self.completed.len() > MAX_COMPLETED_FRAMEWORKS {
            self.completed.pop_front();
        }
    }
}
