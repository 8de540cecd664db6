//! The community guidelines and the pinned welcome message, as data.

/// The pinned welcome message, shown at the top of the public feed.
pub const WELCOME_MESSAGE: &str =
    "All investors start somewhere. Be respectful and help each other grow.";

/// One community guideline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Guideline {
    /// A stable id (`no-spam`), used by rules that enforce the guideline.
    pub id: &'static str,
    /// A short title.
    pub title: &'static str,
    /// The guideline in a sentence or two.
    pub text: &'static str,
}

/// The community guidelines, in the order they are shown.
pub const GUIDELINES: &[Guideline] = &[
    Guideline {
        id: "be-respectful",
        title: "Be respectful",
        text: "Disagree with ideas, not people. No insults, threats, harassment or vulgarity.",
    },
    Guideline {
        id: "help-each-other",
        title: "Help each other grow",
        text: "Everyone starts somewhere. Answer questions kindly and explain your reasoning.",
    },
    Guideline {
        id: "protect-privacy",
        title: "Protect privacy, yours and others'",
        text: "Share percentages, not amounts. Never post anyone's personal information, and do not try to find out who wrote an anonymous post.",
    },
    Guideline {
        id: "no-manipulation",
        title: "No manipulation",
        text: "No pump-and-dump schemes, coordinated buying calls, rumours presented as fact or inside information.",
    },
    Guideline {
        id: "share-before-you-brag",
        title: "Share your ideas before the results",
        text: "Promoting gains on trades you did not share beforehand is not allowed. Post your idea first; then the result is worth discussing.",
    },
    Guideline {
        id: "no-spam",
        title: "No spam",
        text: "No repeated posts, no tagging tickers a post is not about, and no advertising.",
    },
    Guideline {
        id: "not-advice",
        title: "Posts are not financial advice",
        text: "Do your own research and know your risk profile. Nobody here knows your situation better than you.",
    },
    Guideline {
        id: "report-dont-retaliate",
        title: "Report, don't retaliate",
        text: "Flag posts that break these guidelines and let the moderators handle them.",
    },
];

/// The pinned message: the welcome text and the guidelines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PinnedMessage {
    /// The welcome text ([`WELCOME_MESSAGE`]).
    pub text: &'static str,
    /// The guidelines ([`GUIDELINES`]).
    pub guidelines: &'static [Guideline],
}

/// The pinned welcome message.
///
/// ```
/// let pinned = auravest_social::welcome();
/// assert_eq!(pinned.text, "All investors start somewhere. Be respectful and help each other grow.");
/// assert!(pinned.guidelines.iter().any(|g| g.id == "no-spam"));
/// ```
pub fn welcome() -> PinnedMessage {
    PinnedMessage {
        text: WELCOME_MESSAGE,
        guidelines: GUIDELINES,
    }
}

/// The guideline with this id.
pub fn guideline(id: &str) -> Option<&'static Guideline> {
    GUIDELINES.iter().find(|g| g.id == id)
}
