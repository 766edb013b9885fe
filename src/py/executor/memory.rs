//! `retain_freed_memory`, `release_freed_memory`: satyr-executor keeps freed memory for the next call (see
//! `crate::executor::memory`).

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

/// Makes this process's C allocator keep up to `limit` bytes of freed memory for reuse, so a
/// worker's next big argument reuses pages already backed. Call it before threads start.
/// Returns whether it applied (False for 0 and on C libraries other than glibc).
#[pyfunction]
pub fn retain_freed_memory(limit: usize) -> PyResult<bool> {
    crate::executor::memory::retain_freed_memory(limit).map_err(PyValueError::new_err)
}

/// Gives the freed memory kept back to the system (for a worker gone idle); returns whether
/// any was released.
#[pyfunction]
pub fn release_freed_memory() -> bool {
    crate::executor::memory::release_freed_memory()
}
