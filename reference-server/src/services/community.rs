//! Running the community for the routes (the HTTP API is
//! `crate::routes::community`). The community under `/api/v1/community`: posts with cashtags, comments,
//! likes, the home feed, ticker streams, trending tickers, follows, member
//! profiles, performance shares (a portfolio's return over a month or a
//! year, in percent only), the top performers and contributors, flags,
//! notifications and moderation.
//!
//! Every rule is `auravest_social::Community`'s; its data lives in the
//! server's database through [`SqlSocialStore`], on the store's own pool.
//! Every handler reaches the community through [`with_community`] /
//! `with_member`, which map its errors and take the community's lock for
//! changes.
//!
//! Our users act through community members, created on their first
//! community request and mapped in `social_accounts`. At each request the
//! member is brought in step with our account: its role (our role is the
//! authority, already audited when granted), its `share_performance`
//! setting, its holdings (the tickers held now, kept only while the user's
//! `count_holdings` is on, and counted only in "most held"), and its alias
//! (ours with `-` read as `_`; changed through the community's alias
//! change, so its cooldown applies and a change refused by the cooldown is
//! retried on later requests; an alias the community's rules refuse leaves
//! the member's alias as it was).

use auravest_social::{
    Alias, AliasPolicy, Community, Config, Error, PrivacySettings, Store, Symbol, UserId,
};
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::auth::AuthUser;
use crate::error::{AppError, AppResult};
use crate::services::portfolio as portfolios;
use crate::social_store::{PostsChoice, SqlSocialStore};
use crate::state::AppState;
use crate::store::Role;

/// The community over the server's database.
pub type ServerCommunity = Community<SqlSocialStore>;

// --- running the community --------------------------------------------------

/// The community over `state`'s database, with the default rules.
pub fn community(state: &AppState) -> ServerCommunity {
    Community::new(SqlSocialStore::of(state), Config::default())
}

/// Runs `f` on the community and maps its errors. Every use of the
/// community goes through here (or [`with_member`]).
///
/// # Errors
/// The community's errors as [`AppError`]s (see `social_error`); the
/// database's as internal errors.
pub async fn with_community<T, F>(state: &AppState, f: F) -> AppResult<T>
where
    F: AsyncFnOnce(ServerCommunity) -> Result<T, Error>,
{
    f(community(state)).await.map_err(|e| social_error(&e))
}

/// What the member of a user is kept in step with.
pub(crate) struct Account {
    user: Uuid,
    alias: String,
    role: Role,
    share_performance: bool,
    /// The held tickers when the user lets the community count them.
    holdings: Option<Vec<Symbol>>,
}

/// The name of the lock every change to the community takes
/// ([`crate::store::Store::lock`]): the community's rules read what they
/// then change (a member's recent posts for the posting limits, a post's
/// open flags for the hiding threshold, its likes for the milestones, a
/// member's record for its settings), so changes run one at a time across
/// every replica. Reads take no lock.
pub const COMMUNITY_LOCK: &str = "community";

/// As [`with_community`], holding [`COMMUNITY_LOCK`].
///
/// # Errors
/// As [`with_community`]; a lock not free in time is a 503.
pub async fn with_community_locked<T, F>(state: &AppState, f: F) -> AppResult<T>
where
    F: AsyncFnOnce(ServerCommunity) -> Result<T, Error>,
{
    let _held = state.store.lock(COMMUNITY_LOCK).await?;
    with_community(state, f).await
}

/// Whether a community call only reads ([`Access::Read`]) or may change
/// something ([`Access::Write`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Access {
    Read,
    Write,
}

/// The account as the community should see it, read now.
pub(crate) async fn account_of(state: &AppState, user: &AuthUser) -> AppResult<Account> {
    let record = state
        .store
        .user(user.id)
        .await?
        .ok_or_else(|| AppError::Unauthenticated("the account no longer exists".to_owned()))?;
    let holdings = if record.count_holdings {
        Some(portfolios::held_now(state, user.id).await?)
    } else {
        None
    };
    Ok(Account {
        user: user.id,
        alias: record.alias,
        role: record.role,
        share_performance: record.share_performance,
        holdings,
    })
}

/// As [`with_community`], with the caller's member (created on first use
/// and brought in step with the account). A [`Access::Write`] call runs
/// under [`COMMUNITY_LOCK`]; a read takes it only when the member must be
/// created or brought in step. The account is read under the lock, so a
/// member is never created for an account being deleted.
pub(crate) async fn with_member<T, F>(
    state: &AppState,
    user: &AuthUser,
    access: Access,
    f: F,
) -> AppResult<T>
where
    F: AsyncFnOnce(ServerCommunity, UserId) -> Result<T, Error>,
{
    let mut c = community(state);
    if access == Access::Read {
        let account = account_of(state, user).await?;
        if let Some(me) = in_step(&c, &account).await.map_err(|e| social_error(&e))? {
            return match f(c, me).await {
                Ok(v) => Ok(v),
                Err(e) => Err(member_error(state, user, me, &e).await),
            };
        }
    }
    let _held = state.store.lock(COMMUNITY_LOCK).await?;
    let account = account_of(state, user).await?;
    let now = Utc::now();
    let seed: u64 = rand::random();
    let me = member(&mut c, &account, now, seed)
        .await
        .map_err(|e| social_error(&e))?;
    match f(c, me).await {
        Ok(v) => Ok(v),
        Err(e) => Err(member_error(state, user, me, &e).await),
    }
}

/// A community error met while acting for `user` through the member `me`.
/// A read takes no lock, so the account may be deleted meanwhile (its member
/// first, then the account): a missing `me`, or a missing account, means
/// the caller is no longer signed in, not that they look at a missing member.
async fn member_error(state: &AppState, user: &AuthUser, me: UserId, e: &Error) -> AppError {
    if let Error::NotFound { entity, id } = e {
        let gone = (*entity == auravest_social::Entity::User && *id == me.to_string())
            || matches!(state.store.user(user.id).await, Ok(None));
        if gone {
            return AppError::Unauthenticated("the account no longer exists".to_owned());
        }
    }
    social_error(e)
}

/// The account's member when it exists and is in step with the account
/// (nothing for [`member`] to write); `None` otherwise.
pub(crate) async fn in_step(
    c: &ServerCommunity,
    account: &Account,
) -> Result<Option<UserId>, Error> {
    let Some((id, synced)) = c.store().account(account.user).await? else {
        return Ok(None);
    };
    let record = member_record(c, id).await?;
    let settings = PrivacySettings {
        share_performance: account.share_performance,
        count_holdings_in_aggregates: account.holdings.is_some(),
    };
    let holdings = account.holdings.as_deref().unwrap_or_default();
    let ready = record.role == account.role
        && record.settings == settings
        && record.holdings == holdings
        && synced == account.alias;
    Ok(ready.then_some(id))
}

/// Our alias as a community alias: `-` read as `_`, cut to the community's
/// length; `None` when the community's rules refuse it.
pub(crate) fn community_alias(ours: &str, policy: &AliasPolicy) -> Option<Alias> {
    let candidate: String = ours
        .chars()
        .map(|c| if c == '-' { '_' } else { c })
        .take(auravest_social::MAX_ALIAS_LEN)
        .collect();
    policy.check(&candidate).ok()
}

/// The account's member, created when missing, then brought in step.
pub(crate) async fn member(
    c: &mut ServerCommunity,
    account: &Account,
    now: DateTime<Utc>,
    seed: u64,
) -> Result<UserId, Error> {
    let mut store = c.store().clone();
    let (id, synced) = match store.account(account.user).await? {
        Some(found) => found,
        None => {
            let created = match community_alias(&account.alias, &c.config().alias) {
                Some(alias) => match store
                    .insert_user(auravest_social::NewUser {
                        alias,
                        role: account.role,
                        joined_at: now,
                    })
                    .await
                {
                    Ok(user) => Some(user.id),
                    Err(Error::AliasTaken { .. }) => None,
                    Err(e) => return Err(e),
                },
                None => None,
            };
            let id = match created {
                Some(id) => id,
                None => {
                    c.register_with_role(account.role, now, &mut auravest_social::seeded_rng(seed))
                        .await?
                }
            };
            if store.link(account.user, id, &account.alias).await? {
                (id, account.alias.clone())
            } else {
                // A concurrent first request linked another member: use that one.
                store.discard_member(id).await?;
                store
                    .account(account.user)
                    .await?
                    .ok_or_else(|| Error::Storage {
                        backend: "sql",
                        detail: "the member mapping vanished".to_owned(),
                    })?
            }
        }
    };
    let mut record = member_record(c, id).await?;
    if record.role != account.role {
        record.role = account.role;
        store.update_user(&record).await?;
    }
    let settings = PrivacySettings {
        share_performance: account.share_performance,
        count_holdings_in_aggregates: account.holdings.is_some(),
    };
    if record.settings != settings {
        c.update_settings(id, settings).await?;
    }
    // Holdings are kept only while the user lets them be counted.
    let holdings = account.holdings.as_deref().unwrap_or_default();
    if record.holdings != holdings {
        c.set_holdings(id, holdings).await?;
    }
    if synced != account.alias {
        match community_alias(&account.alias, &c.config().alias) {
            Some(alias) if alias.key() == record.alias.key() => {
                store.set_synced_alias(account.user, &account.alias).await?;
            }
            Some(alias) => match c.change_alias(id, alias.as_str(), now).await {
                Ok(_) | Err(Error::InvalidAlias { .. } | Error::AliasTaken { .. }) => {
                    store.set_synced_alias(account.user, &account.alias).await?;
                }
                // The cooldown or a suspension: try again on a later request.
                Err(Error::RateLimited { .. } | Error::AccountRestricted { .. }) => {}
                Err(e) => return Err(e),
            },
            None => store.set_synced_alias(account.user, &account.alias).await?,
        }
    }
    Ok(id)
}

/// A member as stored.
pub(crate) async fn member_record(
    c: &ServerCommunity,
    id: UserId,
) -> Result<auravest_social::User, Error> {
    c.store().user(id).await?.ok_or_else(|| Error::NotFound {
        entity: auravest_social::Entity::User,
        id: id.to_string(),
    })
}

/// The community's errors as ours: rule violations on a field are 422s
/// naming it, `not found` 404, role and restriction refusals 403, rate
/// limits 429, taken aliases 409, storage failures 500.
pub(crate) fn social_error(e: &Error) -> AppError {
    match e {
        Error::NotFound { entity, .. } => AppError::NotFound(format!("no such {entity}")),
        Error::Forbidden { .. } | Error::AccountRestricted { .. } => {
            AppError::Forbidden(e.to_string())
        }
        Error::PerformanceSharingOff => AppError::Forbidden(e.to_string()),
        Error::RateLimited { retry_after, .. } => AppError::RateLimited(
            retry_after
                .to_std()
                .unwrap_or(std::time::Duration::from_secs(1)),
        ),
        Error::AliasTaken { .. } => AppError::Conflict(e.to_string()),
        Error::SelfAction { .. } => AppError::field("id", e.to_string()),
        Error::Core(_) => AppError::field("symbol", e.to_string()),
        Error::Storage { .. } | Error::AliasSpaceExhausted => AppError::internal(e),
        _ => match e.field() {
            Some(field) => AppError::field(field, e.to_string()),
            None => AppError::internal(e),
        },
    }
}

// --- account deletion --------------------------------------------------------------

/// Removes the user's community member before the account is deleted:
/// their posts and comments deleted (text erased) or anonymised (kept,
/// shown as anonymous, linked to no one), and their likes, flags, follows,
/// notifications and member mapping removed. Nothing to do for a user who
/// never used the community. The crate has no rule for leaving members, so
/// this is the server's (`SqlSocialStore::erase_member`).
///
/// # Errors
/// Database failures, as internal errors.
pub async fn delete_member(state: &AppState, user: Uuid, posts: PostsChoice) -> AppResult<()> {
    let (member, written) = with_community(state, async move |c| {
        let member = c.store().account(user).await?.map(|(id, _)| id);
        // Everything they wrote, anonymous posts included, whatever its state.
        let written = match member {
            Some(id) => {
                let query =
                    auravest_social::PostQuery::new(auravest_social::Scope::Authors(vec![id]));
                c.store()
                    .query_posts(&query)
                    .await?
                    .iter()
                    .map(|p| p.id.to_string())
                    .collect()
            }
            None => Vec::new(),
        };
        if let Some(id) = member {
            c.store().erase_messages(id).await?;
        }
        c.store().erase_member(user, posts).await?;
        Ok((member, written))
    })
    .await?;
    // Their posts, comments and notifications leave the live events too.
    if let Some(id) = member {
        state
            .live
            .forget_posts(&written)
            .await
            .map_err(AppError::internal)?;
        state
            .live
            .forget_member(crate::live::member_key(id))
            .await
            .map_err(AppError::internal)?;
    }
    Ok(())
}

// --- price alerts -------------------------------------------------------------

/// Delivers a price alert to a user as one of their community
/// notifications (their member is created if they have none yet); it
/// reaches their live connections like any notification.
///
/// # Errors
/// The user no longer exists (404); the community's and database's errors.
pub(crate) async fn notify_price_alert(
    state: &AppState,
    user: Uuid,
    alert: auravest_social::PriceAlert,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let record = state
        .store
        .user(user)
        .await?
        .ok_or_else(|| AppError::not_found("user"))?;
    let caller = AuthUser {
        id: user,
        role: record.role,
        audit_subject: record.audit_subject,
    };
    with_member(state, &caller, Access::Write, async move |mut c, me| {
        c.notify_price_alert(me, alert, now).await.map(|_| ())
    })
    .await
}

// --- live events --------------------------------------------------------------
//
// Announced inside the change's own `with_member` call, under
// `COMMUNITY_LOCK`, so events follow the changes' order (a post deleted
// right after it was made is never announced after its removal).

/// Announces a new post or comment to live clients, as any other member
/// sees it (an anonymous author stays anonymous). A comment carries its
/// thread's comment count. Something not visible to others (held back by
/// the community's rules) is not announced.
pub(crate) async fn announce_post(
    live: &crate::live::LiveBus,
    c: &ServerCommunity,
    id: auravest_social::PostId,
) {
    use crate::live::{Kind, NewEvent, member_key};
    let view = match c.view_post(None, id).await {
        Ok(v) if v.status == auravest_social::PostStatus::Visible => v,
        Ok(_) => return,
        Err(e) => {
            tracing::debug!(error = %e, %id, "live events: the new post is not readable");
            return;
        }
    };
    let author = match &view.author {
        auravest_social::Author::Member { id, .. } => Some(member_key(*id)),
        auravest_social::Author::Anonymous => None,
    };
    let symbols = view.cashtags.iter().map(ToString::to_string).collect();
    let (kind, payload) = match view.thread {
        None => (Kind::Post, serde_json::to_value(&view)),
        Some(thread) => {
            let comments = c.view_post(None, thread).await.map(|t| t.comments).ok();
            (
                Kind::Comment,
                serde_json::to_value(&view).map(|v| {
                    serde_json::json!({
                        "post_id": thread.to_string(),
                        "comments": comments,
                        "comment": v,
                    })
                }),
            )
        }
    };
    let Ok(payload) = payload else {
        return;
    };
    live.announce(NewEvent {
        kind,
        audience: None,
        author,
        post: Some(id.to_string()),
        symbols,
        payload,
    })
    .await;
}

/// Announces a post's like count to live clients.
pub(crate) async fn announce_likes(
    live: &crate::live::LiveBus,
    id: auravest_social::PostId,
    likes: u32,
) {
    live.announce(crate::live::NewEvent {
        kind: crate::live::Kind::Reactions,
        audience: None,
        author: None,
        post: Some(id.to_string()),
        symbols: Vec::new(),
        payload: serde_json::json!({ "post_id": id.to_string(), "likes": likes }),
    })
    .await;
}

/// Announces that a post is no longer shown (deleted, hidden or taken
/// down), and drops its kept events so reconnecting clients are not sent
/// its text again.
pub(crate) async fn announce_removed(live: &crate::live::LiveBus, id: auravest_social::PostId) {
    if let Err(e) = live.forget_posts(&[id.to_string()]).await {
        tracing::warn!(error = %e, %id, "live events: the post's events could not be dropped");
    }
    live.announce(crate::live::NewEvent {
        kind: crate::live::Kind::Removed,
        audience: None,
        author: None,
        post: Some(id.to_string()),
        symbols: Vec::new(),
        payload: serde_json::json!({ "post_id": id.to_string() }),
    })
    .await;
}

/// Tells the member's live connections that whom it follows changed.
pub(crate) async fn announce_follows(live: &crate::live::LiveBus, member: UserId) {
    live.announce(crate::live::NewEvent {
        kind: crate::live::Kind::Follows,
        audience: Some(crate::live::member_key(member)),
        author: None,
        post: None,
        symbols: Vec::new(),
        payload: serde_json::json!({}),
    })
    .await;
}

/// Everything the community holds about a user, for the data export;
/// `None` when they never took part (no member is created for asking).
///
/// # Errors
/// The database's, as internal errors.
pub async fn member_export(
    state: &AppState,
    user: Uuid,
) -> AppResult<Option<auravest_social::MemberExport>> {
    with_community(state, async move |c| {
        match c.store().account(user).await? {
            Some((id, _)) => c.export_member(id).await.map(Some),
            None => Ok(None),
        }
    })
    .await
}

/// The user's direct messages (sent and received, newest first), their
/// setting and the members they blocked, for the data export (empty when
/// they never took part).
///
/// # Errors
/// The database's, as internal errors.
pub async fn messages_export(state: &AppState, user: Uuid) -> AppResult<ExportMessaging> {
    with_community(state, async move |c| {
        let Some((me, _)) = c.store().account(user).await? else {
            return Ok(ExportMessaging {
                accepts_messages: true,
                blocked: Vec::new(),
                messages: Vec::new(),
            });
        };
        let mine = crate::live::member_key(me);
        let mut messages = Vec::new();
        for m in c.store().messages_of(me, i64::MAX).await? {
            let (other, sent) = if m.sender == mine {
                (m.recipient, true)
            } else {
                (m.sender, false)
            };
            messages.push(ExportMessage {
                with: alias_of(&c, other).await?,
                sent,
                text: m.body,
                at: DateTime::<Utc>::from_timestamp_nanos(m.created_ns).to_rfc3339(),
                reported_reason: if sent { None } else { m.report_reason },
            });
        }
        let mut blocked = Vec::new();
        for id in c.store().blocks_of(me).await? {
            blocked.push(alias_of(&c, id).await?);
        }
        Ok(ExportMessaging {
            accepts_messages: c.store().accepts_messages(me).await?,
            blocked,
            messages,
        })
    })
    .await
}

/// Direct messaging in the data export.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct ExportMessaging {
    /// Whether the user takes messages.
    pub accepts_messages: bool,
    /// The members the user blocked.
    pub blocked: Vec<String>,
    /// Messages sent and received, newest first.
    pub messages: Vec<ExportMessage>,
}

/// A member's alias (a community id as events and messages store it), or
/// a placeholder for one who left.
///
/// # Errors
/// Backend failures.
pub(crate) async fn alias_of(c: &ServerCommunity, member: i64) -> Result<String, Error> {
    Ok(c.store()
        .user(UserId::new(u64::try_from(member).unwrap_or(0)))
        .await?
        .map_or_else(
            || "a former member".to_owned(),
            |u| u.alias.as_str().to_owned(),
        ))
}

/// The feedback the user sent the moderators, newest first, for the data
/// export.
///
/// # Errors
/// The database's, as internal errors.
pub async fn feedback_export(state: &AppState, user: Uuid) -> AppResult<Vec<ExportFeedbackSent>> {
    with_community(state, async move |c| {
        let Some((me, _)) = c.store().account(user).await? else {
            return Ok(Vec::new());
        };
        Ok(c.store()
            .feedback_of(me)
            .await?
            .into_iter()
            .map(|f| ExportFeedbackSent {
                category: f.category,
                text: f.body,
                at: DateTime::<Utc>::from_timestamp_nanos(f.created_ns).to_rfc3339(),
                resolved: f.resolved_ns.is_some(),
            })
            .collect())
    })
    .await
}

/// Feedback to the moderators in the data export.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct ExportFeedbackSent {
    /// Its category.
    pub category: String,
    /// The text.
    pub text: String,
    /// When (RFC 3339).
    pub at: String,
    /// Resolved by a moderator.
    pub resolved: bool,
}

/// A direct message in the data export.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct ExportMessage {
    /// The other member's alias.
    pub with: String,
    /// Sent by the user (else received).
    pub sent: bool,
    /// The text.
    pub text: String,
    /// When (RFC 3339).
    pub at: String,
    /// Why the user reported it, if they did (received messages only).
    pub reported_reason: Option<String>,
}

/// Whether the user wrote any post or comment (any status, anonymous ones
/// included), for the first-post badge; no member is created for asking.
///
/// # Errors
/// The database's, as internal errors.
pub async fn has_posted(state: &AppState, user: Uuid) -> AppResult<bool> {
    with_community(state, async move |c| {
        let Some((id, _)) = c.store().account(user).await? else {
            return Ok(false);
        };
        let mut query = auravest_social::PostQuery::new(auravest_social::Scope::Authors(vec![id]));
        query.limit = Some(1);
        Ok(!c.store().query_posts(&query).await?.is_empty())
    })
    .await
}
