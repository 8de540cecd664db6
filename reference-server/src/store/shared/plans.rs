//! Each user's tier and the "notify me" sign-ups for the paid plan.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::Pool;
use crate::store::StoreResult;
use crate::store::sql::micros;

pub(super) async fn tier(pool: &Pool, user_id: Uuid) -> StoreResult<Option<String>> {
    Ok(
        sqlx::query_scalar("SELECT tier FROM user_tiers WHERE user_id = $1")
            .bind(user_id)
            .fetch_optional(pool)
            .await?,
    )
}

pub(super) async fn set_tier(
    pool: &Pool,
    user_id: Uuid,
    tier: &str,
    since: DateTime<Utc>,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO user_tiers (user_id, tier, since) VALUES ($1, $2, $3) \
         ON CONFLICT (user_id) DO UPDATE SET tier = excluded.tier, since = excluded.since",
    )
    .bind(user_id)
    .bind(tier)
    .bind(micros(since))
    .execute(pool)
    .await?;
    Ok(())
}

pub(super) async fn note_plus_interest(
    pool: &Pool,
    user_id: Uuid,
    at: DateTime<Utc>,
) -> StoreResult<bool> {
    let done = sqlx::query(
        "INSERT INTO plus_interest (user_id, created_at) VALUES ($1, $2) ON CONFLICT DO NOTHING",
    )
    .bind(user_id)
    .bind(micros(at))
    .execute(pool)
    .await?;
    Ok(done.rows_affected() > 0)
}

pub(super) async fn plus_interest(
    pool: &Pool,
    user_id: Uuid,
) -> StoreResult<Option<DateTime<Utc>>> {
    Ok(
        sqlx::query_scalar("SELECT created_at FROM plus_interest WHERE user_id = $1")
            .bind(user_id)
            .fetch_optional(pool)
            .await?,
    )
}
