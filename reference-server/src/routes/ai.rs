//! The assistant: questions (metered per day), the portfolio summary
//! (cached per portfolio and day), feedback on answers, and the learning
//! checklist.

use std::collections::BTreeSet;

use auravest_ai::llm::CancelToken;
use auravest_ai::{PortfolioContext, ToolContext};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post, put};
use axum::{Json, Router};
use chrono::{Duration as Days, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use uuid::Uuid;

use crate::auth::AuthUser;
use crate::error::{AppError, AppResult};
use crate::routes::ApiJson;
use crate::services::portfolio::{self as portfolios, Loaded};
use crate::state::AppState;
use crate::store::{AuditAction, AuditEntry};

/// A question.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AskBody {
    /// The question.
    pub question: String,
    /// One of the user's portfolios, for the portfolio tools.
    #[serde(default)]
    pub portfolio_id: Option<Uuid>,
}

/// Feedback on an answer.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FeedbackBody {
    /// `helpful`, `wrong` or `biased`.
    pub kind: String,
    /// What was good or wrong about it (at most 2,000 characters).
    #[serde(default)]
    pub note: Option<String>,
}

/// An answer with the day's usage.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AskView {
    /// The answer: text with `[n]` markers, citations, tools called,
    /// guardrail verdicts and the disclaimer.
    pub answer: auravest_ai::Answer,
    /// Questions used today, read just after this one was answered (so
    /// including it, and any asked in parallel).
    pub used: i64,
    /// The daily limit.
    pub limit: u32,
}

/// A written summary of a portfolio's insight, and whether it came from
/// the day's cache.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SummaryView {
    /// The summary as drafted, or as the cache holds it (the JSON of an
    /// `auravest_ai::PortfolioSummary`, stored when it was drafted).
    #[serde(flatten)]
    #[schema(value_type = auravest_ai::PortfolioSummary)]
    pub summary: Map<String, Value>,
    /// Served from the cache.
    pub cached: bool,
}

impl SummaryView {
    fn new(mut summary: Map<String, Value>, cached: bool) -> Self {
        // `cached` is ours to say, whatever an older cache entry holds.
        summary.remove("cached");
        Self { summary, cached }
    }
}

fn assistant(state: &AppState) -> AppResult<&auravest_ai::Assistant> {
    if !state.assistant.enabled() {
        return Err(AppError::Unavailable(
            "the assistant is turned off on this server (AURAVEST_AI=false)".to_owned(),
        ));
    }
    state.assistant.get().ok_or_else(|| {
        AppError::Unavailable(
            "the assistant is still loading its knowledge base; try again shortly".to_owned(),
        )
    })
}

async fn context(state: &AppState, user: Uuid, loaded: &Loaded) -> AppResult<PortfolioContext> {
    let (_, priced) = portfolios::analysis_of(state, user, loaded).await?;
    let sources: BTreeSet<String> = priced.sources.values().map(|s| s.source.clone()).collect();
    Ok(PortfolioContext {
        portfolio: loaded.ledger.portfolio.clone(),
        prices: priced.frame,
        risk_profile: portfolios::risk_profile_of(state, user).await?,
        prices_source: sources.into_iter().collect::<Vec<_>>().join(", "),
    })
}

fn ai_error(e: auravest_ai::Error) -> AppError {
    match e {
        auravest_ai::Error::Invalid { field, reason } => AppError::field(field, reason),
        auravest_ai::Error::LimitReached { .. } => AppError::RateLimited(until_midnight()),
        auravest_ai::Error::UnknownAnswer(_) => AppError::not_found("answer"),
        // The metering store (the database) failed or is busy: try again.
        auravest_ai::Error::Store(reason) => {
            tracing::warn!(%reason, "metering store");
            AppError::Unavailable("the usage store is busy; try again shortly".to_owned())
        }
        e => AppError::internal(e),
    }
}

/// Seconds until the next UTC midnight, when the daily count resets.
fn until_midnight() -> std::time::Duration {
    let now = Utc::now();
    let next = (now.date_naive() + Days::days(1))
        .and_hms_opt(0, 0, 0)
        .map(|t| t.and_utc())
        .unwrap_or(now);
    (next - now).to_std().unwrap_or_default()
}

/// Asks the assistant (metered: `AURAVEST_AI_DAILY_LIMIT` questions per user and day).
#[utoipa::path(post, path = "/api/v1/ask", tag = "assistant", request_body = AskBody,
    responses((status = 200, body = AskView), (status = 422, body = crate::error::ErrorBody),
        (status = 429, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn ask(
    State(state): State<AppState>,
    user: AuthUser,
    ApiJson(body): ApiJson<AskBody>,
) -> AppResult<Json<AskView>> {
    let assistant = assistant(&state)?;
    if assistant.model_id() == auravest_ai::assistant::MODEL_NONE {
        // Nothing to compute for long: answered on this task, so a dropped
        // request gives its question back (the SDK's rule).
        let out = ask_view(&state, &user, &body, &CancelToken::new(), &mut |_| {}).await?;
        return Ok(Json(out));
    }
    let mut steps = Answering::start(state.clone(), user, body);
    loop {
        match steps.next().await {
            Some(Step::Draft(_)) => {}
            Some(Step::Done(out)) => return (*out).map(Json),
            None => return Err(AppError::internal("the answering task ended early")),
        }
    }
}

/// Asks the assistant as [`ask`], answering with server-sent events: a
/// `draft` event per piece of the model's draft as it is written (none
/// without a model), then one `answer` event holding what `/ask` returns
/// (the checked answer, which says whether the draft was kept). A
/// question refused before anything is written gets the plain error
/// status (422, 429, 503); a failure after it gets an `error` event with
/// the error body. A client that goes away stops the draft.
#[utoipa::path(post, path = "/api/v1/ask/stream", tag = "assistant", request_body = AskBody,
    responses((status = 200, content_type = "text/event-stream",
            description = "`draft` events (`{\"text\": ...}`), then an `answer` event (an AskView) or an `error` event (an ErrorBody)"),
        (status = 422, body = crate::error::ErrorBody),
        (status = 429, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn ask_stream(
    State(state): State<AppState>,
    user: AuthUser,
    ApiJson(body): ApiJson<AskBody>,
) -> AppResult<axum::response::Response> {
    use axum::response::IntoResponse as _;
    use axum::response::sse::{Event, KeepAlive, Sse};

    // Refused before the stream (turned off, loading): the plain error.
    // A question over the day's limit is refused by `ask_view` first
    // thing, which comes back as a plain error too.
    assistant(&state)?;
    // The draft may not run past the assistant's time limit: then it stops
    // and the answer from the sources is sent.
    let limit = state.config.serve_limits.ai_request_timeout;
    let mut steps = Answering::start(state, user, body);
    let timer = steps.cancel.clone();
    steps.timer = Some(tokio::spawn(async move {
        tokio::time::sleep(limit).await;
        timer.cancel();
    }));
    // Refused before anything was written: the plain error.
    let first = match steps.next().await {
        Some(Step::Done(out)) => match *out {
            Err(e) => return Err(e),
            ok => Step::Done(Box::new(ok)),
        },
        Some(step) => step,
        None => return Err(AppError::internal("the answering task ended early")),
    };
    let event = |step: Step| -> Event {
        let (name, data) = match step {
            Step::Draft(text) => ("draft", json!({ "text": text })),
            Step::Done(out) => match *out {
                Ok(view) => (
                    "answer",
                    serde_json::to_value(&view)
                        .unwrap_or_else(|e| json!({ "error": e.to_string() })),
                ),
                Err(e) => ("error", serde_json::to_value(e.body()).unwrap_or_default()),
            },
        };
        Event::default().event(name).data(data.to_string())
    };
    let stream = futures_util::stream::unfold(
        (Some(first), steps),
        move |(pending, mut steps)| async move {
            let step = match pending {
                Some(s) => s,
                None => steps.next().await?,
            };
            Some((
                Ok::<_, std::convert::Infallible>(event(step)),
                (None, steps),
            ))
        },
    );
    Ok(Sse::new(stream)
        .keep_alive(KeepAlive::default())
        .into_response())
}

/// One step of an answer being written.
enum Step {
    /// A piece of the model's draft.
    Draft(String),
    /// The checked answer, or why there is none.
    Done(Box<AppResult<AskView>>),
}

/// A question being answered on a thread of its own: a language model
/// computes without yielding while it writes, so the server's workers go
/// on serving. Dropping it (the client went away) stops the draft; the
/// answer from the sources is still recorded.
struct Answering {
    steps: tokio::sync::mpsc::UnboundedReceiver<Step>,
    cancel: CancelToken,
    /// What stops the draft at the time limit (ended with the answer).
    timer: Option<tokio::task::JoinHandle<()>>,
}

impl Answering {
    fn start(state: AppState, user: AuthUser, body: AskBody) -> Self {
        let (tx, steps) = tokio::sync::mpsc::unbounded_channel();
        let cancel = CancelToken::new();
        let stop = cancel.clone();
        let pieces = tx.clone();
        let job = async move {
            let mut sink = move |piece: &str| {
                let _ = pieces.send(Step::Draft(piece.to_owned()));
            };
            let out = ask_view(&state, &user, &body, &stop, &mut sink).await;
            let _ = tx.send(Step::Done(Box::new(out)));
        };
        let handle = tokio::runtime::Handle::current();
        tokio::task::spawn_blocking(move || handle.block_on(job));
        Self {
            steps,
            cancel,
            timer: None,
        }
    }

    async fn next(&mut self) -> Option<Step> {
        self.steps.recv().await
    }
}

impl Drop for Answering {
    fn drop(&mut self) {
        self.cancel.cancel();
        if let Some(t) = self.timer.take() {
            t.abort();
        }
    }
}

/// Answers, records and counts one question: what `/ask` returns.
async fn ask_view(
    state: &AppState,
    user: &AuthUser,
    body: &AskBody,
    cancel: &CancelToken,
    on_text: &mut auravest_ai::llm::TokenSink<'_>,
) -> AppResult<AskView> {
    let assistant = assistant(state)?;
    let now = Utc::now();
    let account = user.id.to_string();
    let limit = crate::plans::plan_of(state, user.id)
        .await?
        .ai_questions_per_day;
    // A cheap early refusal before the portfolio's context is built; the
    // charge itself is the SDK's one atomic step below.
    if assistant
        .questions_left_within(&account, now, Some(limit))
        .await
        .ok()
        .flatten()
        == Some(0)
    {
        return Err(AppError::RateLimited(until_midnight()));
    }
    // The assistant meters the question (paid for before it is answered, in
    // one atomic statement, given back if the answer fails or this request
    // is dropped), records the answer and keeps its feedback, all in the
    // database (`services::metering`).
    let answer = answer(state, user, body, assistant, (now, limit), cancel, on_text).await?;
    let answer_id = Uuid::parse_str(&answer.id).map_err(AppError::internal)?;
    state
        .store
        .audit(&AuditEntry {
            at: now,
            action: AuditAction::AiAnswer,
            subject: Some(user.audit_subject),
            object: Some(state.keys.object_hash(answer_id)),
            detail: json!({
                "refused": answer.refused,
                "model": answer.model,
                "citations": answer.citations.len(),
                "tools": answer.tools.len(),
            }),
        })
        .await?;
    // The question is answered and paid for: a count that cannot be read
    // now must not turn the answer into an error.
    let left = assistant
        .questions_left_within(&account, now, Some(limit))
        .await
        .ok()
        .flatten()
        .unwrap_or(0);
    Ok(AskView {
        answer,
        used: i64::from(limit.saturating_sub(left)),
        limit,
    })
}

/// Answers one question for the user (metered by the assistant).
async fn answer(
    state: &AppState,
    user: &AuthUser,
    body: &AskBody,
    assistant: &auravest_ai::Assistant,
    (now, limit): (chrono::DateTime<Utc>, u32),
    cancel: &CancelToken,
    on_text: &mut auravest_ai::llm::TokenSink<'_>,
) -> AppResult<auravest_ai::Answer> {
    let loaded = match body.portfolio_id {
        Some(id) => Some(
            portfolios::load(state, user.id, id)
                .await
                .map_err(|e| match e {
                    AppError::NotFound(_) => AppError::field("portfolio_id", "no such portfolio"),
                    e => e,
                })?,
        ),
        None => None,
    };
    let ctx = match &loaded {
        Some(l) => Some(context(state, user.id, l).await?),
        None => None,
    };
    let market = state.prices.market();
    let news = crate::services::news::StoredNews::new(state);
    let tools = ToolContext {
        market: Some(market.as_ref()),
        news: Some(&news),
        portfolio: ctx.as_ref(),
        kb: assistant.kb(),
        as_of: ctx.as_ref().and_then(|c| c.prices.dates().last().copied()),
    };
    let answer = assistant
        .ask_streaming_within(
            &user.id.to_string(),
            &body.question,
            &tools,
            now,
            Some(limit),
            cancel,
            on_text,
        )
        .await
        .map_err(ai_error)?;
    Ok(answer)
}

/// A written summary of the portfolio's insight, cached per portfolio and day.
#[utoipa::path(get, path = "/api/v1/portfolios/{id}/summary", tag = "assistant",
    responses((status = 200, body = SummaryView),
        (status = 404, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn summary(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<Uuid>,
) -> AppResult<Json<SummaryView>> {
    let assistant = assistant(&state)?;
    let loaded = portfolios::load(&state, user.id, id).await?;
    let today = Utc::now().date_naive();
    // One summary per portfolio and day is drafted (in this process): a
    // request that finds another drafting waits for its result instead of
    // drafting again.
    let _drafting = state.drafting.lock(&id).await;
    if let Some(Value::Object(hit)) = state.store.cached_summary(id, today).await? {
        return Ok(Json(SummaryView::new(hit, true)));
    }
    let ctx = context(&state, user.id, &loaded).await?;
    let market = state.prices.market();
    let tools = ToolContext {
        market: Some(market.as_ref()),
        news: None,
        portfolio: Some(&ctx),
        kb: assistant.kb(),
        as_of: ctx.prices.dates().last().copied(),
    };
    let s = assistant.summary(&tools).await.map_err(ai_error)?;
    let value = serde_json::to_value(&s).map_err(AppError::internal)?;
    state.store.put_summary(id, today, &value).await?;
    state
        .store
        .audit(&AuditEntry {
            at: Utc::now(),
            action: AuditAction::AiSummary,
            subject: Some(user.audit_subject),
            object: Some(state.keys.object_hash(id)),
            detail: json!({"model": s.model, "sections": s.sources.len()}),
        })
        .await?;
    let Value::Object(drafted) = value else {
        return Err(AppError::internal("a summary is not a JSON object"));
    };
    Ok(Json(SummaryView::new(drafted, false)))
}

/// Rates one of the user's answers, with an optional note (every rating is kept).
#[utoipa::path(post, path = "/api/v1/answers/{id}/feedback", tag = "assistant", request_body = FeedbackBody,
    responses((status = 204), (status = 404, body = crate::error::ErrorBody),
        (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn feedback(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<Uuid>,
    ApiJson(body): ApiJson<FeedbackBody>,
) -> AppResult<StatusCode> {
    let assistant = assistant(&state)?;
    let kind: auravest_ai::FeedbackKind = body.kind.parse().map_err(ai_error)?;
    let id = id.to_string();
    // Another user's answer is as unknown as a made-up id.
    let owned = assistant
        .answer_record(&id)
        .await
        .map_err(ai_error)?
        .is_some_and(|r| r.subject == user.id.to_string());
    if !owned {
        return Err(AppError::not_found("answer"));
    }
    assistant
        .feedback(&id, kind, body.note)
        .await
        .map_err(ai_error)?;
    Ok(StatusCode::NO_CONTENT)
}

/// The user's learning checklist: the five items for their experience
/// (from the risk profile and the first transaction of any portfolio), each
/// marked done when the user said so.
pub(crate) async fn checklist_items(
    state: &AppState,
    user: Uuid,
) -> AppResult<Vec<auravest_bias::ChecklistItem>> {
    let profile = portfolios::risk_profile_of(state, user).await?;
    let mut first = None;
    for p in state.store.portfolios(user).await? {
        let rows = state.store.transactions(p.id).await?;
        let d = rows
            .iter()
            .filter_map(|r| chrono::NaiveDate::parse_from_str(&r.record.date, "%Y-%m-%d").ok())
            .min();
        first = match (first, d) {
            (Some(a), Some(b)) => Some(std::cmp::min(a, b)),
            (a, b) => a.or(b),
        };
    }
    portfolios::checklist_for(state, user, profile.as_ref(), first).await
}

/// The learning checklist for the user's experience (from the risk profile
/// and the first transaction of any portfolio), with what they marked done.
#[utoipa::path(get, path = "/api/v1/checklist", tag = "assistant",
    responses((status = 200, body = Vec<auravest_bias::ChecklistItem>)),
    security(("bearer" = [])))]
pub async fn checklist(
    State(state): State<AppState>,
    user: AuthUser,
) -> AppResult<Json<Vec<auravest_bias::ChecklistItem>>> {
    Ok(Json(checklist_items(&state, user.id).await?))
}

/// Marks a checklist item done (again changes nothing); answers the checklist.
#[utoipa::path(put, path = "/api/v1/checklist/{item}", tag = "assistant",
    params(("item" = String, Path, description = "Item id (`compounding`)")),
    responses((status = 200, body = Vec<auravest_bias::ChecklistItem>),
        (status = 404, description = "No such item", body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn check_item(
    State(state): State<AppState>,
    user: AuthUser,
    Path(item): Path<String>,
) -> AppResult<Json<Vec<auravest_bias::ChecklistItem>>> {
    set_item(&state, user.id, &item, Some(Utc::now())).await
}

/// Marks a checklist item not done; answers the checklist.
#[utoipa::path(delete, path = "/api/v1/checklist/{item}", tag = "assistant",
    params(("item" = String, Path, description = "Item id (`compounding`)")),
    responses((status = 200, body = Vec<auravest_bias::ChecklistItem>),
        (status = 404, description = "No such item", body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn uncheck_item(
    State(state): State<AppState>,
    user: AuthUser,
    Path(item): Path<String>,
) -> AppResult<Json<Vec<auravest_bias::ChecklistItem>>> {
    set_item(&state, user.id, &item, None).await
}

async fn set_item(
    state: &AppState,
    user: Uuid,
    item: &str,
    done_at: Option<chrono::DateTime<Utc>>,
) -> AppResult<Json<Vec<auravest_bias::ChecklistItem>>> {
    if !auravest_bias::is_checklist_item(item) {
        return Err(AppError::not_found("checklist item"));
    }
    state.store.set_checklist_item(user, item, done_at).await?;
    Ok(Json(checklist_items(state, user).await?))
}

/// `/ask`, `/portfolios/{id}/summary`, `/answers/{id}/feedback`, `/checklist`,
/// `/checklist/{item}`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/ask", post(ask))
        .route("/ask/stream", post(ask_stream))
        .route("/portfolios/{id}/summary", get(summary))
        .route("/answers/{id}/feedback", post(feedback))
        .route("/checklist", get(checklist))
        .route("/checklist/{item}", put(check_item).delete(uncheck_item))
}
