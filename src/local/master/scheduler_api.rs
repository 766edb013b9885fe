//! `POST /api/v1/scheduler`: the checks of `Master::Http::scheduler` in its order and with its
//! texts (405, 400/415 content type, 400 parse and validation, 406, Mesos-Stream-Id rules, 400
//! unknown framework, 403 not subscribed), then the call itself.

use hyper::{Method, StatusCode};

use crate::local::http::body::{self, Reply};
use crate::local::http::{codec, media, Req};
use crate::local::ids;
use crate::local::world::Shared;
use crate::proto::mesos::scheduler::call::Type;
use crate::proto::mesos::scheduler::Call;

const STREAM_ID: &str = "Mesos-Stream-Id";

/// `validation::scheduler::call::validate`.
fn validate(call: &Call) -> Result<Type, String> {
    let Some(t) = call.r#type.and_then(|t| Type::try_from(t).ok()) else {
        return Err("Expecting 'type' to be present".into());
    };
    if t == Type::Subscribe {
        let Some(sub) = &call.subscribe else {
            return Err("Expecting 'subscribe' to be present".into());
        };
        let info_id = sub.framework_info.id.as_ref().map(|i| i.value.as_str());
        let call_id = call.framework_id.as_ref().map(|i| i.value.as_str());
        if (info_id.is_some() || call_id.is_some()) && info_id != call_id {
            return Err("'framework_id' differs from 'subscribe.framework_info.id'".into());
        }
        return Ok(t);
    }
    if call.framework_id.is_none() {
        return Err("Expecting 'framework_id' to be present".into());
    }
    let body = |present: bool, name: &str| {
        if present {
            Ok(())
        } else {
            Err(format!("Expecting '{name}' to be present"))
        }
    };
    match t {
        Type::Accept => body(call.accept.is_some(), "accept")?,
        Type::Decline => body(call.decline.is_some(), "decline")?,
        Type::AcceptInverseOffers => body(
            call.accept_inverse_offers.is_some(),
            "accept_inverse_offers",
        )?,
        Type::DeclineInverseOffers => body(
            call.decline_inverse_offers.is_some(),
            "decline_inverse_offers",
        )?,
        Type::Kill => body(call.kill.is_some(), "kill")?,
        Type::Shutdown => body(call.shutdown.is_some(), "shutdown")?,
        Type::Acknowledge => {
            body(call.acknowledge.is_some(), "acknowledge")?;
            if !call
                .acknowledge
                .as_ref()
                .is_some_and(|a| ids::valid_uuid(&a.uuid))
            {
                return Err("Not a valid UUID".into());
            }
        }
        Type::AcknowledgeOperationStatus => body(
            call.acknowledge_operation_status.is_some(),
            "acknowledge_operation_status",
        )?,
        Type::Reconcile => body(call.reconcile.is_some(), "reconcile")?,
        Type::ReconcileOperations => {
            body(call.reconcile_operations.is_some(), "reconcile_operations")?
        }
        Type::Message => body(call.message.is_some(), "message")?,
        Type::Request => body(call.request.is_some(), "request")?,
        Type::UpdateFramework => body(call.update_framework.is_some(), "update_framework")?,
        _ => {}
    }
    Ok(t)
}

/// Answers one request to the scheduler endpoint.
pub(crate) fn handle(shared: &Shared, req: Req) -> Reply {
    if req.method != Method::POST {
        return body::method_not_allowed(&req.method);
    }
    let media = match media::request_media(&req.headers) {
        Ok(m) => m,
        Err(reply) => return *reply,
    };
    let call: Call = match codec::decode(media, &req.body, "mesos.v1.scheduler.Call", "Call") {
        Ok(c) => c,
        Err(e) => return body::bad_request(e),
    };
    let t = match validate(&call) {
        Ok(t) => t,
        Err(e) => return body::bad_request(format!("Failed to validate scheduler::Call: {e}")),
    };
    if t == Type::Subscribe {
        let accept = match media::response_media(&req.headers) {
            Ok(m) => m,
            Err(reply) => return *reply,
        };
        if req.headers.contains_key(STREAM_ID) {
            return body::bad_request(
                "Subscribe calls should not include the 'Mesos-Stream-Id' header",
            );
        }
        let Some(sub) = call.subscribe else {
            return body::bad_request(
                "Failed to validate scheduler::Call: Expecting 'subscribe' to be present",
            );
        };
        return shared.lock().subscribe(sub, accept);
    }
    let fid = call.framework_id.clone().unwrap_or_default().value;
    let mut world = shared.lock();
    let Some(fw) = world.master.frameworks.get(&fid) else {
        return body::bad_request("Framework cannot be found");
    };
    let Some(sub) = &fw.sub else {
        return body::text(StatusCode::FORBIDDEN, "Framework is not subscribed");
    };
    let Some(stream_id) = req.headers.get(STREAM_ID) else {
        return body::bad_request(
            "All non-subscribe calls should include the 'Mesos-Stream-Id' header",
        );
    };
    if stream_id.as_bytes() != sub.stream_id.as_bytes() {
        return body::bad_request(format!(
            "The stream ID '{}' included in this request didn't match the stream ID currently \
             associated with framework ID {fid}",
            String::from_utf8_lossy(stream_id.as_bytes())
        ));
    }
    let accepted = || body::empty(StatusCode::ACCEPTED);
    match t {
        Type::Teardown => world.remove_framework(&fid),
        Type::Accept => {
            if let Some(a) = call.accept {
                world.accept(&fid, a);
            }
        }
        Type::Decline => {
            if let Some(d) = call.decline {
                world.decline(&fid, &d.offer_ids, &d.filters);
            }
        }
        Type::Revive => {
            let roles = call.revive.map(|r| r.roles).unwrap_or_default();
            world.revive(&fid, &roles);
        }
        Type::Suppress => {
            let roles = call.suppress.map(|r| r.roles).unwrap_or_default();
            world.suppress(&fid, &roles);
        }
        Type::Kill => {
            if let Some(k) = call.kill {
                world.kill(&fid, k);
            }
        }
        Type::Shutdown => {
            if let Some(s) = call.shutdown {
                world.shutdown_call(&fid, &s);
            }
        }
        Type::Acknowledge => {
            if let Some(a) = call.acknowledge {
                world.acknowledge(&fid, &a);
            }
        }
        Type::Reconcile => {
            let tasks = call.reconcile.map(|r| r.tasks).unwrap_or_default();
            world.reconcile(&fid, &tasks);
        }
        Type::Message => {
            if let Some(m) = call.message {
                world.scheduler_message(&fid, m);
            }
        }
        Type::UpdateFramework => {
            let Some(u) = call.update_framework else {
                return accepted();
            };
            return match world.update_framework(&fid, u) {
                Ok(()) => body::empty(StatusCode::OK),
                Err(e) => body::bad_request(e),
            };
        }
        Type::Unknown => {
            return body::text(StatusCode::NOT_IMPLEMENTED, "Received 'UNKNOWN' call");
        }
        // Inverse offers (maintenance), operation feedback and REQUEST have nothing to act on.
        Type::AcceptInverseOffers
        | Type::DeclineInverseOffers
        | Type::AcknowledgeOperationStatus
        | Type::ReconcileOperations
        | Type::Request
        | Type::Subscribe => {}
    }
    accepted()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::mesos as m;
    use crate::proto::mesos::scheduler::call;

    #[test]
    fn validation_texts() {
        let none = Call::default();
        assert_eq!(
            validate(&none).unwrap_err(),
            "Expecting 'type' to be present"
        );
        let accept = Call {
            r#type: Some(Type::Accept as i32),
            framework_id: Some(m::FrameworkId { value: "f".into() }),
            ..Default::default()
        };
        assert_eq!(
            validate(&accept).unwrap_err(),
            "Expecting 'accept' to be present"
        );
        let ack = Call {
            r#type: Some(Type::Acknowledge as i32),
            framework_id: Some(m::FrameworkId { value: "f".into() }),
            acknowledge: Some(call::Acknowledge {
                uuid: b"abc".to_vec(),
                ..Default::default()
            }),
            ..Default::default()
        };
        assert_eq!(validate(&ack).unwrap_err(), "Not a valid UUID");
        let sub = Call {
            r#type: Some(Type::Subscribe as i32),
            framework_id: Some(m::FrameworkId { value: "x".into() }),
            subscribe: Some(call::Subscribe::default()),
            ..Default::default()
        };
        assert_eq!(
            validate(&sub).unwrap_err(),
            "'framework_id' differs from 'subscribe.framework_info.id'"
        );
    }
}
