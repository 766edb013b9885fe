//! The codec between protobuf bytes and the "plain form" of a Mesos message (see PLAIN_FORM.md).
//!
//! Protobuf bytes are read into a prost-reflect [`DynamicMessage`](prost_reflect::DynamicMessage)
//! and turned into a neutral [`Value`] tree: a message is a [`Value::Dict`] of its set fields, keyed
//! by proto field name; enums are value names; repeated fields are lists; maps are dicts (keys
//! sorted). The tree maps one to one onto Python objects (`py::codec`), so the Rust side stays
//! free of PyO3. Encoding writes the bytes straight from the tree, checked against the
//! descriptors, so the output is deterministic (see `encode`).
//!
//! Everything here is generic over a descriptor pool; [`pool`] is the one built from our Mesos
//! protos. Unknown fields (sent by a master newer than our protos) are kept as their raw bytes
//! under [`UNKNOWN_FIELDS_KEY`], so decoding and re-encoding never loses them.

mod decode;
mod encode;
mod pool;
mod schema;
mod value;

#[cfg(test)]
mod tests;

pub use decode::{decode, decode_message};
pub use encode::{encode, encode_message};
pub use pool::{message_descriptor, pool};
pub use schema::{schema, FieldSchema, MessageSchema};
pub use value::Value;

/// The plain-form key holding a message's unknown fields, as their encoded bytes. No proto field
/// can have this name (field names start with a letter).
pub const UNKNOWN_FIELDS_KEY: &str = "_unknown_fields";
