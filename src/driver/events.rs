//! What the driver tells its user, and the queue that carries it.
//!
//! The queue is unbounded (the stream reader never waits for user code) and can be read three
//! ways: `recv().await`, `recv_timeout` (blocking, for a thread that holds no locks), and
//! `recv_batch` (blocking, up to N events at once: what a Python dispatcher thread wants, since
//! it can wait without the GIL and take the GIL once per batch).

use std::collections::VecDeque;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

use bytes::Bytes;
use prost::Message as _;

use super::error::DriverError;
use super::master_url::Endpoint;
use super::slim::SlimEvent;
use crate::proto::mesos as m;
use crate::proto::mesos::scheduler::event::Type as EventType;
use crate::proto::mesos::scheduler::Event;

/// A Mesos event as received: its type and protobuf bytes, with the full decoded [`Event`] on
/// demand ([`MesosEvent::event`]).
///
/// The driver's stream reader decodes only what the driver itself needs (the type, offer ids,
/// the rescinded offer id, and an update's task id, agent id and uuid for acknowledgement), so
/// a busy OFFERS stream is not fully decoded on the hot path: the Python face re-decodes the
/// bytes into proxies anyway. SUBSCRIBED and ERROR, whose bodies the driver reads, are decoded
/// in full on receipt. Since the fields the driver skips are not checked on receipt, a malformed
/// one shows up as an error from [`MesosEvent::event`], not as a stream error.
#[derive(Debug, Clone)]
pub struct MesosEvent {
    /// The event type (`UNKNOWN` for a type this build does not know).
    pub event_type: EventType,
    /// The event's protobuf encoding (in protobuf mode, the bytes the master sent).
    pub raw: Bytes,
    /// The driver's own view.
    pub(crate) slim: SlimEvent,
    full: OnceLock<Result<Event, DriverError>>,
}

fn decode_full(raw: &Bytes) -> Result<Event, DriverError> {
    Event::decode(raw.clone())
        .map_err(|e| DriverError::Stream(format!("undecodable protobuf event: {e}")))
}

impl MesosEvent {
    /// Reads the protobuf bytes of a `mesos.v1.scheduler.Event` as the driver's stream reader
    /// does: the driver's view now, the full event now only for SUBSCRIBED and ERROR.
    pub fn from_protobuf(raw: Bytes) -> Result<Self, DriverError> {
        let slim = SlimEvent::decode(raw.clone())
            .map_err(|e| DriverError::Stream(format!("undecodable protobuf event: {e}")))?;
        let event_type = slim
            .r#type
            .and_then(|t| EventType::try_from(t).ok())
            .unwrap_or(EventType::Unknown);
        let full = OnceLock::new();
        if matches!(event_type, EventType::Subscribed | EventType::Error) {
            // Rare, and read by the driver: an undecodable one is a stream error.
            let _ = full.set(Ok(decode_full(&raw)?));
        }
        Ok(MesosEvent {
            event_type,
            raw,
            slim,
            full,
        })
    }

    /// The decoded event, decoded on the first call (later calls return the same result).
    /// Errs if the bytes are not a valid `Event`.
    pub fn event(&self) -> Result<&Event, DriverError> {
        self.full
            .get_or_init(|| decode_full(&self.raw))
            .as_ref()
            .map_err(Clone::clone)
    }

    /// The decoded event, taking it (decoded now unless [`MesosEvent::event`] already did).
    pub fn into_event(self) -> Result<Event, DriverError> {
        match self.full.into_inner() {
            Some(done) => done,
            None => decode_full(&self.raw),
        }
    }

    /// Whether the full event has been decoded (on receipt, or by [`MesosEvent::event`]).
    pub fn is_decoded(&self) -> bool {
        self.full.get().is_some()
    }

    /// The ids of the offers of an OFFERS event (empty for any other event), without decoding
    /// the full event.
    pub fn offer_ids(&self) -> impl Iterator<Item = &m::OfferId> {
        self.slim
            .offers
            .iter()
            .flat_map(|o| o.offers.iter().map(|o| &o.id))
    }
}

/// The framework is subscribed.
#[derive(Debug, Clone)]
pub struct Subscribed {
    /// The framework id (assigned by the master on the first subscription).
    pub framework_id: m::FrameworkId,
    /// False on this driver's first subscription, true on every later one.
    pub reregistered: bool,
    /// The master it is subscribed to.
    pub master: Endpoint,
    /// The `SUBSCRIBED` event itself (heartbeat interval, `MasterInfo`).
    pub event: MesosEvent,
}

/// One thing that happened, in order.
#[derive(Debug, Clone)]
pub enum DriverEvent {
    /// `SUBSCRIBED`: registered (first time) or re-registered.
    Subscribed(Subscribed),
    /// Any other Mesos event: OFFERS, RESCIND, UPDATE, MESSAGE, FAILURE, ERROR, inverse offers,
    /// operation updates (and HEARTBEAT only when asked for). Offers held by the driver are
    /// forgotten whenever the subscription is lost.
    Mesos(MesosEvent),
    /// The subscription was lost, or an attempt to subscribe failed; the driver keeps trying.
    Disconnected(DriverError),
    /// The driver ended: `None` after `stop()`, or the fatal error (master ERROR event, 401, a
    /// rejected SUBSCRIBE). Always the last event.
    Stopped(Option<DriverError>),
}

impl DriverEvent {
    /// A short upper-case name: the Mesos event type (`SUBSCRIBED`, `OFFERS`, ...) or
    /// `DISCONNECTED` / `STOPPED`.
    pub fn name(&self) -> &'static str {
        match self {
            DriverEvent::Subscribed(_) => "SUBSCRIBED",
            DriverEvent::Mesos(e) => e.event_type.as_str_name(),
            DriverEvent::Disconnected(_) => "DISCONNECTED",
            DriverEvent::Stopped(_) => "STOPPED",
        }
    }

    /// The protobuf bytes of the `mesos.v1.scheduler.Event`, for Mesos events.
    pub fn raw(&self) -> Option<&Bytes> {
        match self {
            DriverEvent::Subscribed(s) => Some(&s.event.raw),
            DriverEvent::Mesos(e) => Some(&e.raw),
            _ => None,
        }
    }

    /// The error of `DISCONNECTED`, or of a fatal `STOPPED`.
    pub fn error(&self) -> Option<&DriverError> {
        match self {
            DriverEvent::Disconnected(e) => Some(e),
            DriverEvent::Stopped(e) => e.as_ref(),
            _ => None,
        }
    }
}

/// Why a blocking receive returned no event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum RecvError {
    /// Nothing arrived in time.
    #[error("no driver event within the timeout")]
    Timeout,
    /// The driver has stopped and every event has been taken.
    #[error("the driver has stopped and all its events were received")]
    Closed,
}

#[derive(Default)]
struct State {
    items: VecDeque<DriverEvent>,
    closed: bool,
}

#[derive(Default)]
struct Queue {
    state: Mutex<State>,
    cond: Condvar,
    notify: tokio::sync::Notify,
}

impl Queue {
    fn lock(&self) -> MutexGuard<'_, State> {
        // Nothing panics while holding this lock; recover the data if something ever did.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// The driver's side of the queue. Closes the queue when dropped.
pub(crate) struct EventSender {
    queue: Arc<Queue>,
}

/// The user's side of the queue.
pub struct EventReceiver {
    queue: Arc<Queue>,
}

pub(crate) fn channel() -> (EventSender, EventReceiver) {
    let queue = Arc::new(Queue::default());
    (
        EventSender {
            queue: queue.clone(),
        },
        EventReceiver { queue },
    )
}

impl EventSender {
    pub fn send(&self, event: DriverEvent) {
        self.put(event, true);
    }

    /// Queues `event`, waking the receivers only if `wake`: the events of one read are queued
    /// quietly and [`EventSender::wake`] follows, so a receiver takes them in one batch
    /// instead of waking for the first alone.
    pub fn put(&self, event: DriverEvent, wake: bool) {
        self.queue.lock().items.push_back(event);
        if wake {
            self.wake();
        }
    }

    /// Wakes the receivers.
    pub fn wake(&self) {
        self.queue.cond.notify_all();
        self.queue.notify.notify_waiters();
    }
}

impl Drop for EventSender {
    fn drop(&mut self) {
        self.queue.lock().closed = true;
        self.queue.cond.notify_all();
        self.queue.notify.notify_waiters();
    }
}

impl EventReceiver {
    /// The next event; `None` once the driver has stopped and everything was received.
    pub async fn recv(&self) -> Option<DriverEvent> {
        loop {
            let notified = self.queue.notify.notified();
            tokio::pin!(notified);
            // Register before checking so a send between the check and the await is not missed.
            notified.as_mut().enable();
            {
                let mut s = self.queue.lock();
                if let Some(e) = s.items.pop_front() {
                    return Some(e);
                }
                if s.closed {
                    return None;
                }
            }
            notified.await;
        }
    }

    /// The next event if one is queued.
    pub fn try_recv(&self) -> Result<DriverEvent, RecvError> {
        let mut s = self.queue.lock();
        match s.items.pop_front() {
            Some(e) => Ok(e),
            None if s.closed => Err(RecvError::Closed),
            None => Err(RecvError::Timeout),
        }
    }

    /// Blocks this thread for up to `timeout` for the next event. Do not call it on a runtime
    /// worker thread.
    pub fn recv_timeout(&self, timeout: Duration) -> Result<DriverEvent, RecvError> {
        let mut batch = self.recv_batch(1, timeout)?;
        batch.pop().ok_or(RecvError::Timeout)
    }

    /// Blocks for up to `timeout` until at least one event is queued, then takes up to `max`
    /// (at least one) without waiting further.
    pub fn recv_batch(&self, max: usize, timeout: Duration) -> Result<Vec<DriverEvent>, RecvError> {
        let deadline = Instant::now().checked_add(timeout);
        let mut s = self.queue.lock();
        loop {
            if !s.items.is_empty() {
                let n = max.max(1).min(s.items.len());
                return Ok(s.items.drain(..n).collect());
            }
            if s.closed {
                return Err(RecvError::Closed);
            }
            let wait = match deadline {
                Some(d) => d.saturating_duration_since(Instant::now()),
                None => Duration::from_secs(3600),
            };
            if wait.is_zero() {
                return Err(RecvError::Timeout);
            }
            s = self
                .queue
                .cond
                .wait_timeout(s, wait)
                .map(|(g, _)| g)
                .unwrap_or_else(|p| p.into_inner().0);
        }
    }

    /// Events queued now.
    pub fn len(&self) -> usize {
        self.queue.lock().items.len()
    }

    /// True when no event is queued.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_timeouts_and_close() {
        let (tx, rx) = channel();
        assert_eq!(
            rx.recv_timeout(Duration::from_millis(1)).unwrap_err(),
            RecvError::Timeout
        );
        for _ in 0..5 {
            tx.send(DriverEvent::Disconnected(DriverError::NoLeader));
        }
        assert_eq!(rx.recv_batch(3, Duration::ZERO).unwrap().len(), 3);
        assert_eq!(rx.len(), 2);
        let t = std::thread::spawn(move || rx.recv_batch(10, Duration::from_secs(30)));
        drop(tx);
        let rest = t.join().unwrap().unwrap();
        assert_eq!(rest.len(), 2);
    }

    #[test]
    fn closed_after_drain() {
        let (tx, rx) = channel();
        tx.send(DriverEvent::Stopped(None));
        drop(tx);
        assert_eq!(rx.try_recv().unwrap().name(), "STOPPED");
        assert_eq!(rx.try_recv().unwrap_err(), RecvError::Closed);
        assert_eq!(
            rx.recv_timeout(Duration::from_secs(5)).unwrap_err(),
            RecvError::Closed
        );
    }

    #[tokio::test]
    async fn async_recv_wakes_up() {
        let (tx, rx) = channel();
        let waiter = tokio::spawn(async move { rx.recv().await.map(|e| e.name()) });
        tokio::task::yield_now().await;
        tx.send(DriverEvent::Stopped(None));
        assert_eq!(waiter.await.unwrap(), Some("STOPPED"));
    }
}
