//! Task templates: the TaskInfo of many calls that differ only in id, name and data (a pool's
//! calls), copied as bytes instead of as messages.

use prost::encoding::{encode_key, encode_varint, encoded_len_varint, WireType};
use prost::Message;

use crate::proto::mesos::{TaskId, TaskInfo};

/// A TaskInfo kept encoded without its id, name and data. A copy appends those three fields
/// to the bytes: protobuf decodes a later scalar field over an earlier one, so the copy reads
/// back as the template with them set, at the cost of a memcpy instead of cloning and
/// encoding the whole message.
#[derive(Clone, Debug)]
pub struct Template {
    info: TaskInfo,
    encoded: Vec<u8>,
}

impl Template {
    /// The template of `info` (its `task_id`, `name` and `data` are dropped).
    pub fn new(mut info: TaskInfo) -> Template {
        info.task_id = TaskId::default();
        info.name.clear();
        info.data = None;
        let encoded = info.encode_to_vec();
        Template { info, encoded }
    }

    /// The template's TaskInfo (without id, name and data).
    pub fn info(&self) -> &TaskInfo {
        &self.info
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
            resources: vec![Resource {
                name: "cpus".into(),
                ..Default::default()
            }],
            executor: Some(ExecutorInfo {
                executor_id: ExecutorId {
                    value: "exec".into(),
                },
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

    #[test]
    fn a_copy_decodes_as_the_template_with_its_id_name_and_data() {
        let template = Template::new(template_info());
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
        let template = Template::new(template_info());
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
