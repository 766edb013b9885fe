//! Task templates: the TaskInfo of many calls that differ only in id, name and data (a pool's
//! calls), copied as bytes instead of as messages.

use prost::encoding::{encode_key, encode_varint, encoded_len_varint, WireType};
use prost::Message;

use super::convert;
use crate::proto::mesos::{AgentId, Resource, TaskId, TaskInfo};
use crate::resources::Resources;
use crate::{Error, Result};

/// A TaskInfo kept encoded without its id, name and data. A copy appends those three fields
/// to the bytes: protobuf decodes a later scalar field over an earlier one, so the copy reads
/// back as the template with them set, at the cost of a memcpy instead of cloning and
/// encoding the whole message. Launching a copy works the same way ([`Template::launch`]):
/// its agent, resources and executor resources are appended to an encoding without them, so
/// a copy is never decoded on its way to the master.
#[derive(Clone, Debug)]
pub struct Template {
    info: TaskInfo,
    encoded: Vec<u8>,
    /// `encoded` without the resources of the task and of its executor (repeated fields
    /// append when decoded, so those must be absent for a launch to set them).
    bare: Vec<u8>,
    /// The demand (`resources`) parsed, and its class key: the same for every copy.
    pub(super) demand: Resources,
    pub(super) signature: Vec<u8>,
}

impl Template {
    /// The template of `info` (its `task_id`, `name` and `data` are dropped). Errors as
    /// [`super::SchedulerCore::submit`] refuses a task: not exactly one of command or
    /// executor, unreadable resources.
    pub fn new(mut info: TaskInfo) -> Result<Template> {
        if info.command.is_some() == info.executor.is_some() {
            return Err(Error::InvalidArgument(
                "a task template needs exactly one of command or executor".into(),
            ));
        }
        let demand = convert::demand(&info.resources)?;
        if let Some(e) = &info.executor {
            convert::demand(&e.resources)
                .map_err(|err| Error::Resource(format!("executor of the template: {err}")))?;
        }
        info.task_id = TaskId::default();
        info.name.clear();
        info.data = None;
        let encoded = info.encode_to_vec();
        let mut bare_info = info.clone();
        bare_info.resources.clear();
        if let Some(e) = bare_info.executor.as_mut() {
            e.resources.clear();
        }
        let signature = super::core::signature(&info.resources);
        Ok(Template {
            bare: bare_info.encode_to_vec(),
            info,
            encoded,
            demand,
            signature,
        })
    }

    /// The template's TaskInfo (without id, name and data).
    pub fn info(&self) -> &TaskInfo {
        &self.info
    }

    /// The encoded TaskInfo launching `copy` (a [`Template::copy`] of this template) on
    /// `agent_id` with `resources`; its executor gets `executor_id` (when given) and
    /// `executor_resources` (None: the template's own).
    pub fn launch(
        &self,
        copy: &[u8],
        agent_id: &AgentId,
        resources: &[Resource],
        executor_id: Option<&str>,
        executor_resources: Option<&[Resource]>,
    ) -> Vec<u8> {
        self.launch_encoded(
            copy,
            agent_id,
            &Self::encode_resources(resources),
            executor_id,
            executor_resources,
        )
    }

    /// The task resources field of a launch, encoded: what [`Template::launch_encoded`] takes
    /// (the same resources launch many copies; they are encoded once).
    pub fn encode_resources(resources: &[Resource]) -> Vec<u8> {
        let mut out = Vec::with_capacity(64 * resources.len());
        for r in resources {
            put_message(4, r, &mut out);
        }
        out
    }

    /// [`Template::launch`] with the task resources already encoded
    /// ([`Template::encode_resources`]).
    pub fn launch_encoded(
        &self,
        copy: &[u8],
        agent_id: &AgentId,
        resources: &[u8],
        executor_id: Option<&str>,
        executor_resources: Option<&[Resource]>,
    ) -> Vec<u8> {
        let own = copy.get(self.encoded.len()..).unwrap_or_default();
        let mut out = Vec::with_capacity(self.bare.len() + own.len() + resources.len() + 160);
        out.extend_from_slice(&self.bare);
        out.extend_from_slice(own); // name, task_id and data
        put_message(3, agent_id, &mut out);
        out.extend_from_slice(resources);
        if let Some(e) = &self.info.executor {
            // An ExecutorInfo of only these fields, merged into the template's when decoded:
            // a message field met twice is merged, not replaced.
            let resources = executor_resources.unwrap_or(&e.resources);
            let id_len = executor_id.map_or(0, |id| {
                let inner = 1 + encoded_len_varint(id.len() as u64) + id.len();
                1 + encoded_len_varint(inner as u64) + inner
            });
            let len = id_len
                + resources
                    .iter()
                    .map(|r| 1 + encoded_len_varint(r.encoded_len() as u64) + r.encoded_len())
                    .sum::<usize>();
            encode_key(5, WireType::LengthDelimited, &mut out);
            encode_varint(len as u64, &mut out);
            if let Some(id) = executor_id {
                let inner = 1 + encoded_len_varint(id.len() as u64) + id.len();
                encode_key(1, WireType::LengthDelimited, &mut out);
                encode_varint(inner as u64, &mut out);
                put(1, id.as_bytes(), &mut out);
            }
            for r in resources {
                put_message(5, r, &mut out);
            }
        }
        out
    }

    /// `launch` bytes given a new attempt id: appended, it replaces the copy's own.
    pub fn set_attempt_id(launch: &mut Vec<u8>, id: &str) {
        let inner = 1 + encoded_len_varint(id.len() as u64) + id.len();
        encode_key(2, WireType::LengthDelimited, launch);
        encode_varint(inner as u64, launch);
        put(1, id.as_bytes(), launch);
    }

    /// The encoded TaskInfo of a copy with this id, name and data.
    pub fn copy(&self, id: &str, name: &str, data: &[u8]) -> Vec<u8> {
        let mut out =
            Vec::with_capacity(self.encoded.len() + id.len() + name.len() + data.len() + 24);
        out.extend_from_slice(&self.encoded);
        put(1, name.as_bytes(), &mut out); // name
                                           // task_id: a TaskID message whose field 1 is the id.
        let id_len = 1 + encoded_len_varint(id.len() as u64) + id.len();
        encode_key(2, WireType::LengthDelimited, &mut out);
        encode_varint(id_len as u64, &mut out);
        put(1, id.as_bytes(), &mut out);
        put(6, data, &mut out); // data
        out
    }
}

/// A message field.
fn put_message(tag: u32, message: &impl Message, out: &mut Vec<u8>) {
    encode_key(tag, WireType::LengthDelimited, out);
    encode_varint(message.encoded_len() as u64, out);
    message.encode_raw(out);
}

/// A length-delimited field.
fn put(tag: u32, value: &[u8], out: &mut Vec<u8>) {
    encode_key(tag, WireType::LengthDelimited, out);
    encode_varint(value.len() as u64, out);
    out.extend_from_slice(value);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::mesos::{CommandInfo, ExecutorId, ExecutorInfo, Label, Labels, Resource};

    fn template_info() -> TaskInfo {
        TaskInfo {
            name: "template".into(),
            task_id: TaskId {
                value: "template-id".into(),
            },
            data: Some(b"template data".to_vec()),
            resources: vec![cpus(0.25, None)],
            executor: Some(ExecutorInfo {
                executor_id: ExecutorId {
                    value: "exec".into(),
                },
                resources: vec![cpus(0.1, None)],
                command: Some(CommandInfo {
                    value: Some("python".into()),
                    ..Default::default()
                }),
                ..Default::default()
            }),
            labels: Some(Labels {
                labels: vec![Label {
                    key: "python".into(),
                    value: None,
                }],
            }),
            ..Default::default()
        }
    }

    fn cpus(value: f64, role: Option<&str>) -> Resource {
        Resource {
            name: "cpus".into(),
            r#type: crate::proto::mesos::value::Type::Scalar as i32,
            scalar: Some(crate::proto::mesos::value::Scalar { value }),
            allocation_info: role.map(|r| crate::proto::mesos::resource::AllocationInfo {
                role: Some(r.into()),
            }),
            ..Default::default()
        }
    }

    #[test]
    fn a_launch_decodes_as_the_copy_with_its_agent_resources_and_executor() {
        let template = Template::new(template_info()).unwrap();
        let copy = template.copy("call-1", "noop", b"data");
        let agent = AgentId { value: "a9".into() };
        let offered = vec![cpus(0.25, Some("*"))];
        let executor_offered = vec![cpus(0.1, Some("*"))];
        let mut launch = template.launch(
            &copy,
            &agent,
            &offered,
            Some("exec-2"),
            Some(&executor_offered),
        );
        let got = TaskInfo::decode(launch.as_slice()).unwrap();
        let mut want = template_info();
        want.task_id.value = "call-1".into();
        want.name = "noop".into();
        want.data = Some(b"data".to_vec());
        want.agent_id = agent.clone();
        want.resources = offered.clone();
        let executor = want.executor.as_mut().unwrap();
        executor.executor_id.value = "exec-2".into();
        executor.resources = executor_offered;
        assert_eq!(got, want);
        // A later attempt's id replaces the copy's.
        Template::set_attempt_id(&mut launch, "call-1.retry1");
        let got = TaskInfo::decode(launch.as_slice()).unwrap();
        assert_eq!(got.task_id.value, "call-1.retry1");
        assert_eq!(got.resources, offered);
        // Without an executor id or resources of its own, the template's stay.
        let plain = template.launch(&copy, &agent, &offered, None, None);
        let got = TaskInfo::decode(plain.as_slice()).unwrap();
        assert_eq!(got.executor, template_info().executor);
        assert_eq!(got.resources, offered);
    }

    #[test]
    fn a_template_is_checked_when_made() {
        let mut neither = template_info();
        neither.executor = None;
        assert!(Template::new(neither).is_err());
        let mut both = template_info();
        both.command = Some(CommandInfo::default());
        assert!(Template::new(both).is_err());
        let mut unreadable = template_info();
        unreadable.resources[0].name.clear();
        assert!(Template::new(unreadable).is_err());
    }

    #[test]
    fn a_copy_decodes_as_the_template_with_its_id_name_and_data() {
        let template = Template::new(template_info()).unwrap();
        let copy =
            TaskInfo::decode(template.copy("call-1", "noop", b"\x80\x05call").as_slice()).unwrap();
        let mut want = template_info();
        want.task_id.value = "call-1".into();
        want.name = "noop".into();
        want.data = Some(b"\x80\x05call".to_vec());
        assert_eq!(copy, want);
    }

    #[test]
    fn copies_are_independent_and_empty_fields_stay_empty() {
        let template = Template::new(template_info()).unwrap();
        let a = TaskInfo::decode(template.copy("a", "", b"").as_slice()).unwrap();
        let b = TaskInfo::decode(template.copy("b", "bee", b"x").as_slice()).unwrap();
        assert_eq!((a.task_id.value.as_str(), a.name.as_str()), ("a", ""));
        assert_eq!(a.data.as_deref(), Some(&b""[..]));
        assert_eq!((b.task_id.value.as_str(), b.name.as_str()), ("b", "bee"));
        assert_eq!(b.data.as_deref(), Some(&b"x"[..]));
        assert_eq!(template.info().task_id.value, "");
        assert_eq!(template.info().data, None);
    }
}
