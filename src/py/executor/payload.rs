//! Out-of-band payloads for Python: serve large task arguments from the scheduler process,
//! fetch them (executor) or fetch large results from an agent's `/files/download` (scheduler).

use std::time::Duration;

use bytes::Bytes;
use pyo3::prelude::*;
use pyo3::types::PyBytes;

use crate::executor::payload;

/// Serves `data` from this process at an unguessable URL on `host` until `payload_release`.
#[pyfunction]
fn payload_serve(py: Python<'_>, data: &[u8], host: &str) -> PyResult<String> {
    let data = Bytes::copy_from_slice(data);
    Ok(py
        .detach(|| payload::serve(data, host))
        .map_err(crate::Error::from)?)
}

/// Stops serving the payload at `url`; returns whether it was served.
#[pyfunction]
fn payload_release(url: &str) -> bool {
    payload::release(url)
}

/// Number of payloads this process serves.
#[pyfunction]
fn payload_served() -> usize {
    payload::served()
}

/// GETs `url` (without the GIL) and returns the body; HTTP errors raise `SatyrError`.
#[pyfunction]
#[pyo3(signature = (url, timeout = 600.0))]
fn http_get<'py>(py: Python<'py>, url: &str, timeout: f64) -> PyResult<Bound<'py, PyBytes>> {
    let timeout = Duration::try_from_secs_f64(timeout)
        .map_err(|_| pyo3::exceptions::PyValueError::new_err("timeout must be >= 0"))?;
    let body = py
        .detach(|| payload::fetch(url, timeout))
        .map_err(crate::Error::from)?;
    Ok(PyBytes::new(py, &body))
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(payload_serve, m)?)?;
    m.add_function(wrap_pyfunction!(payload_release, m)?)?;
    m.add_function(wrap_pyfunction!(payload_served, m)?)?;
    m.add_function(wrap_pyfunction!(http_get, m)?)?;
    Ok(())
}
