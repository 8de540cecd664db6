//! Market data for AuraVest.
//!
//! **Status: not yet implemented.** This crate is reserved for delayed quotes
//! and daily history from Yahoo Finance, Alpha Vantage, Stooq and local files,
//! composed into a validated fallback chain with a cache. All I/O will sit
//! behind traits with in-memory implementations. It exports nothing until that
//! work lands.
