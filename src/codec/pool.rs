//! The descriptor pool of our Mesos protos, built once on first use.

use std::sync::OnceLock;

use prost_reflect::{DescriptorPool, MessageDescriptor};

use crate::{Error, Result};

/// The pool holding every message of `proto/` (mesos.v1, mesos.v1.scheduler, mesos.v1.executor).
pub fn pool() -> &'static DescriptorPool {
    static POOL: OnceLock<DescriptorPool> = OnceLock::new();
    POOL.get_or_init(|| {
        // The descriptor set is produced by build.rs from the same protos prost compiled, so it
        // always decodes; a failure here is a build defect, not bad input.
        DescriptorPool::decode(crate::proto::FILE_DESCRIPTOR_SET)
            .expect("build.rs wrote an invalid file descriptor set")
    })
}

/// The descriptor of the message with this full name, e.g. `mesos.v1.TaskInfo`.
pub fn message_descriptor(type_name: &str) -> Result<MessageDescriptor> {
    pool()
        .get_message_by_name(type_name)
        .ok_or_else(|| Error::InvalidArgument(format!("unknown message type '{type_name}'")))
}
