//! UniFFI bindings (Kotlin, Swift, Python) for AuraVest.
//!
//! **Status: not yet implemented.** This crate is reserved for the UniFFI
//! proc-macro surface used by mobile apps. It exports nothing until that work
//! lands.
