//! The PostgreSQL store.
//!
//! The SQL is shared with SQLite (`shared/`, compiled here for PostgreSQL);
//! what is PostgreSQL's own is connecting, the named locks (advisory locks
//! held by a transaction) and the leader lock, a session-level advisory lock.

use std::time::Duration;

use async_trait::async_trait;
use sha2::{Digest, Sha256};
use sqlx::postgres::{PgConnection, PgPoolOptions};
use sqlx::{Connection, PgPool};

use super::{HeldLock, LOCK_WAIT, LeaderLock, StoreError, StoreResult};

/// Connections per replica.
const MAX_CONNECTIONS: u32 = 10;
/// How long a call waits for a free connection.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(10);
/// Connections set aside for [`Store::lock`](super::Store::lock): a lock
/// waits on one of these, never on the pool its holder's queries use, so
/// waiting for a lock cannot starve the holder of connections.
const LOCK_CONNECTIONS: u32 = 8;

/// The store on a PostgreSQL database.
#[derive(Debug, Clone)]
pub struct PostgresStore {
    pool: PgPool,
    locks: PgPool,
    /// Named locks in this process first: at most one connection per name
    /// (and replica) waits on the advisory lock.
    local: std::sync::Arc<crate::keyed::KeyedLocks<String>>,
}

/// A held advisory lock: the transaction that holds it (dropping it rolls
/// back, which releases the lock), and the name's lock in this process.
struct AdvisoryGuard(
    #[allow(dead_code)] sqlx::Transaction<'static, sqlx::Postgres>,
    #[allow(dead_code)] crate::keyed::KeyGuard,
);

impl HeldLock for AdvisoryGuard {}

impl PostgresStore {
    /// Connects to the database at a `postgres:` / `postgresql:` URL.
    /// Runs no migrations.
    ///
    /// # Errors
    ///
    /// [`StoreError::Database`](super::StoreError::Database) when the URL is
    /// malformed or the server cannot be reached.
    pub async fn connect(url: &str) -> StoreResult<Self> {
        let pool = PgPoolOptions::new()
            .max_connections(MAX_CONNECTIONS)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .connect(url)
            .await?;
        let locks = PgPoolOptions::new()
            .max_connections(LOCK_CONNECTIONS)
            .min_connections(0)
            .acquire_timeout(LOCK_WAIT)
            .connect_lazy(url)?;
        Ok(Self {
            pool,
            locks,
            local: std::sync::Arc::default(),
        })
    }

    /// Takes the advisory lock for `name` in a transaction on a lock
    /// connection, waiting at most [`LOCK_WAIT`].
    async fn named_lock(&self, name: &str) -> StoreResult<Box<dyn HeldLock>> {
        let timeout = |e: sqlx::Error| match &e {
            sqlx::Error::PoolTimedOut => StoreError::LockTimeout(name.to_owned()),
            sqlx::Error::Database(db) if db.code().as_deref() == Some("55P03") => {
                StoreError::LockTimeout(name.to_owned())
            }
            _ => StoreError::Database(e),
        };
        let waited = std::time::Instant::now();
        let local = tokio::time::timeout(LOCK_WAIT, self.local.lock(&name.to_owned()))
            .await
            .map_err(|_| StoreError::LockTimeout(name.to_owned()))?;
        let left = LOCK_WAIT.saturating_sub(waited.elapsed());
        let mut tx = tokio::time::timeout(left, self.locks.begin())
            .await
            .map_err(|_| StoreError::LockTimeout(name.to_owned()))?
            .map_err(timeout)?;
        sqlx::query(&format!(
            "SET LOCAL lock_timeout = '{}ms'",
            left.as_millis().max(1)
        ))
        .execute(&mut *tx)
        .await?;
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(lock_key(name))
            .execute(&mut *tx)
            .await
            .map_err(timeout)?;
        Ok(Box::new(AdvisoryGuard(tx, local)))
    }

    /// The connection pool.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Takes the advisory lock for `name` on a connection detached from the
    /// pool: the lock lives with that session, so if the guard is dropped
    /// without `release`, closing the connection frees it.
    async fn leader_lock(&self, name: &str) -> StoreResult<Option<Box<dyn LeaderLock>>> {
        let key = lock_key(name);
        let mut conn = self.pool.acquire().await?;
        let taken: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
            .bind(key)
            .fetch_one(&mut *conn)
            .await?;
        if !taken {
            // Not ours: the connection goes back to the pool.
            return Ok(None);
        }
        Ok(Some(Box::new(PgLeader {
            conn: conn.detach(),
            key,
        })))
    }
}

// The SQL both stores share (`shared/`), compiled here against this store,
// its database type, its name and its migrations.
type Backend = PostgresStore;
type Db = sqlx::Postgres;
const NAME: &str = "postgres";
const MIGRATIONS: &[(i64, &str, &str)] = super::POSTGRES_MIGRATIONS;

#[path = "shared/mod.rs"]
#[allow(clippy::duplicate_mod)] // on purpose: once per store
mod shared;

impl PostgresStore {
    /// Nothing to do: PostgreSQL keeps no deleted rows readable.
    #[allow(clippy::unused_async)]
    async fn after_erase(&self) {}
}

/// Grants the role `app_url` connects as exactly what the server needs on
/// the schema the owner (`owner_url`) migrated: read and write on every
/// table, but on `audit_log` only `SELECT` and `INSERT`, and on the
/// migrations table only `SELECT`. Run as the owner after the migrations.
/// Returns the server's role name.
///
/// # Errors
/// Either connection failing, or the owner lacking the right to grant.
pub async fn grant_server_role(owner_url: &str, app_url: &str) -> StoreResult<String> {
    let mut app = PgConnection::connect(app_url).await?;
    let role: String = sqlx::query_scalar("SELECT current_user::text")
        .fetch_one(&mut app)
        .await?;
    app.close().await?;
    let mut owner = PgConnection::connect(owner_url).await?;
    let owner_role: String = sqlx::query_scalar("SELECT current_user::text")
        .fetch_one(&mut owner)
        .await?;
    if owner_role == role {
        return Err(StoreError::Database(sqlx::Error::Configuration(
            format!(
                "AURAVEST_DATABASE_OWNER_URL and DATABASE_URL are both the role {role}; \
                 the server needs a role of its own"
            )
            .into(),
        )));
    }
    let quoted = format!("\"{}\"", role.replace('"', "\"\""));
    let statements = [
        format!("GRANT USAGE ON SCHEMA public TO {quoted}"),
        format!("GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {quoted}"),
        // USAGE is what `nextval` (the serial ids) needs; no `setval`.
        format!("GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO {quoted}"),
        format!("REVOKE UPDATE, DELETE, TRUNCATE ON audit_log FROM {quoted}"),
        format!("REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON _sqlx_migrations FROM {quoted}"),
    ];
    for sql in statements {
        sqlx::raw_sql(&sql).execute(&mut owner).await?;
    }
    owner.close().await?;
    Ok(role)
}

/// Whether the role `url` connects as can rewrite the audit log: it owns
/// the table (and so can turn its triggers off) or is a superuser.
///
/// # Errors
/// The connection failing.
pub async fn can_rewrite_audit(url: &str) -> StoreResult<bool> {
    let mut conn = PgConnection::connect(url).await?;
    let risky: bool = sqlx::query_scalar(
        "SELECT COALESCE((SELECT rolsuper FROM pg_roles WHERE rolname = current_user), FALSE) \
         OR EXISTS (SELECT 1 FROM pg_tables WHERE tablename = 'audit_log' \
         AND tableowner = current_user)",
    )
    .fetch_one(&mut conn)
    .await?;
    conn.close().await?;
    Ok(risky)
}

/// The advisory-lock key of a name: the first 8 bytes of its SHA-256.
fn lock_key(name: &str) -> i64 {
    let digest = Sha256::digest(name.as_bytes());
    let mut first = [0_u8; 8];
    first.copy_from_slice(&digest[..8]);
    i64::from_be_bytes(first)
}

/// A held advisory lock and the session that holds it.
struct PgLeader {
    conn: PgConnection,
    key: i64,
}

#[async_trait]
impl LeaderLock for PgLeader {
    async fn release(self: Box<Self>) -> StoreResult<()> {
        let Self { mut conn, key } = *self;
        let unlocked = sqlx::query("SELECT pg_advisory_unlock($1)")
            .bind(key)
            .execute(&mut conn)
            .await;
        // Closing the session frees the lock even if the unlock failed.
        let closed = conn.close().await;
        unlocked?;
        closed?;
        Ok(())
    }
}
