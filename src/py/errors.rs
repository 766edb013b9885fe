//! The Python exception hierarchy under `satyr.SatyrError`, and the one mapping from
//! [`crate::Error`] to it.

use pyo3::exceptions::{PyException, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyTuple, PyType};

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

/// `satyr.ResourceError(SatyrError, ValueError)`. Built as a Python class at first use because
/// `create_exception!` allows one base only.
static RESOURCE_ERROR: PyOnceLock<Py<PyType>> = PyOnceLock::new();
/// `satyr.ResourceKindError(SatyrError, TypeError)`.
static RESOURCE_KIND_ERROR: PyOnceLock<Py<PyType>> = PyOnceLock::new();

fn two_base_exception<'py>(
    py: Python<'py>,
    cell: &'static PyOnceLock<Py<PyType>>,
    name: &str,
    second_base: Bound<'py, PyType>,
    doc: &str,
) -> PyResult<Bound<'py, PyType>> {
    let ty = cell.get_or_try_init(py, || -> PyResult<Py<PyType>> {
        let bases = PyTuple::new(py, [py.get_type::<SatyrError>(), second_base])?;
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

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("SatyrError", py.get_type::<SatyrError>())?;
    m.add("ProtocolError", py.get_type::<ProtocolError>())?;
    m.add("ResourceError", resource_error(py)?)?;
    m.add("ResourceKindError", resource_kind_error(py)?)?;
    Ok(())
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
            Error::Driver(e) => SatyrError::new_err(e.to_string()),
            Error::Executor(e) => SatyrError::new_err(e.to_string()),
        }
    }
}
