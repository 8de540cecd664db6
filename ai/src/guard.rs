//! Guardrails: the scope check, the verdicts recorded with every answer, and
//! the fixed texts (refusal, advice notice, disclaimer).
//!
//! **Scope.** A question is in scope when a tool applies or when retrieval
//! finds a relevant passage ([`crate::retrieve::RetrievalConfig::threshold`])
//! *and* the query is closer to the knowledge base than to every
//! off-topic anchor, by at least [`SCOPE_MARGIN`]: short descriptions of subjects the assistant does not
//! cover (cooking, chemistry, sport, health, programming...). Words such as
//! "stock", "bond", "yield", "volatility" or "portfolio" have meanings outside
//! finance; the anchors let the embedding tell "chicken stock" from stocks.

use serde::Serialize;

use crate::embed::{Embedder, dot};
use crate::error::Result;

/// How much closer to the knowledge base than to every off-topic anchor a
/// query must be (cosine) to count as in scope.
pub const SCOPE_MARGIN: f32 = 0.05;

/// The disclaimer every answer carries: core's [`auravest_core::AI_DISCLAIMER`].
pub const DISCLAIMER: &str = auravest_core::AI_DISCLAIMER;

/// The notice given instead of a personalised instruction.
pub const ADVICE_NOTICE: &str = "I can't tell you what to buy or sell, or how much: AuraVest is not a registered investment adviser, and the assistant gives general education, not personal recommendations.";

/// The reply to an out-of-scope question.
pub const OUT_OF_SCOPE: &str = "I can only help with investing and personal-finance questions. I can explain investing terms and ideas, describe how AuraVest works, look up delayed prices, price history and fundamentals for a ticker, and summarise your own portfolio or compare it with a benchmark.";

/// The reply when nothing relevant was found for an in-scope-looking question.
pub const NOT_FOUND: &str =
    "I don't have anything in my knowledge base that answers this, so I would rather not guess.";

/// Subjects outside the assistant's scope, as short descriptions.
pub const OFF_TOPIC_ANCHORS: &[&str] = &[
    "cooking, recipes, soup, baking, kitchen ingredients and food",
    "chemistry: atoms, molecules, chemical bonds, solvents and laboratory experiments",
    "physics and engineering problems",
    "sports teams, matches, tournaments and results",
    "weather forecasts, rain and temperature",
    "computer programming, code, software bugs and compiler errors",
    "smartphone apps, operating system updates and beta testing software",
    "medicine, illness, symptoms, pain, drugs and treatment",
    "fitness, exercise, diet and calories",
    "travel plans, holidays, flights and hotels",
    "celebrities, gossip, films, music and television",
    "school mathematics homework and solving equations",
    "translating words between languages",
    "poems, stories and creative writing",
    "gardening, plants, crops and vegetables",
    "farming, animals, livestock and pets",
    "art school, design portfolios, drawing and painting",
    "shops, customer service, refunds and return policies for products",
    "geography and history trivia: countries, capitals, wars",
    "relationships, dating and family advice",
    "cars, repairs and driving",
    "video games and entertainment",
];

/// A guardrail's decision, recorded in the answer's audit record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case", tag = "guard", content = "detail")]
pub enum Verdict {
    /// Nothing relevant and no tool: refused.
    OutOfScope,
    /// In scope, but no passage cleared the threshold.
    NothingRelevant,
    /// A personalised instruction or pick was asked for: refused with education.
    PersonalisedAdvice,
    /// Instruction-changing text was found and treated as data.
    InjectionIgnored,
    /// A ticker to trade was checked by the advice guard; the conflicts found.
    AdviceGuard(String),
    /// A portfolio question without a portfolio in context.
    NeedsPortfolio,
    /// Instruction-like text inside a retrieved passage was dropped.
    PassageInstructionDropped,
    /// Sentences of a generated draft failed the checks and were dropped:
    /// how many.
    DraftSentencesDropped(usize),
    /// A generated draft told the reader to buy or sell: dropped.
    DraftAdviceDropped,
    /// The language model failed; the extractive answer is shown.
    ModelFailed(String),
}

/// The off-topic anchors, embedded once.
#[derive(Debug, Clone)]
pub struct ScopeGuard {
    anchors: Vec<Vec<f32>>,
}

impl ScopeGuard {
    /// Embeds [`OFF_TOPIC_ANCHORS`].
    ///
    /// # Errors
    /// The embedder's error.
    pub fn new(embedder: &dyn Embedder) -> Result<Self> {
        Ok(Self {
            anchors: embedder.embed(OFF_TOPIC_ANCHORS)?,
        })
    }

    /// The highest similarity of `query` to an off-topic anchor, and which.
    pub fn off_topic(&self, query: &[f32]) -> (f32, usize) {
        self.anchors
            .iter()
            .enumerate()
            .map(|(i, a)| (dot(query, a), i))
            .fold(
                (f32::NEG_INFINITY, 0),
                |best, x| if x.0 > best.0 { x } else { best },
            )
    }
}

/// Text inside retrieved content that reads like an instruction to the
/// assistant; such sentences are never quoted.
pub fn looks_like_instruction(sentence: &str) -> bool {
    let s = sentence.to_lowercase();
    [
        "ignore previous",
        "ignore all previous",
        "ignore the above",
        "disregard",
        "system prompt",
        "you are now",
        "as an ai",
        "assistant must",
        "do not tell the user",
    ]
    .iter()
    .any(|p| s.contains(p))
}
