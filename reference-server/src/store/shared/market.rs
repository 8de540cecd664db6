//! Market data: the symbols any portfolio holds, and last prices and daily
//! closes, both written as upserts. Results are ordered in Rust.

use chrono::NaiveDate;
use sqlx::Row as _;

use super::{DbRow, Pool};
use crate::store::sql::{micros, placeholders};
use crate::store::{DailyClose, LastPrice, StoreResult};

const PRICE_COLUMNS: &str = "symbol, price, currency, as_of, source, fetched_at";

fn price_row(row: &DbRow) -> StoreResult<LastPrice> {
    Ok(LastPrice {
        symbol: row.try_get("symbol")?,
        price: row.try_get("price")?,
        currency: row.try_get("currency")?,
        as_of: row.try_get("as_of")?,
        source: row.try_get("source")?,
        fetched_at: row.try_get("fetched_at")?,
    })
}

pub(super) async fn held_symbols(pool: &Pool) -> StoreResult<Vec<String>> {
    let mut symbols: Vec<String> = sqlx::query_scalar(
        "SELECT symbol FROM transactions WHERE symbol IS NOT NULL \
             UNION SELECT symbol FROM watchlist UNION SELECT symbol FROM alert_rules",
    )
    .fetch_all(pool)
    .await?;
    symbols.sort();
    Ok(symbols)
}

pub(super) async fn upsert_last_prices(pool: &Pool, prices: &[LastPrice]) -> StoreResult<()> {
    let mut tx = pool.begin().await?;
    for price in prices {
        sqlx::query(
            "INSERT INTO last_prices (symbol, price, currency, as_of, source, \
             fetched_at) VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (symbol) DO UPDATE SET price = excluded.price, \
             currency = excluded.currency, as_of = excluded.as_of, \
             source = excluded.source, fetched_at = excluded.fetched_at",
        )
        .bind(&price.symbol)
        .bind(&price.price)
        .bind(&price.currency)
        .bind(price.as_of)
        .bind(&price.source)
        .bind(micros(price.fetched_at))
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

pub(super) async fn last_prices(pool: &Pool, symbols: &[String]) -> StoreResult<Vec<LastPrice>> {
    if symbols.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT {PRICE_COLUMNS} FROM last_prices WHERE symbol IN ({})",
        placeholders(1, symbols.len())
    );
    let mut query = sqlx::query(&sql);
    for symbol in symbols {
        query = query.bind(symbol);
    }
    let rows = query.fetch_all(pool).await?;
    let mut prices = rows
        .iter()
        .map(price_row)
        .collect::<StoreResult<Vec<_>>>()?;
    prices.sort_by(|a, b| a.symbol.cmp(&b.symbol));
    Ok(prices)
}

pub(super) async fn upsert_closes(pool: &Pool, closes: &[DailyClose]) -> StoreResult<()> {
    let mut tx = pool.begin().await?;
    for close in closes {
        sqlx::query(
            "INSERT INTO daily_closes (symbol, date, close) VALUES ($1, $2, $3) \
             ON CONFLICT (symbol, date) DO UPDATE SET close = excluded.close",
        )
        .bind(&close.symbol)
        .bind(close.date)
        .bind(&close.close)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

pub(super) async fn closes(
    pool: &Pool,
    symbols: &[String],
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
) -> StoreResult<Vec<DailyClose>> {
    if symbols.is_empty() {
        return Ok(Vec::new());
    }
    let mut sql = format!(
        "SELECT symbol, date, close FROM daily_closes WHERE symbol IN ({})",
        placeholders(1, symbols.len())
    );
    let mut next = symbols.len() + 1;
    for (bound, op) in [(from, ">="), (to, "<=")] {
        if bound.is_some() {
            sql.push_str(&format!(" AND date {op} ${next}"));
            next += 1;
        }
    }
    let mut query = sqlx::query(&sql);
    for symbol in symbols {
        query = query.bind(symbol);
    }
    for date in [from, to].into_iter().flatten() {
        query = query.bind(date);
    }
    let rows = query.fetch_all(pool).await?;
    let mut closes = rows
        .iter()
        .map(|row| {
            Ok(DailyClose {
                symbol: row.try_get("symbol")?,
                date: row.try_get("date")?,
                close: row.try_get("close")?,
            })
        })
        .collect::<StoreResult<Vec<_>>>()?;
    closes.sort_by(|a, b| a.date.cmp(&b.date).then_with(|| a.symbol.cmp(&b.symbol)));
    Ok(closes)
}
