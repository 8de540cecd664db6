//! A [`LanguageModel`] on any OpenAI-compatible chat-completions server:
//! Ollama (the default, at `http://127.0.0.1:11434/v1`), llama.cpp's server,
//! vLLM or a hosted API.
//!
//! The request's instructions become the system message and its prompt the
//! user message. Answers are streamed as server-sent events by default; stop
//! sequences are enforced here as well as by the server, because some servers
//! ignore `stop` or send a little text past it, and the API takes at most
//! [`MAX_SERVER_STOPS`] of them.
//!
//! Failures before any text reached the caller (connection refused, timeouts,
//! HTTP 408, 429 and 5xx) are retried with exponential back-off, honouring
//! `Retry-After`; once text has been streamed nothing is retried, so the
//! caller never sees a piece twice. Every failure is an
//! [`Error::Backend`] whose `retryable` flag says whether trying again later
//! could help.
//!
//! The backend needs a Tokio runtime with the time driver enabled (reqwest
//! needs Tokio anyway).

use std::fmt;
use std::future::{Future, poll_fn};
use std::pin::pin;
use std::str::Utf8Error;
use std::task::Poll;
use std::time::Duration;

use reqwest::header::{ACCEPT, CONTENT_TYPE, RETRY_AFTER};
use serde::{Deserialize, Serialize};

use super::{
    BoxFuture, CancelToken, FinishReason, GenerateRequest, Generation, LanguageModel, StopMatcher,
    TokenSink,
};
use crate::error::{Error, Result};

/// The most stop sequences the chat-completions API accepts in one request;
/// the others are enforced only on this side.
pub const MAX_SERVER_STOPS: usize = 4;

/// The longest wait between two attempts, whatever `Retry-After` asks for.
pub const MAX_RETRY_DELAY: Duration = Duration::from_secs(10);

/// How often a pending network read looks at the [`CancelToken`] (which has
/// no way to wake a task).
const CANCEL_POLL: Duration = Duration::from_millis(50);

/// The longest server message quoted in an error.
const MAX_QUOTE: usize = 300;

/// Where the server is and how to talk to it.
///
/// `Debug` never shows the API key.
#[derive(Clone, PartialEq, Eq)]
pub struct OpenAiConfig {
    /// The API root, ending before `/chat/completions`
    /// (`AURAVEST_OPENAI_BASE_URL`; default Ollama's
    /// `http://127.0.0.1:11434/v1`).
    pub base_url: String,
    /// The model name the server knows (`AURAVEST_OPENAI_MODEL`; default
    /// `gemma3:270m`).
    pub model: String,
    /// Sent as `Authorization: Bearer <key>` when set
    /// (`AURAVEST_OPENAI_API_KEY`, else `OPENAI_API_KEY`).
    pub api_key: Option<String>,
    /// Limit on a whole attempt, from connecting to the last byte of a
    /// streamed answer (`AURAVEST_OPENAI_TIMEOUT_SECS`; default 60 s).
    pub timeout: Duration,
    /// Limit on establishing the connection (default 5 s).
    pub connect_timeout: Duration,
    /// Extra attempts after a retryable failure (default 2).
    pub max_retries: u32,
    /// The wait before the first retry, doubled for each further one
    /// (default 250 ms; never more than [`MAX_RETRY_DELAY`]).
    pub retry_base_delay: Duration,
    /// Ask for a server-sent event stream, so text reaches the caller as it
    /// is generated, with a final usage chunk
    /// (`stream_options.include_usage`; default `true`).
    pub stream: bool,
}

impl Default for OpenAiConfig {
    fn default() -> Self {
        Self {
            base_url: "http://127.0.0.1:11434/v1".to_owned(),
            model: "gemma3:270m".to_owned(),
            api_key: None,
            timeout: Duration::from_secs(60),
            connect_timeout: Duration::from_secs(5),
            max_retries: 2,
            retry_base_delay: Duration::from_millis(250),
            stream: true,
        }
    }
}

impl fmt::Debug for OpenAiConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OpenAiConfig")
            .field("base_url", &self.base_url)
            .field("model", &self.model)
            .field("api_key", &self.api_key.as_ref().map(|_| "<redacted>"))
            .field("timeout", &self.timeout)
            .field("connect_timeout", &self.connect_timeout)
            .field("max_retries", &self.max_retries)
            .field("retry_base_delay", &self.retry_base_delay)
            .field("stream", &self.stream)
            .finish()
    }
}

impl OpenAiConfig {
    /// The defaults, overridden by whatever `lookup` returns for each
    /// `AURAVEST_OPENAI_*` variable name (see the fields). The process
    /// environment is read in one place only,
    /// [`crate::setup::env::openai_config`].
    ///
    /// # Errors
    /// [`Error::Invalid`] naming the variable when a base URL is not
    /// `http(s)://…`, the model is empty or the timeout is not a positive
    /// number of seconds.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self> {
        let mut c = Self::default();
        if let Some(v) = lookup("AURAVEST_OPENAI_BASE_URL") {
            c.base_url = base_url("AURAVEST_OPENAI_BASE_URL", &v)?;
        }
        if let Some(v) = lookup("AURAVEST_OPENAI_MODEL") {
            c.model = model("AURAVEST_OPENAI_MODEL", &v)?;
        }
        let key = |var: &str| {
            lookup(var)
                .map(|k| k.trim().to_owned())
                .filter(|k| !k.is_empty())
        };
        c.api_key = key("AURAVEST_OPENAI_API_KEY").or_else(|| key("OPENAI_API_KEY"));
        if let Some(v) = lookup("AURAVEST_OPENAI_TIMEOUT_SECS") {
            c.timeout = seconds("AURAVEST_OPENAI_TIMEOUT_SECS", &v)?;
        }
        Ok(c)
    }
}

/// `value` as an `http(s)://host…` URL without a trailing slash.
fn base_url(field: &str, value: &str) -> Result<String> {
    let v = value.trim().trim_end_matches('/');
    match reqwest::Url::parse(v) {
        Ok(url) if matches!(url.scheme(), "http" | "https") && url.has_host() => Ok(v.to_owned()),
        Ok(_) => Err(Error::invalid(
            field,
            format!("{value:?} is not an http(s):// URL"),
        )),
        Err(e) => Err(Error::invalid(
            field,
            format!("{value:?} is not a URL: {e}"),
        )),
    }
}

fn model(field: &str, value: &str) -> Result<String> {
    let v = value.trim();
    if v.is_empty() {
        return Err(Error::invalid(field, "the model name is empty"));
    }
    Ok(v.to_owned())
}

fn seconds(field: &str, value: &str) -> Result<Duration> {
    value
        .trim()
        .parse::<f64>()
        .ok()
        .filter(|s| *s > 0.0)
        .and_then(|s| Duration::try_from_secs_f64(s).ok())
        .ok_or_else(|| {
            Error::invalid(
                field,
                format!("{value:?} is not a positive number of seconds"),
            )
        })
}

/// A chat-completions client.
///
/// Sampling maps onto the API's `temperature`, `top_p` and `seed`.
/// `repeat_penalty` and `repeat_last_n` are not sent: the API's
/// `frequency_penalty` and `presence_penalty` subtract from the logits of
/// every earlier token (once per occurrence, or once) over the whole text,
/// whereas the repeat penalty divides them over a window, and no
/// conversion between the two keeps the meaning.
#[derive(Debug)]
pub struct OpenAiBackend {
    config: OpenAiConfig,
    client: reqwest::Client,
    url: String,
}

impl OpenAiBackend {
    /// A client for the server in `config`.
    ///
    /// # Errors
    /// [`Error::Invalid`] for an unusable base URL, an empty model name or a
    /// zero timeout; [`Error::Backend`] if the HTTP client cannot be built.
    pub fn new(config: OpenAiConfig) -> Result<Self> {
        let mut config = config;
        config.base_url = base_url("base_url", &config.base_url)?;
        config.model = model("model", &config.model)?;
        if config.timeout.is_zero() {
            return Err(Error::invalid("timeout", "must be more than zero"));
        }
        if config.connect_timeout.is_zero() {
            return Err(Error::invalid("connect_timeout", "must be more than zero"));
        }
        let client = reqwest::Client::builder()
            .timeout(config.timeout)
            .connect_timeout(config.connect_timeout)
            .user_agent(concat!("auravest/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| Error::Backend {
                backend: format!("openai:{} at {}", config.model, config.base_url),
                reason: format!("cannot build the HTTP client: {}", error_chain(&e)),
                retryable: false,
            })?;
        let url = format!("{}/chat/completions", config.base_url);
        Ok(Self {
            config,
            client,
            url,
        })
    }

    /// The configuration in use.
    pub fn config(&self) -> &OpenAiConfig {
        &self.config
    }

    fn error(&self, failure: Failure) -> Error {
        Error::Backend {
            backend: format!("openai:{} at {}", self.config.model, self.config.base_url),
            reason: failure.reason,
            retryable: failure.retryable,
        }
    }

    async fn run(
        &self,
        request: &GenerateRequest,
        cancel: &CancelToken,
        on_text: &mut TokenSink<'_>,
    ) -> Result<Generation> {
        check_request(request)?;
        let body = serde_json::to_vec(&ChatRequest::new(&self.config, request))
            .map_err(|e| Error::invalid("request", e.to_string()))?;
        let mut attempt = 0;
        loop {
            if cancel.is_cancelled() {
                return Ok(cancelled(String::new()));
            }
            let mut out = Output::new(&request.stop, &mut *on_text);
            let mut failure = match self.attempt(&body, cancel, &mut out).await {
                Ok(generation) => return Ok(generation),
                Err(failure) => failure,
            };
            // Text already shown would be shown again by a new attempt.
            if !failure.retryable || !out.text.is_empty() || attempt >= self.config.max_retries {
                if attempt > 0 {
                    failure.reason = format!("{} (after {} attempts)", failure.reason, attempt + 1);
                }
                return Err(self.error(failure));
            }
            let delay = retry_delay(self.config.retry_base_delay, attempt, failure.retry_after);
            if until_cancelled(tokio::time::sleep(delay), cancel)
                .await
                .is_none()
            {
                return Ok(cancelled(String::new()));
            }
            attempt += 1;
        }
    }

    /// One request; `Err` says whether it is worth another attempt.
    async fn attempt(
        &self,
        body: &[u8],
        cancel: &CancelToken,
        out: &mut Output<'_, '_>,
    ) -> Result<Generation, Failure> {
        let accept = if self.config.stream {
            "text/event-stream"
        } else {
            "application/json"
        };
        let mut req = self
            .client
            .post(&self.url)
            .header(CONTENT_TYPE, "application/json")
            .header(ACCEPT, accept)
            .body(body.to_vec());
        if let Some(key) = &self.config.api_key {
            req = req.bearer_auth(key);
        }
        let Some(sent) = until_cancelled(req.send(), cancel).await else {
            return Ok(out.cancelled());
        };
        let resp = sent.map_err(|e| self.transport(e))?;
        let status = resp.status();
        if !status.is_success() {
            return Err(status_failure(resp).await);
        }
        let event_stream = resp
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.to_ascii_lowercase().starts_with("text/event-stream"));
        if event_stream {
            return self.read_stream(resp, cancel, out).await;
        }
        // A whole JSON answer, asked for or not (some servers ignore `stream`).
        let Some(read) = until_cancelled(resp.bytes(), cancel).await else {
            return Ok(out.cancelled());
        };
        let bytes = read.map_err(|e| self.transport(e))?;
        let completion = parse_completion(&bytes).map_err(Failure::malformed)?;
        Ok(out.whole(&completion))
    }

    async fn read_stream(
        &self,
        mut resp: reqwest::Response,
        cancel: &CancelToken,
        out: &mut Output<'_, '_>,
    ) -> Result<Generation, Failure> {
        let mut parser = SseParser::default();
        let mut stream = StreamState::default();
        loop {
            let Some(read) = until_cancelled(resp.chunk(), cancel).await else {
                return Ok(out.cancelled());
            };
            let chunk = read.map_err(|e| self.transport(e))?;
            let events = match &chunk {
                Some(bytes) => parser.push(bytes),
                None => parser.finish(),
            }
            .map_err(|e| Failure::malformed(format!("the event stream is not UTF-8: {e}")))?;
            for event in events {
                let data = match event {
                    SseEvent::Done => return Ok(out.end(&stream)),
                    SseEvent::Data(data) => data,
                };
                let parsed: StreamChunk = serde_json::from_str(&data).map_err(|e| {
                    Failure::malformed(format!(
                        "a stream event is not a chat.completion.chunk ({e}): {}",
                        quote(&data)
                    ))
                })?;
                if let Some(error) = &parsed.error {
                    return Err(Failure {
                        reason: format!(
                            "the server reported an error mid-stream: {}",
                            quote(&message_of(error))
                        ),
                        retryable: false,
                        retry_after: None,
                    });
                }
                if let Some(usage) = parsed.usage {
                    stream.usage = Some(usage);
                }
                if let Some(choice) = parsed.choices.into_iter().flatten().next() {
                    if let Some(piece) = choice.delta.and_then(|d| d.content)
                        && !piece.is_empty()
                    {
                        stream.pieces += 1;
                        if out.push(&piece) {
                            return Ok(out.end(&stream));
                        }
                    }
                    if choice.finish_reason.is_some() {
                        stream.finish_reason = choice.finish_reason;
                    }
                }
                if cancel.is_cancelled() {
                    return Ok(out.cancelled());
                }
            }
            if chunk.is_none() {
                if stream.finish_reason.is_none() {
                    return Err(Failure {
                        reason: "the event stream ended without a finish_reason or [DONE]"
                            .to_owned(),
                        retryable: true,
                        retry_after: None,
                    });
                }
                return Ok(out.end(&stream));
            }
        }
    }

    fn transport(&self, e: reqwest::Error) -> Failure {
        let what = if e.is_timeout() {
            format!(
                "timed out (connect {:?}, whole request {:?})",
                self.config.connect_timeout, self.config.timeout
            )
        } else if e.is_connect() {
            "cannot connect".to_owned()
        } else {
            "request failed".to_owned()
        };
        Failure {
            retryable: e.is_timeout() || e.is_connect() || e.is_request() || e.is_body(),
            reason: format!(
                "POST {} {what}: {}",
                self.url,
                error_chain(&e.without_url())
            ),
            retry_after: None,
        }
    }
}

impl LanguageModel for OpenAiBackend {
    fn id(&self) -> String {
        format!("openai:{}", self.config.model)
    }

    fn generate<'a>(
        &'a self,
        request: &'a GenerateRequest,
        cancel: &'a CancelToken,
        on_text: &'a mut TokenSink<'_>,
    ) -> BoxFuture<'a, Result<Generation>> {
        Box::pin(self.run(request, cancel, on_text))
    }
}

fn check_request(request: &GenerateRequest) -> Result<()> {
    let s = &request.sampling;
    if request.max_tokens == 0 {
        return Err(Error::invalid("max_tokens", "must be at least 1"));
    }
    if !s.temperature.is_finite() || s.temperature < 0.0 {
        return Err(Error::invalid(
            "sampling.temperature",
            format!("{} is not a finite number ≥ 0", s.temperature),
        ));
    }
    if !(s.top_p > 0.0 && s.top_p <= 1.0) {
        return Err(Error::invalid(
            "sampling.top_p",
            format!("{} is not in (0, 1]", s.top_p),
        ));
    }
    Ok(())
}

/// The wait before retry number `attempt + 1`: the server's `Retry-After`
/// when it gave one, else `base · 2^attempt`, at most [`MAX_RETRY_DELAY`].
fn retry_delay(base: Duration, attempt: u32, retry_after: Option<Duration>) -> Duration {
    retry_after
        .unwrap_or_else(|| base.saturating_mul(1 << attempt.min(16)))
        .min(MAX_RETRY_DELAY)
}

/// Awaits `fut` unless `cancel` fires first (`None`), looking at the token
/// every [`CANCEL_POLL`].
async fn until_cancelled<F: Future>(fut: F, cancel: &CancelToken) -> Option<F::Output> {
    let mut fut = pin!(fut);
    loop {
        if cancel.is_cancelled() {
            return None;
        }
        let mut tick = pin!(tokio::time::sleep(CANCEL_POLL));
        let ready = poll_fn(|cx| match fut.as_mut().poll(cx) {
            Poll::Ready(v) => Poll::Ready(Some(v)),
            Poll::Pending if tick.as_mut().poll(cx).is_ready() => Poll::Ready(None),
            Poll::Pending => Poll::Pending,
        })
        .await;
        if ready.is_some() {
            return ready;
        }
    }
}

fn cancelled(text: String) -> Generation {
    Generation {
        text,
        finish: FinishReason::Cancelled,
        prompt_tokens: 0,
        generated_tokens: 0,
    }
}

/// Why an attempt failed, before it is tied to the backend's name.
#[derive(Debug)]
struct Failure {
    reason: String,
    retryable: bool,
    retry_after: Option<Duration>,
}

impl Failure {
    fn malformed(reason: String) -> Self {
        Self {
            reason,
            retryable: false,
            retry_after: None,
        }
    }
}

/// A non-2xx answer: 408, 429 and 5xx are worth retrying.
async fn status_failure(resp: reqwest::Response) -> Failure {
    let status = resp.status();
    let retry_after = resp
        .headers()
        .get(RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(Duration::from_secs);
    let body = resp.bytes().await.unwrap_or_default();
    Failure {
        reason: format!("HTTP {status}: {}", error_detail(&body)),
        retryable: status.as_u16() == 408 || status.as_u16() == 429 || status.is_server_error(),
        retry_after,
    }
}

/// The server's own words from an error body: `error.message` (OpenAI,
/// vLLM, llama.cpp), `error` as a string (Ollama), `message`, or the body's
/// first line.
fn error_detail(body: &[u8]) -> String {
    if let Ok(v) = serde_json::from_slice::<serde_json::Value>(body) {
        let msg = message_of(v.get("error").unwrap_or(&v));
        if !msg.is_empty() {
            return quote(&msg);
        }
    }
    let text = String::from_utf8_lossy(body);
    let line = text.trim().lines().next().unwrap_or_default();
    if line.is_empty() {
        "(empty body)".to_owned()
    } else {
        quote(line)
    }
}

/// The message in an error object, or the error itself when it is a string.
fn message_of(error: &serde_json::Value) -> String {
    match error {
        serde_json::Value::String(s) => s.clone(),
        v => match v.get("message") {
            Some(serde_json::Value::String(s)) => s.clone(),
            _ => String::new(),
        },
    }
}

/// `text` cut to [`MAX_QUOTE`] characters.
fn quote(text: &str) -> String {
    let mut chars = text.chars();
    let mut s: String = chars.by_ref().take(MAX_QUOTE).collect();
    if chars.next().is_some() {
        s.push('…');
    }
    s
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        let next = c.to_string();
        if !s.contains(&next) {
            s.push_str(": ");
            s.push_str(&next);
        }
        cur = c.source();
    }
    s
}

/// The body of a chat-completions request.
#[derive(Debug, Serialize)]
struct ChatRequest<'a> {
    model: &'a str,
    messages: Vec<ChatMessage<'a>>,
    max_tokens: usize,
    temperature: f32,
    top_p: f32,
    seed: u64,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    stop: Vec<&'a str>,
    stream: bool,
    /// Asks for the final usage chunk when streaming.
    #[serde(skip_serializing_if = "Option::is_none")]
    stream_options: Option<StreamOptions>,
}

#[derive(Debug, Serialize)]
struct ChatMessage<'a> {
    role: &'static str,
    content: &'a str,
}

#[derive(Debug, Serialize)]
struct StreamOptions {
    include_usage: bool,
}

impl<'a> ChatRequest<'a> {
    fn new(config: &'a OpenAiConfig, request: &'a GenerateRequest) -> Self {
        let mut messages = Vec::with_capacity(2);
        if !request.instructions.trim().is_empty() {
            messages.push(ChatMessage {
                role: "system",
                content: &request.instructions,
            });
        }
        messages.push(ChatMessage {
            role: "user",
            content: &request.prompt,
        });
        Self {
            model: &config.model,
            messages,
            max_tokens: request.max_tokens,
            temperature: request.sampling.temperature,
            top_p: request.sampling.top_p,
            seed: request.sampling.seed,
            stop: request
                .stop
                .iter()
                .filter(|s| !s.is_empty())
                .take(MAX_SERVER_STOPS)
                .map(String::as_str)
                .collect(),
            stream: config.stream,
            stream_options: config.stream.then_some(StreamOptions {
                include_usage: true,
            }),
        }
    }
}

#[derive(Debug, Clone, Copy, Default, Deserialize)]
struct Usage {
    #[serde(default)]
    prompt_tokens: Option<usize>,
    #[serde(default)]
    completion_tokens: Option<usize>,
}

/// One `chat.completion.chunk` event (or a server's error event).
#[derive(Debug, Deserialize)]
struct StreamChunk {
    #[serde(default)]
    choices: Option<Vec<StreamChoice>>,
    #[serde(default)]
    usage: Option<Usage>,
    #[serde(default)]
    error: Option<serde_json::Value>,
}

#[derive(Debug, Deserialize)]
struct StreamChoice {
    #[serde(default)]
    delta: Option<Delta>,
    #[serde(default)]
    finish_reason: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Delta {
    #[serde(default)]
    content: Option<String>,
}

/// What a stream said besides its text.
#[derive(Debug, Default)]
struct StreamState {
    finish_reason: Option<String>,
    usage: Option<Usage>,
    /// Deltas with text: the token count when the server gives no usage
    /// (servers send one token per delta).
    pieces: usize,
}

/// The useful part of a whole `chat.completion` answer.
#[derive(Debug, PartialEq)]
struct Completion {
    content: String,
    finish_reason: Option<String>,
    prompt_tokens: usize,
    completion_tokens: usize,
}

/// Reads `choices[0].message.content`, `choices[0].finish_reason` and
/// `usage`; the error says what was missing.
fn parse_completion(body: &[u8]) -> std::result::Result<Completion, String> {
    let v: serde_json::Value = serde_json::from_slice(body).map_err(|e| {
        format!(
            "the answer is not JSON ({e}): {}",
            quote(&String::from_utf8_lossy(body))
        )
    })?;
    let choices = v
        .get("choices")
        .ok_or("the answer has no `choices`")?
        .as_array()
        .ok_or("`choices` is not an array")?;
    let choice = choices.first().ok_or("`choices` is empty")?;
    let message = choice
        .get("message")
        .ok_or("`choices[0]` has no `message`")?;
    // A null content is an empty answer (e.g. nothing generated before the
    // limit); a missing one is not an answer at all.
    let content = match message.get("content") {
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(serde_json::Value::Null) => String::new(),
        Some(_) => return Err("`choices[0].message.content` is not a string".to_owned()),
        None => return Err("`choices[0].message` has no `content`".to_owned()),
    };
    let usage: Usage = v
        .get("usage")
        .and_then(|u| serde_json::from_value(u.clone()).ok())
        .unwrap_or_default();
    Ok(Completion {
        content,
        finish_reason: choice
            .get("finish_reason")
            .and_then(|f| f.as_str())
            .map(str::to_owned),
        prompt_tokens: usage.prompt_tokens.unwrap_or(0),
        completion_tokens: usage.completion_tokens.unwrap_or(0),
    })
}

fn finish_of(reason: Option<&str>) -> FinishReason {
    match reason {
        Some("length") => FinishReason::Length,
        _ => FinishReason::Stop,
    }
}

/// Text on its way to the caller: through the stop matcher, then to the
/// sink, remembering what was shown.
struct Output<'s, 'f> {
    matcher: StopMatcher,
    sink: &'s mut TokenSink<'f>,
    text: String,
}

impl<'s, 'f> Output<'s, 'f> {
    fn new(stops: &[String], sink: &'s mut TokenSink<'f>) -> Self {
        Self {
            matcher: StopMatcher::new(stops),
            sink,
            text: String::new(),
        }
    }

    fn emit(&mut self, piece: &str) {
        if !piece.is_empty() {
            (self.sink)(piece);
            self.text.push_str(piece);
        }
    }

    /// Shows what is safe of `piece`; `true` once a stop sequence is found.
    fn push(&mut self, piece: &str) -> bool {
        let (safe, stopped) = self.matcher.push(piece);
        self.emit(&safe);
        stopped
    }

    fn cancelled(&mut self) -> Generation {
        cancelled(std::mem::take(&mut self.text))
    }

    /// The end of a stream: releases held-back text.
    fn end(&mut self, stream: &StreamState) -> Generation {
        let stopped = self.matcher.stopped();
        let rest = self.matcher.finish();
        self.emit(&rest);
        let usage = stream.usage.unwrap_or_default();
        Generation {
            text: std::mem::take(&mut self.text),
            finish: if stopped {
                FinishReason::Stop
            } else {
                finish_of(stream.finish_reason.as_deref())
            },
            prompt_tokens: usage.prompt_tokens.unwrap_or(0),
            generated_tokens: usage.completion_tokens.unwrap_or(stream.pieces),
        }
    }

    /// A whole answer, shown in one piece.
    fn whole(&mut self, completion: &Completion) -> Generation {
        let (mut text, stopped) = self.matcher.push(&completion.content);
        if !stopped {
            text.push_str(&self.matcher.finish());
        }
        self.emit(&text);
        Generation {
            text: std::mem::take(&mut self.text),
            finish: if stopped {
                FinishReason::Stop
            } else {
                finish_of(completion.finish_reason.as_deref())
            },
            prompt_tokens: completion.prompt_tokens,
            generated_tokens: completion.completion_tokens,
        }
    }
}

/// One server-sent event, as far as chat completions use them.
#[derive(Debug, Clone, PartialEq, Eq)]
enum SseEvent {
    /// The event's data (its `data:` lines joined by newlines).
    Data(String),
    /// `data: [DONE]`, the end of the answer.
    Done,
}

/// Splits a server-sent event stream into events, whatever the network
/// chunks are: lines end in LF, CRLF or CR; a blank line ends an event;
/// comment lines (`:`) and fields other than `data` are skipped. Lines are
/// decoded only when complete, so a character split across chunks is whole.
#[derive(Debug, Default)]
struct SseParser {
    /// Bytes of the unfinished line.
    buf: Vec<u8>,
    /// Data of the unfinished event.
    data: Option<String>,
}

impl SseParser {
    /// Adds `bytes`; returns the events they complete.
    fn push(&mut self, bytes: &[u8]) -> std::result::Result<Vec<SseEvent>, Utf8Error> {
        self.buf.extend_from_slice(bytes);
        let buf = std::mem::take(&mut self.buf);
        let mut events = Vec::new();
        let mut start = 0;
        while let Some(i) = buf[start..].iter().position(|&b| b == b'\n' || b == b'\r') {
            let end = start + i;
            let next = match (buf[end], buf.get(end + 1)) {
                (b'\r', Some(b'\n')) => end + 2,
                // A CR at the end may be half of a CRLF.
                (b'\r', None) => break,
                _ => end + 1,
            };
            let line = match std::str::from_utf8(&buf[start..end]) {
                Ok(line) => line,
                Err(e) => {
                    self.buf = buf[next..].to_vec();
                    return Err(e);
                }
            };
            self.line(line, &mut events);
            start = next;
        }
        self.buf = buf[start..].to_vec();
        Ok(events)
    }

    /// Ends the stream: the last line and event even when unterminated.
    fn finish(&mut self) -> std::result::Result<Vec<SseEvent>, Utf8Error> {
        let buf = std::mem::take(&mut self.buf);
        let mut events = Vec::new();
        let line = std::str::from_utf8(&buf)?.trim_end_matches('\r');
        if !line.is_empty() {
            self.line(line, &mut events);
        }
        self.line("", &mut events);
        Ok(events)
    }

    fn line(&mut self, line: &str, events: &mut Vec<SseEvent>) {
        if line.is_empty() {
            if let Some(data) = self.data.take() {
                events.push(if data.trim() == "[DONE]" {
                    SseEvent::Done
                } else {
                    SseEvent::Data(data)
                });
            }
            return;
        }
        if line.starts_with(':') {
            return;
        }
        let (field, value) = match line.split_once(':') {
            Some((field, value)) => (field, value.strip_prefix(' ').unwrap_or(value)),
            None => (line, ""),
        };
        if field == "data" {
            match &mut self.data {
                Some(data) => {
                    data.push('\n');
                    data.push_str(value);
                }
                None => self.data = Some(value.to_owned()),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data(s: &str) -> SseEvent {
        SseEvent::Data(s.to_owned())
    }

    fn parse_in_pieces(stream: &[u8], cut: usize) -> Vec<SseEvent> {
        let mut p = SseParser::default();
        let mut events = Vec::new();
        for piece in stream.chunks(cut) {
            events.extend(p.push(piece).unwrap());
        }
        events.extend(p.finish().unwrap());
        events
    }

    const STREAM: &str = concat!(
        ": keep-alive\n\n",
        "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"1 €\"}}]}\n\n",
        "event: message\r\n",
        "id: 7\r\n",
        "data:{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"ü\"}}]}\r\n\r\n",
        "data: [DONE]\n\n",
    );

    #[test]
    fn events_are_the_same_however_the_bytes_are_cut() {
        let want = vec![
            data(r#"{"choices":[{"index":0,"delta":{"content":"1 €"}}]}"#),
            data(r#"{"choices":[{"index":0,"delta":{"content":"ü"}}]}"#),
            SseEvent::Done,
        ];
        // Every cut size, including one byte at a time (which splits the CRLFs
        // and the multi-byte characters).
        for cut in 1..=STREAM.len() {
            assert_eq!(parse_in_pieces(STREAM.as_bytes(), cut), want, "cut {cut}");
        }
    }

    #[test]
    fn a_character_split_across_chunks_is_decoded_whole() {
        let bytes = "data: €\n\n".as_bytes();
        let split = bytes.iter().position(|&b| b == 0xE2).unwrap() + 1;
        let mut p = SseParser::default();
        assert!(p.push(&bytes[..split]).unwrap().is_empty());
        assert_eq!(p.push(&bytes[split..]).unwrap(), vec![data("€")]);
    }

    #[test]
    fn partial_lines_wait_for_their_end() {
        let mut p = SseParser::default();
        assert!(p.push(b"data: {\"a\"").unwrap().is_empty());
        assert!(p.push(b":1}\n").unwrap().is_empty());
        assert_eq!(p.push(b"\n").unwrap(), vec![data(r#"{"a":1}"#)]);
    }

    #[test]
    fn comments_and_other_fields_are_skipped() {
        let mut p = SseParser::default();
        let events = p
            .push(b": keep-alive\n\nretry: 10\nevent: ping\n\n:\n\ndata: x\n\n")
            .unwrap();
        assert_eq!(events, vec![data("x")]);
    }

    #[test]
    fn done_ends_the_answer_and_multi_line_data_is_joined() {
        let mut p = SseParser::default();
        let events = p.push(b"data: a\ndata: b\n\ndata:[DONE]\n\n").unwrap();
        assert_eq!(events, vec![data("a\nb"), SseEvent::Done]);
    }

    #[test]
    fn lone_cr_ends_a_line_and_cr_lf_across_chunks_is_one_end() {
        let mut p = SseParser::default();
        assert_eq!(p.push(b"data: a\r\rdata: b\r").unwrap(), vec![data("a")]);
        assert_eq!(p.push(b"\n\r\n").unwrap(), vec![data("b")]);
    }

    #[test]
    fn an_unterminated_last_event_is_kept_at_the_end() {
        let mut p = SseParser::default();
        assert!(p.push(b"data: [DONE]").unwrap().is_empty());
        assert_eq!(p.finish().unwrap(), vec![SseEvent::Done]);
        assert!(SseParser::default().finish().unwrap().is_empty());
    }

    #[test]
    fn invalid_utf8_is_an_error() {
        let mut p = SseParser::default();
        assert!(p.push(b"data: \xff\xfe\n\n").is_err());
    }

    #[test]
    fn request_body_caps_server_stops_and_omits_empty_instructions() {
        let config = OpenAiConfig::default();
        let request = GenerateRequest::new("", "Q", 16).with_stop(["a", "", "b", "c", "d", "e"]);
        let v = serde_json::to_value(ChatRequest::new(&config, &request)).unwrap();
        assert_eq!(v["stop"], serde_json::json!(["a", "b", "c", "d"]));
        assert_eq!(
            v["messages"],
            serde_json::json!([{"role": "user", "content": "Q"}])
        );
        assert_eq!(v["stream_options"]["include_usage"], true);
        assert!(v.get("frequency_penalty").is_none());
        let no_stop = GenerateRequest::new("Be brief.", "Q", 16);
        let v = serde_json::to_value(ChatRequest::new(&config, &no_stop)).unwrap();
        assert!(v.get("stop").is_none());
        assert_eq!(v["messages"][0]["role"], "system");
    }

    #[test]
    fn completion_parsing_names_what_is_missing() {
        let ok = br#"{"choices":[{"index":0,"message":{"role":"assistant","content":"Hi"},"finish_reason":"length"}],"usage":{"prompt_tokens":5,"completion_tokens":2}}"#;
        assert_eq!(
            parse_completion(ok).unwrap(),
            Completion {
                content: "Hi".to_owned(),
                finish_reason: Some("length".to_owned()),
                prompt_tokens: 5,
                completion_tokens: 2,
            }
        );
        let err = |b: &[u8]| parse_completion(b).unwrap_err();
        assert!(err(b"<html>").contains("not JSON"));
        assert!(err(b"{}").contains("no `choices`"));
        assert!(err(br#"{"choices":[]}"#).contains("empty"));
        assert!(err(br#"{"choices":[{}]}"#).contains("no `message`"));
        assert!(err(br#"{"choices":[{"message":{}}]}"#).contains("no `content`"));
    }

    #[test]
    fn error_detail_reads_the_usual_shapes() {
        assert_eq!(
            error_detail(br#"{"error":{"message":"bad key","type":"invalid_request_error"}}"#),
            "bad key"
        );
        assert_eq!(
            error_detail(br#"{"error":"model not found"}"#),
            "model not found"
        );
        assert_eq!(error_detail(b"Bad Gateway\nmore"), "Bad Gateway");
        assert_eq!(error_detail(b""), "(empty body)");
    }

    #[test]
    fn retry_delay_doubles_and_is_capped() {
        let base = Duration::from_millis(250);
        assert_eq!(retry_delay(base, 0, None), base);
        assert_eq!(retry_delay(base, 2, None), Duration::from_secs(1));
        assert_eq!(retry_delay(base, 30, None), MAX_RETRY_DELAY);
        let asked = Some(Duration::from_secs(3));
        assert_eq!(retry_delay(base, 0, asked), Duration::from_secs(3));
        assert_eq!(
            retry_delay(base, 0, Some(Duration::from_secs(120))),
            MAX_RETRY_DELAY
        );
    }

    #[test]
    fn config_validation_names_the_field() {
        let bad = |c: OpenAiConfig| match OpenAiBackend::new(c) {
            Err(Error::Invalid { field, .. }) => field,
            other => panic!("expected Invalid, got {other:?}"),
        };
        let base = OpenAiConfig::default();
        assert_eq!(
            bad(OpenAiConfig {
                base_url: "localhost:11434".to_owned(),
                ..base.clone()
            }),
            "base_url"
        );
        assert_eq!(
            bad(OpenAiConfig {
                model: " ".to_owned(),
                ..base.clone()
            }),
            "model"
        );
        assert_eq!(
            bad(OpenAiConfig {
                timeout: Duration::ZERO,
                ..base.clone()
            }),
            "timeout"
        );
        let b = OpenAiBackend::new(OpenAiConfig {
            base_url: "http://127.0.0.1:8080/v1/".to_owned(),
            ..base
        })
        .unwrap();
        assert_eq!(b.url, "http://127.0.0.1:8080/v1/chat/completions");
        assert_eq!(b.id(), "openai:gemma3:270m");
    }
}
