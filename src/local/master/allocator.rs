//! Offers: each agent's free resources go, whole, to one (framework, role) at a time, in DRF
//! order (the lowest dominant share first), skipping suppressed roles and DECLINE filters (a
//! filter holds while the free resources fit in what was declined, as in Mesos). Also DECLINE,
//! REVIVE, SUPPRESS and the dropping of offers.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use super::framework::{Filter, Framework};
use super::OfferRecord;
use crate::local::resources::{self as res, Style};
use crate::local::world::World;
use crate::proto::mesos as m;
use crate::proto::mesos::framework_info::capability::Type as Cap;
use crate::proto::mesos::scheduler::{event, Event};
use crate::resources::{Quantity, Resources};

/// Mesos's `--min_allocatable_resources` default: `cpus:0.01|mem:32`.
fn allocatable(r: &Resources) -> bool {
    r.scalar_total("cpus") >= Quantity::from_millis(10)
        || r.scalar_total("mem") >= Quantity::from_millis(32_000)
}

/// Refuse time of a filter: unset is 5 s, negative or NaN also 5 s, capped at a year.
pub(super) fn refuse_seconds(filters: &Option<m::Filters>) -> f64 {
    let value = filters
        .as_ref()
        .and_then(|f| f.refuse_seconds)
        .unwrap_or(5.0);
    if value.is_nan() || value < 0.0 {
        5.0
    } else {
        value.min(365.0 * 86_400.0)
    }
}

impl Framework {
    /// Scalar resources held (tasks, executors, offers), for DRF.
    fn held(&self, master: &super::Master) -> HashMap<String, f64> {
        let mut out: HashMap<String, f64> = HashMap::new();
        let mut add = |r: &Resources| {
            for e in r.iter() {
                if let crate::resources::Value::Scalar(q) = &e.value {
                    *out.entry(e.key.name.clone()).or_default() += q.to_f64();
                }
            }
        };
        for t in self.tasks.values().filter(|t| !t.released) {
            add(&t.resources);
        }
        for (_, r) in self.executors.values() {
            add(r);
        }
        for id in &self.offers {
            if let Some(o) = master.offers.get(id) {
                add(&o.resources);
            }
        }
        out
    }
}

impl World {
    /// One allocation pass over every agent.
    pub(crate) fn allocate(&mut self) {
        let now = Instant::now();
        for fw in self.master.frameworks.values_mut() {
            fw.filters.retain(|f| f.until > now);
        }
        let mut sent: HashMap<String, Vec<m::Offer>> = HashMap::new();
        for agent in 0..self.master.slots.len() {
            let free = self.master.free(agent);
            if !allocatable(&free) {
                continue;
            }
            let Some((fid, role, offered)) = self.pick(agent, &free) else {
                continue;
            };
            let offer = self.make_offer(agent, &fid, &role, offered);
            sent.entry(fid).or_default().push(offer);
        }
        for (fid, offers) in sent {
            if let Some(fw) = self.master.frameworks.get(&fid) {
                fw.send(&Event {
                    r#type: Some(event::Type::Offers as i32),
                    offers: Some(event::Offers { offers }),
                    ..Default::default()
                });
            }
        }
    }

    /// The (framework, role) to offer `free` of `agent` to, with what it may take.
    fn pick(&self, agent: usize, free: &Resources) -> Option<(String, String, Resources)> {
        let mut candidates: Vec<(&Framework, String, Resources)> = Vec::new();
        for fw in self.master.frameworks.values().filter(|f| f.connected()) {
            for role in fw.roles() {
                if fw.suppressed.contains(&role) {
                    continue;
                }
                let offerable = free.filter(|r| !r.key.is_reserved() || r.key.role() == role);
                if !allocatable(&offerable) {
                    continue;
                }
                let filtered = fw.filters.iter().any(|f| {
                    f.agent == agent
                        && f.role == role
                        && f.resources.contains(&offerable).unwrap_or(false)
                });
                if !filtered {
                    candidates.push((fw, role, offerable));
                }
            }
        }
        if candidates.len() > 1 {
            let totals = self.cluster_totals();
            let share = |fw: &Framework| {
                fw.held(&self.master)
                    .iter()
                    .filter_map(|(name, v)| totals.get(name).map(|t| v / t))
                    .fold(0.0_f64, f64::max)
            };
            let mut scored: Vec<(f64, f64, usize)> = candidates
                .iter()
                .enumerate()
                .map(|(i, (fw, _, _))| (share(fw), fw.registered_time, i))
                .collect();
            scored.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
            let best = scored.first()?.2;
            let (fw, role, offerable) = candidates.swap_remove(best);
            return Some((fw.id.clone(), role, offerable));
        }
        candidates
            .pop()
            .map(|(fw, role, offerable)| (fw.id.clone(), role, offerable))
    }

    fn cluster_totals(&self) -> HashMap<String, f64> {
        let mut out: HashMap<String, f64> = HashMap::new();
        for slot in &self.master.slots {
            for e in slot.total.iter() {
                if let crate::resources::Value::Scalar(q) = &e.value {
                    *out.entry(e.key.name.clone()).or_default() += q.to_f64();
                }
            }
        }
        out.retain(|_, v| *v > 0.0);
        out
    }

    fn make_offer(&mut self, agent: usize, fid: &str, role: &str, offered: Resources) -> m::Offer {
        let id = self.master.new_offer_id();
        let slot = &mut self.master.slots[agent];
        slot.offered = res::plus(&slot.offered, &offered);
        let agent_id = self.master.agent_id(agent);
        let port = self.agents[agent].port;
        let fw = self
            .master
            .frameworks
            .get_mut(fid)
            .expect("pick returns a subscribed framework"); // invariant: chosen under the same lock
        let multi_role = fw.has(Cap::MultiRole);
        let style = Style {
            allocation_role: multi_role.then_some(role),
            refinement: fw.has(Cap::ReservationRefinement),
        };
        let mut executor_ids: Vec<String> = fw
            .executors
            .keys()
            .filter(|(a, _)| *a == agent)
            .map(|(_, e)| e.clone())
            .collect();
        executor_ids.sort();
        fw.offers.insert(id.clone());
        let offer = m::Offer {
            id: m::OfferId { value: id.clone() },
            framework_id: m::FrameworkId {
                value: fid.to_string(),
            },
            agent_id: m::AgentId { value: agent_id },
            hostname: "127.0.0.1".into(),
            url: Some(m::Url {
                scheme: "http".into(),
                address: m::Address {
                    hostname: Some("127.0.0.1".into()),
                    ip: Some("127.0.0.1".into()),
                    port: i32::from(port),
                },
                path: Some("/slave(1)".into()),
                ..Default::default()
            }),
            resources: res::to_proto(&offered, style),
            executor_ids: executor_ids
                .into_iter()
                .map(|value| m::ExecutorId { value })
                .collect(),
            allocation_info: multi_role.then(|| m::resource::AllocationInfo {
                role: Some(role.to_string()),
            }),
            ..Default::default()
        };
        self.master.offers.insert(
            id,
            OfferRecord {
                framework_id: fid.to_string(),
                agent,
                role: role.to_string(),
                resources: offered,
            },
        );
        offer
    }

    /// Removes an offer and returns its resources to the agent's free pool.
    pub(crate) fn take_offer(&mut self, offer_id: &str) -> Option<OfferRecord> {
        let offer = self.master.offers.remove(offer_id)?;
        let slot = &mut self.master.slots[offer.agent];
        slot.offered = res::minus(&slot.offered, &offer.resources);
        if let Some(fw) = self.master.frameworks.get_mut(&offer.framework_id) {
            fw.offers.remove(offer_id);
        }
        Some(offer)
    }

    /// Drops every offer of a framework (RESCIND events only when asked: a resubscribing or
    /// disconnected framework gets none, as from Mesos).
    pub(crate) fn rescind_all_offers(&mut self, fid: &str, send_rescind: bool) {
        let ids: Vec<String> = self
            .master
            .frameworks
            .get(fid)
            .map(|f| f.offers.iter().cloned().collect())
            .unwrap_or_default();
        for id in ids {
            self.take_offer(&id);
            if send_rescind {
                if let Some(fw) = self.master.frameworks.get(fid) {
                    fw.send(&Event {
                        r#type: Some(event::Type::Rescind as i32),
                        rescind: Some(event::Rescind {
                            offer_id: m::OfferId { value: id },
                        }),
                        ..Default::default()
                    });
                }
            }
        }
        if !self.stopping {
            self.ctx.allocate();
        }
    }

    /// Adds a filter for resources a framework left unused.
    pub(super) fn add_filter(
        &mut self,
        fid: &str,
        agent: usize,
        role: &str,
        resources: Resources,
        seconds: f64,
    ) {
        if seconds <= 0.0 || resources.is_empty() {
            return;
        }
        if let Some(fw) = self.master.frameworks.get_mut(fid) {
            fw.filters.push(Filter {
                agent,
                role: role.to_string(),
                resources,
                until: Instant::now() + Duration::from_secs_f64(seconds),
            });
        }
    }

    /// DECLINE: the offers' resources go back, filtered from this framework for a while.
    pub(crate) fn decline(
        &mut self,
        fid: &str,
        offer_ids: &[m::OfferId],
        filters: &Option<m::Filters>,
    ) {
        let seconds = refuse_seconds(filters);
        for id in offer_ids {
            let owned = self
                .master
                .offers
                .get(&id.value)
                .is_some_and(|o| o.framework_id == fid);
            if !owned {
                continue;
            }
            if let Some(offer) = self.take_offer(&id.value) {
                self.add_filter(fid, offer.agent, &offer.role, offer.resources, seconds);
            }
        }
    }

    /// REVIVE: the roles (all when empty) are unsuppressed and their filters cleared.
    pub(crate) fn revive(&mut self, fid: &str, roles: &[String]) {
        if let Some(fw) = self.master.frameworks.get_mut(fid) {
            let roles: Vec<String> = if roles.is_empty() {
                fw.roles()
            } else {
                roles.to_vec()
            };
            fw.filters.retain(|f| !roles.contains(&f.role));
            for r in &roles {
                fw.suppressed.remove(r);
            }
        }
        self.ctx.allocate();
    }

    /// SUPPRESS: no more offers for the roles (all when empty) until REVIVE.
    pub(crate) fn suppress(&mut self, fid: &str, roles: &[String]) {
        if let Some(fw) = self.master.frameworks.get_mut(fid) {
            let roles: Vec<String> = if roles.is_empty() {
                fw.roles()
            } else {
                roles.to_vec()
            };
            fw.suppressed.extend(roles);
        }
    }
}
