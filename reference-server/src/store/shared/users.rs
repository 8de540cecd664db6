//! Users: created, read, their profile changed, login attempts counted,
//! roles set; and the lock on a user's row that changes counting a user's
//! rows take first.

use chrono::{DateTime, Utc};
use sqlx::types::Json;
use sqlx::{Executor, Row as _};
use uuid::Uuid;

use super::{Db, DbRow, Pool, Tx};
use crate::store::sql::{conflict, micros};
use crate::store::{LoginClaim, ProfilePatch, Role, StoreError, StoreResult, UserRecord};

const USER_SELECT: &str = "SELECT u.id, u.email_hash, u.email_enc, \
    u.password_hash, u.role, u.alias, u.display_mode, u.share_performance, \
    u.count_holdings, u.theme, u.dashboard, u.terms_version, u.terms_accepted_at, u.failed_logins, \
    u.locked_until, u.created_at, s.subject \
    FROM users u JOIN audit_subjects s ON s.user_id = u.id";

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
        theme: row.try_get("theme")?,
        dashboard,
        terms_version: row.try_get("terms_version")?,
        terms_accepted_at: row.try_get("terms_accepted_at")?,
        failed_logins: row.try_get("failed_logins")?,
        locked_until: row.try_get("locked_until")?,
        audit_subject: row.try_get("subject")?,
        created_at: row.try_get("created_at")?,
    })
}

pub(super) async fn load_user<'e, E>(ex: E, id: Uuid) -> StoreResult<Option<UserRecord>>
where
    E: Executor<'e, Database = Db>,
{
    let sql = format!("{USER_SELECT} WHERE u.id = $1");
    let row = sqlx::query(&sql).bind(id).fetch_optional(ex).await?;
    row.as_ref().map(user_row).transpose()
}

/// Locks the user's row inside `tx` (its first statement, so
/// SQLite takes the write lock at once and PostgreSQL the row
/// lock); false when there is no such user.
pub(super) async fn lock_user(tx: &mut Tx, id: Uuid) -> StoreResult<bool> {
    let done = sqlx::query("UPDATE users SET failed_logins = failed_logins WHERE id = $1")
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(done.rows_affected() > 0)
}

/// Locks the user's row inside `tx` (see [`lock_user`]), then counts the
/// user's rows with `count_sql` (the user's id bound to `$1`): true when
/// the user exists and has fewer than `max`.
pub(super) async fn lock_user_under_cap(
    tx: &mut Tx,
    id: Uuid,
    count_sql: &str,
    max: usize,
) -> StoreResult<bool> {
    if !lock_user(tx, id).await? {
        return Ok(false);
    }
    let count: i64 = sqlx::query_scalar(count_sql)
        .bind(id)
        .fetch_one(&mut **tx)
        .await?;
    Ok(usize::try_from(count).unwrap_or(usize::MAX) < max)
}

pub(super) async fn create_user(pool: &Pool, user: &UserRecord) -> StoreResult<()> {
    let mut tx = pool.begin().await?;
    sqlx::query(
        "INSERT INTO users (id, email_hash, email_enc, password_hash, role, \
         alias, display_mode, share_performance, dashboard, terms_version, \
         terms_accepted_at, failed_logins, locked_until, created_at, \
         count_holdings, theme) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, \
         $15, $16)",
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
    .bind(&user.theme)
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

pub(super) async fn user_by_email_hash(
    pool: &Pool,
    email_hash: &str,
) -> StoreResult<Option<UserRecord>> {
    let sql = format!("{USER_SELECT} WHERE u.email_hash = $1");
    let row = sqlx::query(&sql)
        .bind(email_hash)
        .fetch_optional(pool)
        .await?;
    row.as_ref().map(user_row).transpose()
}

pub(super) async fn update_profile(
    pool: &Pool,
    id: Uuid,
    patch: &ProfilePatch,
) -> StoreResult<Option<UserRecord>> {
    let mut tx = pool.begin().await?;
    let updated = sqlx::query(
        "UPDATE users SET alias = COALESCE($2, alias), \
         display_mode = COALESCE($3, display_mode), \
         share_performance = COALESCE($4, share_performance), \
         dashboard = COALESCE($5, dashboard), \
         count_holdings = COALESCE($6, count_holdings), \
         theme = COALESCE($7, theme) WHERE id = $1",
    )
    .bind(id)
    .bind(patch.alias.as_deref())
    .bind(patch.display_mode.as_deref())
    .bind(patch.share_performance)
    .bind(patch.dashboard.as_ref().map(Json))
    .bind(patch.count_holdings)
    .bind(patch.theme.as_deref())
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

pub(super) async fn claim_login_attempt(
    pool: &Pool,
    id: Uuid,
    now: DateTime<Utc>,
    max_failures: u32,
    lock_until: DateTime<Utc>,
) -> StoreResult<LoginClaim> {
    let mut tx = pool.begin().await?;
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
    sqlx::query("UPDATE users SET failed_logins = $2, locked_until = $3 WHERE id = $1")
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

pub(super) async fn clear_login_failures(pool: &Pool, id: Uuid) -> StoreResult<()> {
    sqlx::query("UPDATE users SET failed_logins = 0, locked_until = NULL WHERE id = $1")
        .bind(id)
        .execute(pool)
        .await?;
    Ok(())
}

pub(super) async fn set_role(pool: &Pool, id: Uuid, role: Role) -> StoreResult<bool> {
    let done = sqlx::query("UPDATE users SET role = $2 WHERE id = $1")
        .bind(id)
        .bind(role.as_str())
        .execute(pool)
        .await?;
    Ok(done.rows_affected() > 0)
}
