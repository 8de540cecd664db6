//! The grounded assistant: retrieval over the knowledge base always, read-only
//! tools over the market and the portfolio, and the local language model
//! when the app ships its weights (feature `local-model`).

use std::path::PathBuf;
use std::sync::Arc;

use auravest_ai::setup::Setup;
use auravest_ai::{PortfolioContext, ToolContext};

use crate::errors::{AuraError, Outcome};
use crate::market::MarketClient;
use crate::portfolio::Portfolio;
use crate::prices::{PriceTable, date};
use crate::risk::Profile;
use crate::runtime::spawn;

/// How to set the assistant up; every `null` takes the SDK's default.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct AssistantOptions {
    /// A folder of knowledge-base articles (the built-in base when `null`).
    #[uniffi(default = None)]
    pub kb_dir: Option<String>,
    /// Where to keep the index between runs (built in memory when `null`).
    #[uniffi(default = None)]
    pub index_dir: Option<String>,
    /// Use the hashing embedder even when a sentence model is available.
    #[uniffi(default = None)]
    pub hash_embedder: Option<bool>,
    /// Rebuild the index even when a saved one matches.
    #[uniffi(default = None)]
    pub rebuild: Option<bool>,
    /// The local model's GGUF weights, shipped with the app; `null`: no
    /// model, the extractive composer answers.
    #[uniffi(default = None)]
    pub model_path: Option<String>,
    /// Questions each user may ask a day.
    #[uniffi(default = None)]
    pub daily_question_limit: Option<u32>,
}

/// How the assistant was set up.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct SetupInfo {
    /// The embedder used.
    pub embedder: String,
    /// Why it is not the preferred one, if so.
    pub embedder_note: Option<String>,
    /// Passages indexed.
    pub chunks: u32,
    /// The knowledge base's content hash.
    pub kb_hash: String,
    /// Whether a saved index was loaded.
    pub loaded: bool,
    /// The model that drafts answers (`none`: extractive only).
    pub model: String,
}

/// The portfolio a question is about, with its prices.
#[derive(Debug, Clone, uniffi::Record)]
pub struct AskContext {
    /// The portfolio.
    pub portfolio: Arc<Portfolio>,
    /// Its prices.
    pub prices: Arc<PriceTable>,
    /// Where those prices came from, as the answer should say it.
    pub prices_source: String,
    /// The investor's risk profile.
    #[uniffi(default = None)]
    pub profile: Option<Profile>,
}

/// A source an answer cites.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Citation {
    /// The article id.
    pub id: String,
    /// Its title.
    pub title: String,
    /// The section.
    pub heading: String,
    /// The passage quoted.
    pub snippet: String,
}

/// A tool the assistant ran (arguments and result as JSON text: their shape
/// is the tool's own).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ToolUse {
    /// The tool.
    pub name: String,
    /// Its arguments.
    pub args_json: String,
    /// Its result.
    pub result_json: String,
}

/// An answer with its sources and the checks it went through.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Answer {
    /// A unique id, for feedback.
    pub id: String,
    /// The text, with `[n]` markers and the disclaimer at the end.
    pub text: String,
    /// Sources, indexed by the markers (1-based).
    pub citations: Vec<Citation>,
    /// Tools run.
    pub tools: Vec<ToolUse>,
    /// Whether the question was declined.
    pub refused: bool,
    /// The model that drafted it (`none`: extractive only).
    pub model: String,
    /// What the checks did with the model's draft (`accepted`, `repaired`,
    /// `replaced`); `null` when no model ran.
    pub draft: Option<String>,
    /// The disclaimer.
    pub disclaimer: String,
    /// The guardrails' verdicts.
    pub guardrails: Vec<String>,
}

fn answer(a: auravest_ai::Answer) -> Answer {
    use crate::bias::serde_name;
    Answer {
        id: a.id,
        text: a.answer,
        citations: a
            .citations
            .into_iter()
            .map(|c| Citation {
                id: c.id,
                title: c.title,
                heading: c.heading,
                snippet: c.snippet,
            })
            .collect(),
        tools: a
            .tools
            .into_iter()
            .map(|t| ToolUse {
                name: serde_name(&t.name),
                args_json: t.args.to_string(),
                result_json: t.result.to_string(),
            })
            .collect(),
        refused: a.refused,
        model: a.model,
        draft: a.draft.as_ref().map(serde_name),
        disclaimer: a.disclaimer,
        guardrails: a.guardrails.iter().map(serde_name).collect(),
    }
}

/// The assistant.
#[derive(uniffi::Object)]
pub struct Assistant {
    assistant: Arc<auravest_ai::Assistant>,
    setup: SetupInfo,
    market: Option<Arc<MarketClient>>,
}

impl std::fmt::Debug for Assistant {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Assistant")
            .field("setup", &self.setup)
            .finish_non_exhaustive()
    }
}

#[cfg(feature = "local-model")]
fn local_model(path: &str) -> Outcome<Arc<dyn auravest_ai::llm::LanguageModel>> {
    use auravest_ai::llm::local::{LoadOptions, LocalGemma};
    Ok(Arc::new(LocalGemma::load(
        std::path::Path::new(path),
        LoadOptions::default(),
    )?))
}

#[cfg(not(feature = "local-model"))]
fn local_model(_path: &str) -> Outcome<Arc<dyn auravest_ai::llm::LanguageModel>> {
    Err(crate::errors::Detail::new(
        crate::errors::Class::ModelUnavailable,
        "feature_disabled",
        "this library was built without the local model (feature `local-model`)",
    )
    .build())
}

#[uniffi::export]
impl Assistant {
    /// Builds (or loads) the index and the model. Slow on first use with a
    /// sentence model: call it off the main thread. `market` gives the
    /// assistant live quotes.
    #[uniffi::constructor(default(market = None))]
    pub fn new(options: AssistantOptions, market: Option<Arc<MarketClient>>) -> Outcome<Arc<Self>> {
        let defaults = Setup::default();
        let setup = Setup {
            kb_dir: options.kb_dir.map(PathBuf::from),
            index_dir: options.index_dir.map(PathBuf::from),
            hash_embedder: options.hash_embedder.unwrap_or(defaults.hash_embedder),
            rebuild: options.rebuild.unwrap_or(defaults.rebuild),
            ..defaults
        };
        let (mut assistant, report) = setup.build(&|_, _| {})?;
        if let Some(path) = options.model_path {
            assistant = assistant.with_model(local_model(&path)?);
        }
        if let Some(limit) = options.daily_question_limit {
            assistant = assistant.with_daily_question_limit(Some(limit));
        }
        let setup = SetupInfo {
            embedder: report.embedder,
            embedder_note: report.embedder_note,
            chunks: crate::errors::count(report.chunks),
            kb_hash: report.kb_hash,
            loaded: report.loaded,
            model: assistant.model_id(),
        };
        Ok(Arc::new(Self {
            assistant: Arc::new(assistant),
            setup,
            market,
        }))
    }

    /// How the assistant was set up.
    pub fn setup_info(&self) -> SetupInfo {
        self.setup.clone()
    }

    /// Answers `question` for `user` (whose daily allowance it counts) from
    /// the knowledge base and the read-only tools: quotes through the
    /// market, the portfolio when `context` is given. `as_of` (ISO) dates
    /// the portfolio tools.
    #[uniffi::method(default(context = None, as_of = None))]
    pub async fn ask(
        &self,
        question: String,
        user: String,
        context: Option<AskContext>,
        as_of: Option<String>,
    ) -> Outcome<Answer> {
        let as_of = date("as_of", as_of.as_deref())?;
        let context = context.map(|c| PortfolioContext {
            portfolio: (*c.portfolio.ledger()).clone(),
            prices: (*c.prices.frame).clone(),
            risk_profile: c.profile.map(Into::into),
            prices_source: c.prices_source,
        });
        let assistant = Arc::clone(&self.assistant);
        let market = self.market.as_ref().map(|m| m.market());
        spawn(async move {
            let tools = ToolContext {
                market: market.as_deref(),
                news: None,
                portfolio: context.as_ref(),
                kb: assistant.kb(),
                as_of,
            };
            assistant
                .ask(&user, &question, &tools)
                .await
                .map(answer)
                .map_err(AuraError::from)
        })
        .await
    }
}
