//! What the `llm_gemma` bench and the `llm_probe` binary share, so that
//! both compare the same work: the prompts (one [`QUESTION`], knowledge-base
//! passages for it ranked by BM25 in [`ranked_passages`], answer prompts cut
//! to a token budget by [`sized_request`] and [`answer_prompt`]) and the way
//! candle's own model is run ([`Upstream`]).
//!
//! The functions that size a prompt take the encoder as a closure (text to
//! token ids, `<bos>` first), so that the bench can pass
//! `LocalGemma::encode` and the probe the tokenizer it builds from the GGUF
//! file.

use auravest_ai::bm25::{Bm25, Bm25Params};
use auravest_ai::llm::GenerateRequest;
use auravest_ai::llm::prompt::{MAX_SOURCE_CHARS, Source, answer_request};
use auravest_ai::{ChunkOptions, KnowledgeBase};
use candle_core::{Device, Tensor};
use candle_transformers::models::quantized_gemma3::ModelWeights;

/// The question of every prompt.
pub const QUESTION: &str =
    "How is a stock's price-to-earnings ratio worked out, and what does a high one tell me?";

/// Passages of the RAG prompt.
pub const RAG_PASSAGES: usize = 8;

/// BM25 hits that [`ranked_passages`] widens into passages.
const HITS: usize = 16;

/// Knowledge-base passages for [`QUESTION`], best first: the 16 best BM25
/// chunks, each followed by the chunks after it in its article up to the
/// prompt's 900-character limit per source (as a retriever that widens its
/// hits would), so that eight of them can fill 1,300 tokens.
///
/// # Errors
/// The shipped knowledge base does not parse.
pub fn ranked_passages() -> auravest_ai::Result<Vec<Source>> {
    let kb = KnowledgeBase::builtin()?;
    let chunks = kb.chunks(ChunkOptions {
        overlap_sentences: 0,
        ..ChunkOptions::default()
    });
    let texts: Vec<String> = chunks.iter().map(|c| c.search_text()).collect();
    let bm25 = Bm25::new(texts.iter().map(String::as_str), Bm25Params::default());
    let passages = bm25
        .search_top(QUESTION, HITS)
        .into_iter()
        .map(|(key, _)| {
            let first = &chunks[key as usize];
            let mut text = first.text.clone();
            for next in chunks[key as usize + 1..]
                .iter()
                .take_while(|c| c.article_id == first.article_id)
            {
                if text.len() >= MAX_SOURCE_CHARS {
                    break;
                }
                text.push(' ');
                text.push_str(&next.text);
            }
            Source {
                label: format!("{} - {}", first.title, first.heading),
                text,
            }
        })
        .collect();
    Ok(passages)
}

/// The first `n` words of `text`, joined by single spaces.
pub fn first_words(text: &str, n: usize) -> String {
    text.split_whitespace()
        .take(n)
        .collect::<Vec<_>>()
        .join(" ")
}

/// The answer request for [`QUESTION`] over `sources`, each cut to the
/// largest common number of words that keeps the prompt within `target`
/// tokens (or to no words, when even that does not fit); and the ids of its
/// text, as `encode` gives them.
///
/// The request keeps the product's stop sequences and answer length; set
/// `stop` and `max_tokens` for a run of a fixed length.
///
/// # Errors
/// The first error of `encode`.
pub fn sized_request<E>(
    sources: &[Source],
    target: usize,
    encode: impl Fn(&str) -> Result<Vec<u32>, E>,
) -> Result<(GenerateRequest, Vec<u32>), E> {
    let build = |words: usize| {
        let cut: Vec<Source> = sources
            .iter()
            .map(|s| Source {
                label: s.label.clone(),
                text: first_words(&s.text, words),
            })
            .collect();
        let req = answer_request(QUESTION, &cut);
        let ids = encode(&req.completion_text())?;
        Ok((req, ids))
    };
    let mut hi = sources
        .iter()
        .map(|s| s.text.split_whitespace().count())
        .max()
        .unwrap_or(0);
    let full = build(hi)?;
    if full.1.len() <= target {
        return Ok(full);
    }
    let mut lo = 0;
    // Invariant: `lo` words fit (or is 0), `hi` words do not.
    while hi - lo > 1 {
        let mid = (lo + hi) / 2;
        if build(mid)?.1.len() <= target {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    build(lo)
}

/// The answer request of at most `target` tokens (see [`sized_request`]):
/// as few of the best passages in `ranked` as reach `target`, cut to fit.
///
/// # Errors
/// The first error of `encode`.
pub fn answer_prompt<E>(
    ranked: &[Source],
    target: usize,
    encode: impl Fn(&str) -> Result<Vec<u32>, E>,
) -> Result<(GenerateRequest, Vec<u32>), E> {
    let mut n = 1;
    while n < ranked.len() && sized_request(&ranked[..n], usize::MAX, &encode)?.1.len() < target {
        n += 1;
    }
    sized_request(&ranked[..n.min(ranked.len())], target, &encode)
}

/// Candle's Gemma 3 (`quantized_gemma3`), the upstream side of the
/// comparison, on the CPU, with the position its cache has reached.
pub struct Upstream {
    model: ModelWeights,
    /// Tokens in its cache.
    pos: usize,
}

impl Upstream {
    /// Wraps `model`, whose cache is empty.
    pub fn new(model: ModelWeights) -> Self {
        Self { model, pos: 0 }
    }

    /// Forgets the context and runs `ids`; the logits of the last one.
    ///
    /// # Errors
    /// Candle's.
    pub fn prefill(&mut self, ids: &[u32]) -> candle_core::Result<Vec<f32>> {
        self.run(ids, 0)
    }

    /// Runs one more token; its logits.
    ///
    /// # Errors
    /// Candle's.
    pub fn step(&mut self, id: u32) -> candle_core::Result<Vec<f32>> {
        self.run(&[id], self.pos)
    }

    /// Runs `ids` at `pos` (0 resets the cache); the last position's logits.
    fn run(&mut self, ids: &[u32], pos: usize) -> candle_core::Result<Vec<f32>> {
        let x = Tensor::new(ids, &Device::Cpu)?.unsqueeze(0)?;
        let logits = self.model.forward(&x, pos)?;
        self.pos = pos + ids.len();
        logits.squeeze(0)?.to_vec1::<f32>()
    }
}

#[cfg(test)]
mod tests {
    use std::convert::Infallible;

    use super::*;

    /// A stand-in tokenizer: one id per word.
    fn words(text: &str) -> Result<Vec<u32>, Infallible> {
        Ok(text.split_whitespace().map(|_| 0).collect())
    }

    /// A source of `n` words, `w0` to `w{n-1}` (well under the prompt's
    /// character limit).
    fn source(label: &str, n: usize) -> Source {
        let words: Vec<String> = (0..n).map(|i| format!("w{i}")).collect();
        Source {
            label: label.to_owned(),
            text: words.join(" "),
        }
    }

    #[test]
    fn first_words_folds_white_space() {
        assert_eq!(first_words("  a\tb\n c d ", 3), "a b c");
        assert_eq!(first_words("a b", 5), "a b");
        assert_eq!(first_words("a b", 0), "");
    }

    #[test]
    fn sized_request_keeps_the_most_words_that_fit() {
        let sources = [source("a", 120), source("b", 40)];
        let Ok((whole, full)) = sized_request(&sources, usize::MAX, words);
        assert!(whole.prompt.contains("w119\n"));
        // A target that fits: both cut to 80 words, which fills it exactly.
        let target = full.len() - 40;
        let Ok((req, ids)) = sized_request(&sources, target, words);
        assert_eq!(ids.len(), target);
        assert!(req.prompt.contains("w79\n") && !req.prompt.contains("w80"));
        // Nothing fits: no words at all.
        let Ok((req, ids)) = sized_request(&sources, 1, words);
        assert!(ids.len() > 1 && !req.prompt.contains("w0"));
    }

    #[test]
    fn answer_prompt_takes_as_few_passages_as_reach_the_target() {
        let ranked = [source("a", 40), source("b", 40), source("c", 40)];
        let Ok((_, one)) = sized_request(&ranked[..1], usize::MAX, words);
        let target = one.len() + 20;
        let Ok((req, ids)) = answer_prompt(&ranked, target, words);
        assert!(ids.len() <= target);
        assert!(req.prompt.contains("[2] b:") && !req.prompt.contains("[3] c:"));
        let Ok((_, none)) = answer_prompt(&[], target, words);
        assert!(!none.is_empty());
    }

    #[test]
    fn ranked_passages_are_the_widened_hits() {
        let ranked = ranked_passages().expect("the shipped knowledge base parses");
        assert_eq!(ranked.len(), HITS);
        assert!(
            ranked
                .iter()
                .all(|s| !s.text.is_empty() && !s.label.is_empty())
        );
    }
}
