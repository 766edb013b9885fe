//! `POST /api/v1/executor`: the checks of the agent's `Http::executor` with its texts (405,
//! content type, parse, `Failed to validate Executor::Call: ...`, 400 unknown framework or
//! executor, 403 not subscribed), then SUBSCRIBE (SUBSCRIBED, then queued LAUNCH events), UPDATE
//! (202 and ACKNOWLEDGED once the update is in the status update manager), MESSAGE, HEARTBEAT.

use http_body_util::BodyExt;
use hyper::{Method, StatusCode};

use super::launch::EXECUTOR_EVENT;
use super::ExecState;
use crate::local::http::body::{self, ChannelBody, Reply};
use crate::local::http::{codec, media, EventSink, Media, Req};
use crate::local::ids;
use crate::local::world::{Shared, World};
use crate::proto::mesos as m;
use crate::proto::mesos::executor::call::Type;
use crate::proto::mesos::executor::{call, event, Call, Event};
use crate::proto::mesos::task_status::Source;

/// `validation::executor::call::validate`.
fn validate(call: &Call) -> Result<Type, String> {
    let Some(t) = call.r#type.and_then(|t| Type::try_from(t).ok()) else {
        return Err("Expecting 'type' to be present".into());
    };
    let who = format!(
        "executor {} of framework {}",
        call.executor_id.value, call.framework_id.value
    );
    match t {
        Type::Subscribe if call.subscribe.is_none() => {
            Err("Expecting 'subscribe' to be present".into())
        }
        Type::Message if call.message.is_none() => Err("Expecting 'message' to be present".into()),
        Type::Update => {
            let Some(update) = &call.update else {
                return Err("Expecting 'update' to be present".into());
            };
            let status = &update.status;
            let Some(uuid) = &status.uuid else {
                return Err("Expecting 'uuid' to be present".into());
            };
            if !ids::valid_uuid(uuid) {
                return Err("Not a valid UUID".into());
            }
            if let Some(e) = &status.executor_id {
                if e.value != call.executor_id.value {
                    return Err(format!(
                        "ExecutorID in Call: {} does not match ExecutorID in TaskStatus: {}",
                        call.executor_id.value, e.value
                    ));
                }
            }
            if status.source != Some(Source::Executor as i32) {
                return Err(format!(
                    "Received Call from {who} with invalid source, expecting 'SOURCE_EXECUTOR'"
                ));
            }
            if status.state == m::TaskState::TaskStaging as i32 {
                return Err(format!(
                    "Received TASK_STAGING from {who} which is not allowed"
                ));
            }
            Ok(t)
        }
        _ => Ok(t),
    }
}

/// Answers one request to an agent's executor endpoint.
pub(crate) fn handle(shared: &Shared, agent: usize, req: Req) -> Reply {
    if req.method != Method::POST {
        return body::method_not_allowed(&req.method);
    }
    let media = match media::request_media(&req.headers) {
        Ok(m) => m,
        Err(reply) => return *reply,
    };
    let call: Call = match codec::decode(media, &req.body, "mesos.v1.executor.Call", "Call") {
        Ok(c) => c,
        Err(e) => return body::bad_request(e),
    };
    let t = match validate(&call) {
        Ok(t) => t,
        Err(e) => return body::bad_request(format!("Failed to validate Executor::Call: {e}")),
    };
    if t == Type::Heartbeat {
        return body::empty(StatusCode::ACCEPTED);
    }
    let accept = if t == Type::Subscribe {
        match media::response_media(&req.headers) {
            Ok(m) => Some(m),
            Err(reply) => return *reply,
        }
    } else {
        None
    };
    let (fid, eid) = (
        call.framework_id.value.clone(),
        call.executor_id.value.clone(),
    );
    let mut world = shared.lock();
    let Some(af) = world.agents[agent].frameworks.get(&fid) else {
        return body::bad_request("Framework cannot be found");
    };
    let Some(ex) = af.executors.get(&eid) else {
        return body::bad_request("Executor cannot be found");
    };
    let subscribed = ex.sink.is_some() && ex.state != ExecState::Registering;
    match t {
        Type::Subscribe => {
            let sub = call.subscribe.unwrap_or_default();
            world.executor_subscribe(agent, &fid, &eid, sub, accept.unwrap_or(Media::Json))
        }
        Type::Update if !subscribed => {
            body::text(StatusCode::FORBIDDEN, "Executor is not subscribed")
        }
        Type::Update => {
            let Some(update) = call.update else {
                return body::empty(StatusCode::ACCEPTED);
            };
            let status = update.status;
            let ack = event::Acknowledged {
                task_id: status.task_id.clone(),
                uuid: status.uuid.clone().unwrap_or_default(),
            };
            world.agent_status(agent, &fid, status);
            if let Some(sink) = world.agents[agent]
                .executor(&fid, &eid)
                .and_then(|e| e.sink.as_ref())
            {
                sink.send(
                    &Event {
                        r#type: Some(event::Type::Acknowledged as i32),
                        acknowledged: Some(ack),
                        ..Default::default()
                    },
                    EXECUTOR_EVENT,
                );
            }
            body::empty(StatusCode::ACCEPTED)
        }
        Type::Message if !subscribed => {
            body::text(StatusCode::FORBIDDEN, "Executor is not subscribed")
        }
        Type::Message => {
            let data = call.message.map(|m| m.data).unwrap_or_default();
            world.executor_message(agent, &fid, &eid, data);
            body::empty(StatusCode::ACCEPTED)
        }
        Type::Unknown => body::text(StatusCode::NOT_IMPLEMENTED, "Received 'UNKNOWN' call"),
        Type::Heartbeat => body::empty(StatusCode::ACCEPTED),
    }
}

impl World {
    /// An executor subscribes: SUBSCRIBED, its unacknowledged updates taken again, then its
    /// queued tasks. An executor being shut down gets SHUTDOWN instead.
    fn executor_subscribe(
        &mut self,
        agent: usize,
        fid: &str,
        eid: &str,
        sub: call::Subscribe,
        media: Media,
    ) -> Reply {
        let (sink, rx) = EventSink::new(media);
        let reply = body::with_headers(
            StatusCode::OK,
            &[("Content-Type", media.content_type())],
            ChannelBody(rx).boxed(),
        );
        let agent_info = self.agents[agent].info.clone();
        let Some(af) = self.agents[agent].frameworks.get_mut(fid) else {
            return reply;
        };
        let mut framework_info = af.info.clone();
        framework_info.checkpoint.get_or_insert(false);
        let Some(ex) = af.executors.get_mut(eid) else {
            return reply;
        };
        if matches!(ex.state, ExecState::Terminating | ExecState::Terminated) {
            sink.send(
                &Event {
                    r#type: Some(event::Type::Shutdown as i32),
                    ..Default::default()
                },
                EXECUTOR_EVENT,
            );
            sink.close();
            return reply;
        }
        if let Some(old) = ex.sink.replace(sink.clone()) {
            old.close();
        }
        ex.state = ExecState::Running;
        ex.epoch += 1;
        let epoch = ex.epoch;
        sink.send(
            &Event {
                r#type: Some(event::Type::Subscribed as i32),
                subscribed: Some(event::Subscribed {
                    executor_info: ex.info.clone(),
                    framework_info,
                    agent_info,
                    container_id: Some(m::ContainerId {
                        value: ex.container_id.clone(),
                        parent: None,
                    }),
                }),
                ..Default::default()
            },
            EXECUTOR_EVENT,
        );
        for update in sub.unacknowledged_updates {
            let status = update.status;
            let seen = status.uuid.as_ref().is_some_and(|u| {
                self.agents[agent]
                    .updates
                    .seen(fid, &status.task_id.value, u)
            });
            if !seen {
                self.agent_status(agent, fid, status);
            }
        }
        self.deliver_queued(agent, fid, eid);
        let (f, e) = (fid.to_string(), eid.to_string());
        self.ctx
            .when(async move { sink.closed().await }, move |w, ()| {
                if let Some(ex) = w.agents[agent].executor_mut(&f, &e) {
                    if ex.epoch == epoch {
                        ex.sink = None;
                    }
                }
            });
        reply
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn update(status: m::TaskStatus) -> Call {
        Call {
            executor_id: m::ExecutorId { value: "e".into() },
            framework_id: m::FrameworkId { value: "f".into() },
            r#type: Some(Type::Update as i32),
            update: Some(call::Update { status }),
            ..Default::default()
        }
    }

    #[test]
    fn update_validation_texts() {
        let good = m::TaskStatus {
            task_id: m::TaskId { value: "t".into() },
            state: m::TaskState::TaskRunning as i32,
            source: Some(Source::Executor as i32),
            uuid: Some(ids::uuid_bytes().to_vec()),
            ..Default::default()
        };
        assert!(validate(&update(good.clone())).is_ok());
        let mut s = good.clone();
        s.uuid = Some(b"0f8fad5b-d9cb-469f-a165-70867728950e".to_vec());
        assert_eq!(validate(&update(s)).unwrap_err(), "Not a valid UUID");
        let mut s = good.clone();
        s.uuid = None;
        assert_eq!(
            validate(&update(s)).unwrap_err(),
            "Expecting 'uuid' to be present"
        );
        let mut s = good.clone();
        s.state = m::TaskState::TaskStaging as i32;
        assert_eq!(
            validate(&update(s)).unwrap_err(),
            "Received TASK_STAGING from executor e of framework f which is not allowed"
        );
        let mut s = good.clone();
        s.source = Some(Source::Master as i32);
        assert!(validate(&update(s))
            .unwrap_err()
            .contains("expecting 'SOURCE_EXECUTOR'"));
        let mut s = good;
        s.executor_id = Some(m::ExecutorId { value: "x".into() });
        assert_eq!(
            validate(&update(s)).unwrap_err(),
            "ExecutorID in Call: e does not match ExecutorID in TaskStatus: x"
        );
    }
}
