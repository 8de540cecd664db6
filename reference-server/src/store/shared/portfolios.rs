//! Portfolios: created (at most so many per user), listed, renamed and
//! deleted with their transactions.

use sqlx::{Executor, Row as _};
use uuid::Uuid;

use super::users::lock_user_under_cap;
use super::{Db, DbRow, Pool};
use crate::store::sql::{conflict, micros};
use crate::store::{OwnPriceRow, PortfolioRecord, StoreResult};

pub(super) const PORTFOLIO_COLUMNS: &str = "id, user_id, name, currency, created_at, version";

pub(super) fn portfolio_row(row: &DbRow) -> StoreResult<PortfolioRecord> {
    Ok(PortfolioRecord {
        id: row.try_get("id")?,
        user_id: row.try_get("user_id")?,
        name: row.try_get("name")?,
        currency: row.try_get("currency")?,
        created_at: row.try_get("created_at")?,
        version: row.try_get("version")?,
    })
}

pub(super) async fn create_portfolio(pool: &Pool, p: &PortfolioRecord) -> StoreResult<()> {
    insert_portfolio(pool, p).await
}

pub(super) async fn create_portfolio_capped(
    pool: &Pool,
    p: &PortfolioRecord,
    max: usize,
) -> StoreResult<bool> {
    let mut tx = pool.begin().await?;
    let count = "SELECT COUNT(*) FROM portfolios WHERE user_id = $1";
    if !lock_user_under_cap(&mut tx, p.user_id, count, max).await? {
        return Ok(false);
    }
    insert_portfolio(&mut *tx, p).await?;
    tx.commit().await?;
    Ok(true)
}

/// Fails with `Conflict("name")`.
async fn insert_portfolio<'e, E>(ex: E, p: &PortfolioRecord) -> StoreResult<()>
where
    E: Executor<'e, Database = Db>,
{
    sqlx::query(
        "INSERT INTO portfolios (id, user_id, name, currency, created_at) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(p.id)
    .bind(p.user_id)
    .bind(&p.name)
    .bind(&p.currency)
    .bind(micros(p.created_at))
    .execute(ex)
    .await
    .map_err(conflict)?;
    Ok(())
}

pub(super) async fn portfolios(pool: &Pool, user_id: Uuid) -> StoreResult<Vec<PortfolioRecord>> {
    let sql = format!(
        "SELECT {PORTFOLIO_COLUMNS} FROM portfolios WHERE user_id = $1 \
         ORDER BY created_at, id"
    );
    let rows = sqlx::query(&sql).bind(user_id).fetch_all(pool).await?;
    rows.iter().map(portfolio_row).collect()
}

pub(super) async fn portfolio(
    pool: &Pool,
    user_id: Uuid,
    id: Uuid,
) -> StoreResult<Option<PortfolioRecord>> {
    let sql = format!("SELECT {PORTFOLIO_COLUMNS} FROM portfolios WHERE id = $1 AND user_id = $2");
    let row = sqlx::query(&sql)
        .bind(id)
        .bind(user_id)
        .fetch_optional(pool)
        .await?;
    row.as_ref().map(portfolio_row).transpose()
}

pub(super) async fn rename_portfolio(
    pool: &Pool,
    user_id: Uuid,
    id: Uuid,
    name: &str,
) -> StoreResult<Option<PortfolioRecord>> {
    let sql = format!(
        "UPDATE portfolios SET name = $3 WHERE id = $1 AND user_id = $2 \
         RETURNING {PORTFOLIO_COLUMNS}"
    );
    let row = sqlx::query(&sql)
        .bind(id)
        .bind(user_id)
        .bind(name)
        .fetch_optional(pool)
        .await
        .map_err(conflict)?;
    row.as_ref().map(portfolio_row).transpose()
}

pub(super) async fn delete_portfolio(pool: &Pool, user_id: Uuid, id: Uuid) -> StoreResult<bool> {
    const OWNED: &str = "EXISTS (SELECT 1 FROM portfolios WHERE id = $1 AND user_id = $2)";
    let mut tx = pool.begin().await?;
    // The portfolio row first, as every ledger change locks it
    // (no deadlock with a change in flight).
    sqlx::query("UPDATE portfolios SET version = version + 1 WHERE id = $1 AND user_id = $2")
        .bind(id)
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
    for table in ["summaries", "own_prices", "transactions"] {
        let sql = format!("DELETE FROM {table} WHERE portfolio_id = $1 AND {OWNED}");
        sqlx::query(&sql)
            .bind(id)
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
    }
    let done = sqlx::query("DELETE FROM portfolios WHERE id = $1 AND user_id = $2")
        .bind(id)
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(done.rows_affected() > 0)
}

pub(super) async fn own_prices(pool: &Pool, portfolio_id: Uuid) -> StoreResult<Vec<OwnPriceRow>> {
    let rows = sqlx::query(
        "SELECT symbol, day, price FROM own_prices WHERE portfolio_id = $1 ORDER BY symbol",
    )
    .bind(portfolio_id)
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(OwnPriceRow {
                symbol: r.try_get("symbol")?,
                date: r.try_get("day")?,
                price: r.try_get("price")?,
            })
        })
        .collect()
}

pub(super) async fn put_own_price(
    pool: &Pool,
    portfolio_id: Uuid,
    row: &OwnPriceRow,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO own_prices (portfolio_id, symbol, day, price) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (portfolio_id, symbol) DO UPDATE SET day = excluded.day, price = excluded.price",
    )
    .bind(portfolio_id)
    .bind(&row.symbol)
    .bind(row.date)
    .bind(&row.price)
    .execute(pool)
    .await?;
    Ok(())
}

pub(super) async fn delete_own_price(
    pool: &Pool,
    portfolio_id: Uuid,
    symbol: &str,
) -> StoreResult<bool> {
    let done = sqlx::query("DELETE FROM own_prices WHERE portfolio_id = $1 AND symbol = $2")
        .bind(portfolio_id)
        .bind(symbol)
        .execute(pool)
        .await?;
    Ok(done.rows_affected() > 0)
}
