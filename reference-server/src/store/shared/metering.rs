//! Per-user counters and small records: daily usage counts (consumed
//! against a limit in one statement), who an answer went to and the
//! feedback on it, the learning checklist, and the day's cached portfolio
//! summaries.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::Row as _;
use sqlx::types::Json;
use uuid::Uuid;

use super::{DbRow, Pool};
use crate::store::sql::micros;
use crate::store::{AnswerRow, FeedbackRow, MAX_RATINGS_PER_ANSWER, StoreResult};

pub(super) async fn increment_usage(
    pool: &Pool,
    user_id: Uuid,
    day: NaiveDate,
    kind: &str,
) -> StoreResult<i64> {
    let count = sqlx::query_scalar(
        "INSERT INTO usage_counts (user_id, day, kind, n) VALUES ($1, $2, $3, 1) \
         ON CONFLICT (user_id, day, kind) DO UPDATE SET n = usage_counts.n + 1 \
         RETURNING n",
    )
    .bind(user_id)
    .bind(day)
    .bind(kind)
    .fetch_one(pool)
    .await?;
    Ok(count)
}

pub(super) async fn consume_usage(
    pool: &Pool,
    user_id: Uuid,
    day: NaiveDate,
    kind: &str,
    limit: u32,
) -> StoreResult<Option<i64>> {
    // One statement: the insert of the first event, or the
    // increment of a count still under the limit (the
    // conflicting row is locked and the condition checked
    // against its latest value).
    let count = sqlx::query_scalar(
        "INSERT INTO usage_counts (user_id, day, kind, n) \
         SELECT $1, $2, $3, 1 WHERE $4 > 0 \
         ON CONFLICT (user_id, day, kind) DO UPDATE SET n = usage_counts.n + 1 \
         WHERE usage_counts.n < $4 RETURNING n",
    )
    .bind(user_id)
    .bind(day)
    .bind(kind)
    .bind(i64::from(limit))
    .fetch_optional(pool)
    .await?;
    Ok(count)
}

pub(super) async fn refund_usage(
    pool: &Pool,
    user_id: Uuid,
    day: NaiveDate,
    kind: &str,
) -> StoreResult<()> {
    sqlx::query(
        "UPDATE usage_counts SET n = n - 1 \
         WHERE user_id = $1 AND day = $2 AND kind = $3 AND n > 0",
    )
    .bind(user_id)
    .bind(day)
    .bind(kind)
    .execute(pool)
    .await?;
    Ok(())
}

pub(super) async fn usage(
    pool: &Pool,
    user_id: Uuid,
    day: NaiveDate,
) -> StoreResult<BTreeMap<String, i64>> {
    let rows = sqlx::query("SELECT kind, n FROM usage_counts WHERE user_id = $1 AND day = $2")
        .bind(user_id)
        .bind(day)
        .fetch_all(pool)
        .await?;
    rows.iter()
        .map(|row| Ok((row.try_get("kind")?, row.try_get("n")?)))
        .collect()
}

pub(super) async fn insert_answer(
    pool: &Pool,
    answer_id: Uuid,
    user_id: Uuid,
    at: DateTime<Utc>,
    record: &str,
) -> StoreResult<bool> {
    let done = sqlx::query(
        "INSERT INTO answers (id, user_id, at, record) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (id) DO NOTHING",
    )
    .bind(answer_id)
    .bind(user_id)
    .bind(micros(at))
    .bind(record)
    .execute(pool)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The columns of an answer, for [`answer_row`].
pub(super) const ANSWER_COLUMNS: &str = "id, user_id, at, record";

pub(super) fn answer_row(row: &DbRow) -> StoreResult<AnswerRow> {
    Ok(AnswerRow {
        id: row.try_get("id")?,
        user_id: row.try_get("user_id")?,
        at: row.try_get("at")?,
        record: row.try_get("record")?,
    })
}

pub(super) async fn answer(pool: &Pool, answer_id: Uuid) -> StoreResult<Option<AnswerRow>> {
    let sql = format!("SELECT {ANSWER_COLUMNS} FROM answers WHERE id = $1");
    let row = sqlx::query(&sql)
        .bind(answer_id)
        .fetch_optional(pool)
        .await?;
    row.as_ref().map(answer_row).transpose()
}

pub(super) async fn insert_feedback(pool: &Pool, row: &FeedbackRow) -> StoreResult<bool> {
    let mut tx = pool.begin().await?;
    // Locks the answer's row: parallel ratings of one answer take turns, so
    // the cap below holds.
    let locked = sqlx::query("UPDATE answers SET at = at WHERE id = $1")
        .bind(row.answer_id)
        .execute(&mut *tx)
        .await?;
    if locked.rows_affected() == 0 {
        return Ok(false);
    }
    sqlx::query("INSERT INTO answer_feedback (answer_id, kind, note, at) VALUES ($1, $2, $3, $4)")
        .bind(row.answer_id)
        .bind(&row.kind)
        .bind(row.note.as_deref())
        .bind(micros(row.at))
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "DELETE FROM answer_feedback WHERE answer_id = $1 AND seq NOT IN \
         (SELECT seq FROM answer_feedback WHERE answer_id = $1 ORDER BY seq DESC LIMIT $2)",
    )
    .bind(row.answer_id)
    .bind(MAX_RATINGS_PER_ANSWER)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(true)
}

/// The columns of a rating, for [`feedback_row`].
pub(super) const FEEDBACK_COLUMNS: &str = "answer_id, kind, note, at";

pub(super) fn feedback_row(row: &DbRow) -> StoreResult<FeedbackRow> {
    Ok(FeedbackRow {
        answer_id: row.try_get("answer_id")?,
        kind: row.try_get("kind")?,
        note: row.try_get("note")?,
        at: row.try_get("at")?,
    })
}

pub(super) async fn feedback(pool: &Pool, answer_id: Uuid) -> StoreResult<Vec<FeedbackRow>> {
    let sql =
        format!("SELECT {FEEDBACK_COLUMNS} FROM answer_feedback WHERE answer_id = $1 ORDER BY seq");
    let rows = sqlx::query(&sql).bind(answer_id).fetch_all(pool).await?;
    rows.iter().map(feedback_row).collect()
}

pub(super) async fn checklist_done(
    pool: &Pool,
    user_id: Uuid,
) -> StoreResult<BTreeMap<String, DateTime<Utc>>> {
    let rows = sqlx::query("SELECT item, done_at FROM checklist_done WHERE user_id = $1")
        .bind(user_id)
        .fetch_all(pool)
        .await?;
    rows.iter()
        .map(|row| Ok((row.try_get("item")?, row.try_get("done_at")?)))
        .collect()
}

pub(super) async fn set_checklist_item(
    pool: &Pool,
    user_id: Uuid,
    item: &str,
    done_at: Option<DateTime<Utc>>,
) -> StoreResult<bool> {
    let done = match done_at {
        Some(at) => {
            sqlx::query(
                "INSERT INTO checklist_done (user_id, item, done_at) \
                 VALUES ($1, $2, $3) ON CONFLICT (user_id, item) DO NOTHING",
            )
            .bind(user_id)
            .bind(item)
            .bind(micros(at))
            .execute(pool)
            .await?
        }
        None => {
            sqlx::query("DELETE FROM checklist_done WHERE user_id = $1 AND item = $2")
                .bind(user_id)
                .bind(item)
                .execute(pool)
                .await?
        }
    };
    Ok(done.rows_affected() > 0)
}

pub(super) async fn cached_summary(
    pool: &Pool,
    portfolio_id: Uuid,
    day: NaiveDate,
) -> StoreResult<Option<serde_json::Value>> {
    let summary =
        sqlx::query_scalar("SELECT summary FROM summaries WHERE portfolio_id = $1 AND day = $2")
            .bind(portfolio_id)
            .bind(day)
            .fetch_optional(pool)
            .await?;
    Ok(summary)
}

pub(super) async fn put_summary(
    pool: &Pool,
    portfolio_id: Uuid,
    day: NaiveDate,
    summary: &serde_json::Value,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO summaries (portfolio_id, day, summary) VALUES ($1, $2, $3) \
         ON CONFLICT (portfolio_id, day) DO UPDATE SET summary = excluded.summary",
    )
    .bind(portfolio_id)
    .bind(day)
    .bind(Json(summary))
    .execute(pool)
    .await?;
    Ok(())
}
