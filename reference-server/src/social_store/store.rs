//! [`Store`] on the server's database.

use auravest_social::{
    AccountStatus, AuditEvent, Entity, Flag, NewAuditEvent, NewFlag, NewNotification, NewPost,
    NewUser, Notification, NotificationId, OptIn, Post, PostId, PostQuery, Reactions, Result, Role,
    Store, User, UserId,
};
use chrono::{DateTime, Utc};

use super::query::{Arg, Sql, post_query};
use super::rows::*;
use super::{SqlPool, SqlSocialStore};

/// Takes the next event sequence number (inside the caller's transaction;
/// the counter row's lock orders concurrent events).
macro_rules! next_event {
    ($tx:expr) => {{
        let seq: i64 = sqlx::query_scalar(
            "UPDATE social_counters SET value = value + 1 WHERE name = 'events' RETURNING value",
        )
        .fetch_one(&mut *$tx)
        .await?;
        seq
    }};
}

impl Store for SqlSocialStore {
    async fn insert_user(&mut self, user: NewUser) -> Result<User> {
        on_pool!(self, p => {
            let key = user.alias.key();
            let taken: Option<i64> =
                sqlx::query_scalar("SELECT id FROM social_members WHERE alias_key = $1")
                    .bind(&key)
                    .fetch_optional(p)
                    .await?;
            if taken.is_some() {
                return Err(alias_taken(&user.alias));
            }
            let sql = format!(
                "INSERT INTO social_members (alias, alias_key, role, status, share_performance, \
                 count_holdings, joined_ns, alias_changed_ns, holdings, returns, warnings) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, NULL, '[]', '[]', 0) \
                 RETURNING {MEMBER_COLUMNS}"
            );
            let row: MemberRow = sqlx::query_as(&sql)
                .bind(user.alias.as_str())
                .bind(&key)
                .bind(Role::as_str(user.role))
                .bind(json(&AccountStatus::Active)?)
                .bind(false)
                .bind(false)
                .bind(nanos(user.joined_at))
                .fetch_one(p)
                .await
                .map_err(|e| if is_unique_violation(&e) { alias_taken(&user.alias) } else { e.into() })?;
            member_of(row)
        })
    }

    async fn user(&self, id: UserId) -> Result<Option<User>> {
        on_pool!(self, p => {
            let sql = format!("SELECT {MEMBER_COLUMNS} FROM social_members WHERE id = $1");
            let row: Option<MemberRow> = sqlx::query_as(&sql)
                .bind(sql_id(id.get()))
                .fetch_optional(p)
                .await?;
            row.map(member_of).transpose()
        })
    }

    async fn user_by_alias(&self, alias: &str) -> Result<Option<User>> {
        on_pool!(self, p => {
            let sql = format!("SELECT {MEMBER_COLUMNS} FROM social_members WHERE alias_key = $1");
            let row: Option<MemberRow> = sqlx::query_as(&sql)
                .bind(alias.to_ascii_lowercase())
                .fetch_optional(p)
                .await?;
            row.map(member_of).transpose()
        })
    }

    async fn update_user(&mut self, user: &User) -> Result<()> {
        on_pool!(self, p => {
            let id = sql_id(user.id.get());
            let key = user.alias.key();
            let exists: Option<i64> = sqlx::query_scalar("SELECT id FROM social_members WHERE id = $1")
                .bind(id)
                .fetch_optional(p)
                .await?;
            if exists.is_none() {
                return Err(not_found(Entity::User, user.id));
            }
            let other: Option<i64> = sqlx::query_scalar(
                "SELECT id FROM social_members WHERE alias_key = $1 AND id <> $2",
            )
            .bind(&key)
            .bind(id)
            .fetch_optional(p)
            .await?;
            if other.is_some() {
                return Err(alias_taken(&user.alias));
            }
            let done = sqlx::query(
                "UPDATE social_members SET alias = $1, alias_key = $2, role = $3, status = $4, \
                 share_performance = $5, count_holdings = $6, joined_ns = $7, \
                 alias_changed_ns = $8, holdings = $9, returns = $10, warnings = $11 \
                 WHERE id = $12",
            )
            .bind(user.alias.as_str())
            .bind(&key)
            .bind(Role::as_str(user.role))
            .bind(json(&user.status)?)
            .bind(user.settings.share_performance)
            .bind(user.settings.count_holdings_in_aggregates)
            .bind(nanos(user.joined_at))
            .bind(user.alias_changed_at.map(nanos))
            .bind(json(&user.holdings)?)
            .bind(json(&user.returns)?)
            .bind(i64::from(user.warnings))
            .bind(id)
            .execute(p)
            .await
            .map_err(|e| if is_unique_violation(&e) { alias_taken(&user.alias) } else { e.into() })?;
            if done.rows_affected() == 0 {
                return Err(not_found(Entity::User, user.id));
            }
            Ok(())
        })
    }

    async fn opted_in_users(&self, opt_in: OptIn) -> Result<Vec<User>> {
        let column = match opt_in {
            OptIn::Performance => "share_performance",
            OptIn::Holdings => "count_holdings",
        };
        on_pool!(self, p => {
            let sql = format!(
                "SELECT {MEMBER_COLUMNS} FROM social_members WHERE {column} = $1 ORDER BY id"
            );
            let rows: Vec<MemberRow> = sqlx::query_as(&sql).bind(true).fetch_all(p).await?;
            rows.into_iter().map(member_of).collect()
        })
    }

    async fn insert_post(&mut self, post: NewPost) -> Result<Post> {
        on_pool!(self, p => {
            let sql = format!(
                "INSERT INTO social_posts (author_id, anonymous, thread_id, reply_to, text, \
                 sentiment, cashtags, mentions, links, performance, created_ns, status, helpful) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 'visible', $12) \
                 RETURNING {POST_COLUMNS}"
            );
            let mut tx = p.begin().await?;
            let row: PostRow = sqlx::query_as(&sql)
                .bind(sql_id(post.author.get()))
                .bind(post.anonymous)
                .bind(post.thread.map(|t| sql_id(t.get())))
                .bind(post.reply_to.map(|r| sql_id(r.get())))
                .bind(post.text.as_str())
                .bind(sentiment_text(&post)?)
                .bind(json(&post.cashtags)?)
                .bind(json(&post.mentions)?)
                .bind(json(&post.links)?)
                .bind(post.performance.as_ref().map(json).transpose()?)
                .bind(nanos(post.created_at))
                .bind(false)
                .fetch_one(&mut *tx)
                .await?;
            for symbol in &post.cashtags {
                sqlx::query(
                    "INSERT INTO social_post_cashtags (post_id, symbol) VALUES ($1, $2) \
                     ON CONFLICT DO NOTHING",
                )
                .bind(row.0)
                .bind(symbol.as_str())
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
            post_of(row)
        })
    }

    async fn post(&self, id: PostId) -> Result<Option<Post>> {
        on_pool!(self, p => {
            let sql = format!("SELECT {POST_COLUMNS} FROM social_posts WHERE id = $1");
            let row: Option<PostRow> = sqlx::query_as(&sql)
                .bind(sql_id(id.get()))
                .fetch_optional(p)
                .await?;
            row.map(post_of).transpose()
        })
    }

    async fn update_post(&mut self, post: &Post) -> Result<()> {
        on_pool!(self, p => {
            let done = sqlx::query("UPDATE social_posts SET status = $1, helpful = $2 WHERE id = $3")
                .bind(status_name(post.status))
                .bind(post.helpful)
                .bind(sql_id(post.id.get()))
                .execute(p)
                .await?;
            if done.rows_affected() == 0 {
                return Err(not_found(Entity::Post, post.id));
            }
            Ok(())
        })
    }

    async fn last_post_id(&self) -> Result<Option<PostId>> {
        on_pool!(self, p => {
            let max: Option<i64> = sqlx::query_scalar("SELECT MAX(id) FROM social_posts")
                .fetch_one(p)
                .await?;
            Ok(max.map(raw_id).transpose()?.map(PostId::new))
        })
    }

    async fn query_posts(&self, query: &PostQuery) -> Result<Vec<Post>> {
        let Some(sql) = post_query(query) else {
            return Ok(Vec::new());
        };
        on_pool!(self, p => {
            let rows: Vec<PostRow> =
                bind_all!(sqlx::query_as(&sql.text), sql).fetch_all(p).await?;
            rows.into_iter().map(post_of).collect()
        })
    }

    async fn comment_counts(&self, posts: &[PostId]) -> Result<Vec<u32>> {
        if posts.is_empty() {
            return Ok(Vec::new());
        }
        let mut sql = Sql::default();
        let ids = sql.ints(posts.iter().map(|p| sql_id(p.get())));
        let visible = sql.arg(Arg::Text("visible".to_owned()));
        sql.text = format!(
            "SELECT thread_id, COUNT(*) FROM social_posts \
             WHERE thread_id IN ({ids}) AND status = {visible} GROUP BY thread_id"
        );
        let counts: Vec<(i64, i64)> = on_pool!(self, p => {
            Ok(bind_all!(sqlx::query_as(&sql.text), sql).fetch_all(p).await?)
        })?;
        Ok(posts
            .iter()
            .map(|post| {
                counts
                    .iter()
                    .find(|(id, _)| *id == sql_id(post.get()))
                    .map_or(0, |(_, n)| u32::try_from(*n).unwrap_or(u32::MAX))
            })
            .collect())
    }

    async fn event_seq(&self) -> Result<u64> {
        on_pool!(self, p => {
            let seq: i64 =
                sqlx::query_scalar("SELECT value FROM social_counters WHERE name = 'events'")
                    .fetch_one(p)
                    .await?;
            raw_id(seq)
        })
    }

    async fn insert_like(&mut self, post: PostId, user: UserId) -> Result<bool> {
        on_pool!(self, p => {
            let mut tx = p.begin().await?;
            let seq = next_event!(tx);
            let done = sqlx::query(
                "INSERT INTO social_likes (post_id, member_id, liked_seq) VALUES ($1, $2, $3) \
                 ON CONFLICT DO NOTHING",
            )
            .bind(sql_id(post.get()))
            .bind(sql_id(user.get()))
            .bind(seq)
            .execute(&mut *tx)
            .await?;
            if done.rows_affected() == 0 {
                tx.rollback().await?;
                return Ok(false);
            }
            tx.commit().await?;
            Ok(true)
        })
    }

    async fn remove_like(&mut self, post: PostId, user: UserId) -> Result<bool> {
        on_pool!(self, p => {
            let mut tx = p.begin().await?;
            let seq = next_event!(tx);
            let done = sqlx::query(
                "UPDATE social_likes SET unliked_seq = $3 \
                 WHERE post_id = $1 AND member_id = $2 AND unliked_seq IS NULL",
            )
            .bind(sql_id(post.get()))
            .bind(sql_id(user.get()))
            .bind(seq)
            .execute(&mut *tx)
            .await?;
            if done.rows_affected() == 0 {
                tx.rollback().await?;
                return Ok(false);
            }
            tx.commit().await?;
            Ok(true)
        })
    }

    async fn likes_of(&self, user: UserId, posts: &[PostId]) -> Result<Vec<bool>> {
        if posts.is_empty() {
            return Ok(Vec::new());
        }
        let mut sql = Sql::default();
        let member = sql.arg(Arg::Int(sql_id(user.get())));
        let ids = sql.ints(posts.iter().map(|p| sql_id(p.get())));
        sql.text = format!(
            "SELECT post_id FROM social_likes \
             WHERE member_id = {member} AND unliked_seq IS NULL AND post_id IN ({ids})"
        );
        let liked: Vec<i64> = on_pool!(self, p => {
            Ok(bind_all!(sqlx::query_scalar(&sql.text), sql).fetch_all(p).await?)
        })?;
        Ok(posts
            .iter()
            .map(|post| liked.contains(&sql_id(post.get())))
            .collect())
    }

    async fn liked_posts(&self, user: UserId) -> Result<Vec<PostId>> {
        on_pool!(self, p => {
            let ids: Vec<i64> = sqlx::query_scalar(
                "SELECT post_id FROM social_likes \
                 WHERE member_id = $1 AND unliked_seq IS NULL ORDER BY post_id",
            )
            .bind(sql_id(user.get()))
            .fetch_all(p)
            .await?;
            ids.into_iter().map(|id| Ok(PostId::new(raw_id(id)?))).collect()
        })
    }

    async fn reactions(&self, posts: &[PostId], at_seq: u64) -> Result<Vec<Reactions>> {
        if posts.is_empty() {
            return Ok(Vec::new());
        }
        let count = |table: &str, start: &str, end: &str| {
            let mut sql = Sql::default();
            let ids = sql.ints(posts.iter().map(|p| sql_id(p.get())));
            let at = sql.arg(Arg::Int(sql_id(at_seq)));
            sql.text = format!(
                "SELECT post_id, COUNT(*) FROM {table} WHERE post_id IN ({ids}) \
                 AND {start} <= {at} AND ({end} IS NULL OR {end} > {at}) GROUP BY post_id"
            );
            sql
        };
        let likes = count("social_likes", "liked_seq", "unliked_seq");
        let flags = count("social_flags", "seq", "reviewed_seq");
        let (likes, flags): (Counts, Counts) = on_pool!(self, p => {
            let l = bind_all!(sqlx::query_as(&likes.text), likes).fetch_all(p).await?;
            let f = bind_all!(sqlx::query_as(&flags.text), flags).fetch_all(p).await?;
            Ok((l, f))
        })?;
        let of = |counts: &[(i64, i64)], post: PostId| {
            counts
                .iter()
                .find(|(id, _)| *id == sql_id(post.get()))
                .map_or(0, |(_, n)| u32::try_from(*n).unwrap_or(u32::MAX))
        };
        Ok(posts
            .iter()
            .map(|post| Reactions {
                likes: of(&likes, *post),
                flags: of(&flags, *post),
            })
            .collect())
    }

    async fn insert_flag(&mut self, flag: NewFlag) -> Result<bool> {
        on_pool!(self, p => {
            let reason = json(&flag.reason)?;
            let mut tx = p.begin().await?;
            let seq = next_event!(tx);
            let done = sqlx::query(
                "INSERT INTO social_flags (post_id, reporter_id, reason, at_ns, seq) \
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
            )
            .bind(sql_id(flag.post.get()))
            .bind(sql_id(flag.reporter.get()))
            .bind(reason)
            .bind(nanos(flag.at))
            .bind(seq)
            .execute(&mut *tx)
            .await?;
            if done.rows_affected() == 0 {
                tx.rollback().await?;
                return Ok(false);
            }
            tx.commit().await?;
            Ok(true)
        })
    }

    async fn flags(&self, post: PostId) -> Result<Vec<Flag>> {
        on_pool!(self, p => {
            let sql =
                format!("SELECT {FLAG_COLUMNS} FROM social_flags WHERE post_id = $1 ORDER BY seq, id");
            let rows: Vec<FlagRow> = sqlx::query_as(&sql)
                .bind(sql_id(post.get()))
                .fetch_all(p)
                .await?;
            rows.into_iter().map(flag_of).collect()
        })
    }

    async fn flags_by(&self, reporter: UserId) -> Result<Vec<Flag>> {
        on_pool!(self, p => {
            let sql = format!(
                "SELECT {FLAG_COLUMNS} FROM social_flags WHERE reporter_id = $1 ORDER BY seq, id"
            );
            let rows: Vec<FlagRow> = sqlx::query_as(&sql)
                .bind(sql_id(reporter.get()))
                .fetch_all(p)
                .await?;
            rows.into_iter().map(flag_of).collect()
        })
    }

    async fn open_flags(&self) -> Result<Vec<Flag>> {
        on_pool!(self, p => {
            let sql = format!(
                "SELECT {FLAG_COLUMNS} FROM social_flags WHERE reviewed_seq IS NULL ORDER BY seq, id"
            );
            let rows: Vec<FlagRow> = sqlx::query_as(&sql).fetch_all(p).await?;
            rows.into_iter().map(flag_of).collect()
        })
    }

    async fn review_flags(&mut self, post: PostId) -> Result<usize> {
        on_pool!(self, p => {
            let mut tx = p.begin().await?;
            let seq = next_event!(tx);
            let done = sqlx::query(
                "UPDATE social_flags SET reviewed_seq = $2 \
                 WHERE post_id = $1 AND reviewed_seq IS NULL",
            )
            .bind(sql_id(post.get()))
            .bind(seq)
            .execute(&mut *tx)
            .await?;
            if done.rows_affected() == 0 {
                tx.rollback().await?;
                return Ok(0);
            }
            tx.commit().await?;
            Ok(usize::try_from(done.rows_affected()).unwrap_or(usize::MAX))
        })
    }

    async fn insert_follow(
        &mut self,
        follower: UserId,
        followee: UserId,
        at: DateTime<Utc>,
    ) -> Result<bool> {
        on_pool!(self, p => {
            let done = sqlx::query(
                "INSERT INTO social_follows (follower_id, followee_id, at_ns) \
                 VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
            )
            .bind(sql_id(follower.get()))
            .bind(sql_id(followee.get()))
            .bind(nanos(at))
            .execute(p)
            .await?;
            Ok(done.rows_affected() == 1)
        })
    }

    async fn remove_follow(&mut self, follower: UserId, followee: UserId) -> Result<bool> {
        on_pool!(self, p => {
            let done =
                sqlx::query("DELETE FROM social_follows WHERE follower_id = $1 AND followee_id = $2")
                    .bind(sql_id(follower.get()))
                    .bind(sql_id(followee.get()))
                    .execute(p)
                    .await?;
            Ok(done.rows_affected() > 0)
        })
    }

    async fn following(&self, user: UserId) -> Result<Vec<UserId>> {
        on_pool!(self, p => {
            let ids: Vec<i64> = sqlx::query_scalar(
                "SELECT followee_id FROM social_follows WHERE follower_id = $1 ORDER BY followee_id",
            )
            .bind(sql_id(user.get()))
            .fetch_all(p)
            .await?;
            ids.into_iter().map(|id| Ok(UserId::new(raw_id(id)?))).collect()
        })
    }

    async fn followers(&self, user: UserId) -> Result<Vec<UserId>> {
        on_pool!(self, p => {
            let ids: Vec<i64> = sqlx::query_scalar(
                "SELECT follower_id FROM social_follows WHERE followee_id = $1 ORDER BY follower_id",
            )
            .bind(sql_id(user.get()))
            .fetch_all(p)
            .await?;
            ids.into_iter().map(|id| Ok(UserId::new(raw_id(id)?))).collect()
        })
    }

    async fn insert_notification(&mut self, notification: NewNotification) -> Result<Notification> {
        let made = on_pool!(self, p => {
            let sql = format!(
                "INSERT INTO social_notifications (recipient_id, kind, actor_id, created_ns, is_read) \
                 VALUES ($1, $2, $3, $4, $5) RETURNING {NOTIFICATION_COLUMNS}"
            );
            let row: NotificationRow = sqlx::query_as(&sql)
                .bind(sql_id(notification.recipient.get()))
                .bind(json(&notification.kind)?)
                .bind(notification.actor.map(|a| sql_id(a.get())))
                .bind(nanos(notification.created_at))
                .bind(false)
                .fetch_one(p)
                .await?;
            notification_of(row)
        })?;
        if let Some(bus) = &self.live {
            bus.announce(crate::live::NewEvent {
                kind: crate::live::Kind::Notification,
                audience: Some(sql_id(made.recipient.get())),
                author: None,
                post: None,
                symbols: Vec::new(),
                payload: serde_json::json!({ "id": made.id.to_string(), "kind": made.kind }),
            })
            .await;
        }
        Ok(made)
    }

    async fn notifications(
        &self,
        recipient: UserId,
        unread_only: bool,
    ) -> Result<Vec<Notification>> {
        on_pool!(self, p => {
            let filter = if unread_only { " AND is_read = $2" } else { "" };
            let sql = format!(
                "SELECT {NOTIFICATION_COLUMNS} FROM social_notifications \
                 WHERE recipient_id = $1{filter} ORDER BY id DESC"
            );
            let mut q = sqlx::query_as(&sql).bind(sql_id(recipient.get()));
            if unread_only {
                q = q.bind(false);
            }
            let rows: Vec<NotificationRow> = q.fetch_all(p).await?;
            rows.into_iter().map(notification_of).collect()
        })
    }

    async fn mark_read(&mut self, recipient: UserId, ids: &[NotificationId]) -> Result<usize> {
        if ids.is_empty() {
            return Ok(0);
        }
        let mut sql = Sql::default();
        let read = sql.arg(Arg::Bool(true));
        let unread = sql.arg(Arg::Bool(false));
        let who = sql.arg(Arg::Int(sql_id(recipient.get())));
        let list = sql.ints(ids.iter().map(|n| sql_id(n.get())));
        sql.text = format!(
            "UPDATE social_notifications SET is_read = {read} \
             WHERE recipient_id = {who} AND is_read = {unread} AND id IN ({list})"
        );
        on_pool!(self, p => {
            let done = bind_all!(sqlx::query(&sql.text), sql).execute(p).await?;
            Ok(usize::try_from(done.rows_affected()).unwrap_or(usize::MAX))
        })
    }

    async fn insert_audit(&mut self, event: NewAuditEvent) -> Result<AuditEvent> {
        on_pool!(self, p => {
            let sql = format!(
                "INSERT INTO social_audit (at_ns, actor_id, action, reason) \
                 VALUES ($1, $2, $3, $4) RETURNING {AUDIT_COLUMNS}"
            );
            let row: AuditRow = sqlx::query_as(&sql)
                .bind(nanos(event.at))
                .bind(sql_id(event.actor.get()))
                .bind(json(&event.action)?)
                .bind(event.reason.as_str())
                .fetch_one(p)
                .await?;
            audit_of(row)
        })
    }

    async fn audit_events(&self) -> Result<Vec<AuditEvent>> {
        on_pool!(self, p => {
            let sql = format!("SELECT {AUDIT_COLUMNS} FROM social_audit ORDER BY id");
            let rows: Vec<AuditRow> = sqlx::query_as(&sql).fetch_all(p).await?;
            rows.into_iter().map(audit_of).collect()
        })
    }
}
