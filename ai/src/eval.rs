//! The offline evaluation: a committed question set run through the
//! assistant with tools on the file source over the project's sample data
//! at a fixed as-of date, so every figure is known in advance.
//!
//! Metrics: recall@3 and MRR of the expected articles, tool accuracy (the
//! exact set of tools called, none forbidden), refusal accuracy, figure
//! accuracy (required figures present), and invented numbers: figures in an
//! answer that appear in neither its passages nor its tool results (must be 0).

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;

use auravest_core::{Currency, NaiveDate, Portfolio, PriceFrame, io};
use auravest_market::{FileSource, Market};
use serde::{Deserialize, Serialize};

use crate::assistant::{Answer, Assistant};
use crate::error::{Error, Result};
use crate::kb::KnowledgeBase;
use crate::text::{canonical_number, is_stop_word, numbers, words};
use crate::tools::{PortfolioContext, ToolContext, ToolName};

/// The question set shipped with the crate.
pub const BUILTIN_SET: &str = include_str!("../eval/questions.json");

/// A question set.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct EvalSet {
    /// Format version.
    pub version: u32,
    /// The date tools treat as today.
    pub as_of: NaiveDate,
    /// Prices CSV, relative to the workspace root.
    pub prices: String,
    /// Transactions CSV, relative to the workspace root.
    pub transactions: String,
    /// The cases.
    pub cases: Vec<EvalCase>,
}

/// One question.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct EvalCase {
    /// Id.
    pub id: String,
    /// knowledge, metric, market, portfolio, no_portfolio, advice, injection, out_of_scope.
    pub category: String,
    /// The question.
    pub question: String,
    /// Any of these in the top 3 is a hit.
    pub expected_articles: Vec<String>,
    /// The exact set of tools to call.
    pub expected_tools: Vec<String>,
    /// Tools that must not be called.
    pub forbidden_tools: Vec<String>,
    /// Must the question be declined?
    pub must_refuse: bool,
    /// Figures the answer must contain.
    pub must_contain: Vec<String>,
    /// Is the sample portfolio in context?
    #[serde(default = "yes")]
    pub with_portfolio: bool,
}

fn yes() -> bool {
    true
}

impl EvalSet {
    /// Parses and checks a set: unique ids, known tools, known articles.
    ///
    /// # Errors
    /// [`Error::Eval`] naming the case and field.
    pub fn parse(json: &str, kb: &KnowledgeBase) -> Result<Self> {
        let set: Self = serde_json::from_str(json).map_err(|e| Error::Eval(e.to_string()))?;
        let mut ids = BTreeSet::new();
        for c in &set.cases {
            if !ids.insert(&c.id) {
                return Err(Error::Eval(format!("{}: id used twice", c.id)));
            }
            for t in c.expected_tools.iter().chain(&c.forbidden_tools) {
                if ToolName::parse(t).is_none() {
                    return Err(Error::Eval(format!("{}: unknown tool {t}", c.id)));
                }
            }
            for a in &c.expected_articles {
                if kb.article(a).is_none() {
                    return Err(Error::Eval(format!("{}: unknown article {a}", c.id)));
                }
            }
        }
        Ok(set)
    }

    /// `n` cases spread evenly over the set (all of them when `n` is 0 or
    /// not smaller than the set), for a quicker run with a slow model.
    pub fn sample(&self, n: usize) -> Self {
        let total = self.cases.len();
        let cases = if n == 0 || n >= total {
            self.cases.clone()
        } else {
            // Evenly spaced, so every category is represented in proportion.
            (0..n).map(|i| self.cases[i * total / n].clone()).collect()
        };
        Self {
            cases,
            ..self.clone()
        }
    }

    /// Share of retrieval cases whose question shares no content word with
    /// the title of any expected article.
    pub fn no_shared_title_word_share(&self, kb: &KnowledgeBase) -> f64 {
        let content = |s: &str| -> BTreeSet<String> {
            words(s)
                .into_iter()
                .filter(|w| w.len() >= 2 && !is_stop_word(w))
                .collect()
        };
        let with: Vec<&EvalCase> = self
            .cases
            .iter()
            .filter(|c| !c.expected_articles.is_empty())
            .collect();
        let none = with
            .iter()
            .filter(|c| {
                let q = content(&c.question);
                c.expected_articles.iter().all(|a| {
                    kb.article(a)
                        .is_none_or(|a| content(&a.title).is_disjoint(&q))
                })
            })
            .count();
        none as f64 / with.len().max(1) as f64
    }
}

/// One case's outcome.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CaseResult {
    /// Case id.
    pub id: String,
    /// Category.
    pub category: String,
    /// Retrieved article ids, best first (top 5).
    pub retrieved: Vec<String>,
    /// Expected article in the top 3 (None without expected articles).
    pub hit_at_3: Option<bool>,
    /// 1 / rank of the first expected article (0 if absent).
    pub reciprocal_rank: Option<f64>,
    /// Tools called.
    pub tools: Vec<String>,
    /// Tools as expected and none forbidden?
    pub tools_ok: bool,
    /// Declined?
    pub refused: bool,
    /// As expected?
    pub refusal_ok: bool,
    /// Required figures missing from the answer.
    pub missing_figures: Vec<String>,
    /// Figures in the answer found in no passage or tool result.
    pub invented_numbers: Vec<String>,
    /// Sentences of the answer about another measure than the one the
    /// question names (see [`crate::compose::off_subject`]).
    pub off_subject: Vec<String>,
    /// What the checks did with the model's draft (`None` without a model
    /// or when the question was declined).
    pub draft: Option<crate::llm::verify::DraftOutcome>,
    /// The answer text.
    pub answer: String,
}

/// One line: `id (category): retrieved [..] tools [..] refused .. missing
/// [..] invented [..]`.
impl std::fmt::Display for CaseResult {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} ({}): retrieved {:?} tools {:?} refused {} missing {:?} invented {:?} off-subject {:?}",
            self.id,
            self.category,
            self.retrieved,
            self.tools,
            self.refused,
            self.missing_figures,
            self.invented_numbers,
            self.off_subject
        )
    }
}

impl CaseResult {
    /// Did every check pass?
    pub fn passed(&self) -> bool {
        self.hit_at_3 != Some(false)
            && self.tools_ok
            && self.refusal_ok
            && self.missing_figures.is_empty()
            && self.invented_numbers.is_empty()
            && self.off_subject.is_empty()
    }
}

/// The metrics.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EvalReport {
    /// Cases run.
    pub cases: usize,
    /// Model that wrote the answers.
    pub model: String,
    /// Embedder used for retrieval.
    pub embedder: String,
    /// Share of cases with expected articles that found one in the top 3.
    pub recall_at_3: f64,
    /// Mean reciprocal rank of the first expected article.
    pub mrr: f64,
    /// Share of cases with exactly the expected tools and no forbidden one.
    pub tool_accuracy: f64,
    /// Share of cases declined exactly when they should be.
    pub refusal_accuracy: f64,
    /// Share of required figures present.
    pub figure_accuracy: f64,
    /// Figures in answers found in no passage or tool result.
    pub invented_numbers: usize,
    /// Sentences in answers about another measure than the question's.
    pub off_subject_sentences: usize,
    /// Calls to tools that write (none exists; counted to prove it).
    pub write_tool_calls: usize,
    /// Share of retrieval cases sharing no content word with the title.
    pub no_shared_title_word_share: f64,
    /// What became of the model's drafts (all zero without a model).
    pub drafts: DraftShares,
    /// Cases that failed a check.
    pub failures: Vec<CaseResult>,
}

/// Counts and shares of generated drafts by outcome.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Default)]
pub struct DraftShares {
    /// Answers drafted by a model.
    pub drafted: usize,
    /// Share shown as generated.
    pub accepted: f64,
    /// Share shown with sentences dropped or citations added.
    pub repaired: f64,
    /// Share replaced by the extractive answer.
    pub replaced: f64,
}

/// Figures of `answer` not grounded in its passages or tool results.
///
/// A figure is grounded when a number of the grounding text equals it once
/// both are rounded to the figure's decimals, either as written or as a
/// percentage of a fraction (0.2345 grounds "23.45"). Citation markers and
/// the disclaimer are not figures.
pub fn invented_numbers(answer: &Answer) -> Vec<String> {
    let body = answer.answer.replace(&answer.disclaimer, "");
    crate::llm::verify::unsupported_numbers(&body, &answer.grounding)
}

/// Loads the set's sample portfolio and prices (paths relative to `root`).
///
/// # Errors
/// [`Error::Eval`] when a file cannot be read or parsed.
pub fn sample_portfolio(set: &EvalSet, root: &Path) -> Result<PortfolioContext> {
    let read = |p: &str| std::fs::read(root.join(p)).map_err(|e| Error::Eval(format!("{p}: {e}")));
    let prices = PriceFrame::from_csv(read(&set.prices)?.as_slice())
        .map_err(|e| Error::Eval(format!("{}: {e}", set.prices)))?;
    let rows = io::read_transactions_csv(read(&set.transactions)?.as_slice())
        .map_err(|e| Error::Eval(format!("{}: {e}", set.transactions)))?;
    let usd = Currency::new("USD").map_err(|e| Error::Eval(e.to_string()))?;
    let mut portfolio = Portfolio::new(usd, chrono::Utc::now().date_naive());
    portfolio
        .import(rows, false)
        .map_err(|e| Error::Eval(format!("{}: {e}", set.transactions)))?;
    Ok(PortfolioContext {
        portfolio,
        prices,
        risk_profile: None,
        prices_source: format!("file:{}", set.prices),
    })
}

/// Runs every case of `set`; tools read the file source over `set.prices`
/// (relative to `root`) with `set.as_of` as today.
///
/// # Errors
/// When the sample data cannot be loaded, or the assistant fails.
pub async fn run(set: &EvalSet, assistant: &Assistant, root: &Path) -> Result<EvalReport> {
    let ctx = sample_portfolio(set, root)?;
    let market = Market::new(Arc::new(FileSource::new(root.join(&set.prices))));
    let kb = assistant.kb();
    let mut results = Vec::new();
    let mut figures = (0usize, 0usize);
    let mut writes = 0;
    for c in &set.cases {
        let tools = ToolContext {
            market: Some(&market),
            news: None,
            portfolio: c.with_portfolio.then_some(&ctx),
            kb,
            as_of: Some(set.as_of),
        };
        let a = assistant.ask("eval", &c.question, &tools).await?;
        let called: BTreeSet<String> = a.tools.iter().map(|t| t.name.to_string()).collect();
        writes += a.tools.iter().filter(|t| t.name.writes()).count();
        let expected: BTreeSet<String> = c.expected_tools.iter().cloned().collect();
        let tools_ok = called == expected && !c.forbidden_tools.iter().any(|f| called.contains(f));
        let rank = (!c.expected_articles.is_empty()).then(|| {
            a.retrieved
                .iter()
                .position(|r| c.expected_articles.contains(r))
                .map_or(0.0, |i| 1.0 / (i as f64 + 1.0))
        });
        let answer_numbers: BTreeSet<String> = numbers(&a.answer)
            .iter()
            .map(|n| canonical_number(n))
            .collect();
        let missing: Vec<String> = c
            .must_contain
            .iter()
            .filter(|f| {
                let want = numbers(f)
                    .first()
                    .map(|n| canonical_number(n))
                    .unwrap_or_default();
                !answer_numbers.contains(&want)
            })
            .cloned()
            .collect();
        figures.0 += c.must_contain.len() - missing.len();
        figures.1 += c.must_contain.len();
        results.push(CaseResult {
            id: c.id.clone(),
            category: c.category.clone(),
            retrieved: a.retrieved.iter().take(5).cloned().collect(),
            hit_at_3: rank.map(|r| r >= 1.0 / 3.0),
            reciprocal_rank: rank,
            tools: called.into_iter().collect(),
            tools_ok,
            refused: a.refused,
            refusal_ok: a.refused == c.must_refuse,
            missing_figures: missing,
            invented_numbers: invented_numbers(&a),
            off_subject: crate::text::sentences(&a.answer)
                .into_iter()
                .filter(|s| crate::compose::off_subject(&c.question, s))
                .collect(),
            draft: a.draft,
            answer: a.answer.clone(),
        });
    }
    let share = |f: &dyn Fn(&CaseResult) -> Option<bool>| {
        let v: Vec<bool> = results.iter().filter_map(f).collect();
        v.iter().filter(|x| **x).count() as f64 / v.len().max(1) as f64
    };
    let rr: Vec<f64> = results.iter().filter_map(|r| r.reciprocal_rank).collect();
    let drafted: Vec<_> = results.iter().filter_map(|r| r.draft).collect();
    let draft_share =
        |o| drafted.iter().filter(|d| **d == o).count() as f64 / drafted.len().max(1) as f64;
    use crate::llm::verify::DraftOutcome;
    let drafts = DraftShares {
        drafted: drafted.len(),
        accepted: draft_share(DraftOutcome::Accepted),
        repaired: draft_share(DraftOutcome::Repaired),
        replaced: draft_share(DraftOutcome::Replaced),
    };
    Ok(EvalReport {
        cases: results.len(),
        model: assistant.model_id(),
        embedder: assistant.retriever().embedder().model_id().to_owned(),
        recall_at_3: share(&|r| r.hit_at_3),
        mrr: rr.iter().sum::<f64>() / rr.len().max(1) as f64,
        tool_accuracy: share(&|r| Some(r.tools_ok)),
        refusal_accuracy: share(&|r| Some(r.refusal_ok)),
        figure_accuracy: if figures.1 == 0 {
            1.0
        } else {
            figures.0 as f64 / figures.1 as f64
        },
        invented_numbers: results.iter().map(|r| r.invented_numbers.len()).sum(),
        off_subject_sentences: results.iter().map(|r| r.off_subject.len()).sum(),
        write_tool_calls: writes,
        no_shared_title_word_share: set.no_shared_title_word_share(kb),
        drafts,
        failures: results.into_iter().filter(|r| !r.passed()).collect(),
    })
}
