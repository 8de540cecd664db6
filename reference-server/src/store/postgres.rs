//! The PostgreSQL store.
//!
//! The SQL is shared with SQLite (`sql.rs`); what is PostgreSQL's own is
//! connecting and the leader lock, a session-level advisory lock.

use std::time::Duration;

use async_trait::async_trait;
use sha2::{Digest, Sha256};
use sqlx::postgres::{PgConnection, PgPoolOptions};
use sqlx::{Connection, PgPool};

use super::{LeaderLock, StoreResult};

/// Connections per replica.
const MAX_CONNECTIONS: u32 = 10;
/// How long a call waits for a free connection.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(10);

/// The store on a PostgreSQL database.
#[derive(Debug, Clone)]
pub struct PostgresStore {
    pool: PgPool,
}

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
        Ok(Self { pool })
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

super::sql::impl_store!(
    PostgresStore,
    sqlx::Postgres,
    "postgres",
    "./migrations/postgres"
);

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
