//! Text generation: the [`LanguageModel`] trait, its backends and the checks
//! that keep a generated draft grounded.
//!
//! - `local` (feature `gemma`): Gemma 3 270M from a GGUF file on candle's
//!   CPU backend, with a tokenizer built from the GGUF's own vocabulary; the
//!   header is checked against hostile or truncated files first
//!   (`gguf_header`). The model and tokenizer internals are not part of the
//!   API.
//! - `openai` (feature `openai`): any OpenAI-compatible chat-completions
//!   server (Ollama, llama.cpp's server, vLLM, hosted APIs).
//! - [`prompt`]: completion-style prompts over the grounded material.
//! - [`verify`]: every number and every sentence of a draft checked against
//!   the passages and tool results before it is shown.
//!
//! Every backend streams its text through a callback, stops on any of the
//! request's stop sequences, honours `max_tokens` and can be cancelled from
//! another thread through a [`CancelToken`].

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use serde::Serialize;

use crate::error::Result;

#[cfg(feature = "gemma")]
mod activation;
// The model and tokenizer internals speak candle's and tokenizers' types;
// they are public only under the hidden `internals` feature (the project's
// own benchmarks and tests), so the crate's API never exposes those types.
#[cfg(all(feature = "gemma", feature = "internals"))]
#[doc(hidden)]
pub mod gemma3;
#[cfg(all(feature = "gemma", not(feature = "internals")))]
#[allow(unreachable_pub, dead_code)]
mod gemma3;
#[cfg(feature = "gemma")]
pub mod gguf_header;
#[cfg(all(feature = "gemma", feature = "internals"))]
#[doc(hidden)]
pub mod gguf_tokenizer;
#[cfg(all(feature = "gemma", not(feature = "internals")))]
#[allow(unreachable_pub, dead_code)]
mod gguf_tokenizer;
#[cfg(all(feature = "gemma", feature = "internals"))]
#[doc(hidden)]
pub mod int8;
#[cfg(all(feature = "gemma", not(feature = "internals")))]
#[allow(unreachable_pub, dead_code)]
mod int8;
#[cfg(feature = "gemma")]
pub mod local;
#[cfg(feature = "openai")]
pub mod openai;
pub mod prompt;
pub mod sampling;
pub mod verify;

/// A boxed future, as the object-safe [`LanguageModel`] returns.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// How the next token is chosen.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Sampling {
    /// 0 for greedy decoding; otherwise logits are divided by it.
    pub temperature: f32,
    /// Nucleus sampling: keep the smallest set of tokens whose probability
    /// reaches `top_p` (1 keeps all). Ignored when greedy.
    pub top_p: f32,
    /// Logits of tokens seen in the last `repeat_last_n` tokens are divided
    /// (positive) or multiplied (negative) by this; 1 turns it off.
    pub repeat_penalty: f32,
    /// The window the repeat penalty looks at.
    pub repeat_last_n: usize,
    /// Seed of the sampler's random numbers (ignored when greedy).
    pub seed: u64,
}

impl Sampling {
    /// Greedy decoding with a light repeat penalty (1.1 over 64 tokens): the
    /// settings the grounded drafts use.
    pub const GREEDY: Self = Self {
        temperature: 0.0,
        top_p: 1.0,
        repeat_penalty: 1.1,
        repeat_last_n: 64,
        seed: 0,
    };
}

impl Default for Sampling {
    fn default() -> Self {
        Self::GREEDY
    }
}

/// One generation request.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GenerateRequest {
    /// Standing instructions: a chat backend sends them as the system
    /// message; a completion backend puts them first in the text.
    pub instructions: String,
    /// The prompt proper (ends where the model should continue).
    pub prompt: String,
    /// The most tokens to generate.
    pub max_tokens: usize,
    /// Sampling settings.
    pub sampling: Sampling,
    /// Generation stops before the first occurrence of any of these, which
    /// is not part of the text.
    pub stop: Vec<String>,
}

impl GenerateRequest {
    /// A request with greedy sampling, at most `max_tokens` tokens and no
    /// stop sequence.
    pub fn new(
        instructions: impl Into<String>,
        prompt: impl Into<String>,
        max_tokens: usize,
    ) -> Self {
        Self {
            instructions: instructions.into(),
            prompt: prompt.into(),
            max_tokens,
            sampling: Sampling::GREEDY,
            stop: Vec::new(),
        }
    }

    /// The same request with `stop` sequences.
    #[must_use]
    pub fn with_stop<I, S>(mut self, stop: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.stop = stop.into_iter().map(Into::into).collect();
        self
    }

    /// The text a completion model continues: the instructions, a blank
    /// line, then the prompt (the instructions are left out when empty).
    pub fn completion_text(&self) -> String {
        if self.instructions.trim().is_empty() {
            self.prompt.clone()
        } else {
            format!("{}\n\n{}", self.instructions.trim_end(), self.prompt)
        }
    }
}

/// Why generation ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FinishReason {
    /// A stop sequence or the model's end-of-text token.
    Stop,
    /// `max_tokens` reached.
    Length,
    /// The caller cancelled.
    Cancelled,
}

/// The result of a request.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Generation {
    /// The generated text, without the stop sequence.
    pub text: String,
    /// Why it ended.
    pub finish: FinishReason,
    /// Prompt tokens (as the backend counts them; 0 when it does not say).
    pub prompt_tokens: usize,
    /// Generated tokens.
    pub generated_tokens: usize,
}

/// Cancels a running generation from anywhere: clone it, hand one copy to
/// the request and call [`CancelToken::cancel`] on the other.
#[derive(Debug, Clone, Default)]
pub struct CancelToken(Arc<AtomicBool>);

impl CancelToken {
    /// A token not yet cancelled.
    pub fn new() -> Self {
        Self::default()
    }

    /// Asks every generation holding a clone of this token to stop after
    /// its current token.
    pub fn cancel(&self) {
        self.0.store(true, Ordering::Release);
    }

    /// Has [`CancelToken::cancel`] been called?
    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::Acquire)
    }
}

/// Receives text as it is generated, piece by piece (pieces join to the
/// final text, stop sequences never included).
pub type TokenSink<'a> = dyn FnMut(&str) + Send + 'a;

/// A text generator: a local model or a remote service.
pub trait LanguageModel: Send + Sync {
    /// The name answers and audit records carry, e.g. `gemma-3-270m-q4_k_m`
    /// or `openai:<model>`.
    fn id(&self) -> String;

    /// Generates a continuation of `request`, streaming pieces to `on_text`.
    ///
    /// # Errors
    /// The backend's error ([`crate::Error::Model`] or
    /// [`crate::Error::Backend`]); cancellation is not an error but a
    /// [`FinishReason::Cancelled`] result holding the text so far.
    fn generate<'a>(
        &'a self,
        request: &'a GenerateRequest,
        cancel: &'a CancelToken,
        on_text: &'a mut TokenSink<'_>,
    ) -> BoxFuture<'a, Result<Generation>>;
}

/// A borrowed model is a model too (e.g. one loaded once for a whole
/// program and shared as `&'static`).
impl<M: LanguageModel + ?Sized> LanguageModel for &M {
    fn id(&self) -> String {
        (**self).id()
    }

    fn generate<'a>(
        &'a self,
        request: &'a GenerateRequest,
        cancel: &'a CancelToken,
        on_text: &'a mut TokenSink<'_>,
    ) -> BoxFuture<'a, Result<Generation>> {
        (**self).generate(request, cancel, on_text)
    }
}

/// Holds back text that could be the start of a stop sequence, and finds the
/// first complete one. Backends feed it decoded pieces; it returns what can
/// safely be shown.
#[derive(Debug, Clone, Default)]
pub struct StopMatcher {
    stops: Vec<String>,
    text: String,
    emitted: usize,
    stopped: bool,
}

impl StopMatcher {
    /// A matcher for `stops` (empty strings are ignored).
    pub fn new(stops: &[String]) -> Self {
        Self {
            stops: stops.iter().filter(|s| !s.is_empty()).cloned().collect(),
            ..Self::default()
        }
    }

    /// Adds a piece; returns the text that is now safe to emit, and whether
    /// a stop sequence was found (after which everything is ignored).
    pub fn push(&mut self, piece: &str) -> (String, bool) {
        if self.stopped {
            return (String::new(), true);
        }
        self.text.push_str(piece);
        // Held-back text is never emitted before it is known not to start a
        // stop sequence, so a stop sequence always starts at or after
        // `emitted`.
        let pending = &self.text[self.emitted..];
        let first = self
            .stops
            .iter()
            .filter_map(|s| pending.find(s.as_str()))
            .min();
        if let Some(at) = first {
            let out = pending[..at].to_owned();
            self.text.truncate(self.emitted + at);
            self.emitted = self.text.len();
            self.stopped = true;
            return (out, true);
        }
        // Hold back the longest suffix that is a proper prefix of a stop
        // sequence.
        let hold = self
            .stops
            .iter()
            .flat_map(|s| s.char_indices().skip(1).map(move |(k, _)| &s[..k]))
            .filter(|prefix| pending.ends_with(prefix))
            .map(str::len)
            .max()
            .unwrap_or(0);
        let upto = pending.len() - hold;
        let out = pending[..upto].to_owned();
        self.emitted += upto;
        (out, false)
    }

    /// Ends the stream: returns what was held back (when no stop sequence
    /// was found).
    pub fn finish(&mut self) -> String {
        if self.stopped {
            return String::new();
        }
        let out = self.text[self.emitted..].to_owned();
        self.emitted = self.text.len();
        out
    }

    /// Was a stop sequence found?
    pub fn stopped(&self) -> bool {
        self.stopped
    }

    /// The full text so far, without any stop sequence.
    pub fn text(&self) -> &str {
        &self.text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(stops: &[&str], pieces: &[&str]) -> (Vec<String>, String, bool) {
        let stops: Vec<String> = stops.iter().map(|s| (*s).to_owned()).collect();
        let mut m = StopMatcher::new(&stops);
        let mut out = Vec::new();
        let mut stopped = false;
        for p in pieces {
            let (o, s) = m.push(p);
            out.push(o);
            if s {
                stopped = true;
                break;
            }
        }
        if !stopped {
            out.push(m.finish());
        }
        (out, m.text().to_owned(), stopped)
    }

    #[test]
    fn stop_sequence_split_across_pieces_is_never_shown() {
        let (out, text, stopped) = run(
            &["\nQuestion:"],
            &["The P/E is 10.", "\nQue", "stion: next"],
        );
        assert!(stopped);
        assert_eq!(text, "The P/E is 10.");
        assert_eq!(out.concat(), "The P/E is 10.");
        // The newline was held back until it was known to start the stop.
        assert_eq!(out[0], "The P/E is 10.");
        assert_eq!(out[1], "");
    }

    #[test]
    fn held_text_is_released_when_it_does_not_complete_a_stop() {
        let (out, text, stopped) = run(&["\n\n"], &["a\n", "b", "c"]);
        assert!(!stopped);
        assert_eq!(out, vec!["a", "\nb", "c", ""]);
        assert_eq!(text, "a\nbc");
    }

    #[test]
    fn earliest_of_several_stops_wins_and_multibyte_text_is_safe() {
        let (out, text, stopped) = run(&["END", "€€"], &["1 € ", "and €€ END"]);
        assert!(stopped);
        assert_eq!(text, "1 € and ");
        assert_eq!(out.concat(), "1 € and ");
    }

    #[test]
    fn no_stops_passes_everything_through() {
        let (out, text, stopped) = run(&[], &["x", "y"]);
        assert!(!stopped);
        assert_eq!(out, vec!["x", "y", ""]);
        assert_eq!(text, "xy");
    }

    #[test]
    fn completion_text_puts_instructions_first() {
        let r = GenerateRequest::new("Be brief.", "Question: q\nAnswer:", 8);
        assert_eq!(r.completion_text(), "Be brief.\n\nQuestion: q\nAnswer:");
        let r = GenerateRequest::new("  ", "Q", 8);
        assert_eq!(r.completion_text(), "Q");
    }

    #[test]
    fn cancel_token_is_shared_by_clones() {
        let a = CancelToken::new();
        let b = a.clone();
        assert!(!b.is_cancelled());
        a.cancel();
        assert!(b.is_cancelled());
    }
}
