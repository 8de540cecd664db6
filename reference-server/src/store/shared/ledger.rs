//! A portfolio's transactions: read in stored order, appended with seqs
//! from the portfolio row's counter, changed and deleted one at a time, or
//! changed under [`Store::lock_ledger`](crate::store::Store::lock_ledger)'s
//! lock. Every change locks the portfolio row first and bumps its version.

use async_trait::async_trait;
use auravest_core::TransactionRecord;
use sqlx::Row as _;
use uuid::Uuid;

use super::portfolios::{PORTFOLIO_COLUMNS, portfolio_row};
use super::{DbRow, Pool, Tx};
use crate::store::sql::placeholders;
use crate::store::{
    LedgerClaim, LedgerLock, PortfolioRecord, StoreError, StoreResult, TransactionRow,
};

const TRANSACTION_COLUMNS: &str =
    "id, portfolio_id, seq, date, kind, symbol, quantity, price, fee, currency";

fn transaction_row(row: &DbRow) -> StoreResult<TransactionRow> {
    Ok(TransactionRow {
        id: row.try_get("id")?,
        portfolio_id: row.try_get("portfolio_id")?,
        seq: row.try_get("seq")?,
        record: TransactionRecord {
            date: row.try_get("date")?,
            kind: row.try_get("kind")?,
            symbol: row.try_get("symbol")?,
            quantity: row.try_get("quantity")?,
            price: row.try_get("price")?,
            fee: row.try_get("fee")?,
            currency: row.try_get("currency")?,
        },
    })
}

/// Rows per INSERT statement (10 parameters each, well under
/// both databases' limits).
const INSERT_BATCH: usize = 100;

/// Inserts transaction rows inside `tx` with seqs after
/// `last_seq`, a batch of rows per statement.
async fn insert_rows(
    tx: &mut Tx,
    portfolio_id: Uuid,
    last_seq: i64,
    rows: &[TransactionRecord],
) -> StoreResult<Vec<TransactionRow>> {
    let stored: Vec<TransactionRow> = (last_seq + 1..)
        .zip(rows)
        .map(|(seq, record)| TransactionRow {
            id: Uuid::new_v4(),
            portfolio_id,
            seq,
            record: record.clone(),
        })
        .collect();
    for batch in stored.chunks(INSERT_BATCH) {
        let values = (0..batch.len())
            .map(|i| format!("({})", placeholders(i * 10 + 1, 10)))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "INSERT INTO transactions (id, portfolio_id, seq, date, kind, symbol, \
             quantity, price, fee, currency) VALUES {values}"
        );
        let mut query = sqlx::query(&sql);
        for row in batch {
            let r = &row.record;
            query = query
                .bind(row.id)
                .bind(portfolio_id)
                .bind(row.seq)
                .bind(&r.date)
                .bind(&r.kind)
                .bind(r.symbol.as_deref())
                .bind(r.quantity.as_deref())
                .bind(r.price.as_deref())
                .bind(r.fee.as_deref())
                .bind(&r.currency);
        }
        query.execute(&mut **tx).await?;
    }
    Ok(stored)
}

/// A portfolio's ledger locked by
/// [`Store::lock_ledger`](crate::store::Store::lock_ledger).
struct LedgerTx {
    tx: Tx,
    portfolio: PortfolioRecord,
    last_seq: i64,
}

#[async_trait]
impl LedgerLock for LedgerTx {
    fn portfolio(&self) -> &PortfolioRecord {
        &self.portfolio
    }

    async fn insert(&mut self, rows: &[TransactionRecord]) -> StoreResult<Vec<TransactionRow>> {
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        let id = self.portfolio.id;
        let stored = insert_rows(&mut self.tx, id, self.last_seq, rows).await?;
        self.last_seq += i64::try_from(rows.len()).unwrap_or(i64::MAX);
        sqlx::query("UPDATE portfolios SET last_seq = $2 WHERE id = $1")
            .bind(id)
            .bind(self.last_seq)
            .execute(&mut *self.tx)
            .await?;
        Ok(stored)
    }

    async fn update(
        &mut self,
        id: Uuid,
        record: &TransactionRecord,
    ) -> StoreResult<Option<TransactionRow>> {
        update_row(&mut self.tx, self.portfolio.id, id, record).await
    }

    async fn delete(&mut self, id: Uuid) -> StoreResult<bool> {
        delete_row(&mut self.tx, self.portfolio.id, id).await
    }

    async fn commit(self: Box<Self>) -> StoreResult<()> {
        self.tx.commit().await?;
        Ok(())
    }
}

/// Replaces one of the portfolio's rows inside `tx`; `None` when it is not
/// in the portfolio.
async fn update_row(
    tx: &mut Tx,
    portfolio_id: Uuid,
    id: Uuid,
    record: &TransactionRecord,
) -> StoreResult<Option<TransactionRow>> {
    let sql = format!(
        "UPDATE transactions SET date = $3, kind = $4, symbol = $5, \
         quantity = $6, price = $7, fee = $8, currency = $9 \
         WHERE id = $1 AND portfolio_id = $2 RETURNING {TRANSACTION_COLUMNS}"
    );
    let row = sqlx::query(&sql)
        .bind(id)
        .bind(portfolio_id)
        .bind(&record.date)
        .bind(&record.kind)
        .bind(record.symbol.as_deref())
        .bind(record.quantity.as_deref())
        .bind(record.price.as_deref())
        .bind(record.fee.as_deref())
        .bind(&record.currency)
        .fetch_optional(&mut **tx)
        .await?;
    row.as_ref().map(transaction_row).transpose()
}

/// Deletes one of the portfolio's rows inside `tx`; false when it is not in
/// the portfolio.
async fn delete_row(tx: &mut Tx, portfolio_id: Uuid, id: Uuid) -> StoreResult<bool> {
    let done = sqlx::query("DELETE FROM transactions WHERE id = $1 AND portfolio_id = $2")
        .bind(id)
        .bind(portfolio_id)
        .execute(&mut **tx)
        .await?;
    Ok(done.rows_affected() > 0)
}

/// Bumps a portfolio's version inside `tx`.
async fn bump_version(tx: &mut Tx, portfolio_id: Uuid) -> StoreResult<()> {
    sqlx::query("UPDATE portfolios SET version = version + 1 WHERE id = $1")
        .bind(portfolio_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

pub(super) async fn transactions(
    pool: &Pool,
    portfolio_id: Uuid,
) -> StoreResult<Vec<TransactionRow>> {
    let sql = format!(
        "SELECT {TRANSACTION_COLUMNS} FROM transactions WHERE portfolio_id = $1 \
         ORDER BY date, seq"
    );
    let rows = sqlx::query(&sql).bind(portfolio_id).fetch_all(pool).await?;
    let mut rows = rows
        .iter()
        .map(transaction_row)
        .collect::<StoreResult<Vec<_>>>()?;
    // As stored: by date, then by insertion.
    crate::store::sort_rows(&mut rows);
    Ok(rows)
}

/// Seqs come from a counter on the portfolio row, taken with
/// the first write, so concurrent imports never share one.
/// Fails with [`sqlx::Error::RowNotFound`] when the portfolio
/// does not exist.
pub(super) async fn insert_transactions(
    pool: &Pool,
    portfolio_id: Uuid,
    rows: &[TransactionRecord],
) -> StoreResult<Vec<TransactionRow>> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let count = i64::try_from(rows.len()).unwrap_or(i64::MAX);
    let mut tx = pool.begin().await?;
    let last: Option<i64> = sqlx::query_scalar(
        "UPDATE portfolios SET last_seq = last_seq + $2, version = version + 1 \
         WHERE id = $1 RETURNING last_seq",
    )
    .bind(portfolio_id)
    .bind(count)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(last) = last else {
        return Err(StoreError::Database(sqlx::Error::RowNotFound));
    };
    let stored = insert_rows(&mut tx, portfolio_id, last - count, rows).await?;
    tx.commit().await?;
    Ok(stored)
}

pub(super) async fn update_transaction(
    pool: &Pool,
    portfolio_id: Uuid,
    id: Uuid,
    record: &TransactionRecord,
) -> StoreResult<Option<TransactionRow>> {
    // The portfolio row first, as every ledger change locks it.
    let mut tx = pool.begin().await?;
    bump_version(&mut tx, portfolio_id).await?;
    let row = update_row(&mut tx, portfolio_id, id, record).await?;
    if row.is_some() {
        tx.commit().await?;
    }
    Ok(row)
}

pub(super) async fn delete_transaction(
    pool: &Pool,
    portfolio_id: Uuid,
    id: Uuid,
) -> StoreResult<bool> {
    // The portfolio row first, as every ledger change locks it.
    let mut tx = pool.begin().await?;
    bump_version(&mut tx, portfolio_id).await?;
    if !delete_row(&mut tx, portfolio_id, id).await? {
        return Ok(false);
    }
    tx.commit().await?;
    Ok(true)
}

pub(super) async fn lock_ledger(
    pool: &Pool,
    user_id: Uuid,
    portfolio_id: Uuid,
    expected_version: i64,
) -> StoreResult<LedgerClaim> {
    let mut tx = pool.begin().await?;
    let sql = format!(
        "UPDATE portfolios SET version = version + 1 \
         WHERE id = $1 AND user_id = $2 AND version = $3 \
         RETURNING {PORTFOLIO_COLUMNS}, last_seq"
    );
    let row = sqlx::query(&sql)
        .bind(portfolio_id)
        .bind(user_id)
        .bind(expected_version)
        .fetch_optional(&mut *tx)
        .await?;
    let Some(row) = row else {
        drop(tx);
        let exists: Option<i64> =
            sqlx::query_scalar("SELECT version FROM portfolios WHERE id = $1 AND user_id = $2")
                .bind(portfolio_id)
                .bind(user_id)
                .fetch_optional(pool)
                .await?;
        return Ok(match exists {
            Some(_) => LedgerClaim::Changed,
            None => LedgerClaim::Missing,
        });
    };
    let portfolio = portfolio_row(&row)?;
    let last_seq: i64 = row.try_get("last_seq")?;
    Ok(LedgerClaim::Locked(Box::new(LedgerTx {
        tx,
        portfolio,
        last_seq,
    })))
}
