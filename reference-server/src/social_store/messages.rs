//! Direct messages, each member's choice to take them, and blocks, on the
//! community's pool (`direct_messages`, `message_settings`,
//! `member_blocks`). Who may write to whom is the community crate's rule
//! (`auravest_social::MessageContext`); this only stores.

use auravest_social::{Result, UserId};
use chrono::{DateTime, Utc};

use super::SqlSocialStore;
use super::rows::{nanos, sql_id};
use crate::store::SqlPool;

/// A stored message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageRow {
    /// Its id (a UUID).
    pub id: String,
    /// The sender's member id.
    pub sender: i64,
    /// The recipient's member id.
    pub recipient: i64,
    /// The text.
    pub body: String,
    /// When it was sent (ns since the epoch).
    pub created_ns: i64,
    /// When the recipient read it.
    pub read_ns: Option<i64>,
    /// When the recipient reported it to the moderators.
    pub reported_ns: Option<i64>,
    /// Why.
    pub report_reason: Option<String>,
}

type Row = (
    String,
    i64,
    i64,
    String,
    i64,
    Option<i64>,
    Option<i64>,
    Option<String>,
);

const COLUMNS: &str =
    "id, sender_id, recipient_id, body, created_ns, read_ns, reported_ns, report_reason";

fn message(
    (id, sender, recipient, body, created_ns, read_ns, reported_ns, report_reason): Row,
) -> MessageRow {
    MessageRow {
        id,
        sender,
        recipient,
        body,
        created_ns,
        read_ns,
        reported_ns,
        report_reason,
    }
}

/// Runs the same statements on whichever pool the store has.
macro_rules! on {
    ($self:expr, $p:ident => $body:expr) => {
        match &$self.pool {
            SqlPool::Sqlite($p) => $self.finish(async { $body }.await),
            SqlPool::Postgres($p) => $self.finish(async { $body }.await),
        }
    };
}

fn key(member: UserId) -> i64 {
    sql_id(member.get())
}

impl SqlSocialStore {
    /// Does the member take messages (yes until they say otherwise)?
    ///
    /// # Errors
    /// Backend failures.
    pub async fn accepts_messages(&self, member: UserId) -> Result<bool> {
        on!(self, p => {
            let v: Option<bool> =
                sqlx::query_scalar("SELECT accepts FROM message_settings WHERE member_id = $1")
                    .bind(key(member))
                    .fetch_optional(p)
                    .await?;
            Ok(v.unwrap_or(true))
        })
    }

    /// Sets whether the member takes messages.
    ///
    /// # Errors
    /// Backend failures.
    pub async fn set_accepts_messages(&self, member: UserId, accepts: bool) -> Result<()> {
        on!(self, p => {
            sqlx::query(
                "INSERT INTO message_settings (member_id, accepts) VALUES ($1, $2) \
                 ON CONFLICT (member_id) DO UPDATE SET accepts = excluded.accepts",
            )
            .bind(key(member))
            .bind(accepts)
            .execute(p)
            .await?;
            Ok(())
        })
    }

    /// Has either blocked the other?
    ///
    /// # Errors
    /// Backend failures.
    pub async fn blocked_between(&self, a: UserId, b: UserId) -> Result<bool> {
        on!(self, p => {
            let n: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM member_blocks WHERE (blocker_id = $1 AND blocked_id = $2) \
                 OR (blocker_id = $2 AND blocked_id = $1)",
            )
            .bind(key(a))
            .bind(key(b))
            .fetch_one(p)
            .await?;
            Ok(n > 0)
        })
    }

    /// Has `blocker` blocked `blocked`?
    ///
    /// # Errors
    /// Backend failures.
    pub async fn has_blocked(&self, blocker: UserId, blocked: UserId) -> Result<bool> {
        on!(self, p => {
            let n: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM member_blocks WHERE blocker_id = $1 AND blocked_id = $2",
            )
            .bind(key(blocker))
            .bind(key(blocked))
            .fetch_one(p)
            .await?;
            Ok(n > 0)
        })
    }

    /// Blocks (or, with `on == false`, unblocks) a member; true when it
    /// changed something.
    ///
    /// # Errors
    /// Backend failures.
    pub async fn set_block(
        &self,
        blocker: UserId,
        blocked: UserId,
        on: bool,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        on!(self, p => {
            let done = if on {
                sqlx::query(
                    "INSERT INTO member_blocks (blocker_id, blocked_id, created_ns) \
                     VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
                )
                .bind(key(blocker))
                .bind(key(blocked))
                .bind(nanos(now))
                .execute(p)
                .await?
            } else {
                sqlx::query("DELETE FROM member_blocks WHERE blocker_id = $1 AND blocked_id = $2")
                    .bind(key(blocker))
                    .bind(key(blocked))
                    .execute(p)
                    .await?
            };
            Ok(done.rows_affected() > 0)
        })
    }

    /// Messages the member sent since `since`.
    ///
    /// # Errors
    /// Backend failures.
    pub async fn messages_sent_since(&self, sender: UserId, since: DateTime<Utc>) -> Result<u32> {
        on!(self, p => {
            let n: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM direct_messages WHERE sender_id = $1 AND created_ns >= $2",
            )
            .bind(key(sender))
            .bind(nanos(since))
            .fetch_one(p)
            .await?;
            Ok(u32::try_from(n).unwrap_or(u32::MAX))
        })
    }

    /// Stores a message.
    ///
    /// # Errors
    /// Backend failures.
    pub async fn insert_message(&self, m: &MessageRow) -> Result<()> {
        on!(self, p => {
            sqlx::query(&format!(
                "INSERT INTO direct_messages ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
            ))
            .bind(&m.id)
            .bind(m.sender)
            .bind(m.recipient)
            .bind(&m.body)
            .bind(m.created_ns)
            .bind(m.read_ns)
            .bind(m.reported_ns)
            .bind(m.report_reason.as_deref())
            .execute(p)
            .await?;
            Ok(())
        })
    }

    /// The last `limit` messages between two members, oldest first.
    ///
    /// # Errors
    /// Backend failures.
    pub async fn conversation(&self, a: UserId, b: UserId, limit: i64) -> Result<Vec<MessageRow>> {
        on!(self, p => {
            let rows: Vec<Row> = sqlx::query_as(&format!(
                "SELECT {COLUMNS} FROM direct_messages \
                 WHERE (sender_id = $1 AND recipient_id = $2) OR (sender_id = $2 AND recipient_id = $1) \
                 ORDER BY created_ns DESC, id DESC LIMIT $3"
            ))
            .bind(key(a))
            .bind(key(b))
            .bind(limit)
            .fetch_all(p)
            .await?;
            Ok(rows.into_iter().rev().map(message).collect())
        })
    }

    /// Marks what `from` sent to `reader` as read.
    ///
    /// # Errors
    /// Backend failures.
    pub async fn mark_messages_read(
        &self,
        reader: UserId,
        from: UserId,
        now: DateTime<Utc>,
    ) -> Result<()> {
        on!(self, p => {
            sqlx::query(
                "UPDATE direct_messages SET read_ns = $3 \
                 WHERE recipient_id = $1 AND sender_id = $2 AND read_ns IS NULL",
            )
            .bind(key(reader))
            .bind(key(from))
            .bind(nanos(now))
            .execute(p)
            .await?;
            Ok(())
        })
    }

    /// Every message the member sent or received, newest first, at most
    /// `limit` (the conversations list and the export).
    ///
    /// # Errors
    /// Backend failures.
    pub async fn messages_of(&self, member: UserId, limit: i64) -> Result<Vec<MessageRow>> {
        on!(self, p => {
            let rows: Vec<Row> = sqlx::query_as(&format!(
                "SELECT {COLUMNS} FROM direct_messages WHERE sender_id = $1 OR recipient_id = $1 \
                 ORDER BY created_ns DESC, id DESC LIMIT $2"
            ))
            .bind(key(member))
            .bind(limit)
            .fetch_all(p)
            .await?;
            Ok(rows.into_iter().map(message).collect())
        })
    }

    /// Reports a message its recipient received; false when it is not
    /// theirs or was reported already.
    ///
    /// # Errors
    /// Backend failures.
    pub async fn report_message(
        &self,
        id: &str,
        recipient: UserId,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        on!(self, p => {
            let done = sqlx::query(
                "UPDATE direct_messages SET reported_ns = $3, report_reason = $4 \
                 WHERE id = $1 AND recipient_id = $2 AND reported_ns IS NULL",
            )
            .bind(id)
            .bind(key(recipient))
            .bind(nanos(now))
            .bind(reason)
            .execute(p)
            .await?;
            Ok(done.rows_affected() > 0)
        })
    }

    /// Reported messages, newest report first (for moderators).
    ///
    /// # Errors
    /// Backend failures.
    pub async fn reported_messages(&self, limit: i64) -> Result<Vec<MessageRow>> {
        on!(self, p => {
            let rows: Vec<Row> = sqlx::query_as(&format!(
                "SELECT {COLUMNS} FROM direct_messages WHERE reported_ns IS NOT NULL \
                 AND report_resolved_ns IS NULL ORDER BY reported_ns DESC LIMIT $1"
            ))
            .bind(limit)
            .fetch_all(p)
            .await?;
            Ok(rows.into_iter().map(message).collect())
        })
    }

    /// Closes an open report of a message; false when there is none.
    ///
    /// # Errors
    /// Backend failures.
    pub async fn resolve_message_report(&self, id: &str, now: DateTime<Utc>) -> Result<bool> {
        on!(self, p => {
            let done = sqlx::query(
                "UPDATE direct_messages SET report_resolved_ns = $2 \
                 WHERE id = $1 AND reported_ns IS NOT NULL AND report_resolved_ns IS NULL",
            )
            .bind(id)
            .bind(nanos(now))
            .execute(p)
            .await?;
            Ok(done.rows_affected() > 0)
        })
    }

    /// The members this member blocked.
    ///
    /// # Errors
    /// Backend failures.
    pub async fn blocks_of(&self, member: UserId) -> Result<Vec<i64>> {
        on!(self, p => {
            let ids: Vec<i64> = sqlx::query_scalar(
                "SELECT blocked_id FROM member_blocks WHERE blocker_id = $1 ORDER BY blocked_id",
            )
            .bind(key(member))
            .fetch_all(p)
            .await?;
            Ok(ids)
        })
    }

    /// Removes a leaving member's messages (sent and received), setting,
    /// blocks and feedback.
    ///
    /// # Errors
    /// Backend failures.
    pub async fn erase_messages(&self, member: UserId) -> Result<()> {
        on!(self, p => {
            for sql in [
                "DELETE FROM direct_messages WHERE sender_id = $1 OR recipient_id = $1",
                "DELETE FROM community_feedback WHERE member_id = $1",
                "UPDATE community_feedback SET resolved_by = NULL WHERE resolved_by = $1",
                "DELETE FROM message_settings WHERE member_id = $1",
                "DELETE FROM member_blocks WHERE blocker_id = $1 OR blocked_id = $1",
            ] {
                sqlx::query(sql).bind(key(member)).execute(p).await?;
            }
            Ok(())
        })
    }
}

/// Feedback a member sent to the moderators.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedbackRow {
    /// Its id (a UUID).
    pub id: String,
    /// Who sent it.
    pub member: i64,
    /// `safety`, `bug`, `idea` or `other`.
    pub category: String,
    /// The text.
    pub body: String,
    /// When (ns since the epoch).
    pub created_ns: i64,
    /// When a moderator resolved it.
    pub resolved_ns: Option<i64>,
}

type FeedbackDbRow = (String, i64, String, String, i64, Option<i64>);

fn feedback((id, member, category, body, created_ns, resolved_ns): FeedbackDbRow) -> FeedbackRow {
    FeedbackRow {
        id,
        member,
        category,
        body,
        created_ns,
        resolved_ns,
    }
}

impl SqlSocialStore {
    /// Feedback the member sent since `since`.
    ///
    /// # Errors
    /// Backend failures.
    pub async fn feedback_sent_since(&self, member: UserId, since: DateTime<Utc>) -> Result<u32> {
        on!(self, p => {
            let n: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM community_feedback WHERE member_id = $1 AND created_ns >= $2",
            )
            .bind(key(member))
            .bind(nanos(since))
            .fetch_one(p)
            .await?;
            Ok(u32::try_from(n).unwrap_or(u32::MAX))
        })
    }

    /// Stores feedback.
    ///
    /// # Errors
    /// Backend failures.
    pub async fn insert_feedback(&self, f: &FeedbackRow) -> Result<()> {
        on!(self, p => {
            sqlx::query(
                "INSERT INTO community_feedback (id, member_id, category, body, created_ns, resolved_ns) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(&f.id)
            .bind(f.member)
            .bind(&f.category)
            .bind(&f.body)
            .bind(f.created_ns)
            .bind(f.resolved_ns)
            .execute(p)
            .await?;
            Ok(())
        })
    }

    /// Open feedback, oldest first (for moderators).
    ///
    /// # Errors
    /// Backend failures.
    pub async fn open_feedback(&self, limit: i64) -> Result<Vec<FeedbackRow>> {
        on!(self, p => {
            let rows: Vec<FeedbackDbRow> = sqlx::query_as(
                "SELECT id, member_id, category, body, created_ns, resolved_ns FROM community_feedback \
                 WHERE resolved_ns IS NULL ORDER BY created_ns, id LIMIT $1",
            )
            .bind(limit)
            .fetch_all(p)
            .await?;
            Ok(rows.into_iter().map(feedback).collect())
        })
    }

    /// The member's own feedback, newest first (for the export).
    ///
    /// # Errors
    /// Backend failures.
    pub async fn feedback_of(&self, member: UserId) -> Result<Vec<FeedbackRow>> {
        on!(self, p => {
            let rows: Vec<FeedbackDbRow> = sqlx::query_as(
                "SELECT id, member_id, category, body, created_ns, resolved_ns FROM community_feedback \
                 WHERE member_id = $1 ORDER BY created_ns DESC, id DESC",
            )
            .bind(key(member))
            .fetch_all(p)
            .await?;
            Ok(rows.into_iter().map(feedback).collect())
        })
    }

    /// Resolves open feedback; false when unknown or resolved already.
    ///
    /// # Errors
    /// Backend failures.
    pub async fn resolve_feedback(&self, id: &str, by: UserId, now: DateTime<Utc>) -> Result<bool> {
        on!(self, p => {
            let done = sqlx::query(
                "UPDATE community_feedback SET resolved_ns = $2, resolved_by = $3 \
                 WHERE id = $1 AND resolved_ns IS NULL",
            )
            .bind(id)
            .bind(nanos(now))
            .bind(key(by))
            .execute(p)
            .await?;
            Ok(done.rows_affected() > 0)
        })
    }
}
