//! The Python side of satyr-executor: the executor driver (`ExecutorDriver`), interrupting a task
//! thread for KILL (`interrupt_thread`), the allocator's policy
//! (`retain_freed_memory`, `release_freed_memory`), and out-of-band payloads (`payload_*`, `http_get`).
//! `python/satyr/executor.py` builds the executor runner on these.

use pyo3::prelude::*;

mod driver;
mod memory;
mod payload;
mod threads;

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<driver::ExecutorDriver>()?;
    m.add_function(wrap_pyfunction!(threads::interrupt_thread, m)?)?;
    m.add_function(wrap_pyfunction!(memory::retain_freed_memory, m)?)?;
    m.add_function(wrap_pyfunction!(memory::release_freed_memory, m)?)?;
    payload::register(m)
}
