//! Storage behind one trait, [`Store`], with a SQLite and a PostgreSQL
//! implementation. The same SQL runs on both (numbered `$n` placeholders,
//! `RETURNING`, `ON CONFLICT`): it is written once, in `shared/`, and
//! compiled for each (see [`sql`]); each backend has its own migrations
//! folder.
//!
//! Every method that touches a user's resource takes the owner's id, so a
//! handler cannot read another user's row by guessing its id: the store
//! answers `None` exactly as if the row did not exist.

use std::collections::BTreeMap;

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

pub mod postgres;
mod records;
pub mod sql;
pub mod sqlite;

pub use records::*;

include!(concat!(env!("OUT_DIR"), "/migrations.rs"));

/// The dashboard of a new account (the widgets `PATCH /me` accepts are
/// `crate::routes::me::WIDGETS`).
pub const DEFAULT_DASHBOARD: &[&str] = &[
    "valuation",
    "allocation",
    "performance",
    "nudges",
    "assistant",
    "goals",
    "badges",
    "community",
    "news",
];

/// The web UI's colour themes a user may choose, and a new account's.
pub const THEMES: &[&str] = &["light", "dark", "system"];

/// The theme of a new account: the device's own preference.
pub const DEFAULT_THEME: &str = "system";

/// Migrations embedded in the binary (see `build.rs`), in version order.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Embedded(pub(crate) &'static [(i64, &'static str, &'static str)]);

impl sqlx::migrate::MigrationSource<'static> for Embedded {
    fn resolve(
        self,
    ) -> futures_util::future::BoxFuture<
        'static,
        Result<Vec<sqlx::migrate::Migration>, sqlx::error::BoxDynError>,
    > {
        Box::pin(async move {
            Ok(self
                .0
                .iter()
                .map(|(version, description, sql)| {
                    sqlx::migrate::Migration::new(
                        *version,
                        std::borrow::Cow::Borrowed(*description),
                        sqlx::migrate::MigrationType::Simple,
                        std::borrow::Cow::Borrowed(*sql),
                        false,
                    )
                })
                .collect())
        })
    }
}

/// What a store call can fail with.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A unique constraint refused the write; names what clashed (e.g. `email`).
    #[error("{0} already exists")]
    Conflict(&'static str),
    /// The database refused or could not be reached.
    #[error("database: {0}")]
    Database(sqlx::Error),
    /// The database was too busy to answer in time (SQLite's lock wait ran
    /// out, no pooled connection came free, PostgreSQL broke a deadlock):
    /// worth trying again.
    #[error("database busy: {0}")]
    Busy(String),
    /// The migrations failed.
    #[error("migrations: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// A lock ([`Store::lock`]) was not free within [`LOCK_WAIT`].
    #[error("busy: the lock {0} was not free in time")]
    LockTimeout(String),
    /// A stored value could not be read back (corrupt row).
    #[error("stored value {what}: {reason}")]
    Corrupt {
        /// The column or value.
        what: &'static str,
        /// Why it could not be read.
        reason: String,
    },
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        let busy = match &e {
            sqlx::Error::PoolTimedOut => true,
            sqlx::Error::Database(db) => matches!(
                db.code().as_deref(),
                // SQLite: SQLITE_BUSY and its extended codes, SQLITE_LOCKED;
                // PostgreSQL: deadlock detected, serialization failure,
                // lock not available.
                Some("5" | "261" | "517" | "773" | "6" | "40P01" | "40001" | "55P03")
            ),
            _ => false,
        };
        if busy {
            Self::Busy(e.to_string())
        } else {
            Self::Database(e)
        }
    }
}

/// Result of a store call.
pub type StoreResult<T> = Result<T, StoreError>;

/// Orders transaction rows as the ledger reads them: by date (as a date,
/// so a row stored as `2024-1-5` sorts with `2024-01-05`), then by
/// insertion (`seq`).
pub fn sort_rows(rows: &mut [TransactionRow]) {
    rows.sort_by_cached_key(|r| {
        let date = NaiveDate::parse_from_str(r.record.date.trim(), "%Y-%m-%d").ok();
        (date, r.record.date.clone(), r.seq)
    });
}

/// A user's role: the community's own type (ordered, each role can do what
/// the ones before it can), stored by its name.
pub use auravest_social::Role;

/// The most ratings kept per AI answer: past it, the oldest goes.
pub const MAX_RATINGS_PER_ANSWER: i64 = 20;

/// The longest [`Store::lock`] waits before it fails.
pub const LOCK_WAIT: std::time::Duration = std::time::Duration::from_secs(15);

/// A lock taken with [`Store::lock`]; dropping it releases it.
pub trait HeldLock: Send {}

/// What [`Store::lock_ledger`] found.
pub enum LedgerClaim {
    /// Locked at the expected version.
    Locked(Box<dyn LedgerLock>),
    /// The portfolio has moved on since it was read: read and check again.
    Changed,
    /// No such portfolio for this owner.
    Missing,
}

impl std::fmt::Debug for LedgerClaim {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Locked(_) => "Locked",
            Self::Changed => "Changed",
            Self::Missing => "Missing",
        })
    }
}

/// A portfolio's transactions locked for a change (see
/// [`Store::lock_ledger`]). Writes are seen by no one else until
/// [`LedgerLock::commit`]; dropping the lock without committing discards
/// them.
#[async_trait]
pub trait LedgerLock: Send {
    /// The portfolio, with the version a commit will give it.
    fn portfolio(&self) -> &PortfolioRecord;
    /// Appends rows, returning them with ids and seqs.
    async fn insert(
        &mut self,
        rows: &[auravest_core::TransactionRecord],
    ) -> StoreResult<Vec<TransactionRow>>;
    /// Replaces one row; `None` when it is not in the portfolio.
    async fn update(
        &mut self,
        id: Uuid,
        record: &auravest_core::TransactionRecord,
    ) -> StoreResult<Option<TransactionRow>>;
    /// Deletes one row; false when it is not in the portfolio.
    async fn delete(&mut self, id: Uuid) -> StoreResult<bool>;
    /// Makes the changes visible and releases the lock.
    async fn commit(self: Box<Self>) -> StoreResult<()>;
}

/// A held leader lock; dropping it (or calling `release`) lets another
/// replica take the role.
#[async_trait]
pub trait LeaderLock: Send {
    /// Gives the lock back.
    async fn release(self: Box<Self>) -> StoreResult<()>;
}

/// A store's connection pool, for the parts of the server that keep their
/// own tables in the same database (the community's store).
#[derive(Debug, Clone)]
pub enum SqlPool {
    /// A SQLite database.
    Sqlite(sqlx::SqlitePool),
    /// A PostgreSQL database.
    Postgres(sqlx::PgPool),
}

impl From<sqlx::SqlitePool> for SqlPool {
    fn from(pool: sqlx::SqlitePool) -> Self {
        Self::Sqlite(pool)
    }
}

impl From<sqlx::PgPool> for SqlPool {
    fn from(pool: sqlx::PgPool) -> Self {
        Self::Postgres(pool)
    }
}

/// The server's storage.
#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// `sqlite` or `postgres`.
    fn backend(&self) -> &'static str;
    /// The connection pool (a clone: pools are shared handles).
    fn sql_pool(&self) -> SqlPool;
    /// Runs the migrations.
    async fn migrate(&self) -> StoreResult<()>;
    /// A round trip to the database.
    async fn ping(&self) -> StoreResult<()>;

    // --- users -----------------------------------------------------------
    /// Creates a user, its consent and its audit subject in one transaction.
    /// Fails with `Conflict("email")` or `Conflict("alias")`.
    async fn create_user(&self, user: &UserRecord) -> StoreResult<()>;
    /// A user by id.
    async fn user(&self, id: Uuid) -> StoreResult<Option<UserRecord>>;
    /// A user by the keyed hash of the email.
    async fn user_by_email_hash(&self, email_hash: &str) -> StoreResult<Option<UserRecord>>;
    /// Applies a profile change; `None` when the user does not exist.
    /// Fails with `Conflict("alias")`.
    async fn update_profile(
        &self,
        id: Uuid,
        patch: &ProfilePatch,
    ) -> StoreResult<Option<UserRecord>>;
    /// Claims one login attempt before the password is checked, in one
    /// atomic step: refused while the account is locked; otherwise the
    /// attempt is counted as a failure (a lock that has run out starts the
    /// count afresh) and, when the count reaches `max_failures`, the account
    /// is locked until `lock_until`. A correct password then clears both
    /// with [`Store::clear_login_failures`]. So parallel guesses get at most
    /// `max_failures` password checks per lock period.
    async fn claim_login_attempt(
        &self,
        id: Uuid,
        now: DateTime<Utc>,
        max_failures: u32,
        lock_until: DateTime<Utc>,
    ) -> StoreResult<LoginClaim>;
    /// Clears the failed-login count and lock.
    async fn clear_login_failures(&self, id: Uuid) -> StoreResult<()>;
    /// Sets a role; false when the user does not exist.
    async fn set_role(&self, id: Uuid, role: Role) -> StoreResult<bool>;
    /// Everything stored about a user.
    async fn user_data(&self, id: Uuid) -> StoreResult<Option<UserData>>;
    /// Hard-deletes the user and everything personal (portfolios,
    /// transactions, goals, risk profiles, tokens, usage, feedback, answer
    /// ownership, checklist progress, summary cache and the audit-subject
    /// mapping) in one
    /// transaction. False when the user does not exist.
    async fn delete_user(&self, id: Uuid) -> StoreResult<bool>;

    // --- refresh tokens --------------------------------------------------
    /// Stores a new refresh token.
    async fn insert_refresh(&self, token: &RefreshRecord) -> StoreResult<()>;
    /// Atomically revokes `old_hash` and stores `new` when `old_hash` is live;
    /// revokes the family when it was already used.
    async fn rotate_refresh(
        &self,
        old_hash: &str,
        new: &RefreshRecord,
        now: DateTime<Utc>,
    ) -> StoreResult<Rotation>;
    /// Revokes one token (logout); false when unknown.
    async fn revoke_refresh(&self, token_hash: &str) -> StoreResult<bool>;

    // --- risk ------------------------------------------------------------
    /// Stores a new risk profile (the history keeps the old ones).
    async fn insert_risk(&self, record: &RiskRecord) -> StoreResult<()>;
    /// The current profile.
    async fn latest_risk(&self, user_id: Uuid) -> StoreResult<Option<RiskRecord>>;
    /// Every profile, oldest first.
    async fn risk_history(&self, user_id: Uuid) -> StoreResult<Vec<RiskRecord>>;

    // --- portfolios ------------------------------------------------------
    /// Creates a portfolio. Fails with `Conflict("name")`.
    async fn create_portfolio(&self, p: &PortfolioRecord) -> StoreResult<()>;
    /// Creates a portfolio unless the owner already has `max`: the count and
    /// the insert are one atomic step (the owner's row is locked first).
    /// False when the owner has `max` (or does not exist). Fails with
    /// `Conflict("name")`.
    async fn create_portfolio_capped(&self, p: &PortfolioRecord, max: usize) -> StoreResult<bool>;
    /// The owner's portfolios, oldest first.
    async fn portfolios(&self, user_id: Uuid) -> StoreResult<Vec<PortfolioRecord>>;
    /// One of the owner's portfolios.
    async fn portfolio(&self, user_id: Uuid, id: Uuid) -> StoreResult<Option<PortfolioRecord>>;
    /// Renames; `None` when not the owner's. Fails with `Conflict("name")`.
    async fn rename_portfolio(
        &self,
        user_id: Uuid,
        id: Uuid,
        name: &str,
    ) -> StoreResult<Option<PortfolioRecord>>;
    /// Deletes a portfolio and its transactions; false when not the owner's.
    async fn delete_portfolio(&self, user_id: Uuid, id: Uuid) -> StoreResult<bool>;
    /// The user's own prices of a portfolio's symbols, by symbol.
    async fn own_prices(&self, portfolio_id: Uuid) -> StoreResult<Vec<OwnPriceRow>>;
    /// Sets the own price of one symbol, replacing the one before (one
    /// atomic upsert).
    async fn put_own_price(&self, portfolio_id: Uuid, row: &OwnPriceRow) -> StoreResult<()>;
    /// Removes the own price of one symbol; false when there was none.
    async fn delete_own_price(&self, portfolio_id: Uuid, symbol: &str) -> StoreResult<bool>;
    /// The portfolio's transactions in stored order (date, then seq).
    async fn transactions(&self, portfolio_id: Uuid) -> StoreResult<Vec<TransactionRow>>;
    /// Appends rows in one transaction, returning them with ids and seqs.
    async fn insert_transactions(
        &self,
        portfolio_id: Uuid,
        rows: &[auravest_core::TransactionRecord],
    ) -> StoreResult<Vec<TransactionRow>>;
    /// Replaces one row; `None` when it is not in the portfolio.
    async fn update_transaction(
        &self,
        portfolio_id: Uuid,
        id: Uuid,
        record: &auravest_core::TransactionRecord,
    ) -> StoreResult<Option<TransactionRow>>;
    /// Deletes one row; false when it is not in the portfolio.
    async fn delete_transaction(&self, portfolio_id: Uuid, id: Uuid) -> StoreResult<bool>;
    /// Locks one of the owner's portfolios for a change to its transactions,
    /// if it is still at `expected_version` (the version its ledger was
    /// validated at): until the lock is committed or dropped, every other
    /// change waits (PostgreSQL: the portfolio's row lock; SQLite: the write
    /// lock). So a change validated against version `v` is written only
    /// over version `v`. Committing makes it version `v + 1`.
    async fn lock_ledger(
        &self,
        user_id: Uuid,
        portfolio_id: Uuid,
        expected_version: i64,
    ) -> StoreResult<LedgerClaim>;

    // --- goals -----------------------------------------------------------
    /// Creates a goal.
    async fn create_goal(&self, goal: &GoalRecord) -> StoreResult<()>;
    /// Creates a goal unless the owner already has `max`, in one atomic
    /// step (the owner's row is locked first). False when the owner has
    /// `max` (or does not exist).
    async fn create_goal_capped(&self, goal: &GoalRecord, max: usize) -> StoreResult<bool>;
    /// The owner's goals, oldest first.
    async fn goals(&self, user_id: Uuid) -> StoreResult<Vec<GoalRecord>>;
    /// One of the owner's goals.
    async fn goal(&self, user_id: Uuid, id: Uuid) -> StoreResult<Option<GoalRecord>>;
    /// Replaces a goal's fields; `None` when not the owner's.
    async fn update_goal(
        &self,
        user_id: Uuid,
        id: Uuid,
        input: &GoalInput,
    ) -> StoreResult<Option<GoalRecord>>;
    /// Deletes a goal; false when not the owner's.
    async fn delete_goal(&self, user_id: Uuid, id: Uuid) -> StoreResult<bool>;

    // --- prices ----------------------------------------------------------
    /// Every distinct symbol in any portfolio's transactions, on any
    /// watchlist or in any alert rule, sorted: what the refresher keeps fresh.
    async fn held_symbols(&self) -> StoreResult<Vec<String>>;

    // --- news --------------------------------------------------------------
    /// Stores headlines (a headline seen again is updated).
    async fn upsert_headlines(&self, rows: &[HeadlineRow]) -> StoreResult<()>;
    /// A symbol's headlines since `since_ns` (undated ones by when they
    /// were fetched), newest first, at most `limit`.
    async fn headlines(
        &self,
        symbol: &str,
        since_ns: i64,
        limit: i64,
    ) -> StoreResult<Vec<HeadlineRow>>;
    /// When a symbol's news was last stored.
    async fn last_news_fetch(&self, symbol: &str) -> StoreResult<Option<i64>>;

    // --- watchlists and price alerts -------------------------------------
    /// The user's watched symbols, in symbol order.
    async fn watchlist(&self, user_id: Uuid) -> StoreResult<Vec<WatchRow>>;
    /// Adds a symbol to the watchlist unless the user already watches
    /// `max` (one atomic step; the user's row is locked first). True when
    /// it is on the list now (added, or there already).
    async fn watch_capped(&self, user_id: Uuid, row: &WatchRow, max: usize) -> StoreResult<bool>;
    /// Takes a symbol off the watchlist; false when it was not on it.
    async fn unwatch(&self, user_id: Uuid, symbol: &str) -> StoreResult<bool>;
    /// The user's tier as an operator set it (`None`: the free plan).
    async fn tier(&self, user_id: Uuid) -> StoreResult<Option<String>>;
    /// Sets the user's tier.
    async fn set_tier(&self, user_id: Uuid, tier: &str, since: DateTime<Utc>) -> StoreResult<()>;
    /// Records that the user wants to hear when the paid plan opens; false
    /// when they had asked already (one atomic insert).
    async fn note_plus_interest(&self, user_id: Uuid, at: DateTime<Utc>) -> StoreResult<bool>;
    /// When the user asked to hear about the paid plan.
    async fn plus_interest(&self, user_id: Uuid) -> StoreResult<Option<DateTime<Utc>>>;
    /// The user's alert rules, oldest first.
    async fn alerts(&self, user_id: Uuid) -> StoreResult<Vec<AlertRow>>;
    /// Stores a rule unless the user has `max` (one atomic step). False
    /// when full.
    async fn create_alert_capped(&self, row: &AlertRow, max: usize) -> StoreResult<bool>;
    /// Deletes one of the user's rules; false when not theirs.
    async fn delete_alert(&self, user_id: Uuid, id: Uuid) -> StoreResult<bool>;
    /// Every rule on these symbols (for the refresher).
    async fn alerts_on(&self, symbols: &[String]) -> StoreResult<Vec<AlertRow>>;
    /// Moves a rule from `armed == from` to `to` in one conditional update
    /// (setting `fired_at` when given): true for the one caller that made
    /// the change, so a rule fires once however many check it at once.
    async fn set_alert_armed(
        &self,
        id: Uuid,
        from: bool,
        to: bool,
        fired_at: Option<DateTime<Utc>>,
    ) -> StoreResult<bool>;
    /// Inserts or replaces last prices.
    async fn upsert_last_prices(&self, prices: &[LastPrice]) -> StoreResult<()>;
    /// Last prices of these symbols (missing ones are absent).
    async fn last_prices(&self, symbols: &[String]) -> StoreResult<Vec<LastPrice>>;
    /// Inserts or replaces daily closes.
    async fn upsert_closes(&self, closes: &[DailyClose]) -> StoreResult<()>;
    /// Daily closes of these symbols between the dates (inclusive), by date.
    async fn closes(
        &self,
        symbols: &[String],
        from: Option<NaiveDate>,
        to: Option<NaiveDate>,
    ) -> StoreResult<Vec<DailyClose>>;

    // --- usage -----------------------------------------------------------
    /// Adds one event of `kind` for the user on `day`; returns the new count.
    async fn increment_usage(&self, user_id: Uuid, day: NaiveDate, kind: &str) -> StoreResult<i64>;
    /// Consumes one event of `kind` for the user on `day` unless `limit`
    /// are already used, in one atomic statement; returns the new count, or
    /// `None` when the limit was reached (nothing is counted).
    async fn consume_usage(
        &self,
        user_id: Uuid,
        day: NaiveDate,
        kind: &str,
        limit: u32,
    ) -> StoreResult<Option<i64>>;
    /// Gives back one event consumed by [`Store::consume_usage`] (never
    /// below zero), when what it paid for failed.
    async fn refund_usage(&self, user_id: Uuid, day: NaiveDate, kind: &str) -> StoreResult<()>;
    /// Counts per kind for the user on `day`.
    async fn usage(&self, user_id: Uuid, day: NaiveDate) -> StoreResult<BTreeMap<String, i64>>;

    // --- AI answers ------------------------------------------------------
    /// Records an answer given to a user with the assistant's audit record
    /// (JSON); false when the id is already recorded.
    async fn insert_answer(
        &self,
        answer_id: Uuid,
        user_id: Uuid,
        at: DateTime<Utc>,
        record: &str,
    ) -> StoreResult<bool>;
    /// An answer: who asked, when, and its audit record.
    async fn answer(&self, answer_id: Uuid) -> StoreResult<Option<AnswerRow>>;
    /// Adds a rating of an answer, keeping its latest
    /// [`MAX_RATINGS_PER_ANSWER`] (one atomic step: parallel ratings of one
    /// answer take turns); false when there is no such answer.
    async fn insert_feedback(&self, row: &FeedbackRow) -> StoreResult<bool>;
    /// The ratings of an answer, oldest first.
    async fn feedback(&self, answer_id: Uuid) -> StoreResult<Vec<FeedbackRow>>;
    /// A cached portfolio summary for a day.
    async fn cached_summary(
        &self,
        portfolio_id: Uuid,
        day: NaiveDate,
    ) -> StoreResult<Option<serde_json::Value>>;
    /// Caches a portfolio summary for a day.
    async fn put_summary(
        &self,
        portfolio_id: Uuid,
        day: NaiveDate,
        summary: &serde_json::Value,
    ) -> StoreResult<()>;

    // --- learning checklist ------------------------------------------------
    /// The checklist items the user marked done, with when.
    async fn checklist_done(&self, user_id: Uuid) -> StoreResult<BTreeMap<String, DateTime<Utc>>>;
    /// Marks an item done at `done_at` (an item already done keeps its
    /// first time) or, with `None`, not done. Returns whether anything
    /// changed.
    async fn set_checklist_item(
        &self,
        user_id: Uuid,
        item: &str,
        done_at: Option<DateTime<Utc>>,
    ) -> StoreResult<bool>;

    // --- audit -----------------------------------------------------------
    /// Appends an audit row.
    async fn audit(&self, entry: &AuditEntry) -> StoreResult<()>;
    /// The most recent audit rows, newest first.
    async fn audit_rows(&self, limit: i64) -> StoreResult<Vec<AuditRow>>;

    // --- locks -----------------------------------------------------------
    /// Takes the named lock, shared by every replica (PostgreSQL: an
    /// advisory lock held by a transaction on a connection set aside for
    /// locks; SQLite, which one process serves: a lock in this process),
    /// waiting at most [`LOCK_WAIT`]. Held until the guard is dropped. For
    /// read-check-write sequences that span several statements, such as a
    /// community action whose rules read what they then change.
    async fn lock(&self, name: &str) -> StoreResult<Box<dyn HeldLock>>;

    // --- jobs ------------------------------------------------------------
    /// Tries to become the one replica that runs the price refresher
    /// (a PostgreSQL advisory lock; on SQLite, a lock row with an expiry).
    /// `None` when another replica holds it.
    async fn try_leader_lock(&self, name: &str) -> StoreResult<Option<Box<dyn LeaderLock>>>;
}
