//! `recv_buffer`: reads a big out-of-band buffer of worker mode's connection straight from the
//! socket into the object Python will hold (see satyr/apis/_wire.py). Python itself can only
//! receive into a zero-filled bytearray and then copy to `bytes`: two extra passes over memory,
//! which for a 100 MB argument cost more than the transfer.

use std::os::fd::RawFd;

use pyo3::exceptions::{PyEOFError, PyValueError};
use pyo3::prelude::*;

/// Returns a new `bytes` (or `bytearray` if `writable`) of `size` bytes: `prefix` (bytes already
/// read from the socket) followed by the rest read from the blocking socket `fd`, without the
/// GIL. EOFError if the peer closes first.
#[pyfunction]
#[allow(unsafe_code)] // uninitialized Python objects and recv(2): see the SAFETY notes
fn recv_buffer(
    py: Python<'_>,
    fd: RawFd,
    size: usize,
    prefix: &[u8],
    writable: bool,
) -> PyResult<Py<PyAny>> {
    if prefix.len() > size {
        return Err(PyValueError::new_err(format!(
            "the prefix ({} bytes) is longer than the buffer ({size} bytes)",
            prefix.len()
        )));
    }
    let len = isize::try_from(size)
        .map_err(|_| PyValueError::new_err(format!("buffer size {size} is too large")))?;
    // SAFETY: a NULL source asks CPython for an uninitialized object of `len` bytes; it is
    // filled below before any Python code can see it, and a failed allocation returns NULL with
    // the MemoryError set.
    let raw = unsafe {
        if writable {
            pyo3::ffi::PyByteArray_FromStringAndSize(std::ptr::null(), len)
        } else {
            pyo3::ffi::PyBytes_FromStringAndSize(std::ptr::null(), len)
        }
    };
    // SAFETY: `raw` is a new (owned) reference or NULL with an exception set.
    let obj = unsafe { Bound::from_owned_ptr_or_err(py, raw)? };
    // SAFETY: the object was just created with `len` bytes of storage and nothing else refers to
    // it, so writing that storage (even without the GIL) races with nobody.
    let start = unsafe {
        if writable {
            pyo3::ffi::PyByteArray_AsString(obj.as_ptr())
        } else {
            pyo3::ffi::PyBytes_AsString(obj.as_ptr())
        }
    };
    if start.is_null() {
        return Err(PyErr::fetch(py));
    }
    let addr = start as usize;
    let filled = py.detach(move || {
        // SAFETY: see above: `addr` points at `size` writable bytes owned by `obj`, kept alive
        // by this function's frame.
        let buf = unsafe { std::slice::from_raw_parts_mut(addr as *mut u8, size) };
        buf[..prefix.len()].copy_from_slice(prefix);
        read_exact(fd, &mut buf[prefix.len()..])
    });
    match filled {
        Ok(true) => Ok(obj.unbind()),
        Ok(false) => Err(PyEOFError::new_err("the connection was closed")),
        Err(e) => Err(e.into()),
    }
}

/// Fills `buf` from `fd`; false if the peer closed first. Retries interrupted reads.
#[allow(unsafe_code)] // recv(2) on a descriptor Python owns
fn read_exact(fd: RawFd, buf: &mut [u8]) -> std::io::Result<bool> {
    let mut at = 0;
    while at < buf.len() {
        let rest = &mut buf[at..];
        // SAFETY: `rest` is a valid writable region of `rest.len()` bytes.
        let n = unsafe { libc::recv(fd, rest.as_mut_ptr().cast(), rest.len(), 0) };
        if n < 0 {
            let err = std::io::Error::last_os_error();
            if err.kind() == std::io::ErrorKind::Interrupted {
                continue;
            }
            return Err(err);
        }
        if n == 0 {
            return Ok(false);
        }
        at += n as usize;
    }
    Ok(true)
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(recv_buffer, m)?)
}
