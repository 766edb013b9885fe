//! Builders for every scheduler `Call`, and the checks a call must pass before it is sent.
//!
//! Builders leave `Call.framework_id` unset: the driver fills it in from the subscription, so a
//! call can never carry a stale or foreign framework id.

use crate::proto::mesos as m;
use crate::proto::mesos::framework_info::capability::Type as Capability;
use crate::proto::mesos::offer::operation::Type as OpType;
use crate::proto::mesos::offer::{operation, Operation};
use crate::proto::mesos::scheduler::call::{self, Type};
use crate::proto::mesos::scheduler::Call;

use super::error::DriverError;

fn invalid(msg: impl Into<String>) -> DriverError {
    DriverError::InvalidCall(msg.into())
}

fn bare(t: Type) -> Call {
    Call {
        r#type: Some(t as i32),
        ..Default::default()
    }
}

/// The call's type, or `UNKNOWN` for a value this build does not know.
pub fn call_type(call: &Call) -> Type {
    call.r#type
        .and_then(|t| Type::try_from(t).ok())
        .unwrap_or(Type::Unknown)
}

/// Checks a `FrameworkInfo` the way the master would, so a bad one never leaves the process.
// `role` is deprecated in the protocol, but must still be checked against `roles`.
#[allow(deprecated)]
pub fn validate_framework_info(info: &m::FrameworkInfo) -> Result<(), DriverError> {
    if info.user.is_empty() {
        return Err(invalid(
            "FrameworkInfo.user must be set (the HTTP API has no default)",
        ));
    }
    if info.name.is_empty() {
        return Err(invalid("FrameworkInfo.name must be set"));
    }
    let multi_role = info
        .capabilities
        .iter()
        .any(|c| c.r#type == Some(Capability::MultiRole as i32));
    if multi_role && info.role.is_some() {
        return Err(invalid(
            "FrameworkInfo.role must not be set with the MULTI_ROLE capability; use roles",
        ));
    }
    if !multi_role && !info.roles.is_empty() {
        return Err(invalid(
            "FrameworkInfo.roles requires the MULTI_ROLE capability (or use role)",
        ));
    }
    if let Some(t) = info.failover_timeout {
        if !t.is_finite() || t < 0.0 {
            return Err(invalid(format!(
                "failover_timeout {t} is not a finite number >= 0"
            )));
        }
    }
    if let Some(id) = &info.id {
        validate_id("FrameworkInfo.id", &id.value)?;
    }
    Ok(())
}

/// Mesos's id rules: non-empty, at most 255 bytes, not `.`/`..`, no `/`, `\` or control chars.
pub fn validate_id(what: &str, id: &str) -> Result<(), DriverError> {
    if id.is_empty() || id.len() > 255 || id == "." || id == ".." {
        return Err(invalid(format!(
            "{what} {id:?} is empty, too long, '.' or '..'"
        )));
    }
    if id.chars().any(|c| c == '/' || c == '\\' || c.is_control()) {
        return Err(invalid(format!(
            "{what} {id:?} holds '/', '\\' or a control character"
        )));
    }
    Ok(())
}

/// SUBSCRIBE. With a known framework id (resubscription) both `Call.framework_id` and
/// `framework_info.id` carry it; a `framework_info.id` that disagrees is refused.
#[allow(deprecated)]
pub fn subscribe(
    mut framework_info: m::FrameworkInfo,
    framework_id: Option<&m::FrameworkId>,
    suppressed_roles: Vec<String>,
) -> Result<Call, DriverError> {
    // An empty id is the same as none to the master.
    if framework_info
        .id
        .as_ref()
        .is_some_and(|id| id.value.is_empty())
    {
        framework_info.id = None;
    }
    let id = match (framework_id, &framework_info.id) {
        (Some(a), Some(b)) if a != b => {
            return Err(invalid(format!(
                "framework id {:?} differs from FrameworkInfo.id {:?}",
                a.value, b.value
            )))
        }
        (Some(a), _) => Some(a.clone()),
        (None, b) => b.clone(),
    };
    framework_info.id = id.clone();
    validate_framework_info(&framework_info)?;
    let roles: Vec<&String> = if framework_info.roles.is_empty() {
        framework_info.role.iter().collect()
    } else {
        framework_info.roles.iter().collect()
    };
    if let Some(r) = suppressed_roles.iter().find(|r| !roles.contains(r)) {
        return Err(invalid(format!(
            "suppressed role {r:?} is not one of the framework's roles"
        )));
    }
    Ok(Call {
        framework_id: id,
        subscribe: Some(call::Subscribe {
            framework_info,
            suppressed_roles,
            offer_constraints: None,
        }),
        ..bare(Type::Subscribe)
    })
}

/// TEARDOWN: removes the framework for good (its id can never be used again).
pub fn teardown() -> Call {
    bare(Type::Teardown)
}

/// ACCEPT with any operations; offered resources not used count as declined with `filters`.
pub fn accept(
    offer_ids: Vec<m::OfferId>,
    operations: Vec<Operation>,
    filters: Option<m::Filters>,
) -> Call {
    Call {
        accept: Some(call::Accept {
            offer_ids,
            operations,
            filters,
        }),
        ..bare(Type::Accept)
    }
}

/// ACCEPT with one LAUNCH of `tasks`.
pub fn launch(
    offer_ids: Vec<m::OfferId>,
    tasks: Vec<m::TaskInfo>,
    filters: Option<m::Filters>,
) -> Call {
    accept(offer_ids, vec![launch_operation(tasks)], filters)
}

/// A LAUNCH operation.
pub fn launch_operation(tasks: Vec<m::TaskInfo>) -> Operation {
    Operation {
        r#type: Some(OpType::Launch as i32),
        launch: Some(operation::Launch { task_infos: tasks }),
        ..Default::default()
    }
}

/// A LAUNCH_GROUP operation: `tasks` run together under the (default) `executor`.
pub fn launch_group_operation(executor: m::ExecutorInfo, tasks: Vec<m::TaskInfo>) -> Operation {
    Operation {
        r#type: Some(OpType::LaunchGroup as i32),
        launch_group: Some(operation::LaunchGroup {
            executor,
            task_group: m::TaskGroupInfo { tasks },
        }),
        ..Default::default()
    }
}

/// ACCEPT with one LAUNCH_GROUP.
pub fn launch_group(
    offer_ids: Vec<m::OfferId>,
    executor: m::ExecutorInfo,
    tasks: Vec<m::TaskInfo>,
    filters: Option<m::Filters>,
) -> Call {
    accept(
        offer_ids,
        vec![launch_group_operation(executor, tasks)],
        filters,
    )
}

/// `Filters { refuse_seconds }`.
pub fn refuse_for(seconds: f64) -> m::Filters {
    m::Filters {
        refuse_seconds: Some(seconds),
    }
}

/// DECLINE.
pub fn decline(offer_ids: Vec<m::OfferId>, filters: Option<m::Filters>) -> Call {
    Call {
        decline: Some(call::Decline { offer_ids, filters }),
        ..bare(Type::Decline)
    }
}

/// ACCEPT_INVERSE_OFFERS.
pub fn accept_inverse_offers(ids: Vec<m::OfferId>, filters: Option<m::Filters>) -> Call {
    Call {
        accept_inverse_offers: Some(call::AcceptInverseOffers {
            inverse_offer_ids: ids,
            filters,
        }),
        ..bare(Type::AcceptInverseOffers)
    }
}

/// DECLINE_INVERSE_OFFERS.
pub fn decline_inverse_offers(ids: Vec<m::OfferId>, filters: Option<m::Filters>) -> Call {
    Call {
        decline_inverse_offers: Some(call::DeclineInverseOffers {
            inverse_offer_ids: ids,
            filters,
        }),
        ..bare(Type::DeclineInverseOffers)
    }
}

/// REVIVE the given roles (all roles when empty); also clears their offer filters.
pub fn revive(roles: Vec<String>) -> Call {
    Call {
        revive: Some(call::Revive { roles }),
        ..bare(Type::Revive)
    }
}

/// SUPPRESS offers for the given roles (all roles when empty).
pub fn suppress(roles: Vec<String>) -> Call {
    Call {
        suppress: Some(call::Suppress { roles }),
        ..bare(Type::Suppress)
    }
}

/// KILL a task.
pub fn kill(
    task_id: m::TaskId,
    agent_id: Option<m::AgentId>,
    kill_policy: Option<m::KillPolicy>,
) -> Call {
    Call {
        kill: Some(call::Kill {
            task_id,
            agent_id,
            kill_policy,
        }),
        ..bare(Type::Kill)
    }
}

/// SHUTDOWN an executor.
pub fn shutdown(executor_id: m::ExecutorId, agent_id: m::AgentId) -> Call {
    Call {
        shutdown: Some(call::Shutdown {
            executor_id,
            agent_id,
        }),
        ..bare(Type::Shutdown)
    }
}

/// ACKNOWLEDGE a status update. Only updates with a uuid may be acknowledged.
pub fn acknowledge(status: &m::TaskStatus) -> Result<Call, DriverError> {
    let Some(uuid) = status.uuid.as_ref().filter(|u| !u.is_empty()) else {
        return Err(DriverError::NoUuid(status.task_id.value.clone()));
    };
    let Some(agent_id) = status.agent_id.clone() else {
        return Err(invalid(format!(
            "status of task {:?} has a uuid but no agent_id",
            status.task_id.value
        )));
    };
    Ok(Call {
        acknowledge: Some(call::Acknowledge {
            agent_id,
            task_id: status.task_id.clone(),
            uuid: uuid.clone(),
        }),
        ..bare(Type::Acknowledge)
    })
}

/// ACKNOWLEDGE_OPERATION_STATUS for an operation status that has a uuid.
pub fn acknowledge_operation_status(status: &m::OperationStatus) -> Result<Call, DriverError> {
    let op = status.operation_id.clone().unwrap_or_default();
    let Some(uuid) = status.uuid.as_ref().filter(|u| !u.value.is_empty()) else {
        return Err(DriverError::NoUuid(op.value));
    };
    if op.value.is_empty() {
        return Err(invalid("operation status without an operation_id"));
    }
    Ok(Call {
        acknowledge_operation_status: Some(call::AcknowledgeOperationStatus {
            agent_id: status.agent_id.clone(),
            resource_provider_id: status.resource_provider_id.clone(),
            uuid: uuid.value.clone(),
            operation_id: op,
        }),
        ..bare(Type::AcknowledgeOperationStatus)
    })
}

/// RECONCILE the given tasks; an empty list asks for every task (implicit reconciliation).
pub fn reconcile(tasks: Vec<(m::TaskId, Option<m::AgentId>)>) -> Call {
    Call {
        reconcile: Some(call::Reconcile {
            tasks: tasks
                .into_iter()
                .map(|(task_id, agent_id)| call::reconcile::Task { task_id, agent_id })
                .collect(),
        }),
        ..bare(Type::Reconcile)
    }
}

/// RECONCILE_OPERATIONS (empty = all).
pub fn reconcile_operations(operations: Vec<call::reconcile_operations::Operation>) -> Call {
    Call {
        reconcile_operations: Some(call::ReconcileOperations { operations }),
        ..bare(Type::ReconcileOperations)
    }
}

/// MESSAGE: bytes to an executor (unreliable).
pub fn message(agent_id: m::AgentId, executor_id: m::ExecutorId, data: Vec<u8>) -> Call {
    Call {
        message: Some(call::Message {
            agent_id,
            executor_id,
            data,
        }),
        ..bare(Type::Message)
    }
}

/// REQUEST resources (ignored by the default allocator).
pub fn request(requests: Vec<m::Request>) -> Call {
    Call {
        request: Some(call::Request { requests }),
        ..bare(Type::Request)
    }
}

/// UPDATE_FRAMEWORK: change roles, capabilities, ... of the subscribed framework.
pub fn update_framework(
    framework_info: m::FrameworkInfo,
    suppressed_roles: Vec<String>,
) -> Result<Call, DriverError> {
    validate_framework_info(&framework_info)?;
    Ok(Call {
        update_framework: Some(call::UpdateFramework {
            framework_info,
            suppressed_roles,
            offer_constraints: None,
        }),
        ..bare(Type::UpdateFramework)
    })
}

/// Checks a non-SUBSCRIBE call before it is sent: a known type whose body is present.
pub fn validate_call(call: &Call) -> Result<(), DriverError> {
    let t = call_type(call);
    let has_body = match t {
        Type::Unknown => return Err(invalid("call type UNKNOWN (or unset)")),
        Type::Subscribe => {
            return Err(invalid(
                "SUBSCRIBE is sent by the driver itself, not as a call",
            ))
        }
        Type::Teardown => true,
        Type::Accept => call.accept.is_some(),
        Type::Decline => call.decline.is_some(),
        Type::AcceptInverseOffers => call.accept_inverse_offers.is_some(),
        Type::DeclineInverseOffers => call.decline_inverse_offers.is_some(),
        Type::Revive => true,
        Type::Suppress => true,
        Type::Kill => call.kill.is_some(),
        Type::Shutdown => call.shutdown.is_some(),
        Type::Acknowledge => call.acknowledge.is_some(),
        Type::AcknowledgeOperationStatus => call.acknowledge_operation_status.is_some(),
        Type::Reconcile => true,
        Type::ReconcileOperations => true,
        Type::Message => call.message.is_some(),
        Type::Request => call.request.is_some(),
        Type::UpdateFramework => call.update_framework.is_some(),
    };
    if !has_body {
        return Err(invalid(format!(
            "{} call without its {} body",
            t.as_str_name(),
            t.as_str_name().to_lowercase()
        )));
    }
    if let Some(ack) = &call.acknowledge {
        if ack.uuid.len() != 16 {
            return Err(invalid(format!(
                "ACKNOWLEDGE uuid must be 16 bytes, got {}",
                ack.uuid.len()
            )));
        }
    }
    if let Some(uf) = &call.update_framework {
        validate_framework_info(&uf.framework_info)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use prost::Message as _;

    fn info(user: &str, name: &str) -> m::FrameworkInfo {
        m::FrameworkInfo {
            user: user.into(),
            name: name.into(),
            ..Default::default()
        }
    }

    fn fid(s: &str) -> m::FrameworkId {
        m::FrameworkId { value: s.into() }
    }

    fn hex(s: &str) -> Vec<u8> {
        s.split_whitespace()
            .map(|b| u8::from_str_radix(b, 16).unwrap())
            .collect()
    }

    #[test]
    fn subscribe_matches_the_reference_bytes() {
        let c = subscribe(info("foo", "bar"), None, vec![]).unwrap();
        assert_eq!(
            c.encode_to_vec(),
            hex("10 01 1a 0c 0a 0a 0a 03 66 6f 6f 12 03 62 61 72")
        );
    }

    /// Case 12: the builder never produces a framework_id / framework_info.id mismatch.
    #[test]
    fn case_12_resubscribe_sets_both_ids() {
        let mut fi = info("foo", "bar");
        fi.failover_timeout = Some(604800.0);
        let c = subscribe(fi.clone(), Some(&fid("abc")), vec![]).unwrap();
        assert_eq!(c.framework_id, Some(fid("abc")));
        assert_eq!(
            c.subscribe.as_ref().unwrap().framework_info.id,
            Some(fid("abc"))
        );
        assert_eq!(
            c.encode_to_vec(),
            hex("0a 05 0a 03 61 62 63 10 01 1a 1c 0a 1a 0a 03 66 6f 6f 12 03 62 61 72 1a 05 0a 03 61 62 63 21 00 00 00 00 00 75 22 41")
        );
        // An id only in FrameworkInfo is copied to the call too.
        let mut with_id = fi.clone();
        with_id.id = Some(fid("abc"));
        let c = subscribe(with_id.clone(), None, vec![]).unwrap();
        assert_eq!(c.framework_id, Some(fid("abc")));
        // Disagreeing ids are refused.
        assert!(matches!(
            subscribe(with_id, Some(&fid("xyz")), vec![]),
            Err(DriverError::InvalidCall(_))
        ));
        // An empty id is a first subscription.
        let mut empty = fi;
        empty.id = Some(fid(""));
        let c = subscribe(empty, None, vec![]).unwrap();
        assert_eq!(c.framework_id, None);
        assert_eq!(c.subscribe.unwrap().framework_info.id, None);
    }

    #[test]
    #[allow(deprecated)]
    fn multi_role_rules() {
        let multi = m::framework_info::Capability {
            r#type: Some(Capability::MultiRole as i32),
        };
        let mut both = info("u", "n");
        both.capabilities.push(multi);
        both.roles = vec!["a".into()];
        both.role = Some("b".into());
        assert!(subscribe(both.clone(), None, vec![]).is_err());
        both.role = None;
        assert!(subscribe(both.clone(), None, vec!["a".into()]).is_ok());
        assert!(subscribe(both, None, vec!["c".into()]).is_err());
        let mut roles_only = info("u", "n");
        roles_only.roles = vec!["a".into()];
        assert!(subscribe(roles_only, None, vec![]).is_err());
        assert!(subscribe(info("", "n"), None, vec![]).is_err());
        let mut nan = info("u", "n");
        nan.failover_timeout = Some(f64::NAN);
        assert!(subscribe(nan, None, vec![]).is_err());
    }

    #[test]
    fn acknowledge_matches_the_reference_bytes_and_needs_a_uuid() {
        let uuid = hex("0f 8f ad 5b d9 cb 46 9f a1 65 70 86 77 28 95 0e");
        let mut status = m::TaskStatus {
            task_id: m::TaskId { value: "t1".into() },
            agent_id: Some(m::AgentId { value: "S1".into() }),
            uuid: Some(uuid),
            ..Default::default()
        };
        let mut c = acknowledge(&status).unwrap();
        c.framework_id = Some(fid("abc"));
        assert_eq!(
            c.encode_to_vec(),
            hex("0a 05 0a 03 61 62 63 10 08 42 1e 0a 04 0a 02 53 31 12 04 0a 02 74 31 1a 10 0f 8f ad 5b d9 cb 46 9f a1 65 70 86 77 28 95 0e")
        );
        status.uuid = None;
        assert_eq!(acknowledge(&status), Err(DriverError::NoUuid("t1".into())));
        status.uuid = Some(vec![]);
        assert!(acknowledge(&status).is_err());
    }

    #[test]
    fn every_builder_passes_validation_and_sets_its_body() {
        let o = vec![m::OfferId { value: "o1".into() }];
        let task = m::TaskInfo {
            name: "t".into(),
            task_id: m::TaskId { value: "t".into() },
            ..Default::default()
        };
        let calls = [
            teardown(),
            accept(o.clone(), vec![], None),
            launch(o.clone(), vec![task.clone()], Some(refuse_for(10.0))),
            launch_group(o.clone(), m::ExecutorInfo::default(), vec![task], None),
            decline(o.clone(), Some(refuse_for(3600.0))),
            accept_inverse_offers(o.clone(), None),
            decline_inverse_offers(o, None),
            revive(vec!["a".into()]),
            suppress(vec![]),
            kill(m::TaskId { value: "t".into() }, None, None),
            shutdown(m::ExecutorId::default(), m::AgentId::default()),
            reconcile(vec![]),
            reconcile_operations(vec![]),
            message(
                m::AgentId::default(),
                m::ExecutorId::default(),
                b"hi".to_vec(),
            ),
            request(vec![]),
            update_framework(info("u", "n"), vec![]).unwrap(),
        ];
        for c in &calls {
            validate_call(c).unwrap_or_else(|e| panic!("{c:?}: {e}"));
            assert_eq!(c.framework_id, None);
        }
        let launch_call = &calls[2];
        let op = &launch_call.accept.as_ref().unwrap().operations[0];
        assert_eq!(op.r#type, Some(OpType::Launch as i32));
        let group = &calls[3].accept.as_ref().unwrap().operations[0];
        assert_eq!(group.r#type, Some(OpType::LaunchGroup as i32));
        assert_eq!(
            calls[4].decline.as_ref().unwrap().filters,
            Some(refuse_for(3600.0))
        );
        assert_eq!(
            calls[7].revive.as_ref().unwrap().roles,
            vec!["a".to_string()]
        );
        assert!(validate_call(&bare(Type::Accept)).is_err());
        assert!(validate_call(&Call::default()).is_err());
        assert!(validate_call(&subscribe(info("u", "n"), None, vec![]).unwrap()).is_err());
        let mut short_uuid = bare(Type::Acknowledge);
        short_uuid.acknowledge = Some(call::Acknowledge {
            uuid: vec![1, 2, 3],
            ..Default::default()
        });
        assert!(validate_call(&short_uuid).is_err());
    }

    #[test]
    fn ids_are_checked() {
        assert!(validate_id("task id", "a/b").is_err());
        assert!(validate_id("task id", "..").is_err());
        assert!(validate_id("task id", "").is_err());
        assert!(validate_id("task id", &"x".repeat(256)).is_err());
        assert!(validate_id("task id", "ok-1").is_ok());
    }
}
