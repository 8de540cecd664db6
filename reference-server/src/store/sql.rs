//! What the SQLite and PostgreSQL stores share: [`connect_url`], the
//! mapping of unique violations to [`StoreError::Conflict`], and the helpers
//! of the shared SQL. That SQL, the [`Store`] implementation, is ordinary
//! Rust in `store/shared/`, which `sqlite.rs` and `postgres.rs` each compile
//! as a module of their own against their store and database types.
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
