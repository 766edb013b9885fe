//! The Python exception hierarchy under `satyr.SatyrError`, and the one mapping from
//! [`crate::Error`] to it.

use pyo3::exceptions::{PyException, PyTypeError, PyValueError};
use pyo3::prelude::*;

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

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("SatyrError", py.get_type::<SatyrError>())?;
    m.add("ProtocolError", py.get_type::<ProtocolError>())?;
    Ok(())
}

impl From<Error> for PyErr {
    fn from(err: Error) -> PyErr {
        match err {
            Error::InvalidArgument(msg) => PyValueError::new_err(msg),
            Error::Resource(msg) => PyTypeError::new_err(msg),
            Error::Protocol(msg) => ProtocolError::new_err(msg),
            Error::Driver(e) => SatyrError::new_err(e.to_string()),
        }
    }
}
