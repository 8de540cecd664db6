//! Portfolio ledgers on the server: the SDK builds a [`Portfolio`] from the
//! stored rows on a blocking thread (never on the async workers), the
//! result is kept per portfolio and version in a bounded [`LedgerCache`],
//! and every change to a portfolio's transactions is validated and written
//! under [`Store::lock_ledger`](crate::store::Store::lock_ledger), so two
//! requests can never both pass validation against the same rows.
//!
//! A stored ledger that no longer validates (it cannot happen through the
//! API, but rows may have been written by an older version or by hand) is a
//! [`Broken`] ledger: its rows can still be listed, edited and deleted, and
//! everything that needs positions answers 409 naming the first bad row.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use auravest_core::{Currency, Portfolio, RowError, Transaction, TransactionRecord};
use uuid::Uuid;

use crate::error::{AppError, AppResult};
use crate::store::TransactionRow;

/// Most transactions one portfolio may hold.
pub const MAX_LEDGER_ROWS: usize = 50_000;

/// Most transaction rows the cache keeps across all portfolios.
const CACHE_ROWS: usize = 400_000;

/// A valid ledger: the stored rows and the SDK's portfolio built from them.
#[derive(Debug)]
pub struct Ledger {
    /// The stored rows, in stored order.
    pub rows: Vec<TransactionRow>,
    /// The portfolio they form.
    pub portfolio: Portfolio,
}

/// Stored rows that do not form a valid ledger.
#[derive(Debug)]
pub struct Broken {
    /// The stored rows, in stored order.
    pub rows: Vec<TransactionRow>,
    /// Every bad row (`line` is the row's position, from 0).
    pub errors: Vec<RowError>,
}

impl Broken {
    /// The 409 for a request that needs the positions.
    pub fn conflict(&self) -> AppError {
        let first = self.errors.first();
        let which = first
            .and_then(|e| self.rows.get(e.line))
            .map(|r| {
                format!(
                    "transaction {} ({} {} {})",
                    r.id,
                    r.record.date,
                    r.record.kind,
                    r.record.symbol.as_deref().unwrap_or("")
                )
            })
            .unwrap_or_else(|| "a transaction".to_owned());
        let reason = first.map(|e| format!("{}: {}", e.field, e.reason));
        AppError::Conflict(format!(
            "the stored transactions no longer form a valid ledger: {which} is refused ({}); \
             edit or delete it to repair the portfolio",
            reason.unwrap_or_default()
        ))
    }
}

/// What building a ledger gave.
pub type Built = Result<Arc<Ledger>, Arc<Broken>>;

/// Builds the ledger from records in order; `Err` lists each bad row by its
/// position. CPU work: call it from a blocking thread ([`build`]).
///
/// # Errors
/// The bad rows.
pub fn check<'a>(
    base: Currency,
    rows: impl IntoIterator<Item = &'a TransactionRecord>,
) -> Result<Portfolio, Vec<RowError>> {
    let parsed: Vec<_> = rows
        .into_iter()
        .enumerate()
        .map(|(i, r)| (i, Transaction::try_from(r)))
        .collect();
    let mut p = Portfolio::new(base, chrono::Utc::now().date_naive());
    match p.import(parsed, false) {
        Ok(_) => Ok(p),
        Err(auravest_core::Error::Import { errors }) => Err(errors),
        Err(e) => Err(vec![RowError {
            line: 0,
            field: "transactions".to_owned(),
            reason: e.to_string(),
        }]),
    }
}

/// Runs CPU-bound ledger work on a blocking thread.
///
/// # Errors
/// [`AppError::Internal`] if the work panicked.
pub async fn blocking<T, F>(f: F) -> AppResult<T>
where
    T: Send + 'static,
    F: FnOnce() -> T + Send + 'static,
{
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| AppError::Internal(format!("ledger work failed: {e}")))
}

/// Builds the ledger of stored rows on a blocking thread.
///
/// # Errors
/// [`AppError::Internal`] if the work panicked.
pub async fn build(base: Currency, rows: Vec<TransactionRow>) -> AppResult<Built> {
    blocking(move || match check(base, rows.iter().map(|r| &r.record)) {
        Ok(portfolio) => Ok(Arc::new(Ledger { rows, portfolio })),
        Err(errors) => Err(Arc::new(Broken { rows, errors })),
    })
    .await
}

/// What a built ledger counts against the cache's budget: its rows, and
/// at least one (so empty ledgers are bounded too).
fn rows_of(built: &Built) -> usize {
    match built {
        Ok(l) => l.rows.len(),
        Err(b) => b.rows.len(),
    }
    .max(1)
}

struct Entry {
    version: i64,
    built: Built,
    used: u64,
}

#[derive(Default)]
struct Inner {
    map: HashMap<Uuid, Entry>,
    rows: usize,
    tick: u64,
}

/// Built ledgers by portfolio, each valid for one version of the
/// portfolio. Bounded by the rows it holds: the least recently used
/// ledgers are dropped first.
#[derive(Default)]
pub struct LedgerCache {
    inner: Mutex<Inner>,
}

impl std::fmt::Debug for LedgerCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        f.debug_struct("LedgerCache")
            .field("portfolios", &inner.map.len())
            .field("rows", &inner.rows)
            .finish()
    }
}

impl LedgerCache {
    /// The ledger of `portfolio` at `version`, if kept.
    pub fn get(&self, portfolio: Uuid, version: i64) -> Option<Built> {
        let mut inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        inner.tick += 1;
        let tick = inner.tick;
        let entry = inner.map.get_mut(&portfolio)?;
        if entry.version != version {
            return None;
        }
        entry.used = tick;
        Some(entry.built.clone())
    }

    /// Keeps the ledger of `portfolio` at `version` (replacing an older one).
    pub fn put(&self, portfolio: Uuid, version: i64, built: Built) {
        let rows = rows_of(&built);
        if rows > CACHE_ROWS {
            return;
        }
        let mut inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        inner.tick += 1;
        let tick = inner.tick;
        if let Some(old) = inner.map.get(&portfolio) {
            if old.version > version {
                return;
            }
            let old_rows = rows_of(&old.built);
            inner.rows -= old_rows;
        }
        inner.map.insert(
            portfolio,
            Entry {
                version,
                built,
                used: tick,
            },
        );
        inner.rows += rows;
        while inner.rows > CACHE_ROWS {
            let Some(oldest) = inner
                .map
                .iter()
                .min_by_key(|(_, e)| e.used)
                .map(|(id, _)| *id)
            else {
                break;
            };
            if let Some(e) = inner.map.remove(&oldest) {
                inner.rows -= rows_of(&e.built);
            }
        }
    }

    /// Forgets a portfolio's ledger (after it was deleted).
    pub fn forget(&self, portfolio: Uuid) {
        let mut inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(e) = inner.map.remove(&portfolio) {
            inner.rows -= rows_of(&e.built);
        }
    }

    /// Portfolios kept.
    pub fn len(&self) -> usize {
        self.inner
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .map
            .len()
    }

    /// True when nothing is kept.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(seq: i64, date: &str, kind: &str, qty: &str) -> TransactionRow {
        TransactionRow {
            id: Uuid::new_v4(),
            portfolio_id: Uuid::nil(),
            seq,
            record: TransactionRecord {
                date: date.to_owned(),
                kind: kind.to_owned(),
                symbol: Some("AAPL".to_owned()),
                quantity: Some(qty.to_owned()),
                price: Some("10".to_owned()),
                fee: None,
                currency: "USD".to_owned(),
            },
        }
    }

    fn usd() -> Currency {
        Currency::new("USD").unwrap()
    }

    #[tokio::test]
    async fn a_broken_ledger_names_its_first_bad_row() {
        let rows = vec![
            row(1, "2024-01-02", "buy", "10"),
            row(2, "2024-01-03", "sell", "10"),
            row(3, "2024-01-04", "sell", "10"),
        ];
        let bad = rows[2].id;
        let built = build(usd(), rows).await.unwrap();
        let broken = built.expect_err("oversold");
        assert_eq!(broken.errors.len(), 1);
        let e = broken.conflict();
        assert_eq!(e.status_code(), axum::http::StatusCode::CONFLICT);
        assert!(e.to_string().contains(&bad.to_string()), "{e}");
    }

    #[tokio::test]
    async fn the_cache_serves_one_version_and_stays_within_its_row_budget() {
        let cache = LedgerCache::default();
        let id = Uuid::new_v4();
        let built = build(usd(), vec![row(1, "2024-01-02", "buy", "1")])
            .await
            .unwrap();
        cache.put(id, 3, built);
        assert!(cache.get(id, 3).is_some());
        assert!(cache.get(id, 4).is_none(), "another version is a miss");
        // An older version never replaces a newer one.
        let older = build(usd(), Vec::new()).await.unwrap();
        cache.put(id, 2, older);
        assert!(cache.get(id, 3).is_some());
        cache.forget(id);
        assert!(cache.is_empty());
        // Many ledgers: the row budget holds.
        let big: Vec<_> = (0..1000)
            .map(|i| row(i, "2024-01-02", "buy", "1"))
            .collect();
        let built = build(usd(), big).await.unwrap();
        for _ in 0..(CACHE_ROWS / 1000 + 10) {
            cache.put(Uuid::new_v4(), 1, built.clone());
        }
        {
            let inner = cache.inner.lock().unwrap();
            assert!(inner.rows <= CACHE_ROWS, "{}", inner.rows);
            assert_eq!(inner.rows, inner.map.len() * 1000);
        }
        // Empty ledgers count too.
        let empty = build(usd(), Vec::new()).await.unwrap();
        for _ in 0..(CACHE_ROWS + 10) {
            cache.put(Uuid::new_v4(), 1, empty.clone());
        }
        assert!(cache.len() <= CACHE_ROWS);
    }
}
