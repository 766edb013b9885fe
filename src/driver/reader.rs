//! The subscription stream reader: RecordIO records in, events out (decoded only as far as the
//! driver needs, see [`MesosEvent`]), with the heartbeat watchdog (any bytes count as life;
//! nothing for `misses x heartbeat_interval` ends the stream).

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::codec;
use super::error::DriverError;
use super::events::MesosEvent;
use super::http::Encoding;
use super::pipeline::{BodyLength, Pipeline, ReadError};
use super::recordio::Decoder;
use super::state::Shared;
use crate::proto::mesos::scheduler::event::Type as EventType;

/// The master's fixed heartbeat interval, used when SUBSCRIBED does not say.
const DEFAULT_HEARTBEAT: f64 = 15.0;

pub(crate) enum ReaderMsg {
    /// The events of one read, in order.
    Events(Vec<MesosEvent>),
    /// The stream is over; this is why. Always the last message.
    End(DriverError),
}

pub(crate) struct ReaderSettings {
    pub encoding: Encoding,
    pub max_frame: usize,
    /// Liveness window until SUBSCRIBED arrives.
    pub first_timeout: Duration,
    pub heartbeat_misses: u32,
}

/// Reads the stream's body (framed as `body`) until it ends or fails. Owns the connection, so
/// aborting the task closes the socket.
pub(crate) fn spawn(
    mut pipe: Pipeline,
    body: BodyLength,
    settings: ReaderSettings,
    tx: mpsc::UnboundedSender<ReaderMsg>,
    shared: Arc<Shared>,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let why = read(&mut pipe, body, &settings, &tx, &shared).await;
        let _ = tx.send(ReaderMsg::End(why));
    })
}

fn heartbeat_window(interval: Option<f64>, misses: u32) -> Duration {
    let secs = interval
        .filter(|s| s.is_finite() && *s > 0.0)
        .unwrap_or(DEFAULT_HEARTBEAT);
    Duration::try_from_secs_f64(secs * f64::from(misses.max(1))).unwrap_or(Duration::from_secs(75))
}

/// Paced, events handed over at the latest once this many are decoded (a stream that never
/// pauses still flows).
const MAX_HELD_EVENTS: usize = 1024;

async fn read(
    pipe: &mut Pipeline,
    mut body: BodyLength,
    settings: &ReaderSettings,
    tx: &mpsc::UnboundedSender<ReaderMsg>,
    shared: &Shared,
) -> DriverError {
    let mut decoder = Decoder::new(settings.max_frame);
    let mut window = settings.first_timeout;
    // Paced, the chunks already received are taken at once, then the reader waits the pace
    // out: unread, the next events wait in the socket and come in one read.
    let mut more_at_hand = false;
    // The events decoded and not handed over yet: paced, those of every chunk at hand go
    // together (the master sends each event in a chunk of its own), so each thread wakes
    // once for them.
    let mut events: Vec<MesosEvent> = Vec::new();
    let hand_over = |events: &mut Vec<MesosEvent>| {
        events.is_empty() || tx.send(ReaderMsg::Events(std::mem::take(events))).is_ok()
    };
    loop {
        let wait = if more_at_hand { Duration::ZERO } else { window };
        let ended = |inside: bool| match inside {
            false => DriverError::StreamClosed,
            true => DriverError::Stream("stream ended inside a record".into()),
        };
        let piece = tokio::time::timeout(wait, pipe.body_piece(&mut body)).await;
        if !matches!(piece, Ok(Ok(Some(_)))) && !hand_over(&mut events) {
            return DriverError::Stopped;
        }
        let data = match piece {
            Err(_) if more_at_hand => {
                more_at_hand = false;
                pipe.hold_reads(true);
                tokio::time::sleep(shared.pace()).await;
                pipe.hold_reads(false);
                continue;
            }
            Err(_) => return DriverError::HeartbeatTimeout(window),
            Ok(Ok(None)) | Ok(Err(ReadError::Closed)) => return ended(!decoder.is_idle()),
            Ok(Err(e)) => return DriverError::Stream(format!("reading the stream: {e}")),
            Ok(Ok(Some(data))) => data,
        };
        more_at_hand = !shared.pace().is_zero();
        decoder.push(&data);
        let error = loop {
            let record = match decoder.next_record() {
                Ok(Some(r)) => r,
                Ok(None) => break None,
                Err(e) => break Some(e),
            };
            // Only the driver's view is decoded here; the full event is decoded on demand.
            let ev = match codec::event_protobuf(record, settings.encoding)
                .and_then(MesosEvent::from_protobuf)
            {
                Ok(ev) => ev,
                Err(e) => break Some(e),
            };
            if ev.event_type == EventType::Subscribed {
                // Decoded in full on receipt (an undecodable SUBSCRIBED already failed above).
                let interval = ev
                    .event()
                    .ok()
                    .and_then(|e| e.subscribed.as_ref())
                    .and_then(|s| s.heartbeat_interval_seconds);
                window = heartbeat_window(interval, settings.heartbeat_misses);
            }
            events.push(ev);
        };
        // Unpaced, each chunk's events go at once; the events before a bad record still count.
        let full = events.len() >= MAX_HELD_EVENTS;
        if (error.is_some() || !more_at_hand || full) && !hand_over(&mut events) {
            return DriverError::Stopped;
        }
        if let Some(e) = error {
            return e;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_scales_with_the_interval() {
        assert_eq!(heartbeat_window(Some(15.0), 5), Duration::from_secs(75));
        assert_eq!(heartbeat_window(Some(0.1), 5), Duration::from_millis(500));
        assert_eq!(heartbeat_window(None, 5), Duration::from_secs(75));
        assert_eq!(heartbeat_window(Some(f64::NAN), 2), Duration::from_secs(30));
        assert_eq!(heartbeat_window(Some(-1.0), 0), Duration::from_secs(15));
    }
}
