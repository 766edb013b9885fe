//! The Mesos v1 HTTP scheduler driver: detects the leading master, subscribes, reads the RecordIO
//! event stream, keeps the subscription alive (heartbeat watchdog, resubscription with backoff,
//! 307/503 handling), acknowledges status updates and sends every scheduler call.
//!
//! One actor task on the crate's runtime ([`crate::runtime`]) owns the state; users hold a
//! [`DriverHandle`] for calls and an [`EventReceiver`] for events.

mod actor;
pub mod backoff;
mod caller;
pub mod calls;
pub mod codec;
pub mod config;
pub mod detector;
pub mod error;
pub mod events;
pub mod handle;
pub mod http;
pub mod master_url;
mod reader;
pub mod recordio;
pub mod state;

pub use config::{Credentials, DriverConfig};
pub use error::DriverError;
pub use events::{DriverEvent, EventReceiver, MesosEvent, RecvError, Subscribed};
pub use handle::{start, DriverHandle};
pub use http::{Encoding, TlsRoots};
pub use master_url::{Endpoint, MasterSpec, Scheme};
pub use state::DriverState;
