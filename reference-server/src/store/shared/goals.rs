//! Savings goals: created (at most so many per user), listed, replaced and
//! deleted.

use sqlx::{Executor, Row as _};
use uuid::Uuid;

use super::users::lock_user_under_cap;
use super::{Db, DbRow, Pool};
use crate::store::sql::micros;
use crate::store::{GoalInput, GoalRecord, StoreResult};

const GOAL_COLUMNS: &str = "id, user_id, name, target, due_by, \
    monthly_contribution, expected_return, created_at";

fn goal_row(row: &DbRow) -> StoreResult<GoalRecord> {
    Ok(GoalRecord {
        id: row.try_get("id")?,
        user_id: row.try_get("user_id")?,
        name: row.try_get("name")?,
        target: row.try_get("target")?,
        by: row.try_get("due_by")?,
        monthly_contribution: row.try_get("monthly_contribution")?,
        expected_return: row.try_get("expected_return")?,
        created_at: row.try_get("created_at")?,
    })
}

pub(super) async fn create_goal(pool: &Pool, goal: &GoalRecord) -> StoreResult<()> {
    insert_goal(pool, goal).await
}

pub(super) async fn create_goal_capped(
    pool: &Pool,
    goal: &GoalRecord,
    max: usize,
) -> StoreResult<bool> {
    let mut tx = pool.begin().await?;
    let count = "SELECT COUNT(*) FROM goals WHERE user_id = $1";
    if !lock_user_under_cap(&mut tx, goal.user_id, count, max).await? {
        return Ok(false);
    }
    insert_goal(&mut *tx, goal).await?;
    tx.commit().await?;
    Ok(true)
}

async fn insert_goal<'e, E>(ex: E, goal: &GoalRecord) -> StoreResult<()>
where
    E: Executor<'e, Database = Db>,
{
    sqlx::query(
        "INSERT INTO goals (id, user_id, name, target, due_by, \
         monthly_contribution, expected_return, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(goal.id)
    .bind(goal.user_id)
    .bind(&goal.name)
    .bind(&goal.target)
    .bind(goal.by)
    .bind(goal.monthly_contribution.as_deref())
    .bind(goal.expected_return)
    .bind(micros(goal.created_at))
    .execute(ex)
    .await?;
    Ok(())
}

pub(super) async fn goals(pool: &Pool, user_id: Uuid) -> StoreResult<Vec<GoalRecord>> {
    let sql = format!(
        "SELECT {GOAL_COLUMNS} FROM goals WHERE user_id = $1 \
         ORDER BY created_at, id"
    );
    let rows = sqlx::query(&sql).bind(user_id).fetch_all(pool).await?;
    rows.iter().map(goal_row).collect()
}

pub(super) async fn goal(pool: &Pool, user_id: Uuid, id: Uuid) -> StoreResult<Option<GoalRecord>> {
    let sql = format!("SELECT {GOAL_COLUMNS} FROM goals WHERE id = $1 AND user_id = $2");
    let row = sqlx::query(&sql)
        .bind(id)
        .bind(user_id)
        .fetch_optional(pool)
        .await?;
    row.as_ref().map(goal_row).transpose()
}

pub(super) async fn update_goal(
    pool: &Pool,
    user_id: Uuid,
    id: Uuid,
    input: &GoalInput,
) -> StoreResult<Option<GoalRecord>> {
    let sql = format!(
        "UPDATE goals SET name = $3, target = $4, due_by = $5, \
         monthly_contribution = $6, expected_return = $7 \
         WHERE id = $1 AND user_id = $2 RETURNING {GOAL_COLUMNS}"
    );
    let row = sqlx::query(&sql)
        .bind(id)
        .bind(user_id)
        .bind(&input.name)
        .bind(&input.target)
        .bind(input.by)
        .bind(input.monthly_contribution.as_deref())
        .bind(input.expected_return)
        .fetch_optional(pool)
        .await?;
    row.as_ref().map(goal_row).transpose()
}

pub(super) async fn delete_goal(pool: &Pool, user_id: Uuid, id: Uuid) -> StoreResult<bool> {
    let done = sqlx::query("DELETE FROM goals WHERE id = $1 AND user_id = $2")
        .bind(id)
        .bind(user_id)
        .execute(pool)
        .await?;
    Ok(done.rows_affected() > 0)
}
