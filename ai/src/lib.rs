//! The AuraVest assistant.
//!
//! **Status: not yet implemented.** This crate is reserved for the knowledge
//! base, embeddings, vector index, read-only tools, guardrails and language
//! model backends of the grounded assistant. It exports nothing until that work
//! lands.
