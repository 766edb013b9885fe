//! Bindings of the scheduler driver (`crate::driver`): `driver_start` returns a `DriverHandle`
//! (calls as protobuf bytes, stop, join, state) and an `EventReceiver` whose `recv_batch` waits
//! with the GIL released. `satyr.driver.SchedulerDriver` builds the user-facing API on these.
//!
//! Calls and events cross the boundary as protobuf bytes of `mesos.v1.scheduler.Call` / `Event`:
//! the Python side builds them from proxies or dicts and decodes events into proxies, so user
//! subclasses with templates dispatch as anywhere else.

use std::path::PathBuf;
use std::time::Duration;

use pyo3::prelude::*;
use pyo3::types::PyBytes;

use super::errors::driver_error;
use crate::driver::{
    self, calls, master_url, Credentials, DriverConfig, DriverError, DriverEvent, DriverHandle,
    DriverState, EncodedAccept, Encoding, EventReceiver, RecvError, Scheme, TlsRoots,
};
use crate::proto::mesos::scheduler::Call;
use crate::proto::mesos::{FrameworkInfo, TaskStatus};
use crate::Error;

fn invalid(msg: String) -> PyErr {
    Error::Driver(DriverError::InvalidCall(msg)).into()
}

fn seconds(what: &str, value: f64) -> PyResult<Duration> {
    Duration::try_from_secs_f64(value).map_err(|_| {
        invalid(format!(
            "{what} must be a finite number of seconds >= 0, got {value}"
        ))
    })
}

fn decode<M: prost::Message + Default>(what: &str, data: &[u8]) -> PyResult<M> {
    M::decode(data).map_err(|e| Error::Protocol(format!("cannot decode the {what}: {e}")).into())
}

/// The driver's side for calls: cheap, thread-safe, every method releases the GIL while it waits.
#[pyclass(module = "satyr._satyr", name = "DriverHandle", frozen)]
pub struct PyDriverHandle {
    inner: DriverHandle,
}

#[pymethods]
impl PyDriverHandle {
    /// Sends a `mesos.v1.scheduler.Call` (protobuf bytes; `framework_id` is filled in) and waits
    /// for the master's 202.
    fn call(&self, py: Python<'_>, call: &[u8]) -> PyResult<()> {
        let sent = match EncodedAccept::read(call.to_vec()) {
            // The scheduler core's ACCEPTs (many tasks each) go out without a decode.
            Ok(accept) => py.detach(|| self.inner.accept_encoded_blocking(accept)),
            Err(_) => {
                let call: Call = decode("scheduler Call", call)?;
                py.detach(|| self.inner.call_blocking(call))
            }
        };
        sent.map_err(|e| driver_error(py, &e))
    }

    /// Acknowledges a `mesos.v1.TaskStatus` (protobuf bytes); a no-op in implicit mode.
    fn acknowledge(&self, py: Python<'_>, status: &[u8]) -> PyResult<()> {
        let status: TaskStatus = decode("TaskStatus", status)?;
        py.detach(|| self.inner.acknowledge_blocking(&status))
            .map_err(|e| driver_error(py, &e))
    }

    /// Paces the event stream: after each read the driver waits `pace` seconds (0 to 1) before the
    /// next, so a burst's events are read, handed over and acknowledged together.
    fn set_pace(&self, pace: f64) -> PyResult<()> {
        let pace = seconds("pace", pace)?;
        self.inner
            .set_pace(pace)
            .map_err(|e| invalid(e.to_string()))
    }

    /// Stops the driver (TEARDOWN first unless `failover`).
    fn stop(&self, py: Python<'_>, failover: bool) -> PyResult<()> {
        py.detach(|| self.inner.stop_blocking(failover))
            .map_err(|e| driver_error(py, &e))
    }

    /// Waits for the driver to stop: `(True, None)` after a clean stop, `(True, error)` after a
    /// fatal error, `(False, None)` if still running after `timeout` seconds.
    #[pyo3(signature = (timeout=None))]
    fn join(&self, py: Python<'_>, timeout: Option<f64>) -> PyResult<(bool, Option<Py<PyAny>>)> {
        let timeout = timeout.map(|t| seconds("timeout", t)).transpose()?;
        match py.detach(|| self.inner.join_blocking(timeout)) {
            Ok(None) => Ok((true, None)),
            Ok(Some(e)) => Ok((true, Some(driver_error(py, &e).into_value(py).into_any()))),
            Err(_) => Ok((false, None)),
        }
    }

    /// `DISCONNECTED`, `SUBSCRIBING`, `SUBSCRIBED` or `STOPPED`.
    #[getter]
    fn state(&self) -> &'static str {
        match self.inner.state() {
            DriverState::Disconnected => "DISCONNECTED",
            DriverState::Subscribing => "SUBSCRIBING",
            DriverState::Subscribed => "SUBSCRIBED",
            DriverState::Stopped => "STOPPED",
        }
    }

    /// The framework id once known.
    #[getter]
    fn framework_id(&self) -> Option<String> {
        self.inner.framework_id().map(|id| id.value)
    }

    /// The master subscribed (or subscribing) to, as `scheme://host:port`.
    #[getter]
    fn master(&self) -> Option<String> {
        self.inner.master().map(|m| m.to_string())
    }
}

/// One driver event. `name` is the Mesos event type (`SUBSCRIBED`, `OFFERS`, `UPDATE`, ...) or
/// `DISCONNECTED` / `STOPPED`; `data` the protobuf bytes of the `mesos.v1.scheduler.Event`.
#[pyclass(module = "satyr._satyr", name = "DriverEvent", frozen, get_all)]
pub struct PyDriverEvent {
    name: &'static str,
    data: Option<Py<PyBytes>>,
    /// The error of DISCONNECTED, or of a fatal STOPPED (an exception instance).
    error: Option<Py<PyAny>>,
    /// SUBSCRIBED: true on every subscription after this driver's first.
    reregistered: bool,
    /// SUBSCRIBED: the master's `scheme://host:port`.
    master: Option<String>,
    /// SUBSCRIBED: the framework id.
    framework_id: Option<String>,
}

#[pymethods]
impl PyDriverEvent {
    fn __repr__(&self) -> String {
        format!("<DriverEvent {}>", self.name)
    }
}

/// Hands Python the event's bytes only: Python decodes them into proxies, so the full Rust
/// decode (`MesosEvent::event`) is never triggered on this path.
fn to_py_event(py: Python<'_>, event: DriverEvent) -> PyDriverEvent {
    let mut out = PyDriverEvent {
        name: event.name(),
        data: event.raw().map(|b| PyBytes::new(py, b).unbind()),
        error: event
            .error()
            .map(|e| driver_error(py, e).into_value(py).into_any()),
        reregistered: false,
        master: None,
        framework_id: None,
    };
    if let DriverEvent::Subscribed(s) = event {
        out.reregistered = s.reregistered;
        out.master = Some(s.master.to_string());
        out.framework_id = Some(s.framework_id.value);
    }
    out
}

/// The driver's events, in order, for one reader (the dispatcher thread).
#[pyclass(module = "satyr._satyr", name = "EventReceiver", frozen)]
pub struct PyEventReceiver {
    inner: EventReceiver,
}

#[pymethods]
impl PyEventReceiver {
    /// Waits (GIL released) up to `timeout` seconds (`None`: for ever) for at least one event,
    /// then takes up to `max` without waiting. `[]` on timeout; `None` once the driver has
    /// stopped and every event was taken.
    #[pyo3(signature = (max, timeout=None))]
    fn recv_batch(
        &self,
        py: Python<'_>,
        max: usize,
        timeout: Option<f64>,
    ) -> PyResult<Option<Vec<PyDriverEvent>>> {
        // Waits are cut into slices so a blocked dispatcher thread never outlives interpreter
        // shutdown by long; `None` means wait on.
        let timeout = timeout.map(|t| seconds("timeout", t)).transpose()?;
        let slice = Duration::from_secs(3600);
        let got = py.detach(|| loop {
            match self.inner.recv_batch(max, timeout.unwrap_or(slice)) {
                Err(RecvError::Timeout) if timeout.is_none() => continue,
                other => break other,
            }
        });
        match got {
            Ok(events) => Ok(Some(
                events.into_iter().map(|e| to_py_event(py, e)).collect(),
            )),
            Err(RecvError::Timeout) => Ok(Some(Vec::new())),
            Err(RecvError::Closed) => Ok(None),
        }
    }

    /// Events queued now.
    fn __len__(&self) -> usize {
        self.inner.len()
    }
}

/// Everything a driver needs, checked when built: bad settings raise `InvalidCallError` naming
/// the setting (a CA file is read, and a `file://` address resolved, only at start).
#[pyclass(module = "satyr._satyr", name = "DriverSettings", frozen)]
pub struct PyDriverSettings {
    config: DriverConfig,
}

#[pymethods]
impl PyDriverSettings {
    /// `framework_info` is the protobuf encoding of a `mesos.v1.FrameworkInfo`.
    #[new]
    #[pyo3(signature = (
        master,
        framework_info,
        *,
        implicit_acknowledgements = true,
        principal = None,
        secret = None,
        ca_file = None,
        suppressed_roles = Vec::new(),
        encoding = "protobuf",
        zk_scheme = "http",
        backoff_min = 0.5,
        backoff_max = 15.0,
        heartbeat_misses = 5,
        max_frame_bytes = None,
        connect_timeout = 10.0,
        subscribe_timeout = 75.0,
        request_timeout = 75.0,
        deliver_heartbeats = false,
    ))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        master: &str,
        framework_info: &[u8],
        implicit_acknowledgements: bool,
        principal: Option<String>,
        secret: Option<String>,
        ca_file: Option<PathBuf>,
        suppressed_roles: Vec<String>,
        encoding: &str,
        zk_scheme: &str,
        backoff_min: f64,
        backoff_max: f64,
        heartbeat_misses: u32,
        max_frame_bytes: Option<usize>,
        connect_timeout: f64,
        subscribe_timeout: f64,
        request_timeout: f64,
        deliver_heartbeats: bool,
    ) -> PyResult<Self> {
        let info: FrameworkInfo = decode("FrameworkInfo", framework_info)?;
        master_url::parse(master).map_err(|e| PyErr::from(Error::Driver(e)))?;
        let mut cfg = DriverConfig::new(master, info);
        cfg.implicit_acknowledgements = implicit_acknowledgements;
        cfg.credentials = match (principal, secret) {
            (Some(principal), Some(secret)) => Some(Credentials { principal, secret }),
            (None, None) => None,
            (Some(_), None) => return Err(invalid("principal given without a secret".into())),
            (None, Some(_)) => return Err(invalid("secret given without a principal".into())),
        };
        if let Some(c) = &cfg.credentials {
            if c.principal.is_empty() {
                return Err(invalid("principal must not be empty".into()));
            }
            if cfg.framework_info.principal.is_none() {
                cfg.framework_info.principal = Some(c.principal.clone());
            }
        }
        cfg.tls_roots = ca_file.map_or(TlsRoots::System, TlsRoots::CaFile);
        cfg.suppressed_roles = suppressed_roles;
        cfg.encoding = match encoding {
            "protobuf" => Encoding::Protobuf,
            "json" => Encoding::Json,
            other => {
                return Err(invalid(format!(
                    "encoding must be 'protobuf' or 'json', got {other:?}"
                )))
            }
        };
        cfg.zk_scheme = match zk_scheme {
            "http" => Scheme::Http,
            "https" => Scheme::Https,
            other => {
                return Err(invalid(format!(
                    "zk_scheme must be 'http' or 'https', got {other:?}"
                )))
            }
        };
        cfg.backoff_min = seconds("backoff_min", backoff_min)?;
        cfg.backoff_max = seconds("backoff_max", backoff_max)?;
        if cfg.backoff_min.is_zero() {
            return Err(invalid("backoff_min must be positive".into()));
        }
        if cfg.backoff_max < cfg.backoff_min {
            return Err(invalid(format!(
                "backoff_max ({backoff_max}) is below backoff_min ({backoff_min})"
            )));
        }
        if heartbeat_misses == 0 {
            return Err(invalid("heartbeat_misses must be at least 1".into()));
        }
        cfg.heartbeat_misses = heartbeat_misses;
        if let Some(limit) = max_frame_bytes {
            if limit == 0 {
                return Err(invalid("max_frame_bytes must be positive".into()));
            }
            cfg.max_frame_bytes = limit;
        }
        cfg.connect_timeout = seconds("connect_timeout", connect_timeout)?;
        cfg.subscribe_timeout = seconds("subscribe_timeout", subscribe_timeout)?;
        cfg.request_timeout = seconds("request_timeout", request_timeout)?;
        cfg.deliver_heartbeats = deliver_heartbeats;
        // The FrameworkInfo checks the driver makes before SUBSCRIBE (user, name, roles, ...).
        calls::subscribe(
            cfg.framework_info.clone(),
            None,
            cfg.suppressed_roles.clone(),
        )
        .map_err(|e| PyErr::from(Error::Driver(e)))?;
        Ok(PyDriverSettings { config: cfg })
    }

    /// The master address as given.
    #[getter]
    fn master(&self) -> &str {
        &self.config.master
    }

    /// Whether status updates are acknowledged by the driver on receipt.
    #[getter]
    fn implicit_acknowledgements(&self) -> bool {
        self.config.implicit_acknowledgements
    }

    fn __repr__(&self) -> String {
        format!(
            "<DriverSettings master={:?} framework={:?}>",
            self.config.master, self.config.framework_info.name
        )
    }
}

/// Starts a scheduler driver; problems from here on arrive as events.
#[pyfunction]
fn driver_start(
    py: Python<'_>,
    settings: &PyDriverSettings,
) -> PyResult<(PyDriverHandle, PyEventReceiver)> {
    let cfg = settings.config.clone();
    let (handle, events) = py
        .detach(|| driver::start(cfg))
        .map_err(|e| driver_error(py, &e))?;
    Ok((
        PyDriverHandle { inner: handle },
        PyEventReceiver { inner: events },
    ))
}

/// Checks a `mesos.v1.scheduler.Call` (protobuf bytes) as the driver does before sending it:
/// a known type with its body present; raises `InvalidCallError` naming the problem.
#[pyfunction]
fn driver_validate_call(call: &[u8]) -> PyResult<()> {
    let call: Call = decode("scheduler Call", call)?;
    calls::validate_call(&call).map_err(|e| Error::Driver(e).into())
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyDriverHandle>()?;
    m.add_class::<PyEventReceiver>()?;
    m.add_class::<PyDriverEvent>()?;
    m.add_class::<PyDriverSettings>()?;
    m.add_function(wrap_pyfunction!(driver_start, m)?)?;
    m.add_function(wrap_pyfunction!(driver_validate_call, m)?)?;
    Ok(())
}
