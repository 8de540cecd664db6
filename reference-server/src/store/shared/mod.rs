//! The [`Store`] implementation both SQL stores share, written once and
//! compiled twice: `sqlite.rs` and `postgres.rs` each include this folder as
//! a module (`#[path = "shared/mod.rs"] mod shared;`) after naming, in
//! themselves, what it is compiled against:
//!
//! - `Backend`, the store type (a struct with a `pool` field, and inherent
//!   `named_lock`, `leader_lock` and `after_erase` methods);
//! - `Db`, its sqlx database type;
//! - `NAME`, what [`Store::backend`] answers;
//! - `MIGRATIONS`, its embedded migrations.
//!
//! The SQL is what both databases accept (see [`crate::store::sql`]). Each
//! file here holds one area's statements as plain async functions over the
//! pool (or a transaction); the trait implementation below only routes the
//! calls to them.

use std::collections::BTreeMap;

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

use super::{Backend, Db, MIGRATIONS, NAME};
use crate::store::{
    AlertRow, AnswerRow, AuditEntry, AuditRow, DailyClose, FeedbackRow, GoalInput, GoalRecord,
    HeadlineRow, HeldLock, LastPrice, LeaderLock, LedgerClaim, LoginClaim, OwnPriceRow,
    PortfolioRecord, ProfilePatch, RefreshRecord, RiskRecord, Role, Rotation, Store, StoreResult,
    TransactionRow, UserData, UserRecord, WatchRow,
};
use auravest_core::TransactionRecord;

mod account;
mod alerts;
mod audit;
mod goals;
mod ledger;
mod market;
mod metering;
mod news;
mod plans;
mod portfolios;
mod risk;
mod tokens;
mod users;

/// The store's connection pool.
type Pool = sqlx::Pool<Db>;
/// A row as this database returns it.
type DbRow = <Db as sqlx::Database>::Row;
/// A transaction on the pool.
type Tx = sqlx::Transaction<'static, Db>;

#[async_trait]
impl Store for Backend {
    fn backend(&self) -> &'static str {
        NAME
    }

    fn sql_pool(&self) -> crate::store::SqlPool {
        self.pool.clone().into()
    }

    async fn migrate(&self) -> StoreResult<()> {
        sqlx::migrate::Migrator::new(crate::store::Embedded(MIGRATIONS))
            .await?
            .run(&self.pool)
            .await?;
        Ok(())
    }

    async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    // --- users -----------------------------------------------------------

    async fn create_user(&self, user: &UserRecord) -> StoreResult<()> {
        users::create_user(&self.pool, user).await
    }

    async fn user(&self, id: Uuid) -> StoreResult<Option<UserRecord>> {
        users::load_user(&self.pool, id).await
    }

    async fn user_by_email_hash(&self, email_hash: &str) -> StoreResult<Option<UserRecord>> {
        users::user_by_email_hash(&self.pool, email_hash).await
    }

    async fn update_profile(
        &self,
        id: Uuid,
        patch: &ProfilePatch,
    ) -> StoreResult<Option<UserRecord>> {
        users::update_profile(&self.pool, id, patch).await
    }

    async fn claim_login_attempt(
        &self,
        id: Uuid,
        now: DateTime<Utc>,
        max_failures: u32,
        lock_until: DateTime<Utc>,
    ) -> StoreResult<LoginClaim> {
        users::claim_login_attempt(&self.pool, id, now, max_failures, lock_until).await
    }

    async fn clear_login_failures(&self, id: Uuid) -> StoreResult<()> {
        users::clear_login_failures(&self.pool, id).await
    }

    async fn set_role(&self, id: Uuid, role: Role) -> StoreResult<bool> {
        users::set_role(&self.pool, id, role).await
    }

    async fn user_data(&self, id: Uuid) -> StoreResult<Option<UserData>> {
        account::user_data(&self.pool, id).await
    }

    async fn delete_user(&self, id: Uuid) -> StoreResult<bool> {
        account::delete_user(self, id).await
    }

    // --- refresh tokens --------------------------------------------------

    async fn insert_refresh(&self, token: &RefreshRecord) -> StoreResult<()> {
        tokens::insert_refresh(&self.pool, token).await
    }

    async fn rotate_refresh(
        &self,
        old_hash: &str,
        new: &RefreshRecord,
        now: DateTime<Utc>,
    ) -> StoreResult<Rotation> {
        tokens::rotate_refresh(&self.pool, old_hash, new, now).await
    }

    async fn revoke_refresh(&self, token_hash: &str) -> StoreResult<bool> {
        tokens::revoke_refresh(&self.pool, token_hash).await
    }

    // --- risk ------------------------------------------------------------

    async fn insert_risk(&self, record: &RiskRecord) -> StoreResult<()> {
        risk::insert_risk(&self.pool, record).await
    }

    async fn latest_risk(&self, user_id: Uuid) -> StoreResult<Option<RiskRecord>> {
        risk::latest_risk(&self.pool, user_id).await
    }

    async fn risk_history(&self, user_id: Uuid) -> StoreResult<Vec<RiskRecord>> {
        risk::risk_history(&self.pool, user_id).await
    }

    // --- portfolios ------------------------------------------------------

    async fn create_portfolio(&self, p: &PortfolioRecord) -> StoreResult<()> {
        portfolios::create_portfolio(&self.pool, p).await
    }

    async fn create_portfolio_capped(&self, p: &PortfolioRecord, max: usize) -> StoreResult<bool> {
        portfolios::create_portfolio_capped(&self.pool, p, max).await
    }

    async fn portfolios(&self, user_id: Uuid) -> StoreResult<Vec<PortfolioRecord>> {
        portfolios::portfolios(&self.pool, user_id).await
    }

    async fn portfolio(&self, user_id: Uuid, id: Uuid) -> StoreResult<Option<PortfolioRecord>> {
        portfolios::portfolio(&self.pool, user_id, id).await
    }

    async fn rename_portfolio(
        &self,
        user_id: Uuid,
        id: Uuid,
        name: &str,
    ) -> StoreResult<Option<PortfolioRecord>> {
        portfolios::rename_portfolio(&self.pool, user_id, id, name).await
    }

    async fn delete_portfolio(&self, user_id: Uuid, id: Uuid) -> StoreResult<bool> {
        portfolios::delete_portfolio(&self.pool, user_id, id).await
    }

    async fn own_prices(&self, portfolio_id: Uuid) -> StoreResult<Vec<OwnPriceRow>> {
        portfolios::own_prices(&self.pool, portfolio_id).await
    }

    async fn put_own_price(&self, portfolio_id: Uuid, row: &OwnPriceRow) -> StoreResult<()> {
        portfolios::put_own_price(&self.pool, portfolio_id, row).await
    }

    async fn delete_own_price(&self, portfolio_id: Uuid, symbol: &str) -> StoreResult<bool> {
        portfolios::delete_own_price(&self.pool, portfolio_id, symbol).await
    }

    // --- a portfolio's transactions --------------------------------------

    async fn transactions(&self, portfolio_id: Uuid) -> StoreResult<Vec<TransactionRow>> {
        ledger::transactions(&self.pool, portfolio_id).await
    }

    async fn insert_transactions(
        &self,
        portfolio_id: Uuid,
        rows: &[TransactionRecord],
    ) -> StoreResult<Vec<TransactionRow>> {
        ledger::insert_transactions(&self.pool, portfolio_id, rows).await
    }

    async fn update_transaction(
        &self,
        portfolio_id: Uuid,
        id: Uuid,
        record: &TransactionRecord,
    ) -> StoreResult<Option<TransactionRow>> {
        ledger::update_transaction(&self.pool, portfolio_id, id, record).await
    }

    async fn delete_transaction(&self, portfolio_id: Uuid, id: Uuid) -> StoreResult<bool> {
        ledger::delete_transaction(&self.pool, portfolio_id, id).await
    }

    async fn lock_ledger(
        &self,
        user_id: Uuid,
        portfolio_id: Uuid,
        expected_version: i64,
    ) -> StoreResult<LedgerClaim> {
        ledger::lock_ledger(&self.pool, user_id, portfolio_id, expected_version).await
    }

    // --- goals -----------------------------------------------------------

    async fn create_goal(&self, goal: &GoalRecord) -> StoreResult<()> {
        goals::create_goal(&self.pool, goal).await
    }

    async fn create_goal_capped(&self, goal: &GoalRecord, max: usize) -> StoreResult<bool> {
        goals::create_goal_capped(&self.pool, goal, max).await
    }

    async fn goals(&self, user_id: Uuid) -> StoreResult<Vec<GoalRecord>> {
        goals::goals(&self.pool, user_id).await
    }

    async fn goal(&self, user_id: Uuid, id: Uuid) -> StoreResult<Option<GoalRecord>> {
        goals::goal(&self.pool, user_id, id).await
    }

    async fn update_goal(
        &self,
        user_id: Uuid,
        id: Uuid,
        input: &GoalInput,
    ) -> StoreResult<Option<GoalRecord>> {
        goals::update_goal(&self.pool, user_id, id, input).await
    }

    async fn delete_goal(&self, user_id: Uuid, id: Uuid) -> StoreResult<bool> {
        goals::delete_goal(&self.pool, user_id, id).await
    }

    // --- prices ----------------------------------------------------------

    async fn held_symbols(&self) -> StoreResult<Vec<String>> {
        market::held_symbols(&self.pool).await
    }

    // --- news --------------------------------------------------------------

    async fn upsert_headlines(&self, rows: &[HeadlineRow]) -> StoreResult<()> {
        news::upsert_headlines(&self.pool, rows).await
    }

    async fn headlines(
        &self,
        symbol: &str,
        since_ns: i64,
        limit: i64,
    ) -> StoreResult<Vec<HeadlineRow>> {
        news::headlines(&self.pool, symbol, since_ns, limit).await
    }

    async fn last_news_fetch(&self, symbol: &str) -> StoreResult<Option<i64>> {
        news::last_news_fetch(&self.pool, symbol).await
    }

    // --- watchlists and price alerts -------------------------------------

    async fn watchlist(&self, user_id: Uuid) -> StoreResult<Vec<WatchRow>> {
        alerts::watchlist(&self.pool, user_id).await
    }

    async fn watch_capped(&self, user_id: Uuid, row: &WatchRow, max: usize) -> StoreResult<bool> {
        alerts::watch_capped(&self.pool, user_id, row, max).await
    }

    async fn unwatch(&self, user_id: Uuid, symbol: &str) -> StoreResult<bool> {
        alerts::unwatch(&self.pool, user_id, symbol).await
    }

    async fn tier(&self, user_id: Uuid) -> StoreResult<Option<String>> {
        plans::tier(&self.pool, user_id).await
    }

    async fn set_tier(&self, user_id: Uuid, tier: &str, since: DateTime<Utc>) -> StoreResult<()> {
        plans::set_tier(&self.pool, user_id, tier, since).await
    }

    async fn note_plus_interest(&self, user_id: Uuid, at: DateTime<Utc>) -> StoreResult<bool> {
        plans::note_plus_interest(&self.pool, user_id, at).await
    }

    async fn plus_interest(&self, user_id: Uuid) -> StoreResult<Option<DateTime<Utc>>> {
        plans::plus_interest(&self.pool, user_id).await
    }

    async fn alerts(&self, user_id: Uuid) -> StoreResult<Vec<AlertRow>> {
        alerts::alerts(&self.pool, user_id).await
    }

    async fn create_alert_capped(&self, row: &AlertRow, max: usize) -> StoreResult<bool> {
        alerts::create_alert_capped(&self.pool, row, max).await
    }

    async fn delete_alert(&self, user_id: Uuid, id: Uuid) -> StoreResult<bool> {
        alerts::delete_alert(&self.pool, user_id, id).await
    }

    async fn alerts_on(&self, symbols: &[String]) -> StoreResult<Vec<AlertRow>> {
        alerts::alerts_on(&self.pool, symbols).await
    }

    async fn set_alert_armed(
        &self,
        id: Uuid,
        from: bool,
        to: bool,
        fired_at: Option<DateTime<Utc>>,
    ) -> StoreResult<bool> {
        alerts::set_alert_armed(&self.pool, id, from, to, fired_at).await
    }

    async fn upsert_last_prices(&self, prices: &[LastPrice]) -> StoreResult<()> {
        market::upsert_last_prices(&self.pool, prices).await
    }

    async fn last_prices(&self, symbols: &[String]) -> StoreResult<Vec<LastPrice>> {
        market::last_prices(&self.pool, symbols).await
    }

    async fn upsert_closes(&self, closes: &[DailyClose]) -> StoreResult<()> {
        market::upsert_closes(&self.pool, closes).await
    }

    async fn closes(
        &self,
        symbols: &[String],
        from: Option<NaiveDate>,
        to: Option<NaiveDate>,
    ) -> StoreResult<Vec<DailyClose>> {
        market::closes(&self.pool, symbols, from, to).await
    }

    // --- usage -----------------------------------------------------------

    async fn increment_usage(&self, user_id: Uuid, day: NaiveDate, kind: &str) -> StoreResult<i64> {
        metering::increment_usage(&self.pool, user_id, day, kind).await
    }

    async fn consume_usage(
        &self,
        user_id: Uuid,
        day: NaiveDate,
        kind: &str,
        limit: u32,
    ) -> StoreResult<Option<i64>> {
        metering::consume_usage(&self.pool, user_id, day, kind, limit).await
    }

    async fn refund_usage(&self, user_id: Uuid, day: NaiveDate, kind: &str) -> StoreResult<()> {
        metering::refund_usage(&self.pool, user_id, day, kind).await
    }

    async fn usage(&self, user_id: Uuid, day: NaiveDate) -> StoreResult<BTreeMap<String, i64>> {
        metering::usage(&self.pool, user_id, day).await
    }

    // --- AI answers ------------------------------------------------------

    async fn insert_answer(
        &self,
        answer_id: Uuid,
        user_id: Uuid,
        at: DateTime<Utc>,
        record: &str,
    ) -> StoreResult<bool> {
        metering::insert_answer(&self.pool, answer_id, user_id, at, record).await
    }

    async fn answer(&self, answer_id: Uuid) -> StoreResult<Option<AnswerRow>> {
        metering::answer(&self.pool, answer_id).await
    }

    async fn insert_feedback(&self, row: &FeedbackRow) -> StoreResult<bool> {
        metering::insert_feedback(&self.pool, row).await
    }

    async fn feedback(&self, answer_id: Uuid) -> StoreResult<Vec<FeedbackRow>> {
        metering::feedback(&self.pool, answer_id).await
    }

    async fn cached_summary(
        &self,
        portfolio_id: Uuid,
        day: NaiveDate,
    ) -> StoreResult<Option<serde_json::Value>> {
        metering::cached_summary(&self.pool, portfolio_id, day).await
    }

    async fn put_summary(
        &self,
        portfolio_id: Uuid,
        day: NaiveDate,
        summary: &serde_json::Value,
    ) -> StoreResult<()> {
        metering::put_summary(&self.pool, portfolio_id, day, summary).await
    }

    // --- learning checklist ----------------------------------------------

    async fn checklist_done(&self, user_id: Uuid) -> StoreResult<BTreeMap<String, DateTime<Utc>>> {
        metering::checklist_done(&self.pool, user_id).await
    }

    async fn set_checklist_item(
        &self,
        user_id: Uuid,
        item: &str,
        done_at: Option<DateTime<Utc>>,
    ) -> StoreResult<bool> {
        metering::set_checklist_item(&self.pool, user_id, item, done_at).await
    }

    // --- audit -----------------------------------------------------------

    async fn audit(&self, entry: &AuditEntry) -> StoreResult<()> {
        audit::audit(&self.pool, entry).await
    }

    async fn audit_rows(&self, limit: i64) -> StoreResult<Vec<AuditRow>> {
        audit::audit_rows(&self.pool, limit).await
    }

    // --- locks -----------------------------------------------------------

    async fn lock(&self, name: &str) -> StoreResult<Box<dyn HeldLock>> {
        self.named_lock(name).await
    }

    // --- jobs ------------------------------------------------------------

    async fn try_leader_lock(&self, name: &str) -> StoreResult<Option<Box<dyn LeaderLock>>> {
        self.leader_lock(name).await
    }
}
