//! Live events: new posts in the streams a member watches, comments and
//! likes on posts, posts taken down, and each member's own notifications,
//! sent to clients as server-sent events by `GET /api/v1/live`
//! ([`crate::routes::live`]).
//!
//! Every event is first written to `live_events`, then announced. A client
//! that reconnects with its last event id (`Last-Event-ID`) is sent what it
//! missed from the table, in order and nothing twice, then the live ones.
//! Replicas share the table: on PostgreSQL each insert sends `NOTIFY` and
//! every replica `LISTEN`s; on SQLite (one process) the announcement stays
//! in the process. Each replica reads the new events in id order, once,
//! and hands them to its own connections through a broadcast channel; a
//! connection that falls behind reads the table again.
//!
//! Ids follow commit order, so a reader that has seen id `n` has seen
//! every event before it: on PostgreSQL each insert takes a
//! transaction-level advisory lock before it draws its id; SQLite runs one
//! write at a time.
//!
//! Events are kept for [`RETENTION`]; a client whose last id is older is
//! sent a `reset` event and reloads.
//!
//! Privacy on the wire is the REST views': a post's or comment's payload is
//! its view as any other member sees it (an anonymous author is never in
//! it). The author's member id is kept beside the event, only to match the
//! "following" stream, and never for an anonymous post; a notification
//! goes to its recipient alone.

use std::sync::{Arc, Weak};
use std::time::Duration;

use chrono::Utc;
use serde_json::Value;
use tokio::sync::{Notify, broadcast};

use crate::store::SqlPool;

/// How long events are kept for clients that reconnect.
pub const RETENTION: Duration = Duration::from_secs(24 * 3600);

/// How often a replica reads the table without an announcement (a lost
/// `NOTIFY`, a listener reconnecting), by default
/// (`AURAVEST_LIVE_POLL_SECS`).
pub const POLL: Duration = Duration::from_secs(5);

/// Events a connection may fall behind by before it reads the table again.
const CHANNEL_CAPACITY: usize = 4096;

/// Events read from the table at once.
pub const BATCH: i64 = 500;

/// The PostgreSQL channel replicas listen on.
const CHANNEL: &str = "auravest_live";

/// The advisory lock that puts event ids in commit order (any constant
/// no other part of the server uses).
const ORDER_LOCK: i64 = 0x6c69_7665; // "live"

/// A community member's id as events store it.
pub fn member_key(member: auravest_social::UserId) -> i64 {
    i64::try_from(member.get()).unwrap_or(i64::MAX)
}

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A new post (payload: its public view).
    Post,
    /// A new comment (payload: `{"post_id", "comment"}`, the comment's
    /// public view and its thread's post).
    Comment,
    /// A post's like count changed (payload: `{"post_id", "likes"}`).
    Reactions,
    /// A post was deleted or taken down (payload: `{"post_id"}`).
    Removed,
    /// A notification for the audience (payload: `{"id", "kind"}`).
    Notification,
    /// The audience followed or unfollowed someone (not sent to clients: the
    /// connection reloads whom its member follows).
    Follows,
    /// A direct message for the audience (payload: `{"id", "from", "text",
    /// "sent_at"}`).
    Message,
    /// A kind this version does not know (written by a newer replica during
    /// a rolling deploy): skipped, never sent.
    Unknown,
}

impl Kind {
    /// The name clients see as the event's type.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Post => "post",
            Self::Comment => "comment",
            Self::Reactions => "reactions",
            Self::Removed => "removed",
            Self::Notification => "notification",
            Self::Follows => "follows",
            Self::Message => "message",
            Self::Unknown => "unknown",
        }
    }

    fn parse(s: &str) -> Self {
        [
            Self::Post,
            Self::Comment,
            Self::Reactions,
            Self::Removed,
            Self::Notification,
            Self::Follows,
            Self::Message,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
        .unwrap_or(Self::Unknown)
    }
}

/// An event to publish.
#[derive(Debug, Clone)]
pub struct NewEvent {
    /// What happened.
    pub kind: Kind,
    /// The one member it is for (`None`: every member).
    pub audience: Option<i64>,
    /// The named author of a post or comment (never of an anonymous one).
    pub author: Option<i64>,
    /// The post it is about (`p42`), so a removal can take its events down.
    pub post: Option<String>,
    /// A post's cashtags, for the ticker streams.
    pub symbols: Vec<String>,
    /// What clients are sent.
    pub payload: Value,
}

/// A published event.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// Its id: increasing in commit order.
    pub id: i64,
    /// What happened.
    pub kind: Kind,
    /// The one member it is for (`None`: every member).
    pub audience: Option<i64>,
    /// The named author of a post or comment.
    pub author: Option<i64>,
    /// A post's cashtags.
    pub symbols: Vec<String>,
    /// What clients are sent (JSON).
    pub payload: Arc<str>,
}

type Row = (i64, String, Option<i64>, Option<i64>, String, String);

/// Runs the same statements on whichever database the pool reaches.
macro_rules! on_pool {
    ($pool:expr, $p:ident => $body:expr) => {
        match $pool {
            SqlPool::Sqlite($p) => $body,
            SqlPool::Postgres($p) => $body,
        }
    };
}

fn event_of((id, kind, audience, author, symbols, payload): Row) -> Event {
    Event {
        id,
        kind: Kind::parse(&kind),
        audience,
        author,
        symbols: symbols.split_whitespace().map(str::to_owned).collect(),
        payload: payload.into(),
    }
}

struct Shared {
    pool: SqlPool,
    tx: broadcast::Sender<Arc<Event>>,
    wake: Arc<Notify>,
    closing: tokio::sync::watch::Sender<bool>,
    poll: Duration,
}

/// Publishes events and hands each replica's connections the new ones.
/// Cheap to clone.
#[derive(Clone)]
pub struct LiveBus(Arc<Shared>);

impl std::fmt::Debug for LiveBus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LiveBus")
            .field("connections", &self.0.tx.receiver_count())
            .finish_non_exhaustive()
    }
}

impl LiveBus {
    /// A bus over the store's database that reads the table at least
    /// every `poll` (see [`POLL`]). Call [`LiveBus::start`] (within a Tokio
    /// runtime) to deliver events.
    pub fn new(pool: SqlPool, poll: Duration) -> Self {
        let (tx, _) = broadcast::channel(CHANNEL_CAPACITY);
        Self(Arc::new(Shared {
            pool,
            tx,
            wake: Arc::new(Notify::new()),
            closing: tokio::sync::watch::channel(false).0,
            poll,
        }))
    }

    /// Starts this replica's reader: it reads new events in id order on
    /// every announcement (and every [`POLL`]) and hands them to the
    /// connections; it deletes events older than [`RETENTION`] once a
    /// minute. It stops once the bus is dropped.
    pub fn start(&self) {
        let weak = Arc::downgrade(&self.0);
        let wake = Arc::clone(&self.0.wake);
        let pool = self.0.pool.clone();
        let poll = self.0.poll;
        tokio::spawn(run(weak, wake, pool, poll));
    }

    /// Writes `event` and announces it; returns its id.
    ///
    /// # Errors
    /// The database's.
    pub async fn publish(&self, event: NewEvent) -> Result<i64, sqlx::Error> {
        const INSERT: &str = "INSERT INTO live_events \
            (created_ns, kind, audience, author, post_id, symbols, payload) \
            VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id";
        let now = Utc::now().timestamp_nanos_opt().unwrap_or(i64::MAX);
        let symbols = event.symbols.join(" ");
        let payload = event.payload.to_string();
        let id = match &self.0.pool {
            SqlPool::Sqlite(p) => {
                sqlx::query_scalar::<_, i64>(INSERT)
                    .bind(now)
                    .bind(event.kind.as_str())
                    .bind(event.audience)
                    .bind(event.author)
                    .bind(event.post.as_deref())
                    .bind(&symbols)
                    .bind(&payload)
                    .fetch_one(p)
                    .await?
            }
            SqlPool::Postgres(p) => {
                let mut tx = p.begin().await?;
                sqlx::query("SELECT pg_advisory_xact_lock($1)")
                    .bind(ORDER_LOCK)
                    .execute(&mut *tx)
                    .await?;
                let id = sqlx::query_scalar::<_, i64>(INSERT)
                    .bind(now)
                    .bind(event.kind.as_str())
                    .bind(event.audience)
                    .bind(event.author)
                    .bind(event.post.as_deref())
                    .bind(&symbols)
                    .bind(&payload)
                    .fetch_one(&mut *tx)
                    .await?;
                // Sent to every listener when the transaction commits.
                sqlx::query("SELECT pg_notify($1, $2)")
                    .bind(CHANNEL)
                    .bind(id.to_string())
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                id
            }
        };
        self.0.wake.notify_one();
        Ok(id)
    }

    /// As [`LiveBus::publish`], logging a failure instead of returning it:
    /// for events about a change already made (its REST view has it; only
    /// the live update is lost).
    pub async fn announce(&self, event: NewEvent) {
        let kind = event.kind.as_str();
        if let Err(e) = self.publish(event).await {
            tracing::warn!(error = %e, kind, "a live event could not be written");
        }
    }

    /// The events after `id`, oldest first, at most `limit`.
    ///
    /// # Errors
    /// The database's.
    pub async fn after(&self, id: i64, limit: i64) -> Result<Vec<Event>, sqlx::Error> {
        const SELECT: &str = "SELECT id, kind, audience, author, symbols, payload \
            FROM live_events WHERE id > $1 ORDER BY id LIMIT $2";
        let rows: Vec<Row> = on_pool!(&self.0.pool, p => {
            sqlx::query_as(SELECT).bind(id).bind(limit).fetch_all(p).await?
        });
        Ok(rows.into_iter().map(event_of).collect())
    }

    /// The first and last ids kept (`None` when there are none).
    ///
    /// # Errors
    /// The database's.
    pub async fn bounds(&self) -> Result<Option<(i64, i64)>, sqlx::Error> {
        const SELECT: &str = "SELECT MIN(id), MAX(id) FROM live_events";
        let (first, last): (Option<i64>, Option<i64>) =
            on_pool!(&self.0.pool, p => sqlx::query_as(SELECT).fetch_one(p).await?);
        Ok(first.zip(last))
    }

    /// The last committed event's id (0 when none is kept): where a new
    /// connection starts.
    ///
    /// # Errors
    /// The database's.
    pub async fn head(&self) -> Result<i64, sqlx::Error> {
        Ok(self.bounds().await?.map_or(0, |(_, last)| last))
    }

    /// Would a client whose last event was `last` miss events that are no
    /// longer kept (deleted after [`RETENTION`]), or does it name an id
    /// never given? Either way it should reload.
    ///
    /// # Errors
    /// The database's.
    pub async fn missed_since(&self, last: i64) -> Result<bool, sqlx::Error> {
        let issued: Option<i64> = match &self.0.pool {
            SqlPool::Sqlite(p) => {
                sqlx::query_scalar("SELECT seq FROM sqlite_sequence WHERE name = 'live_events'")
                    .fetch_optional(p)
                    .await?
            }
            SqlPool::Postgres(p) => {
                sqlx::query_scalar::<_, Option<i64>>(
                    "SELECT pg_sequence_last_value('live_events_id_seq'::regclass)",
                )
                .fetch_one(p)
                .await?
            }
        };
        let issued = issued.unwrap_or(0);
        // An id never given (a database restored from a backup, another
        // server's id): the client's view cannot be trusted.
        if last > issued {
            return Ok(true);
        }
        Ok(match self.bounds().await? {
            Some((first, _)) => last + 1 < first,
            // None kept: missed if any id was given after `last`.
            None => issued > last,
        })
    }

    /// A receiver of the events this replica reads from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Event>> {
        self.0.tx.subscribe()
    }

    /// Connections receiving events on this replica.
    pub fn connections(&self) -> usize {
        self.0.tx.receiver_count()
    }

    /// Deletes the events of `member` (posts, comments and notifications
    /// it wrote or was sent), when it leaves.
    ///
    /// # Errors
    /// The database's.
    pub async fn forget_member(&self, member: i64) -> Result<(), sqlx::Error> {
        const DELETE: &str = "DELETE FROM live_events WHERE author = $1 OR audience = $1";
        on_pool!(&self.0.pool, p => {
            sqlx::query(DELETE).bind(member).execute(p).await?;
        });
        Ok(())
    }

    /// Deletes the kept events carrying these posts or comments (`p42`),
    /// taken down or erased, so a reconnecting client is not sent their
    /// text again.
    ///
    /// # Errors
    /// The database's.
    pub async fn forget_posts(&self, posts: &[String]) -> Result<(), sqlx::Error> {
        for chunk in posts.chunks(500) {
            let marks = (1..=chunk.len())
                .map(|i| format!("${i}"))
                .collect::<Vec<_>>();
            let sql = format!(
                "DELETE FROM live_events WHERE kind IN ('post', 'comment') AND post_id IN ({})",
                marks.join(", ")
            );
            on_pool!(&self.0.pool, p => {
                let mut q = sqlx::query(&sql);
                for id in chunk {
                    q = q.bind(id);
                }
                q.execute(p).await?;
            });
        }
        Ok(())
    }

    /// Ends every open stream of this replica (at shutdown, so the drain
    /// does not wait for them).
    pub fn close(&self) {
        let _ = self.0.closing.send(true);
    }

    /// Turns true once [`LiveBus::close`] was called.
    pub fn closing(&self) -> tokio::sync::watch::Receiver<bool> {
        self.0.closing.subscribe()
    }

    async fn prune(pool: &SqlPool) -> Result<(), sqlx::Error> {
        const DELETE: &str = "DELETE FROM live_events WHERE created_ns < $1";
        let keep = chrono::Duration::from_std(RETENTION).unwrap_or_default();
        let before = (Utc::now() - keep).timestamp_nanos_opt().unwrap_or(0);
        on_pool!(pool, p => {
            sqlx::query(DELETE).bind(before).execute(p).await?;
        });
        Ok(())
    }
}

/// One replica's reader (see [`LiveBus::start`]).
async fn run(weak: Weak<Shared>, wake: Arc<Notify>, pool: SqlPool, poll: Duration) {
    let mut cursor: Option<i64> = None;
    let mut listener: Option<sqlx::postgres::PgListener> = None;
    // A listener that could not connect is tried again after a back-off
    // (1 s, doubling to a minute), polling meanwhile.
    let mut listen_at = tokio::time::Instant::now();
    let mut listen_wait = Duration::from_secs(1);
    let mut pruned = tokio::time::Instant::now();
    loop {
        let Some(shared) = weak.upgrade() else {
            return;
        };
        let bus = LiveBus(shared);
        if let SqlPool::Postgres(p) = &pool
            && listener.is_none()
            && tokio::time::Instant::now() >= listen_at
        {
            // A connection of its own (taken out of the pool's count).
            let attempt = match sqlx::postgres::PgListener::connect_with(p).await {
                Ok(mut l) => l.listen(CHANNEL).await.map(|()| l),
                Err(e) => Err(e),
            };
            match attempt {
                Ok(l) => {
                    listener = Some(l);
                    listen_wait = Duration::from_secs(1);
                }
                Err(e) => {
                    tracing::warn!(error = %e, retry_in_secs = listen_wait.as_secs(), "live events: LISTEN failed; polling");
                    listen_at = tokio::time::Instant::now() + listen_wait;
                    listen_wait = (listen_wait * 2).min(Duration::from_secs(60));
                }
            }
        }
        // The first read starts at the head: connections read what came
        // before it from the table themselves.
        if cursor.is_none() {
            cursor = bus.head().await.ok();
        }
        if let Some(from) = cursor.as_mut() {
            loop {
                match bus.after(*from, BATCH).await {
                    Ok(batch) => {
                        let full = i64::try_from(batch.len()).unwrap_or(i64::MAX) >= BATCH;
                        for e in batch {
                            *from = e.id;
                            // No connection on this replica is not an error.
                            let _ = bus.0.tx.send(Arc::new(e));
                        }
                        if !full {
                            break;
                        }
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "live events: reading new events failed");
                        break;
                    }
                }
            }
        }
        if pruned.elapsed() >= Duration::from_secs(60) {
            pruned = tokio::time::Instant::now();
            if let Err(e) = LiveBus::prune(&pool).await {
                tracing::warn!(error = %e, "live events: pruning failed");
            }
        }
        drop(bus);
        match listener.as_mut() {
            Some(l) => {
                tokio::select! {
                    () = wake.notified() => {}
                    got = l.recv() => {
                        if let Err(e) = got {
                            tracing::warn!(error = %e, "live events: the listener failed; reconnecting");
                            listener = None;
                        }
                    }
                    () = tokio::time::sleep(poll) => {}
                }
            }
            None => {
                tokio::select! {
                    () = wake.notified() => {}
                    () = tokio::time::sleep(poll) => {}
                }
            }
        }
    }
}
