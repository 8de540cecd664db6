//! The AuraVest reference server.
//!
//! **Status: not yet implemented.** This crate is reserved for the axum + sqlx
//! server that exposes the whole product over HTTP. It exports nothing until
//! that work lands; until then the `auravest` CLI is the main entry point.
