//! The crate's error type.

use std::path::PathBuf;

/// Everything that can go wrong in the assistant, each variant saying what
/// and where.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A knowledge-base article could not be parsed.
    #[error("{path}:{line}: {reason}")]
    Article {
        /// The article file (or its id for built-in articles).
        path: String,
        /// 1-based line of the problem.
        line: usize,
        /// What was wrong.
        reason: String,
    },
    /// A file could not be read or written.
    #[error("{}: {reason}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The operating system's message.
        reason: String,
    },
    /// Model weights or the tokenizer are missing or unreadable.
    #[error("model {model}: {reason}")]
    Model {
        /// Which model.
        model: String,
        /// What went wrong and what to run.
        reason: String,
    },
    /// A language-model service failed or answered with something unusable.
    #[error("{backend}: {reason}")]
    Backend {
        /// Which backend (e.g. `openai:<model> at <url>`).
        backend: String,
        /// What went wrong, with the HTTP status when there was one.
        reason: String,
        /// Would the same request be worth retrying (timeouts, 429, 5xx)?
        retryable: bool,
    },
    /// A vector of the wrong length, or a non-finite value.
    #[error("vector: {reason}")]
    Vector {
        /// What was wrong.
        reason: String,
    },
    /// The vector index failed.
    #[error("index: {reason}")]
    Index {
        /// The index library's message.
        reason: String,
    },
    /// A caller-supplied value was invalid.
    #[error("{field}: {reason}")]
    Invalid {
        /// The offending field or argument.
        field: String,
        /// Why.
        reason: String,
    },
    /// The daily usage limit is reached.
    #[error("limit reached: {used} of {limit} {what} used today")]
    LimitReached {
        /// What is metered.
        what: String,
        /// Used today.
        used: u32,
        /// The daily limit.
        limit: u32,
    },
    /// An unknown answer id (for feedback).
    #[error("answer {0}: not found")]
    UnknownAnswer(String),
    /// The work was cancelled through a [`CancelToken`](crate::llm::CancelToken)
    /// (e.g. the server is shutting down while the index is built).
    #[error("cancelled")]
    Cancelled,
    /// The evaluation set is malformed.
    #[error("evaluation set: {0}")]
    Eval(String),
    /// A store behind one of the [`crate::store`] traits failed.
    #[error("store: {0}")]
    Store(String),
}

impl Error {
    /// The variant's name in snake_case (`invalid_field`, `oversold`, ...):
    /// a stable code for bindings and clients to branch on.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Article { .. } => "article",
            Self::Io { .. } => "io",
            Self::Model { .. } => "model",
            Self::Backend { .. } => "backend",
            Self::Vector { .. } => "vector",
            Self::Index { .. } => "index",
            Self::Invalid { .. } => "invalid",
            Self::LimitReached { .. } => "limit_reached",
            Self::UnknownAnswer(..) => "unknown_answer",
            Self::Cancelled => "cancelled",
            Self::Eval(..) => "eval",
            Self::Store(..) => "store",
        }
    }

    pub(crate) fn invalid(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Self::Invalid {
            field: field.into(),
            reason: reason.into(),
        }
    }

    pub(crate) fn io(path: impl Into<PathBuf>, e: &std::io::Error) -> Self {
        Self::Io {
            path: path.into(),
            reason: e.to_string(),
        }
    }
}

/// `Result` with the crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
