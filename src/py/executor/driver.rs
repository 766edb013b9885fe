//! `satyr._satyr.ExecutorDriver`: the Rust executor driver for the Python runner. Events come out
//! in batches (waiting without the GIL) as `(name, payload)` tuples with protobuf bytes that the
//! Python side turns into message proxies.

use std::collections::HashMap;
use std::time::Duration;

use prost::Message;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyTuple};

use crate::executor::{
    self, EventReceiver, ExecutorConfig, ExecutorEnv, ExecutorEvent, ExecutorHandle, GuardMode,
    RecvError,
};
use crate::proto::mesos as m;

fn seconds(value: f64, what: &str) -> PyResult<Duration> {
    Duration::try_from_secs_f64(value)
        .map_err(|_| PyValueError::new_err(format!("{what} must be a number of seconds >= 0")))
}

/// The v1 executor driver: subscribes to the agent named by the `MESOS_*` environment (or
/// `env`), delivers its events through `recv` and sends updates reliably.
#[pyclass(module = "satyr._satyr", frozen)]
pub struct ExecutorDriver {
    handle: ExecutorHandle,
    events: EventReceiver,
}

#[pymethods]
impl ExecutorDriver {
    #[new]
    #[pyo3(signature = (env = None, *, handle_sigterm = true, guard = true, registration_timeout = 60.0))]
    fn new(
        env: Option<HashMap<String, String>>,
        handle_sigterm: bool,
        guard: bool,
        registration_timeout: f64,
    ) -> PyResult<Self> {
        let env = match env {
            Some(vars) => ExecutorEnv::from_vars(vars),
            None => ExecutorEnv::from_env(),
        }
        .map_err(crate::Error::from)?;
        let mut cfg = ExecutorConfig::new(env);
        cfg.handle_sigterm = handle_sigterm;
        cfg.guard = if guard {
            GuardMode::Kill
        } else {
            GuardMode::Disabled
        };
        cfg.registration_timeout = seconds(registration_timeout, "registration_timeout")?;
        let (handle, events) = executor::start(cfg).map_err(crate::Error::from)?;
        Ok(ExecutorDriver { handle, events })
    }

    /// Up to `max` events, waiting up to `timeout` seconds for the first; `[]` on timeout, `None`
    /// once the driver has stopped and every event was taken.
    #[pyo3(signature = (timeout, max = 64))]
    fn recv<'py>(
        &self,
        py: Python<'py>,
        timeout: f64,
        max: usize,
    ) -> PyResult<Option<Vec<Bound<'py, PyTuple>>>> {
        let timeout = seconds(timeout, "timeout")?;
        let batch = match py.detach(|| self.events.recv_batch(max, timeout)) {
            Ok(b) => b,
            Err(RecvError::Timeout) => vec![],
            Err(RecvError::Closed) => return Ok(None),
        };
        batch
            .into_iter()
            .map(|ev| to_py(py, ev))
            .collect::<PyResult<Vec<_>>>()
            .map(Some)
    }

    /// Sends an encoded `mesos.v1.TaskStatus` reliably (stamped with a v4 uuid, SOURCE_EXECUTOR,
    /// this executor's id and a timestamp); returns its uuid. STAGING, another executor's id or a
    /// malformed uuid raise `SatyrError` and send nothing.
    fn update<'py>(&self, py: Python<'py>, status: &[u8]) -> PyResult<Bound<'py, PyBytes>> {
        let status = m::TaskStatus::decode(status).map_err(|e| {
            crate::Error::Protocol(format!("update() needs an encoded TaskStatus: {e}"))
        })?;
        let uuid = self.handle.update(status).map_err(crate::Error::from)?;
        Ok(PyBytes::new(py, &uuid))
    }

    /// Sends a MESSAGE to the scheduler (unreliable).
    fn message(&self, data: &[u8]) -> PyResult<()> {
        Ok(self
            .handle
            .message(data.to_vec())
            .map_err(crate::Error::from)?)
    }

    /// Starts the shutdown path as if the agent had sent SHUTDOWN.
    fn shutdown(&self) {
        self.handle.shutdown();
    }

    /// Ends the driver once the agent acknowledged every update, or after `timeout` seconds.
    fn stop(&self, py: Python<'_>, timeout: f64) -> PyResult<()> {
        let timeout = seconds(timeout, "timeout")?;
        py.detach(|| self.handle.stop_blocking(timeout));
        Ok(())
    }

    /// True while subscribed to the agent.
    #[getter]
    fn subscribed(&self) -> bool {
        self.handle.is_subscribed()
    }

    /// Updates the agent has not acknowledged yet.
    #[getter]
    fn pending_updates(&self) -> usize {
        self.handle.pending_updates()
    }

    /// True once the shutdown path started.
    #[getter]
    fn shutting_down(&self) -> bool {
        self.handle.is_shutting_down()
    }

    /// `MESOS_FRAMEWORK_ID`.
    #[getter]
    fn framework_id(&self) -> String {
        self.handle.env().framework_id.clone()
    }

    /// `MESOS_EXECUTOR_ID`.
    #[getter]
    fn executor_id(&self) -> String {
        self.handle.env().executor_id.clone()
    }

    /// `MESOS_AGENT_ENDPOINT` as `host:port`.
    #[getter]
    fn agent_endpoint(&self) -> String {
        self.handle.env().agent_endpoint.authority()
    }

    /// `MESOS_SLAVE_ID`, when given.
    #[getter]
    fn agent_id(&self) -> Option<String> {
        self.handle.env().agent_id.clone()
    }

    /// `MESOS_SANDBOX` (or `MESOS_DIRECTORY`): the sandbox as this process sees it.
    #[getter]
    fn sandbox(&self) -> Option<String> {
        let env = self.handle.env();
        env.sandbox.as_ref().map(|p| p.display().to_string())
    }

    /// `MESOS_DIRECTORY`: the sandbox path on the agent's host (what `/files` serves).
    #[getter]
    fn directory(&self) -> Option<String> {
        let env = self.handle.env();
        env.directory.as_ref().map(|p| p.display().to_string())
    }

    /// `MESOS_CHECKPOINT == "1"`.
    #[getter]
    fn checkpoint(&self) -> bool {
        self.handle.env().checkpoint
    }

    /// `MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD` in seconds.
    #[getter]
    fn shutdown_grace_period(&self) -> f64 {
        self.handle.env().shutdown_grace.as_secs_f64()
    }

    /// `MESOS_RECOVERY_TIMEOUT` in seconds.
    #[getter]
    fn recovery_timeout(&self) -> f64 {
        self.handle.env().recovery_timeout.as_secs_f64()
    }

    /// `MESOS_SUBSCRIPTION_BACKOFF_MAX` in seconds.
    #[getter]
    fn subscription_backoff_max(&self) -> f64 {
        self.handle.env().backoff_max.as_secs_f64()
    }
}

fn to_py(py: Python<'_>, ev: ExecutorEvent) -> PyResult<Bound<'_, PyTuple>> {
    let name = ev.name();
    let payload: Bound<'_, PyAny> = match ev {
        ExecutorEvent::Subscribed { reregistered, info } => {
            (reregistered, PyBytes::new(py, &info.encode_to_vec()))
                .into_pyobject(py)?
                .into_any()
        }
        ExecutorEvent::Launch(task) => PyBytes::new(py, &task.encode_to_vec()).into_any(),
        ExecutorEvent::LaunchGroup(group) => PyBytes::new(py, &group.encode_to_vec()).into_any(),
        ExecutorEvent::Kill {
            task_id,
            kill_policy,
        } => {
            let grace = kill_policy
                .and_then(|k| k.grace_period)
                .map(|d| d.nanoseconds as f64 / 1e9);
            (task_id.value, grace).into_pyobject(py)?.into_any()
        }
        ExecutorEvent::Acknowledged { task_id, uuid } => (task_id.value, PyBytes::new(py, &uuid))
            .into_pyobject(py)?
            .into_any(),
        ExecutorEvent::Message(data) => PyBytes::new(py, &data).into_any(),
        ExecutorEvent::Error(text) => text.into_pyobject(py)?.into_any(),
        ExecutorEvent::Disconnected(e) => e.to_string().into_pyobject(py)?.into_any(),
        ExecutorEvent::Shutdown(reason) => reason.to_string().into_pyobject(py)?.into_any(),
    };
    PyTuple::new(py, [name.into_pyobject(py)?.into_any(), payload])
}
