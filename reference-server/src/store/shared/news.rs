//! News headlines per symbol, as the feeds gave them.

use sqlx::Row as _;

use super::Pool;
use crate::store::{HeadlineRow, StoreResult};

pub(super) async fn upsert_headlines(pool: &Pool, rows: &[HeadlineRow]) -> StoreResult<()> {
    let mut tx = pool.begin().await?;
    for r in rows {
        sqlx::query(
            "INSERT INTO news_headlines (symbol, id, title, link, source, published_ns, fetched_ns) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) \
             ON CONFLICT (symbol, id) DO UPDATE SET title = excluded.title, link = excluded.link, \
             source = excluded.source, published_ns = excluded.published_ns, \
             fetched_ns = excluded.fetched_ns",
        )
        .bind(&r.symbol)
        .bind(&r.id)
        .bind(&r.title)
        .bind(r.link.as_deref())
        .bind(&r.source)
        .bind(r.published_ns)
        .bind(r.fetched_ns)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

pub(super) async fn headlines(
    pool: &Pool,
    symbol: &str,
    since_ns: i64,
    limit: i64,
) -> StoreResult<Vec<HeadlineRow>> {
    // Undated items count from when they were fetched.
    let rows = sqlx::query(
        "SELECT symbol, id, title, link, source, published_ns, fetched_ns FROM news_headlines \
         WHERE symbol = $1 AND COALESCE(published_ns, fetched_ns) >= $2 \
         ORDER BY COALESCE(published_ns, fetched_ns) DESC, id LIMIT $3",
    )
    .bind(symbol)
    .bind(since_ns)
    .bind(limit)
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(HeadlineRow {
                symbol: r.try_get("symbol")?,
                id: r.try_get("id")?,
                title: r.try_get("title")?,
                link: r.try_get("link")?,
                source: r.try_get("source")?,
                published_ns: r.try_get("published_ns")?,
                fetched_ns: r.try_get("fetched_ns")?,
            })
        })
        .collect()
}

pub(super) async fn last_news_fetch(pool: &Pool, symbol: &str) -> StoreResult<Option<i64>> {
    Ok(
        sqlx::query_scalar("SELECT MAX(fetched_ns) FROM news_headlines WHERE symbol = $1")
            .bind(symbol)
            .fetch_one(pool)
            .await?,
    )
}
