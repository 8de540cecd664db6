//! The crate's one error type and how the fallback chain classifies it.

use std::time::Duration;

/// Result with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Why a market-data request failed.
///
/// Errors are `Clone` so one upstream failure can be handed to every caller
/// that was waiting on the same coalesced request.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The source knows no such symbol (or says it is delisted). Authoritative:
    /// the chain stops here.
    #[error("{source_name}: {symbol} not found: {reason}")]
    NotFound {
        /// Source that answered.
        source_name: String,
        /// The symbol asked for.
        symbol: String,
        /// The source's words.
        reason: String,
    },
    /// The source answered but has no rows for this request (an empty range,
    /// Stooq's "No data"). The chain tries the next source without a penalty.
    #[error("{source_name}: no data for {symbol}")]
    NoData {
        /// Source that answered.
        source_name: String,
        /// The symbol asked for.
        symbol: String,
    },
    /// The source throttled us (HTTP 429, Alpha Vantage `Note`/`Information`,
    /// or a local quota that is used up).
    #[error("{source_name}: rate limited{}", retry_after.map(|d| format!(" (retry after {}s)", d.as_secs())).unwrap_or_default())]
    RateLimited {
        /// Source that throttled.
        source_name: String,
        /// How long to wait, when the source said so.
        retry_after: Option<Duration>,
    },
    /// The source could not be reached or answered with a server error or an
    /// HTML page where data was expected.
    #[error("{source_name}: unavailable: {reason}")]
    Unavailable {
        /// Source that failed.
        source_name: String,
        /// What happened.
        reason: String,
    },
    /// The source answered with something we cannot read.
    #[error("{source_name}: invalid response: {reason}")]
    InvalidResponse {
        /// Source that answered.
        source_name: String,
        /// What was wrong with it.
        reason: String,
    },
    /// The source refused our credentials (a bad API key, an invalid crumb
    /// after a refresh, a premium-only endpoint).
    #[error("{source_name}: unauthorized: {reason}")]
    Unauthorized {
        /// Source that refused.
        source_name: String,
        /// The source's words.
        reason: String,
    },
    /// The symbol cannot be written in this source's format (or is not a valid symbol).
    #[error("bad symbol {symbol:?}: {reason}")]
    BadSymbol {
        /// The symbol text.
        symbol: String,
        /// Why it was rejected.
        reason: String,
    },
    /// The source lacks the capability asked for (fundamentals, search, an interval).
    #[error("{source_name}: does not support {capability}")]
    Unsupported {
        /// Source asked.
        source_name: String,
        /// What was asked for.
        capability: String,
    },
    /// Every row the source returned failed validation.
    #[error("{source_name}: all {dropped} rows for {symbol} failed validation")]
    AllRowsInvalid {
        /// Source that answered.
        source_name: String,
        /// The symbol asked for.
        symbol: String,
        /// How many rows were dropped.
        dropped: usize,
    },
    /// The source's circuit breaker is open after repeated failures.
    #[error("{source_name}: circuit open after repeated failures")]
    CircuitOpen {
        /// Source skipped.
        source_name: String,
    },
    /// Every source in the chain was tried and none answered.
    #[error("no source answered: {}", attempts.iter().map(|a| a.error.to_string()).collect::<Vec<_>>().join("; "))]
    Exhausted {
        /// What each source said, in the order tried.
        attempts: Vec<Attempt>,
    },
    /// A request that makes no sense (an empty date range, an unknown interval).
    #[error("invalid request: {field}: {reason}")]
    InvalidRequest {
        /// The field at fault.
        field: &'static str,
        /// Why.
        reason: String,
    },
    /// A file could not be read.
    #[error("{path}: {reason}")]
    File {
        /// The file.
        path: String,
        /// What went wrong.
        reason: String,
    },
    /// A core type rejected the data (for example when building a `PriceFrame`).
    #[error(transparent)]
    Core(#[from] auravest_core::Error),
}

/// One source's failed try inside the chain.
#[derive(Debug, Clone, PartialEq)]
pub struct Attempt {
    /// The source's name.
    pub source: String,
    /// What it answered.
    pub error: Error,
}

/// How the fallback chain reacts to an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorClass {
    /// Authoritative answer (not found, bad symbol, bad request): stop the chain.
    Stop,
    /// The source is in trouble (rate limited, unavailable, invalid response,
    /// unauthorized): penalise it (its circuit breaker counts a failure) and try the next.
    Penalise,
    /// The source simply cannot help with this request (no data, unsupported,
    /// every row invalid, circuit open): try the next without a penalty.
    Next,
}

impl Error {
    /// The chain's reaction to this error.
    pub fn class(&self) -> ErrorClass {
        match self {
            Self::NotFound { .. } | Self::BadSymbol { .. } | Self::InvalidRequest { .. } => {
                ErrorClass::Stop
            }
            Self::RateLimited { .. }
            | Self::Unavailable { .. }
            | Self::InvalidResponse { .. }
            | Self::Unauthorized { .. }
            | Self::File { .. } => ErrorClass::Penalise,
            Self::NoData { .. }
            | Self::Unsupported { .. }
            | Self::AllRowsInvalid { .. }
            | Self::CircuitOpen { .. }
            | Self::Exhausted { .. }
            | Self::Core(_) => ErrorClass::Next,
        }
    }

    /// True for "no such symbol" answers, including a chain that stopped on one.
    pub fn is_not_found(&self) -> bool {
        matches!(self, Self::NotFound { .. } | Self::BadSymbol { .. })
    }

    /// The source named in the error, when there is one.
    pub fn source_name(&self) -> Option<&str> {
        match self {
            Self::NotFound { source_name, .. }
            | Self::NoData { source_name, .. }
            | Self::RateLimited { source_name, .. }
            | Self::Unavailable { source_name, .. }
            | Self::InvalidResponse { source_name, .. }
            | Self::Unauthorized { source_name, .. }
            | Self::Unsupported { source_name, .. }
            | Self::AllRowsInvalid { source_name, .. }
            | Self::CircuitOpen { source_name } => Some(source_name),
            _ => None,
        }
    }

    pub(crate) fn invalid(source: &str, reason: impl Into<String>) -> Self {
        Self::InvalidResponse {
            source_name: source.to_owned(),
            reason: reason.into(),
        }
    }

    pub(crate) fn unavailable(source: &str, reason: impl Into<String>) -> Self {
        Self::Unavailable {
            source_name: source.to_owned(),
            reason: reason.into(),
        }
    }

    pub(crate) fn unsupported(source: &str, capability: impl Into<String>) -> Self {
        Self::Unsupported {
            source_name: source.to_owned(),
            capability: capability.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_drive_the_chain() {
        let nf = Error::NotFound {
            source_name: "yahoo".to_owned(),
            symbol: "X".to_owned(),
            reason: "delisted".to_owned(),
        };
        assert_eq!(nf.class(), ErrorClass::Stop);
        let rl = Error::RateLimited {
            source_name: "yahoo".to_owned(),
            retry_after: Some(Duration::from_secs(3)),
        };
        assert_eq!(rl.class(), ErrorClass::Penalise);
        assert_eq!(rl.to_string(), "yahoo: rate limited (retry after 3s)");
        assert_eq!(
            Error::NoData {
                source_name: "stooq".to_owned(),
                symbol: "X".to_owned()
            }
            .class(),
            ErrorClass::Next
        );
    }
}
