//! Python bindings for AuraVest.
//!
//! **Status: not yet implemented.** This crate is reserved for the PyO3 module
//! that forwards to the SDK and returns polars DataFrames. It exports nothing
//! until that work lands.
