//! The bridge from the Rust core's `tracing` events to Python's `logging`.
//!
//! An event whose level passes the cached threshold (the most verbose level any `satyr` logger
//! enables, pushed here by `satyr._logging` whenever Python's logging levels change) is
//! formatted on the emitting thread and queued; one forwarder thread takes the GIL once per
//! batch and hands the records to `logging.getLogger("satyr.<target>")`. So a filtered event
//! costs an atomic load and no GIL, and a tokio thread never waits for the GIL (no deadlock
//! with a Python thread that holds the GIL while it waits for the driver). After
//! `log_close` (at exit) events are dropped.

use std::collections::HashMap;
use std::fmt::{self, Write as _};
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use pyo3::prelude::*;
use pyo3::types::PyTuple;
use tracing::field::{Field, Visit};
use tracing::level_filters::LevelFilter;
use tracing::span::{Attributes, Id, Record as SpanRecord};
use tracing::subscriber::Interest;
use tracing::{Event, Level, Metadata, Subscriber};

/// Python's numeric levels.
const TRACE: i32 = 5;
const DEBUG: i32 = 10;
const INFO: i32 = 20;
const WARNING: i32 = 30;
const ERROR: i32 = 40;

/// Records waiting for the forwarder; beyond this, events are counted and dropped rather than
/// slowing the driver down.
const QUEUE: usize = 8192;
/// Records handed to Python per GIL acquisition.
const BATCH: usize = 256;

/// Python level at or above which events are forwarded (Python's default: WARNING).
static THRESHOLD: AtomicI32 = AtomicI32::new(WARNING);
/// Set at interpreter exit: from then on events are dropped.
static CLOSED: AtomicBool = AtomicBool::new(false);
/// Events lost to a full queue since the last report.
static DROPPED: AtomicU64 = AtomicU64::new(0);
/// The forwarder's queue, with the process that started it (a forked child starts its own).
static FORWARDER: Mutex<Option<(u32, SyncSender<Msg>)>> = Mutex::new(None);

fn python_level(level: &Level) -> i32 {
    match *level {
        Level::TRACE => TRACE,
        Level::DEBUG => DEBUG,
        Level::INFO => INFO,
        Level::WARN => WARNING,
        Level::ERROR => ERROR,
    }
}

/// The most verbose tracing level a Python threshold lets through.
fn level_filter(threshold: i32) -> LevelFilter {
    match threshold {
        t if t <= TRACE => LevelFilter::TRACE,
        t if t <= DEBUG => LevelFilter::DEBUG,
        t if t <= INFO => LevelFilter::INFO,
        t if t <= WARNING => LevelFilter::WARN,
        t if t <= ERROR => LevelFilter::ERROR,
        _ => LevelFilter::OFF,
    }
}

/// One event, formatted on the thread that emitted it.
struct LogRecord {
    meta: &'static Metadata<'static>,
    message: String,
}

enum Msg {
    Record(LogRecord),
    /// Acknowledged once every record queued before it was handed to Python.
    Flush(mpsc::Sender<()>),
}

/// Formats an event's `message` first, then its other fields as ` key=value`.
#[derive(Default)]
struct Message {
    text: String,
    fields: String,
}

impl Visit for Message {
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        // Writing to a String cannot fail.
        if field.name() == "message" {
            let _ = write!(self.text, "{value:?}");
        } else {
            let _ = write!(self.fields, " {}={value:?}", field.name());
        }
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.text.push_str(value);
        } else {
            let _ = write!(self.fields, " {}={value}", field.name());
        }
    }
}

/// The process-wide subscriber: events only (the core opens no spans).
struct Bridge;

impl Subscriber for Bridge {
    fn register_callsite(&self, meta: &'static Metadata<'static>) -> Interest {
        if meta.is_event() {
            Interest::sometimes()
        } else {
            Interest::never()
        }
    }

    fn enabled(&self, meta: &Metadata<'_>) -> bool {
        meta.is_event()
            && !CLOSED.load(Ordering::Relaxed)
            && python_level(meta.level()) >= THRESHOLD.load(Ordering::Relaxed)
    }

    fn max_level_hint(&self) -> Option<LevelFilter> {
        if CLOSED.load(Ordering::Relaxed) {
            return Some(LevelFilter::OFF);
        }
        Some(level_filter(THRESHOLD.load(Ordering::Relaxed)))
    }

    fn new_span(&self, _: &Attributes<'_>) -> Id {
        // Never called (spans are never enabled); an id must be non-zero.
        Id::from_u64(1)
    }

    fn record(&self, _: &Id, _: &SpanRecord<'_>) {}

    fn record_follows_from(&self, _: &Id, _: &Id) {}

    fn event(&self, event: &Event<'_>) {
        let mut message = Message::default();
        event.record(&mut message);
        message.text.push_str(&message.fields);
        let record = LogRecord {
            meta: event.metadata(),
            message: message.text,
        };
        let Some(queue) = forwarder() else { return };
        match queue.try_send(Msg::Record(record)) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) => {
                DROPPED.fetch_add(1, Ordering::Relaxed);
            }
            Err(TrySendError::Disconnected(_)) => {}
        }
    }

    fn enter(&self, _: &Id) {}

    fn exit(&self, _: &Id) {}
}

fn lock_forwarder() -> MutexGuard<'static, Option<(u32, SyncSender<Msg>)>> {
    // The guarded value is a plain sender: still valid if a holder panicked.
    FORWARDER.lock().unwrap_or_else(|e| e.into_inner())
}

/// The queue of this process's forwarder thread, started on first use; None if the thread
/// cannot be started (then events are dropped).
fn forwarder() -> Option<SyncSender<Msg>> {
    let mut slot = lock_forwarder();
    let pid = std::process::id();
    if let Some((owner, queue)) = slot.as_ref() {
        if *owner == pid {
            return Some(queue.clone());
        }
    }
    let (queue, received) = mpsc::sync_channel(QUEUE);
    std::thread::Builder::new()
        .name("satyr-log".into())
        .spawn(move || forward(received))
        .ok()?;
    *slot = Some((pid, queue.clone()));
    Some(queue)
}

/// The forwarder thread: hands queued records to Python, a batch per GIL acquisition.
fn forward(received: Receiver<Msg>) {
    let mut names = HashMap::new();
    while let Ok(first) = received.recv() {
        let mut records = Vec::new();
        let mut flushes = Vec::new();
        let mut next = Some(first);
        while let Some(msg) = next.take() {
            match msg {
                Msg::Record(r) => records.push(r),
                Msg::Flush(ack) => flushes.push(ack),
            }
            if records.len() < BATCH {
                next = received.try_recv().ok();
            }
        }
        let dropped = DROPPED.swap(0, Ordering::Relaxed);
        if !CLOSED.load(Ordering::Relaxed) {
            // try_attach declines while the interpreter finalizes: the records are dropped.
            Python::try_attach(|py| deliver(py, &records, dropped, &mut names));
        }
        for ack in flushes {
            let _ = ack.send(());
        }
    }
}

/// `satyr.<target with :: as .>`, the crate's own name (`_satyr`) dropped.
fn logger_name(target: &str) -> String {
    let rest = target
        .strip_prefix("_satyr")
        .filter(|r| r.is_empty() || r.starts_with("::"))
        .map_or(target, |r| r.trim_start_matches("::"));
    if rest.is_empty() {
        "satyr".to_owned()
    } else {
        format!("satyr.{}", rest.replace("::", "."))
    }
}

fn deliver(
    py: Python<'_>,
    records: &[LogRecord],
    dropped: u64,
    names: &mut HashMap<&'static str, String>,
) {
    let outcome = (|| -> PyResult<()> {
        let get_logger = py.import("logging")?.getattr("getLogger")?;
        if dropped > 0 {
            get_logger.call1(("satyr",))?.call_method1(
                "warning",
                (format!(
                    "{dropped} log records of the Rust core were dropped (queue full)"
                ),),
            )?;
        }
        for r in records {
            let name = names
                .entry(r.meta.target())
                .or_insert_with(|| logger_name(r.meta.target()));
            let logger = get_logger.call1((name.as_str(),))?;
            let level = python_level(r.meta.level());
            if !logger.call_method1("isEnabledFor", (level,))?.is_truthy()? {
                continue;
            }
            let record = logger.call_method1(
                "makeRecord",
                (
                    name.as_str(),
                    level,
                    r.meta.file().unwrap_or("<rust>"),
                    r.meta.line().unwrap_or(0),
                    r.message.as_str(),
                    PyTuple::empty(py),
                    py.None(),
                ),
            )?;
            logger.call_method1("handle", (record,))?;
        }
        Ok(())
    })();
    if let Err(e) = outcome {
        // A failing handler must not stop the forwarder; Python reports it as unraisable.
        e.write_unraisable(py, None);
    }
}

/// Sets the Python level at or above which events are forwarded.
#[pyfunction]
fn log_set_level(level: i32) {
    if THRESHOLD.swap(level, Ordering::Relaxed) != level {
        // Recomputes tracing's global max level from `max_level_hint`.
        tracing::callsite::rebuild_interest_cache();
    }
}

/// The Python level at or above which events are forwarded.
#[pyfunction]
fn log_level() -> i32 {
    THRESHOLD.load(Ordering::Relaxed)
}

/// Waits (GIL released) until every event emitted so far reached Python's logging; False if
/// `timeout` seconds passed first.
#[pyfunction]
#[pyo3(signature = (timeout=None))]
fn log_flush(py: Python<'_>, timeout: Option<f64>) -> PyResult<bool> {
    let wait = match timeout {
        None => None,
        Some(t) => Some(Duration::try_from_secs_f64(t).map_err(|_| {
            pyo3::exceptions::PyValueError::new_err(format!(
                "timeout must be a non-negative number of seconds, got {t}"
            ))
        })?),
    };
    let queue = {
        let slot = lock_forwarder();
        match slot.as_ref() {
            Some((pid, queue)) if *pid == std::process::id() => queue.clone(),
            _ => return Ok(true), // nothing was ever queued in this process
        }
    };
    Ok(py.detach(move || {
        let (ack, acked) = mpsc::channel();
        if queue.send(Msg::Flush(ack)).is_err() {
            return true;
        }
        match wait {
            None => acked.recv().is_ok(),
            Some(w) => acked.recv_timeout(w).is_ok(),
        }
    }))
}

/// Stops forwarding for good (called at interpreter exit).
#[pyfunction]
fn log_close() {
    CLOSED.store(true, Ordering::Relaxed);
    tracing::callsite::rebuild_interest_cache();
}

/// Installs the bridge as the process's tracing subscriber (unless one is set already) and
/// registers the functions `satyr._logging` drives it with.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    // Fails only if the embedding program installed its own subscriber: that one stays.
    let _ = tracing::subscriber::set_global_default(Bridge);
    m.add_function(wrap_pyfunction!(log_set_level, m)?)?;
    m.add_function(wrap_pyfunction!(log_level, m)?)?;
    m.add_function(wrap_pyfunction!(log_flush, m)?)?;
    m.add_function(wrap_pyfunction!(log_close, m)?)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logger_names_follow_the_target() {
        assert_eq!(logger_name("_satyr::driver::actor"), "satyr.driver.actor");
        assert_eq!(logger_name("_satyr"), "satyr");
        assert_eq!(logger_name("hyper::client"), "satyr.hyper.client");
        assert_eq!(logger_name("_satyrish::x"), "satyr._satyrish.x");
    }

    #[test]
    fn thresholds_map_to_the_most_verbose_level_let_through() {
        assert_eq!(level_filter(0), LevelFilter::TRACE);
        assert_eq!(level_filter(DEBUG), LevelFilter::DEBUG);
        assert_eq!(level_filter(15), LevelFilter::INFO);
        assert_eq!(level_filter(WARNING), LevelFilter::WARN);
        assert_eq!(level_filter(ERROR), LevelFilter::ERROR);
        assert_eq!(level_filter(51), LevelFilter::OFF);
        for level in [
            Level::TRACE,
            Level::DEBUG,
            Level::INFO,
            Level::WARN,
            Level::ERROR,
        ] {
            assert_eq!(level_filter(python_level(&level)), level);
        }
    }
}
