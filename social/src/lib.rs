//! Community rules for AuraVest.
//!
//! **Status: not yet implemented.** This crate is reserved for the pure rules
//! of the pseudonymous community: aliases, posts and cashtags, wealth privacy,
//! feeds and ranking, moderation and notifications. Storage will sit behind a
//! trait with an in-memory implementation. It exports nothing until that work
//! lands.
#![forbid(unsafe_code)]
