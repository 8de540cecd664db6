//! What the SQLite and PostgreSQL stores share: [`connect_url`], the
//! mapping of unique violations to [`StoreError::Conflict`], and
//! `impl_store!`, which writes the [`Store`] implementation for both pool
//! types from one body.
//!
//! The shared SQL uses only what both databases accept through sqlx:
//! numbered `$n` placeholders, `RETURNING`, `ON CONFLICT ... DO UPDATE`.
//! Text is ordered in Rust, not by `ORDER BY`, since PostgreSQL sorts text by
//! the database collation and SQLite byte-wise; timestamps are cut to whole
//! microseconds before they are written (PostgreSQL keeps no more), so both
//! backends read back the same values.

use std::sync::Arc;

use chrono::{DateTime, SubsecRound, Utc};

use super::postgres::PostgresStore;
use super::sqlite::SqliteStore;
use super::{Store, StoreError, StoreResult};

/// Opens the store a database URL names: `sqlite:` for SQLite,
/// `postgres:` or `postgresql:` for PostgreSQL. Runs no migrations (see
/// [`Store::migrate`]).
///
/// # Errors
///
/// [`StoreError::Database`] with [`sqlx::Error::Configuration`] for any
/// other scheme; otherwise whatever connecting fails with.
pub async fn connect_url(url: &str) -> StoreResult<Arc<dyn Store>> {
    let scheme = url.split_once(':').map_or("", |(scheme, _)| scheme);
    match scheme {
        "sqlite" => Ok(Arc::new(SqliteStore::connect(url).await?)),
        "postgres" | "postgresql" => Ok(Arc::new(PostgresStore::connect(url).await?)),
        // The URL itself may hold a password: only its scheme is named.
        _ => Err(StoreError::Database(sqlx::Error::Configuration(
            format!(
                "unsupported database URL scheme `{scheme}` \
                 (expected sqlite:, postgres: or postgresql:)"
            )
            .into(),
        ))),
    }
}

/// The unique constraints a caller can clash with: PostgreSQL constraint
/// name, the column SQLite names in its message, and the conflict reported.
const UNIQUE_CONSTRAINTS: [(&str, &str, &str); 3] = [
    ("users_email_hash_key", "users.email_hash", "email"),
    ("users_alias_key", "users.alias", "alias"),
    ("portfolios_user_name_key", "portfolios.name", "name"),
];

/// Maps a violation of one of [`UNIQUE_CONSTRAINTS`] to
/// [`StoreError::Conflict`]; any other error passes through.
pub(super) fn conflict(error: sqlx::Error) -> StoreError {
    if let sqlx::Error::Database(db) = &error
        && db.is_unique_violation()
    {
        let found = UNIQUE_CONSTRAINTS
            .iter()
            .find(|(pg, sqlite, _)| match db.constraint() {
                Some(name) => name == *pg,
                // SQLite: "UNIQUE constraint failed: users.email_hash".
                None => db.message().contains(sqlite),
            });
        if let Some((_, _, what)) = found {
            return StoreError::Conflict(what);
        }
    }
    StoreError::Database(error)
}

/// An instant as stored: whole microseconds.
pub(super) fn micros(at: DateTime<Utc>) -> DateTime<Utc> {
    at.trunc_subsecs(6)
}

/// `$first, $first+1, ...`: `count` numbered placeholders.
pub(super) fn placeholders(first: usize, count: usize) -> String {
    (first..first + count)
        .map(|n| format!("${n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Writes `impl Store for $store` (a struct with a `pool` field of the
/// `$db` pool type and an inherent `leader_lock(&self, name)`), with the
/// migrations embedded from `$migrations`.
macro_rules! impl_store {
    ($store:ident, $db:ty, $backend:literal, $migrations:expr) => {
        mod imp {
            use std::collections::BTreeMap;

            use async_trait::async_trait;
            use chrono::{DateTime, NaiveDate, Utc};
            use sqlx::types::Json;
            use sqlx::{Database, Executor, Row};
            use uuid::Uuid;

            use $crate::store::sql::{conflict, micros, placeholders};
            use $crate::store::{
                AuditAction, AuditEntry, AuditRow, DailyClose, GoalInput, GoalRecord, LastPrice,
                LeaderLock, PortfolioRecord, ProfilePatch, RefreshRecord, RiskRecord, Role,
                Rotation, Store, StoreError, StoreResult, TransactionRow, UserData, UserRecord,
                HeldLock, LedgerClaim, LedgerLock, LoginClaim,
            };
            use auravest_core::TransactionRecord;

            type DbRow = <$db as Database>::Row;

            const USER_SELECT: &str = "SELECT u.id, u.email_hash, u.email_enc, \
                u.password_hash, u.role, u.alias, u.display_mode, u.share_performance, \
                u.count_holdings, u.dashboard, u.terms_version, u.terms_accepted_at, u.failed_logins, \
                u.locked_until, u.created_at, s.subject \
                FROM users u JOIN audit_subjects s ON s.user_id = u.id";
            const RISK_COLUMNS: &str = "id, user_id, answers, profile, created_at";
            const PORTFOLIO_COLUMNS: &str = "id, user_id, name, currency, created_at, version";
            const TRANSACTION_COLUMNS: &str =
                "id, portfolio_id, seq, date, kind, symbol, quantity, price, fee, currency";
            const GOAL_COLUMNS: &str = "id, user_id, name, target, due_by, \
                monthly_contribution, expected_return, created_at";
            const PRICE_COLUMNS: &str = "symbol, price, currency, as_of, source, fetched_at";

            fn user_row(row: &DbRow) -> StoreResult<UserRecord> {
                let role: String = row.try_get("role")?;
                let role = role.parse::<Role>().map_err(|_| StoreError::Corrupt {
                    what: "users.role",
                    reason: format!("unknown role `{role}`"),
                })?;
                let Json(dashboard): Json<Vec<String>> = row.try_get("dashboard")?;
                Ok(UserRecord {
                    id: row.try_get("id")?,
                    email_hash: row.try_get("email_hash")?,
                    email_enc: row.try_get("email_enc")?,
                    password_hash: row.try_get("password_hash")?,
                    role,
                    alias: row.try_get("alias")?,
                    display_mode: row.try_get("display_mode")?,
                    share_performance: row.try_get("share_performance")?,
                    count_holdings: row.try_get("count_holdings")?,
                    dashboard,
                    terms_version: row.try_get("terms_version")?,
                    terms_accepted_at: row.try_get("terms_accepted_at")?,
                    failed_logins: row.try_get("failed_logins")?,
                    locked_until: row.try_get("locked_until")?,
                    audit_subject: row.try_get("subject")?,
                    created_at: row.try_get("created_at")?,
                })
            }

            fn risk_row(row: &DbRow) -> StoreResult<RiskRecord> {
                Ok(RiskRecord {
                    id: row.try_get("id")?,
                    user_id: row.try_get("user_id")?,
                    answers: row.try_get("answers")?,
                    profile: row.try_get("profile")?,
                    created_at: row.try_get("created_at")?,
                })
            }

            fn portfolio_row(row: &DbRow) -> StoreResult<PortfolioRecord> {
                Ok(PortfolioRecord {
                    id: row.try_get("id")?,
                    user_id: row.try_get("user_id")?,
                    name: row.try_get("name")?,
                    currency: row.try_get("currency")?,
                    created_at: row.try_get("created_at")?,
                    version: row.try_get("version")?,
                })
            }

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

            fn goal_row(row: &DbRow) -> StoreResult<GoalRecord> {
                Ok(GoalRecord {
                    id: row.try_get("id")?,
                    user_id: row.try_get("user_id")?,
                    name: row.try_get("name")?,
                    target: row.try_get("target")?,
                    by: row.try_get("due_by")?,
                    monthly_contribution: row.try_get("monthly_contribution")?,
                    expected_return: row.try_get("expected_return")?,
                    created_at: row.try_get("created_at")?,
                })
            }

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

            fn audit_row(row: &DbRow) -> StoreResult<AuditRow> {
                let action: String = row.try_get("action")?;
                let action: AuditAction = serde_json::from_value(serde_json::Value::String(action))
                    .map_err(|e| StoreError::Corrupt {
                        what: "audit_log.action",
                        reason: e.to_string(),
                    })?;
                Ok(AuditRow {
                    id: row.try_get("id")?,
                    entry: AuditEntry {
                        at: row.try_get("at")?,
                        action,
                        subject: row.try_get("subject")?,
                        object: row.try_get("object")?,
                        detail: row.try_get("detail")?,
                    },
                })
            }

            async fn load_user<'e, E>(ex: E, id: Uuid) -> StoreResult<Option<UserRecord>>
            where
                E: Executor<'e, Database = $db>,
            {
                let sql = format!("{USER_SELECT} WHERE u.id = $1");
                let row = sqlx::query(&sql).bind(id).fetch_optional(ex).await?;
                row.as_ref().map(user_row).transpose()
            }

            /// Locks the user's row inside `tx` (its first statement, so
            /// SQLite takes the write lock at once and PostgreSQL the row
            /// lock); false when there is no such user.
            async fn lock_user(
                tx: &mut sqlx::Transaction<'static, $db>,
                id: Uuid,
            ) -> StoreResult<bool> {
                let done = sqlx::query(
                    "UPDATE users SET failed_logins = failed_logins WHERE id = $1",
                )
                .bind(id)
                .execute(&mut **tx)
                .await?;
                Ok(done.rows_affected() > 0)
            }

            /// Rows per INSERT statement (10 parameters each, well under
            /// both databases' limits).
            const INSERT_BATCH: usize = 100;

            /// Inserts transaction rows inside `tx` with seqs after
            /// `last_seq`, a batch of rows per statement.
            async fn insert_rows(
                tx: &mut sqlx::Transaction<'static, $db>,
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

            /// A portfolio's ledger locked by [`Store::lock_ledger`].
            struct LedgerTx {
                tx: sqlx::Transaction<'static, $db>,
                portfolio: PortfolioRecord,
                last_seq: i64,
            }

            #[async_trait]
            impl LedgerLock for LedgerTx {
                fn portfolio(&self) -> &PortfolioRecord {
                    &self.portfolio
                }

                async fn insert(
                    &mut self,
                    rows: &[TransactionRecord],
                ) -> StoreResult<Vec<TransactionRow>> {
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
                    let sql = format!(
                        "UPDATE transactions SET date = $3, kind = $4, symbol = $5, \
                         quantity = $6, price = $7, fee = $8, currency = $9 \
                         WHERE id = $1 AND portfolio_id = $2 RETURNING {TRANSACTION_COLUMNS}"
                    );
                    let row = sqlx::query(&sql)
                        .bind(id)
                        .bind(self.portfolio.id)
                        .bind(&record.date)
                        .bind(&record.kind)
                        .bind(record.symbol.as_deref())
                        .bind(record.quantity.as_deref())
                        .bind(record.price.as_deref())
                        .bind(record.fee.as_deref())
                        .bind(&record.currency)
                        .fetch_optional(&mut *self.tx)
                        .await?;
                    row.as_ref().map(transaction_row).transpose()
                }

                async fn delete(&mut self, id: Uuid) -> StoreResult<bool> {
                    let done = sqlx::query(
                        "DELETE FROM transactions WHERE id = $1 AND portfolio_id = $2",
                    )
                    .bind(id)
                    .bind(self.portfolio.id)
                    .execute(&mut *self.tx)
                    .await?;
                    Ok(done.rows_affected() > 0)
                }

                async fn commit(self: Box<Self>) -> StoreResult<()> {
                    self.tx.commit().await?;
                    Ok(())
                }
            }

            /// Bumps a portfolio's version inside `tx`.
            async fn bump_version(
                tx: &mut sqlx::Transaction<'static, $db>,
                portfolio_id: Uuid,
            ) -> StoreResult<()> {
                sqlx::query("UPDATE portfolios SET version = version + 1 WHERE id = $1")
                    .bind(portfolio_id)
                    .execute(&mut **tx)
                    .await?;
                Ok(())
            }

            /// Orders transactions as stored: by date, then by insertion.
            fn in_stored_order(rows: &mut [TransactionRow]) {
                $crate::store::sort_rows(rows);
            }

            #[async_trait]
            impl Store for super::$store {
                fn backend(&self) -> &'static str {
                    $backend
                }

                async fn migrate(&self) -> StoreResult<()> {
                    sqlx::migrate::Migrator::new($crate::store::Embedded($migrations))
                        .await?
                        .run(&self.pool)
                        .await?;
                    Ok(())
                }

                async fn ping(&self) -> StoreResult<()> {
                    sqlx::query("SELECT 1").execute(&self.pool).await?;
                    Ok(())
                }

                // --- users ---------------------------------------------------

                async fn create_user(&self, user: &UserRecord) -> StoreResult<()> {
                    let mut tx = self.pool.begin().await?;
                    sqlx::query(
                        "INSERT INTO users (id, email_hash, email_enc, password_hash, role, \
                         alias, display_mode, share_performance, dashboard, terms_version, \
                         terms_accepted_at, failed_logins, locked_until, created_at, \
                         count_holdings) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, \
                         $15)",
                    )
                    .bind(user.id)
                    .bind(&user.email_hash)
                    .bind(&user.email_enc)
                    .bind(&user.password_hash)
                    .bind(user.role.as_str())
                    .bind(&user.alias)
                    .bind(&user.display_mode)
                    .bind(user.share_performance)
                    .bind(Json(&user.dashboard))
                    .bind(&user.terms_version)
                    .bind(micros(user.terms_accepted_at))
                    .bind(user.failed_logins)
                    .bind(user.locked_until.map(micros))
                    .bind(micros(user.created_at))
                    .bind(user.count_holdings)
                    .execute(&mut *tx)
                    .await
                    .map_err(conflict)?;
                    sqlx::query(
                        "INSERT INTO consents (user_id, terms_version, accepted_at) \
                         VALUES ($1, $2, $3)",
                    )
                    .bind(user.id)
                    .bind(&user.terms_version)
                    .bind(micros(user.terms_accepted_at))
                    .execute(&mut *tx)
                    .await?;
                    sqlx::query("INSERT INTO audit_subjects (user_id, subject) VALUES ($1, $2)")
                        .bind(user.id)
                        .bind(user.audit_subject)
                        .execute(&mut *tx)
                        .await?;
                    tx.commit().await?;
                    Ok(())
                }

                async fn user(&self, id: Uuid) -> StoreResult<Option<UserRecord>> {
                    load_user(&self.pool, id).await
                }

                async fn user_by_email_hash(
                    &self,
                    email_hash: &str,
                ) -> StoreResult<Option<UserRecord>> {
                    let sql = format!("{USER_SELECT} WHERE u.email_hash = $1");
                    let row = sqlx::query(&sql)
                        .bind(email_hash)
                        .fetch_optional(&self.pool)
                        .await?;
                    row.as_ref().map(user_row).transpose()
                }

                async fn update_profile(
                    &self,
                    id: Uuid,
                    patch: &ProfilePatch,
                ) -> StoreResult<Option<UserRecord>> {
                    let mut tx = self.pool.begin().await?;
                    let updated = sqlx::query(
                        "UPDATE users SET alias = COALESCE($2, alias), \
                         display_mode = COALESCE($3, display_mode), \
                         share_performance = COALESCE($4, share_performance), \
                         dashboard = COALESCE($5, dashboard), \
                         count_holdings = COALESCE($6, count_holdings) WHERE id = $1",
                    )
                    .bind(id)
                    .bind(patch.alias.as_deref())
                    .bind(patch.display_mode.as_deref())
                    .bind(patch.share_performance)
                    .bind(patch.dashboard.as_ref().map(Json))
                    .bind(patch.count_holdings)
                    .execute(&mut *tx)
                    .await
                    .map_err(conflict)?;
                    if updated.rows_affected() == 0 {
                        return Ok(None);
                    }
                    let user = load_user(&mut *tx, id).await?;
                    tx.commit().await?;
                    Ok(user)
                }

                async fn claim_login_attempt(
                    &self,
                    id: Uuid,
                    now: DateTime<Utc>,
                    max_failures: u32,
                    lock_until: DateTime<Utc>,
                ) -> StoreResult<LoginClaim> {
                    let mut tx = self.pool.begin().await?;
                    // Counting first takes the row (PostgreSQL) or write
                    // (SQLite) lock, so parallel attempts are counted one
                    // after the other, each from the count the last left.
                    let row = sqlx::query(
                        "UPDATE users SET failed_logins = failed_logins + 1 WHERE id = $1 \
                         RETURNING failed_logins, locked_until",
                    )
                    .bind(id)
                    .fetch_optional(&mut *tx)
                    .await?;
                    let Some(row) = row else {
                        return Ok(LoginClaim::NoUser);
                    };
                    let counted: i32 = row.try_get("failed_logins")?;
                    let locked: Option<DateTime<Utc>> = row.try_get("locked_until")?;
                    let attempt = match locked {
                        // Dropping the transaction takes the count back.
                        Some(until) if until > now => return Ok(LoginClaim::Locked { until }),
                        // The lock has run out: counting starts afresh.
                        Some(_) => 1,
                        None => counted,
                    };
                    let locks = u32::try_from(attempt).unwrap_or(u32::MAX) >= max_failures;
                    sqlx::query(
                        "UPDATE users SET failed_logins = $2, locked_until = $3 WHERE id = $1",
                    )
                    .bind(id)
                    .bind(attempt)
                    .bind(locks.then(|| micros(lock_until)))
                    .execute(&mut *tx)
                    .await?;
                    tx.commit().await?;
                    Ok(LoginClaim::Claimed {
                        attempt,
                        locked: locks,
                    })
                }

                async fn clear_login_failures(&self, id: Uuid) -> StoreResult<()> {
                    sqlx::query(
                        "UPDATE users SET failed_logins = 0, locked_until = NULL WHERE id = $1",
                    )
                    .bind(id)
                    .execute(&self.pool)
                    .await?;
                    Ok(())
                }

                async fn set_role(&self, id: Uuid, role: Role) -> StoreResult<bool> {
                    let done = sqlx::query("UPDATE users SET role = $2 WHERE id = $1")
                        .bind(id)
                        .bind(role.as_str())
                        .execute(&self.pool)
                        .await?;
                    Ok(done.rows_affected() > 0)
                }

                async fn user_data(&self, id: Uuid) -> StoreResult<Option<UserData>> {
                    let Some(user) = self.user(id).await? else {
                        return Ok(None);
                    };
                    let risk_profiles = self.risk_history(id).await?;
                    let mut portfolios = Vec::new();
                    for portfolio in self.portfolios(id).await? {
                        let rows = self.transactions(portfolio.id).await?;
                        portfolios.push((portfolio, rows));
                    }
                    let goals = self.goals(id).await?;
                    let mut usage: BTreeMap<NaiveDate, BTreeMap<String, i64>> = BTreeMap::new();
                    let rows =
                        sqlx::query("SELECT day, kind, n FROM usage_counts WHERE user_id = $1")
                            .bind(id)
                            .fetch_all(&self.pool)
                            .await?;
                    for row in rows {
                        let day: NaiveDate = row.try_get("day")?;
                        usage
                            .entry(day)
                            .or_default()
                            .insert(row.try_get("kind")?, row.try_get("n")?);
                    }
                    let rows = sqlx::query(
                        "SELECT f.answer_id, f.kind FROM feedback f \
                         JOIN answers a ON a.id = f.answer_id WHERE a.user_id = $1",
                    )
                    .bind(id)
                    .fetch_all(&self.pool)
                    .await?;
                    let mut feedback = rows
                        .iter()
                        .map(|row| Ok((row.try_get("answer_id")?, row.try_get("kind")?)))
                        .collect::<StoreResult<Vec<(Uuid, String)>>>()?;
                    feedback.sort();
                    let checklist = self.checklist_done(id).await?;
                    Ok(Some(UserData {
                        user,
                        risk_profiles,
                        portfolios,
                        goals,
                        usage,
                        feedback,
                        checklist,
                    }))
                }

                async fn delete_user(&self, id: Uuid) -> StoreResult<bool> {
                    // Children first, so the result does not rest on the
                    // foreign keys' cascades alone.
                    const STATEMENTS: [&str; 12] = [
                        "DELETE FROM feedback WHERE answer_id IN \
                         (SELECT id FROM answers WHERE user_id = $1)",
                        "DELETE FROM checklist_done WHERE user_id = $1",
                        "DELETE FROM answers WHERE user_id = $1",
                        "DELETE FROM summaries WHERE portfolio_id IN \
                         (SELECT id FROM portfolios WHERE user_id = $1)",
                        "DELETE FROM transactions WHERE portfolio_id IN \
                         (SELECT id FROM portfolios WHERE user_id = $1)",
                        "DELETE FROM portfolios WHERE user_id = $1",
                        "DELETE FROM goals WHERE user_id = $1",
                        "DELETE FROM risk_profiles WHERE user_id = $1",
                        "DELETE FROM refresh_tokens WHERE user_id = $1",
                        "DELETE FROM usage_counts WHERE user_id = $1",
                        "DELETE FROM consents WHERE user_id = $1",
                        "DELETE FROM audit_subjects WHERE user_id = $1",
                    ];
                    let mut tx = self.pool.begin().await?;
                    // The rows other changes lock first, in the same order:
                    // the user, then the user's portfolios.
                    if !lock_user(&mut tx, id).await? {
                        return Ok(false);
                    }
                    sqlx::query("UPDATE portfolios SET version = version + 1 WHERE user_id = $1")
                        .bind(id)
                        .execute(&mut *tx)
                        .await?;
                    for sql in STATEMENTS {
                        sqlx::query(sql).bind(id).execute(&mut *tx).await?;
                    }
                    let done = sqlx::query("DELETE FROM users WHERE id = $1")
                        .bind(id)
                        .execute(&mut *tx)
                        .await?;
                    tx.commit().await?;
                    self.after_erase().await;
                    Ok(done.rows_affected() > 0)
                }

                // --- refresh tokens ------------------------------------------

                async fn insert_refresh(&self, token: &RefreshRecord) -> StoreResult<()> {
                    sqlx::query(
                        "INSERT INTO refresh_tokens (token_hash, user_id, family, expires_at, \
                         revoked) VALUES ($1, $2, $3, $4, FALSE)",
                    )
                    .bind(&token.token_hash)
                    .bind(token.user_id)
                    .bind(token.family)
                    .bind(micros(token.expires_at))
                    .execute(&self.pool)
                    .await?;
                    Ok(())
                }

                /// The new token joins the old one's owner and family: those
                /// fields of `new` are ignored, since a caller holding only the
                /// old token cannot know them.
                async fn rotate_refresh(
                    &self,
                    old_hash: &str,
                    new: &RefreshRecord,
                    now: DateTime<Utc>,
                ) -> StoreResult<Rotation> {
                    // The write comes first, so SQLite takes its write lock at
                    // once and PostgreSQL locks the row against a concurrent
                    // rotation of the same token.
                    let mut tx = self.pool.begin().await?;
                    let live = sqlx::query(
                        "UPDATE refresh_tokens SET revoked = TRUE \
                         WHERE token_hash = $1 AND NOT revoked \
                         RETURNING user_id, family, expires_at",
                    )
                    .bind(old_hash)
                    .fetch_optional(&mut *tx)
                    .await?;
                    if let Some(row) = live {
                        let expires_at: DateTime<Utc> = row.try_get("expires_at")?;
                        if expires_at <= now {
                            // Dropping the transaction rolls the revocation back.
                            return Ok(Rotation::Invalid);
                        }
                        let user_id: Uuid = row.try_get("user_id")?;
                        let family: Uuid = row.try_get("family")?;
                        sqlx::query(
                            "INSERT INTO refresh_tokens (token_hash, user_id, family, \
                             expires_at, revoked) VALUES ($1, $2, $3, $4, FALSE)",
                        )
                        .bind(&new.token_hash)
                        .bind(user_id)
                        .bind(family)
                        .bind(micros(new.expires_at))
                        .execute(&mut *tx)
                        .await?;
                        tx.commit().await?;
                        return Ok(Rotation::Rotated { user_id });
                    }
                    let family: Option<Uuid> = sqlx::query_scalar(
                        "SELECT family FROM refresh_tokens WHERE token_hash = $1",
                    )
                    .bind(old_hash)
                    .fetch_optional(&mut *tx)
                    .await?;
                    let Some(family) = family else {
                        return Ok(Rotation::Invalid);
                    };
                    sqlx::query("UPDATE refresh_tokens SET revoked = TRUE WHERE family = $1")
                        .bind(family)
                        .execute(&mut *tx)
                        .await?;
                    tx.commit().await?;
                    Ok(Rotation::Reused)
                }

                async fn revoke_refresh(&self, token_hash: &str) -> StoreResult<bool> {
                    let done = sqlx::query(
                        "UPDATE refresh_tokens SET revoked = TRUE WHERE token_hash = $1",
                    )
                    .bind(token_hash)
                    .execute(&self.pool)
                    .await?;
                    Ok(done.rows_affected() > 0)
                }

                // --- risk ----------------------------------------------------

                async fn insert_risk(&self, record: &RiskRecord) -> StoreResult<()> {
                    sqlx::query(
                        "INSERT INTO risk_profiles (id, user_id, answers, profile, created_at) \
                         VALUES ($1, $2, $3, $4, $5)",
                    )
                    .bind(record.id)
                    .bind(record.user_id)
                    .bind(Json(&record.answers))
                    .bind(Json(&record.profile))
                    .bind(micros(record.created_at))
                    .execute(&self.pool)
                    .await?;
                    Ok(())
                }

                async fn latest_risk(&self, user_id: Uuid) -> StoreResult<Option<RiskRecord>> {
                    let sql = format!(
                        "SELECT {RISK_COLUMNS} FROM risk_profiles WHERE user_id = $1 \
                         ORDER BY created_at DESC, id DESC LIMIT 1"
                    );
                    let row = sqlx::query(&sql)
                        .bind(user_id)
                        .fetch_optional(&self.pool)
                        .await?;
                    row.as_ref().map(risk_row).transpose()
                }

                async fn risk_history(&self, user_id: Uuid) -> StoreResult<Vec<RiskRecord>> {
                    let sql = format!(
                        "SELECT {RISK_COLUMNS} FROM risk_profiles WHERE user_id = $1 \
                         ORDER BY created_at, id"
                    );
                    let rows = sqlx::query(&sql)
                        .bind(user_id)
                        .fetch_all(&self.pool)
                        .await?;
                    rows.iter().map(risk_row).collect()
                }

                // --- portfolios ----------------------------------------------

                async fn create_portfolio(&self, p: &PortfolioRecord) -> StoreResult<()> {
                    sqlx::query(
                        "INSERT INTO portfolios (id, user_id, name, currency, created_at) \
                         VALUES ($1, $2, $3, $4, $5)",
                    )
                    .bind(p.id)
                    .bind(p.user_id)
                    .bind(&p.name)
                    .bind(&p.currency)
                    .bind(micros(p.created_at))
                    .execute(&self.pool)
                    .await
                    .map_err(conflict)?;
                    Ok(())
                }

                async fn create_portfolio_capped(
                    &self,
                    p: &PortfolioRecord,
                    max: usize,
                ) -> StoreResult<bool> {
                    let mut tx = self.pool.begin().await?;
                    if !lock_user(&mut tx, p.user_id).await? {
                        return Ok(false);
                    }
                    let count: i64 =
                        sqlx::query_scalar("SELECT COUNT(*) FROM portfolios WHERE user_id = $1")
                            .bind(p.user_id)
                            .fetch_one(&mut *tx)
                            .await?;
                    if usize::try_from(count).unwrap_or(usize::MAX) >= max {
                        return Ok(false);
                    }
                    sqlx::query(
                        "INSERT INTO portfolios (id, user_id, name, currency, created_at) \
                         VALUES ($1, $2, $3, $4, $5)",
                    )
                    .bind(p.id)
                    .bind(p.user_id)
                    .bind(&p.name)
                    .bind(&p.currency)
                    .bind(micros(p.created_at))
                    .execute(&mut *tx)
                    .await
                    .map_err(conflict)?;
                    tx.commit().await?;
                    Ok(true)
                }

                async fn portfolios(&self, user_id: Uuid) -> StoreResult<Vec<PortfolioRecord>> {
                    let sql = format!(
                        "SELECT {PORTFOLIO_COLUMNS} FROM portfolios WHERE user_id = $1 \
                         ORDER BY created_at, id"
                    );
                    let rows = sqlx::query(&sql)
                        .bind(user_id)
                        .fetch_all(&self.pool)
                        .await?;
                    rows.iter().map(portfolio_row).collect()
                }

                async fn portfolio(
                    &self,
                    user_id: Uuid,
                    id: Uuid,
                ) -> StoreResult<Option<PortfolioRecord>> {
                    let sql = format!(
                        "SELECT {PORTFOLIO_COLUMNS} FROM portfolios WHERE id = $1 AND user_id = $2"
                    );
                    let row = sqlx::query(&sql)
                        .bind(id)
                        .bind(user_id)
                        .fetch_optional(&self.pool)
                        .await?;
                    row.as_ref().map(portfolio_row).transpose()
                }

                async fn rename_portfolio(
                    &self,
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
                        .fetch_optional(&self.pool)
                        .await
                        .map_err(conflict)?;
                    row.as_ref().map(portfolio_row).transpose()
                }

                async fn delete_portfolio(&self, user_id: Uuid, id: Uuid) -> StoreResult<bool> {
                    const OWNED: &str =
                        "EXISTS (SELECT 1 FROM portfolios WHERE id = $1 AND user_id = $2)";
                    let mut tx = self.pool.begin().await?;
                    // The portfolio row first, as every ledger change locks it
                    // (no deadlock with a change in flight).
                    sqlx::query(
                        "UPDATE portfolios SET version = version + 1 WHERE id = $1 AND user_id = $2",
                    )
                    .bind(id)
                    .bind(user_id)
                    .execute(&mut *tx)
                    .await?;
                    for table in ["summaries", "transactions"] {
                        let sql =
                            format!("DELETE FROM {table} WHERE portfolio_id = $1 AND {OWNED}");
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

                async fn transactions(
                    &self,
                    portfolio_id: Uuid,
                ) -> StoreResult<Vec<TransactionRow>> {
                    let sql = format!(
                        "SELECT {TRANSACTION_COLUMNS} FROM transactions WHERE portfolio_id = $1 \
                         ORDER BY date, seq"
                    );
                    let rows = sqlx::query(&sql)
                        .bind(portfolio_id)
                        .fetch_all(&self.pool)
                        .await?;
                    let mut rows = rows
                        .iter()
                        .map(transaction_row)
                        .collect::<StoreResult<Vec<_>>>()?;
                    in_stored_order(&mut rows);
                    Ok(rows)
                }

                /// Seqs come from a counter on the portfolio row, taken with
                /// the first write, so concurrent imports never share one.
                /// Fails with [`sqlx::Error::RowNotFound`] when the portfolio
                /// does not exist.
                async fn insert_transactions(
                    &self,
                    portfolio_id: Uuid,
                    rows: &[TransactionRecord],
                ) -> StoreResult<Vec<TransactionRow>> {
                    if rows.is_empty() {
                        return Ok(Vec::new());
                    }
                    let count = i64::try_from(rows.len()).unwrap_or(i64::MAX);
                    let mut tx = self.pool.begin().await?;
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

                async fn update_transaction(
                    &self,
                    portfolio_id: Uuid,
                    id: Uuid,
                    record: &TransactionRecord,
                ) -> StoreResult<Option<TransactionRow>> {
                    // The portfolio row first, as every ledger change locks it.
                    let mut tx = self.pool.begin().await?;
                    bump_version(&mut tx, portfolio_id).await?;
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
                        .fetch_optional(&mut *tx)
                        .await?;
                    let row = row.as_ref().map(transaction_row).transpose()?;
                    if row.is_some() {
                        tx.commit().await?;
                    }
                    Ok(row)
                }

                async fn delete_transaction(
                    &self,
                    portfolio_id: Uuid,
                    id: Uuid,
                ) -> StoreResult<bool> {
                    // The portfolio row first, as every ledger change locks it.
                    let mut tx = self.pool.begin().await?;
                    bump_version(&mut tx, portfolio_id).await?;
                    let done =
                        sqlx::query("DELETE FROM transactions WHERE id = $1 AND portfolio_id = $2")
                            .bind(id)
                            .bind(portfolio_id)
                            .execute(&mut *tx)
                            .await?;
                    if done.rows_affected() == 0 {
                        return Ok(false);
                    }
                    tx.commit().await?;
                    Ok(true)
                }

                async fn lock_ledger(
                    &self,
                    user_id: Uuid,
                    portfolio_id: Uuid,
                    expected_version: i64,
                ) -> StoreResult<LedgerClaim> {
                    let mut tx = self.pool.begin().await?;
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
                        let exists: Option<i64> = sqlx::query_scalar(
                            "SELECT version FROM portfolios WHERE id = $1 AND user_id = $2",
                        )
                        .bind(portfolio_id)
                        .bind(user_id)
                        .fetch_optional(&self.pool)
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

                // --- goals ---------------------------------------------------

                async fn create_goal(&self, goal: &GoalRecord) -> StoreResult<()> {
                    sqlx::query(
                        "INSERT INTO goals (id, user_id, name, target, due_by, \
                         monthly_contribution, expected_return, created_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                    )
                    .bind(goal.id)
                    .bind(goal.user_id)
                    .bind(&goal.name)
                    .bind(&goal.target)
                    .bind(goal.by)
                    .bind(goal.monthly_contribution.as_deref())
                    .bind(goal.expected_return)
                    .bind(micros(goal.created_at))
                    .execute(&self.pool)
                    .await?;
                    Ok(())
                }

                async fn create_goal_capped(
                    &self,
                    goal: &GoalRecord,
                    max: usize,
                ) -> StoreResult<bool> {
                    let mut tx = self.pool.begin().await?;
                    if !lock_user(&mut tx, goal.user_id).await? {
                        return Ok(false);
                    }
                    let count: i64 =
                        sqlx::query_scalar("SELECT COUNT(*) FROM goals WHERE user_id = $1")
                            .bind(goal.user_id)
                            .fetch_one(&mut *tx)
                            .await?;
                    if usize::try_from(count).unwrap_or(usize::MAX) >= max {
                        return Ok(false);
                    }
                    sqlx::query(
                        "INSERT INTO goals (id, user_id, name, target, due_by, \
                         monthly_contribution, expected_return, created_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                    )
                    .bind(goal.id)
                    .bind(goal.user_id)
                    .bind(&goal.name)
                    .bind(&goal.target)
                    .bind(goal.by)
                    .bind(goal.monthly_contribution.as_deref())
                    .bind(goal.expected_return)
                    .bind(micros(goal.created_at))
                    .execute(&mut *tx)
                    .await?;
                    tx.commit().await?;
                    Ok(true)
                }

                async fn goals(&self, user_id: Uuid) -> StoreResult<Vec<GoalRecord>> {
                    let sql = format!(
                        "SELECT {GOAL_COLUMNS} FROM goals WHERE user_id = $1 \
                         ORDER BY created_at, id"
                    );
                    let rows = sqlx::query(&sql)
                        .bind(user_id)
                        .fetch_all(&self.pool)
                        .await?;
                    rows.iter().map(goal_row).collect()
                }

                async fn goal(&self, user_id: Uuid, id: Uuid) -> StoreResult<Option<GoalRecord>> {
                    let sql =
                        format!("SELECT {GOAL_COLUMNS} FROM goals WHERE id = $1 AND user_id = $2");
                    let row = sqlx::query(&sql)
                        .bind(id)
                        .bind(user_id)
                        .fetch_optional(&self.pool)
                        .await?;
                    row.as_ref().map(goal_row).transpose()
                }

                async fn update_goal(
                    &self,
                    user_id: Uuid,
                    id: Uuid,
                    input: &GoalInput,
                ) -> StoreResult<Option<GoalRecord>> {
                    let sql = format!(
                        "UPDATE goals SET name = $3, target = $4, due_by = $5, \
                         monthly_contribution = $6, expected_return = $7 \
                         WHERE id = $1 AND user_id = $2 RETURNING {GOAL_COLUMNS}"
                    );
                    let row = sqlx::query(&sql)
                        .bind(id)
                        .bind(user_id)
                        .bind(&input.name)
                        .bind(&input.target)
                        .bind(input.by)
                        .bind(input.monthly_contribution.as_deref())
                        .bind(input.expected_return)
                        .fetch_optional(&self.pool)
                        .await?;
                    row.as_ref().map(goal_row).transpose()
                }

                async fn delete_goal(&self, user_id: Uuid, id: Uuid) -> StoreResult<bool> {
                    let done = sqlx::query("DELETE FROM goals WHERE id = $1 AND user_id = $2")
                        .bind(id)
                        .bind(user_id)
                        .execute(&self.pool)
                        .await?;
                    Ok(done.rows_affected() > 0)
                }

                // --- prices --------------------------------------------------

                async fn held_symbols(&self) -> StoreResult<Vec<String>> {
                    let mut symbols: Vec<String> = sqlx::query_scalar(
                        "SELECT DISTINCT symbol FROM transactions WHERE symbol IS NOT NULL",
                    )
                    .fetch_all(&self.pool)
                    .await?;
                    symbols.sort();
                    Ok(symbols)
                }

                async fn upsert_last_prices(&self, prices: &[LastPrice]) -> StoreResult<()> {
                    let mut tx = self.pool.begin().await?;
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

                async fn last_prices(&self, symbols: &[String]) -> StoreResult<Vec<LastPrice>> {
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
                    let rows = query.fetch_all(&self.pool).await?;
                    let mut prices = rows
                        .iter()
                        .map(price_row)
                        .collect::<StoreResult<Vec<_>>>()?;
                    prices.sort_by(|a, b| a.symbol.cmp(&b.symbol));
                    Ok(prices)
                }

                async fn upsert_closes(&self, closes: &[DailyClose]) -> StoreResult<()> {
                    let mut tx = self.pool.begin().await?;
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

                async fn closes(
                    &self,
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
                    let rows = query.fetch_all(&self.pool).await?;
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
                    closes
                        .sort_by(|a, b| a.date.cmp(&b.date).then_with(|| a.symbol.cmp(&b.symbol)));
                    Ok(closes)
                }

                // --- usage ---------------------------------------------------

                async fn increment_usage(
                    &self,
                    user_id: Uuid,
                    day: NaiveDate,
                    kind: &str,
                ) -> StoreResult<i64> {
                    let count = sqlx::query_scalar(
                        "INSERT INTO usage_counts (user_id, day, kind, n) VALUES ($1, $2, $3, 1) \
                         ON CONFLICT (user_id, day, kind) DO UPDATE SET n = usage_counts.n + 1 \
                         RETURNING n",
                    )
                    .bind(user_id)
                    .bind(day)
                    .bind(kind)
                    .fetch_one(&self.pool)
                    .await?;
                    Ok(count)
                }

                async fn consume_usage(
                    &self,
                    user_id: Uuid,
                    day: NaiveDate,
                    kind: &str,
                    limit: u32,
                ) -> StoreResult<Option<i64>> {
                    // One statement: the insert of the first event, or the
                    // increment of a count still under the limit (the
                    // conflicting row is locked and the condition checked
                    // against its latest value).
                    let count = sqlx::query_scalar(
                        "INSERT INTO usage_counts (user_id, day, kind, n) \
                         SELECT $1, $2, $3, 1 WHERE $4 > 0 \
                         ON CONFLICT (user_id, day, kind) DO UPDATE SET n = usage_counts.n + 1 \
                         WHERE usage_counts.n < $4 RETURNING n",
                    )
                    .bind(user_id)
                    .bind(day)
                    .bind(kind)
                    .bind(i64::from(limit))
                    .fetch_optional(&self.pool)
                    .await?;
                    Ok(count)
                }

                async fn refund_usage(
                    &self,
                    user_id: Uuid,
                    day: NaiveDate,
                    kind: &str,
                ) -> StoreResult<()> {
                    sqlx::query(
                        "UPDATE usage_counts SET n = n - 1 \
                         WHERE user_id = $1 AND day = $2 AND kind = $3 AND n > 0",
                    )
                    .bind(user_id)
                    .bind(day)
                    .bind(kind)
                    .execute(&self.pool)
                    .await?;
                    Ok(())
                }

                async fn usage(
                    &self,
                    user_id: Uuid,
                    day: NaiveDate,
                ) -> StoreResult<BTreeMap<String, i64>> {
                    let rows = sqlx::query(
                        "SELECT kind, n FROM usage_counts WHERE user_id = $1 AND day = $2",
                    )
                    .bind(user_id)
                    .bind(day)
                    .fetch_all(&self.pool)
                    .await?;
                    rows.iter()
                        .map(|row| Ok((row.try_get("kind")?, row.try_get("n")?)))
                        .collect()
                }

                // --- AI answers ----------------------------------------------

                async fn record_answer(
                    &self,
                    answer_id: Uuid,
                    user_id: Uuid,
                    at: DateTime<Utc>,
                ) -> StoreResult<()> {
                    sqlx::query("INSERT INTO answers (id, user_id, at) VALUES ($1, $2, $3)")
                        .bind(answer_id)
                        .bind(user_id)
                        .bind(micros(at))
                        .execute(&self.pool)
                        .await?;
                    Ok(())
                }

                async fn put_feedback(
                    &self,
                    user_id: Uuid,
                    answer_id: Uuid,
                    kind: &str,
                ) -> StoreResult<bool> {
                    let done = sqlx::query(
                        "INSERT INTO feedback (answer_id, kind) \
                         SELECT id, $3 FROM answers WHERE id = $1 AND user_id = $2 \
                         ON CONFLICT (answer_id) DO UPDATE SET kind = excluded.kind",
                    )
                    .bind(answer_id)
                    .bind(user_id)
                    .bind(kind)
                    .execute(&self.pool)
                    .await?;
                    Ok(done.rows_affected() > 0)
                }

                // --- learning checklist ----------------------------------------

                async fn checklist_done(
                    &self,
                    user_id: Uuid,
                ) -> StoreResult<BTreeMap<String, DateTime<Utc>>> {
                    let rows = sqlx::query(
                        "SELECT item, done_at FROM checklist_done WHERE user_id = $1",
                    )
                    .bind(user_id)
                    .fetch_all(&self.pool)
                    .await?;
                    rows.iter()
                        .map(|row| Ok((row.try_get("item")?, row.try_get("done_at")?)))
                        .collect()
                }

                async fn set_checklist_item(
                    &self,
                    user_id: Uuid,
                    item: &str,
                    done_at: Option<DateTime<Utc>>,
                ) -> StoreResult<bool> {
                    let done = match done_at {
                        Some(at) => {
                            sqlx::query(
                                "INSERT INTO checklist_done (user_id, item, done_at) \
                                 VALUES ($1, $2, $3) ON CONFLICT (user_id, item) DO NOTHING",
                            )
                            .bind(user_id)
                            .bind(item)
                            .bind(micros(at))
                            .execute(&self.pool)
                            .await?
                        }
                        None => {
                            sqlx::query(
                                "DELETE FROM checklist_done WHERE user_id = $1 AND item = $2",
                            )
                            .bind(user_id)
                            .bind(item)
                            .execute(&self.pool)
                            .await?
                        }
                    };
                    Ok(done.rows_affected() > 0)
                }

                async fn cached_summary(
                    &self,
                    portfolio_id: Uuid,
                    day: NaiveDate,
                ) -> StoreResult<Option<serde_json::Value>> {
                    let summary = sqlx::query_scalar(
                        "SELECT summary FROM summaries WHERE portfolio_id = $1 AND day = $2",
                    )
                    .bind(portfolio_id)
                    .bind(day)
                    .fetch_optional(&self.pool)
                    .await?;
                    Ok(summary)
                }

                async fn put_summary(
                    &self,
                    portfolio_id: Uuid,
                    day: NaiveDate,
                    summary: &serde_json::Value,
                ) -> StoreResult<()> {
                    sqlx::query(
                        "INSERT INTO summaries (portfolio_id, day, summary) VALUES ($1, $2, $3) \
                         ON CONFLICT (portfolio_id, day) DO UPDATE SET summary = excluded.summary",
                    )
                    .bind(portfolio_id)
                    .bind(day)
                    .bind(Json(summary))
                    .execute(&self.pool)
                    .await?;
                    Ok(())
                }

                // --- audit ---------------------------------------------------

                async fn audit(&self, entry: &AuditEntry) -> StoreResult<()> {
                    sqlx::query(
                        "INSERT INTO audit_log (at, action, subject, object, detail) \
                         VALUES ($1, $2, $3, $4, $5)",
                    )
                    .bind(micros(entry.at))
                    .bind(entry.action.as_str())
                    .bind(entry.subject)
                    .bind(entry.object.as_deref())
                    .bind(Json(&entry.detail))
                    .execute(&self.pool)
                    .await?;
                    Ok(())
                }

                async fn audit_rows(&self, limit: i64) -> StoreResult<Vec<AuditRow>> {
                    let rows = sqlx::query(
                        "SELECT id, at, action, subject, object, detail FROM audit_log \
                         ORDER BY id DESC LIMIT $1",
                    )
                    .bind(limit.max(0))
                    .fetch_all(&self.pool)
                    .await?;
                    rows.iter().map(audit_row).collect()
                }

                // --- locks ---------------------------------------------------

                async fn lock(&self, name: &str) -> StoreResult<Box<dyn HeldLock>> {
                    self.named_lock(name).await
                }

                // --- jobs ----------------------------------------------------

                async fn try_leader_lock(
                    &self,
                    name: &str,
                ) -> StoreResult<Option<Box<dyn LeaderLock>>> {
                    self.leader_lock(name).await
                }
            }
        }
    };
}
pub(super) use impl_store;
