//! The native module behind the `auravest` Python package.
//!
//! A forwarding shell over the SDK crates: each function converts its
//! arguments, calls one SDK function and converts the result back. No
//! formula, default or validation lives here: defaults are the SDK's, and
//! every check is the SDK's, raised as the exceptions of
//! `auravest.exceptions` (see [`errors`]). Long calls release the GIL and
//! answer Ctrl-C ([`run`]). The Python package (`python/auravest`) wraps
//! these functions in typed, documented modules.

mod ai;
mod bias;
mod convert;
mod errors;
mod frame;
mod market;
mod optimize;
mod portfolio;
mod risk;
mod run;
mod social;
mod stats;

use pyo3::prelude::*;

/// The native module.
#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add("DISCLAIMER", auravest_core::DISCLAIMER)?;
    m.add("AI_DISCLAIMER", auravest_core::AI_DISCLAIMER)?;
    m.add_class::<frame::PriceTable>()?;
    ai::register(m)?;
    bias::register(m)?;
    market::register(m)?;
    optimize::register(m)?;
    portfolio::register(m)?;
    risk::register(m)?;
    social::register(m)?;
    stats::register(m)?;
    Ok(())
}
