//! The grounded AuraVest assistant.
//!
//! Answers come from a versioned investing knowledge base and from read-only
//! data tools, never from thin air: every claim carries a citation `[n]`, a
//! question that nothing relevant answers is declined, and personalised
//! buy/sell instructions are refused with education instead.
//!
//! The parts, each usable on its own:
//! - [`kb`]: the knowledge base (Markdown articles with front matter), chunked
//!   by section with overlap.
//! - [`embed`]: the [`Embedder`] trait, a deterministic hashing embedder, and
//!   all-MiniLM-L6-v2 on candle (feature `minilm`).
//! - [`index`]: the [`VectorIndex`] trait with an exact in-memory index and a
//!   usearch index (feature `usearch`).
//! - [`bm25`] and [`retrieve`]: keyword scoring fused with vector similarity.
//! - [`tools`] and [`router`]: typed read-only tools over market data and the
//!   user's portfolio, and the rules that pick them.
//! - [`guard`], [`compose`] and [`assistant`]: guardrails, the extractive
//!   answer composer and the orchestration with metering, audit and feedback.
//! - [`llm`]: text generation behind the [`llm::LanguageModel`] trait (Gemma 3
//!   270M on candle, or an OpenAI-compatible server), completion-style
//!   prompts, and the checks a draft must pass before it is shown.
//! - [`eval`]: the offline evaluation.
//! - [`setup`]: putting an assistant together from a knowledge base and the
//!   best embedder installed; [`setup::env`] is the only place the crate
//!   reads the process environment (where the local models are, how to
//!   reach an OpenAI-compatible server).
//!
//! ## Quickstart
//!
//! The built-in knowledge base, the hashing embedder (no model needed) and a
//! question answered with citations:
//!
//! ```
//! use auravest_ai::{Assistant, HashEmbedder, KnowledgeBase, ToolContext};
//! use auravest_ai::setup::memory_retriever;
//!
//! let kb = KnowledgeBase::builtin()?;
//! let retriever = memory_retriever(&kb, Box::new(HashEmbedder::default()))?;
//! let assistant = Assistant::new(kb.clone(), retriever)?;
//! let tools = ToolContext { market: None, news: None, portfolio: None, kb: &kb, as_of: None };
//! let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
//! let answer = rt.block_on(assistant.ask("user-1", "What is diversification?", &tools))?;
//! assert!(!answer.refused && !answer.citations.is_empty());
//! assert!(answer.answer.contains("[1]"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## Features
//!
//! Lean by default: the hashing embedder, the exact index, the extractive
//! composer and the tools need no model. `minilm` (all-MiniLM-L6-v2
//! embeddings), `gemma` (Gemma 3 270M drafts), `usearch` (an approximate
//! index) and `openai` (an OpenAI-compatible backend) are opt-in; the models'
//! weights come from `scripts/fetch-models.sh`.

// `unsafe` is denied workspace-wide; the two exceptions, allowed there and
// nowhere else: memory-mapping MiniLM's weights (`minilm.rs`), and the SIMD
// loads of the int8 matrix kernels (`llm/int8.rs`, bounds checked before
// each kernel runs).
#![deny(unsafe_code)]
#![deny(missing_docs)]
#![doc(test(attr(deny(warnings))))]

pub mod assistant;
pub mod bm25;
pub mod compose;
pub mod embed;
pub mod error;
pub mod eval;
pub mod guard;
pub mod index;
pub mod kb;
pub mod llm;
#[cfg(feature = "minilm")]
pub mod minilm;
pub mod retrieve;
pub mod router;
pub mod setup;
pub mod store;
pub mod text;
pub mod tools;
#[cfg(feature = "usearch")]
pub mod usearch_index;

pub use assistant::{Answer, Assistant, AssistantConfig, Insight, PortfolioSummary};
pub use embed::{Embedder, HashEmbedder};
pub use error::{Error, Result};
pub use index::{BruteForceIndex, VectorHit, VectorIndex};
pub use kb::{Article, Chunk, ChunkOptions, KnowledgeBase};
#[cfg(feature = "minilm")]
pub use minilm::MiniLm;
pub use retrieve::{Passage, Retrieval, RetrievalConfig, Retriever};
pub use store::{FeedbackKind, UsageKind};
pub use tools::{NewsFeed, NewsItem, PortfolioContext, Range, ToolCall, ToolContext, ToolName};
#[cfg(feature = "usearch")]
pub use usearch_index::{SavedIndexInfo, UsearchIndex, UsearchMetric, UsearchOptions};
