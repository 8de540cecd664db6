//! Hybrid retrieval: vector similarity fused with normalised BM25, and the
//! relevance threshold below which the answer is "nothing relevant".
//!
//! For each chunk, `score = vector_weight · cosine + keyword_weight · bm25`,
//! where `bm25` is the share of the query's keyword weight the chunk matches
//! (see [`Bm25::search`]), in `[0, 1]`. Candidates are the top
//! [`RetrievalConfig::candidates`] of each list. A retrieval is *relevant*
//! when its best fused score reaches [`RetrievalConfig::threshold`]; passages
//! below [`RetrievalConfig::min_passage_score`] are never returned. The
//! defaults (0.7 / 0.3, threshold 0.25, passages from 0.2) were calibrated
//! for all-MiniLM-L6-v2 with `examples/retrieval_scores.rs` after the
//! evaluation set was committed; another embedder needs its own calibration.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::bm25::{Bm25, Bm25Params};
use crate::embed::Embedder;
use crate::error::Result;
use crate::index::VectorIndex;
use crate::kb::Chunk;

/// Fusion weights and thresholds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RetrievalConfig {
    /// Weight of the cosine similarity.
    pub vector_weight: f32,
    /// Weight of the normalised BM25 score.
    pub keyword_weight: f32,
    /// Candidates taken from each of the two lists.
    pub candidates: usize,
    /// The best fused score must reach this for the retrieval to count as relevant.
    pub threshold: f32,
    /// Passages scoring below this are dropped even from a relevant retrieval.
    pub min_passage_score: f32,
}

impl Default for RetrievalConfig {
    fn default() -> Self {
        Self {
            vector_weight: 0.7,
            keyword_weight: 0.3,
            candidates: 40,
            threshold: 0.25,
            min_passage_score: 0.2,
        }
    }
}

/// A retrieved chunk with its scores.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Passage {
    /// The chunk.
    pub chunk: Chunk,
    /// Fused score.
    pub score: f32,
    /// Cosine similarity to the query (0 when it was not a vector candidate).
    pub vector_score: f32,
    /// Normalised BM25 (0 when no keyword matched).
    pub keyword_score: f32,
}

/// The outcome of one search.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Retrieval {
    /// Passages, best first.
    pub passages: Vec<Passage>,
    /// Did the best passage reach the threshold?
    pub relevant: bool,
    /// Time spent embedding the query.
    #[serde(skip)]
    pub embed_time: Duration,
    /// Time spent searching (vector + keyword + fusion).
    #[serde(skip)]
    pub search_time: Duration,
}

impl Retrieval {
    /// Distinct article ids in passage order.
    pub fn article_ids(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for p in &self.passages {
            if !out.contains(&p.chunk.article_id.as_str()) {
                out.push(&p.chunk.article_id);
            }
        }
        out
    }
}

/// Chunks, their vectors in an index, and a keyword index over the same chunks.
pub struct Retriever {
    chunks: Vec<Chunk>,
    embedder: Box<dyn Embedder>,
    index: Box<dyn VectorIndex>,
    bm25: Bm25,
    config: RetrievalConfig,
}

impl std::fmt::Debug for Retriever {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Retriever")
            .field("chunks", &self.chunks.len())
            .field("model", &self.embedder.model_id())
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl Retriever {
    /// Embeds every chunk (in batches, calling `progress(done, total)`) into
    /// `index`, which must be empty and of the embedder's dimension.
    ///
    /// # Errors
    /// The embedder's or the index's error.
    pub fn build(
        chunks: Vec<Chunk>,
        embedder: Box<dyn Embedder>,
        mut index: Box<dyn VectorIndex>,
        progress: &dyn Fn(usize, usize),
    ) -> Result<Self> {
        let vectors = crate::setup::embed_chunks(&*embedder, &chunks, progress)?;
        for (c, v) in chunks.iter().zip(&vectors) {
            index.add(c.key, v)?;
        }
        Ok(Self::from_parts(chunks, embedder, index))
    }

    /// A retriever over an index that already holds the chunks' vectors
    /// (keys = chunk keys), such as one loaded from disk.
    pub fn from_parts(
        chunks: Vec<Chunk>,
        embedder: Box<dyn Embedder>,
        index: Box<dyn VectorIndex>,
    ) -> Self {
        let texts: Vec<String> = chunks.iter().map(Chunk::search_text).collect();
        let bm25 = Bm25::new(texts.iter().map(String::as_str), Bm25Params::default());
        Self {
            chunks,
            embedder,
            index,
            bm25,
            config: RetrievalConfig::default(),
        }
    }

    /// Replaces the fusion settings.
    pub fn with_config(mut self, config: RetrievalConfig) -> Self {
        self.config = config;
        self
    }

    /// The settings in use.
    pub fn config(&self) -> RetrievalConfig {
        self.config
    }

    /// The chunks.
    pub fn chunks(&self) -> &[Chunk] {
        &self.chunks
    }

    /// The embedder.
    pub fn embedder(&self) -> &dyn Embedder {
        self.embedder.as_ref()
    }

    /// The `k` best passages for `query`.
    ///
    /// # Errors
    /// The embedder's or the index's error.
    pub fn search(&self, query: &str, k: usize) -> Result<Retrieval> {
        let t0 = Instant::now();
        let v = self.embedder.embed_one(query)?;
        let embed_time = t0.elapsed();
        let mut r = self.search_vector(query, &v, k)?;
        r.embed_time = embed_time;
        Ok(r)
    }

    /// As [`Retriever::search`] with the query already embedded.
    ///
    /// # Errors
    /// The index's error (a vector of the wrong length).
    pub fn search_vector(&self, query: &str, vector: &[f32], k: usize) -> Result<Retrieval> {
        self.search_with(query, vector, k, self.config)
    }

    /// As [`Retriever::search_vector`] with other settings (for calibration).
    ///
    /// # Errors
    /// The index's error (a vector of the wrong length).
    pub fn search_with(
        &self,
        query: &str,
        vector: &[f32],
        k: usize,
        c: RetrievalConfig,
    ) -> Result<Retrieval> {
        let t0 = Instant::now();
        let mut fused: HashMap<u64, (f32, f32)> = HashMap::new();
        for hit in self.index.search(vector, c.candidates)? {
            fused.entry(hit.key).or_default().0 = hit.score;
        }
        for (key, s) in self.bm25.search_top(query, c.candidates) {
            fused.entry(key).or_default().1 = s;
        }
        let mut passages: Vec<Passage> = fused
            .into_iter()
            .filter_map(|(key, (v, kw))| {
                let chunk = self.chunks.get(usize::try_from(key).ok()?)?;
                Some(Passage {
                    chunk: chunk.clone(),
                    score: c.vector_weight * v + c.keyword_weight * kw,
                    vector_score: v,
                    keyword_score: kw,
                })
            })
            .filter(|p| p.score >= c.min_passage_score)
            .collect();
        passages.sort_by(|a, b| {
            b.score
                .total_cmp(&a.score)
                .then(a.chunk.key.cmp(&b.chunk.key))
        });
        passages.truncate(k);
        let relevant = passages.first().is_some_and(|p| p.score >= c.threshold);
        Ok(Retrieval {
            passages,
            relevant,
            embed_time: Duration::ZERO,
            search_time: t0.elapsed(),
        })
    }
}
