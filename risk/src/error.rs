//! The crate's error type.

/// Everything that can go wrong when scoring a set of answers.
///
/// Every variant names the questionnaire version or question involved, so an app
/// can point the user at the answer to fix.
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

/// The crate's result type, with [`Error`] as the default error.
pub type Result<T, E = Error> = std::result::Result<T, E>;
