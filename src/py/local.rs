//! `satyr._satyr.LocalCluster`: start, inspect and stop the embedded local cluster
//! (`crate::local`); `satyr.local` builds the user-facing API on top of it.

use std::path::PathBuf;
use std::time::Duration;

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyTuple};

use crate::local::{ClusterConfig, LocalCluster};
use crate::proto::mesos as m;
use crate::Error;

fn seconds(name: &str, value: f64) -> PyResult<Duration> {
    Duration::try_from_secs_f64(value).map_err(|_| {
        PyValueError::new_err(format!(
            "local cluster setting {name}: {value} is not a number of seconds >= 0"
        ))
    })
}

/// A running local cluster (master and agents on 127.0.0.1).
#[pyclass(name = "LocalCluster", module = "satyr._satyr", frozen)]
pub struct PyLocalCluster {
    inner: LocalCluster,
}

#[pymethods]
impl PyLocalCluster {
    #[new]
    #[pyo3(signature = (
        agents = 1,
        resources = None,
        port = 0,
        work_dir = None,
        allocation_interval = 1.0,
        heartbeat_interval = 15.0,
        status_update_retry = 10.0,
        executor_registration_timeout = 60.0,
        executor_shutdown_grace_period = 5.0,
        kill_grace_period = 3.0,
        stop_grace_period = 2.0,
        inherit_env = true,
    ))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        agents: usize,
        resources: Option<String>,
        port: u16,
        work_dir: Option<PathBuf>,
        allocation_interval: f64,
        heartbeat_interval: f64,
        status_update_retry: f64,
        executor_registration_timeout: f64,
        executor_shutdown_grace_period: f64,
        kill_grace_period: f64,
        stop_grace_period: f64,
        inherit_env: bool,
    ) -> PyResult<Self> {
        let config = ClusterConfig {
            port,
            agents,
            resources,
            work_dir,
            allocation_interval: seconds("allocation_interval", allocation_interval)?,
            heartbeat_interval: seconds("heartbeat_interval", heartbeat_interval)?,
            status_update_retry: seconds("status_update_retry", status_update_retry)?,
            executor_registration_timeout: seconds(
                "executor_registration_timeout",
                executor_registration_timeout,
            )?,
            executor_shutdown_grace_period: seconds(
                "executor_shutdown_grace_period",
                executor_shutdown_grace_period,
            )?,
            kill_grace_period: seconds("kill_grace_period", kill_grace_period)?,
            stop_grace_period: seconds("stop_grace_period", stop_grace_period)?,
            inherit_env,
        };
        let inner = py
            .detach(|| LocalCluster::start(config))
            .map_err(Error::from)?;
        Ok(PyLocalCluster { inner })
    }

    /// `http://127.0.0.1:PORT`, the master's URL.
    #[getter]
    fn url(&self) -> String {
        self.inner.url()
    }

    /// `127.0.0.1:PORT`.
    #[getter]
    fn address(&self) -> String {
        self.inner.address().to_string()
    }

    /// The master's port.
    #[getter]
    fn port(&self) -> u16 {
        self.inner.address().port()
    }

    /// The folder holding the sandboxes.
    #[getter]
    fn work_dir(&self) -> String {
        self.inner.work_dir().display().to_string()
    }

    /// The agents: dicts with `id`, `url`, `port`, `work_dir` and `resources` (name to a float,
    /// a list of `(begin, end)` ranges, or a list of set items).
    #[getter]
    fn agents<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let list = PyList::empty(py);
        for a in self.inner.agents() {
            let d = PyDict::new(py);
            d.set_item("id", &a.id)?;
            d.set_item("url", &a.url)?;
            d.set_item("port", a.port)?;
            d.set_item("work_dir", a.work_dir.display().to_string())?;
            d.set_item("resources", resources(py, &a.resources)?)?;
            list.append(d)?;
        }
        Ok(list)
    }

    /// Child processes (executors, command tasks) alive now.
    fn live_processes(&self) -> usize {
        self.inner.live_processes()
    }

    /// Stops the cluster (idempotent): executors and tasks are terminated, servers closed.
    fn stop(&self, py: Python<'_>) {
        py.detach(|| self.inner.stop());
    }
}

fn resources<'py>(py: Python<'py>, list: &[m::Resource]) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    for r in list {
        if let Some(s) = &r.scalar {
            let before: f64 = d
                .get_item(&r.name)?
                .map(|v| v.extract())
                .transpose()?
                .unwrap_or(0.0);
            d.set_item(&r.name, before + s.value)?;
        } else if let Some(ranges) = &r.ranges {
            let items = ranges
                .range
                .iter()
                .map(|x| PyTuple::new(py, [x.begin, x.end]))
                .collect::<PyResult<Vec<_>>>()?;
            d.set_item(&r.name, PyList::new(py, items)?)?;
        } else if let Some(set) = &r.set {
            d.set_item(&r.name, PyList::new(py, &set.item)?)?;
        }
    }
    Ok(d)
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyLocalCluster>()
}
