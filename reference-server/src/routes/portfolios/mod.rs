//! Portfolios, their transactions and what the SDK computes from them:
//! valuation, performance, insights (nudges, the recommended allocation,
//! a rebalancing suggestion) and a manual price refresh. The handlers
//! convert; `crate::services::portfolio` loads and computes.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post, put};
use axum::{Json, Router};
use chrono::Utc;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::auth::AuthUser;
use crate::error::{AppError, AppResult};
use crate::routes::ApiJson;
use crate::state::AppState;
use crate::store::PortfolioRecord;

#[allow(clippy::wildcard_imports)]
use crate::services::portfolio::*;

mod reports;
mod transactions;
pub use reports::*;
pub use transactions::*;

/// A new portfolio.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPortfolio {
    /// Name, unique among the user's portfolios.
    pub name: String,
    /// Base currency (ISO 4217); default USD.
    #[serde(default)]
    pub currency: Option<String>,
}

/// A rename.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PortfolioPatch {
    /// New name.
    pub name: String,
}

/// A portfolio.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PortfolioView {
    /// Id.
    pub id: Uuid,
    /// Name.
    pub name: String,
    /// Base currency.
    pub currency: String,
    /// Created (RFC 3339).
    pub created_at: String,
}

impl From<PortfolioRecord> for PortfolioView {
    fn from(p: PortfolioRecord) -> Self {
        Self {
            id: p.id,
            name: p.name,
            currency: p.currency,
            created_at: p.created_at.to_rfc3339(),
        }
    }
}

/// The import's answer.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ImportResult {
    /// Rows stored.
    pub imported: usize,
    /// Rows refused, with the line (1 is the header) and field.
    pub errors: Vec<ImportError>,
}

/// One refused row.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ImportError {
    /// Line in the file (the header is line 1).
    pub line: usize,
    /// Column.
    pub field: String,
    /// Why.
    pub reason: String,
}

/// `?skip_invalid=`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct ImportParams {
    /// Store the good rows and list the bad ones (default false: all or nothing).
    #[serde(default)]
    pub skip_invalid: bool,
}

/// `?range=`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct RangeParams {
    /// `1m`, `3m`, `6m`, `ytd`, `1y`, `3y`, `5y` or `max` (default `1y`):
    /// [`auravest_core::Range`].
    pub range: Option<String>,
}

// --- portfolios -------------------------------------------------------------

/// The user's portfolios.
#[utoipa::path(get, path = "/api/v1/portfolios", tag = "portfolios",
    responses((status = 200, body = [PortfolioView])), security(("bearer" = [])))]
pub async fn list(
    State(state): State<AppState>,
    user: AuthUser,
) -> AppResult<Json<Vec<PortfolioView>>> {
    let list = state.store.portfolios(user.id).await?;
    Ok(Json(list.into_iter().map(Into::into).collect()))
}

fn check_name(name: &str) -> AppResult<String> {
    let name = name.trim();
    if name.is_empty() {
        return Err(AppError::field("name", "is empty"));
    }
    let n = name.chars().count();
    if n > MAX_NAME_CHARS {
        return Err(AppError::field(
            "name",
            format!("is {n} characters; at most {MAX_NAME_CHARS}"),
        ));
    }
    if name.chars().any(char::is_control) {
        return Err(AppError::field("name", "contains control characters"));
    }
    Ok(name.to_owned())
}

/// Creates a portfolio.
#[utoipa::path(post, path = "/api/v1/portfolios", tag = "portfolios", request_body = NewPortfolio,
    responses((status = 201, body = PortfolioView), (status = 409, body = crate::error::ErrorBody),
        (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn create(
    State(state): State<AppState>,
    user: AuthUser,
    ApiJson(body): ApiJson<NewPortfolio>,
) -> AppResult<(StatusCode, Json<PortfolioView>)> {
    let name = check_name(&body.name)?;
    let code = body.currency.as_deref().unwrap_or("USD");
    let currency = currency(code, "currency")?;
    let record = PortfolioRecord {
        id: Uuid::new_v4(),
        user_id: user.id,
        name,
        currency: currency.to_string(),
        created_at: Utc::now(),
        version: 0,
    };
    if !state
        .store
        .create_portfolio_capped(&record, MAX_PORTFOLIOS)
        .await?
    {
        return Err(AppError::Conflict(format!(
            "at most {MAX_PORTFOLIOS} portfolios per account"
        )));
    }
    Ok((StatusCode::CREATED, Json(record.into())))
}

/// One portfolio.
#[utoipa::path(get, path = "/api/v1/portfolios/{id}", tag = "portfolios",
    responses((status = 200, body = PortfolioView), (status = 404, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn get_one(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<Uuid>,
) -> AppResult<Json<PortfolioView>> {
    let p = state
        .store
        .portfolio(user.id, id)
        .await?
        .ok_or_else(|| AppError::not_found("portfolio"))?;
    Ok(Json(p.into()))
}

/// Renames a portfolio.
#[utoipa::path(patch, path = "/api/v1/portfolios/{id}", tag = "portfolios", request_body = PortfolioPatch,
    responses((status = 200, body = PortfolioView), (status = 404, body = crate::error::ErrorBody),
        (status = 409, body = crate::error::ErrorBody, description = "another of the caller's portfolios has this name")),
    security(("bearer" = [])))]
pub async fn rename(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<Uuid>,
    ApiJson(body): ApiJson<PortfolioPatch>,
) -> AppResult<Json<PortfolioView>> {
    let name = check_name(&body.name)?;
    let p = state
        .store
        .rename_portfolio(user.id, id, &name)
        .await?
        .ok_or_else(|| AppError::not_found("portfolio"))?;
    Ok(Json(p.into()))
}

/// Deletes a portfolio and its transactions.
#[utoipa::path(delete, path = "/api/v1/portfolios/{id}", tag = "portfolios",
    responses((status = 204), (status = 404, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn delete(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<Uuid>,
) -> AppResult<StatusCode> {
    if state.store.delete_portfolio(user.id, id).await? {
        state.ledgers.forget(id);
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(AppError::not_found("portfolio"))
    }
}

/// `/portfolios/...`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/portfolios", get(list).post(create))
        .route(
            "/portfolios/{id}",
            get(get_one).patch(rename).delete(delete),
        )
        .route("/portfolios/{id}/transactions.csv", get(transactions_csv))
        .route(
            "/portfolios/{id}/transactions",
            get(transactions).post(add_transaction),
        )
        .route("/portfolios/{id}/transactions/import", post(import))
        .route(
            "/portfolios/{id}/transactions/{tx}",
            put(edit_transaction).delete(delete_transaction),
        )
        .route("/dashboard", get(dashboard))
        .route("/portfolios/{id}/valuation", get(valuation))
        .route("/portfolios/{id}/performance", get(performance))
        .route("/portfolios/{id}/insights", get(insights))
        .route("/portfolios/{id}/prices.csv", get(prices_csv))
        .route("/portfolios/{id}/refresh", post(refresh))
        .route("/portfolios/{id}/prices", get(own_prices))
        .route(
            "/portfolios/{id}/prices/{symbol}",
            put(put_own_price).delete(delete_own_price),
        )
}
