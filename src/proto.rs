//! The Mesos v1 protocol messages, generated at build time from `proto/` by prost-build.

/// `mesos.v1`: the messages both APIs carry.
pub mod mesos {
    #![allow(clippy::all, missing_docs)]
    include!(concat!(env!("OUT_DIR"), "/mesos.v1.rs"));

    /// `mesos.v1.scheduler`: scheduler calls and events.
    pub mod scheduler {
        #![allow(clippy::all, missing_docs)]
        include!(concat!(env!("OUT_DIR"), "/mesos.v1.scheduler.rs"));
    }

    /// `mesos.v1.executor`: executor calls and events.
    pub mod executor {
        #![allow(clippy::all, missing_docs)]
        include!(concat!(env!("OUT_DIR"), "/mesos.v1.executor.rs"));
    }
}

/// The encoded `FileDescriptorSet` of every message above, for reflection (message proxies).
pub static FILE_DESCRIPTOR_SET: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/mesos_descriptor.bin"));
