//! PyO3 bindings: the private `satyr._satyr` module. Only this folder knows about Python.

use pyo3::prelude::*;

pub mod binpack;
pub mod codec;
pub mod driver;
pub mod errors;
mod executor;
mod local;
mod logging;
mod resources;
mod scheduler;
mod wire;

/// The private native module behind the `satyr` package.
#[pymodule]
#[pyo3(name = "_satyr")]
fn satyr_native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    errors::register(m)?;
    binpack::register(m)?;
    resources::register(m)?;
    codec::register(m)?;
    driver::register(m)?;
    executor::register(m)?;
    scheduler::register(m)?;
    local::register(m)?;
    logging::register(m)?;
    wire::register(m)?;
    Ok(())
}
