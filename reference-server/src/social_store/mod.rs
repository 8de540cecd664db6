//! The community's storage on the server's database: [`SqlSocialStore`]
//! implements [`auravest_social::Store`] on SQLite and PostgreSQL, so
//! members, posts, likes, flags, follows, notifications and the community's
//! own moderation audit survive restarts and are shared by replicas.
//!
//! It works on the server store's own connection pool
//! ([`crate::store::Store::sql_pool`]), so the community shares the
//! database, its limits and its shutdown with everything else, and every
//! method is an ordinary `async` query: nothing blocks a runtime thread.
//!
//! # SQL
//!
//! Every method is written once: `on_pool!` runs the same async body on
//! the SQLite or the PostgreSQL pool, with numbered `$n` placeholders,
//! `RETURNING` and `ON CONFLICT DO NOTHING`, which both accept. Instants are
//! stored as integer nanoseconds, so `(created_at, id)` orders and compares
//! exactly as the community's cursors expect; structured values (statuses,
//! notification kinds, flag reasons, audit actions) are JSON text.
//!
//! # Tables
//!
//! `migrations/*/0002_social.sql`: `social_members`, `social_accounts` (our
//! user id → member id), `social_posts` and `social_post_cashtags`,
//! `social_likes`, `social_flags`, `social_counters` (the event sequence),
//! `social_follows`, `social_notifications` and `social_audit`.

use auravest_social::{Error, Result, UserId};
use sqlx::{PgPool, SqlitePool};
use uuid::Uuid;

use crate::state::AppState;
use crate::store::SqlPool;

/// What happens to a leaving member's posts and comments.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PostsChoice {
    /// Their text is erased and they are deleted (kept as empty tombstones,
    /// so others' comments keep their thread).
    Delete,
    /// They stay, shown as anonymous, no longer linked to any member.
    Anonymize,
}

impl PostsChoice {
    /// Parses `delete` or `anonymize`.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "delete" => Some(Self::Delete),
            "anonymize" => Some(Self::Anonymize),
            _ => None,
        }
    }
}

/// The author id given to anonymised posts: no member has it.
const NO_MEMBER: i64 = 0;

/// The community's [`Store`](auravest_social::Store) on the server's database. Cheap to clone (a
/// pool handle).
#[derive(Debug, Clone)]
pub struct SqlSocialStore {
    pool: SqlPool,
    /// Where new notifications are announced to their recipient's live
    /// connections (none for a bare store).
    live: Option<crate::live::LiveBus>,
}

/// Why a query failed, before it becomes the community's [`Error`].
enum Fail {
    Sql(sqlx::Error),
    Data(String),
    Rule(Error),
}

impl From<sqlx::Error> for Fail {
    fn from(e: sqlx::Error) -> Self {
        Self::Sql(e)
    }
}

impl From<Error> for Fail {
    fn from(e: Error) -> Self {
        Self::Rule(e)
    }
}

impl From<serde_json::Error> for Fail {
    fn from(e: serde_json::Error) -> Self {
        Self::Data(e.to_string())
    }
}

type Done<T> = std::result::Result<T, Fail>;

/// Runs `$body` (an async block's body using `$p` as the pool) on whichever
/// backend the store has, and maps its failure to the community's error.
macro_rules! on_pool {
    ($self:expr, $p:ident => $body:expr) => {
        match &$self.pool {
            SqlPool::Sqlite($p) => $self.finish(async { $body }.await),
            SqlPool::Postgres($p) => $self.finish(async { $body }.await),
        }
    };
}

/// Binds the arguments of a [`Sql`] to a query.
macro_rules! bind_all {
    ($query:expr, $sql:expr) => {{
        let mut q = $query;
        for arg in &$sql.args {
            q = match arg {
                Arg::Int(v) => q.bind(*v),
                Arg::Bool(v) => q.bind(*v),
                Arg::Text(v) => q.bind(v.as_str()),
            };
        }
        q
    }};
}

mod messages;
mod query;
mod rows;
mod store;

pub use messages::{FeedbackRow, MessageRow};
use rows::*;

impl SqlSocialStore {
    /// A store on a SQLite pool whose database has the migrations applied.
    pub fn sqlite(pool: SqlitePool) -> Self {
        Self {
            pool: SqlPool::Sqlite(pool),
            live: None,
        }
    }

    /// A store on a PostgreSQL pool whose database has the migrations applied.
    pub fn postgres(pool: PgPool) -> Self {
        Self {
            pool: SqlPool::Postgres(pool),
            live: None,
        }
    }

    /// The community store of a server state: its store's own pool.
    pub fn of(state: &AppState) -> Self {
        Self {
            pool: state.store.sql_pool(),
            live: Some(state.live.clone()),
        }
    }

    fn backend(&self) -> &'static str {
        match self.pool {
            SqlPool::Sqlite(_) => "sqlite",
            SqlPool::Postgres(_) => "postgres",
        }
    }

    /// A query's outcome as the community's [`Result`].
    fn finish<T>(&self, done: Done<T>) -> Result<T> {
        done.map_err(|fail| match fail {
            Fail::Rule(e) => e,
            Fail::Sql(e) => Error::Storage {
                backend: self.backend(),
                detail: e.to_string(),
            },
            Fail::Data(detail) => Error::Storage {
                backend: self.backend(),
                detail: format!("stored value: {detail}"),
            },
        })
    }

    /// The member acting for our user, and our alias as last carried over.
    ///
    /// # Errors
    /// Backend failures.
    pub async fn account(&self, user: Uuid) -> Result<Option<(UserId, String)>> {
        on_pool!(self, p => {
            let row: Option<(i64, String)> = sqlx::query_as(
                "SELECT member_id, synced_alias FROM social_accounts WHERE user_id = $1",
            )
            .bind(user)
            .fetch_optional(p)
            .await?;
            row.map(|(m, a)| Ok((UserId::new(raw_id(m)?), a))).transpose()
        })
    }

    /// Records that `member` acts for our user; `false` when the user
    /// already has a member (a concurrent first request won).
    ///
    /// # Errors
    /// Backend failures.
    pub async fn link(&self, user: Uuid, member: UserId, alias: &str) -> Result<bool> {
        on_pool!(self, p => {
            let done = sqlx::query(
                "INSERT INTO social_accounts (user_id, member_id, synced_alias) \
                 VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
            )
            .bind(user)
            .bind(sql_id(member.get()))
            .bind(alias)
            .execute(p)
            .await?;
            Ok(done.rows_affected() == 1)
        })
    }

    /// Notes our alias as carried over to the member.
    ///
    /// # Errors
    /// Backend failures.
    pub async fn set_synced_alias(&self, user: Uuid, alias: &str) -> Result<()> {
        on_pool!(self, p => {
            sqlx::query("UPDATE social_accounts SET synced_alias = $1 WHERE user_id = $2")
                .bind(alias)
                .bind(user)
                .execute(p)
                .await?;
            Ok(())
        })
    }

    /// Removes a member that was never linked to a user (the loser of a
    /// race to create one).
    ///
    /// # Errors
    /// Backend failures.
    pub async fn discard_member(&self, member: UserId) -> Result<()> {
        on_pool!(self, p => {
            sqlx::query(
                "DELETE FROM social_members WHERE id = $1 \
                 AND NOT EXISTS (SELECT 1 FROM social_accounts WHERE member_id = $1)",
            )
            .bind(sql_id(member.get()))
            .execute(p)
            .await?;
            Ok(())
        })
    }

    /// Removes our user's member and its personal rows in one transaction:
    /// its posts and comments deleted (text erased, kept as tombstones) or
    /// anonymised (kept, anonymous, linked to no member); its likes, flags,
    /// follows in both directions, notifications and the account mapping
    /// removed; notifications it caused no longer name it. The community's
    /// audit entries keep the bare member number (moderators' accountability),
    /// which nothing maps to any more. Nothing to do for a user who never
    /// used the community; `false` then.
    ///
    /// # Errors
    /// Backend failures.
    pub async fn erase_member(&self, user: Uuid, posts: PostsChoice) -> Result<bool> {
        on_pool!(self, p => {
            let mut tx = p.begin().await?;
            let member: Option<i64> =
                sqlx::query_scalar("SELECT member_id FROM social_accounts WHERE user_id = $1")
                    .bind(user)
                    .fetch_optional(&mut *tx)
                    .await?;
            let Some(member) = member else {
                return Ok(false);
            };
            match posts {
                PostsChoice::Delete => {
                    sqlx::query(
                        "DELETE FROM social_post_cashtags WHERE post_id IN \
                         (SELECT id FROM social_posts WHERE author_id = $1)",
                    )
                    .bind(member)
                    .execute(&mut *tx)
                    .await?;
                    sqlx::query(
                        "UPDATE social_posts SET status = 'deleted', text = '', \
                         sentiment = NULL, cashtags = '[]', mentions = '[]', links = '[]', \
                         performance = NULL, anonymous = $2, author_id = $3 \
                         WHERE author_id = $1",
                    )
                    .bind(member)
                    .bind(true)
                    .bind(NO_MEMBER)
                    .execute(&mut *tx)
                    .await?;
                }
                PostsChoice::Anonymize => {
                    sqlx::query(
                        "UPDATE social_posts SET anonymous = $2, author_id = $3 \
                         WHERE author_id = $1",
                    )
                    .bind(member)
                    .bind(true)
                    .bind(NO_MEMBER)
                    .execute(&mut *tx)
                    .await?;
                }
            }
            for sql in [
                "DELETE FROM social_likes WHERE member_id = $1",
                "DELETE FROM social_flags WHERE reporter_id = $1",
                "DELETE FROM social_follows WHERE follower_id = $1 OR followee_id = $1",
                "DELETE FROM social_notifications WHERE recipient_id = $1",
                "UPDATE social_notifications SET actor_id = NULL WHERE actor_id = $1",
                "DELETE FROM social_accounts WHERE member_id = $1",
                "DELETE FROM social_members WHERE id = $1",
            ] {
                sqlx::query(sql).bind(member).execute(&mut *tx).await?;
            }
            tx.commit().await?;
            Ok(true)
        })
    }
}
