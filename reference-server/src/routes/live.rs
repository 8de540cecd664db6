//! `GET /api/v1/live`: the community's live events as server-sent events
//! (see [`crate::live`] for how they reach every replica).

use std::collections::{BTreeSet, VecDeque};
use std::sync::Arc;
use std::time::Duration;

use auravest_social::Store as _;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{IntoResponse as _, Response};
use axum::routing::get;
use serde::Deserialize;
use tokio::sync::broadcast::error::RecvError;

use crate::auth::AuthUser;
use crate::error::{AppError, AppResult};
use crate::live::{BATCH, Event, Kind};
use crate::services::community::{Access, with_member};
use crate::social_store::SqlSocialStore;
use crate::state::AppState;

/// Streams one connection may watch at once.
pub const MAX_STREAMS: usize = 20;

/// How often a comment line keeps an idle connection open through proxies.
const KEEP_ALIVE: Duration = Duration::from_secs(15);

/// `GET /live` parameters.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LiveParams {
    /// The post streams to receive new posts of, comma-separated:
    /// `latest` (every member's), `following` (members the caller
    /// follows), `ticker:AAPL` (posts with that cashtag); at most 20.
    /// Default `latest`. Comments, like counts, removals and the caller's
    /// notifications come whatever the streams.
    pub streams: Option<String>,
    /// The last event id received, for clients that cannot send the
    /// `Last-Event-ID` header (the header wins).
    pub last_event_id: Option<String>,
}

/// What a connection watches.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
struct Streams {
    latest: bool,
    following: bool,
    tickers: BTreeSet<String>,
}

impl Streams {
    fn parse(text: Option<&str>) -> AppResult<Self> {
        let text = text.map_or("latest", str::trim);
        let mut out = Self::default();
        let mut count = 0;
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            count += 1;
            if count > MAX_STREAMS {
                return Err(AppError::field(
                    "streams",
                    format!("at most {MAX_STREAMS} streams"),
                ));
            }
            match part {
                "latest" => out.latest = true,
                "following" => out.following = true,
                _ => {
                    let Some(symbol) = part.strip_prefix("ticker:") else {
                        return Err(AppError::field(
                            "streams",
                            format!("{part:?} is not latest, following or ticker:SYMBOL"),
                        ));
                    };
                    let symbol = auravest_social::Symbol::new(symbol)
                        .map_err(|e| AppError::field("streams", format!("{part:?}: {e}")))?;
                    out.tickers.insert(symbol.to_string());
                }
            }
        }
        Ok(out)
    }

    /// The streams a post belongs to, by name.
    fn matching(&self, e: &Event, following: &BTreeSet<i64>) -> Vec<String> {
        let mut out = Vec::new();
        if self.latest {
            out.push("latest".to_owned());
        }
        if self.following && e.author.is_some_and(|a| following.contains(&a)) {
            out.push("following".to_owned());
        }
        for s in &e.symbols {
            if self.tickers.contains(s) {
                out.push(format!("ticker:{s}"));
            }
        }
        out
    }
}

/// The last event id a client says it has, from the header or the query.
fn last_event_id(headers: &HeaderMap, query: Option<&str>) -> AppResult<Option<i64>> {
    let (name, value) = match headers.get("last-event-id") {
        Some(v) => (
            "Last-Event-ID",
            Some(
                v.to_str()
                    .map_err(|_| AppError::field("Last-Event-ID", "is not text"))?,
            ),
        ),
        None => ("last_event_id", query),
    };
    match value.map(str::trim) {
        None | Some("") => Ok(None),
        Some(v) => v
            .parse::<i64>()
            .ok()
            .filter(|n| *n >= 0)
            .map(Some)
            .ok_or_else(|| AppError::field(name, format!("{v:?} is not an event id"))),
    }
}

/// The community's live events for the caller, as server-sent events:
/// `post` (`{"streams": [...], "post": PostView}`, new posts in the watched
/// streams), `comment` (`{"post_id", "comments", "comment": PostView}`:
/// the thread's comment count after it), `reactions`
/// (`{"post_id", "likes"}`), `removed` (`{"post_id"}`), `notification`
/// (`{"id", "kind"}`, the caller's own), `message` (a direct message to the
/// caller: `{"id", "from", "text", "sent_at"}`) and `reset` (the last event id is
/// older than what is kept: reload). Each event has an `id`; reconnecting
/// with it in `Last-Event-ID` sends what was missed, in order, nothing
/// twice. Views are as any other member sees them (no anonymous author).
/// A stream ends one access-token lifetime after it opened, and at
/// shutdown; clients reconnect with their last id.
#[utoipa::path(get, path = "/api/v1/live", tag = "community", params(LiveParams),
    responses((status = 200, content_type = "text/event-stream",
            description = "The events, with a keep-alive comment every 15 s"),
        (status = 422, description = "`streams` or the last event id invalid",
            body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn live(
    State(state): State<AppState>,
    user: AuthUser,
    headers: HeaderMap,
    Query(params): Query<LiveParams>,
) -> AppResult<Response> {
    let streams = Streams::parse(params.streams.as_deref())?;
    let last = last_event_id(&headers, params.last_event_id.as_deref())?;
    let me = with_member(&state, &user, Access::Read, async |_, me| Ok(me)).await?;
    // Subscribed before anything is read, so no event falls between what
    // the table gives and what the channel gives.
    let rx = state.live.subscribe();
    let reset = match last {
        Some(id) => state
            .live
            .missed_since(id)
            .await
            .map_err(AppError::internal)?,
        None => false,
    };
    let start = match last {
        Some(id) if !reset => id,
        _ => state.live.head().await.map_err(AppError::internal)?,
    };
    // Ends one access-token lifetime after it opened: a session that was
    // ended or an account that was deleted keeps its stream no longer than
    // that; the client reconnects with a fresh token and its last id.
    let deadline = tokio::time::Instant::now() + state.config.access_ttl;
    let mut conn = Connection {
        deadline,
        closing: state.live.closing(),
        following: BTreeSet::new(),
        state,
        member: crate::live::member_key(me),
        streams,
        last: start,
        rx,
        pending: VecDeque::new(),
        catching_up: last.is_some() && !reset,
        reset,
    };
    conn.load_following().await?;
    state_connected(&conn);
    let stream = futures_util::stream::unfold(conn, |mut conn| async move {
        let event = conn.next().await?;
        Some((Ok::<_, std::convert::Infallible>(event), conn))
    });
    Ok(Sse::new(stream)
        .keep_alive(KeepAlive::new().interval(KEEP_ALIVE))
        .into_response())
}

fn state_connected(conn: &Connection) {
    tracing::debug!(
        member = conn.member,
        from = conn.last,
        connections = conn.state.live.connections(),
        "live events: connected"
    );
}

/// One client's connection.
struct Connection {
    /// When the stream ends (see [`live`]).
    deadline: tokio::time::Instant,
    /// Turns true when the server shuts down: the stream ends at once.
    closing: tokio::sync::watch::Receiver<bool>,
    state: AppState,
    member: i64,
    streams: Streams,
    following: BTreeSet<i64>,
    /// The last event id handled (sent, or not for this client).
    last: i64,
    rx: tokio::sync::broadcast::Receiver<Arc<Event>>,
    pending: VecDeque<Arc<Event>>,
    /// Reading the table (after a reconnect, or after falling behind).
    catching_up: bool,
    reset: bool,
}

impl Connection {
    async fn load_following(&mut self) -> AppResult<()> {
        let store = SqlSocialStore::of(&self.state);
        let me = auravest_social::UserId::new(u64::try_from(self.member).unwrap_or(0));
        let ids = store
            .following(me)
            .await
            .map_err(|e| AppError::internal(e.to_string()))?;
        self.following = ids.into_iter().map(crate::live::member_key).collect();
        Ok(())
    }

    /// The next event to send; `None` ends the stream (the server is
    /// going away, or the table cannot be read).
    async fn next(&mut self) -> Option<SseEvent> {
        if std::mem::take(&mut self.reset) {
            return Some(
                SseEvent::default()
                    .id(self.last.to_string())
                    .event("reset")
                    .data(r#"{"reason":"events since your last one are no longer kept: reload"}"#),
            );
        }
        loop {
            if let Some(e) = self.pending.pop_front() {
                if e.id <= self.last {
                    continue;
                }
                self.last = e.id;
                if let Some(out) = self.render(&e).await {
                    return Some(out);
                }
                continue;
            }
            if self.catching_up {
                match self.state.live.after(self.last, BATCH).await {
                    Ok(batch) => {
                        if i64::try_from(batch.len()).unwrap_or(i64::MAX) < BATCH {
                            self.catching_up = false;
                        }
                        self.pending.extend(batch.into_iter().map(Arc::new));
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "live events: catching up failed");
                        return None;
                    }
                }
                continue;
            }
            let next = tokio::select! {
                got = tokio::time::timeout_at(self.deadline, self.rx.recv()) => got,
                _ = self.closing.wait_for(|closing| *closing) => return None,
            };
            match next {
                Ok(Ok(e)) => self.pending.push_back(e),
                Ok(Err(RecvError::Lagged(_))) => self.catching_up = true,
                Ok(Err(RecvError::Closed)) | Err(_) => return None,
            }
        }
    }

    /// The event as this client is sent it, or `None` when it is not for it.
    async fn render(&mut self, e: &Event) -> Option<SseEvent> {
        let data = match e.kind {
            Kind::Post => {
                let streams = self.streams.matching(e, &self.following);
                if streams.is_empty() {
                    return None;
                }
                let names = serde_json::to_string(&streams).ok()?;
                format!(r#"{{"streams":{names},"post":{}}}"#, e.payload)
            }
            Kind::Comment | Kind::Reactions | Kind::Removed => e.payload.to_string(),
            Kind::Unknown => return None,
            Kind::Notification | Kind::Message => {
                if e.audience != Some(self.member) {
                    return None;
                }
                e.payload.to_string()
            }
            Kind::Follows => {
                if e.audience == Some(self.member)
                    && let Err(err) = self.load_following().await
                {
                    tracing::warn!(error = %err, "live events: reloading follows failed");
                }
                return None;
            }
        };
        Some(
            SseEvent::default()
                .id(e.id.to_string())
                .event(e.kind.as_str())
                .data(data),
        )
    }
}

/// `/live`.
pub fn router() -> Router<AppState> {
    Router::new().route("/live", get(live))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_parse_and_refuse() {
        let s = Streams::parse(Some("latest, following,ticker:aapl")).unwrap();
        assert!(s.latest && s.following);
        assert_eq!(s.tickers.iter().collect::<Vec<_>>(), ["AAPL"]);
        assert!(Streams::parse(None).unwrap().latest);
        assert!(!Streams::parse(Some("following")).unwrap().latest);
        for bad in ["everything", "ticker:", "ticker:../x", "latest,nope"] {
            assert!(Streams::parse(Some(bad)).is_err(), "{bad}");
        }
        let many = vec!["latest"; MAX_STREAMS + 1].join(",");
        assert!(Streams::parse(Some(&many)).is_err());
    }

    #[test]
    fn last_event_ids_are_checked() {
        let mut h = HeaderMap::new();
        assert_eq!(last_event_id(&h, None).unwrap(), None);
        assert_eq!(last_event_id(&h, Some("12")).unwrap(), Some(12));
        assert!(last_event_id(&h, Some("-1")).is_err());
        h.insert("last-event-id", "40".parse().unwrap());
        assert_eq!(last_event_id(&h, Some("12")).unwrap(), Some(40));
        h.insert("last-event-id", "x".parse().unwrap());
        assert!(last_event_id(&h, None).is_err());
    }
}
