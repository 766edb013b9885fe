//! The Mesos v1 HTTP scheduler driver: detects the leading master, subscribes, reads the RecordIO
//! event stream, keeps the subscription alive (heartbeat watchdog, resubscription with backoff,
//! 307/503 handling), acknowledges status updates and sends every scheduler call.
//!
//! One actor task on the crate's runtime ([`crate::runtime`]) owns the state; users hold a
//! [`DriverHandle`] for calls and an [`EventReceiver`] for events.
//!
//! ```no_run
//! use _satyr::driver::{self, calls, DriverConfig, DriverEvent};
//! use _satyr::proto::mesos::FrameworkInfo;
//!
//! let info = FrameworkInfo { user: "me".into(), name: "demo".into(), ..Default::default() };
//! let (handle, events) = driver::start(DriverConfig::new("zk://zk1:2181/mesos", info))?;
//! for event in events.recv_batch(64, std::time::Duration::from_secs(1)).unwrap_or_default() {
//!     if let DriverEvent::Mesos(e) = &event {
//!         // The offer ids are at hand; `e.event()?` decodes the whole event when needed.
//!         let ids: Vec<_> = e.offer_ids().cloned().collect();
//!         if !ids.is_empty() {
//!             handle.call_blocking(calls::decline(ids, Some(calls::refuse_for(60.0))))?;
//!         }
//!     }
//! }
//! handle.stop_blocking(true)?;
//! # Ok::<(), _satyr::driver::DriverError>(())
//! ```
//!
//! Behaviour worth knowing:
//! - calls are refused locally ([`DriverError::NotSubscribed`]) unless subscribed; an ACCEPT of
//!   an offer the driver does not hold fails with [`DriverError::OfferNotHeld`]; offers are
//!   forgotten on every resubscription (the master drops them without RESCIND);
//! - an ERROR event (e.g. "Framework has been removed", "Framework failed over"), a 401, or a
//!   refused SUBSCRIBE (400/403/415/...) stops the driver: it never resubscribes in a loop;
//! - stream loss, heartbeat timeout, 403/307 on a call and 5xx are retried with capped,
//!   jittered backoff; 503/404/429 and 307 on SUBSCRIBE are retried without a DISCONNECTED
//!   event;
//! - `Subscribed::reregistered` is false on this driver's first SUBSCRIBED, true afterwards.

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
mod pipeline;
mod reader;
pub mod recordio;
mod slim;
pub use slim::EncodedAccept;
pub mod state;

pub use config::{Credentials, DriverConfig};
pub use error::DriverError;
pub use events::{DriverEvent, EventReceiver, MesosEvent, RecvError, Subscribed};
pub use handle::{start, DriverHandle};
pub use http::{Encoding, TlsRoots};
pub use master_url::{Endpoint, MasterSpec, Scheme};
pub use state::DriverState;
