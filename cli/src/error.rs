//! Mapping SDK errors to messages and exit codes, in one place.

use std::process::ExitCode;

use auravest_core::{Error as CoreError, RowError};

/// Why a command failed.
#[derive(Debug)]
pub(crate) enum CliError {
    /// Bad input: one `FILE:LINE: field: reason` line each (exit 1).
    Invalid(Vec<String>),
    /// Data the command needs is not available (exit 3).
    Unavailable(String),
    /// A bug or an unexpected failure (exit 1, with a note).
    Internal(String),
}

impl CliError {
    /// One invalid-input line.
    pub(crate) fn invalid(line: impl Into<String>) -> Self {
        Self::Invalid(vec![line.into()])
    }

    /// Maps a core error about `file` (its rows carry their own line numbers).
    pub(crate) fn from_core(file: &str, e: CoreError) -> Self {
        let rows = |errors: &[RowError]| {
            errors
                .iter()
                .map(|r| format!("{file}:{}: {}: {}", r.line, r.field, r.reason))
                .collect()
        };
        let text = e.to_string();
        let field = e.field();
        let reason = e.reason();
        match e {
            CoreError::Import { errors } | CoreError::InvalidPrices { errors } => {
                Self::Invalid(rows(&errors))
            }
            CoreError::MissingPrice { .. }
            | CoreError::MissingFx { .. }
            | CoreError::InsufficientData { .. } => Self::Unavailable(format!("{file}: {text}")),
            CoreError::Format { reason, .. } => Self::invalid(format!("{file}: {reason}")),
            _ => match field {
                Some(field) => Self::invalid(format!("{file}: {field}: {reason}")),
                None => Self::invalid(format!("{file}: {text}")),
            },
        }
    }

    /// Prints the error and gives the exit code.
    pub(crate) fn report(self) -> ExitCode {
        match self {
            Self::Invalid(lines) => {
                for l in lines {
                    eprintln!("{l}");
                }
                ExitCode::from(1)
            }
            Self::Unavailable(msg) => {
                eprintln!("data unavailable: {msg}");
                ExitCode::from(3)
            }
            Self::Internal(msg) => {
                eprintln!("internal error: {msg}");
                ExitCode::from(1)
            }
        }
    }
}
