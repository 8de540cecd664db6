//! Watchlists and price alert rules: capped additions, the refresher's
//! read of the rules on refreshed symbols, and the one conditional update
//! that lets a rule fire once.

use chrono::{DateTime, Utc};
use sqlx::Row as _;
use uuid::Uuid;

use super::users::lock_user;
use super::{DbRow, Pool};
use crate::store::sql::{micros, placeholders};
use crate::store::{AlertRow, StoreResult, WatchRow};

const ALERT_COLUMNS: &str = "id, user_id, symbol, condition, armed, created_at, fired_at";

fn alert_row(row: &DbRow) -> StoreResult<AlertRow> {
    Ok(AlertRow {
        id: row.try_get("id")?,
        user_id: row.try_get("user_id")?,
        symbol: row.try_get("symbol")?,
        condition: row.try_get("condition")?,
        armed: row.try_get("armed")?,
        created_at: row.try_get("created_at")?,
        fired_at: row.try_get("fired_at")?,
    })
}

pub(super) async fn watchlist(pool: &Pool, user_id: Uuid) -> StoreResult<Vec<WatchRow>> {
    let rows =
        sqlx::query("SELECT symbol, added_at FROM watchlist WHERE user_id = $1 ORDER BY symbol")
            .bind(user_id)
            .fetch_all(pool)
            .await?;
    rows.iter()
        .map(|r| {
            Ok(WatchRow {
                symbol: r.try_get("symbol")?,
                added_at: r.try_get("added_at")?,
            })
        })
        .collect()
}

pub(super) async fn watch_capped(
    pool: &Pool,
    user_id: Uuid,
    row: &WatchRow,
    max: usize,
) -> StoreResult<bool> {
    let mut tx = pool.begin().await?;
    if !lock_user(&mut tx, user_id).await? {
        return Ok(false);
    }
    let there: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM watchlist WHERE user_id = $1 AND symbol = $2")
            .bind(user_id)
            .bind(&row.symbol)
            .fetch_one(&mut *tx)
            .await?;
    if there > 0 {
        return Ok(true);
    }
    let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM watchlist WHERE user_id = $1")
        .bind(user_id)
        .fetch_one(&mut *tx)
        .await?;
    if usize::try_from(count).unwrap_or(usize::MAX) >= max {
        return Ok(false);
    }
    sqlx::query("INSERT INTO watchlist (user_id, symbol, added_at) VALUES ($1, $2, $3)")
        .bind(user_id)
        .bind(&row.symbol)
        .bind(micros(row.added_at))
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(true)
}

pub(super) async fn unwatch(pool: &Pool, user_id: Uuid, symbol: &str) -> StoreResult<bool> {
    let done = sqlx::query("DELETE FROM watchlist WHERE user_id = $1 AND symbol = $2")
        .bind(user_id)
        .bind(symbol)
        .execute(pool)
        .await?;
    Ok(done.rows_affected() > 0)
}

pub(super) async fn alerts(pool: &Pool, user_id: Uuid) -> StoreResult<Vec<AlertRow>> {
    let sql = format!(
        "SELECT {ALERT_COLUMNS} FROM alert_rules WHERE user_id = $1 ORDER BY created_at, id"
    );
    let rows = sqlx::query(&sql).bind(user_id).fetch_all(pool).await?;
    rows.iter().map(alert_row).collect()
}

pub(super) async fn create_alert_capped(
    pool: &Pool,
    row: &AlertRow,
    max: usize,
) -> StoreResult<bool> {
    let mut tx = pool.begin().await?;
    let count = "SELECT COUNT(*) FROM alert_rules WHERE user_id = $1";
    if !super::users::lock_user_under_cap(&mut tx, row.user_id, count, max).await? {
        return Ok(false);
    }
    sqlx::query(
        "INSERT INTO alert_rules (id, user_id, symbol, condition, armed, created_at, fired_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(row.id)
    .bind(row.user_id)
    .bind(&row.symbol)
    .bind(&row.condition)
    .bind(row.armed)
    .bind(micros(row.created_at))
    .bind(row.fired_at.map(micros))
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(true)
}

pub(super) async fn delete_alert(pool: &Pool, user_id: Uuid, id: Uuid) -> StoreResult<bool> {
    let done = sqlx::query("DELETE FROM alert_rules WHERE id = $1 AND user_id = $2")
        .bind(id)
        .bind(user_id)
        .execute(pool)
        .await?;
    Ok(done.rows_affected() > 0)
}

pub(super) async fn alerts_on(pool: &Pool, symbols: &[String]) -> StoreResult<Vec<AlertRow>> {
    let mut out = Vec::new();
    // In batches, so no statement has more parameters than a database takes.
    for chunk in symbols.chunks(500) {
        let sql = format!(
            "SELECT {ALERT_COLUMNS} FROM alert_rules WHERE symbol IN ({}) ORDER BY created_at, id",
            placeholders(1, chunk.len())
        );
        let mut q = sqlx::query(&sql);
        for s in chunk {
            q = q.bind(s);
        }
        for row in q.fetch_all(pool).await? {
            out.push(alert_row(&row)?);
        }
    }
    Ok(out)
}

pub(super) async fn set_alert_armed(
    pool: &Pool,
    id: Uuid,
    from: bool,
    to: bool,
    fired_at: Option<DateTime<Utc>>,
) -> StoreResult<bool> {
    let done = sqlx::query(
        "UPDATE alert_rules SET armed = $3, fired_at = COALESCE($4, fired_at) \
         WHERE id = $1 AND armed = $2",
    )
    .bind(id)
    .bind(from)
    .bind(to)
    .bind(fired_at.map(micros))
    .execute(pool)
    .await?;
    Ok(done.rows_affected() > 0)
}
