//! SUBSCRIBE, resubscription and failover, disconnection with its failover timeout, TEARDOWN and
//! framework removal, UPDATE_FRAMEWORK.

use std::collections::BTreeSet;
use std::time::Duration;

use hyper::StatusCode;

use super::framework::{has_capability, is_terminal, Framework, Subscription};
use crate::local::http::body::{self, ChannelBody};
use crate::local::http::{EventSink, Media, Reply};
use crate::local::ids;
use crate::local::world::World;
use crate::proto::mesos as m;
use crate::proto::mesos::framework_info::capability::Type as Cap;
use crate::proto::mesos::scheduler::{call, event, Event};

const EVENT: &str = "mesos.v1.scheduler.Event";

/// The longest failover timeout honoured (a year), so the timer never overflows.
const MAX_FAILOVER: f64 = 365.0 * 86_400.0;

fn error_event(message: &str) -> Event {
    Event {
        r#type: Some(event::Type::Error as i32),
        error: Some(event::Error {
            message: message.to_string(),
        }),
        ..Default::default()
    }
}

/// The 200 streaming response of a subscription.
fn stream_reply(
    media: Media,
    stream_id: &str,
    rx: tokio::sync::mpsc::UnboundedReceiver<bytes::Bytes>,
) -> Reply {
    use http_body_util::BodyExt;
    body::with_headers(
        StatusCode::OK,
        &[
            ("Content-Type", media.content_type()),
            ("Mesos-Stream-Id", stream_id),
        ],
        ChannelBody(rx).boxed(),
    )
}

fn valid_role(role: &str) -> Option<String> {
    if role.is_empty() {
        return Some("Empty role name is invalid".into());
    }
    if role == "*" {
        return None;
    }
    if role.starts_with('/') || role.ends_with('/') {
        return Some(format!("Role '{role}' cannot start or end with '/'"));
    }
    for part in role.split('/') {
        if part.is_empty() || part == "." || part == ".." || part.starts_with('-') || part == "*" {
            return Some(format!("Role '{role}' has an invalid component '{part}'"));
        }
        if part
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || c == '\\')
        {
            return Some(format!(
                "Role '{role}' cannot contain whitespace, control characters or '\\'"
            ));
        }
    }
    None
}

/// The master's checks of a FrameworkInfo (errors become an ERROR event).
#[allow(deprecated)]
pub(super) fn framework_error(info: &m::FrameworkInfo, suppressed: &[String]) -> Option<String> {
    let multi = has_capability(info, Cap::MultiRole);
    if multi && info.role.is_some() {
        return Some(
            "'FrameworkInfo.role' must not be set when the framework is MULTI_ROLE capable".into(),
        );
    }
    if !multi && !info.roles.is_empty() {
        return Some(
            "'FrameworkInfo.roles' must not be set when the framework is not MULTI_ROLE capable"
                .into(),
        );
    }
    let roles: Vec<String> = if multi {
        info.roles.clone()
    } else {
        vec![info.role.clone().unwrap_or_else(|| "*".into())]
    };
    if let Some(e) = roles.iter().find_map(|r| valid_role(r)) {
        return Some(e);
    }
    if let Some(r) = suppressed.iter().find(|r| !roles.contains(r)) {
        return Some(format!(
            "Suppressed role '{r}' is not contained in the list of roles"
        ));
    }
    if let Some(t) = info.failover_timeout {
        if !t.is_finite() {
            return Some(format!("The framework failover_timeout ({t}) is invalid"));
        }
    }
    if let Some(id) = &info.id {
        if let Some(e) = ids::id_error(&id.value) {
            return Some(format!("'FrameworkInfo.id' is invalid: {e}"));
        }
    }
    None
}

impl World {
    /// SUBSCRIBE: a 200 stream whose first event is SUBSCRIBED (then HEARTBEAT and offers), or
    /// a single ERROR before the stream closes.
    pub(crate) fn subscribe(&mut self, sub: call::Subscribe, media: Media) -> Reply {
        let stream_id = ids::uuid();
        let (sink, rx) = EventSink::new(media);
        let reply = stream_reply(media, &stream_id, rx);
        let mut info = sub.framework_info;
        if let Some(err) = framework_error(&info, &sub.suppressed_roles) {
            sink.send(&error_event(&err), EVENT);
            sink.close();
            return reply;
        }
        let requested = info
            .id
            .as_ref()
            .map(|i| i.value.clone())
            .filter(|v| !v.is_empty());
        if let Some(id) = &requested {
            if self.master.removed.contains(id) {
                sink.send(&error_event("Framework has been removed"), EVENT);
                sink.close();
                return reply;
            }
        }
        let id = requested.unwrap_or_else(|| self.master.new_framework_id());
        info.id = Some(m::FrameworkId { value: id.clone() });
        let resubscribe = self.master.frameworks.contains_key(&id);
        if resubscribe {
            self.rescind_all_offers(&id, false);
        }
        let fw = self
            .master
            .frameworks
            .entry(id.clone())
            .or_insert_with(|| Framework::new(id.clone(), info.clone()));
        if let Some(old) = fw.sub.take() {
            old.sink.send(&error_event("Framework failed over"), EVENT);
            old.sink.close();
        }
        fw.info = info.clone();
        fw.suppressed = sub
            .suppressed_roles
            .iter()
            .cloned()
            .collect::<BTreeSet<_>>();
        fw.epoch += 1;
        fw.unregistered_time = 0.0;
        fw.sub = Some(Subscription {
            stream_id,
            sink: sink.clone(),
        });
        let epoch = fw.epoch;
        let heartbeat = self.ctx.settings.heartbeat_interval;
        sink.send(
            &Event {
                r#type: Some(event::Type::Subscribed as i32),
                subscribed: Some(event::Subscribed {
                    framework_id: m::FrameworkId { value: id.clone() },
                    heartbeat_interval_seconds: Some(heartbeat.as_secs_f64()),
                    master_info: Some(self.master.info.clone()),
                }),
                ..Default::default()
            },
            EVENT,
        );
        let beat = Event {
            r#type: Some(event::Type::Heartbeat as i32),
            ..Default::default()
        };
        sink.send(&beat, EVENT);
        let beats = sink.clone();
        self.ctx.runtime.spawn(async move {
            loop {
                tokio::select! {
                    _ = tokio::time::sleep(heartbeat) => {
                        if !beats.send(&beat, EVENT) {
                            return;
                        }
                    }
                    _ = beats.closed() => return,
                }
            }
        });
        let watched = sink;
        let fid = id.clone();
        self.ctx
            .when(async move { watched.closed().await }, move |w, ()| {
                w.framework_disconnected(&fid, epoch)
            });
        self.agents_framework_updated(&id, &info);
        self.ctx.allocate();
        reply
    }

    /// The subscription stream closed: deactivate, drop its offers, start the failover timeout.
    pub(crate) fn framework_disconnected(&mut self, id: &str, epoch: u64) {
        let Some(fw) = self.master.frameworks.get_mut(id) else {
            return;
        };
        if fw.epoch != epoch || fw.sub.is_none() {
            return;
        }
        fw.sub = None;
        fw.epoch += 1;
        fw.unregistered_time = ids::now();
        let epoch = fw.epoch;
        let timeout = fw.info.failover_timeout.unwrap_or(0.0);
        self.rescind_all_offers(id, false);
        if self.stopping {
            return;
        }
        if timeout.is_nan() || timeout <= 0.0 {
            self.remove_framework(id);
            return;
        }
        let fid = id.to_string();
        self.ctx.after(
            Duration::from_secs_f64(timeout.min(MAX_FAILOVER)),
            move |w| {
                let expired = w
                    .master
                    .frameworks
                    .get(&fid)
                    .is_some_and(|f| f.epoch == epoch && f.sub.is_none());
                if expired {
                    w.remove_framework(&fid);
                }
            },
        );
    }

    /// TEARDOWN, or the failover timeout expired: kill everything, forget the framework for good.
    pub(crate) fn remove_framework(&mut self, id: &str) {
        self.rescind_all_offers(id, false);
        let Some(mut fw) = self.master.frameworks.remove(id) else {
            return;
        };
        if let Some(sub) = fw.sub.take() {
            sub.sink.close();
        }
        fw.unregistered_time = ids::now();
        for task_id in std::mem::take(&mut fw.task_order) {
            let Some(mut task) = fw.tasks.remove(&task_id) else {
                continue;
            };
            if !task.released {
                task.released = true;
                let slot = &mut self.master.slots[task.agent];
                slot.used = crate::local::resources::minus(&slot.used, &task.resources);
            }
            if !is_terminal(task.state) {
                task.state = m::TaskState::TaskKilled as i32;
            }
            fw.push_completed(task);
        }
        for ((agent, _), (_, resources)) in fw.executors.drain() {
            let slot = &mut self.master.slots[agent];
            slot.used = crate::local::resources::minus(&slot.used, &resources);
        }
        fw.filters.clear();
        self.agents_shutdown_framework(id);
        self.master.retire(fw);
        self.ctx.allocate();
    }

    /// UPDATE_FRAMEWORK: new info and suppressed roles (200), or the 400 a master gives.
    pub(crate) fn update_framework(
        &mut self,
        id: &str,
        update: call::UpdateFramework,
    ) -> Result<(), String> {
        let info = update.framework_info;
        if info.id.as_ref().map(|i| i.value.as_str()) != Some(id) {
            return Err("'framework_id' differs from 'update_framework.framework_info.id'".into());
        }
        if let Some(err) = framework_error(&info, &update.suppressed_roles) {
            return Err(err);
        }
        let Some(fw) = self.master.frameworks.get_mut(id) else {
            return Err("Framework cannot be found".into());
        };
        if fw.info.principal != info.principal {
            return Err("Changing framework's principal is not allowed.".into());
        }
        fw.info = info.clone();
        fw.suppressed = update.suppressed_roles.into_iter().collect();
        let roles = fw.roles();
        fw.filters.retain(|f| roles.contains(&f.role));
        self.agents_framework_updated(id, &info);
        self.ctx.allocate();
        Ok(())
    }
}
