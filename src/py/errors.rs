//! The Python exception hierarchy under `satyr.SatyrError`, and the one mapping from
//! [`crate::Error`] to it.

use pyo3::exceptions::{PyConnectionError, PyException, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyTuple, PyType};

use crate::driver::DriverError;
use crate::Error;

pyo3::create_exception!(
    satyr,
    SatyrError,
    PyException,
    "Base class of every satyr error."
);
pyo3::create_exception!(
    satyr,
    ProtocolError,
    SatyrError,
    "A Mesos message could not be decoded or encoded."
);

pyo3::create_exception!(
    satyr,
    MesosError,
    SatyrError,
    "The Mesos master refused: an ERROR event, or an HTTP error the driver does not retry."
);
pyo3::create_exception!(
    satyr,
    FrameworkRemovedError,
    MesosError,
    "The master removed the framework (torn down, or its failover timeout ran out): its id can \
     never subscribe again."
);
pyo3::create_exception!(
    satyr,
    AuthenticationError,
    MesosError,
    "The master refused the principal/secret (HTTP 401). Not retried."
);

/// `satyr.ResourceError(SatyrError, ValueError)`. Built as a Python class at first use because
/// `create_exception!` allows one base only.
static RESOURCE_ERROR: PyOnceLock<Py<PyType>> = PyOnceLock::new();
/// `satyr.ResourceKindError(SatyrError, TypeError)`.
static RESOURCE_KIND_ERROR: PyOnceLock<Py<PyType>> = PyOnceLock::new();
/// `satyr.MesosConnectionError(SatyrError, ConnectionError)`.
static MESOS_CONNECTION_ERROR: PyOnceLock<Py<PyType>> = PyOnceLock::new();
/// `satyr.NotConnectedError(MesosConnectionError)`.
static NOT_CONNECTED_ERROR: PyOnceLock<Py<PyType>> = PyOnceLock::new();
/// `satyr.InvalidCallError(SatyrError, ValueError)`.
static INVALID_CALL_ERROR: PyOnceLock<Py<PyType>> = PyOnceLock::new();
/// `satyr.OfferNotHeldError(InvalidCallError)`.
static OFFER_NOT_HELD_ERROR: PyOnceLock<Py<PyType>> = PyOnceLock::new();

fn two_base_exception<'py>(
    py: Python<'py>,
    cell: &'static PyOnceLock<Py<PyType>>,
    name: &str,
    second_base: Bound<'py, PyType>,
    doc: &str,
) -> PyResult<Bound<'py, PyType>> {
    python_exception(
        py,
        cell,
        name,
        vec![py.get_type::<SatyrError>(), second_base],
        doc,
    )
}

/// An exception class built in Python (`type(name, bases, ns)`) at first use.
fn python_exception<'py>(
    py: Python<'py>,
    cell: &'static PyOnceLock<Py<PyType>>,
    name: &str,
    bases: Vec<Bound<'py, PyType>>,
    doc: &str,
) -> PyResult<Bound<'py, PyType>> {
    let ty = cell.get_or_try_init(py, || -> PyResult<Py<PyType>> {
        let bases = PyTuple::new(py, bases)?;
        let namespace = PyDict::new(py);
        namespace.set_item("__module__", "satyr")?;
        namespace.set_item("__doc__", doc)?;
        let created = py
            .get_type::<PyType>()
            .call1((name, bases, namespace))?
            .cast_into::<PyType>()?;
        Ok(created.unbind())
    })?;
    Ok(ty.bind(py).clone())
}

/// The `satyr.ResourceError` class.
pub fn resource_error(py: Python<'_>) -> PyResult<Bound<'_, PyType>> {
    two_base_exception(
        py,
        &RESOURCE_ERROR,
        "ResourceError",
        py.get_type::<PyValueError>(),
        "A bad resource value, or resource arithmetic that would go below zero.",
    )
}

/// The `satyr.ResourceKindError` class.
pub fn resource_kind_error(py: Python<'_>) -> PyResult<Bound<'_, PyType>> {
    two_base_exception(
        py,
        &RESOURCE_KIND_ERROR,
        "ResourceKindError",
        py.get_type::<PyTypeError>(),
        "Resource arithmetic mixing kinds (cpus + mem, one name with two value types).",
    )
}

/// The `satyr.MesosConnectionError` class.
pub fn mesos_connection_error(py: Python<'_>) -> PyResult<Bound<'_, PyType>> {
    two_base_exception(
        py,
        &MESOS_CONNECTION_ERROR,
        "MesosConnectionError",
        py.get_type::<PyConnectionError>(),
        "The master cannot be reached or the connection to it broke (refused, TLS, timeout, \
         malformed or oversized stream, heartbeats missed, no leader in ZooKeeper).",
    )
}

/// The `satyr.NotConnectedError` class.
pub fn not_connected_error(py: Python<'_>) -> PyResult<Bound<'_, PyType>> {
    let base = mesos_connection_error(py)?;
    python_exception(
        py,
        &NOT_CONNECTED_ERROR,
        "NotConnectedError",
        vec![base],
        "A call was not sent: the driver is not subscribed (yet, or right now), or has stopped.",
    )
}

/// The `satyr.InvalidCallError` class.
pub fn invalid_call_error(py: Python<'_>) -> PyResult<Bound<'_, PyType>> {
    two_base_exception(
        py,
        &INVALID_CALL_ERROR,
        "InvalidCallError",
        py.get_type::<PyValueError>(),
        "A bad driver setting or call argument (master address, framework info, a status \
         without a uuid to acknowledge, ...); nothing was sent.",
    )
}

/// The `satyr.OfferNotHeldError` class.
pub fn offer_not_held_error(py: Python<'_>) -> PyResult<Bound<'_, PyType>> {
    let base = invalid_call_error(py)?;
    python_exception(
        py,
        &OFFER_NOT_HELD_ERROR,
        "OfferNotHeldError",
        vec![base],
        "An offer was accepted that the driver does not hold: already used or declined, \
         rescinded, or from before a resubscription.",
    )
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("SatyrError", py.get_type::<SatyrError>())?;
    m.add("ProtocolError", py.get_type::<ProtocolError>())?;
    m.add("ResourceError", resource_error(py)?)?;
    m.add("ResourceKindError", resource_kind_error(py)?)?;
    m.add("MesosError", py.get_type::<MesosError>())?;
    m.add(
        "FrameworkRemovedError",
        py.get_type::<FrameworkRemovedError>(),
    )?;
    m.add("AuthenticationError", py.get_type::<AuthenticationError>())?;
    m.add("MesosConnectionError", mesos_connection_error(py)?)?;
    m.add("NotConnectedError", not_connected_error(py)?)?;
    m.add("InvalidCallError", invalid_call_error(py)?)?;
    m.add("OfferNotHeldError", offer_not_held_error(py)?)?;
    Ok(())
}

fn from_lazy_type(
    py: Python<'_>,
    ty: fn(Python<'_>) -> PyResult<Bound<'_, PyType>>,
    msg: String,
) -> PyErr {
    match ty(py) {
        Ok(ty) => PyErr::from_type(ty, msg),
        Err(e) => e,
    }
}

/// The Python exception for a driver error (see the classes above for which is which).
pub fn driver_error(py: Python<'_>, err: &DriverError) -> PyErr {
    let msg = err.to_string();
    match err {
        DriverError::MasterUrl { .. } | DriverError::InvalidCall(_) | DriverError::NoUuid(_) => {
            from_lazy_type(py, invalid_call_error, msg)
        }
        DriverError::OfferNotHeld(_) => from_lazy_type(py, offer_not_held_error, msg),
        DriverError::NotSubscribed | DriverError::Stopped => {
            from_lazy_type(py, not_connected_error, msg)
        }
        DriverError::Unauthorized(_) => AuthenticationError::new_err(msg),
        DriverError::Http { .. } => MesosError::new_err(msg),
        // Mesos says "Framework has been removed" for a torn-down or timed-out framework id.
        DriverError::Master(m) if m.contains("has been removed") => {
            FrameworkRemovedError::new_err(msg)
        }
        DriverError::Master(_) => MesosError::new_err(msg),
        DriverError::Connect { .. }
        | DriverError::Tls(_)
        | DriverError::Stream(_)
        | DriverError::FrameTooLarge { .. }
        | DriverError::StreamClosed
        | DriverError::HeartbeatTimeout(_)
        | DriverError::Timeout(_)
        | DriverError::SubscriptionLost(_)
        | DriverError::ZooKeeper(_)
        | DriverError::NoLeader => from_lazy_type(py, mesos_connection_error, msg),
    }
}

impl From<Error> for PyErr {
    fn from(err: Error) -> PyErr {
        match err {
            Error::InvalidArgument(msg) => PyValueError::new_err(msg),
            Error::Resource(msg) => Python::attach(|py| match resource_error(py) {
                Ok(ty) => PyErr::from_type(ty, msg),
                Err(e) => e,
            }),
            Error::ResourceKind(msg) => Python::attach(|py| match resource_kind_error(py) {
                Ok(ty) => PyErr::from_type(ty, msg),
                Err(e) => e,
            }),
            Error::Protocol(msg) => ProtocolError::new_err(msg),
            Error::Driver(e) => Python::attach(|py| driver_error(py, &e)),
            Error::Executor(e) => SatyrError::new_err(e.to_string()),
            Error::Local(e @ crate::local::LocalError::Config { .. }) => {
                PyValueError::new_err(e.to_string())
            }
            Error::Local(e) => SatyrError::new_err(e.to_string()),
        }
    }
}
