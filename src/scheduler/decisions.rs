//! What the core decides: operations for the master ([`Op`]) and news about tasks
//! ([`Outcome`]), collected per input in an [`Output`].

use prost::encoding::{encode_key, encode_varint, encoded_len_varint, WireType};
use prost::Message;

use crate::driver::calls;
use crate::proto::mesos::offer::operation::Type as OpType;
use crate::proto::mesos::scheduler::call::Type as CallType;
use crate::proto::mesos::scheduler::Call;
use crate::proto::mesos::{AgentId, OfferId, TaskId, TaskInfo};

/// One call for the master.
#[derive(Clone, Debug, PartialEq)]
pub enum Op {
    /// ACCEPT of `offer_ids` (all from one agent, one allocation role) with one LAUNCH of
    /// `tasks`; the offers' unused resources are declined with `refuse_seconds`.
    Launch {
        offer_ids: Vec<OfferId>,
        tasks: Vec<LaunchInfo>,
        refuse_seconds: f64,
    },
    /// DECLINE of offers nothing was launched on.
    Decline {
        offer_ids: Vec<OfferId>,
        refuse_seconds: f64,
    },
    /// KILL of one Mesos task (an attempt).
    Kill {
        task_id: TaskId,
        agent_id: Option<AgentId>,
    },
    /// REVIVE offers (and clear filters) for `roles` (empty: all).
    Revive { roles: Vec<String> },
    /// SUPPRESS offers for `roles` (empty: all).
    Suppress { roles: Vec<String> },
    /// RECONCILE these tasks; an empty list asks for every task the master knows.
    Reconcile {
        tasks: Vec<(TaskId, Option<AgentId>)>,
    },
}

impl Op {
    /// The call type's name (`ACCEPT`, `DECLINE`, `KILL`, `REVIVE`, `SUPPRESS`, `RECONCILE`).
    pub fn name(&self) -> &'static str {
        match self {
            Op::Launch { .. } => "ACCEPT",
            Op::Decline { .. } => "DECLINE",
            Op::Kill { .. } => "KILL",
            Op::Revive { .. } => "REVIVE",
            Op::Suppress { .. } => "SUPPRESS",
            Op::Reconcile { .. } => "RECONCILE",
        }
    }

    /// The scheduler call (framework id left for the driver to fill in).
    pub fn to_call(&self) -> Call {
        match self {
            Op::Launch {
                offer_ids,
                tasks,
                refuse_seconds,
            } => calls::launch(
                offer_ids.clone(),
                tasks.iter().map(LaunchInfo::info).collect(),
                Some(calls::refuse_for(*refuse_seconds)),
            ),
            Op::Decline {
                offer_ids,
                refuse_seconds,
            } => calls::decline(offer_ids.clone(), Some(calls::refuse_for(*refuse_seconds))),
            Op::Kill { task_id, agent_id } => calls::kill(task_id.clone(), agent_id.clone(), None),
            Op::Revive { roles } => calls::revive(roles.clone()),
            Op::Suppress { roles } => calls::suppress(roles.clone()),
            Op::Reconcile { tasks } => calls::reconcile(tasks.clone()),
        }
    }

    /// Like [`Op::to_call`], moving the tasks instead of copying them.
    pub fn into_call(self) -> Call {
        match self {
            Op::Launch {
                offer_ids,
                tasks,
                refuse_seconds,
            } => calls::launch(
                offer_ids,
                tasks.into_iter().map(LaunchInfo::into_info).collect(),
                Some(calls::refuse_for(refuse_seconds)),
            ),
            other => other.to_call(),
        }
    }

    /// The encoded call: the bytes of [`Op::to_call`]. An ACCEPT is written around its
    /// TaskInfos, each encoded once from its box, instead of moving them into a `Call` whose
    /// encoding sizes every nested message once per level above it.
    pub fn encode(self) -> Vec<u8> {
        match self {
            Op::Launch {
                offer_ids,
                tasks,
                refuse_seconds,
            } => encode_launch(&offer_ids, &tasks, refuse_seconds),
            other => other.to_call().encode_to_vec(),
        }
    }
}

/// A TaskInfo on its way into an ACCEPT.
#[derive(Clone, Debug, PartialEq)]
pub enum LaunchInfo {
    /// Boxed as placement made it: a TaskInfo is several KB, and the ACCEPT is encoded from
    /// it where it is (see [`Op::encode`]).
    Decoded(Box<TaskInfo>),
    /// Already encoded: a template copy's (see `Template::launch`).
    Encoded(Vec<u8>),
}

impl LaunchInfo {
    /// The TaskInfo (decoded from its bytes for an encoded one; our own encoding reads back).
    pub fn info(&self) -> TaskInfo {
        match self {
            LaunchInfo::Decoded(info) => (**info).clone(),
            LaunchInfo::Encoded(bytes) => TaskInfo::decode(bytes.as_slice()).unwrap_or_default(),
        }
    }

    fn into_info(self) -> TaskInfo {
        match self {
            LaunchInfo::Decoded(info) => *info,
            encoded => encoded.info(),
        }
    }

    fn encoded_len(&self) -> usize {
        match self {
            LaunchInfo::Decoded(info) => info.encoded_len(),
            LaunchInfo::Encoded(bytes) => bytes.len(),
        }
    }

    fn encode_raw(&self, buf: &mut Vec<u8>) {
        match self {
            LaunchInfo::Decoded(info) => info.encode_raw(buf),
            LaunchInfo::Encoded(bytes) => buf.extend_from_slice(bytes),
        }
    }
}

/// The length of a length-delimited field of `len` bytes (tag below 16).
fn field_len(len: usize) -> usize {
    1 + encoded_len_varint(len as u64) + len
}

fn put_header(tag: u32, len: usize, buf: &mut Vec<u8>) {
    encode_key(tag, WireType::LengthDelimited, buf);
    encode_varint(len as u64, buf);
}

/// `Call { type: ACCEPT, accept: { offer_ids, operations: [LAUNCH tasks], filters } }`, field
/// by field in tag order, as prost writes it.
fn encode_launch(offer_ids: &[OfferId], tasks: &[LaunchInfo], refuse_seconds: f64) -> Vec<u8> {
    let filters = calls::refuse_for(refuse_seconds);
    let task_lens: Vec<usize> = tasks.iter().map(|t| t.encoded_len()).collect();
    let launch_len: usize = task_lens.iter().map(|l| field_len(*l)).sum();
    let launch_type = OpType::Launch as i32 as u64;
    let operation_len = 1 + encoded_len_varint(launch_type) + field_len(launch_len);
    let accept_len = offer_ids
        .iter()
        .map(|id| field_len(id.encoded_len()))
        .sum::<usize>()
        + field_len(operation_len)
        + field_len(filters.encoded_len());
    let call_type = CallType::Accept as i32 as u64;
    let mut buf = Vec::with_capacity(1 + encoded_len_varint(call_type) + field_len(accept_len));
    encode_key(2, WireType::Varint, &mut buf); // Call.type
    encode_varint(call_type, &mut buf);
    put_header(4, accept_len, &mut buf); // Call.accept
    for id in offer_ids {
        put_header(1, id.encoded_len(), &mut buf); // Accept.offer_ids
        id.encode_raw(&mut buf);
    }
    put_header(2, operation_len, &mut buf); // Accept.operations
    encode_key(1, WireType::Varint, &mut buf); // Operation.type
    encode_varint(launch_type, &mut buf);
    put_header(2, launch_len, &mut buf); // Operation.launch
    for (task, len) in tasks.iter().zip(task_lens) {
        put_header(1, len, &mut buf); // Launch.task_infos
        task.encode_raw(&mut buf);
    }
    put_header(3, filters.encoded_len(), &mut buf); // Accept.filters
    filters.encode_raw(&mut buf);
    buf
}

/// What happened to a task (or, with an empty task id, to the scheduler as a whole).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OutcomeKind {
    /// Placed into an ACCEPT; `detail` is the agent id.
    Launched,
    /// A non-terminal status of the current attempt; `detail` is the state name.
    Update,
    /// An infrastructure failure; the task is queued again. `detail` says why and which attempt
    /// comes next.
    Retry,
    /// Terminal: TASK_FINISHED. The status's `data` holds the result.
    Finished,
    /// Terminal: the user's code raised (TASK_FAILED marked `satyr.outcome=exception` by the
    /// executor); the status's `data` holds the exception. Never retried.
    Exception,
    /// Terminal: a failure that is not retried (the command failed, a resource limit was hit)
    /// or infrastructure failures beyond the attempt limit; `detail` says which.
    Failed,
    /// Terminal: killed on request (a queued task ends so without reaching Mesos).
    Killed,
    /// Terminal: the task can never run (larger than every agent, invalid for Mesos).
    Error,
    /// Scheduler level (empty task id): worker tasks keep failing, none are launched any more.
    WorkersFailed,
    /// Scheduler level (empty task id): the placement function failed; the built-in heuristic
    /// placed this round instead.
    PlacerError,
}

impl OutcomeKind {
    /// Lower-case name used by the Python binding.
    pub fn name(&self) -> &'static str {
        match self {
            OutcomeKind::Launched => "launched",
            OutcomeKind::Update => "update",
            OutcomeKind::Retry => "retry",
            OutcomeKind::Finished => "finished",
            OutcomeKind::Exception => "exception",
            OutcomeKind::Failed => "failed",
            OutcomeKind::Killed => "killed",
            OutcomeKind::Error => "error",
            OutcomeKind::WorkersFailed => "workers_failed",
            OutcomeKind::PlacerError => "placer_error",
        }
    }

    /// True for the kinds that end a task (each task gets exactly one).
    pub fn is_terminal(&self) -> bool {
        matches!(
            self,
            OutcomeKind::Finished
                | OutcomeKind::Exception
                | OutcomeKind::Failed
                | OutcomeKind::Killed
                | OutcomeKind::Error
        )
    }
}

/// News about one task (its submitted id, not the attempt's Mesos id).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    pub task_id: String,
    pub kind: OutcomeKind,
    pub detail: Option<String>,
    /// The task is a worker (see [`super::SchedulerCore::set_workers`]).
    pub worker: bool,
}

/// Everything one input produced, in order.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Output {
    pub ops: Vec<Op>,
    pub outcomes: Vec<Outcome>,
}

impl Output {
    pub fn is_empty(&self) -> bool {
        self.ops.is_empty() && self.outcomes.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::mesos::{self as m, Resource};

    fn task(id: &str, data: usize) -> LaunchInfo {
        LaunchInfo::Decoded(Box::new(TaskInfo {
            name: id.into(),
            task_id: TaskId { value: id.into() },
            agent_id: AgentId { value: "a1".into() },
            resources: vec![Resource {
                name: "cpus".into(),
                r#type: m::value::Type::Scalar as i32,
                scalar: Some(m::value::Scalar { value: 0.25 }),
                ..Default::default()
            }],
            executor: Some(m::ExecutorInfo {
                executor_id: m::ExecutorId { value: "e".into() },
                command: Some(m::CommandInfo {
                    value: Some("python".into()),
                    arguments: vec!["-m".into(), "satyr.executor".into()],
                    ..Default::default()
                }),
                ..Default::default()
            }),
            data: Some(vec![7; data]),
            ..Default::default()
        }))
    }

    #[test]
    fn an_accept_encodes_to_the_bytes_of_its_call() {
        let offers = |n: usize| {
            (0..n)
                .map(|i| OfferId {
                    value: format!("offer-{i}"),
                })
                .collect::<Vec<_>>()
        };
        let cases = [
            Op::Launch {
                offer_ids: offers(2),
                // Sizes around the varint steps of nested lengths (127/128, 16383/16384).
                tasks: vec![task("t1", 0), task("t2", 100), task("t3", 20_000)],
                refuse_seconds: 5.0,
            },
            Op::Launch {
                offer_ids: offers(1),
                tasks: (0..300).map(|i| task(&format!("t{i}"), i)).collect(),
                refuse_seconds: 0.0,
            },
            Op::Launch {
                offer_ids: offers(3),
                tasks: Vec::new(),
                refuse_seconds: 3600.0,
            },
            // Template copies come encoded; in their canonical form they read back the same.
            Op::Launch {
                offer_ids: offers(1),
                tasks: vec![
                    task("t1", 10),
                    LaunchInfo::Encoded(task("t2", 200).info().encode_to_vec()),
                    task("t3", 0),
                ],
                refuse_seconds: 5.0,
            },
            Op::Decline {
                offer_ids: offers(1),
                refuse_seconds: 1.0,
            },
        ];
        for op in cases {
            let want = op.to_call().encode_to_vec();
            assert_eq!(op.encode(), want);
        }
    }
}
