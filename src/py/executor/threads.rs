//! KILL of a running Python task: raise an exception in its thread.

use pyo3::prelude::*;
use pyo3::types::PyType;

/// Raises `exc` (an exception class) in the thread whose `threading.get_ident()` is `ident`, the
/// next time it runs Python bytecode. A thread blocked inside C code (a long `time.sleep`, a
/// lock, a C extension) only sees it when that call returns. Returns whether the thread exists.
#[pyfunction]
pub fn interrupt_thread(ident: u64, exc: &Bound<'_, PyType>) -> PyResult<bool> {
    let exception = exc.py().get_type::<pyo3::exceptions::PyBaseException>();
    if !exc.is_subclass(&exception)? {
        return Err(pyo3::exceptions::PyTypeError::new_err(
            "interrupt_thread needs an exception class",
        ));
    }
    // CPython takes an `unsigned long`; pyo3 declares it `c_long`: same bits, so reinterpret.
    Ok(set_async_exc(ident as std::os::raw::c_long, exc) == 1)
}

#[allow(unsafe_code)]
fn set_async_exc(id: std::os::raw::c_long, exc: &Bound<'_, PyType>) -> std::os::raw::c_int {
    // SAFETY: we hold the GIL (a Bound proves it) and `exc` is a live exception class;
    // PyThreadState_SetAsyncExc takes its own reference to it.
    unsafe { pyo3::ffi::PyThreadState_SetAsyncExc(id, exc.as_ptr()) }
}
