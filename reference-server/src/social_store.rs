//! The community's storage on the server's database: [`SqlSocialStore`]
//! implements [`auravest_social::Store`] on SQLite and PostgreSQL, so
//! members, posts, likes, flags, follows, notifications and the community's
//! own moderation audit survive restarts and are shared by replicas.
//!
//! # Blocking
//!
//! The community's `Store` trait is synchronous. [`SqlSocialStore`] runs
//! each query with [`tokio::runtime::Handle::block_on`] on the handle it
//! holds, so **its methods must only be called outside the runtime's worker
//! threads**: from `tokio::task::spawn_blocking` (which is what
//! `services::community::with_community` does for every handler) or from a
//! plain thread. Called on a runtime thread, `block_on` panics. The runtime
//! must be a multi-thread one (a current-thread runtime drives its I/O only
//! from its own `block_on`).
//!
//! # SQL
//!
//! Every method is written once: `on_pool!` expands the same async body for
//! the SQLite and the PostgreSQL pool, with numbered `$n` placeholders,
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

use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError, Weak};

use auravest_social::{
    AccountStatus, AuditEvent, AuditId, Entity, Error, Flag, NewAuditEvent, NewFlag,
    NewNotification, NewPost, NewUser, Notification, NotificationId, OptIn, Order, Post, PostId,
    PostQuery, PostStatus, PrivacySettings, Reactions, Result, Role, Scope, Store, User, UserId,
};
use chrono::{DateTime, Utc};
use sqlx::{PgPool, SqlitePool};
use tokio::runtime::Handle;
use uuid::Uuid;

use crate::state::AppState;
use crate::store::postgres::PostgresStore;
use crate::store::sqlite::SqliteStore;
use crate::store::{StoreError, StoreResult};

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

#[derive(Debug, Clone)]
enum Pool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// The community's [`Store`] on the server's database. Cheap to clone (a
/// pool and a runtime handle). See the module documentation: use it only
/// from `spawn_blocking` or a thread outside the runtime.
#[derive(Debug, Clone)]
pub struct SqlSocialStore {
    pool: Pool,
    handle: Handle,
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

/// A bound value of a query built at run time.
enum Arg {
    Int(i64),
    Bool(bool),
    Text(String),
}

/// SQL text with its arguments, numbered as they are pushed.
#[derive(Default)]
struct Sql {
    text: String,
    args: Vec<Arg>,
}

impl Sql {
    /// Adds an argument; its placeholder.
    fn arg(&mut self, arg: Arg) -> String {
        self.args.push(arg);
        format!("${}", self.args.len())
    }

    /// `$a, $b, ...` for integer arguments.
    fn ints(&mut self, values: impl IntoIterator<Item = i64>) -> String {
        values
            .into_iter()
            .map(|v| self.arg(Arg::Int(v)))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Runs `$body` (an async block's body using `$p` as the pool) on whichever
/// backend the store has, blocking on the store's runtime handle.
macro_rules! on_pool {
    ($self:expr, $p:ident => $body:expr) => {
        match &$self.pool {
            Pool::Sqlite($p) => $self.block(async { $body }),
            Pool::Postgres($p) => $self.block(async { $body }),
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

const MEMBER_COLUMNS: &str = "id, alias, role, status, share_performance, count_holdings, \
    joined_ns, alias_changed_ns, holdings, returns, warnings";
type MemberRow = (
    i64,
    String,
    String,
    String,
    bool,
    bool,
    i64,
    Option<i64>,
    String,
    String,
    i64,
);

const POST_COLUMNS: &str = "id, author_id, anonymous, thread_id, reply_to, text, sentiment, \
    cashtags, mentions, links, performance, created_ns, status, helpful";
type PostRow = (
    i64,
    i64,
    bool,
    Option<i64>,
    Option<i64>,
    String,
    Option<String>,
    String,
    String,
    String,
    Option<String>,
    i64,
    String,
    bool,
);

const FLAG_COLUMNS: &str = "post_id, reporter_id, reason, at_ns, seq, reviewed_seq";
type FlagRow = (i64, i64, String, i64, i64, Option<i64>);

const NOTIFICATION_COLUMNS: &str = "id, recipient_id, kind, actor_id, created_ns, is_read";
type NotificationRow = (i64, i64, String, Option<i64>, i64, bool);

const AUDIT_COLUMNS: &str = "id, at_ns, actor_id, action, reason";
type AuditRow = (i64, i64, i64, String, String);

/// Counts per post id.
type Counts = Vec<(i64, i64)>;

/// An id as stored (ids beyond `i64::MAX` match nothing).
fn sql_id(raw: u64) -> i64 {
    i64::try_from(raw).unwrap_or(i64::MAX)
}

/// A stored id or sequence number back as unsigned.
fn raw_id(v: i64) -> Done<u64> {
    u64::try_from(v).map_err(|_| Fail::Data(format!("negative id {v}")))
}

/// An instant as stored: nanoseconds since the epoch, clamped to `i64`
/// (only cursor times, which are user input, can fall outside it).
fn nanos(at: DateTime<Utc>) -> i64 {
    at.timestamp_nanos_opt().unwrap_or(if at.timestamp() < 0 {
        i64::MIN
    } else {
        i64::MAX
    })
}

fn instant(ns: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_nanos(ns)
}

fn json<T: serde::Serialize>(value: &T) -> Done<String> {
    Ok(serde_json::to_string(value)?)
}

fn parse<T: serde::de::DeserializeOwned>(text: &str) -> Done<T> {
    Ok(serde_json::from_str(text)?)
}

fn role_of(name: &str) -> Done<Role> {
    name.parse()
        .map_err(|_| Fail::Data(format!("unknown role {name:?}")))
}

fn status_name(status: PostStatus) -> &'static str {
    match status {
        PostStatus::Visible => "visible",
        PostStatus::Hidden => "hidden",
        PostStatus::Removed => "removed",
        PostStatus::Deleted => "deleted",
    }
}

fn status_of(name: &str) -> Done<PostStatus> {
    match name {
        "visible" => Ok(PostStatus::Visible),
        "hidden" => Ok(PostStatus::Hidden),
        "removed" => Ok(PostStatus::Removed),
        "deleted" => Ok(PostStatus::Deleted),
        other => Err(Fail::Data(format!("unknown post status {other:?}"))),
    }
}

fn member_of(row: MemberRow) -> Done<User> {
    let (id, alias, role, status, share, count, joined, changed, holdings, returns, warnings) = row;
    Ok(User {
        id: UserId::new(raw_id(id)?),
        alias: serde_json::from_value(serde_json::Value::String(alias))?,
        role: role_of(&role)?,
        status: parse::<AccountStatus>(&status)?,
        settings: PrivacySettings {
            share_performance: share,
            count_holdings_in_aggregates: count,
        },
        joined_at: instant(joined),
        alias_changed_at: changed.map(instant),
        holdings: parse(&holdings)?,
        returns: parse(&returns)?,
        warnings: u32::try_from(warnings).map_err(|_| Fail::Data("warnings".to_owned()))?,
    })
}

fn post_of(row: PostRow) -> Done<Post> {
    let (
        id,
        author,
        anonymous,
        thread,
        reply_to,
        text,
        sentiment,
        cashtags,
        mentions,
        links,
        performance,
        created,
        status,
        helpful,
    ) = row;
    Ok(Post {
        id: PostId::new(raw_id(id)?),
        author: UserId::new(raw_id(author)?),
        anonymous,
        thread: thread.map(raw_id).transpose()?.map(PostId::new),
        reply_to: reply_to.map(raw_id).transpose()?.map(PostId::new),
        text,
        sentiment: sentiment
            .map(|s| serde_json::from_value(serde_json::Value::String(s)))
            .transpose()?,
        cashtags: parse(&cashtags)?,
        mentions: parse(&mentions)?,
        links: parse(&links)?,
        performance: performance.as_deref().map(parse).transpose()?,
        created_at: instant(created),
        status: status_of(&status)?,
        helpful,
    })
}

fn flag_of(row: FlagRow) -> Done<Flag> {
    let (post, reporter, reason, at, seq, reviewed) = row;
    Ok(Flag {
        post: PostId::new(raw_id(post)?),
        reporter: UserId::new(raw_id(reporter)?),
        reason: parse(&reason)?,
        at: instant(at),
        seq: raw_id(seq)?,
        reviewed_seq: reviewed.map(raw_id).transpose()?,
    })
}

fn notification_of(row: NotificationRow) -> Done<Notification> {
    let (id, recipient, kind, actor, created, read) = row;
    Ok(Notification {
        id: NotificationId::new(raw_id(id)?),
        recipient: UserId::new(raw_id(recipient)?),
        kind: parse(&kind)?,
        actor: actor.map(raw_id).transpose()?.map(UserId::new),
        created_at: instant(created),
        read,
    })
}

fn audit_of(row: AuditRow) -> Done<AuditEvent> {
    let (id, at, actor, action, reason) = row;
    Ok(AuditEvent {
        id: AuditId::new(raw_id(id)?),
        at: instant(at),
        actor: UserId::new(raw_id(actor)?),
        action: parse(&action)?,
        reason,
    })
}

fn sentiment_text(post: &NewPost) -> Done<Option<String>> {
    Ok(match post.sentiment {
        None => None,
        Some(s) => match serde_json::to_value(s)? {
            serde_json::Value::String(s) => Some(s),
            other => return Err(Fail::Data(format!("sentiment {other}"))),
        },
    })
}

fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(db) if db.is_unique_violation())
}

fn alias_taken(alias: &auravest_social::Alias) -> Fail {
    Fail::Rule(Error::AliasTaken {
        alias: alias.to_string(),
    })
}

fn not_found(entity: Entity, id: impl std::fmt::Display) -> Fail {
    Fail::Rule(Error::NotFound {
        entity,
        id: id.to_string(),
    })
}

/// Stores opened so far, one per server store (keyed by its `Arc`), so
/// each server state gets one pool for the community.
static OPENED: Mutex<Vec<(Weak<dyn crate::store::Store>, Pool)>> = Mutex::new(Vec::new());

impl SqlSocialStore {
    /// A store on a SQLite pool whose database has the migrations applied.
    pub fn sqlite(pool: SqlitePool, handle: Handle) -> Self {
        Self {
            pool: Pool::Sqlite(pool),
            handle,
        }
    }

    /// A store on a PostgreSQL pool whose database has the migrations applied.
    pub fn postgres(pool: PgPool, handle: Handle) -> Self {
        Self {
            pool: Pool::Postgres(pool),
            handle,
        }
    }

    /// The community store of a server state: a pool of its own on
    /// `config.database_url` (opened once per state and kept while the
    /// state's store lives), with the current runtime's handle. An
    /// in-memory SQLite URL gets a database of its own, migrated here.
    ///
    /// # Errors
    /// [`StoreError::Database`] when the database cannot be opened, or when
    /// its backend is not the one of `state.store` (a state built over a
    /// store that is not the configured database).
    pub async fn open(state: &AppState) -> StoreResult<Self> {
        let handle = Handle::current();
        let same = |weak: &Weak<dyn crate::store::Store>| {
            weak.upgrade()
                .is_some_and(|s| std::ptr::addr_eq(Arc::as_ptr(&s), Arc::as_ptr(&state.store)))
        };
        let found = {
            let mut opened = OPENED.lock().unwrap_or_else(PoisonError::into_inner);
            opened.retain(|(weak, _)| weak.strong_count() > 0);
            opened
                .iter()
                .find(|(weak, _)| same(weak))
                .map(|(_, pool)| pool.clone())
        };
        let pool = match found {
            Some(pool) => pool,
            None => {
                let pool = connect(&state.config.database_url, state.store.backend()).await?;
                let mut opened = OPENED.lock().unwrap_or_else(PoisonError::into_inner);
                match opened.iter().find(|(weak, _)| same(weak)) {
                    Some((_, existing)) => existing.clone(),
                    None => {
                        opened.push((Arc::downgrade(&state.store), pool.clone()));
                        pool
                    }
                }
            }
        };
        Ok(Self { pool, handle })
    }

    fn backend(&self) -> &'static str {
        match self.pool {
            Pool::Sqlite(_) => "sqlite",
            Pool::Postgres(_) => "postgres",
        }
    }

    /// Runs a query future to completion on the store's runtime.
    fn block<T>(&self, fut: impl Future<Output = Done<T>>) -> Result<T> {
        self.handle.block_on(fut).map_err(|fail| match fail {
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
    pub fn account(&self, user: Uuid) -> Result<Option<(UserId, String)>> {
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
    pub fn link(&self, user: Uuid, member: UserId, alias: &str) -> Result<bool> {
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
    pub fn set_synced_alias(&self, user: Uuid, alias: &str) -> Result<()> {
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
    pub fn discard_member(&self, member: UserId) -> Result<()> {
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
    pub fn erase_member(&self, user: Uuid, posts: PostsChoice) -> Result<bool> {
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

/// Opens a pool on `url` for the backend `expected` names.
async fn connect(url: &str, expected: &str) -> StoreResult<Pool> {
    let scheme = url.split_once(':').map_or("", |(scheme, _)| scheme);
    let pool = match scheme {
        "sqlite" => {
            let store = SqliteStore::connect(url).await?;
            if url.contains(":memory:") || url.contains("mode=memory") {
                crate::store::Store::migrate(&store).await?;
            }
            Pool::Sqlite(store.pool().clone())
        }
        "postgres" | "postgresql" => {
            Pool::Postgres(PostgresStore::connect(url).await?.pool().clone())
        }
        _ => {
            return Err(StoreError::Database(sqlx::Error::Configuration(
                format!("unsupported database URL scheme `{scheme}`").into(),
            )));
        }
    };
    let backend = match pool {
        Pool::Sqlite(_) => "sqlite",
        Pool::Postgres(_) => "postgres",
    };
    if backend != expected {
        return Err(StoreError::Database(sqlx::Error::Configuration(
            format!(
                "the community needs the server's own database: DATABASE_URL is {backend}, \
                 the store is {expected}"
            )
            .into(),
        )));
    }
    Ok(pool)
}

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
    fn insert_user(&mut self, user: NewUser) -> Result<User> {
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

    fn user(&self, id: UserId) -> Result<Option<User>> {
        on_pool!(self, p => {
            let sql = format!("SELECT {MEMBER_COLUMNS} FROM social_members WHERE id = $1");
            let row: Option<MemberRow> = sqlx::query_as(&sql)
                .bind(sql_id(id.get()))
                .fetch_optional(p)
                .await?;
            row.map(member_of).transpose()
        })
    }

    fn user_by_alias(&self, alias: &str) -> Result<Option<User>> {
        on_pool!(self, p => {
            let sql = format!("SELECT {MEMBER_COLUMNS} FROM social_members WHERE alias_key = $1");
            let row: Option<MemberRow> = sqlx::query_as(&sql)
                .bind(alias.to_ascii_lowercase())
                .fetch_optional(p)
                .await?;
            row.map(member_of).transpose()
        })
    }

    fn update_user(&mut self, user: &User) -> Result<()> {
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

    fn opted_in_users(&self, opt_in: OptIn) -> Result<Vec<User>> {
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

    fn insert_post(&mut self, post: NewPost) -> Result<Post> {
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

    fn post(&self, id: PostId) -> Result<Option<Post>> {
        on_pool!(self, p => {
            let sql = format!("SELECT {POST_COLUMNS} FROM social_posts WHERE id = $1");
            let row: Option<PostRow> = sqlx::query_as(&sql)
                .bind(sql_id(id.get()))
                .fetch_optional(p)
                .await?;
            row.map(post_of).transpose()
        })
    }

    fn update_post(&mut self, post: &Post) -> Result<()> {
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

    fn last_post_id(&self) -> Result<Option<PostId>> {
        on_pool!(self, p => {
            let max: Option<i64> = sqlx::query_scalar("SELECT MAX(id) FROM social_posts")
                .fetch_one(p)
                .await?;
            Ok(max.map(raw_id).transpose()?.map(PostId::new))
        })
    }

    fn query_posts(&self, query: &PostQuery) -> Result<Vec<Post>> {
        let Some(sql) = post_query(query) else {
            return Ok(Vec::new());
        };
        on_pool!(self, p => {
            let rows: Vec<PostRow> =
                bind_all!(sqlx::query_as(&sql.text), sql).fetch_all(p).await?;
            rows.into_iter().map(post_of).collect()
        })
    }

    fn comment_counts(&self, posts: &[PostId]) -> Result<Vec<u32>> {
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

    fn event_seq(&self) -> Result<u64> {
        on_pool!(self, p => {
            let seq: i64 =
                sqlx::query_scalar("SELECT value FROM social_counters WHERE name = 'events'")
                    .fetch_one(p)
                    .await?;
            raw_id(seq)
        })
    }

    fn insert_like(&mut self, post: PostId, user: UserId) -> Result<bool> {
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

    fn remove_like(&mut self, post: PostId, user: UserId) -> Result<bool> {
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

    fn likes_of(&self, user: UserId, posts: &[PostId]) -> Result<Vec<bool>> {
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

    fn liked_posts(&self, user: UserId) -> Result<Vec<PostId>> {
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

    fn reactions(&self, posts: &[PostId], at_seq: u64) -> Result<Vec<Reactions>> {
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

    fn insert_flag(&mut self, flag: NewFlag) -> Result<bool> {
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

    fn flags(&self, post: PostId) -> Result<Vec<Flag>> {
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

    fn flags_by(&self, reporter: UserId) -> Result<Vec<Flag>> {
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

    fn open_flags(&self) -> Result<Vec<Flag>> {
        on_pool!(self, p => {
            let sql = format!(
                "SELECT {FLAG_COLUMNS} FROM social_flags WHERE reviewed_seq IS NULL ORDER BY seq, id"
            );
            let rows: Vec<FlagRow> = sqlx::query_as(&sql).fetch_all(p).await?;
            rows.into_iter().map(flag_of).collect()
        })
    }

    fn review_flags(&mut self, post: PostId) -> Result<usize> {
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

    fn insert_follow(
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

    fn remove_follow(&mut self, follower: UserId, followee: UserId) -> Result<bool> {
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

    fn following(&self, user: UserId) -> Result<Vec<UserId>> {
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

    fn followers(&self, user: UserId) -> Result<Vec<UserId>> {
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

    fn insert_notification(&mut self, notification: NewNotification) -> Result<Notification> {
        on_pool!(self, p => {
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
        })
    }

    fn notifications(&self, recipient: UserId, unread_only: bool) -> Result<Vec<Notification>> {
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

    fn mark_read(&mut self, recipient: UserId, ids: &[NotificationId]) -> Result<usize> {
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

    fn insert_audit(&mut self, event: NewAuditEvent) -> Result<AuditEvent> {
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

    fn audit_events(&self) -> Result<Vec<AuditEvent>> {
        on_pool!(self, p => {
            let sql = format!("SELECT {AUDIT_COLUMNS} FROM social_audit ORDER BY id");
            let rows: Vec<AuditRow> = sqlx::query_as(&sql).fetch_all(p).await?;
            rows.into_iter().map(audit_of).collect()
        })
    }
}

/// The SQL of a post query, or `None` when it selects nothing.
fn post_query(query: &PostQuery) -> Option<Sql> {
    if query.limit == Some(0) {
        return None;
    }
    let mut sql = Sql::default();
    let mut filters: Vec<String> = Vec::new();
    match &query.scope {
        Scope::All => {}
        Scope::Authors(ids) => {
            if ids.is_empty() {
                return None;
            }
            let list = sql.ints(ids.iter().map(|id| sql_id(id.get())));
            filters.push(format!("author_id IN ({list})"));
        }
        Scope::Symbol(symbol) => {
            let s = sql.arg(Arg::Text(symbol.as_str().to_owned()));
            filters.push(format!(
                "id IN (SELECT post_id FROM social_post_cashtags WHERE symbol = {s})"
            ));
        }
        Scope::Thread(thread) => {
            let t = sql.arg(Arg::Int(sql_id(thread.get())));
            filters.push(format!("thread_id = {t}"));
        }
    }
    match query.level {
        auravest_social::Level::TopLevel => filters.push("thread_id IS NULL".to_owned()),
        auravest_social::Level::Comments => filters.push("thread_id IS NOT NULL".to_owned()),
        auravest_social::Level::Any => {}
    }
    if query.visible_only {
        let v = sql.arg(Arg::Text("visible".to_owned()));
        filters.push(format!("status = {v}"));
    }
    if !query.include_anonymous {
        let f = sql.arg(Arg::Bool(false));
        filters.push(format!("anonymous = {f}"));
    }
    if let Some(max) = query.max_id {
        let m = sql.arg(Arg::Int(sql_id(max.get())));
        filters.push(format!("id <= {m}"));
    }
    if let Some(since) = query.since {
        let s = sql.arg(Arg::Int(nanos(since)));
        filters.push(format!("created_ns >= {s}"));
    }
    if let Some(until) = query.until {
        let u = sql.arg(Arg::Int(nanos(until)));
        filters.push(format!("created_ns <= {u}"));
    }
    let (cmp, dir) = match query.order {
        Order::NewestFirst => ("<", "DESC"),
        Order::OldestFirst => (">", "ASC"),
    };
    if let Some((at, id)) = query.after {
        let t = sql.arg(Arg::Int(nanos(at)));
        let i = sql.arg(Arg::Int(sql_id(id.get())));
        filters.push(format!(
            "(created_ns {cmp} {t} OR (created_ns = {t} AND id {cmp} {i}))"
        ));
    }
    let filter = if filters.is_empty() {
        String::new()
    } else {
        format!(" WHERE {}", filters.join(" AND "))
    };
    let limit = match query.limit {
        Some(n) => {
            let l = sql.arg(Arg::Int(i64::try_from(n).unwrap_or(i64::MAX)));
            format!(" LIMIT {l}")
        }
        None => String::new(),
    };
    sql.text = format!(
        "SELECT {POST_COLUMNS} FROM social_posts{filter} \
         ORDER BY created_ns {dir}, id {dir}{limit}"
    );
    Some(sql)
}
