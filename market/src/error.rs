//! The crate's one error type and how the fallback chain classifies it.

use std::time::Duration;

/// Result with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Why a market-data request failed.
///
/// Errors are `Clone` so one upstream failure can be handed to every caller
/// that was waiting on the same coalesced request.
///
/// **What is safe to show.** `Display` (and so `to_string()`) is written for
/// end users and HTTP clients: the source's name, the symbol, an HTTP status
/// and a short reason the SDK wrote ("connection refused", "timed out",
/// "HTTP 503"). It never holds a file-system path, an upstream URL, an API
/// key, a crumb, a cookie or the upstream's own words. Those go to fields
/// documented as *for logs only* (`reason` of [`Error::NotFound`] and
/// [`Error::Refused`], `detail`, `path`) and to [`Error::diagnostic`], which
/// may hold paths and URLs without their query strings but never a secret.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The source knows no such symbol (or says it is delisted). Authoritative:
    /// the chain stops here.
    #[error("{source_name}: {symbol} not found")]
    NotFound {
        /// Source that answered.
        source_name: String,
        /// The symbol asked for.
        symbol: String,
        /// The source's words, for logs only.
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
        /// What happened, in the SDK's words ("connection refused", "HTTP 503").
        reason: String,
        /// More for logs only: the error chain, the endpoint without its
        /// query, the start of the body. Never an API key, crumb or cookie.
        detail: String,
    },
    /// The source answered with something we cannot read.
    #[error("{source_name}: invalid response: {reason}")]
    InvalidResponse {
        /// Source that answered.
        source_name: String,
        /// What was wrong with it, in the SDK's words.
        reason: String,
        /// More for logs only (the parser's message, the start of the body).
        detail: String,
    },
    /// The source refused our credentials (a bad API key, an invalid crumb
    /// after a refresh, a premium-only endpoint).
    #[error("{source_name}: unauthorized: {reason}")]
    Unauthorized {
        /// Source that refused.
        source_name: String,
        /// What happened, in the SDK's words.
        reason: String,
        /// More for logs only (the source's words). Never a key or crumb.
        detail: String,
    },
    /// The source refused this one request (HTTP 400, 422 or another 4xx that
    /// is not about credentials, throttling or an unknown symbol): a problem
    /// of the request, not of the source. The chain tries the next source
    /// without a penalty.
    #[error("{source_name}: refused the request for {request} (HTTP {status})")]
    Refused {
        /// Source that answered.
        source_name: String,
        /// What was asked for: the symbol in the source's format, or `search`.
        request: String,
        /// The HTTP status.
        status: u16,
        /// The source's words, for logs only.
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
    /// A data file could not be read. A file of one symbol (`symbol` set)
    /// is that symbol's problem; the shared prices file (`symbol` unset) is
    /// the source's.
    #[error("file: {}{reason}", symbol.as_deref().map(|s| format!("{s}: ")).unwrap_or_default())]
    File {
        /// The symbol whose own file it is; `None` for the source's shared prices file.
        symbol: Option<String>,
        /// What went wrong, without the path.
        reason: String,
        /// The file, for logs only.
        path: String,
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
///
/// Circuit breakers count source faults only: connection errors, timeouts,
/// HTTP 5xx, 429 rate limits, 401/403 refusals, unreadable 2xx bodies, HTML
/// pages where data was expected, and an unreadable shared prices file.
/// Problems of one request (an unknown or made-up symbol, a bad range, a
/// per-symbol file that is missing or unreadable, a 4xx about the symbol)
/// never count: whatever a user asks for cannot open a breaker for everyone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorClass {
    /// Authoritative answer (not found, bad symbol, bad request): stop the chain.
    Stop,
    /// The source is in trouble (rate limited, unavailable, invalid response,
    /// unauthorized, its shared file unreadable): penalise it (its circuit
    /// breaker counts a failure) and try the next.
    Penalise,
    /// The source cannot help with this request (no data, unsupported, every
    /// row invalid, circuit open, the request refused, the symbol's own file
    /// unreadable): try the next without a penalty.
    Next,
}

impl Error {
    /// The variant's name in snake_case (`invalid_field`, `oversold`, ...):
    /// a stable code for bindings and clients to branch on.
    /// A wrapped `auravest-core` error answers with its own kind.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::NotFound { .. } => "not_found",
            Self::NoData { .. } => "no_data",
            Self::RateLimited { .. } => "rate_limited",
            Self::Unavailable { .. } => "unavailable",
            Self::InvalidResponse { .. } => "invalid_response",
            Self::Unauthorized { .. } => "unauthorized",
            Self::Refused { .. } => "refused",
            Self::BadSymbol { .. } => "bad_symbol",
            Self::Unsupported { .. } => "unsupported",
            Self::AllRowsInvalid { .. } => "all_rows_invalid",
            Self::CircuitOpen { .. } => "circuit_open",
            Self::Exhausted { .. } => "exhausted",
            Self::InvalidRequest { .. } => "invalid_request",
            Self::File { .. } => "file",
            Self::Core(e) => e.kind(),
        }
    }

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
            | Self::File { symbol: None, .. } => ErrorClass::Penalise,
            Self::NoData { .. }
            | Self::Unsupported { .. }
            | Self::AllRowsInvalid { .. }
            | Self::CircuitOpen { .. }
            | Self::Refused { .. }
            | Self::File {
                symbol: Some(_), ..
            }
            | Self::Exhausted { .. }
            | Self::Core(_) => ErrorClass::Next,
        }
    }

    /// True for "no such symbol" answers, including a chain that stopped on one.
    pub fn is_not_found(&self) -> bool {
        matches!(self, Self::NotFound { .. } | Self::BadSymbol { .. })
    }

    /// True when every source that answered had no data for the request
    /// (the symbol is unknown, or has no prices in the range): a request
    /// to change, not an outage.
    pub fn is_no_data(&self) -> bool {
        match self {
            Self::NoData { .. } | Self::NotFound { .. } | Self::BadSymbol { .. } => true,
            Self::Exhausted { attempts } => {
                !attempts.is_empty() && attempts.iter().all(|a| a.error.is_no_data())
            }
            _ => false,
        }
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
            | Self::Refused { source_name, .. }
            | Self::CircuitOpen { source_name } => Some(source_name),
            Self::File { .. } => Some("file"),
            _ => None,
        }
    }

    /// The error with what only operators should see: the upstream's own
    /// words, the endpoint (without its query string), the file path.
    ///
    /// **For logs only**: it may contain file-system paths and URLs, never
    /// an API key, crumb or cookie. Show clients `to_string()` instead.
    pub fn diagnostic(&self) -> String {
        match self {
            Self::NotFound { reason, .. } | Self::Refused { reason, .. } if !reason.is_empty() => {
                format!("{self} ({reason})")
            }
            Self::Unavailable { detail, .. }
            | Self::InvalidResponse { detail, .. }
            | Self::Unauthorized { detail, .. }
                if !detail.is_empty() =>
            {
                format!("{self} ({detail})")
            }
            Self::File { path, .. } => format!("{self} ({path})"),
            Self::Exhausted { attempts } => format!(
                "no source answered: {}",
                attempts
                    .iter()
                    .map(|a| a.error.diagnostic())
                    .collect::<Vec<_>>()
                    .join("; ")
            ),
            _ => self.to_string(),
        }
    }

    pub(crate) fn invalid(source: &str, reason: impl Into<String>) -> Self {
        Self::invalid_with(source, reason, String::new())
    }

    pub(crate) fn invalid_with(
        source: &str,
        reason: impl Into<String>,
        detail: impl Into<String>,
    ) -> Self {
        Self::InvalidResponse {
            source_name: source.to_owned(),
            reason: reason.into(),
            detail: detail.into(),
        }
    }

    pub(crate) fn unavailable(source: &str, reason: impl Into<String>) -> Self {
        Self::unavailable_with(source, reason, String::new())
    }

    pub(crate) fn unavailable_with(
        source: &str,
        reason: impl Into<String>,
        detail: impl Into<String>,
    ) -> Self {
        Self::Unavailable {
            source_name: source.to_owned(),
            reason: reason.into(),
            detail: detail.into(),
        }
    }

    // Only the HTTP sources are refused credentials or answer with a 4xx.
    #[cfg_attr(not(feature = "http"), allow(dead_code))]
    pub(crate) fn unauthorized(
        source: &str,
        reason: impl Into<String>,
        detail: impl Into<String>,
    ) -> Self {
        Self::Unauthorized {
            source_name: source.to_owned(),
            reason: reason.into(),
            detail: detail.into(),
        }
    }

    /// A 4xx answer about one request (not 401, 403 or 429): 404 and 410
    /// mean the symbol is unknown, anything else that the request was refused.
    #[cfg_attr(not(feature = "http"), allow(dead_code))]
    pub(crate) fn client(source: &str, request: &str, status: u16, words: String) -> Self {
        if matches!(status, 404 | 410) {
            Self::NotFound {
                source_name: source.to_owned(),
                symbol: request.to_owned(),
                reason: words,
            }
        } else {
            Self::Refused {
                source_name: source.to_owned(),
                request: request.to_owned(),
                status,
                reason: words,
            }
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

    #[test]
    fn problems_of_one_request_never_penalise() {
        let per_symbol = [
            Error::client("yahoo", "ZZZZ", 400, "Bad Request".to_owned()),
            Error::client("yahoo", "ZZZZ", 422, String::new()),
            Error::client("yahoo", "ZZZZ", 404, String::new()),
            Error::File {
                symbol: Some("ABC".to_owned()),
                reason: "cannot be read (permission denied)".to_owned(),
                path: "/data/ABC.csv".to_owned(),
            },
            Error::BadSymbol {
                symbol: "X".to_owned(),
                reason: "r".to_owned(),
            },
            Error::InvalidRequest {
                field: "from",
                reason: "r".to_owned(),
            },
        ];
        for e in per_symbol {
            assert_ne!(e.class(), ErrorClass::Penalise, "{e:?}");
        }
        let shared = Error::File {
            symbol: None,
            reason: "prices: line 2: date: bad".to_owned(),
            path: "/data/prices.csv".to_owned(),
        };
        assert_eq!(shared.class(), ErrorClass::Penalise);
        assert_eq!(shared.to_string(), "file: prices: line 2: date: bad");
        assert!(shared.diagnostic().contains("/data/prices.csv"));
    }
}
