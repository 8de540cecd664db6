//! Stored rows and values, and their conversions to the community's types.

use auravest_social::{
    AccountStatus, AuditEvent, AuditId, Entity, Error, Flag, NewPost, Notification, NotificationId,
    Post, PostId, PostStatus, PrivacySettings, Role, User, UserId,
};
use chrono::{DateTime, Utc};

use super::{Done, Fail};

pub(super) const MEMBER_COLUMNS: &str = "id, alias, role, status, share_performance, count_holdings, \
    joined_ns, alias_changed_ns, holdings, returns, warnings";
pub(super) type MemberRow = (
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

pub(super) const POST_COLUMNS: &str = "id, author_id, anonymous, thread_id, reply_to, text, sentiment, \
    cashtags, mentions, links, performance, created_ns, status, helpful";
pub(super) type PostRow = (
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

pub(super) const FLAG_COLUMNS: &str = "post_id, reporter_id, reason, at_ns, seq, reviewed_seq";
pub(super) type FlagRow = (i64, i64, String, i64, i64, Option<i64>);

pub(super) const NOTIFICATION_COLUMNS: &str =
    "id, recipient_id, kind, actor_id, created_ns, is_read";
pub(super) type NotificationRow = (i64, i64, String, Option<i64>, i64, bool);

pub(super) const AUDIT_COLUMNS: &str = "id, at_ns, actor_id, action, reason";
pub(super) type AuditRow = (i64, i64, i64, String, String);

/// Counts per post id.
pub(super) type Counts = Vec<(i64, i64)>;

/// An id as stored (ids beyond `i64::MAX` match nothing).
pub(super) fn sql_id(raw: u64) -> i64 {
    i64::try_from(raw).unwrap_or(i64::MAX)
}

/// A stored id or sequence number back as unsigned.
pub(super) fn raw_id(v: i64) -> Done<u64> {
    u64::try_from(v).map_err(|_| Fail::Data(format!("negative id {v}")))
}

/// An instant as stored: nanoseconds since the epoch, clamped to `i64`
/// (only cursor times, which are user input, can fall outside it).
pub(super) fn nanos(at: DateTime<Utc>) -> i64 {
    at.timestamp_nanos_opt().unwrap_or(if at.timestamp() < 0 {
        i64::MIN
    } else {
        i64::MAX
    })
}

pub(super) fn instant(ns: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_nanos(ns)
}

pub(super) fn json<T: serde::Serialize>(value: &T) -> Done<String> {
    Ok(serde_json::to_string(value)?)
}

pub(super) fn parse<T: serde::de::DeserializeOwned>(text: &str) -> Done<T> {
    Ok(serde_json::from_str(text)?)
}

pub(super) fn role_of(name: &str) -> Done<Role> {
    name.parse()
        .map_err(|_| Fail::Data(format!("unknown role {name:?}")))
}

pub(super) fn status_name(status: PostStatus) -> &'static str {
    match status {
        PostStatus::Visible => "visible",
        PostStatus::Hidden => "hidden",
        PostStatus::Removed => "removed",
        PostStatus::Deleted => "deleted",
    }
}

pub(super) fn status_of(name: &str) -> Done<PostStatus> {
    match name {
        "visible" => Ok(PostStatus::Visible),
        "hidden" => Ok(PostStatus::Hidden),
        "removed" => Ok(PostStatus::Removed),
        "deleted" => Ok(PostStatus::Deleted),
        other => Err(Fail::Data(format!("unknown post status {other:?}"))),
    }
}

pub(super) fn member_of(row: MemberRow) -> Done<User> {
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

pub(super) fn post_of(row: PostRow) -> Done<Post> {
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

pub(super) fn flag_of(row: FlagRow) -> Done<Flag> {
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

pub(super) fn notification_of(row: NotificationRow) -> Done<Notification> {
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

pub(super) fn audit_of(row: AuditRow) -> Done<AuditEvent> {
    let (id, at, actor, action, reason) = row;
    Ok(AuditEvent {
        id: AuditId::new(raw_id(id)?),
        at: instant(at),
        actor: UserId::new(raw_id(actor)?),
        action: parse(&action)?,
        reason,
    })
}

pub(super) fn sentiment_text(post: &NewPost) -> Done<Option<String>> {
    Ok(match post.sentiment {
        None => None,
        Some(s) => match serde_json::to_value(s)? {
            serde_json::Value::String(s) => Some(s),
            other => return Err(Fail::Data(format!("sentiment {other}"))),
        },
    })
}

pub(super) fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(db) if db.is_unique_violation())
}

pub(super) fn alias_taken(alias: &auravest_social::Alias) -> Fail {
    Fail::Rule(Error::AliasTaken {
        alias: alias.to_string(),
    })
}

pub(super) fn not_found(entity: Entity, id: impl std::fmt::Display) -> Fail {
    Fail::Rule(Error::NotFound {
        entity,
        id: id.to_string(),
    })
}
