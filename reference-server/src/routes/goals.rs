//! Goals with their progress, and badges.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use chrono::Utc;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::auth::AuthUser;
use crate::error::{AppError, AppResult};
use crate::routes::ApiJson;
use crate::services::portfolio::sdk_goals;
use crate::state::AppState;
use crate::store::{GoalInput, GoalRecord};

/// Most goals per user.
pub const MAX_GOALS: usize = 50;

/// A goal as sent.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GoalBody {
    /// What the money is for.
    pub name: String,
    /// Amount to reach (decimal string).
    pub target: String,
    /// Deadline (`YYYY-MM-DD`); none for a target value without one.
    #[serde(default)]
    pub by: Option<String>,
    /// Money added each month (decimal string).
    #[serde(default)]
    pub monthly_contribution: Option<String>,
    /// Expected annual return as a fraction (e.g. 0.04).
    #[serde(default)]
    pub expected_return: Option<f64>,
}

/// A goal with its progress.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct GoalView {
    /// Id.
    pub id: Uuid,
    /// Name.
    pub name: String,
    /// Target (decimal string).
    pub target: String,
    /// Deadline.
    pub by: Option<String>,
    /// Monthly contribution (decimal string).
    pub monthly_contribution: Option<String>,
    /// Expected annual return.
    pub expected_return: Option<f64>,
    /// Progress against the value of all the user's portfolios, when they
    /// could be valued.
    pub progress: Option<auravest_bias::GoalProgress>,
}

/// Reads the body with the SDK ([`auravest_bias::Goal::parse`]) and checks
/// it with its goal rules ([`auravest_bias::Goal::validate`]), the one place
/// they live; a refusal is a 422 naming the field.
fn validate(body: &GoalBody) -> AppResult<GoalInput> {
    let text = auravest_bias::GoalText {
        name: &body.name,
        target: &body.target,
        by: body.by.as_deref(),
        monthly_contribution: body.monthly_contribution.as_deref(),
        expected_return: body.expected_return,
    };
    let goal = auravest_bias::Goal::parse(1, text)
        .and_then(|goal| goal.validate(1, Utc::now().date_naive()).map(|()| goal))
        .map_err(|e| AppError::field(e.field().unwrap_or("goal"), e.reason()))?;
    Ok(GoalInput {
        target: goal.target.normalize().to_string(),
        by: goal.by,
        monthly_contribution: body
            .monthly_contribution
            .as_ref()
            .map(|_| goal.monthly_contribution.normalize().to_string()),
        expected_return: goal.expected_return,
        name: goal.name,
    })
}

/// The value of all the user's portfolios in their base currencies (only
/// portfolios that can be valued count), for goal progress.
async fn total_value(state: &AppState, user: Uuid) -> Option<Decimal> {
    let mut total = Decimal::ZERO;
    for p in state.store.portfolios(user).await.ok()? {
        let loaded = crate::services::portfolio::load(state, user, p.id)
            .await
            .ok()?;
        if loaded.ledger.rows.is_empty() {
            continue;
        }
        let v = crate::services::portfolio::valuation_of(state, &loaded)
            .await
            .ok()?;
        total += auravest_core::parse_decimal("value", &v.value).ok()?;
    }
    Some(total)
}

async fn views(state: &AppState, user: Uuid, records: Vec<GoalRecord>) -> AppResult<Vec<GoalView>> {
    let goals = sdk_goals(&records)?;
    let progress: Vec<Option<auravest_bias::GoalProgress>> = match total_value(state, user).await {
        Some(value) => auravest_bias::evaluate_goals(
            &goals,
            value,
            Utc::now().date_naive(),
            &auravest_bias::config::GoalsConfig::default(),
        )
        .map(|ps| ps.into_iter().map(Some).collect())
        .unwrap_or_else(|_| vec![None; goals.len()]),
        None => vec![None; goals.len()],
    };
    Ok(records
        .into_iter()
        .zip(progress)
        .map(|(g, progress)| GoalView {
            id: g.id,
            name: g.name,
            target: g.target,
            by: g.by.map(|d| d.to_string()),
            monthly_contribution: g.monthly_contribution,
            expected_return: g.expected_return,
            progress,
        })
        .collect())
}

/// The user's goals with progress.
#[utoipa::path(get, path = "/api/v1/goals", tag = "goals",
    responses((status = 200, body = [GoalView])), security(("bearer" = [])))]
pub async fn list(State(state): State<AppState>, user: AuthUser) -> AppResult<Json<Vec<GoalView>>> {
    let records = state.store.goals(user.id).await?;
    Ok(Json(views(&state, user.id, records).await?))
}

/// Creates a goal.
#[utoipa::path(post, path = "/api/v1/goals", tag = "goals", request_body = GoalBody,
    responses((status = 201, body = GoalView), (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn create(
    State(state): State<AppState>,
    user: AuthUser,
    ApiJson(body): ApiJson<GoalBody>,
) -> AppResult<(StatusCode, Json<GoalView>)> {
    let input = validate(&body)?;
    let record = GoalRecord {
        id: Uuid::new_v4(),
        user_id: user.id,
        name: input.name,
        target: input.target,
        by: input.by,
        monthly_contribution: input.monthly_contribution,
        expected_return: input.expected_return,
        created_at: Utc::now(),
    };
    // Counted and stored in one atomic step: parallel creations cannot
    // pass the limit.
    if !state.store.create_goal_capped(&record, MAX_GOALS).await? {
        return Err(AppError::Conflict(format!("at most {MAX_GOALS} goals")));
    }
    let mut v = views(&state, user.id, vec![record]).await?;
    let view = v
        .pop()
        .ok_or_else(|| AppError::Internal("no goal view".to_owned()))?;
    Ok((StatusCode::CREATED, Json(view)))
}

/// One goal.
#[utoipa::path(get, path = "/api/v1/goals/{id}", tag = "goals",
    responses((status = 200, body = GoalView), (status = 404, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn get_one(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<Uuid>,
) -> AppResult<Json<GoalView>> {
    let g = state
        .store
        .goal(user.id, id)
        .await?
        .ok_or_else(|| AppError::not_found("goal"))?;
    let mut v = views(&state, user.id, vec![g]).await?;
    v.pop().map(Json).ok_or_else(|| AppError::not_found("goal"))
}

/// Replaces a goal.
#[utoipa::path(put, path = "/api/v1/goals/{id}", tag = "goals", request_body = GoalBody,
    responses((status = 200, body = GoalView), (status = 404, body = crate::error::ErrorBody),
        (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn update(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<Uuid>,
    ApiJson(body): ApiJson<GoalBody>,
) -> AppResult<Json<GoalView>> {
    let input = validate(&body)?;
    let g = state
        .store
        .update_goal(user.id, id, &input)
        .await?
        .ok_or_else(|| AppError::not_found("goal"))?;
    let mut v = views(&state, user.id, vec![g]).await?;
    v.pop().map(Json).ok_or_else(|| AppError::not_found("goal"))
}

/// Deletes a goal.
#[utoipa::path(delete, path = "/api/v1/goals/{id}", tag = "goals",
    responses((status = 204), (status = 404, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn delete(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<Uuid>,
) -> AppResult<StatusCode> {
    if state.store.delete_goal(user.id, id).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(AppError::not_found("goal"))
    }
}

/// Every badge, earned or not, from the user's portfolios, goals and risk profile.
#[utoipa::path(get, path = "/api/v1/badges", tag = "goals",
    responses((status = 200, body = Vec<auravest_bias::Badge>)),
    security(("bearer" = [])))]
pub async fn badges(
    State(state): State<AppState>,
    user: AuthUser,
) -> AppResult<Json<Vec<auravest_bias::Badge>>> {
    let profile = crate::services::portfolio::risk_profile_of(&state, user.id).await?;
    let mut ledgers = Vec::new();
    for p in state.store.portfolios(user.id).await? {
        // A portfolio deleted meanwhile, or one whose ledger needs repair,
        // earns nothing until it is repaired.
        match crate::services::portfolio::load(&state, user.id, p.id).await {
            Ok(l) => ledgers.push(l),
            Err(AppError::NotFound(_) | AppError::Conflict(_)) => {}
            Err(e) => return Err(e),
        }
    }
    let first = ledgers
        .iter()
        .filter_map(|l| {
            l.ledger
                .portfolio
                .transactions()
                .iter()
                .map(|t| t.date)
                .min()
        })
        .min();
    let checklist =
        crate::services::portfolio::checklist_for(&state, user.id, profile.as_ref(), first).await?;
    let posted = crate::services::community::has_posted(&state, user.id).await?;
    let mut badges = auravest_bias::award_badges(&auravest_bias::BadgeFacts {
        risk_profile: profile.is_some(),
        checklist_finished: !checklist.is_empty() && checklist.iter().all(|i| i.done),
        // Whether there is one is all the badge asks.
        community_posts: u32::from(posted),
        ..auravest_bias::BadgeFacts::default()
    });
    // A badge earned in any portfolio is earned.
    for loaded in ledgers.iter().filter(|l| !l.ledger.rows.is_empty()) {
        if let Ok((analysis, _)) =
            crate::services::portfolio::analysis_of(&state, user.id, loaded).await
        {
            for (mine, theirs) in badges.iter_mut().zip(&analysis.badges) {
                mine.earned |= theirs.id == mine.id && theirs.earned;
            }
        }
    }
    Ok(Json(badges))
}

/// `/goals`, `/badges`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/goals", get(list).post(create))
        .route("/goals/{id}", get(get_one).put(update).delete(delete))
        .route("/badges", get(badges))
}
