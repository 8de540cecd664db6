//! The crate's error type.

/// Everything that can go wrong when scoring a set of answers.
///
/// Every variant names the questionnaire version or question involved, so an app
/// can point the user at the answer to fix; [`Error::field`] names the input
/// field. Text taken from the input is repeated at most
/// [`crate::MAX_VERSION_LEN`] characters long.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// No questionnaire has this version string.
    #[error("unknown questionnaire version `{version}`; known versions: {}", .known.join(", "))]
    UnknownVersion {
        /// The version that was asked for.
        version: String,
        /// Every version this crate can score, oldest first.
        known: &'static [&'static str],
    },
    /// The answers were given for one questionnaire version but scored against another.
    #[error(
        "answers for questionnaire version `{answers}` cannot be scored by version `{questionnaire}`"
    )]
    VersionMismatch {
        /// The version of the questionnaire doing the scoring.
        questionnaire: String,
        /// The version named in the answers.
        answers: String,
    },
    /// An answer was given to a question the questionnaire does not have.
    #[error("unknown question id `{id}` in questionnaire version `{version}`")]
    UnknownQuestion {
        /// The questionnaire version.
        version: String,
        /// The unknown question id.
        id: String,
    },
    /// A question was left unanswered.
    #[error("missing answer to question `{id}`")]
    MissingAnswer {
        /// The id of the unanswered question.
        id: String,
    },
    /// An input is larger than the documented bounds ([`crate::MAX_ANSWERS`],
    /// [`crate::MAX_ANSWER_ID_LEN`], [`crate::MAX_VERSION_LEN`]).
    #[error("{field}: {what} may be at most {limit}, got {got}")]
    TooLarge {
        /// The field at fault: `version` or `answers`.
        field: &'static str,
        /// What was counted: `its length`, `the number of answers`, `a question id's length`.
        what: &'static str,
        /// The bound.
        limit: usize,
        /// What was given.
        got: usize,
    },
    /// An answer chose an option the question does not have.
    #[error(
        "option {index} for question `{id}` is out of range; valid options are 0 to {max_index}"
    )]
    OptionOutOfRange {
        /// The question id.
        id: String,
        /// The option index that was given.
        index: usize,
        /// The highest valid option index (valid indices are `0..=max_index`).
        max_index: usize,
    },
}

impl Error {
    /// The variant's name in snake_case (`invalid_field`, `oversold`, ...):
    /// a stable code for bindings and clients to branch on.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::UnknownVersion { .. } => "unknown_version",
            Self::VersionMismatch { .. } => "version_mismatch",
            Self::UnknownQuestion { .. } => "unknown_question",
            Self::MissingAnswer { .. } => "missing_answer",
            Self::TooLarge { .. } => "too_large",
            Self::OptionOutOfRange { .. } => "option_out_of_range",
        }
    }

    /// The input field this error is about: `version` or `answers`.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            Self::UnknownVersion { .. } | Self::VersionMismatch { .. } => Some("version"),
            Self::UnknownQuestion { .. }
            | Self::MissingAnswer { .. }
            | Self::OptionOutOfRange { .. } => Some("answers"),
            Self::TooLarge { field, .. } => Some(field),
        }
    }
}

/// `text` as an error message repeats it: at most [`crate::MAX_VERSION_LEN`]
/// characters, with `…` when cut, so a huge input never makes a huge message.
pub(crate) fn shown(text: &str) -> String {
    let mut chars = text.chars();
    let mut out: String = chars.by_ref().take(crate::MAX_VERSION_LEN).collect();
    if chars.next().is_some() {
        out.push('…');
    }
    out
}

/// The crate's result type, with [`Error`] as the default error.
pub type Result<T, E = Error> = std::result::Result<T, E>;
