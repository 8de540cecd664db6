//! The store conformance suite: every test is written once against a
//! [`Db`] and `conformance!` runs it on SQLite (a temporary file) and on
//! PostgreSQL (a database of its own, created on the server `DATABASE_URL`
//! names and dropped afterwards).
//!
//! Without `DATABASE_URL` the PostgreSQL runs print a note and pass, except
//! under `CI=true`, where they fail: a skipped check cannot fail.
//!
//! Other test modules open stores with [`sqlite_store`] and
//! [`postgres_store`].

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use auravest_core::TransactionRecord;
use auravest_reference_server::store::postgres::PostgresStore;
use auravest_reference_server::store::sql::connect_url;
use auravest_reference_server::store::sqlite::SqliteStore;
use auravest_reference_server::store::{
    AuditAction, AuditEntry, DailyClose, FeedbackRow, GoalInput, GoalRecord, LastPrice,
    LedgerClaim, LoginClaim, PortfolioRecord, ProfilePatch, RefreshRecord, RiskRecord, Role,
    Rotation, Store, StoreError, UserRecord,
};
use chrono::{DateTime, NaiveDate, SubsecRound, TimeDelta, Utc};
use serde_json::json;

use crate::support::TestDatabase;
use sqlx::{PgPool, SqlitePool};
use tempfile::TempDir;
use uuid::Uuid;

// --- test databases ------------------------------------------------------

/// Keeps a test database alive: the temporary folder of a SQLite file, or
/// the PostgreSQL database, dropped (`WITH (FORCE)`) when the guard goes.
pub(crate) struct Guard {
    _dir: Option<TempDir>,
    _database: Option<TestDatabase>,
}

/// A migrated store on a fresh SQLite file (in a folder that does not exist
/// yet, so opening it also creates the folder).
pub(crate) async fn sqlite_store() -> (Arc<dyn Store>, Guard) {
    let (db, guard) = sqlite_db().await;
    (db.store, guard)
}

/// A migrated store on a fresh PostgreSQL database, or `None` (after a note
/// on stderr) when `DATABASE_URL` is unset.
///
/// # Panics
///
/// When `DATABASE_URL` is unset under `CI=true`, or the server refuses.
pub(crate) async fn postgres_store() -> Option<(Arc<dyn Store>, Guard)> {
    let (db, guard) = postgres_db().await?;
    Some((db.store, guard))
}

/// A store under test, with raw access to its database and its URL.
struct Db {
    store: Arc<dyn Store>,
    raw: Raw,
    url: String,
}

/// The pool under a store, for SQL the `Store` trait does not offer.
enum Raw {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

impl Raw {
    /// Runs a statement; the rows it changed.
    async fn execute(&self, sql: &str) -> Result<u64, sqlx::Error> {
        match self {
            Self::Sqlite(pool) => sqlx::query(sql)
                .execute(pool)
                .await
                .map(|d| d.rows_affected()),
            Self::Postgres(pool) => sqlx::query(sql)
                .execute(pool)
                .await
                .map(|d| d.rows_affected()),
        }
    }

    /// `SELECT COUNT(*) FROM table WHERE column = id`.
    async fn count(&self, table: &str, column: &str, id: Uuid) -> i64 {
        let sql = format!("SELECT COUNT(*) FROM {table} WHERE {column} = $1");
        let count = match self {
            Self::Sqlite(pool) => sqlx::query_scalar(&sql).bind(id).fetch_one(pool).await,
            Self::Postgres(pool) => sqlx::query_scalar(&sql).bind(id).fetch_one(pool).await,
        };
        count.unwrap_or_else(|e| panic!("{sql}: {e}"))
    }

    /// `SELECT COUNT(*) FROM table`.
    async fn count_all(&self, table: &str) -> i64 {
        let sql = format!("SELECT COUNT(*) FROM {table}");
        let count = match self {
            Self::Sqlite(pool) => sqlx::query_scalar(&sql).fetch_one(pool).await,
            Self::Postgres(pool) => sqlx::query_scalar(&sql).fetch_one(pool).await,
        };
        count.unwrap_or_else(|e| panic!("{sql}: {e}"))
    }
}

async fn sqlite_db() -> (Db, Guard) {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let url = format!(
        "sqlite://{}",
        dir.path().join("data").join("auravest.db").display()
    );
    let store = SqliteStore::connect(&url)
        .await
        .expect("open the SQLite store");
    store.migrate().await.expect("migrate SQLite");
    let raw = Raw::Sqlite(store.pool().clone());
    let db = Db {
        store: Arc::new(store),
        raw,
        url,
    };
    (
        db,
        Guard {
            _dir: Some(dir),
            _database: None,
        },
    )
}

async fn postgres_db() -> Option<(Db, Guard)> {
    let database = TestDatabase::create("store").await?;
    let url = database.url.clone();
    // From here on, a panic drops the database with the guard.
    let guard = Guard {
        _dir: None,
        _database: Some(database),
    };
    let store = PostgresStore::connect(&url)
        .await
        .expect("open the PostgreSQL store");
    store.migrate().await.expect("migrate PostgreSQL");
    let raw = Raw::Postgres(store.pool().clone());
    Some((
        Db {
            store: Arc::new(store),
            raw,
            url,
        },
        guard,
    ))
}

/// Writes a `#[tokio::test]` per backend for each conformance test:
/// `store::sqlite::<name>` and `store::postgres::<name>`.
macro_rules! conformance {
    ($($test:ident),+ $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test]
                async fn $test() {
                    let (db, guard) = super::sqlite_db().await;
                    super::$test(&db).await;
                    drop(db);
                    drop(guard);
                }
            )+
        }

        mod postgres {
            $(
                #[tokio::test]
                async fn $test() {
                    let Some((db, guard)) = super::postgres_db().await else {
                        return;
                    };
                    super::$test(&db).await;
                    drop(db);
                    drop(guard);
                }
            )+
        }
    };
}

conformance!(
    own_prices_upsert_scope_and_go_with_the_portfolio,
    migrations_are_idempotent,
    users_create_and_lookup,
    user_conflicts_store_nothing,
    profile_patch,
    login_failures_and_lock,
    ledger_lock,
    usage_quota,
    capped_creations,
    named_lock_exclusive,
    roles,
    refresh_rotation,
    refresh_reuse_revokes_family,
    refresh_expired_unknown_and_revoked,
    risk_history_in_order,
    portfolios_crud,
    portfolios_are_scoped_to_their_owner,
    transactions_in_order,
    transactions_scoped_to_portfolio,
    delete_portfolio_takes_its_rows,
    goals_crud_scoped,
    last_prices_upsert,
    closes_range,
    held_symbols_sorted_distinct,
    usage_counts,
    answers_and_their_feedback,
    checklist_progress,
    summaries_cache,
    audit_append_and_read,
    audit_log_refuses_update_and_delete,
    user_data_exports_everything,
    delete_user_removes_personal_rows,
    leader_lock_exclusive,
    leader_lock_across_stores,
    leader_lock_freed_on_drop,
    bad_input_is_an_error,
);

// --- fixtures ------------------------------------------------------------

/// Now, as the stores keep it (whole microseconds).
fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

fn day(s: &str) -> NaiveDate {
    s.parse().expect("a date")
}

fn user(tag: &str) -> UserRecord {
    UserRecord {
        id: Uuid::new_v4(),
        email_hash: format!("email-hash-{tag}"),
        email_enc: vec![0, 1, 2, 254, 255],
        password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".to_owned(),
        role: Role::User,
        alias: format!("alias-{tag}"),
        display_mode: "percent".to_owned(),
        share_performance: false,
        count_holdings: false,
        theme: "system".to_owned(),
        dashboard: vec!["allocation".to_owned(), "performance".to_owned()],
        terms_version: "2025-01".to_owned(),
        terms_accepted_at: now(),
        failed_logins: 0,
        locked_until: None,
        audit_subject: Uuid::new_v4(),
        created_at: now(),
    }
}

async fn stored_user(db: &Db, tag: &str) -> UserRecord {
    let u = user(tag);
    db.store.create_user(&u).await.expect("create user");
    u
}

fn portfolio(owner: Uuid, name: &str) -> PortfolioRecord {
    PortfolioRecord {
        id: Uuid::new_v4(),
        user_id: owner,
        name: name.to_owned(),
        currency: "EUR".to_owned(),
        created_at: now(),
        version: 0,
    }
}

async fn stored_portfolio(db: &Db, owner: Uuid, name: &str) -> PortfolioRecord {
    let p = portfolio(owner, name);
    db.store
        .create_portfolio(&p)
        .await
        .expect("create portfolio");
    p
}

fn buy(date: &str, symbol: &str, quantity: &str) -> TransactionRecord {
    TransactionRecord {
        date: date.to_owned(),
        kind: "buy".to_owned(),
        symbol: Some(symbol.to_owned()),
        quantity: Some(quantity.to_owned()),
        price: Some("101.2500".to_owned()),
        fee: None,
        currency: "EUR".to_owned(),
    }
}

fn deposit(date: &str, amount: &str) -> TransactionRecord {
    TransactionRecord {
        date: date.to_owned(),
        kind: "deposit".to_owned(),
        symbol: None,
        quantity: None,
        price: Some(amount.to_owned()),
        fee: Some("0".to_owned()),
        currency: "EUR".to_owned(),
    }
}

fn refresh(user_id: Uuid, hash: &str, family: Uuid, expires_at: DateTime<Utc>) -> RefreshRecord {
    RefreshRecord {
        token_hash: hash.to_owned(),
        user_id,
        family,
        expires_at,
    }
}

fn goal(owner: Uuid, name: &str) -> GoalRecord {
    GoalRecord {
        id: Uuid::new_v4(),
        user_id: owner,
        name: name.to_owned(),
        target: "25000.00".to_owned(),
        by: Some(day("2030-06-30")),
        monthly_contribution: Some("300".to_owned()),
        expected_return: Some(0.05),
        created_at: now(),
    }
}

fn audit_entry(action: AuditAction, subject: Option<Uuid>, n: i64) -> AuditEntry {
    AuditEntry {
        at: now(),
        action,
        subject,
        object: Some(format!("object-{n}")),
        detail: json!({ "n": n }),
    }
}

fn assert_conflict<T: std::fmt::Debug>(result: Result<T, StoreError>, what: &str) {
    match result {
        Err(StoreError::Conflict(found)) => assert_eq!(found, what),
        other => panic!("expected Conflict({what}), got {other:?}"),
    }
}

// --- migrations ----------------------------------------------------------

async fn migrations_are_idempotent(db: &Db) {
    db.store.migrate().await.expect("a second migrate");
    db.store.migrate().await.expect("a third migrate");
    db.store.ping().await.expect("ping");
    let expected = match db.raw {
        Raw::Sqlite(_) => "sqlite",
        Raw::Postgres(_) => "postgres",
    };
    assert_eq!(db.store.backend(), expected);
}

// --- users ---------------------------------------------------------------

async fn users_create_and_lookup(db: &Db) {
    let u = stored_user(db, "a").await;
    assert_eq!(db.store.user(u.id).await.unwrap(), Some(u.clone()));
    assert_eq!(
        db.store.user_by_email_hash(&u.email_hash).await.unwrap(),
        Some(u.clone())
    );
    assert_eq!(db.store.user(Uuid::new_v4()).await.unwrap(), None);
    assert_eq!(db.store.user_by_email_hash("nobody").await.unwrap(), None);
    // The consent and the audit subject were written with the user.
    assert_eq!(db.raw.count("consents", "user_id", u.id).await, 1);
    assert_eq!(db.raw.count("audit_subjects", "user_id", u.id).await, 1);
}

async fn user_conflicts_store_nothing(db: &Db) {
    let first = stored_user(db, "a").await;

    let mut same_email = user("b");
    same_email.email_hash.clone_from(&first.email_hash);
    assert_conflict(db.store.create_user(&same_email).await, "email");

    let mut same_alias = user("c");
    same_alias.alias.clone_from(&first.alias);
    assert_conflict(db.store.create_user(&same_alias).await, "alias");

    for refused in [&same_email, &same_alias] {
        assert_eq!(db.store.user(refused.id).await.unwrap(), None);
        assert_eq!(db.raw.count("consents", "user_id", refused.id).await, 0);
        assert_eq!(
            db.raw.count("audit_subjects", "user_id", refused.id).await,
            0
        );
    }
    assert_eq!(db.raw.count_all("users").await, 1);
    assert_eq!(db.raw.count_all("consents").await, 1);
    assert_eq!(db.raw.count_all("audit_subjects").await, 1);
}

async fn profile_patch(db: &Db) {
    let u = stored_user(db, "a").await;
    let other = stored_user(db, "b").await;

    let unchanged = db
        .store
        .update_profile(u.id, &ProfilePatch::default())
        .await
        .unwrap();
    assert_eq!(unchanged, Some(u.clone()));

    let patch = ProfilePatch {
        alias: Some("new-alias".to_owned()),
        display_mode: None,
        share_performance: Some(true),
        count_holdings: Some(true),
        theme: Some("dark".to_owned()),
        dashboard: Some(vec!["goals".to_owned()]),
    };
    let updated = db
        .store
        .update_profile(u.id, &patch)
        .await
        .unwrap()
        .expect("the user");
    let expected = UserRecord {
        alias: "new-alias".to_owned(),
        share_performance: true,
        count_holdings: true,
        theme: "dark".to_owned(),
        dashboard: vec!["goals".to_owned()],
        ..u.clone()
    };
    assert_eq!(updated, expected);
    assert_eq!(db.store.user(u.id).await.unwrap(), Some(expected.clone()));

    let display = ProfilePatch {
        display_mode: Some("hidden".to_owned()),
        ..ProfilePatch::default()
    };
    let updated = db
        .store
        .update_profile(u.id, &display)
        .await
        .unwrap()
        .expect("the user");
    assert_eq!(updated.display_mode, "hidden");
    assert_eq!(updated.alias, "new-alias");
    assert_eq!(updated.theme, "dark", "a patch without a theme keeps it");

    // The table holds only the known themes, whoever writes to it.
    let neon = ProfilePatch {
        theme: Some("neon".to_owned()),
        ..ProfilePatch::default()
    };
    assert!(db.store.update_profile(u.id, &neon).await.is_err());
    assert_eq!(
        db.store.user(u.id).await.unwrap().expect("the user").theme,
        "dark"
    );

    let taken = ProfilePatch {
        alias: Some(other.alias.clone()),
        ..ProfilePatch::default()
    };
    assert_conflict(db.store.update_profile(u.id, &taken).await, "alias");
    assert_eq!(
        db.store.user(u.id).await.unwrap().expect("the user").alias,
        "new-alias"
    );

    assert_eq!(
        db.store
            .update_profile(Uuid::new_v4(), &patch)
            .await
            .unwrap(),
        None
    );
}

async fn login_failures_and_lock(db: &Db) {
    let u = stored_user(db, "a").await;
    let t0 = now();
    let until = t0 + TimeDelta::minutes(15);
    let claim = |at, max| db.store.claim_login_attempt(u.id, at, max, until);
    assert_eq!(
        claim(t0, 3).await.unwrap(),
        LoginClaim::Claimed {
            attempt: 1,
            locked: false
        }
    );
    assert_eq!(
        claim(t0, 3).await.unwrap(),
        LoginClaim::Claimed {
            attempt: 2,
            locked: false
        }
    );
    // The third reaches the limit: it may still check its password, and
    // the account is locked from now on.
    assert_eq!(
        claim(t0, 3).await.unwrap(),
        LoginClaim::Claimed {
            attempt: 3,
            locked: true
        }
    );
    let stored = db.store.user(u.id).await.unwrap().expect("the user");
    assert_eq!(
        (stored.failed_logins, stored.locked_until),
        (3, Some(until))
    );
    // While locked nothing is counted.
    assert_eq!(claim(t0, 3).await.unwrap(), LoginClaim::Locked { until });
    let stored = db.store.user(u.id).await.unwrap().expect("the user");
    assert_eq!(stored.failed_logins, 3, "a refused attempt is not counted");
    // Once the lock has run out, counting starts afresh.
    let later = until + TimeDelta::seconds(1);
    assert_eq!(
        claim(later, 3).await.unwrap(),
        LoginClaim::Claimed {
            attempt: 1,
            locked: false
        }
    );
    db.store.clear_login_failures(u.id).await.unwrap();
    let stored = db.store.user(u.id).await.unwrap().expect("the user");
    assert_eq!((stored.failed_logins, stored.locked_until), (0, None));
    assert_eq!(
        db.store
            .claim_login_attempt(Uuid::new_v4(), t0, 3, until)
            .await
            .unwrap(),
        LoginClaim::NoUser
    );
}

/// The ledger lock: taken only at the version the caller checked, changes
/// seen by no one until the commit (which bumps the version), nothing kept
/// when it is dropped, and a second lock of the portfolio waiting for the
/// first.
async fn ledger_lock(db: &Db) {
    let u = stored_user(db, "a").await;
    let p = stored_portfolio(db, u.id, "Main").await;
    assert_eq!(p.version, 0);
    db.store
        .insert_transactions(p.id, &[buy("2024-01-02", "AAPL", "1")])
        .await
        .unwrap();
    let v1 = db
        .store
        .portfolio(u.id, p.id)
        .await
        .unwrap()
        .unwrap()
        .version;
    assert_eq!(v1, 1, "inserting bumps the version");
    let claim = |user, version| db.store.lock_ledger(user, p.id, version);
    assert!(matches!(
        claim(Uuid::new_v4(), v1).await.unwrap(),
        LedgerClaim::Missing
    ));
    assert!(matches!(
        claim(u.id, v1 - 1).await.unwrap(),
        LedgerClaim::Changed
    ));
    // Dropped without a commit: nothing changes.
    let LedgerClaim::Locked(mut lock) = claim(u.id, v1).await.unwrap() else {
        panic!("the portfolio is at {v1}");
    };
    assert_eq!(lock.portfolio().version, v1 + 1);
    lock.insert(&[buy("2024-01-03", "MSFT", "2")])
        .await
        .unwrap();
    drop(lock);
    assert_eq!(db.store.transactions(p.id).await.unwrap().len(), 1);
    assert_eq!(
        db.store
            .portfolio(u.id, p.id)
            .await
            .unwrap()
            .unwrap()
            .version,
        v1
    );
    // Committed: insert, update and delete land together.
    let first = db.store.transactions(p.id).await.unwrap()[0].clone();
    let LedgerClaim::Locked(mut lock) = claim(u.id, v1).await.unwrap() else {
        panic!("the portfolio is at {v1}");
    };
    let rows: Vec<_> = (0..250)
        .map(|i| buy("2024-01-03", "MSFT", &format!("{}", i + 1)))
        .collect();
    let added = lock.insert(&rows).await.unwrap();
    assert_eq!(added.len(), 250, "batched inserts keep every row");
    assert!(added[0].seq > first.seq);
    assert!(added.windows(2).all(|w| w[0].seq + 1 == w[1].seq));
    let changed = lock
        .update(first.id, &buy("2024-01-02", "AAPL", "5"))
        .await
        .unwrap()
        .expect("the row");
    assert_eq!(changed.record.quantity.as_deref(), Some("5"));
    assert!(lock.delete(added[0].id).await.unwrap());
    assert!(!lock.delete(Uuid::new_v4()).await.unwrap());
    // Another lock at the same version waits for this one, then finds the
    // portfolio changed.
    let store = Arc::clone(&db.store);
    let (uid, pid) = (u.id, p.id);
    let (started_tx, started) = tokio::sync::oneshot::channel();
    let second = tokio::spawn(async move {
        started_tx.send(()).ok();
        matches!(
            store.lock_ledger(uid, pid, v1).await.unwrap(),
            LedgerClaim::Changed
        )
    });
    started.await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        !second.is_finished(),
        "a second lock must wait for the first"
    );
    lock.commit().await.unwrap();
    assert!(second.await.unwrap(), "the second finds the first's commit");
    let stored = db.store.transactions(p.id).await.unwrap();
    assert_eq!(stored.len(), 250);
    assert_eq!(
        db.store
            .portfolio(u.id, p.id)
            .await
            .unwrap()
            .unwrap()
            .version,
        v1 + 1
    );
}

/// Quotas consumed in one step: never past the limit, refunds never below
/// zero, a limit of zero refuses the first.
async fn usage_quota(db: &Db) {
    let u = stored_user(db, "a").await;
    let d = day("2025-03-04");
    for n in 1..=3 {
        assert_eq!(
            db.store
                .consume_usage(u.id, d, "ai_question", 3)
                .await
                .unwrap(),
            Some(n)
        );
    }
    assert_eq!(
        db.store
            .consume_usage(u.id, d, "ai_question", 3)
            .await
            .unwrap(),
        None
    );
    assert_eq!(db.store.usage(u.id, d).await.unwrap()["ai_question"], 3);
    db.store.refund_usage(u.id, d, "ai_question").await.unwrap();
    assert_eq!(
        db.store
            .consume_usage(u.id, d, "ai_question", 3)
            .await
            .unwrap(),
        Some(3)
    );
    assert_eq!(
        db.store
            .consume_usage(u.id, d, "ai_summary", 0)
            .await
            .unwrap(),
        None
    );
    db.store.refund_usage(u.id, d, "ai_summary").await.unwrap();
    assert!(
        !db.store
            .usage(u.id, d)
            .await
            .unwrap()
            .contains_key("ai_summary")
    );
}

/// Capped creations: the count and the insert are one step.
async fn capped_creations(db: &Db) {
    let u = stored_user(db, "a").await;
    for i in 0..2 {
        assert!(
            db.store
                .create_goal_capped(&goal(u.id, &format!("G{i}")), 2)
                .await
                .unwrap()
        );
        assert!(
            db.store
                .create_portfolio_capped(&portfolio(u.id, &format!("P{i}")), 2)
                .await
                .unwrap()
        );
    }
    assert!(
        !db.store
            .create_goal_capped(&goal(u.id, "G2"), 2)
            .await
            .unwrap()
    );
    assert!(
        !db.store
            .create_portfolio_capped(&portfolio(u.id, "P2"), 2)
            .await
            .unwrap()
    );
    assert_eq!(db.store.goals(u.id).await.unwrap().len(), 2);
    assert_eq!(db.store.portfolios(u.id).await.unwrap().len(), 2);
    let name_taken = db
        .store
        .create_portfolio_capped(&portfolio(u.id, "P0"), 10)
        .await;
    assert!(matches!(name_taken, Err(StoreError::Conflict("name"))));
    assert!(
        !db.store
            .create_goal_capped(&goal(Uuid::new_v4(), "Nobody's"), 2)
            .await
            .unwrap()
    );
}

/// A named lock is held by one caller at a time.
async fn named_lock_exclusive(db: &Db) {
    let held = db.store.lock("community").await.unwrap();
    let store = Arc::clone(&db.store);
    let (started_tx, started) = tokio::sync::oneshot::channel();
    let waiter = tokio::spawn(async move {
        started_tx.send(()).ok();
        let _second = store.lock("community").await.unwrap();
    });
    started.await.unwrap();
    let other = db.store.lock("another").await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!waiter.is_finished(), "the second holder must wait");
    drop(held);
    tokio::time::timeout(Duration::from_secs(5), waiter)
        .await
        .expect("the lock is free once dropped")
        .unwrap();
    drop(other);
}

async fn roles(db: &Db) {
    let u = stored_user(db, "a").await;
    assert!(db.store.set_role(u.id, Role::Moderator).await.unwrap());
    assert_eq!(
        db.store.user(u.id).await.unwrap().expect("the user").role,
        Role::Moderator
    );
    assert!(db.store.set_role(u.id, Role::Admin).await.unwrap());
    assert_eq!(
        db.store.user(u.id).await.unwrap().expect("the user").role,
        Role::Admin
    );
    assert!(
        !db.store
            .set_role(Uuid::new_v4(), Role::Admin)
            .await
            .unwrap()
    );
}

// --- refresh tokens ------------------------------------------------------

async fn refresh_rotation(db: &Db) {
    let u = stored_user(db, "a").await;
    let family = Uuid::new_v4();
    let later = now() + TimeDelta::days(30);
    db.store
        .insert_refresh(&refresh(u.id, "t1", family, later))
        .await
        .unwrap();

    // The new token joins the old one's family whatever the caller sent.
    let next = refresh(u.id, "t2", Uuid::new_v4(), later);
    let rotated = db.store.rotate_refresh("t1", &next, now()).await.unwrap();
    assert_eq!(rotated, Rotation::Rotated { user_id: u.id });
    assert_eq!(db.raw.count("refresh_tokens", "family", family).await, 2);

    let again = refresh(u.id, "t3", family, later);
    assert_eq!(
        db.store.rotate_refresh("t2", &again, now()).await.unwrap(),
        Rotation::Rotated { user_id: u.id }
    );
}

async fn refresh_reuse_revokes_family(db: &Db) {
    let u = stored_user(db, "a").await;
    let family = Uuid::new_v4();
    let later = now() + TimeDelta::days(30);
    db.store
        .insert_refresh(&refresh(u.id, "t1", family, later))
        .await
        .unwrap();
    let rotated = db
        .store
        .rotate_refresh("t1", &refresh(u.id, "t2", family, later), now())
        .await
        .unwrap();
    assert_eq!(rotated, Rotation::Rotated { user_id: u.id });

    // An unrelated login of the same user is a family of its own.
    let other_family = Uuid::new_v4();
    db.store
        .insert_refresh(&refresh(u.id, "o1", other_family, later))
        .await
        .unwrap();

    // t1 was rotated already: presenting it again revokes the family, so
    // the live t2 no longer rotates either.
    let reused = db
        .store
        .rotate_refresh("t1", &refresh(u.id, "t3", family, later), now())
        .await
        .unwrap();
    assert_eq!(reused, Rotation::Reused);
    let after = db
        .store
        .rotate_refresh("t2", &refresh(u.id, "t4", family, later), now())
        .await
        .unwrap();
    assert_eq!(after, Rotation::Reused);
    assert_eq!(db.raw.count("refresh_tokens", "family", family).await, 2);

    let untouched = db
        .store
        .rotate_refresh("o1", &refresh(u.id, "o2", other_family, later), now())
        .await;
    assert_eq!(untouched.unwrap(), Rotation::Rotated { user_id: u.id });
}

async fn refresh_expired_unknown_and_revoked(db: &Db) {
    let u = stored_user(db, "a").await;
    let family = Uuid::new_v4();
    let later = now() + TimeDelta::days(30);
    let past = now() - TimeDelta::seconds(1);

    db.store
        .insert_refresh(&refresh(u.id, "old", family, past))
        .await
        .unwrap();
    let next = refresh(u.id, "new", family, later);
    assert_eq!(
        db.store.rotate_refresh("old", &next, now()).await.unwrap(),
        Rotation::Invalid
    );
    assert_eq!(db.raw.count("refresh_tokens", "family", family).await, 1);
    assert_eq!(
        db.store
            .rotate_refresh("unknown", &next, now())
            .await
            .unwrap(),
        Rotation::Invalid
    );

    let family = Uuid::new_v4();
    db.store
        .insert_refresh(&refresh(u.id, "live", family, later))
        .await
        .unwrap();
    assert!(db.store.revoke_refresh("live").await.unwrap());
    assert!(!db.store.revoke_refresh("unknown").await.unwrap());
    let next = refresh(u.id, "after-logout", family, later);
    assert_eq!(
        db.store.rotate_refresh("live", &next, now()).await.unwrap(),
        Rotation::Reused
    );
}

// --- risk ----------------------------------------------------------------

async fn risk_history_in_order(db: &Db) {
    let u = stored_user(db, "a").await;
    let other = stored_user(db, "b").await;
    let base = now();
    let record = |hours: i64, level: i64| RiskRecord {
        id: Uuid::new_v4(),
        user_id: u.id,
        answers: json!({ "horizon": 10, "loss": "hold" }),
        profile: json!({ "level": level, "score": 0.5 }),
        created_at: base - TimeDelta::hours(hours),
    };
    let (old, middle, new) = (record(2, 1), record(1, 2), record(0, 3));
    assert_eq!(db.store.latest_risk(u.id).await.unwrap(), None);
    for r in [&middle, &new, &old] {
        db.store.insert_risk(r).await.unwrap();
    }
    assert_eq!(
        db.store.risk_history(u.id).await.unwrap(),
        vec![old, middle, new.clone()]
    );
    assert_eq!(db.store.latest_risk(u.id).await.unwrap(), Some(new));
    assert_eq!(db.store.risk_history(other.id).await.unwrap(), Vec::new());
    assert_eq!(db.store.latest_risk(other.id).await.unwrap(), None);
}

// --- portfolios ----------------------------------------------------------

async fn portfolios_crud(db: &Db) {
    let u = stored_user(db, "a").await;
    let mut first = portfolio(u.id, "Main");
    first.created_at = now() - TimeDelta::minutes(1);
    db.store.create_portfolio(&first).await.unwrap();
    let second = stored_portfolio(db, u.id, "Pension").await;
    assert_eq!(
        db.store.portfolios(u.id).await.unwrap(),
        vec![first.clone(), second.clone()]
    );
    assert_eq!(
        db.store.portfolio(u.id, first.id).await.unwrap(),
        Some(first.clone())
    );

    assert_conflict(
        db.store.create_portfolio(&portfolio(u.id, "Main")).await,
        "name",
    );
    assert_conflict(
        db.store.rename_portfolio(u.id, second.id, "Main").await,
        "name",
    );

    let renamed = db
        .store
        .rename_portfolio(u.id, first.id, "Growth")
        .await
        .unwrap();
    let expected = PortfolioRecord {
        name: "Growth".to_owned(),
        ..first.clone()
    };
    assert_eq!(renamed, Some(expected.clone()));
    assert_eq!(
        db.store.portfolio(u.id, first.id).await.unwrap(),
        Some(expected)
    );
    // The old name is free again.
    stored_portfolio(db, u.id, "Main").await;

    assert!(db.store.delete_portfolio(u.id, first.id).await.unwrap());
    assert_eq!(db.store.portfolio(u.id, first.id).await.unwrap(), None);
    assert!(!db.store.delete_portfolio(u.id, first.id).await.unwrap());
    assert_eq!(db.store.portfolios(u.id).await.unwrap().len(), 2);
}

async fn portfolios_are_scoped_to_their_owner(db: &Db) {
    let owner = stored_user(db, "a").await;
    let intruder = stored_user(db, "b").await;
    let p = stored_portfolio(db, owner.id, "Main").await;

    // Another user may use the same name.
    stored_portfolio(db, intruder.id, "Main").await;

    // Knowing the id is not enough: the store answers as if it did not exist.
    assert_eq!(db.store.portfolio(intruder.id, p.id).await.unwrap(), None);
    assert_eq!(
        db.store
            .rename_portfolio(intruder.id, p.id, "Mine")
            .await
            .unwrap(),
        None
    );
    assert!(!db.store.delete_portfolio(intruder.id, p.id).await.unwrap());
    assert_eq!(
        db.store.portfolio(owner.id, p.id).await.unwrap(),
        Some(p.clone())
    );
    let theirs = db.store.portfolios(intruder.id).await.unwrap();
    assert!(
        theirs
            .iter()
            .all(|q| q.user_id == intruder.id && q.id != p.id)
    );
}

// --- transactions --------------------------------------------------------

async fn transactions_in_order(db: &Db) {
    let u = stored_user(db, "a").await;
    let p = stored_portfolio(db, u.id, "Main").await;
    let first = vec![
        buy("2024-03-01", "MSFT", "2"),
        deposit("2024-01-15", "1000.00"),
        buy("2024-01-15", "AAPL", "10.500"),
    ];
    let stored = db.store.insert_transactions(p.id, &first).await.unwrap();
    assert_eq!(
        stored.iter().map(|r| r.seq).collect::<Vec<_>>(),
        vec![1, 2, 3]
    );
    for (row, record) in stored.iter().zip(&first) {
        assert_eq!((&row.record, row.portfolio_id), (record, p.id));
    }
    let later = db
        .store
        .insert_transactions(p.id, &[buy("2024-01-15", "VT", "1")])
        .await
        .unwrap();
    assert_eq!(later[0].seq, 4);
    assert_eq!(
        db.store.insert_transactions(p.id, &[]).await.unwrap(),
        Vec::new()
    );

    let listed = db.store.transactions(p.id).await.unwrap();
    let order: Vec<_> = listed
        .iter()
        .map(|r| (r.record.date.as_str(), r.seq))
        .collect();
    assert_eq!(
        order,
        vec![
            ("2024-01-15", 2),
            ("2024-01-15", 3),
            ("2024-01-15", 4),
            ("2024-03-01", 1)
        ]
    );
    // Decimal text comes back exactly as given.
    assert_eq!(listed[1].record.quantity.as_deref(), Some("10.500"));
    assert_eq!(listed[0].record.price.as_deref(), Some("1000.00"));
    assert_eq!(listed[0].record.symbol, None);
}

async fn transactions_scoped_to_portfolio(db: &Db) {
    let u = stored_user(db, "a").await;
    let p = stored_portfolio(db, u.id, "Main").await;
    let other = stored_portfolio(db, u.id, "Other").await;
    let rows = db
        .store
        .insert_transactions(p.id, &[buy("2024-01-02", "AAPL", "1")])
        .await
        .unwrap();
    let id = rows[0].id;
    let changed = buy("2024-01-03", "AAPL", "3");

    assert_eq!(
        db.store
            .update_transaction(other.id, id, &changed)
            .await
            .unwrap(),
        None
    );
    assert!(!db.store.delete_transaction(other.id, id).await.unwrap());
    assert_eq!(db.store.transactions(other.id).await.unwrap(), Vec::new());

    let updated = db
        .store
        .update_transaction(p.id, id, &changed)
        .await
        .unwrap();
    let expected = rows[0].clone();
    let expected = auravest_reference_server::store::TransactionRow {
        record: changed,
        ..expected
    };
    assert_eq!(updated, Some(expected.clone()));
    assert_eq!(db.store.transactions(p.id).await.unwrap(), vec![expected]);

    assert!(db.store.delete_transaction(p.id, id).await.unwrap());
    assert!(!db.store.delete_transaction(p.id, id).await.unwrap());
    assert_eq!(db.store.transactions(p.id).await.unwrap(), Vec::new());
}

async fn delete_portfolio_takes_its_rows(db: &Db) {
    let u = stored_user(db, "a").await;
    let p = stored_portfolio(db, u.id, "Main").await;
    let kept = stored_portfolio(db, u.id, "Kept").await;
    let today = day("2025-02-03");
    for q in [&p, &kept] {
        db.store
            .insert_transactions(q.id, &[buy("2024-01-02", "AAPL", "1")])
            .await
            .unwrap();
        db.store
            .put_summary(q.id, today, &json!({ "text": "summary" }))
            .await
            .unwrap();
    }
    assert!(db.store.delete_portfolio(u.id, p.id).await.unwrap());
    assert_eq!(db.raw.count("transactions", "portfolio_id", p.id).await, 0);
    assert_eq!(db.raw.count("summaries", "portfolio_id", p.id).await, 0);
    assert_eq!(db.store.transactions(kept.id).await.unwrap().len(), 1);
    assert!(
        db.store
            .cached_summary(kept.id, today)
            .await
            .unwrap()
            .is_some()
    );
}

async fn own_prices_upsert_scope_and_go_with_the_portfolio(db: &Db) {
    use auravest_reference_server::store::OwnPriceRow;
    let u = stored_user(db, "a").await;
    let p = stored_portfolio(db, u.id, "Main").await;
    let other = stored_portfolio(db, u.id, "Other").await;
    let row = |sym: &str, d: &str, price: &str| OwnPriceRow {
        symbol: sym.to_owned(),
        date: day(d),
        price: price.to_owned(),
    };
    assert!(db.store.own_prices(p.id).await.unwrap().is_empty());
    db.store
        .put_own_price(p.id, &row("ZZPRIV", "2024-01-02", "25"))
        .await
        .unwrap();
    db.store
        .put_own_price(p.id, &row("ACME", "2024-01-03", "10.5"))
        .await
        .unwrap();
    // Setting again replaces it.
    db.store
        .put_own_price(p.id, &row("ZZPRIV", "2024-02-01", "31.25"))
        .await
        .unwrap();
    db.store
        .put_own_price(other.id, &row("ZZPRIV", "2024-01-02", "1"))
        .await
        .unwrap();
    assert_eq!(
        db.store.own_prices(p.id).await.unwrap(),
        vec![
            row("ACME", "2024-01-03", "10.5"),
            row("ZZPRIV", "2024-02-01", "31.25")
        ]
    );
    // Parallel sets of one symbol leave exactly one row.
    let sets = (0..8).map(|i| {
        let store = db.store.clone();
        let r = row("ACME", "2024-03-01", &format!("{}", 11 + i));
        async move { store.put_own_price(p.id, &r).await }
    });
    for r in futures_util::future::join_all(sets).await {
        r.unwrap();
    }
    let acme: Vec<OwnPriceRow> = db
        .store
        .own_prices(p.id)
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.symbol == "ACME")
        .collect();
    assert_eq!(acme.len(), 1, "{acme:?}");
    assert!(db.store.delete_own_price(p.id, "ACME").await.unwrap());
    assert!(!db.store.delete_own_price(p.id, "ACME").await.unwrap());
    assert_eq!(db.store.own_prices(p.id).await.unwrap().len(), 1);
    // Deleting the portfolio takes its prices; the other keeps its own.
    assert!(db.store.delete_portfolio(u.id, p.id).await.unwrap());
    assert_eq!(db.raw.count("own_prices", "portfolio_id", p.id).await, 0);
    assert_eq!(db.store.own_prices(other.id).await.unwrap().len(), 1);
}

// --- goals ---------------------------------------------------------------

async fn goals_crud_scoped(db: &Db) {
    let u = stored_user(db, "a").await;
    let intruder = stored_user(db, "b").await;
    let mut house = goal(u.id, "House");
    house.created_at = now() - TimeDelta::minutes(1);
    db.store.create_goal(&house).await.unwrap();
    let mut car = goal(u.id, "Car");
    car.by = None;
    car.monthly_contribution = None;
    car.expected_return = None;
    db.store.create_goal(&car).await.unwrap();

    assert_eq!(
        db.store.goals(u.id).await.unwrap(),
        vec![house.clone(), car.clone()]
    );
    assert_eq!(
        db.store.goal(u.id, car.id).await.unwrap(),
        Some(car.clone())
    );
    assert_eq!(db.store.goals(intruder.id).await.unwrap(), Vec::new());
    assert_eq!(db.store.goal(intruder.id, car.id).await.unwrap(), None);

    let input = GoalInput {
        name: "Bigger house".to_owned(),
        target: "400000".to_owned(),
        by: Some(day("2035-01-01")),
        monthly_contribution: Some("1200.50".to_owned()),
        expected_return: Some(0.04),
    };
    assert_eq!(
        db.store
            .update_goal(intruder.id, house.id, &input)
            .await
            .unwrap(),
        None
    );
    let updated = db.store.update_goal(u.id, house.id, &input).await.unwrap();
    let expected = GoalRecord {
        name: input.name.clone(),
        target: input.target.clone(),
        by: input.by,
        monthly_contribution: input.monthly_contribution.clone(),
        expected_return: input.expected_return,
        ..house.clone()
    };
    assert_eq!(updated, Some(expected.clone()));
    assert_eq!(db.store.goal(u.id, house.id).await.unwrap(), Some(expected));

    assert!(!db.store.delete_goal(intruder.id, house.id).await.unwrap());
    assert!(db.store.delete_goal(u.id, house.id).await.unwrap());
    assert!(!db.store.delete_goal(u.id, house.id).await.unwrap());
    assert_eq!(db.store.goals(u.id).await.unwrap(), vec![car]);
}

// --- prices --------------------------------------------------------------

fn last_price(symbol: &str, price: &str, as_of: &str) -> LastPrice {
    LastPrice {
        symbol: symbol.to_owned(),
        price: price.to_owned(),
        currency: "USD".to_owned(),
        as_of: day(as_of),
        source: "fixture".to_owned(),
        fetched_at: now(),
    }
}

async fn last_prices_upsert(db: &Db) {
    let msft = last_price("MSFT", "410.10", "2025-02-03");
    let aapl = last_price("AAPL", "230.5000", "2025-02-03");
    db.store
        .upsert_last_prices(&[msft, aapl.clone()])
        .await
        .unwrap();
    let newer = LastPrice {
        source: "other".to_owned(),
        ..last_price("MSFT", "411.00", "2025-02-04")
    };
    db.store
        .upsert_last_prices(std::slice::from_ref(&newer))
        .await
        .unwrap();

    let symbols = ["MSFT".to_owned(), "AAPL".to_owned(), "NONE".to_owned()];
    assert_eq!(
        db.store.last_prices(&symbols).await.unwrap(),
        vec![aapl, newer]
    );
    assert_eq!(db.store.last_prices(&[]).await.unwrap(), Vec::new());
    db.store.upsert_last_prices(&[]).await.unwrap();
}

async fn closes_range(db: &Db) {
    let close = |symbol: &str, date: &str, value: &str| DailyClose {
        symbol: symbol.to_owned(),
        date: day(date),
        close: value.to_owned(),
    };
    db.store
        .upsert_closes(&[
            close("VT", "2025-01-02", "110.00"),
            close("VT", "2025-01-03", "111.00"),
            close("VT", "2025-01-06", "112.00"),
            close("BND", "2025-01-03", "71.5"),
            close("XX", "2025-01-03", "1"),
        ])
        .await
        .unwrap();
    db.store
        .upsert_closes(&[close("VT", "2025-01-03", "111.25")])
        .await
        .unwrap();

    let symbols = ["VT".to_owned(), "BND".to_owned()];
    let all = db.store.closes(&symbols, None, None).await.unwrap();
    assert_eq!(
        all,
        vec![
            close("VT", "2025-01-02", "110.00"),
            close("BND", "2025-01-03", "71.5"),
            close("VT", "2025-01-03", "111.25"),
            close("VT", "2025-01-06", "112.00"),
        ]
    );
    let (from, to) = (Some(day("2025-01-03")), Some(day("2025-01-03")));
    assert_eq!(
        db.store.closes(&symbols[..1], from, to).await.unwrap(),
        vec![close("VT", "2025-01-03", "111.25")]
    );
    assert_eq!(
        db.store
            .closes(&symbols, Some(day("2025-01-04")), None)
            .await
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        db.store
            .closes(&symbols, None, Some(day("2025-01-02")))
            .await
            .unwrap()
            .len(),
        1
    );
    assert_eq!(db.store.closes(&[], None, None).await.unwrap(), Vec::new());
}

async fn held_symbols_sorted_distinct(db: &Db) {
    assert_eq!(db.store.held_symbols().await.unwrap(), Vec::<String>::new());
    let a = stored_user(db, "a").await;
    let b = stored_user(db, "b").await;
    let pa = stored_portfolio(db, a.id, "Main").await;
    let pb = stored_portfolio(db, b.id, "Main").await;
    let rows = [
        buy("2024-01-02", "VT", "1"),
        deposit("2024-01-01", "5"),
        buy("2024-01-03", "AAPL", "1"),
    ];
    db.store.insert_transactions(pa.id, &rows).await.unwrap();
    let rows = [
        buy("2024-01-02", "BRK.B", "1"),
        buy("2024-01-02", "VT", "2"),
    ];
    db.store.insert_transactions(pb.id, &rows).await.unwrap();
    assert_eq!(
        db.store.held_symbols().await.unwrap(),
        vec!["AAPL", "BRK.B", "VT"]
    );
}

// --- usage ---------------------------------------------------------------

async fn usage_counts(db: &Db) {
    let u = stored_user(db, "a").await;
    let other = stored_user(db, "b").await;
    let (d1, d2) = (day("2025-02-03"), day("2025-02-04"));
    assert_eq!(
        db.store
            .increment_usage(u.id, d1, "ai_question")
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        db.store
            .increment_usage(u.id, d1, "ai_question")
            .await
            .unwrap(),
        2
    );
    assert_eq!(
        db.store
            .increment_usage(u.id, d1, "ai_summary")
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        db.store
            .increment_usage(u.id, d2, "ai_question")
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        db.store
            .increment_usage(other.id, d1, "ai_question")
            .await
            .unwrap(),
        1
    );

    let expected = BTreeMap::from([("ai_question".to_owned(), 2), ("ai_summary".to_owned(), 1)]);
    assert_eq!(db.store.usage(u.id, d1).await.unwrap(), expected);
    assert_eq!(
        db.store.usage(u.id, d2).await.unwrap(),
        BTreeMap::from([("ai_question".to_owned(), 1)])
    );
    assert_eq!(
        db.store.usage(u.id, day("2025-02-05")).await.unwrap(),
        BTreeMap::new()
    );
}

// --- AI answers ----------------------------------------------------------

fn rating(answer: Uuid, kind: &str, note: Option<&str>) -> FeedbackRow {
    FeedbackRow {
        answer_id: answer,
        kind: kind.to_owned(),
        note: note.map(str::to_owned),
        at: now(),
    }
}

async fn answers_and_their_feedback(db: &Db) {
    let u = stored_user(db, "a").await;
    let answer = Uuid::new_v4();
    assert!(
        db.store
            .insert_answer(answer, u.id, now(), r#"{"n":1}"#)
            .await
            .unwrap()
    );
    assert!(
        !db.store
            .insert_answer(answer, u.id, now(), r#"{"n":2}"#)
            .await
            .unwrap(),
        "an id is recorded once"
    );
    let row = db.store.answer(answer).await.unwrap().expect("recorded");
    assert_eq!(
        (row.id, row.user_id, row.record.as_deref()),
        (answer, u.id, Some(r#"{"n":1}"#)),
        "the first record stays"
    );
    assert_eq!(db.store.answer(Uuid::new_v4()).await.unwrap(), None);

    assert!(
        !db.store
            .insert_feedback(&rating(Uuid::new_v4(), "helpful", None))
            .await
            .unwrap(),
        "no feedback on an unknown answer"
    );
    assert_eq!(db.raw.count_all("answer_feedback").await, 0);

    let given = [
        rating(answer, "helpful", None),
        rating(answer, "wrong", Some("outdated")),
    ];
    for row in &given {
        assert!(db.store.insert_feedback(row).await.unwrap());
    }
    let kept = db.store.feedback(answer).await.unwrap();
    assert_eq!(kept, given, "every rating, oldest first");
    let data = db.store.user_data(u.id).await.unwrap().expect("the user");
    assert_eq!(
        data.answers,
        vec![row],
        "the export holds the answer and its record"
    );
    assert_eq!(
        data.feedback, kept,
        "the export holds every rating, oldest first"
    );
}

async fn checklist_progress(db: &Db) {
    let u = stored_user(db, "a").await;
    let other = stored_user(db, "b").await;
    assert!(db.store.checklist_done(u.id).await.unwrap().is_empty());
    let first = now();
    assert!(
        db.store
            .set_checklist_item(u.id, "compounding", Some(first))
            .await
            .unwrap()
    );
    // Marking it again keeps the first time.
    let later = first + TimeDelta::hours(1);
    assert!(
        !db.store
            .set_checklist_item(u.id, "compounding", Some(later))
            .await
            .unwrap()
    );
    assert!(
        db.store
            .set_checklist_item(u.id, "fees", Some(later))
            .await
            .unwrap()
    );
    assert_eq!(
        db.store.checklist_done(u.id).await.unwrap(),
        BTreeMap::from([
            ("compounding".to_owned(), first),
            ("fees".to_owned(), later)
        ])
    );
    assert!(db.store.checklist_done(other.id).await.unwrap().is_empty());
    assert!(
        db.store
            .set_checklist_item(u.id, "fees", None)
            .await
            .unwrap()
    );
    assert!(
        !db.store
            .set_checklist_item(u.id, "fees", None)
            .await
            .unwrap()
    );
    assert!(
        !db.store
            .set_checklist_item(other.id, "compounding", None)
            .await
            .unwrap(),
        "another user's item is not touched"
    );
    assert_eq!(db.store.checklist_done(u.id).await.unwrap().len(), 1);
    // An unknown user stores nothing.
    assert!(
        db.store
            .set_checklist_item(Uuid::new_v4(), "fees", Some(first))
            .await
            .is_err()
    );
    assert_eq!(db.raw.count_all("checklist_done").await, 1);
}

async fn summaries_cache(db: &Db) {
    let u = stored_user(db, "a").await;
    let p = stored_portfolio(db, u.id, "Main").await;
    let today = day("2025-02-03");
    assert_eq!(db.store.cached_summary(p.id, today).await.unwrap(), None);
    let first = json!({ "text": "Up 2%", "figures": [1, 2.5, "x"], "nested": { "a": null } });
    db.store.put_summary(p.id, today, &first).await.unwrap();
    assert_eq!(
        db.store.cached_summary(p.id, today).await.unwrap(),
        Some(first)
    );
    let second = json!({ "text": "Up 3%" });
    db.store.put_summary(p.id, today, &second).await.unwrap();
    assert_eq!(
        db.store.cached_summary(p.id, today).await.unwrap(),
        Some(second)
    );
    assert_eq!(
        db.store
            .cached_summary(p.id, day("2025-02-04"))
            .await
            .unwrap(),
        None
    );
}

// --- audit ---------------------------------------------------------------

async fn audit_append_and_read(db: &Db) {
    let subject = Uuid::new_v4();
    let entries = [
        audit_entry(AuditAction::Register, Some(subject), 1),
        audit_entry(AuditAction::NudgesShown, Some(subject), 2),
        AuditEntry {
            subject: None,
            object: None,
            ..audit_entry(AuditAction::Admin, None, 3)
        },
    ];
    for entry in &entries {
        db.store.audit(entry).await.unwrap();
    }
    let rows = db.store.audit_rows(2).await.unwrap();
    assert_eq!(rows.len(), 2);
    assert!(rows[0].id > rows[1].id);
    assert_eq!(rows[0].entry, entries[2]);
    assert_eq!(rows[1].entry, entries[1]);
    assert_eq!(db.store.audit_rows(10).await.unwrap().len(), 3);
    assert_eq!(db.store.audit_rows(0).await.unwrap(), Vec::new());
}

async fn audit_log_refuses_update_and_delete(db: &Db) {
    for n in 0..2 {
        db.store
            .audit(&audit_entry(AuditAction::Login, Some(Uuid::new_v4()), n))
            .await
            .unwrap();
    }
    let update = db
        .raw
        .execute("UPDATE audit_log SET action = 'logout'")
        .await;
    assert!(
        update.is_err(),
        "UPDATE on audit_log was accepted: {update:?}"
    );
    let delete = db.raw.execute("DELETE FROM audit_log").await;
    assert!(
        delete.is_err(),
        "DELETE on audit_log was accepted: {delete:?}"
    );
    // Replacing a row (SQLite's conflict resolution deletes without the
    // delete trigger) is refused too.
    let replace = match db.raw {
        Raw::Sqlite(_) => {
            db.raw
                .execute(
                    "INSERT OR REPLACE INTO audit_log (id, at, action, subject, object, detail) \
                     SELECT id, at, 'logout', subject, object, detail FROM audit_log LIMIT 1",
                )
                .await
        }
        Raw::Postgres(_) => {
            db.raw
                .execute(
                    "INSERT INTO audit_log (id, at, action, subject, object, detail) \
                     SELECT id, at, 'logout', subject, object, detail FROM audit_log LIMIT 1 \
                     ON CONFLICT (id) DO UPDATE SET action = excluded.action",
                )
                .await
        }
    };
    assert!(replace.is_err(), "a replacement was accepted: {replace:?}");
    if matches!(db.raw, Raw::Postgres(_)) {
        let truncate = db.raw.execute("TRUNCATE audit_log").await;
        assert!(
            truncate.is_err(),
            "TRUNCATE on audit_log was accepted: {truncate:?}"
        );
    }
    assert_eq!(db.raw.count_all("audit_log").await, 2);
    let rows = db.store.audit_rows(10).await.unwrap();
    assert!(rows.iter().all(|r| r.entry.action == AuditAction::Login));
}

// --- a user's data -------------------------------------------------------

/// Stores one of everything for `u`; returns its portfolio.
async fn everything(db: &Db, u: &UserRecord) -> PortfolioRecord {
    let risk = RiskRecord {
        id: Uuid::new_v4(),
        user_id: u.id,
        answers: json!({ "horizon": 5 }),
        profile: json!({ "level": 2 }),
        created_at: now(),
    };
    db.store.insert_risk(&risk).await.unwrap();
    let p = stored_portfolio(db, u.id, "Main").await;
    db.store
        .insert_transactions(p.id, &[buy("2024-01-02", "AAPL", "1")])
        .await
        .unwrap();
    db.store
        .put_summary(p.id, day("2025-02-03"), &json!({ "text": "hi" }))
        .await
        .unwrap();
    db.store.create_goal(&goal(u.id, "House")).await.unwrap();
    let later = now() + TimeDelta::days(1);
    let token = refresh(u.id, &format!("token-{}", u.id), Uuid::new_v4(), later);
    db.store.insert_refresh(&token).await.unwrap();
    db.store
        .increment_usage(u.id, day("2025-02-03"), "ai_question")
        .await
        .unwrap();
    let answer = Uuid::new_v4();
    assert!(
        db.store
            .insert_answer(answer, u.id, now(), "{}")
            .await
            .unwrap()
    );
    assert!(
        db.store
            .insert_feedback(&rating(answer, "helpful", None))
            .await
            .unwrap()
    );
    assert!(
        db.store
            .set_checklist_item(u.id, "compounding", Some(now()))
            .await
            .unwrap()
    );
    db.store
        .audit(&audit_entry(AuditAction::Login, Some(u.audit_subject), 1))
        .await
        .unwrap();
    // As stored now (the insert moved its version on).
    db.store
        .portfolio(u.id, p.id)
        .await
        .unwrap()
        .expect("the portfolio")
}

async fn user_data_exports_everything(db: &Db) {
    let u = stored_user(db, "a").await;
    let other = stored_user(db, "b").await;
    everything(db, &other).await;
    assert_eq!(db.store.user_data(Uuid::new_v4()).await.unwrap(), None);

    let p = everything(db, &u).await;
    let data = db.store.user_data(u.id).await.unwrap().expect("the user");
    assert_eq!(data.user, u);
    assert_eq!(
        data.risk_profiles,
        db.store.risk_history(u.id).await.unwrap()
    );
    assert_eq!(data.risk_profiles.len(), 1);
    assert_eq!(data.portfolios.len(), 1);
    assert_eq!(data.portfolios[0].0, p);
    assert_eq!(
        data.portfolios[0].1,
        db.store.transactions(p.id).await.unwrap()
    );
    assert_eq!(data.portfolios[0].1.len(), 1);
    assert_eq!(data.goals, db.store.goals(u.id).await.unwrap());
    assert_eq!(data.goals.len(), 1);
    let usage = BTreeMap::from([(
        day("2025-02-03"),
        BTreeMap::from([("ai_question".to_owned(), 1)]),
    )]);
    assert_eq!(data.usage, usage);
    assert_eq!(data.feedback.len(), 1);
    assert_eq!(data.feedback[0].kind, "helpful");
    assert_eq!(data.checklist.keys().collect::<Vec<_>>(), ["compounding"]);
}

async fn delete_user_removes_personal_rows(db: &Db) {
    let u = stored_user(db, "a").await;
    let other = stored_user(db, "b").await;
    let p = everything(db, &u).await;
    let kept = everything(db, &other).await;
    let answer: Uuid = match &db.raw {
        Raw::Sqlite(pool) => sqlx::query_scalar("SELECT id FROM answers WHERE user_id = $1")
            .bind(u.id)
            .fetch_one(pool)
            .await
            .unwrap(),
        Raw::Postgres(pool) => sqlx::query_scalar("SELECT id FROM answers WHERE user_id = $1")
            .bind(u.id)
            .fetch_one(pool)
            .await
            .unwrap(),
    };
    let audit_rows = db.raw.count_all("audit_log").await;

    assert!(db.store.delete_user(u.id).await.unwrap());
    assert_eq!(db.store.user_data(u.id).await.unwrap(), None);
    assert_eq!(db.store.user(u.id).await.unwrap(), None);
    assert_eq!(
        db.store.user_by_email_hash(&u.email_hash).await.unwrap(),
        None
    );
    for (table, column) in [
        ("users", "id"),
        ("consents", "user_id"),
        ("audit_subjects", "user_id"),
        ("refresh_tokens", "user_id"),
        ("risk_profiles", "user_id"),
        ("portfolios", "user_id"),
        ("goals", "user_id"),
        ("usage_counts", "user_id"),
        ("answers", "user_id"),
        ("checklist_done", "user_id"),
    ] {
        assert_eq!(
            db.raw.count(table, column, u.id).await,
            0,
            "{table} still holds the user"
        );
    }
    assert_eq!(db.raw.count("transactions", "portfolio_id", p.id).await, 0);
    assert_eq!(db.raw.count("summaries", "portfolio_id", p.id).await, 0);
    assert_eq!(
        db.raw.count("answer_feedback", "answer_id", answer).await,
        0
    );
    assert_eq!(
        db.raw
            .count("audit_subjects", "subject", u.audit_subject)
            .await,
        0
    );

    // The audit rows stay, under the now unlinked subject.
    assert_eq!(db.raw.count_all("audit_log").await, audit_rows);
    assert_eq!(
        db.raw.count("audit_log", "subject", u.audit_subject).await,
        1
    );

    // The other user keeps everything.
    let theirs = db
        .store
        .user_data(other.id)
        .await
        .unwrap()
        .expect("the other user");
    assert_eq!(theirs.portfolios.len(), 1);
    assert_eq!(theirs.portfolios[0].0, kept);
    assert_eq!(theirs.portfolios[0].1.len(), 1);
    assert_eq!((theirs.goals.len(), theirs.feedback.len()), (1, 1));

    assert!(!db.store.delete_user(u.id).await.unwrap());
}

// --- leader lock ---------------------------------------------------------

async fn leader_lock_exclusive(db: &Db) {
    let held = db
        .store
        .try_leader_lock("prices")
        .await
        .unwrap()
        .expect("the free lock");
    assert!(db.store.try_leader_lock("prices").await.unwrap().is_none());
    let other = db
        .store
        .try_leader_lock("digest")
        .await
        .unwrap()
        .expect("another name");
    held.release().await.unwrap();
    let again = db
        .store
        .try_leader_lock("prices")
        .await
        .unwrap()
        .expect("the released lock");
    again.release().await.unwrap();
    other.release().await.unwrap();
}

async fn leader_lock_across_stores(db: &Db) {
    // A second store on the same database stands for another replica.
    let replica = connect_url(&db.url).await.expect("a second store");
    assert_eq!(replica.backend(), db.store.backend());
    let held = db
        .store
        .try_leader_lock("prices")
        .await
        .unwrap()
        .expect("the free lock");
    assert!(replica.try_leader_lock("prices").await.unwrap().is_none());
    held.release().await.unwrap();
    let theirs = replica
        .try_leader_lock("prices")
        .await
        .unwrap()
        .expect("the released lock");
    assert!(db.store.try_leader_lock("prices").await.unwrap().is_none());
    theirs.release().await.unwrap();
}

async fn leader_lock_freed_on_drop(db: &Db) {
    let held = db
        .store
        .try_leader_lock("prices")
        .await
        .unwrap()
        .expect("the free lock");
    drop(held);
    // The lock is given back in the background: wait for it a little.
    for _ in 0..100 {
        if let Some(lock) = db.store.try_leader_lock("prices").await.unwrap() {
            lock.release().await.unwrap();
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("a dropped leader lock was not freed within 5 s");
}

// --- bad input -----------------------------------------------------------

async fn bad_input_is_an_error(db: &Db) {
    let nobody = Uuid::new_v4();
    let rows = [buy("2024-01-02", "AAPL", "1")];
    assert!(
        db.store
            .insert_transactions(Uuid::new_v4(), &rows)
            .await
            .is_err()
    );
    assert!(
        db.store
            .create_portfolio(&portfolio(nobody, "Main"))
            .await
            .is_err()
    );
    assert!(db.store.create_goal(&goal(nobody, "House")).await.is_err());
    assert!(
        db.store
            .insert_answer(Uuid::new_v4(), nobody, now(), "{}")
            .await
            .is_err()
    );
    let token = refresh(nobody, "t", Uuid::new_v4(), now());
    assert!(db.store.insert_refresh(&token).await.is_err());
    assert!(
        db.store
            .increment_usage(nobody, day("2025-01-01"), "ai_question")
            .await
            .is_err()
    );
    assert_eq!(db.raw.count_all("transactions").await, 0);
    assert_eq!(db.raw.count_all("portfolios").await, 0);

    // A transaction row naming a missing portfolio is refused by the
    // foreign key even when written directly.
    let direct = format!(
        "INSERT INTO transactions (id, portfolio_id, seq, date, kind, currency) \
         VALUES ({}, {}, 1, '2024-01-02', 'buy', 'EUR')",
        uuid_literal(db, Uuid::new_v4()),
        uuid_literal(db, Uuid::new_v4())
    );
    assert!(
        db.raw.execute(&direct).await.is_err(),
        "the foreign key let an orphan in"
    );
}

/// A UUID as a SQL literal of the backend's column type.
fn uuid_literal(db: &Db, id: Uuid) -> String {
    match db.raw {
        Raw::Sqlite(_) => format!("X'{}'", id.simple()),
        Raw::Postgres(_) => format!("'{id}'::uuid"),
    }
}

// --- opening stores ------------------------------------------------------

#[tokio::test]
async fn connect_url_chooses_by_scheme() {
    let (store, guard) = sqlite_store().await;
    assert_eq!(store.backend(), "sqlite");
    store.ping().await.unwrap();
    drop(guard);

    let memory = connect_url("sqlite::memory:")
        .await
        .expect("an in-memory store");
    memory.migrate().await.unwrap();
    assert_eq!(memory.backend(), "sqlite");
    assert_eq!(memory.user(Uuid::new_v4()).await.unwrap(), None);

    for url in ["mysql://localhost/db", "auravest.db", ""] {
        match connect_url(url).await {
            Err(StoreError::Database(sqlx::Error::Configuration(_))) => {}
            Err(other) => panic!("{url}: expected a configuration error, got {other:?}"),
            Ok(_) => panic!("{url}: expected a configuration error, got a store"),
        }
    }

    if let Some((store, guard)) = postgres_store().await {
        assert_eq!(store.backend(), "postgres");
        store.ping().await.unwrap();
        drop(store);
        drop(guard);
    }
}

#[test]
fn test_database_urls() {
    let cases = [
        (
            "postgres://postgres@127.0.0.1:5432/test",
            "postgres://postgres@127.0.0.1:5432/x",
        ),
        (
            "postgres://u:p@host/test?sslmode=disable",
            "postgres://u:p@host/x?sslmode=disable",
        ),
        ("postgresql://host:5432", "postgresql://host:5432/x"),
    ];
    for (url, expected) in cases {
        assert_eq!(crate::support::with_database(url, "x"), expected);
    }
}
