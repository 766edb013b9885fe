//! satyr's Rust core: the Mesos v1 protocol messages, the resource algebra and the bin-packer.
//!
//! Everything outside `py` is plain Rust with no PyO3; `py` holds the bindings that make up the
//! private `satyr._satyr` extension module.

pub mod binpack;
pub mod codec;
pub mod driver;
pub mod error;
pub mod executor;
pub mod local;
pub mod proto;
mod py;
pub mod resources;
pub mod runtime;
pub mod scheduler;

pub use error::{Error, Result};
