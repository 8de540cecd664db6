//! Integration tests of the assistant: knowledge base, retrieval, tools,
//! guardrails, composer and the offline evaluation; the MiniLM and usearch
//! tests use the real weights and library.

mod assistant;
mod assistant_llm;
#[cfg(feature = "minilm")]
mod eval_minilm;
// These reach the model internals (the hidden `internals` feature).
#[cfg(all(feature = "gemma", feature = "internals"))]
mod gemma;
#[cfg(all(feature = "gemma", feature = "internals"))]
mod gemma_real;
#[cfg(all(feature = "gemma", feature = "internals"))]
mod gguf_tokenizer;
mod kb;
#[cfg(feature = "minilm")]
mod minilm;
#[cfg(feature = "openai")]
mod openai;
#[cfg(feature = "usearch")]
mod setup;
mod support;
mod tools;
#[cfg(feature = "usearch")]
mod usearch_index;
