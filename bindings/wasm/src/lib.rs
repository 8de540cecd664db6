//! WebAssembly bindings for AuraVest.
//!
//! **Status: not yet implemented.** This crate is reserved for the
//! wasm-bindgen surface used from browsers and Node. It exports nothing until
//! that work lands.
