//! The Mesos v1 HTTP scheduler driver: detects the leading master, subscribes, reads the RecordIO
//! event stream, keeps the subscription alive (heartbeat watchdog, resubscription with backoff,
//! 307/503 handling), acknowledges status updates and sends every scheduler call.
//!
//! One actor task on the crate's runtime ([`crate::runtime`]) owns the state; users hold a
//! [`DriverHandle`] for calls and an [`EventReceiver`] for events.

pub mod backoff;
pub mod calls;
pub mod codec;
pub mod detector;
pub mod error;
pub mod events;
pub mod http;
pub mod master_url;
pub mod recordio;

pub use error::DriverError;
