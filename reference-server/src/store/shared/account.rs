//! Everything stored about one user, read out together or erased together.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use sqlx::Row as _;
use uuid::Uuid;

use super::users::{load_user, lock_user};
use super::{Backend, Pool, alerts, goals, ledger, metering, portfolios, risk};
use crate::store::{AnswerRow, FeedbackRow, StoreResult, UserData};

pub(super) async fn user_data(pool: &Pool, id: Uuid) -> StoreResult<Option<UserData>> {
    let Some(user) = load_user(pool, id).await? else {
        return Ok(None);
    };
    let risk_profiles = risk::risk_history(pool, id).await?;
    let mut portfolios = Vec::new();
    for portfolio in portfolios::portfolios(pool, id).await? {
        let rows = ledger::transactions(pool, portfolio.id).await?;
        portfolios.push((portfolio, rows));
    }
    let goals = goals::goals(pool, id).await?;
    let mut usage: BTreeMap<NaiveDate, BTreeMap<String, i64>> = BTreeMap::new();
    let rows = sqlx::query("SELECT day, kind, n FROM usage_counts WHERE user_id = $1")
        .bind(id)
        .fetch_all(pool)
        .await?;
    for row in rows {
        let day: NaiveDate = row.try_get("day")?;
        usage
            .entry(day)
            .or_default()
            .insert(row.try_get("kind")?, row.try_get("n")?);
    }
    let sql = format!(
        "SELECT {} FROM answers WHERE user_id = $1 ORDER BY at, id",
        metering::ANSWER_COLUMNS
    );
    let rows = sqlx::query(&sql).bind(id).fetch_all(pool).await?;
    let answers = rows
        .iter()
        .map(metering::answer_row)
        .collect::<StoreResult<Vec<AnswerRow>>>()?;
    let sql = format!(
        "SELECT {} FROM answer_feedback f JOIN answers a ON a.id = f.answer_id \
         WHERE a.user_id = $1 ORDER BY f.seq",
        metering::FEEDBACK_COLUMNS
            .split(", ")
            .map(|c| format!("f.{c}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let rows = sqlx::query(&sql).bind(id).fetch_all(pool).await?;
    let mut feedback = rows
        .iter()
        .map(metering::feedback_row)
        .collect::<StoreResult<Vec<FeedbackRow>>>()?;
    // By answer, then oldest first (the sort is stable).
    feedback.sort_by_key(|f| f.answer_id);
    let checklist = metering::checklist_done(pool, id).await?;
    Ok(Some(UserData {
        user,
        risk_profiles,
        portfolios,
        goals,
        usage,
        answers,
        feedback,
        checklist,
        watchlist: alerts::watchlist(pool, id).await?,
        alerts: alerts::alerts(pool, id).await?,
    }))
}

pub(super) async fn delete_user(store: &Backend, id: Uuid) -> StoreResult<bool> {
    // Children first, so the result does not rest on the
    // foreign keys' cascades alone.
    const STATEMENTS: [&str; 17] = [
        "DELETE FROM user_tiers WHERE user_id = $1",
        "DELETE FROM plus_interest WHERE user_id = $1",
        "DELETE FROM watchlist WHERE user_id = $1",
        "DELETE FROM alert_rules WHERE user_id = $1",
        "DELETE FROM answer_feedback WHERE answer_id IN \
         (SELECT id FROM answers WHERE user_id = $1)",
        "DELETE FROM checklist_done WHERE user_id = $1",
        "DELETE FROM answers WHERE user_id = $1",
        "DELETE FROM summaries WHERE portfolio_id IN \
         (SELECT id FROM portfolios WHERE user_id = $1)",
        "DELETE FROM own_prices WHERE portfolio_id IN \
         (SELECT id FROM portfolios WHERE user_id = $1)",
        "DELETE FROM transactions WHERE portfolio_id IN \
         (SELECT id FROM portfolios WHERE user_id = $1)",
        "DELETE FROM portfolios WHERE user_id = $1",
        "DELETE FROM goals WHERE user_id = $1",
        "DELETE FROM risk_profiles WHERE user_id = $1",
        "DELETE FROM refresh_tokens WHERE user_id = $1",
        "DELETE FROM usage_counts WHERE user_id = $1",
        "DELETE FROM consents WHERE user_id = $1",
        "DELETE FROM audit_subjects WHERE user_id = $1",
    ];
    let mut tx = store.pool.begin().await?;
    // The rows other changes lock first, in the same order:
    // the user, then the user's portfolios.
    if !lock_user(&mut tx, id).await? {
        return Ok(false);
    }
    sqlx::query("UPDATE portfolios SET version = version + 1 WHERE user_id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    for sql in STATEMENTS {
        sqlx::query(sql).bind(id).execute(&mut *tx).await?;
    }
    let done = sqlx::query("DELETE FROM users WHERE id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    store.after_erase().await;
    Ok(done.rows_affected() > 0)
}
