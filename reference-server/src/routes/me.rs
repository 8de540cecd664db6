//! The caller's own account: profile, settings, usage, the data export and
//! account deletion.

use std::collections::{BTreeMap, HashMap, HashSet};

use axum::extract::rejection::JsonRejection;
use axum::extract::{Query, State};
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::AppendHeaders;
use axum::routing::get;
use axum::{Json, Router};
use chrono::Utc;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

use crate::auth::{AuthUser, clear_cookies, json_body};
use crate::error::{AppError, AppResult};
use crate::services::portfolio::TransactionView;
use crate::state::AppState;
use crate::store::{AuditAction, AuditEntry, ProfilePatch, Role, THEMES, UserRecord};

/// Every dashboard widget the app knows.
pub const WIDGETS: &[&str] = &[
    "valuation",
    "allocation",
    "performance",
    "nudges",
    "goals",
    "badges",
    "assistant",
    "community",
    "news",
];

pub use crate::store::DEFAULT_DASHBOARD;

/// The ways performance can be shown to others.
pub const DISPLAY_MODES: &[&str] = &["percent", "hidden"];

/// The usage kind of AI questions, limited per day.
pub use crate::services::metering::AI_QUESTIONS;

/// The caller's profile.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct MeResponse {
    /// User id.
    pub id: Uuid,
    /// Email address (decrypted).
    pub email: String,
    /// Public pseudonym.
    pub alias: String,
    /// Role.
    pub role: Role,
    /// `percent` or `hidden`.
    pub display_mode: String,
    /// Whether percentages are shared with the community.
    pub share_performance: bool,
    /// Whether the community counts the user's holdings (tickers only, never
    /// shown as theirs) in its "most held" list.
    pub count_holdings: bool,
    /// The web UI's colour theme: `light`, `dark` or `system` (follow the
    /// device's preference).
    #[schema(example = "system", pattern = "^(light|dark|system)$")]
    pub theme: String,
    /// Dashboard widgets in display order.
    pub dashboard: Vec<String>,
    /// The terms version accepted.
    pub terms_version: String,
    /// When the account was created (RFC 3339).
    pub created_at: String,
}

/// `PATCH /me`: only the fields given change.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MePatch {
    /// 3 to 30 of `a-z 0-9 _ -`, starting with a letter; unique.
    pub alias: Option<String>,
    /// `percent` or `hidden`.
    pub display_mode: Option<String>,
    /// Share percentages with the community.
    pub share_performance: Option<bool>,
    /// Let the community count the held tickers in its "most held" list.
    pub count_holdings: Option<bool>,
    /// `light`, `dark` or `system` (follow the device's preference).
    #[schema(example = "dark", pattern = "^(light|dark|system)$")]
    pub theme: Option<String>,
    /// Widgets in display order, each at most once (see [`WIDGETS`]).
    pub dashboard: Option<Vec<String>>,
}

/// One stored risk profile in the export.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ExportRiskProfile {
    // Both are sent as stored (the SDK's JSON when they were written), never
    // read back into its types, so a row an older version wrote still exports.
    /// The answers as submitted.
    #[schema(value_type = auravest_risk::Answers)]
    pub answers: Value,
    /// The scored profile.
    #[schema(value_type = auravest_risk::RiskProfile)]
    pub profile: Value,
    /// When it was stored (RFC 3339).
    pub created_at: String,
}

/// One portfolio in the export.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ExportPortfolio {
    /// Portfolio id.
    pub id: Uuid,
    /// Name.
    pub name: String,
    /// Base currency.
    pub currency: String,
    /// When it was created (RFC 3339).
    pub created_at: String,
    /// The transactions in stored order, each with its `id`.
    pub transactions: Vec<TransactionView>,
    /// The same transactions in the transactions CSV format
    /// (`date,type,symbol,quantity,price,fee,currency`), ready to import.
    pub transactions_csv: String,
    /// How many transactions the portfolio holds: the export carries the
    /// first [`EXPORT_ROWS`] of them.
    pub transactions_total: usize,
    /// When it holds more: the next page of the CSV
    /// (`GET /portfolios/{id}/transactions.csv?offset=…`, which links on).
    pub transactions_next: Option<String>,
    /// The prices the user stated for symbols no market source knows.
    pub own_prices: Vec<crate::routes::portfolios::OwnPriceView>,
}

/// Most transactions of one portfolio the export carries inline; the rest
/// come a page at a time from `GET /portfolios/{id}/transactions.csv`.
pub const EXPORT_ROWS: usize = 10_000;

/// One goal in the export.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ExportGoal {
    /// Goal id.
    pub id: Uuid,
    /// Name.
    pub name: String,
    /// Target value (decimal string).
    pub target: String,
    /// Deadline (`YYYY-MM-DD`).
    pub by: Option<String>,
    /// Monthly contribution (decimal string).
    pub monthly_contribution: Option<String>,
    /// Expected annual return as a fraction.
    pub expected_return: Option<f64>,
    /// When it was created (RFC 3339).
    pub created_at: String,
}

/// An AI answer given to the caller.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ExportAnswer {
    /// The answer.
    pub answer_id: Uuid,
    /// When it was given (RFC 3339).
    pub at: String,
    /// The assistant's record (hashed question, citations, tools, model,
    /// guardrail verdicts); null for answers given before records were kept.
    pub record: Option<auravest_ai::store::AuditRecord>,
}

/// A rating of an AI answer.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ExportFeedback {
    /// The answer.
    pub answer_id: Uuid,
    /// The rating (`helpful`, `wrong`, `biased`).
    pub kind: String,
    /// What the user wrote with it.
    pub note: Option<String>,
    /// When (RFC 3339).
    pub at: String,
}

/// Everything stored about the caller.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ExportResponse {
    /// When the export was made (RFC 3339).
    pub exported_at: String,
    /// The profile.
    pub account: MeResponse,
    /// When the terms were accepted (RFC 3339).
    pub terms_accepted_at: String,
    /// Risk profiles, oldest first.
    pub risk_profiles: Vec<ExportRiskProfile>,
    /// Portfolios with their transactions.
    pub portfolios: Vec<ExportPortfolio>,
    /// Goals.
    pub goals: Vec<ExportGoal>,
    /// Usage counts: day → kind → count.
    pub usage: BTreeMap<String, BTreeMap<String, i64>>,
    /// AI answers given to the caller, oldest first, with the assistant's
    /// record of each.
    pub answers: Vec<ExportAnswer>,
    /// Feedback on AI answers.
    pub feedback: Vec<ExportFeedback>,
    /// Learning checklist items marked done: item → when (RFC 3339).
    pub checklist: BTreeMap<String, String>,
    /// Feedback sent to the moderators, newest first.
    pub feedback_to_moderators: Vec<crate::services::community::ExportFeedbackSent>,
    /// Direct messaging: the setting, blocks, and messages sent and
    /// received, newest first.
    pub messaging: crate::services::community::ExportMessaging,
    /// The plan (`free` or `plus`).
    pub plan: crate::plans::Tier,
    /// When the user asked to hear about AuraVest Plus (RFC 3339).
    pub plus_notify_me: Option<String>,
    /// Watched symbols.
    pub watchlist: Vec<String>,
    /// Price alert rules.
    pub alerts: Vec<crate::services::alerts::AlertView>,
    /// The community's record of the caller (`auravest_social::MemberExport`:
    /// the member, every post and comment, follows, notifications); null
    /// when they never took part.
    pub community: Option<auravest_social::MemberExport>,
}

/// One kind of usage today.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct UsageCount {
    /// Events today.
    pub used: i64,
    /// The daily limit, for limited kinds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
}

/// Today's usage.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct UsageResponse {
    /// The day (UTC, `YYYY-MM-DD`).
    pub day: String,
    /// Kind → count (and limit). `ai_questions` is always present.
    pub usage: BTreeMap<String, UsageCount>,
    /// When the daily counts start again: the next UTC midnight (RFC 3339).
    pub resets_at: String,
    /// The assistant: `ready`, `starting` (loading its knowledge base; it
    /// answers 503 meanwhile) or `off` (turned off on this server).
    pub assistant: &'static str,
}

fn me_response(state: &AppState, u: &UserRecord) -> AppResult<MeResponse> {
    Ok(MeResponse {
        id: u.id,
        email: state.keys.decrypt_email(&u.email_enc)?,
        alias: u.alias.clone(),
        role: u.role,
        display_mode: u.display_mode.clone(),
        share_performance: u.share_performance,
        count_holdings: u.count_holdings,
        theme: u.theme.clone(),
        dashboard: u.dashboard.clone(),
        terms_version: u.terms_version.clone(),
        created_at: u.created_at.to_rfc3339(),
    })
}

async fn load(state: &AppState, user: &AuthUser) -> AppResult<UserRecord> {
    state
        .store
        .user(user.id)
        .await?
        .ok_or_else(|| AppError::Unauthenticated("the account no longer exists".to_owned()))
}

/// Checks an account alias by the community's rules (one rule for both):
/// 3 to 30 of `a-z 0-9 _ -` starting with a letter, and no staff or
/// reserved words, look-alikes, contact details or default-looking names.
///
/// # Errors
/// Why it is refused.
pub fn check_alias(alias: &str) -> Result<(), String> {
    auravest_social::AliasPolicy::default()
        .check_account_alias(alias)
        .map_err(|e| match e {
            auravest_social::Error::InvalidAlias { reason, .. } => reason.to_string(),
            other => other.to_string(),
        })
}

/// Checks a dashboard layout; the errors name the element (`dashboard[i]`).
fn check_dashboard(widgets: &[String], fields: &mut BTreeMap<String, String>) {
    let mut seen = HashSet::new();
    for (i, w) in widgets.iter().enumerate() {
        if !WIDGETS.contains(&w.as_str()) {
            fields.insert(
                format!("dashboard[{i}]"),
                format!("{w:?} is not one of {}", WIDGETS.join(", ")),
            );
        } else if !seen.insert(w.as_str()) {
            fields.insert(format!("dashboard[{i}]"), format!("{w:?} appears twice"));
        }
    }
}

/// The caller's profile.
#[utoipa::path(get, path = "/api/v1/me", tag = "me",
    responses((status = 200, body = MeResponse), (status = 401, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn get_me(State(state): State<AppState>, user: AuthUser) -> AppResult<Json<MeResponse>> {
    let u = load(&state, &user).await?;
    Ok(Json(me_response(&state, &u)?))
}

/// Changes the alias, display mode, sharing choices, theme or dashboard.
#[utoipa::path(patch, path = "/api/v1/me", tag = "me",
    request_body = MePatch,
    responses(
        (status = 200, body = MeResponse),
        (status = 409, description = "The alias is taken", body = crate::error::ErrorBody),
        (status = 422, description = "A field is invalid or unknown (named in `fields`)",
            body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn patch_me(
    State(state): State<AppState>,
    user: AuthUser,
    body: Result<Json<Value>, JsonRejection>,
) -> AppResult<Json<MeResponse>> {
    let req: MePatch = json_body(body)?;
    let mut fields = BTreeMap::new();
    // Only a new alias is checked: the one the account has (such as the
    // generated default) may be sent back unchanged.
    if let Some(alias) = req.alias.as_deref() {
        let current = load(&state, &user).await?;
        if alias != current.alias
            && let Err(r) = check_alias(alias)
        {
            fields.insert("alias".to_owned(), r);
        }
    }
    if let Some(m) = &req.display_mode
        && !DISPLAY_MODES.contains(&m.as_str())
    {
        fields.insert(
            "display_mode".to_owned(),
            format!("{m:?} is not one of {}", DISPLAY_MODES.join(", ")),
        );
    }
    if let Some(t) = &req.theme
        && !THEMES.contains(&t.as_str())
    {
        fields.insert(
            "theme".to_owned(),
            format!("{t:?} is not one of {}", THEMES.join(", ")),
        );
    }
    if let Some(d) = &req.dashboard {
        check_dashboard(d, &mut fields);
    }
    if !fields.is_empty() {
        return Err(AppError::fields(fields));
    }
    let patch = ProfilePatch {
        alias: req.alias,
        display_mode: req.display_mode,
        share_performance: req.share_performance,
        count_holdings: req.count_holdings,
        theme: req.theme,
        dashboard: req.dashboard,
    };
    let updated = state
        .store
        .update_profile(user.id, &patch)
        .await
        .map_err(|e| match e {
            crate::store::StoreError::Conflict(_) => {
                AppError::Conflict("this alias is taken".to_owned())
            }
            e => e.into(),
        })?
        .ok_or_else(|| AppError::Unauthenticated("the account no longer exists".to_owned()))?;
    Ok(Json(me_response(&state, &updated)?))
}

/// Everything stored about the caller, as JSON (transactions also as CSV).
#[utoipa::path(get, path = "/api/v1/me/export", tag = "me",
    responses((status = 200, body = ExportResponse), (status = 401, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn export(
    State(state): State<AppState>,
    user: AuthUser,
) -> AppResult<Json<ExportResponse>> {
    let data = state
        .store
        .user_data(user.id)
        .await?
        .ok_or_else(|| AppError::Unauthenticated("the account no longer exists".to_owned()))?;
    let mut portfolios = Vec::with_capacity(data.portfolios.len());
    let mut n_transactions = 0;
    for (p, all_rows) in &data.portfolios {
        n_transactions += all_rows.len();
        let rows = &all_rows[..all_rows.len().min(EXPORT_ROWS)];
        let mut transactions = Vec::with_capacity(rows.len());
        let mut txs = Vec::with_capacity(rows.len());
        for row in rows {
            transactions.push(TransactionView::from(row.clone()));
            // As stored: a row that no longer validates is exported too.
            txs.push(row.record.clone());
        }
        let mut csv = Vec::new();
        auravest_core::io::write_records_csv(&mut csv, &txs).map_err(AppError::internal)?;
        portfolios.push(ExportPortfolio {
            id: p.id,
            name: p.name.clone(),
            currency: p.currency.clone(),
            created_at: p.created_at.to_rfc3339(),
            transactions,
            transactions_csv: String::from_utf8(csv).map_err(AppError::internal)?,
            own_prices: state
                .store
                .own_prices(p.id)
                .await?
                .into_iter()
                .map(|r| crate::routes::portfolios::OwnPriceView {
                    symbol: r.symbol,
                    date: r.date.to_string(),
                    price: r.price,
                })
                .collect(),
            transactions_total: all_rows.len(),
            transactions_next: (all_rows.len() > rows.len()).then(|| {
                format!(
                    "/api/v1/portfolios/{}/transactions.csv?offset={}&limit={EXPORT_ROWS}",
                    p.id,
                    rows.len()
                )
            }),
        });
    }
    let response = ExportResponse {
        exported_at: Utc::now().to_rfc3339(),
        account: me_response(&state, &data.user)?,
        terms_accepted_at: data.user.terms_accepted_at.to_rfc3339(),
        risk_profiles: data
            .risk_profiles
            .iter()
            .map(|r| ExportRiskProfile {
                answers: r.answers.clone(),
                profile: r.profile.clone(),
                created_at: r.created_at.to_rfc3339(),
            })
            .collect(),
        portfolios,
        goals: data
            .goals
            .iter()
            .map(|g| ExportGoal {
                id: g.id,
                name: g.name.clone(),
                target: g.target.clone(),
                by: g.by.map(|d| d.to_string()),
                monthly_contribution: g.monthly_contribution.clone(),
                expected_return: g.expected_return,
                created_at: g.created_at.to_rfc3339(),
            })
            .collect(),
        usage: data
            .usage
            .iter()
            .map(|(day, kinds)| (day.to_string(), kinds.clone()))
            .collect(),
        answers: data
            .answers
            .iter()
            .map(|a| ExportAnswer {
                answer_id: a.id,
                at: a.at.to_rfc3339(),
                record: a
                    .record
                    .as_deref()
                    .and_then(|r| serde_json::from_str(r).ok()),
            })
            .collect(),
        feedback: data
            .feedback
            .iter()
            .map(|f| ExportFeedback {
                answer_id: f.answer_id,
                kind: f.kind.clone(),
                note: f.note.clone(),
                at: f.at.to_rfc3339(),
            })
            .collect(),
        checklist: data
            .checklist
            .iter()
            .map(|(item, at)| (item.clone(), at.to_rfc3339()))
            .collect(),
        feedback_to_moderators: crate::services::community::feedback_export(&state, user.id)
            .await?,
        messaging: crate::services::community::messages_export(&state, user.id).await?,
        plan: crate::plans::tier_of(&state, user.id).await?,
        plus_notify_me: state
            .store
            .plus_interest(user.id)
            .await?
            .map(|t| t.to_rfc3339()),
        watchlist: data.watchlist.iter().map(|w| w.symbol.clone()).collect(),
        alerts: data
            .alerts
            .iter()
            .filter_map(crate::services::alerts::alert_view)
            .collect(),
        community: crate::services::community::member_export(&state, user.id).await?,
    };
    state
        .store
        .audit(&AuditEntry {
            at: Utc::now(),
            action: AuditAction::Export,
            subject: Some(user.audit_subject),
            object: None,
            detail: serde_json::json!({
                "portfolios": response.portfolios.len(),
                "transactions": n_transactions,
                "goals": response.goals.len(),
            }),
        })
        .await?;
    Ok(Json(response))
}

/// Deletes the account and everything stored about it. `posts` says what
/// happens to the user's community posts: `delete` or `anonymize`.
#[utoipa::path(delete, path = "/api/v1/me", tag = "me",
    params(("posts" = String, Query, description = "`delete` or `anonymize` (required)")),
    responses(
        (status = 204, description = "Deleted; the cookies are cleared"),
        (status = 422, description = "`posts` missing or not one of the choices",
            body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn delete_me(
    State(state): State<AppState>,
    user: AuthUser,
    Query(params): Query<HashMap<String, String>>,
) -> AppResult<(StatusCode, AppendHeaders<[(HeaderName, HeaderValue); 3]>)> {
    let posts = match params.get("posts").map(String::as_str) {
        Some(p @ ("delete" | "anonymize")) => p,
        Some(other) => {
            return Err(AppError::field(
                "posts",
                format!("{other:?} is not one of delete, anonymize"),
            ));
        }
        None => return Err(AppError::field("posts", "is required: delete or anonymize")),
    };
    let choice = crate::social_store::PostsChoice::parse(posts)
        .ok_or_else(|| AppError::field("posts", "is not one of delete, anonymize"))?;
    // Under the community's lock: no request can make a new member for the
    // account between the community's erasure and the account's.
    let _held = state
        .store
        .lock(crate::services::community::COMMUNITY_LOCK)
        .await?;
    // Audited before the erasure (the subject mapping goes with the
    // account), once the erasure is sure to run.
    state
        .store
        .audit(&AuditEntry {
            at: Utc::now(),
            action: AuditAction::Deletion,
            subject: Some(user.audit_subject),
            object: None,
            detail: serde_json::json!({"posts": posts}),
        })
        .await?;
    let portfolios = state.store.portfolios(user.id).await?;
    crate::services::community::delete_member(&state, user.id, choice).await?;
    if !state.store.delete_user(user.id).await? {
        return Err(AppError::Unauthenticated(
            "the account no longer exists".to_owned(),
        ));
    }
    for p in portfolios {
        state.ledgers.forget(p.id);
    }
    Ok((
        StatusCode::NO_CONTENT,
        clear_cookies(state.config.secure_cookies),
    ))
}

/// Today's usage counts (UTC day), with the AI question limit.
#[utoipa::path(get, path = "/api/v1/me/usage", tag = "me",
    responses((status = 200, body = UsageResponse), (status = 401, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn usage(
    State(state): State<AppState>,
    user: AuthUser,
) -> AppResult<Json<UsageResponse>> {
    let day = Utc::now().date_naive();
    let counts = state.store.usage(user.id, day).await?;
    let mut usage: BTreeMap<String, UsageCount> = counts
        .into_iter()
        .map(|(kind, used)| (kind, UsageCount { used, limit: None }))
        .collect();
    usage
        .entry(AI_QUESTIONS.to_owned())
        .or_insert(UsageCount {
            used: 0,
            limit: None,
        })
        .limit = Some(
        crate::plans::plan_of(&state, user.id)
            .await?
            .ai_questions_per_day,
    );
    let resets_at = day
        .succ_opt()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map_or_else(String::new, |t| t.and_utc().to_rfc3339());
    let assistant = if !state.assistant.enabled() {
        "off"
    } else if state.assistant.get().is_some() {
        "ready"
    } else {
        "starting"
    };
    Ok(Json(UsageResponse {
        day: day.to_string(),
        usage,
        resets_at,
        assistant,
    }))
}

/// `/me...`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/me", get(get_me).patch(patch_me).delete(delete_me))
        .route("/me/export", get(export))
        .route("/me/usage", get(usage))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aliases_follow_the_rules() {
        for ok in ["ana", "ana_b-2", "steady-saver", &"a".repeat(30)] {
            assert!(check_alias(ok).is_ok(), "{ok}");
        }
        for bad in [
            "an",
            "2ana",
            "_ana",
            "Ana",
            "ana b",
            "anä",
            &"a".repeat(31),
            // Staff words and their look-alikes, and default-looking names.
            "admin",
            "adm1n",
            "the-admin",
            "support",
            "auravest",
            "moderator",
            "investor-abc123",
        ] {
            assert!(check_alias(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn dashboards_name_unknown_and_repeated_widgets() {
        let mut f = BTreeMap::new();
        check_dashboard(
            &["goals".to_owned(), "stocks".to_owned(), "goals".to_owned()],
            &mut f,
        );
        assert_eq!(
            f.keys().collect::<Vec<_>>(),
            ["dashboard[1]", "dashboard[2]"]
        );
        assert!(DEFAULT_DASHBOARD.iter().all(|w| WIDGETS.contains(w)));
        // A new account sees every widget.
        assert_eq!(DEFAULT_DASHBOARD.len(), WIDGETS.len());
    }
}
