//! The assistant: routing, retrieval, tools, guardrails, composition,
//! metering, audit and feedback in one call.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex, PoisonError};

use auravest_bias::{Config as BiasConfig, GuardInput, Side, Suggestion, guard};
use auravest_core::{InstrumentTable, NaiveDate, Symbol};
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::compose::{Citation, Composition};
use crate::error::{Error, Result};
use crate::guard::{
    ADVICE_NOTICE, DISCLAIMER, NOT_FOUND, OUT_OF_SCOPE, SCOPE_MARGIN, ScopeGuard, Verdict,
};
use crate::kb::KnowledgeBase;
use crate::llm::prompt::{Source, answer_request, summary_request};
use crate::llm::verify::{DraftOutcome, Problem, SUPPORT_THRESHOLD, verify_for};
use crate::llm::{CancelToken, LanguageModel, TokenSink};
use crate::retrieve::{Retrieval, Retriever};
use crate::router::{Plan, plan};
use crate::store::{
    AuditLog, AuditRecord, Feedback, FeedbackKind, FeedbackStore, MAX_NOTE_CHARS, MemoryAudit,
    MemoryFeedback, MemoryUsage, UsageKind, UsageMeter,
};
use crate::tools::{PortfolioContext, Range, ToolCall, ToolContext, ToolName, ToolOutput};

/// The model name of the extractive composer.
pub const MODEL_NONE: &str = "none";

/// What advice requests get as general education when their own retrieval
/// finds nothing relevant.
const EDUCATION_QUERY: &str = "diversification asset allocation risk and return time horizon";

/// The longest question accepted, in characters.
pub const MAX_QUESTION_CHARS: usize = 2000;

/// Settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AssistantConfig {
    /// Passages retrieved per question.
    pub retrieve: usize,
    /// Articles quoted at most.
    pub quote_articles: usize,
    /// Sentences quoted per article.
    pub quote_sentences: usize,
    /// Questions a user may ask per UTC day; `None` for no limit.
    pub daily_question_limit: Option<u32>,
    /// The least similarity between a generated sentence and a source
    /// sentence for it to be shown ([`SUPPORT_THRESHOLD`]).
    pub support_threshold: f32,
}

impl Default for AssistantConfig {
    fn default() -> Self {
        Self {
            retrieve: 8,
            quote_articles: 2,
            quote_sentences: 2,
            daily_question_limit: None,
            support_threshold: SUPPORT_THRESHOLD,
        }
    }
}

/// A tool call as it appears in an answer.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ToolTrace {
    /// The tool.
    pub name: ToolName,
    /// Its arguments: free-form JSON, each tool's own (a symbol, a range, a
    /// metric's name).
    pub args: Value,
    /// Its result: free-form JSON, each tool's own, with `source`, `as_of`
    /// and `stale`.
    pub result: Value,
}

/// An answer.
///
/// JSON: `{"id", "answer", "citations": [{"id", "title", "heading",
/// "snippet"}], "tools": [{"name", "args", "result"}], "refused", "model",
/// "draft", "disclaimer", "guardrails"}`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Answer {
    /// A unique id (UUID v4), for feedback and the audit trail.
    pub id: String,
    /// The text, with `[n]` markers and the disclaimer at the end.
    pub answer: String,
    /// Sources, indexed by the markers (1-based).
    pub citations: Vec<Citation>,
    /// Tools called.
    pub tools: Vec<ToolTrace>,
    /// Was the question declined (out of scope, or a personalised instruction)?
    pub refused: bool,
    /// The model that drafted the text (`none`: extractive only).
    pub model: String,
    /// What the checks did with the model's draft: `accepted`, `repaired`,
    /// `replaced` (by the extractive answer); `null` when no model ran.
    pub draft: Option<DraftOutcome>,
    /// The disclaimer.
    pub disclaimer: String,
    /// Guardrail verdicts.
    pub guardrails: Vec<Verdict>,
    /// Retrieved article ids, best first (for evaluation).
    #[serde(skip)]
    pub retrieved: Vec<String>,
    /// Text the answer's figures may come from: passages and tool results.
    #[serde(skip)]
    pub grounding: Vec<String>,
    /// Model tokens used (prompt and generated).
    #[serde(skip)]
    pub tokens: u32,
}

/// A structured portfolio insight.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Insight {
    /// The valuation date.
    pub as_of: NaiveDate,
    /// Hash of the inputs the insight was built from.
    pub content_hash: String,
    /// Sections in a fixed order: allocation, concentration, performance,
    /// risk profile, nudges.
    pub sections: Vec<InsightSection>,
    /// The tool results it is built from.
    pub tools: Vec<ToolTrace>,
    /// The disclaimer.
    pub disclaimer: String,
    /// Served from the cache?
    pub cached: bool,
}

/// A short written summary of the user's portfolio.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PortfolioSummary {
    /// The text, with `[n]` markers into `sources` and the disclaimer.
    pub text: String,
    /// The insight sections it is written from (`[1]` is the first).
    pub sources: Vec<InsightSection>,
    /// The drafting model, or `none`.
    pub model: String,
    /// What the checks did with the draft; `null` without a model.
    pub draft: Option<DraftOutcome>,
    /// The disclaimer.
    pub disclaimer: String,
}

/// One part of an insight.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InsightSection {
    /// `allocation`, `concentration`, `performance`, `risk_profile` or `nudges`.
    pub kind: String,
    /// Plain sentences.
    pub text: String,
}

/// The assistant.
pub struct Assistant {
    kb: KnowledgeBase,
    retriever: Retriever,
    scope: ScopeGuard,
    /// The general-education query's vector, embedded once.
    education: Vec<f32>,
    config: AssistantConfig,
    usage: Arc<dyn UsageMeter>,
    audit: Arc<dyn AuditLog>,
    feedback: Arc<dyn FeedbackStore>,
    insights: Mutex<HashMap<(String, NaiveDate), Insight>>,
    model: Option<Arc<dyn LanguageModel>>,
}

impl std::fmt::Debug for Assistant {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Assistant")
            .field("retriever", &self.retriever)
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn trace(o: &ToolOutput) -> ToolTrace {
    ToolTrace {
        name: o.name,
        args: o.args.clone(),
        result: o.result.clone(),
    }
}

/// A question paid for and not yet answered: dropped without
/// [`PendingQuestion::answered`], it gives the question back.
struct PendingQuestion {
    usage: Option<Arc<dyn UsageMeter>>,
    user: String,
    day: NaiveDate,
}

impl PendingQuestion {
    /// The question was answered: it stays counted.
    fn answered(mut self) {
        self.usage = None;
    }

    /// The answer failed: the question is given back now.
    async fn refund(mut self) -> Result<()> {
        match self.usage.take() {
            Some(usage) => {
                usage
                    .refund(&self.user, UsageKind::AiQuestion, self.day)
                    .await
            }
            None => Ok(()),
        }
    }
}

impl Drop for PendingQuestion {
    /// The call was dropped mid-answer. A drop cannot wait, so the refund
    /// runs as a task on the current tokio runtime; without one (another
    /// executor) the question stays counted.
    fn drop(&mut self) {
        let Some(usage) = self.usage.take() else {
            return;
        };
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            let (user, day) = (std::mem::take(&mut self.user), self.day);
            runtime.spawn(async move {
                // Nobody is left to tell: a failed refund leaves the
                // question counted, as without a runtime.
                let _ = usage.refund(&user, UsageKind::AiQuestion, day).await;
            });
        }
    }
}

impl Assistant {
    /// An assistant over `kb` and a retriever built from it, with in-memory
    /// metering, audit and feedback.
    ///
    /// # Errors
    /// The embedder's error while embedding the scope anchors.
    pub fn new(kb: KnowledgeBase, retriever: Retriever) -> Result<Self> {
        Self::with_stores(
            kb,
            retriever,
            AssistantConfig::default(),
            Arc::new(MemoryUsage::default()),
            Arc::new(MemoryAudit::default()),
            Arc::new(MemoryFeedback::default()),
        )
    }

    /// An assistant with explicit settings and stores.
    ///
    /// # Errors
    /// The embedder's error while embedding the scope anchors.
    pub fn with_stores(
        kb: KnowledgeBase,
        retriever: Retriever,
        config: AssistantConfig,
        usage: Arc<dyn UsageMeter>,
        audit: Arc<dyn AuditLog>,
        feedback: Arc<dyn FeedbackStore>,
    ) -> Result<Self> {
        let scope = ScopeGuard::new(retriever.embedder())?;
        let education = retriever.embedder().embed_one(EDUCATION_QUERY)?;
        Ok(Self {
            kb,
            retriever,
            scope,
            education,
            config,
            usage,
            audit,
            feedback,
            insights: Mutex::new(HashMap::new()),
            model: None,
        })
    }

    /// The same assistant metering questions with `usage` (for example a
    /// database shared by several servers) instead of its current meter.
    #[must_use]
    pub fn with_usage(mut self, usage: Arc<dyn UsageMeter>) -> Self {
        self.usage = usage;
        self
    }

    /// The same assistant recording its answers in `audit` instead of its
    /// current log.
    #[must_use]
    pub fn with_audit(mut self, audit: Arc<dyn AuditLog>) -> Self {
        self.audit = audit;
        self
    }

    /// The same assistant keeping feedback in `feedback` instead of its
    /// current store.
    #[must_use]
    pub fn with_feedback(mut self, feedback: Arc<dyn FeedbackStore>) -> Self {
        self.feedback = feedback;
        self
    }

    /// The same assistant allowing `limit` questions per user and UTC day
    /// (`None`: no limit).
    #[must_use]
    pub fn with_daily_question_limit(mut self, limit: Option<u32>) -> Self {
        self.config.daily_question_limit = limit;
        self
    }

    /// The audit record of an answer this assistant gave (who asked, what
    /// it cited, which tools and model it used), for checking who may rate it.
    ///
    /// # Errors
    /// The audit log's.
    pub async fn answer_record(&self, answer_id: &str) -> Result<Option<AuditRecord>> {
        self.audit.get(answer_id).await
    }

    /// The same assistant drafting its answers with `model`; every draft is
    /// checked before it is shown (see [`crate::llm::verify`]).
    #[must_use]
    pub fn with_model(mut self, model: Arc<dyn LanguageModel>) -> Self {
        self.model = Some(model);
        self
    }

    /// The drafting model's id, or `none`.
    pub fn model_id(&self) -> String {
        self.model
            .as_ref()
            .map_or_else(|| MODEL_NONE.to_owned(), |m| m.id())
    }

    /// The knowledge base.
    pub fn kb(&self) -> &KnowledgeBase {
        &self.kb
    }

    /// The retriever.
    pub fn retriever(&self) -> &Retriever {
        &self.retriever
    }

    /// Questions `user` has left today, when a limit is set.
    ///
    /// # Errors
    /// The usage meter's error.
    pub async fn questions_left(&self, user: &str, now: DateTime<Utc>) -> Result<Option<u32>> {
        self.questions_left_within(user, now, self.config.daily_question_limit)
            .await
    }

    /// As [`Assistant::questions_left`] with `limit` for this user instead
    /// of the configured one (an embedder with plans of its own).
    ///
    /// # Errors
    /// The usage meter's error.
    pub async fn questions_left_within(
        &self,
        user: &str,
        now: DateTime<Utc>,
        limit: Option<u32>,
    ) -> Result<Option<u32>> {
        let Some(limit) = limit else {
            return Ok(None);
        };
        let used = self
            .usage
            .count(user, UsageKind::AiQuestion, now.date_naive())
            .await?;
        Ok(Some(limit.saturating_sub(used)))
    }

    /// Answers `question` for `user` (an opaque id).
    ///
    /// # Errors
    /// [`Error::Invalid`] for an empty or too long question;
    /// [`Error::LimitReached`] when the user's daily limit is used up (nothing
    /// is recorded then); the embedder's or a store's error.
    pub async fn ask(&self, user: &str, question: &str, tools: &ToolContext<'_>) -> Result<Answer> {
        self.ask_at(user, question, tools, Utc::now()).await
    }

    /// As [`Assistant::ask`] at a given time (for metering).
    ///
    /// # Errors
    /// As [`Assistant::ask`].
    pub async fn ask_at(
        &self,
        user: &str,
        question: &str,
        tools: &ToolContext<'_>,
        now: DateTime<Utc>,
    ) -> Result<Answer> {
        self.ask_streaming(user, question, tools, now, &CancelToken::new(), &mut |_| {})
            .await
    }

    /// As [`Assistant::ask_at`], streaming the model's draft to `on_text` as
    /// it is generated (nothing is streamed without a model). The draft is
    /// checked only once it is complete, so the answer's `answer` and
    /// `draft` fields say what was finally shown. `cancel` stops the draft;
    /// the extractive answer is given instead.
    ///
    /// # Errors
    /// As [`Assistant::ask`].
    pub async fn ask_streaming(
        &self,
        user: &str,
        question: &str,
        tools: &ToolContext<'_>,
        now: DateTime<Utc>,
        cancel: &CancelToken,
        on_text: &mut TokenSink<'_>,
    ) -> Result<Answer> {
        let limit = self.config.daily_question_limit;
        self.ask_streaming_within(user, question, tools, now, limit, cancel, on_text)
            .await
    }

    /// As [`Assistant::ask_streaming`] with `limit` questions a day for this
    /// user instead of the configured limit (`None`: no limit), for an
    /// embedder whose users have plans.
    ///
    /// # Errors
    /// As [`Assistant::ask`].
    #[allow(clippy::too_many_arguments)]
    pub async fn ask_streaming_within(
        &self,
        user: &str,
        question: &str,
        tools: &ToolContext<'_>,
        now: DateTime<Utc>,
        limit: Option<u32>,
        cancel: &CancelToken,
        on_text: &mut TokenSink<'_>,
    ) -> Result<Answer> {
        let question = question.trim();
        if question.is_empty() {
            return Err(Error::invalid("question", "is empty"));
        }
        let chars = question.chars().count();
        if chars > MAX_QUESTION_CHARS {
            return Err(Error::invalid(
                "question",
                format!("is {chars} characters; the limit is {MAX_QUESTION_CHARS}"),
            ));
        }
        // The question is paid for before it is answered, in one atomic
        // step (parallel questions cannot pass the limit together), and
        // given back when the answer fails.
        let day = now.date_naive();
        let limit = limit.unwrap_or(u32::MAX);
        if self
            .usage
            .consume(user, UsageKind::AiQuestion, day, limit)
            .await?
            .is_none()
        {
            return Err(Error::LimitReached {
                what: "AI questions".to_owned(),
                used: limit,
                limit,
            });
        }
        // Given back if the answer fails, or if this call is dropped before
        // it ends (a request timeout, a client that went away).
        let pending = PendingQuestion {
            usage: Some(Arc::clone(&self.usage)),
            user: user.to_owned(),
            day,
        };
        let answer = match self.answer(question, tools, cancel, on_text).await {
            Ok(a) => a,
            Err(e) => {
                pending.refund().await?;
                return Err(e);
            }
        };
        pending.answered();
        self.audit
            .append(AuditRecord {
                answer_id: answer.id.clone(),
                at: now,
                subject: user.to_owned(),
                question_sha256: sha256_hex(question.as_bytes()),
                citations: answer.citations.iter().map(|c| c.id.clone()).collect(),
                tools: answer.tools.iter().map(|t| t.name.to_string()).collect(),
                model: answer.model.clone(),
                tokens: answer.tokens,
                verdicts: answer
                    .guardrails
                    .iter()
                    .map(|v| serde_json::to_string(v).unwrap_or_default())
                    .collect(),
                refused: answer.refused,
            })
            .await?;
        Ok(answer)
    }

    /// Stores feedback on an answer this assistant gave.
    ///
    /// # Errors
    /// [`Error::UnknownAnswer`] for an id not in the audit log;
    /// [`Error::Invalid`] for a note over [`MAX_NOTE_CHARS`].
    pub async fn feedback(
        &self,
        answer_id: &str,
        kind: FeedbackKind,
        note: Option<String>,
    ) -> Result<Feedback> {
        if self.audit.get(answer_id).await?.is_none() {
            return Err(Error::UnknownAnswer(answer_id.to_owned()));
        }
        let note = note.map(|n| n.trim().to_owned()).filter(|n| !n.is_empty());
        if let Some(n) = &note
            && n.chars().count() > MAX_NOTE_CHARS
        {
            return Err(Error::invalid(
                "note",
                format!("longer than {MAX_NOTE_CHARS} characters"),
            ));
        }
        let f = Feedback {
            answer_id: answer_id.to_owned(),
            kind,
            note,
            at: Utc::now(),
        };
        self.feedback.put(f.clone()).await?;
        Ok(f)
    }

    fn known_symbols(tools: &ToolContext<'_>) -> BTreeSet<String> {
        let mut known = BTreeSet::new();
        if let Some(p) = tools.portfolio {
            known.extend(p.prices.columns().iter().map(ToString::to_string));
            known.extend(
                p.portfolio
                    .holdings()
                    .positions()
                    .map(|p| p.symbol().to_string()),
            );
        }
        known
    }

    async fn answer(
        &self,
        question: &str,
        tools: &ToolContext<'_>,
        cancel: &CancelToken,
        on_text: &mut TokenSink<'_>,
    ) -> Result<Answer> {
        let known = Self::known_symbols(tools);
        let mut plan = plan(question, &known, tools.portfolio.is_some());
        let qv = self.retriever.embedder().embed_one(question)?;
        let retrieval = self
            .retriever
            .search_vector(question, &qv, self.config.retrieve)?;
        // A metric word used outside finance ("the volatility of a solvent")
        // is not a metric question.
        if !plan.calls.is_empty()
            && plan.calls.iter().all(|c| c.name == ToolName::ExplainMetric)
            && !self.in_scope(&qv, &retrieval)
        {
            plan.calls.clear();
        }
        let mut verdicts = Vec::new();
        if plan.injection {
            verdicts.push(Verdict::InjectionIgnored);
        }
        let mut comp = Composition::default();
        let mut outputs = Vec::new();
        let mut refused = false;
        let mut grounding: Vec<String> = Vec::new();
        if plan.advice {
            refused = true;
            verdicts.push(Verdict::PersonalisedAdvice);
            comp.add_plain(ADVICE_NOTICE);
            for line in self.advice_guard(&plan, tools) {
                verdicts.push(Verdict::AdviceGuard(line.clone()));
                grounding.push(line.clone());
                comp.add_plain(&line);
            }
            // General education instead of a pick.
            let edu = if retrieval.relevant && !plan.injection {
                retrieval.clone()
            } else {
                self.retriever.search_vector(
                    EDUCATION_QUERY,
                    &self.education,
                    self.config.retrieve,
                )?
            };
            comp.add_plain("Some general points that may help you decide for yourself:");
            comp.add_passages(question, &edu.passages, self.config.quote_articles, 1);
            grounding.extend(edu.passages.iter().map(|p| p.chunk.text.clone()));
        } else if !plan.calls.is_empty() {
            for call in &plan.calls {
                let out = tools.run(call).await;
                comp.add_tool(&out);
                grounding.push(out.result.to_string());
                outputs.push(out);
            }
            // Background from the knowledge base when it is clearly relevant.
            if retrieval.relevant && self.in_scope(&qv, &retrieval) {
                let n = if plan.calls[0].name == ToolName::ExplainMetric {
                    self.config.quote_articles
                } else {
                    1
                };
                comp.add_passages(
                    question,
                    &retrieval.passages,
                    n,
                    self.config.quote_sentences,
                );
                grounding.extend(retrieval.passages.iter().map(|p| p.chunk.text.clone()));
            }
        } else if plan.portfolio_question {
            verdicts.push(Verdict::NeedsPortfolio);
            comp.add_plain("I need your portfolio to answer that: add your transactions (or pass --transactions and --prices) and ask again.");
        } else if retrieval.relevant && self.in_scope(&qv, &retrieval) {
            comp.add_passages(
                question,
                &retrieval.passages,
                self.config.quote_articles,
                self.config.quote_sentences,
            );
            grounding.extend(retrieval.passages.iter().map(|p| p.chunk.text.clone()));
        } else {
            refused = true;
            if retrieval.relevant {
                verdicts.push(Verdict::OutOfScope);
            } else {
                verdicts.push(Verdict::NothingRelevant);
                comp.add_plain(NOT_FOUND);
            }
            comp.add_plain(OUT_OF_SCOPE);
        }
        if comp.dropped_instructions > 0 {
            verdicts.push(Verdict::PassageInstructionDropped);
        }
        let mut text = comp.render(DISCLAIMER);
        let mut draft = None;
        let mut tokens = 0;
        if let Some(model) = &self.model
            && !refused
            && !comp.citations.is_empty()
        {
            let sources: Vec<Source> = comp
                .citations
                .iter()
                .zip(&comp.sources)
                .map(|(c, t)| Source {
                    label: if c.id.starts_with("tool:") {
                        format!("Tool {}", c.heading)
                    } else {
                        format!("{} - {}", c.title, c.heading)
                    },
                    text: t.clone(),
                })
                .collect();
            let request = answer_request(question, &sources);
            let checked = self
                .draft(
                    model.as_ref(),
                    &request,
                    (question, &comp.sources),
                    cancel,
                    on_text,
                    &mut verdicts,
                )
                .await?;
            tokens = checked.1;
            draft = Some(checked.0.outcome);
            if checked.0.outcome != DraftOutcome::Replaced {
                // Tool figures stay exactly as the tools gave them; the
                // draft follows.
                let mut lines: Vec<String> = comp.lines[..comp.tool_lines].to_vec();
                // A ticker the draft brings up that the question did not
                // goes through the advice guard, as a ticker in a question
                // does.
                let mentioned =
                    crate::router::plan(&checked.0.text, &known, tools.portfolio.is_some());
                let new: Vec<String> = mentioned
                    .tickers
                    .iter()
                    .filter(|t| !plan.tickers.contains(t))
                    .cloned()
                    .collect();
                lines.push(checked.0.text);
                if !new.is_empty() {
                    let p = Plan {
                        tickers: new,
                        side: Some("buy"),
                        ..mentioned
                    };
                    for line in self.advice_guard(&p, tools) {
                        verdicts.push(Verdict::AdviceGuard(line.clone()));
                        lines.push(line);
                    }
                }
                text = crate::compose::render(&lines, DISCLAIMER);
            }
        }
        Ok(Answer {
            id: uuid::Uuid::new_v4().to_string(),
            answer: text,
            citations: comp.citations,
            tools: outputs.iter().map(trace).collect(),
            refused,
            model: if draft.is_some() {
                self.model_id()
            } else {
                MODEL_NONE.to_owned()
            },
            draft,
            tokens,
            disclaimer: DISCLAIMER.to_owned(),
            guardrails: verdicts,
            retrieved: retrieval
                .article_ids()
                .into_iter()
                .map(str::to_owned)
                .collect(),
            grounding,
        })
    }

    /// Generates a draft for `request` and checks it against `sources`,
    /// dropping sentences off the measure `question` names; a failing model
    /// counts as a replaced draft. Returns the verification and the tokens
    /// used.
    async fn draft(
        &self,
        model: &dyn LanguageModel,
        request: &crate::llm::GenerateRequest,
        (question, sources): (&str, &[String]),
        cancel: &CancelToken,
        on_text: &mut TokenSink<'_>,
        verdicts: &mut Vec<Verdict>,
    ) -> Result<(crate::llm::verify::Verification, u32)> {
        let generation = match model.generate(request, cancel, on_text).await {
            Ok(g) if g.finish != crate::llm::FinishReason::Cancelled => g,
            Ok(_) => {
                verdicts.push(Verdict::ModelFailed("cancelled".to_owned()));
                return Ok((replaced(), 0));
            }
            Err(e) => {
                verdicts.push(Verdict::ModelFailed(e.to_string()));
                return Ok((replaced(), 0));
            }
        };
        let tokens = u32::try_from(generation.prompt_tokens + generation.generated_tokens)
            .unwrap_or(u32::MAX);
        let v = verify_for(
            question,
            &generation.text,
            sources,
            self.retriever.embedder(),
            self.config.support_threshold,
        )?;
        let dropped = v
            .sentences
            .iter()
            .filter(|c| !c.problems.is_empty())
            .count();
        if dropped > 0 {
            verdicts.push(Verdict::DraftSentencesDropped(dropped));
        }
        if v.sentences
            .iter()
            .any(|c| c.problems.contains(&Problem::Advice))
        {
            verdicts.push(Verdict::DraftAdviceDropped);
        }
        Ok((v, tokens))
    }

    /// Is the query nearer the knowledge base than every off-topic anchor, by
    /// [`SCOPE_MARGIN`]?
    fn in_scope(&self, query: &[f32], retrieval: &Retrieval) -> bool {
        let best_kb = retrieval
            .passages
            .iter()
            .map(|p| p.vector_score)
            .fold(f32::NEG_INFINITY, f32::max);
        let (off, _) = self.scope.off_topic(query);
        best_kb >= off + SCOPE_MARGIN
    }

    /// The advice guard's notes on a ticker the question wants to trade.
    fn advice_guard(&self, plan: &Plan, tools: &ToolContext<'_>) -> Vec<String> {
        let Some(ctx) = tools.portfolio else {
            return Vec::new();
        };
        let as_of = ctx.prices.dates().last().copied();
        let Some(as_of) = as_of else {
            return Vec::new();
        };
        let Ok(valuation) = ctx.portfolio.valuation(&ctx.prices, as_of) else {
            return Vec::new();
        };
        let instruments = InstrumentTable::shipped();
        let mut out = Vec::new();
        for t in &plan.tickers {
            let Ok(symbol) = Symbol::new(t) else { continue };
            let side = if plan.side == Some("sell") {
                Side::Sell
            } else {
                Side::Buy
            };
            let input = GuardInput {
                valuation: &valuation,
                prices: &ctx.prices,
                instruments: &instruments,
                risk_profile: ctx.risk_profile.as_ref(),
                benchmark: ctx.prices.column("SPY").map(|_| "SPY"),
            };
            match guard(
                &Suggestion {
                    symbol,
                    side,
                    amount: None,
                },
                &input,
                &BiasConfig::default(),
            ) {
                Ok(conflicts) => out.extend(
                    conflicts
                        .into_iter()
                        .map(|c| format!("About {t}: {}", c.message)),
                ),
                Err(_) => continue,
            }
        }
        out
    }

    /// A short structured insight on the user's portfolio: allocation,
    /// concentration, performance against SPY over a year, alignment with the
    /// risk profile and the nudges. Cached per portfolio content and day.
    ///
    /// # Errors
    /// [`Error::Invalid`] without a portfolio in `tools`.
    pub async fn insight(&self, tools: &ToolContext<'_>) -> Result<Insight> {
        let ctx = tools
            .portfolio
            .ok_or_else(|| Error::invalid("portfolio", "an insight needs a portfolio"))?;
        let as_of = ctx
            .prices
            .dates()
            .last()
            .copied()
            .unwrap_or_else(|| Utc::now().date_naive());
        let hash = portfolio_hash(ctx);
        let key = (hash.clone(), as_of);
        if let Some(hit) = self
            .insights
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&key)
        {
            let mut i = hit.clone();
            i.cached = true;
            return Ok(i);
        }
        let summary = tools
            .run(&ToolCall {
                name: ToolName::GetPortfolioSummary,
                args: serde_json::json!({}),
            })
            .await;
        let compare = tools
            .run(&ToolCall {
                name: ToolName::CompareToBenchmark,
                args: serde_json::json!({"range": Range::Y1.as_str(), "benchmark": "SPY"}),
            })
            .await;
        let mut sections = Vec::new();
        let r = &summary.result;
        if summary.ok {
            let positions = r["positions"].as_array().cloned().unwrap_or_default();
            let top: Vec<String> = positions
                .iter()
                .take(5)
                .map(|p| {
                    format!(
                        "{} {}",
                        p["symbol"].as_str().unwrap_or("?"),
                        crate::tools::pct_abs(p["weight"].as_f64().unwrap_or(0.0))
                    )
                })
                .collect();
            sections.push(InsightSection {
                kind: "allocation".to_owned(),
                text: format!(
                    "Value {} {} on {}, of which {} in cash. Holdings by weight: {}.",
                    r["value"].as_str().unwrap_or("?"),
                    r["base_currency"].as_str().unwrap_or(""),
                    as_of,
                    r["cash"].as_str().unwrap_or("?"),
                    if top.is_empty() {
                        "none".to_owned()
                    } else {
                        top.join(", ")
                    }
                ),
            });
            let conc: Vec<String> = r["nudges"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|n| {
                    n["kind"]
                        .as_str()
                        .is_some_and(|k| k.contains("concentration") || k.contains("sector"))
                })
                .filter_map(|n| n["title"].as_str().map(str::to_owned))
                .collect();
            sections.push(InsightSection {
                kind: "concentration".to_owned(),
                text: if conc.is_empty() {
                    "No holding or sector is above AuraVest's concentration limits.".to_owned()
                } else {
                    conc.join(" ")
                },
            });
        }
        sections.push(InsightSection {
            kind: "performance".to_owned(),
            text: compare.facts.join(" "),
        });
        sections.push(InsightSection {
            kind: "risk_profile".to_owned(),
            text: match (&ctx.risk_profile, r["risk_category"].as_str()) {
                (Some(p), _) => format!(
                    "Your risk profile is {}; its model mix is {} stocks, {} bonds and {} cash. The nudges below flag any drift from it.",
                    p.category,
                    crate::tools::pct_abs(p.allocation.stocks),
                    crate::tools::pct_abs(p.allocation.bonds),
                    crate::tools::pct_abs(p.allocation.cash)
                ),
                _ => "Take the risk questionnaire to see how this mix fits your risk profile.".to_owned(),
            },
        });
        let nudges: Vec<String> = r["nudges"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|n| n["title"].as_str().map(str::to_owned))
            .collect();
        sections.push(InsightSection {
            kind: "nudges".to_owned(),
            text: if nudges.is_empty() {
                "No nudges today.".to_owned()
            } else {
                nudges.join(" ")
            },
        });
        let insight = Insight {
            as_of,
            content_hash: hash,
            sections,
            tools: vec![trace(&summary), trace(&compare)],
            disclaimer: DISCLAIMER.to_owned(),
            cached: false,
        };
        self.insights
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(key, insight.clone());
        Ok(insight)
    }
}

fn replaced() -> crate::llm::verify::Verification {
    crate::llm::verify::Verification {
        outcome: DraftOutcome::Replaced,
        text: String::new(),
        sentences: Vec::new(),
    }
}

impl Assistant {
    /// A short summary of the user's portfolio: drafted by the model from
    /// the [`Assistant::insight`] sections and checked like an answer, or,
    /// without a model (or when the draft fails the checks), the sections
    /// themselves, each cited.
    ///
    /// # Errors
    /// As [`Assistant::insight`]; the embedder's error.
    pub async fn summary(&self, tools: &ToolContext<'_>) -> Result<PortfolioSummary> {
        let insight = self.insight(tools).await?;
        let texts: Vec<String> = insight.sections.iter().map(|s| s.text.clone()).collect();
        let extractive = insight
            .sections
            .iter()
            .enumerate()
            .map(|(i, s)| format!("{} [{}]", s.text, i + 1))
            .collect::<Vec<_>>()
            .join(" ");
        let mut body = extractive;
        let mut draft = None;
        if let Some(model) = &self.model {
            let sources: Vec<Source> = insight
                .sections
                .iter()
                .map(|s| Source {
                    label: s.kind.replace('_', " "),
                    text: s.text.clone(),
                })
                .collect();
            let request = summary_request(&sources);
            let mut verdicts = Vec::new();
            let (v, _) = self
                .draft(
                    model.as_ref(),
                    &request,
                    ("", &texts),
                    &CancelToken::new(),
                    &mut |_| {},
                    &mut verdicts,
                )
                .await?;
            draft = Some(v.outcome);
            if v.outcome != DraftOutcome::Replaced {
                body = v.text;
            }
        }
        Ok(PortfolioSummary {
            text: crate::compose::render(&[body], DISCLAIMER),
            sources: insight.sections,
            model: if draft.is_some() {
                self.model_id()
            } else {
                MODEL_NONE.to_owned()
            },
            draft,
            disclaimer: DISCLAIMER.to_owned(),
        })
    }
}

/// SHA-256 over the transactions, the price dates and closes in use, and the
/// risk category: any change gives a new insight.
fn portfolio_hash(ctx: &PortfolioContext) -> String {
    let mut h = Sha256::new();
    for t in ctx.portfolio.transactions() {
        h.update(format!("{t:?}\n").as_bytes());
    }
    if let Some(d) = ctx.prices.dates().last() {
        h.update(d.to_string().as_bytes());
    }
    for name in ctx.prices.columns() {
        h.update(name.as_str().as_bytes());
        if let Some(Some(v)) = ctx
            .prices
            .column(name.as_str())
            .and_then(<[Option<f64>]>::last)
        {
            h.update(v.to_le_bytes());
        }
    }
    if let Some(p) = &ctx.risk_profile {
        h.update(p.category.to_string().as_bytes());
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}
