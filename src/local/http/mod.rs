//! The HTTP side shared by the master and the agents: a hyper server on 127.0.0.1, Mesos's
//! content negotiation and error texts, calls decoded from protobuf or Mesos JSON, and RecordIO
//! event streams.

pub(crate) mod body;
pub(crate) mod codec;
pub(crate) mod media;
pub(crate) mod server;

pub(crate) use body::Reply;
pub(crate) use codec::EventSink;
pub(crate) use media::Media;
pub(crate) use server::{Handler, Listening, Req};
