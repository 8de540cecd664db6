//! Notifications: events, records with read state, and digests.

use std::collections::BTreeMap;

use auravest_core::{Decimal, Symbol};
use chrono::{DateTime, Utc};

use crate::ids::{NotificationId, PostId, UserId};
use crate::moderation::Role;
use crate::views::Member;

/// What a moderation notification reports.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum ModerationOutcome {
    /// Your post was hidden after several flags, until a moderator reviews it.
    PostHidden {
        /// The post.
        post: PostId,
    },
    /// Your post was removed.
    PostRemoved {
        /// The post.
        post: PostId,
    },
    /// Your post was restored.
    PostRestored {
        /// The post.
        post: PostId,
    },
    /// You were warned.
    Warned,
    /// You were suspended.
    Suspended {
        /// When the suspension ends.
        until: DateTime<Utc>,
    },
    /// You were banned.
    Banned,
    /// Your suspension or ban was lifted.
    Reinstated,
    /// A post you flagged was reviewed.
    ReportResolved {
        /// The post.
        post: PostId,
        /// Whether it was removed.
        removed: bool,
    },
    /// Your role changed.
    RoleChanged {
        /// The new role.
        role: Role,
    },
}

/// The condition of a price alert.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(tag = "condition", rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum AlertCondition {
    /// The price rose above a threshold.
    Above {
        /// The threshold.
        threshold: Decimal,
    },
    /// The price fell below a threshold.
    Below {
        /// The threshold.
        threshold: Decimal,
    },
    /// The price moved by at least this percentage (signed) in a day.
    Moved {
        /// The move in percent.
        percent: Decimal,
    },
}

/// A price-alert event. Alert rules (a later part of the SDK) produce these;
/// this crate stores and shows them.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PriceAlert {
    /// The ticker.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub symbol: Symbol,
    /// What happened.
    pub condition: AlertCondition,
    /// The price that triggered the alert.
    pub price: Decimal,
    /// Where the quote came from (`yahoo`, `stooq`, `sample`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// When the market printed the quote.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub as_of: Option<DateTime<Utc>>,
    /// How old the quote was when the alert fired, in seconds (quotes are
    /// delayed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub age_seconds: Option<i64>,
}

impl PriceAlert {
    /// Where the price came from and how old it was, in words:
    /// `yahoo quote of 2026-12-07 14:30 UTC, 15 minutes old`.
    pub fn provenance(&self) -> Option<String> {
        let source = self.source.as_deref()?;
        let mut out = format!("{source} quote");
        if let Some(at) = self.as_of {
            out.push_str(&format!(" of {}", at.format("%Y-%m-%d %H:%M UTC")));
        }
        if let Some(age) = self.age_seconds {
            let minutes = age.max(0) / 60;
            out.push_str(&match minutes {
                0 => ", under a minute old".to_owned(),
                1 => ", 1 minute old".to_owned(),
                m if m < 120 => format!(", {m} minutes old"),
                m if m < 48 * 60 => format!(", {} hours old", m / 60),
                m => format!(", {} days old", m / (24 * 60)),
            });
        }
        Some(out)
    }
}

/// What a notification is about.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum NotificationKind {
    /// Someone replied to your comment.
    Reply {
        /// The top-level post of the thread.
        thread: PostId,
        /// Your comment.
        to: PostId,
        /// The reply.
        reply: PostId,
    },
    /// Someone commented on your post.
    Comment {
        /// Your post.
        post: PostId,
        /// The comment.
        comment: PostId,
    },
    /// Someone mentioned you.
    Mention {
        /// The post or comment that mentions you.
        post: PostId,
    },
    /// Someone started following you.
    NewFollower,
    /// Someone liked your post.
    Like {
        /// Your post.
        post: PostId,
    },
    /// Your post reached a number of likes.
    LikeMilestone {
        /// Your post.
        post: PostId,
        /// The milestone reached.
        likes: u32,
    },
    /// A moderation outcome that concerns you.
    Moderation {
        /// What happened.
        outcome: ModerationOutcome,
        /// The moderator's reason.
        reason: String,
    },
    /// A price alert fired.
    PriceAlert {
        /// The alert.
        alert: PriceAlert,
    },
}

/// The type of a notification, without its data.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum NotificationType {
    /// [`NotificationKind::Reply`].
    Reply,
    /// [`NotificationKind::Comment`].
    Comment,
    /// [`NotificationKind::Mention`].
    Mention,
    /// [`NotificationKind::NewFollower`].
    NewFollower,
    /// [`NotificationKind::Like`].
    Like,
    /// [`NotificationKind::LikeMilestone`].
    LikeMilestone,
    /// [`NotificationKind::Moderation`].
    Moderation,
    /// [`NotificationKind::PriceAlert`].
    PriceAlert,
}

impl NotificationKind {
    /// The type.
    pub fn kind_type(&self) -> NotificationType {
        match self {
            Self::Reply { .. } => NotificationType::Reply,
            Self::Comment { .. } => NotificationType::Comment,
            Self::Mention { .. } => NotificationType::Mention,
            Self::NewFollower => NotificationType::NewFollower,
            Self::Like { .. } => NotificationType::Like,
            Self::LikeMilestone { .. } => NotificationType::LikeMilestone,
            Self::Moderation { .. } => NotificationType::Moderation,
            Self::PriceAlert { .. } => NotificationType::PriceAlert,
        }
    }

    /// The post a notification is grouped under in a digest, for the types
    /// that group (replies by your comment, comments, mentions and likes by post).
    fn group_post(&self) -> Option<Option<PostId>> {
        match self {
            Self::Reply { to, .. } => Some(Some(*to)),
            Self::Comment { post, .. } | Self::Mention { post } | Self::Like { post } => {
                Some(Some(*post))
            }
            Self::NewFollower => Some(None),
            Self::LikeMilestone { .. } | Self::Moderation { .. } | Self::PriceAlert { .. } => None,
        }
    }

    /// What the people of a grouped notification did (`liked your post`).
    fn verb(&self) -> &'static str {
        match self {
            Self::Reply { .. } => "replied to your comment",
            Self::Comment { .. } => "commented on your post",
            Self::Mention { .. } => "mentioned you",
            Self::NewFollower => "started following you",
            Self::Like { .. } => "liked your post",
            Self::LikeMilestone { .. } | Self::Moderation { .. } | Self::PriceAlert { .. } => "",
        }
    }

    /// The sentence for a notification that stands alone.
    pub(crate) fn sentence(&self) -> String {
        match self {
            Self::LikeMilestone { likes, .. } => format!("Your post reached {likes} likes"),
            Self::Moderation { outcome, reason } => {
                let what = match outcome {
                    ModerationOutcome::PostHidden { .. } => {
                        "Your post is hidden until a moderator reviews it".to_owned()
                    }
                    ModerationOutcome::PostRemoved { .. } => "Your post was removed".to_owned(),
                    ModerationOutcome::PostRestored { .. } => "Your post was restored".to_owned(),
                    ModerationOutcome::Warned => "You received a warning".to_owned(),
                    ModerationOutcome::Suspended { until } => {
                        format!("Your account is suspended until {until}")
                    }
                    ModerationOutcome::Banned => "Your account was banned".to_owned(),
                    ModerationOutcome::Reinstated => "Your account was reinstated".to_owned(),
                    ModerationOutcome::ReportResolved { removed: true, .. } => {
                        "A post you reported was removed. Thank you".to_owned()
                    }
                    ModerationOutcome::ReportResolved { removed: false, .. } => {
                        "A post you reported was reviewed and kept".to_owned()
                    }
                    ModerationOutcome::RoleChanged { role } => format!("You are now a {role}"),
                };
                format!("{what}: {reason}")
            }
            Self::PriceAlert { alert } => {
                let s = &alert.symbol;
                let what = match alert.condition {
                    AlertCondition::Above { threshold } => format!("${s} rose above {threshold}"),
                    AlertCondition::Below { threshold } => format!("${s} fell below {threshold}"),
                    AlertCondition::Moved { percent } => format!(
                        "${s} moved {}{percent}% today",
                        if percent.is_sign_negative() { "" } else { "+" }
                    ),
                };
                match alert.provenance() {
                    Some(from) => format!("{what} (now {}; {from})", alert.price),
                    None => format!("{what} (now {})", alert.price),
                }
            }
            other => format!("Someone {}", other.verb()),
        }
    }
}

/// A notification as stored.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Notification {
    /// Its id; ids rise with time.
    pub id: NotificationId,
    /// Who receives it.
    pub recipient: UserId,
    /// What it is about.
    pub kind: NotificationKind,
    /// Who caused it; `None` for the system and for anonymous posts (the
    /// author of an anonymous post is never stored on a notification).
    pub actor: Option<UserId>,
    /// When.
    pub created_at: DateTime<Utc>,
    /// Read by the recipient.
    pub read: bool,
}

/// A notification to store; the store assigns the id and `read = false`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct NewNotification {
    /// Who receives it.
    pub recipient: UserId,
    /// What it is about.
    pub kind: NotificationKind,
    /// Who caused it.
    pub actor: Option<UserId>,
    /// When.
    pub created_at: DateTime<Utc>,
}

/// A notification as its recipient sees it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NotificationView {
    /// Its id.
    pub id: NotificationId,
    /// What it is about.
    pub kind: NotificationKind,
    /// Who caused it, when that is a member who acted under their alias.
    pub actor: Option<Member>,
    /// The sentence to show (`Investor4821 liked your post`).
    pub text: String,
    /// When.
    pub created_at: DateTime<Utc>,
    /// Read.
    pub read: bool,
}

/// Unread notifications of one type about one post, grouped
/// (`3 people liked your post`). Types that do not group (milestones,
/// moderation, price alerts) make one digest each.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Digest {
    /// The type of the grouped notifications.
    #[serde(rename = "type")]
    pub kind_type: NotificationType,
    /// The post they are about, if any.
    pub post: Option<PostId>,
    /// Distinct people involved (each anonymous actor counts as one).
    pub people: usize,
    /// The sentence to show.
    pub text: String,
    /// The newest notification's time.
    pub latest_at: DateTime<Utc>,
    /// The grouped notifications, newest first; mark these read to clear the digest.
    pub notifications: Vec<NotificationId>,
}

/// Names a group of people: `A`, `A and B`, or `3 people`.
fn people_phrase(names: &[String]) -> String {
    match names {
        [] => "Someone".to_owned(),
        [one] => one.clone(),
        [a, b] => format!("{a} and {b}"),
        more => format!("{} people", more.len()),
    }
}

/// The sentence for one notification, with the actor's current alias.
pub(crate) fn sentence(kind: &NotificationKind, actor: Option<&Member>) -> String {
    match (kind.group_post(), actor) {
        (Some(_), Some(member)) => format!("{} {}", member.alias, kind.verb()),
        _ => kind.sentence(),
    }
}

/// Groups unread notifications into digests, newest digest first.
pub(crate) fn digests(
    unread: &[Notification],
    member: impl Fn(UserId) -> Option<Member>,
) -> Vec<Digest> {
    let mut groups: BTreeMap<(NotificationType, Option<PostId>), Vec<&Notification>> =
        BTreeMap::new();
    let mut out = Vec::new();
    for n in unread {
        match n.kind.group_post() {
            Some(post) => groups
                .entry((n.kind.kind_type(), post))
                .or_default()
                .push(n),
            None => out.push(Digest {
                kind_type: n.kind.kind_type(),
                post: match &n.kind {
                    NotificationKind::LikeMilestone { post, .. } => Some(*post),
                    _ => None,
                },
                people: usize::from(n.actor.is_some()),
                text: n.kind.sentence(),
                latest_at: n.created_at,
                notifications: vec![n.id],
            }),
        }
    }
    for ((kind_type, post), mut items) in groups {
        items.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(b.id.cmp(&a.id)));
        let mut seen: Vec<UserId> = Vec::new();
        let mut names: Vec<String> = Vec::new();
        for n in &items {
            match n.actor {
                Some(id) if seen.contains(&id) => {}
                Some(id) => {
                    seen.push(id);
                    names.push(member(id).map_or_else(|| "Someone".to_owned(), |m| m.alias));
                }
                None => names.push("someone".to_owned()),
            }
        }
        if let Some(first) = names.first_mut()
            && first == "someone"
        {
            *first = "Someone".to_owned();
        }
        out.push(Digest {
            kind_type,
            post,
            people: names.len(),
            text: format!("{} {}", people_phrase(&names), items[0].kind.verb()),
            latest_at: items[0].created_at,
            notifications: items.iter().map(|n| n.id).collect(),
        });
    }
    out.sort_by(|a, b| {
        b.latest_at
            .cmp(&a.latest_at)
            .then(b.notifications[0].cmp(&a.notifications[0]))
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn people_phrases() {
        let names = |n: usize| (0..n).map(|i| format!("P{i}")).collect::<Vec<_>>();
        assert_eq!(people_phrase(&names(0)), "Someone");
        assert_eq!(people_phrase(&names(1)), "P0");
        assert_eq!(people_phrase(&names(2)), "P0 and P1");
        assert_eq!(people_phrase(&names(3)), "3 people");
    }
}
