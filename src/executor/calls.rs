//! Builders of executor calls and the checks the agent applies to an UPDATE (reference §2.3).

use std::time::{SystemTime, UNIX_EPOCH};

use super::env::ExecutorEnv;
use super::error::ExecutorError;
use crate::proto::mesos as m;
use crate::proto::mesos::executor::{call, Call};

/// 16 random bytes shaped as an RFC 4122 version 4 UUID (what the agent's `UUID::fromBytes`
/// accepts; a text UUID is refused with 400 "Not a valid UUID").
pub fn new_uuid() -> Vec<u8> {
    let mut b = [0u8; 16];
    fastrand::fill(&mut b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    b.to_vec()
}

/// True for 16 bytes with an RFC 4122 variant and a known version (1 to 5).
pub fn is_valid_uuid(b: &[u8]) -> bool {
    b.len() == 16 && (1..=5).contains(&(b[6] >> 4)) && (b[8] & 0xc0) == 0x80
}

fn base(env: &ExecutorEnv, kind: call::Type) -> Call {
    Call {
        executor_id: m::ExecutorId {
            value: env.executor_id.clone(),
        },
        framework_id: m::FrameworkId {
            value: env.framework_id.clone(),
        },
        r#type: Some(kind as i32),
        ..Default::default()
    }
}

/// SUBSCRIBE, carrying every task and update the agent has not acknowledged yet.
pub fn subscribe(env: &ExecutorEnv, tasks: Vec<m::TaskInfo>, updates: Vec<call::Update>) -> Call {
    Call {
        subscribe: Some(call::Subscribe {
            unacknowledged_tasks: tasks,
            unacknowledged_updates: updates,
        }),
        ..base(env, call::Type::Subscribe)
    }
}

/// UPDATE of a status already checked by [`prepare_status`].
pub fn update(env: &ExecutorEnv, status: m::TaskStatus) -> Call {
    Call {
        update: Some(call::Update { status }),
        ..base(env, call::Type::Update)
    }
}

/// MESSAGE to the scheduler (unreliable); `data` is field 2 of `Call.Message`.
pub fn message(env: &ExecutorEnv, data: Vec<u8>) -> Call {
    Call {
        message: Some(call::Message { data }),
        ..base(env, call::Type::Message)
    }
}

/// Makes a user's status a valid executor UPDATE: a fresh v4 uuid unless it carries a valid one,
/// `source = SOURCE_EXECUTOR`, this executor's id, a timestamp. Refuses TASK_STAGING, another
/// executor's id and a malformed uuid, which the agent would answer with 400.
pub fn prepare_status(
    env: &ExecutorEnv,
    mut status: m::TaskStatus,
) -> Result<m::TaskStatus, ExecutorError> {
    if status.task_id.value.is_empty() {
        return Err(ExecutorError::InvalidUpdate(
            "the status has no task_id".into(),
        ));
    }
    if status.state == m::TaskState::TaskStaging as i32 {
        return Err(ExecutorError::InvalidUpdate(format!(
            "task {:?}: an executor must not send TASK_STAGING",
            status.task_id.value
        )));
    }
    if m::TaskState::try_from(status.state).is_err() {
        return Err(ExecutorError::InvalidUpdate(format!(
            "task {:?}: unknown task state {}",
            status.task_id.value, status.state
        )));
    }
    match &status.executor_id {
        Some(id) if id.value != env.executor_id => {
            return Err(ExecutorError::InvalidUpdate(format!(
                "task {:?}: executor_id {:?} is not this executor's ({:?})",
                status.task_id.value, id.value, env.executor_id
            )))
        }
        _ => {}
    }
    match &status.uuid {
        Some(u) if !is_valid_uuid(u) => {
            return Err(ExecutorError::InvalidUpdate(format!(
                "task {:?}: uuid must be 16 bytes of an RFC 4122 UUID, got {} bytes",
                status.task_id.value,
                u.len()
            )))
        }
        Some(_) => {}
        None => status.uuid = Some(new_uuid()),
    }
    status.executor_id = Some(m::ExecutorId {
        value: env.executor_id.clone(),
    });
    status.source = Some(m::task_status::Source::Executor as i32);
    if status.timestamp.is_none() {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs_f64())
            .unwrap_or_default();
        status.timestamp = Some(now);
    }
    Ok(status)
}

#[cfg(test)]
mod tests {
    use super::*;
    use prost::Message;

    fn env() -> ExecutorEnv {
        ExecutorEnv::from_vars([
            ("MESOS_FRAMEWORK_ID", "abc"),
            ("MESOS_EXECUTOR_ID", "e1"),
            ("MESOS_AGENT_ENDPOINT", "127.0.0.1:5051"),
        ])
        .unwrap()
    }

    fn status(state: m::TaskState) -> m::TaskStatus {
        m::TaskStatus {
            task_id: m::TaskId { value: "t1".into() },
            state: state as i32,
            ..Default::default()
        }
    }

    #[test]
    fn case_42_message_wire_bytes() {
        let bytes = message(&env(), b"hi".to_vec()).encode_to_vec();
        let expected = [
            0x0a, 0x04, 0x0a, 0x02, 0x65, 0x31, 0x12, 0x05, 0x0a, 0x03, 0x61, 0x62, 0x63, 0x18,
            0x03, 0x32, 0x04, 0x12, 0x02, 0x68, 0x69,
        ];
        assert_eq!(bytes, expected);
    }

    #[test]
    fn case_38_updates_are_valid() {
        for _ in 0..200 {
            let u = new_uuid();
            assert!(is_valid_uuid(&u));
            assert_eq!(u[6] >> 4, 4);
        }
        let s = prepare_status(&env(), status(m::TaskState::TaskRunning)).unwrap();
        assert!(is_valid_uuid(s.uuid.as_deref().unwrap()));
        assert_eq!(s.source, Some(m::task_status::Source::Executor as i32));
        assert_eq!(s.executor_id.as_ref().unwrap().value, "e1");
        assert!(s.timestamp.unwrap() > 1.6e9);
        // A text uuid, STAGING and another executor's id are refused before sending.
        let mut text = status(m::TaskState::TaskRunning);
        text.uuid = Some(b"0f8fad5b-d9cb-469f-a165-70867728950e".to_vec());
        assert!(prepare_status(&env(), text).is_err());
        assert!(prepare_status(&env(), status(m::TaskState::TaskStaging)).is_err());
        let mut other = status(m::TaskState::TaskFinished);
        other.executor_id = Some(m::ExecutorId { value: "e2".into() });
        assert!(prepare_status(&env(), other).is_err());
        // A valid uuid given by the user is kept (a resend of the same update).
        let mut again = status(m::TaskState::TaskFinished);
        let u = new_uuid();
        again.uuid = Some(u.clone());
        assert_eq!(prepare_status(&env(), again).unwrap().uuid, Some(u));
    }
}
