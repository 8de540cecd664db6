//! Risk profiles: each questionnaire result is kept, the latest is current.

use sqlx::Row as _;
use sqlx::types::Json;
use uuid::Uuid;

use super::{DbRow, Pool};
use crate::store::sql::micros;
use crate::store::{RiskRecord, StoreResult};

const RISK_COLUMNS: &str = "id, user_id, answers, profile, created_at";

fn risk_row(row: &DbRow) -> StoreResult<RiskRecord> {
    Ok(RiskRecord {
        id: row.try_get("id")?,
        user_id: row.try_get("user_id")?,
        answers: row.try_get("answers")?,
        profile: row.try_get("profile")?,
        created_at: row.try_get("created_at")?,
    })
}

pub(super) async fn insert_risk(pool: &Pool, record: &RiskRecord) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO risk_profiles (id, user_id, answers, profile, created_at) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(record.id)
    .bind(record.user_id)
    .bind(Json(&record.answers))
    .bind(Json(&record.profile))
    .bind(micros(record.created_at))
    .execute(pool)
    .await?;
    Ok(())
}

pub(super) async fn latest_risk(pool: &Pool, user_id: Uuid) -> StoreResult<Option<RiskRecord>> {
    let sql = format!(
        "SELECT {RISK_COLUMNS} FROM risk_profiles WHERE user_id = $1 \
         ORDER BY created_at DESC, id DESC LIMIT 1"
    );
    let row = sqlx::query(&sql).bind(user_id).fetch_optional(pool).await?;
    row.as_ref().map(risk_row).transpose()
}

pub(super) async fn risk_history(pool: &Pool, user_id: Uuid) -> StoreResult<Vec<RiskRecord>> {
    let sql = format!(
        "SELECT {RISK_COLUMNS} FROM risk_profiles WHERE user_id = $1 \
         ORDER BY created_at, id"
    );
    let rows = sqlx::query(&sql).bind(user_id).fetch_all(pool).await?;
    rows.iter().map(risk_row).collect()
}
