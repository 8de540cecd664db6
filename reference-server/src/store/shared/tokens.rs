//! Refresh tokens: issued, rotated (a reused token revokes its family) and
//! revoked.

use chrono::{DateTime, Utc};
use sqlx::Row as _;
use uuid::Uuid;

use super::Pool;
use crate::store::sql::micros;
use crate::store::{RefreshRecord, Rotation, StoreResult};

pub(super) async fn insert_refresh(pool: &Pool, token: &RefreshRecord) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO refresh_tokens (token_hash, user_id, family, expires_at, \
         revoked) VALUES ($1, $2, $3, $4, FALSE)",
    )
    .bind(&token.token_hash)
    .bind(token.user_id)
    .bind(token.family)
    .bind(micros(token.expires_at))
    .execute(pool)
    .await?;
    Ok(())
}

/// The new token joins the old one's owner and family: those
/// fields of `new` are ignored, since a caller holding only the
/// old token cannot know them.
pub(super) async fn rotate_refresh(
    pool: &Pool,
    old_hash: &str,
    new: &RefreshRecord,
    now: DateTime<Utc>,
) -> StoreResult<Rotation> {
    // The write comes first, so SQLite takes its write lock at
    // once and PostgreSQL locks the row against a concurrent
    // rotation of the same token.
    let mut tx = pool.begin().await?;
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
    let family: Option<Uuid> =
        sqlx::query_scalar("SELECT family FROM refresh_tokens WHERE token_hash = $1")
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

pub(super) async fn revoke_refresh(pool: &Pool, token_hash: &str) -> StoreResult<bool> {
    let done = sqlx::query("UPDATE refresh_tokens SET revoked = TRUE WHERE token_hash = $1")
        .bind(token_hash)
        .execute(pool)
        .await?;
    Ok(done.rows_affected() > 0)
}
