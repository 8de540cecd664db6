//! The audit log: appended to, read newest first.

use sqlx::Row as _;
use sqlx::types::Json;

use super::{DbRow, Pool};
use crate::store::sql::micros;
use crate::store::{AuditAction, AuditEntry, AuditRow, StoreError, StoreResult};

fn audit_row(row: &DbRow) -> StoreResult<AuditRow> {
    let action: String = row.try_get("action")?;
    let action: AuditAction =
        serde_json::from_value(serde_json::Value::String(action)).map_err(|e| {
            StoreError::Corrupt {
                what: "audit_log.action",
                reason: e.to_string(),
            }
        })?;
    Ok(AuditRow {
        id: row.try_get("id")?,
        entry: AuditEntry {
            at: row.try_get("at")?,
            action,
            subject: row.try_get("subject")?,
            object: row.try_get("object")?,
            detail: row.try_get("detail")?,
        },
    })
}

pub(super) async fn audit(pool: &Pool, entry: &AuditEntry) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO audit_log (at, action, subject, object, detail) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(micros(entry.at))
    .bind(entry.action.as_str())
    .bind(entry.subject)
    .bind(entry.object.as_deref())
    .bind(Json(&entry.detail))
    .execute(pool)
    .await?;
    Ok(())
}

pub(super) async fn audit_rows(pool: &Pool, limit: i64) -> StoreResult<Vec<AuditRow>> {
    let rows = sqlx::query(
        "SELECT id, at, action, subject, object, detail FROM audit_log \
         ORDER BY id DESC LIMIT $1",
    )
    .bind(limit.max(0))
    .fetch_all(pool)
    .await?;
    rows.iter().map(audit_row).collect()
}
