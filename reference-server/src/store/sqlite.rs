//! The SQLite store: one database file in WAL mode, foreign keys on.
//!
//! The SQL is shared with PostgreSQL (`shared/`, compiled here for SQLite);
//! what is SQLite's own is connecting, the named locks, the leader lock (a
//! row in `leader_locks` with an expiry) and the checkpoint after an erasure.

use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use chrono::Utc;
use sqlx::SqlitePool;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use tokio::task::JoinHandle;
use uuid::Uuid;

use super::{HeldLock, LOCK_WAIT, LeaderLock, StoreError, StoreResult};

/// How long a leader lock row lasts without renewal: a holder that dies
/// without releasing it blocks the role for at most this long.
const LEASE: Duration = Duration::from_secs(10 * 60);
/// How often a live holder renews its lease.
const RENEW_EVERY: Duration = Duration::from_secs(60);
/// How long a statement waits for another connection's write lock.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// SQLite has one writer at a time; a few connections serve the readers.
const MAX_CONNECTIONS: u32 = 4;

/// The store on a SQLite database.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
    /// Names [`Store::lock`](super::Store::lock)'s locks: the database file
    /// (or, in memory, a name of its own).
    lock_scope: String,
}

/// The named locks of every SQLite database this process has open, by
/// `<database>\0<name>`. A SQLite database is served by one process, so a
/// lock in the process is a lock on the database.
static NAMED_LOCKS: std::sync::LazyLock<crate::keyed::KeyedLocks<String>> =
    std::sync::LazyLock::new(Default::default);

/// A held named lock.
struct NamedGuard(#[allow(dead_code)] crate::keyed::KeyGuard);

impl HeldLock for NamedGuard {}

impl SqliteStore {
    /// Opens (and creates, with its folder, if missing) the database at a
    /// `sqlite:` URL, e.g. `sqlite://data/auravest.db` or `sqlite::memory:`.
    /// Runs no migrations.
    ///
    /// # Errors
    ///
    /// [`StoreError::Database`] when the URL is malformed, the folder cannot
    /// be created or the database cannot be opened.
    pub async fn connect(url: &str) -> StoreResult<Self> {
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(BUSY_TIMEOUT)
            // Deleted content is overwritten with zeros, so an erased
            // account's rows cannot be read back from free pages.
            .pragma("secure_delete", "ON");
        let in_memory = url.contains(":memory:") || url.contains("mode=memory");
        if !in_memory {
            let file = options.get_filename();
            if let Some(folder) = file.parent()
                && !folder.as_os_str().is_empty()
            {
                std::fs::create_dir_all(folder)
                    .map_err(|e| StoreError::Database(sqlx::Error::Io(e)))?;
            }
            create_private(file).map_err(|e| StoreError::Database(sqlx::Error::Io(e)))?;
        }
        let mut pool = SqlitePoolOptions::new().max_connections(MAX_CONNECTIONS);
        if in_memory {
            // An in-memory database lives only while a connection is open.
            pool = pool
                .min_connections(1)
                .idle_timeout(None)
                .max_lifetime(None);
        }
        let lock_scope = if in_memory {
            Uuid::new_v4().to_string()
        } else {
            let file = options.get_filename();
            std::fs::canonicalize(file)
                .unwrap_or_else(|_| file.to_path_buf())
                .display()
                .to_string()
        };
        Ok(Self {
            pool: pool.connect_with(options).await?,
            lock_scope,
        })
    }

    /// Takes the named lock of this database (see [`NAMED_LOCKS`]).
    async fn named_lock(&self, name: &str) -> StoreResult<Box<dyn HeldLock>> {
        let key = format!("{}\0{name}", self.lock_scope);
        match tokio::time::timeout(LOCK_WAIT, NAMED_LOCKS.lock(&key)).await {
            Ok(guard) => Ok(Box::new(NamedGuard(guard))),
            Err(_) => Err(StoreError::LockTimeout(name.to_owned())),
        }
    }

    /// The connection pool.
    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    /// Takes the lock row `name` when it is absent or its lease has run out,
    /// and keeps renewing it until the guard is released or dropped.
    async fn leader_lock(&self, name: &str) -> StoreResult<Option<Box<dyn LeaderLock>>> {
        let holder = Uuid::new_v4();
        let now = Utc::now().timestamp_millis();
        let taken = sqlx::query(
            "INSERT INTO leader_locks (name, holder, expires_at) VALUES ($1, $2, $3) \
             ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, \
             expires_at = excluded.expires_at WHERE leader_locks.expires_at <= $4",
        )
        .bind(name)
        .bind(holder)
        .bind(now + lease_millis())
        .bind(now)
        .execute(&self.pool)
        .await?;
        if taken.rows_affected() == 0 {
            return Ok(None);
        }
        let renew = tokio::spawn(renew(self.pool.clone(), name.to_owned(), holder));
        Ok(Some(Box::new(SqliteLeader {
            pool: self.pool.clone(),
            name: name.to_owned(),
            holder,
            renew,
            released: false,
        })))
    }
}

// The SQL both stores share (`shared/`), compiled here against this store,
// its database type, its name and its migrations.
type Backend = SqliteStore;
type Db = sqlx::Sqlite;
const NAME: &str = "sqlite";
const MIGRATIONS: &[(i64, &str, &str)] = super::SQLITE_MIGRATIONS;

#[path = "shared/mod.rs"]
#[allow(clippy::duplicate_mod)] // on purpose: once per store
mod shared;

/// Creates the database file readable by its owner only (0600), unless it
/// exists. SQLite gives its `-wal` and `-shm` files the database file's mode.
fn create_private(file: &std::path::Path) -> std::io::Result<()> {
    let mut open = std::fs::OpenOptions::new();
    open.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        open.mode(0o600);
    }
    match open.open(file) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(e),
    }
}

impl SqliteStore {
    /// After an account is erased: copies the write-ahead log into the
    /// (zero-filled) database pages and empties it, so the erased rows are
    /// not left in old log frames either. In the background (it waits for
    /// the write lock), and best effort: a busy database is checkpointed
    /// later by SQLite itself.
    #[allow(clippy::unused_async)]
    async fn after_erase(&self) {
        let pool = self.pool.clone();
        tokio::spawn(async move {
            if let Err(e) = sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
                .execute(&pool)
                .await
            {
                tracing::warn!(error = %e, "checkpoint after an erasure failed");
            }
        });
    }
}

fn lease_millis() -> i64 {
    i64::try_from(LEASE.as_millis()).unwrap_or(i64::MAX)
}

/// Extends the lease while the holder still has it.
async fn renew(pool: SqlitePool, name: String, holder: Uuid) {
    loop {
        tokio::time::sleep(RENEW_EVERY).await;
        let renewed =
            sqlx::query("UPDATE leader_locks SET expires_at = $3 WHERE name = $1 AND holder = $2")
                .bind(&name)
                .bind(holder)
                .bind(Utc::now().timestamp_millis() + lease_millis())
                .execute(&pool)
                .await;
        match renewed {
            Ok(done) if done.rows_affected() == 0 => {
                tracing::warn!(lock = %name, "leader lock lost");
                return;
            }
            Ok(_) => {}
            // A busy database: the lease has time left, try again later.
            Err(e) => tracing::warn!(lock = %name, error = %e, "leader lock not renewed"),
        }
    }
}

async fn delete_lock(pool: &SqlitePool, name: &str, holder: Uuid) -> StoreResult<()> {
    sqlx::query("DELETE FROM leader_locks WHERE name = $1 AND holder = $2")
        .bind(name)
        .bind(holder)
        .execute(pool)
        .await?;
    Ok(())
}

/// A held lock row.
struct SqliteLeader {
    pool: SqlitePool,
    name: String,
    holder: Uuid,
    renew: JoinHandle<()>,
    released: bool,
}

#[async_trait]
impl LeaderLock for SqliteLeader {
    async fn release(mut self: Box<Self>) -> StoreResult<()> {
        self.renew.abort();
        self.released = true;
        delete_lock(&self.pool, &self.name, self.holder).await
    }
}

impl Drop for SqliteLeader {
    fn drop(&mut self) {
        self.renew.abort();
        if self.released {
            return;
        }
        // Dropped without `release`: give the row back in the background
        // (when no runtime is left, the lease runs out by itself).
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            let pool = self.pool.clone();
            let name = std::mem::take(&mut self.name);
            let holder = self.holder;
            runtime.spawn(async move {
                if let Err(e) = delete_lock(&pool, &name, holder).await {
                    tracing::warn!(lock = %name, error = %e, "leader lock not released");
                }
            });
        }
    }
}
