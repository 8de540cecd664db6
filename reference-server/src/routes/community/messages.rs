//! Direct messages between members who follow each other, by the
//! community crate's rule (`auravest_social::MessageContext`): either side
//! can turn messages off or block the other; sending is limited per
//! minute; a recipient can report a message to the moderators. New
//! messages reach the recipient's live connections.

#[allow(clippy::wildcard_imports)]
use super::*;

use auravest_social::{MESSAGES_PER_MINUTE, MessageContext, Store as _, UserId};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use chrono::{DateTime, Utc};

use crate::auth::AuthUser;
use crate::error::{AppError, AppResult};
use crate::live::member_key;
use crate::routes::ApiJson;
use crate::social_store::MessageRow;
use crate::state::AppState;
use crate::store::Role;

/// Messages shown in one conversation (the latest).
pub const CONVERSATION_LIMIT: i64 = 200;

/// A message as its reader sees it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct MessageView {
    /// Id.
    pub id: String,
    /// Sent by the caller.
    pub mine: bool,
    /// The text (set as text, never as HTML).
    pub text: String,
    /// When (RFC 3339).
    pub sent_at: String,
    /// Read by its recipient.
    pub read: bool,
    /// Reported by the caller to the moderators.
    pub reported: bool,
}

/// One conversation in the caller's list.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ConversationView {
    /// The other member's alias.
    pub with: String,
    /// The latest message.
    pub last: MessageView,
    /// Messages from them the caller has not read.
    pub unread: usize,
}

/// The caller's conversations, latest first, and their setting.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct MessagesView {
    /// Whether the caller takes messages.
    pub accepts: bool,
    /// Conversations, the latest first.
    pub conversations: Vec<ConversationView>,
}

/// A conversation with one member.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ThreadView {
    /// Their alias.
    pub with: String,
    /// Whether the caller may write to them now.
    pub can_send: bool,
    /// Why not, in words.
    pub refusal: Option<String>,
    /// Whether the caller blocked them.
    pub blocked: bool,
    /// The latest messages, oldest first.
    pub messages: Vec<MessageView>,
}

/// A message to send.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MessageIn {
    /// The text (1–1000 characters).
    pub text: String,
}

/// The caller's setting.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MessageSettingsIn {
    /// Take messages from mutual follows.
    pub accepts: bool,
}

/// Whether the caller blocks a member now.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct BlockView {
    /// Blocked after the request.
    pub blocked: bool,
}

/// A reported message, for moderators.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ReportedMessageView {
    /// Id.
    pub id: String,
    /// The sender's alias.
    pub from: String,
    /// The recipient's alias (who reported it).
    pub to: String,
    /// The text.
    pub text: String,
    /// When it was sent (RFC 3339).
    pub sent_at: String,
    /// Why it was reported.
    pub reason: String,
    /// When (RFC 3339).
    pub reported_at: String,
    /// The sender still has an account (a ban can reach them).
    pub sender_present: bool,
}

fn iso(ns: i64) -> String {
    DateTime::<Utc>::from_timestamp_nanos(ns).to_rfc3339()
}

fn view(m: &MessageRow, me: UserId) -> MessageView {
    let mine = m.sender == member_key(me);
    MessageView {
        id: m.id.clone(),
        mine,
        text: m.body.clone(),
        sent_at: iso(m.created_ns),
        read: m.read_ns.is_some(),
        reported: !mine && m.reported_ns.is_some(),
    }
}

/// What the community's rule needs about `me` writing to `other`.
async fn context(
    c: &ServerCommunity,
    me: UserId,
    other: UserId,
) -> Result<MessageContext, auravest_social::Error> {
    let store = c.store();
    Ok(MessageContext {
        sender_restricted: !c.may_act(me, Utc::now()).await?,
        same_member: me == other,
        sender_follows: store.following(me).await?.contains(&other),
        recipient_follows: store.following(other).await?.contains(&me),
        sender_accepts: store.accepts_messages(me).await?,
        recipient_accepts: store.accepts_messages(other).await?,
        blocked: store.blocked_between(me, other).await?,
    })
}

/// The caller's conversations, the latest first, and their setting.
#[utoipa::path(get, path = "/api/v1/community/messages", tag = "community",
    responses((status = 200, body = MessagesView)),
    security(("bearer" = [])))]
pub async fn conversations(
    State(state): State<AppState>,
    user: AuthUser,
) -> AppResult<Json<MessagesView>> {
    let out = with_member(&state, &user, Access::Read, async move |c, me| {
        let all = c.store().messages_of(me, 5_000).await?;
        let mut order: Vec<i64> = Vec::new();
        let mut by: std::collections::HashMap<i64, (MessageRow, usize)> =
            std::collections::HashMap::new();
        for m in all {
            let other = if m.sender == member_key(me) {
                m.recipient
            } else {
                m.sender
            };
            let unread = usize::from(m.recipient == member_key(me) && m.read_ns.is_none());
            match by.get_mut(&other) {
                Some((_, n)) => *n += unread,
                None => {
                    order.push(other);
                    by.insert(other, (m, unread));
                }
            }
        }
        let mut conversations = Vec::new();
        for other in order {
            let Some((last, unread)) = by.remove(&other) else {
                continue;
            };
            conversations.push(ConversationView {
                with: alias_of(&c, other).await?,
                last: view(&last, me),
                unread,
            });
        }
        Ok(MessagesView {
            accepts: c.store().accepts_messages(me).await?,
            conversations,
        })
    })
    .await?;
    Ok(Json(out))
}

/// Turns messages on or off for the caller.
#[utoipa::path(put, path = "/api/v1/community/messages/settings", tag = "community",
    request_body = MessageSettingsIn,
    responses((status = 200, body = MessagesView)),
    security(("bearer" = [])))]
pub async fn message_settings(
    State(state): State<AppState>,
    user: AuthUser,
    ApiJson(body): ApiJson<MessageSettingsIn>,
) -> AppResult<Json<MessagesView>> {
    with_member(&state, &user, Access::Write, async move |c, me| {
        c.store().set_accepts_messages(me, body.accepts).await
    })
    .await?;
    conversations(State(state), user).await
}

/// The conversation with a member (the latest 200 messages); what they sent
/// is marked read.
#[utoipa::path(get, path = "/api/v1/community/messages/with/{alias}", tag = "community",
    params(("alias" = String, Path, description = "The member's community alias")),
    responses((status = 200, body = ThreadView), (status = 404, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn thread(
    State(state): State<AppState>,
    user: AuthUser,
    Path(alias): Path<String>,
) -> AppResult<Json<ThreadView>> {
    let out = with_member(&state, &user, Access::Read, async move |c, me| {
        let other = member_by_alias(&c, &alias).await?;
        let check = context(&c, me, other).await?.check();
        let messages = c
            .store()
            .conversation(me, other, CONVERSATION_LIMIT)
            .await?;
        c.store().mark_messages_read(me, other, Utc::now()).await?;
        Ok(ThreadView {
            with: alias_of(&c, member_key(other)).await?,
            can_send: check.is_ok(),
            refusal: check.err().map(|r| r.reason().to_owned()),
            blocked: c.store().has_blocked(me, other).await?,
            messages: messages.iter().map(|m| view(m, me)).collect(),
        })
    })
    .await?;
    Ok(Json(out))
}

/// Sends a message to a member who follows the caller back. Refused with
/// 403 and the reason when the rule does not allow it; at most 10 a minute.
#[utoipa::path(post, path = "/api/v1/community/messages/with/{alias}", tag = "community",
    params(("alias" = String, Path, description = "The member's community alias")),
    request_body = MessageIn,
    responses((status = 201, body = MessageView),
        (status = 403, description = "Not mutual follows, messages off, or blocked", body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody),
        (status = 422, body = crate::error::ErrorBody),
        (status = 429, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn send_message(
    State(state): State<AppState>,
    user: AuthUser,
    Path(alias): Path<String>,
    ApiJson(body): ApiJson<MessageIn>,
) -> AppResult<(StatusCode, Json<MessageView>)> {
    let text = auravest_social::message_text(&body.text).map_err(|e| social_error(&e))?;
    let live = state.live.clone();
    // Under the community's lock: the rule's facts, the count of the last
    // minute and the insert are one step on every replica.
    let sent = with_member(&state, &user, Access::Write, async move |c, me| {
        let other = member_by_alias(&c, &alias).await?;
        if let Err(refusal) = context(&c, me, other).await?.check() {
            return Ok(Err(AppError::Forbidden(refusal.reason().to_owned())));
        }
        let now = Utc::now();
        let minute_ago = now - chrono::Duration::minutes(1);
        if c.store().messages_sent_since(me, minute_ago).await? >= MESSAGES_PER_MINUTE {
            return Ok(Err(AppError::RateLimited(std::time::Duration::from_secs(
                60,
            ))));
        }
        let m = MessageRow {
            id: Uuid::new_v4().to_string(),
            sender: member_key(me),
            recipient: member_key(other),
            body: text,
            created_ns: now.timestamp_nanos_opt().unwrap_or(i64::MAX),
            read_ns: None,
            reported_ns: None,
            report_reason: None,
        };
        c.store().insert_message(&m).await?;
        let from = alias_of(&c, member_key(me)).await?;
        live.announce(crate::live::NewEvent {
            kind: crate::live::Kind::Message,
            audience: Some(member_key(other)),
            // The sender's, so the event goes when their account does.
            author: Some(member_key(me)),
            post: None,
            symbols: Vec::new(),
            payload: serde_json::json!({
                "id": m.id,
                "from": from,
                "text": m.body,
                "sent_at": iso(m.created_ns),
            }),
        })
        .await;
        Ok(Ok(view(&m, me)))
    })
    .await??;
    Ok((StatusCode::CREATED, Json(sent)))
}

/// Blocks a member: no messages either way until unblocked.
#[utoipa::path(put, path = "/api/v1/community/messages/blocks/{alias}", tag = "community",
    params(("alias" = String, Path, description = "The member's community alias")),
    responses((status = 200, body = BlockView), (status = 404, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn block(
    State(state): State<AppState>,
    user: AuthUser,
    Path(alias): Path<String>,
) -> AppResult<Json<BlockView>> {
    set_block(&state, &user, alias, true).await
}

/// Unblocks a member.
#[utoipa::path(delete, path = "/api/v1/community/messages/blocks/{alias}", tag = "community",
    params(("alias" = String, Path, description = "The member's community alias")),
    responses((status = 200, body = BlockView), (status = 404, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn unblock(
    State(state): State<AppState>,
    user: AuthUser,
    Path(alias): Path<String>,
) -> AppResult<Json<BlockView>> {
    set_block(&state, &user, alias, false).await
}

async fn set_block(
    state: &AppState,
    user: &AuthUser,
    alias: String,
    on: bool,
) -> AppResult<Json<BlockView>> {
    with_member(state, user, Access::Write, async move |c, me| {
        let other = member_by_alias(&c, &alias).await?;
        if other == me {
            return Err(auravest_social::Error::InvalidInput {
                field: "alias",
                reason: "you cannot block yourself".to_owned(),
            });
        }
        c.store().set_block(me, other, on, Utc::now()).await
    })
    .await?;
    Ok(Json(BlockView { blocked: on }))
}

/// Reports a message the caller received to the moderators.
#[utoipa::path(post, path = "/api/v1/community/messages/{id}/report", tag = "community",
    params(("id" = String, Path, description = "Message id")),
    request_body = ReasonIn,
    responses((status = 204), (status = 404, description = "Not a message the caller received, or reported already", body = crate::error::ErrorBody),
        (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn report_message(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<ReasonIn>,
) -> AppResult<StatusCode> {
    let reason = community(&state)
        .report_reason(&body.reason)
        .map_err(|e| social_error(&e))?;
    let id = Uuid::parse_str(id.trim())
        .map_err(|_| AppError::field("id", "is not a message id"))?
        .to_string();
    let done = with_member(&state, &user, Access::Write, async move |c, me| {
        c.store().report_message(&id, me, &reason, Utc::now()).await
    })
    .await?;
    if !done {
        return Err(AppError::not_found("message"));
    }
    Ok(StatusCode::NO_CONTENT)
}

/// Closes a report of a message (moderators; audited).
#[utoipa::path(post, path = "/api/v1/community/moderation/messages/{id}/resolve", tag = "community",
    params(("id" = String, Path, description = "Message id")),
    responses((status = 204), (status = 403, body = crate::error::ErrorBody),
        (status = 404, description = "Not a reported message, or resolved already", body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn resolve_report(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
) -> AppResult<StatusCode> {
    let entry = QueueEntry {
        id_error: "is not a message id",
        missing: "reported message",
        action: "resolve_message_report",
    };
    resolve_entry(&state, &user, &id, entry, async move |c, _me, key| {
        c.store().resolve_message_report(&key, Utc::now()).await
    })
    .await
}

/// Reported messages, the newest report first (moderators).
#[utoipa::path(get, path = "/api/v1/community/moderation/messages", tag = "community",
    responses((status = 200, body = Vec<ReportedMessageView>), (status = 403, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn reported_messages(
    State(state): State<AppState>,
    user: AuthUser,
) -> AppResult<Json<Vec<ReportedMessageView>>> {
    user.require(Role::Moderator)?;
    let out = with_member(&state, &user, Access::Read, async move |c, _me| {
        let mut out = Vec::new();
        for m in c.store().reported_messages(200).await? {
            let sender_present = c
                .store()
                .user(UserId::new(u64::try_from(m.sender).unwrap_or(0)))
                .await?
                .is_some();
            out.push(ReportedMessageView {
                sender_present,
                from: alias_of(&c, m.sender).await?,
                to: alias_of(&c, m.recipient).await?,
                sent_at: iso(m.created_ns),
                reason: m.report_reason.clone().unwrap_or_default(),
                reported_at: iso(m.reported_ns.unwrap_or(m.created_ns)),
                text: m.body,
                id: m.id,
            });
        }
        Ok(out)
    })
    .await?;
    Ok(Json(out))
}
