//! Transactions: list, CSV export, add, edit, delete, import.

#[allow(clippy::wildcard_imports)]
use super::*;
use std::collections::{BTreeMap, BTreeSet};

use std::sync::Arc;

use auravest_core::{Currency, Portfolio, RowError, Transaction, TransactionRecord};
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use chrono::Utc;
use serde::Deserialize;
use serde_json::Value;
use uuid::Uuid;

use crate::auth::AuthUser;
use crate::error::{AppError, AppResult};
use crate::ledger::{self, Broken, Built, Ledger, MAX_LEDGER_ROWS};
use crate::routes::ApiJson;
use crate::state::AppState;
use crate::store::{LedgerClaim, LedgerLock, TransactionRow, sort_rows};

// --- transactions -------------------------------------------------------------

/// A transaction as sent: the CSV row's fields (numbers may be strings or JSON numbers).
pub type TransactionInput = TransactionRecord;

/// Most transactions one page of `GET …/transactions` holds.
pub const MAX_PAGE: usize = 1_000;

/// `?limit=&offset=`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct PageParams {
    /// Rows to return (1 to 1,000; default 1,000).
    pub limit: Option<usize>,
    /// Rows to skip (default 0).
    pub offset: Option<usize>,
}

/// The portfolio's transactions by date, a page at a time: `X-Total-Count`
/// gives how many there are and `Link` (`rel="next"`) the next page. A
/// portfolio whose ledger needs repair lists its rows too.
#[utoipa::path(get, path = "/api/v1/portfolios/{id}/transactions", tag = "transactions",
    params(PageParams),
    responses((status = 200, body = [TransactionView],
            headers(("x-total-count" = u64, description = "Transactions in the portfolio"),
                ("link" = String, description = "The next page, `rel=\"next\"`, when there is one"))),
        (status = 404, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn transactions(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<Uuid>,
    Query(page): Query<PageParams>,
) -> AppResult<(HeaderMap, Json<Vec<TransactionView>>)> {
    let limit = page.limit.unwrap_or(MAX_PAGE);
    if !(1..=MAX_PAGE).contains(&limit) {
        return Err(AppError::field(
            "limit",
            format!("must be 1 to {MAX_PAGE}, got {limit}"),
        ));
    }
    let offset = page.offset.unwrap_or(0);
    let record = record_of(&state, user.id, id).await?;
    let built = built(&state, &record).await?;
    let rows = match &built {
        Ok(l) => &l.rows,
        Err(b) => &b.rows,
    };
    let total = rows.len();
    let mut headers = HeaderMap::new();
    headers.insert("x-total-count", total.into());
    let end = offset.saturating_add(limit).min(total);
    if end < total
        && let Ok(link) = header::HeaderValue::from_str(&format!(
            "</api/v1/portfolios/{id}/transactions?limit={limit}&offset={end}>; rel=\"next\""
        ))
    {
        headers.insert(header::LINK, link);
    }
    let page = rows
        .get(offset.min(total)..end)
        .unwrap_or_default()
        .iter()
        .cloned()
        .map(Into::into)
        .collect();
    Ok((headers, Json(page)))
}

/// Most transactions one page of `GET …/transactions.csv` holds.
pub const MAX_CSV_PAGE: usize = 10_000;

/// The portfolio's transactions as CSV (`date,type,symbol,quantity,price,fee,currency`,
/// ready to import), a page at a time like the JSON list (up to 10,000 rows;
/// `X-Total-Count`, `Link: rel="next"`). The export links here for
/// portfolios too large to carry whole.
#[utoipa::path(get, path = "/api/v1/portfolios/{id}/transactions.csv", tag = "transactions",
    params(PageParams),
    responses((status = 200, content_type = "text/csv", body = String,
            headers(("x-total-count" = u64, description = "Transactions in the portfolio"),
                ("link" = String, description = "The next page, `rel=\"next\"`, when there is one"))),
        (status = 404, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn transactions_csv(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<Uuid>,
    Query(page): Query<PageParams>,
) -> AppResult<(HeaderMap, String)> {
    let limit = page.limit.unwrap_or(MAX_CSV_PAGE);
    if !(1..=MAX_CSV_PAGE).contains(&limit) {
        return Err(AppError::field(
            "limit",
            format!("must be 1 to {MAX_CSV_PAGE}, got {limit}"),
        ));
    }
    let offset = page.offset.unwrap_or(0);
    let record = record_of(&state, user.id, id).await?;
    let built = built(&state, &record).await?;
    let rows = match &built {
        Ok(l) => &l.rows,
        Err(b) => &b.rows,
    };
    let total = rows.len();
    let end = offset.saturating_add(limit).min(total);
    // The rows as stored, so a ledger in need of repair exports whole.
    let page: Vec<TransactionRecord> = rows
        .get(offset.min(total)..end)
        .unwrap_or_default()
        .iter()
        .map(|r| r.record.clone())
        .collect();
    let mut csv = Vec::new();
    auravest_core::io::write_records_csv(&mut csv, &page).map_err(AppError::internal)?;
    let mut headers = HeaderMap::new();
    headers.insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    headers.insert("x-total-count", total.into());
    if end < total
        && let Ok(link) = header::HeaderValue::from_str(&format!(
            "</api/v1/portfolios/{id}/transactions.csv?limit={limit}&offset={end}>; rel=\"next\""
        ))
    {
        headers.insert(header::LINK, link);
    }
    Ok((headers, String::from_utf8(csv).map_err(AppError::internal)?))
}

fn row_fields(errors: &[RowError], prefix: &str) -> AppError {
    let fields = errors
        .iter()
        .map(|e| (format!("{prefix}{}", e.field), e.reason.clone()))
        .collect();
    AppError::fields(fields)
}

fn parse_record(body: Value) -> AppResult<TransactionRecord> {
    if !body.is_object() {
        return Err(AppError::field("$", "expected a JSON object"));
    }
    if let Some(obj) = body.as_object() {
        for k in obj.keys() {
            if !auravest_core::io::TRANSACTION_COLUMNS.contains(&k.as_str()) {
                return Err(AppError::field(
                    k.clone(),
                    format!(
                        "unknown field; expected {}",
                        auravest_core::io::TRANSACTION_COLUMNS.join(", ")
                    ),
                ));
            }
        }
    }
    serde_json::from_value(body).map_err(|e| {
        let msg = e.to_string();
        let field = msg
            .split('`')
            .nth(1)
            .filter(|_| msg.starts_with("missing field"))
            .unwrap_or("$")
            .to_owned();
        AppError::field(field, msg)
    })
}

/// Checks a record on its own and returns it as the SDK writes it
/// (normalised: `2017-1-5` is stored as `2017-01-05`, symbols upper-cased).
fn normalised(record: &TransactionRecord) -> AppResult<(TransactionRecord, Transaction)> {
    match Transaction::try_from(record) {
        Ok(tx) => Ok((TransactionRecord::from(&tx), tx)),
        Err(errors) => Err(AppError::fields(
            errors
                .iter()
                .map(|e| (e.field().unwrap_or("$").to_owned(), e.to_string()))
                .collect(),
        )),
    }
}

/// Refuses a ledger that would hold more than [`MAX_LEDGER_ROWS`] rows.
fn check_size(rows: usize) -> AppResult<()> {
    if rows > MAX_LEDGER_ROWS {
        return Err(AppError::field(
            "transactions",
            format!("the portfolio would hold {rows} transactions; at most {MAX_LEDGER_ROWS}"),
        ));
    }
    Ok(())
}

/// How many times a change is checked again when another replica changed
/// the portfolio between the check and the write.
const CHANGE_ATTEMPTS: usize = 3;

/// The answer when every attempt found the portfolio changed.
fn changed_meanwhile() -> AppError {
    AppError::Conflict(
        "the portfolio changed while this change was being checked; try again".to_owned(),
    )
}

/// The stored rows of a built ledger, valid or not.
fn rows_of(built: &Built) -> &[TransactionRow] {
    match built {
        Ok(l) => &l.rows,
        Err(b) => &b.rows,
    }
}

/// Takes the portfolio's lock for a write, if it is still at `version`:
/// `None` when it changed meanwhile (check again).
async fn claim(
    state: &AppState,
    user: Uuid,
    id: Uuid,
    version: i64,
) -> AppResult<Option<Box<dyn LedgerLock>>> {
    match state.store.lock_ledger(user, id, version).await? {
        LedgerClaim::Locked(lock) => Ok(Some(lock)),
        LedgerClaim::Changed => Ok(None),
        LedgerClaim::Missing => Err(AppError::not_found("portfolio")),
    }
}

/// Commits a locked change and keeps the ledger it made.
async fn commit(
    state: &AppState,
    lock: Box<dyn LedgerLock>,
    mut rows: Vec<TransactionRow>,
    portfolio: Result<Portfolio, Vec<RowError>>,
) -> AppResult<()> {
    let (id, version) = (lock.portfolio().id, lock.portfolio().version);
    lock.commit().await?;
    sort_rows(&mut rows);
    let built = match portfolio {
        Ok(portfolio) => Ok(Arc::new(Ledger { rows, portfolio })),
        Err(errors) => Err(Arc::new(Broken { rows, errors })),
    };
    state.ledgers.put(id, version, built);
    Ok(())
}

/// Adds a transaction; the whole ledger is checked (e.g. no selling shares
/// not held) and nothing is stored when it fails. Changes to one portfolio
/// are checked and written one after the other: in this process in turn,
/// across replicas through the portfolio's version, so a change is only
/// ever written over the rows it was checked against.
#[utoipa::path(post, path = "/api/v1/portfolios/{id}/transactions", tag = "transactions",
    request_body(content = Object, description = "`{date, type, symbol?, quantity?, price?, fee?, currency}`"),
    responses((status = 201, body = TransactionView), (status = 422, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn add_transaction(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<Uuid>,
    ApiJson(body): ApiJson<Value>,
) -> AppResult<(StatusCode, Json<TransactionView>)> {
    let (record, tx) = normalised(&parse_record(body)?)?;
    let _in_turn = state.ledger_locks.lock(&id).await;
    for _ in 0..CHANGE_ATTEMPTS {
        let p = record_of(&state, user.id, id).await?;
        let base = built(&state, &p).await?.map_err(|b| b.conflict())?;
        check_size(base.rows.len() + 1)?;
        let (from, tx) = (Arc::clone(&base), tx.clone());
        let today = Utc::now().date_naive();
        let candidate = ledger::blocking(move || {
            let mut p = from.portfolio.clone().with_today(today);
            p.import([(0, Ok(tx))], false).map(|_| p)
        })
        .await?;
        let portfolio = match candidate {
            Ok(p) => p,
            Err(auravest_core::Error::Import { errors }) => return Err(row_fields(&errors, "")),
            Err(e) => return Err(AppError::field("$", e.to_string())),
        };
        let Some(mut lock) = claim(&state, user.id, id, p.version).await? else {
            continue;
        };
        let stored = lock.insert(std::slice::from_ref(&record)).await?;
        let row = stored
            .first()
            .cloned()
            .ok_or_else(|| AppError::Internal("insert returned no row".to_owned()))?;
        let mut rows = base.rows.clone();
        rows.extend(stored);
        commit(&state, lock, rows, Ok(portfolio)).await?;
        return Ok((StatusCode::CREATED, Json(row.into())));
    }
    Err(changed_meanwhile())
}

/// Rows as they would be after replacing or deleting one, checked: `Ok` when
/// the change is allowed. A valid ledger must stay valid; a ledger that
/// needs repair may change as long as it has no more bad rows than before.
async fn changed(
    base: &Built,
    currency: Currency,
    rows: Vec<TransactionRow>,
) -> AppResult<(Vec<TransactionRow>, Result<Portfolio, Vec<RowError>>, bool)> {
    let bad_before = match base {
        Ok(_) => 0,
        Err(b) => b.errors.len(),
    };
    let (rows, result) = ledger::blocking(move || {
        let mut rows = rows;
        sort_rows(&mut rows);
        let result = ledger::check(currency, rows.iter().map(|r| &r.record));
        (rows, result)
    })
    .await?;
    let allowed = match &result {
        Ok(_) => true,
        Err(errors) => bad_before > 0 && errors.len() <= bad_before,
    };
    Ok((rows, result, allowed))
}

/// Replaces a transaction (checked against the whole ledger). On a
/// portfolio whose ledger needs repair, any edit that does not add bad rows
/// is accepted.
#[utoipa::path(put, path = "/api/v1/portfolios/{id}/transactions/{tx}", tag = "transactions",
    request_body(content = Object, description = "`{date, type, symbol?, quantity?, price?, fee?, currency}`"),
    responses((status = 200, body = TransactionView), (status = 422, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn edit_transaction(
    State(state): State<AppState>,
    user: AuthUser,
    Path((id, tx)): Path<(Uuid, Uuid)>,
    ApiJson(body): ApiJson<Value>,
) -> AppResult<Json<TransactionView>> {
    let (record, _) = normalised(&parse_record(body)?)?;
    let _in_turn = state.ledger_locks.lock(&id).await;
    for _ in 0..CHANGE_ATTEMPTS {
        let p = record_of(&state, user.id, id).await?;
        let built = built(&state, &p).await?;
        let mut rows = rows_of(&built).to_vec();
        let Some(row) = rows.iter_mut().find(|r| r.id == tx) else {
            return Err(AppError::not_found("transaction"));
        };
        row.record = record.clone();
        let (rows, result, allowed) = changed(&built, base_of(&p)?, rows).await?;
        if !allowed {
            let errors = result.err().unwrap_or_default();
            return Err(row_fields(&errors, ""));
        }
        let Some(mut lock) = claim(&state, user.id, id, p.version).await? else {
            continue;
        };
        let row = lock
            .update(tx, &record)
            .await?
            .ok_or_else(|| AppError::not_found("transaction"))?;
        commit(&state, lock, rows, result).await?;
        return Ok(Json(row.into()));
    }
    Err(changed_meanwhile())
}

/// Deletes a transaction, unless the rest would no longer be valid (e.g.
/// deleting a buy that a later sale needs). On a portfolio whose ledger
/// needs repair, any deletion that does not add bad rows is accepted.
#[utoipa::path(delete, path = "/api/v1/portfolios/{id}/transactions/{tx}", tag = "transactions",
    responses((status = 204), (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn delete_transaction(
    State(state): State<AppState>,
    user: AuthUser,
    Path((id, tx)): Path<(Uuid, Uuid)>,
) -> AppResult<StatusCode> {
    let _in_turn = state.ledger_locks.lock(&id).await;
    for _ in 0..CHANGE_ATTEMPTS {
        let p = record_of(&state, user.id, id).await?;
        let built = built(&state, &p).await?;
        if !rows_of(&built).iter().any(|r| r.id == tx) {
            return Err(AppError::not_found("transaction"));
        }
        let rest: Vec<TransactionRow> = rows_of(&built)
            .iter()
            .filter(|r| r.id != tx)
            .cloned()
            .collect();
        let (rows, result, allowed) = changed(&built, base_of(&p)?, rest).await?;
        if !allowed {
            let errors = result.err().unwrap_or_default();
            return Err(AppError::Conflict(format!(
                "deleting it would leave the ledger invalid: {}",
                errors.first().map(ToString::to_string).unwrap_or_default()
            )));
        }
        let Some(mut lock) = claim(&state, user.id, id, p.version).await? else {
            continue;
        };
        if !lock.delete(tx).await? {
            return Err(AppError::not_found("transaction"));
        }
        commit(&state, lock, rows, result).await?;
        return Ok(StatusCode::NO_CONTENT);
    }
    Err(changed_meanwhile())
}

/// Imports a transactions CSV (`date,type,symbol,quantity,price,fee,currency`),
/// at most [`MAX_IMPORT_ROWS`] rows, into a portfolio that then holds at
/// most [`MAX_LEDGER_ROWS`]. Without `skip_invalid`, one bad row refuses
/// the whole file (422 with every bad row); with it, the good rows are
/// stored and the bad ones listed.
#[utoipa::path(post, path = "/api/v1/portfolios/{id}/transactions/import", tag = "transactions",
    params(ImportParams),
    request_body(content = String, content_type = "text/csv"),
    responses((status = 200, body = ImportResult), (status = 422, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn import(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<Uuid>,
    Query(params): Query<ImportParams>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> AppResult<Json<ImportResult>> {
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !ct.starts_with("text/csv") {
        return Err(AppError::field("content-type", "must be text/csv"));
    }
    // Parsing is CPU work too: off the async workers.
    let parsed = ledger::blocking(move || auravest_core::io::read_transactions_csv(&body[..]))
        .await?
        .map_err(|e| AppError::field("csv", e.to_string()))?;
    if parsed.len() > MAX_IMPORT_ROWS {
        return Err(AppError::field(
            "csv",
            format!(
                "{} rows; at most {MAX_IMPORT_ROWS} per import",
                parsed.len()
            ),
        ));
    }
    // Records to store, in file order, keyed by their line.
    let mut lines: BTreeMap<usize, TransactionRecord> = BTreeMap::new();
    for (line, r) in &parsed {
        if let Ok(tx) = r {
            lines.insert(*line, TransactionRecord::from(tx));
        }
    }
    let parsed = Arc::new(parsed);
    let _in_turn = state.ledger_locks.lock(&id).await;
    for _ in 0..CHANGE_ATTEMPTS {
        let p = record_of(&state, user.id, id).await?;
        let base = built(&state, &p).await?.map_err(|b| b.conflict())?;
        let (from, rows) = (Arc::clone(&base), Arc::clone(&parsed));
        let skip = params.skip_invalid;
        let today = Utc::now().date_naive();
        let outcome = ledger::blocking(move || {
            let mut work = from.portfolio.clone().with_today(today);
            work.import(rows.iter().cloned(), skip)
                .map(|report| (work, report))
        })
        .await?;
        let (portfolio, report) = match outcome {
            Ok(r) => r,
            Err(auravest_core::Error::Import { errors }) => {
                let fields = errors
                    .iter()
                    .map(|e| (format!("line {}.{}", e.line, e.field), e.reason.clone()))
                    .collect();
                return Err(AppError::fields(fields));
            }
            Err(e) => return Err(AppError::field("csv", e.to_string())),
        };
        let refused: BTreeSet<usize> = report.skipped.iter().map(|e| e.line).collect();
        let good: Vec<TransactionRecord> = lines
            .iter()
            .filter(|(line, _)| !refused.contains(line))
            .map(|(_, r)| r.clone())
            .collect();
        check_size(base.rows.len() + good.len())?;
        let Some(mut lock) = claim(&state, user.id, id, p.version).await? else {
            continue;
        };
        let stored = lock.insert(&good).await?;
        let mut all = base.rows.clone();
        all.extend(stored);
        commit(&state, lock, all, Ok(portfolio)).await?;
        return Ok(Json(ImportResult {
            imported: good.len(),
            errors: report
                .skipped
                .into_iter()
                .map(|e| ImportError {
                    line: e.line,
                    field: e.field,
                    reason: e.reason,
                })
                .collect(),
        }));
    }
    Err(changed_meanwhile())
}
