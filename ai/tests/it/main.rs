//! Integration tests of the assistant: knowledge base, retrieval, tools,
//! guardrails, composer and the offline evaluation; the MiniLM and usearch
//! tests use the real weights and library.

mod assistant;
#[cfg(feature = "minilm")]
mod eval_minilm;
mod kb;
#[cfg(feature = "minilm")]
mod minilm;
#[cfg(feature = "usearch")]
mod setup;
mod support;
mod tools;
#[cfg(feature = "usearch")]
mod usearch_index;
