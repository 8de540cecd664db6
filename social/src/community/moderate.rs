//! Flags, the review queue, moderator actions, roles and the audit log.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use super::Community;
use crate::error::Entity;
use crate::ids::{AuditId, PostId, UserId};
use crate::model::{AccountStatus, PostStatus};
use crate::moderation::{
    AuditAction, AuditEvent, FlagReason, ModAction, NewAuditEvent, NewFlag, Permission, Role,
};
use crate::notification::{ModerationOutcome, NotificationKind};
use crate::store::Store;
use crate::views::{FlagOutcome, QueueItem, ReasonCount, RevealedAuthor};
use crate::{Error, Result};

impl<S: Store> Community<S> {
    /// Flags a visible post. One open flag per member and post counts; when
    /// a post has [`crate::Config::flags_to_hide`] open flags from distinct
    /// members it is hidden until a moderator reviews it, and its author is told.
    ///
    /// # Errors
    /// [`Error::NotFound`] for a missing or invisible post;
    /// [`Error::SelfAction`] on one's own post; [`Error::Empty`] or
    /// [`Error::TooLong`] for the note of [`FlagReason::Other`];
    /// [`Error::AccountRestricted`].
    pub async fn flag(
        &mut self,
        reporter: UserId,
        post: PostId,
        reason: FlagReason,
        now: DateTime<Utc>,
    ) -> Result<FlagOutcome> {
        self.actor(reporter, now, Permission::Flag).await?;
        let mut record = self.visible_post(post).await?;
        if record.author == reporter {
            return Err(Error::SelfAction {
                action: "flag a post by",
            });
        }
        let reason = match reason {
            FlagReason::Other { note } => FlagReason::Other {
                note: self.checked_reason("note", &note)?,
            },
            other => other,
        };
        let recorded = self
            .store
            .insert_flag(NewFlag {
                post,
                reporter,
                reason,
                at: now,
            })
            .await?;
        let open = self
            .store
            .flags(post)
            .await?
            .iter()
            .filter(|f| f.reviewed_seq.is_none())
            .count();
        let threshold = usize::try_from(self.config.flags_to_hide).unwrap_or(usize::MAX);
        let hidden = recorded && open >= threshold;
        if hidden {
            record.status = PostStatus::Hidden;
            self.store.update_post(&record).await?;
            let kind = NotificationKind::Moderation {
                outcome: ModerationOutcome::PostHidden { post },
                reason: format!("{open} members reported it"),
            };
            self.notify(record.author, kind, None, now).await?;
        }
        Ok(FlagOutcome { recorded, hidden })
    }

    /// Posts with open flags, most flagged first. Anonymous posts stay
    /// anonymous here.
    ///
    /// # Errors
    /// [`Error::Forbidden`] below moderator; [`Error::AccountRestricted`].
    pub async fn review_queue(
        &self,
        moderator: UserId,
        now: DateTime<Utc>,
    ) -> Result<Vec<QueueItem>> {
        self.actor(moderator, now, Permission::ReviewFlags).await?;
        let mut by_post: BTreeMap<PostId, Vec<crate::Flag>> = BTreeMap::new();
        for flag in self.store.open_flags().await? {
            by_post.entry(flag.post).or_default().push(flag);
        }
        let mut items = Vec::new();
        for (post, flags) in by_post {
            let Some(record) = self.store.post(post).await? else {
                continue;
            };
            if matches!(record.status, PostStatus::Deleted | PostStatus::Removed) {
                continue;
            }
            let mut reasons: Vec<ReasonCount> = Vec::new();
            for flag in &flags {
                match reasons.iter_mut().find(|r| r.reason == flag.reason) {
                    Some(r) => r.count += 1,
                    None => reasons.push(ReasonCount {
                        reason: flag.reason.clone(),
                        count: 1,
                    }),
                }
            }
            reasons.sort_by_key(|r| std::cmp::Reverse(r.count));
            let mut view = self.views(&[record], Some(moderator)).await?.remove(0);
            view.mine = false;
            items.push(QueueItem {
                post: view,
                flags: flags.len(),
                reasons,
                first_flagged_at: flags.iter().map(|f| f.at).min().unwrap_or(now),
            });
        }
        items.sort_by(|a, b| {
            b.flags
                .cmp(&a.flags)
                .then(a.first_flagged_at.cmp(&b.first_flagged_at))
        });
        Ok(items)
    }

    /// Takes a moderator action with a reason, notifies the members it
    /// concerns, and records it in the audit log.
    ///
    /// Removing or restoring a post closes its open flags and tells each
    /// reporter the outcome. Actions on members need the target's role to be
    /// below the actor's.
    ///
    /// # Errors
    /// [`Error::Forbidden`] when the role lacks the permission or the target's
    /// role is not below it; [`Error::Empty`] / [`Error::TooLong`] for the
    /// reason; [`Error::NotFound`]; [`Error::InvalidInput`] for a suspension
    /// that ends before `now`; [`Error::AccountRestricted`].
    pub async fn moderate(
        &mut self,
        actor: UserId,
        action: ModAction,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<AuditId> {
        let moderator = self.actor(actor, now, action.permission()).await?;
        let reason = self.checked_reason("reason", reason)?;
        match &action {
            ModAction::RemovePost { post } | ModAction::RestorePost { post } => {
                let mut record = self.post_required(*post).await?;
                if record.status == PostStatus::Deleted {
                    return Err(Error::not_found(Entity::Post, post));
                }
                let removed = matches!(action, ModAction::RemovePost { .. });
                let was = record.status;
                record.status = if removed {
                    PostStatus::Removed
                } else {
                    PostStatus::Visible
                };
                self.store.update_post(&record).await?;
                let mut reporters: Vec<UserId> = self
                    .store
                    .flags(*post)
                    .await?
                    .iter()
                    .filter(|f| f.reviewed_seq.is_none())
                    .map(|f| f.reporter)
                    .collect();
                reporters.dedup();
                self.store.review_flags(*post).await?;
                let outcome = if removed {
                    Some(ModerationOutcome::PostRemoved { post: *post })
                } else if was != PostStatus::Visible {
                    Some(ModerationOutcome::PostRestored { post: *post })
                } else {
                    None
                };
                if let Some(outcome) = outcome {
                    let kind = NotificationKind::Moderation {
                        outcome,
                        reason: reason.clone(),
                    };
                    self.notify(record.author, kind, None, now).await?;
                }
                for reporter in reporters {
                    let kind = NotificationKind::Moderation {
                        outcome: ModerationOutcome::ReportResolved {
                            post: *post,
                            removed,
                        },
                        reason: reason.clone(),
                    };
                    self.notify(reporter, kind, None, now).await?;
                }
            }
            ModAction::Warn { user }
            | ModAction::Suspend { user, .. }
            | ModAction::Ban { user }
            | ModAction::Reinstate { user } => {
                let mut target = self.user_required(*user).await?;
                if target.role >= moderator.role {
                    return Err(Error::Forbidden {
                        action: action.permission(),
                        role: moderator.role,
                    });
                }
                let outcome = match action {
                    ModAction::Warn { .. } => {
                        target.warnings += 1;
                        ModerationOutcome::Warned
                    }
                    ModAction::Suspend { until, .. } => {
                        if until <= now {
                            return Err(Error::invalid("until", "a suspension must end after now"));
                        }
                        target.status = AccountStatus::Suspended { until };
                        ModerationOutcome::Suspended { until }
                    }
                    ModAction::Ban { .. } => {
                        target.status = AccountStatus::Banned;
                        ModerationOutcome::Banned
                    }
                    _ => {
                        target.status = AccountStatus::Active;
                        ModerationOutcome::Reinstated
                    }
                };
                self.store.update_user(&target).await?;
                let kind = NotificationKind::Moderation {
                    outcome,
                    reason: reason.clone(),
                };
                self.notify(*user, kind, None, now).await?;
            }
        }
        let event = self
            .store
            .insert_audit(NewAuditEvent {
                at: now,
                actor,
                action: AuditAction::Moderation { action },
                reason,
            })
            .await?;
        Ok(event.id)
    }

    /// Shows a moderator who wrote a post, for abuse handling. Every call,
    /// anonymous post or not, is written to the audit log with its reason.
    ///
    /// # Errors
    /// [`Error::Forbidden`] below moderator; [`Error::Empty`] / [`Error::TooLong`]
    /// for the reason; [`Error::NotFound`]; [`Error::AccountRestricted`].
    pub async fn reveal_author(
        &mut self,
        moderator: UserId,
        post: PostId,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<RevealedAuthor> {
        self.actor(moderator, now, Permission::RevealAuthor).await?;
        let reason = self.checked_reason("reason", reason)?;
        let record = self.post_required(post).await?;
        let author = self.member(record.author).await?;
        let event = self
            .store
            .insert_audit(NewAuditEvent {
                at: now,
                actor: moderator,
                action: AuditAction::RevealAuthor { post },
                reason,
            })
            .await?;
        Ok(RevealedAuthor {
            post,
            author,
            anonymous: record.anonymous,
            audit: event.id,
        })
    }

    /// Changes a member's role (admins only, never their own); audited and notified.
    ///
    /// # Errors
    /// [`Error::Forbidden`] below admin; [`Error::SelfAction`];
    /// [`Error::Empty`] / [`Error::TooLong`] for the reason; [`Error::NotFound`].
    pub async fn assign_role(
        &mut self,
        admin: UserId,
        user: UserId,
        role: Role,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<AuditId> {
        self.actor(admin, now, Permission::AssignRole).await?;
        let reason = self.checked_reason("reason", reason)?;
        if admin == user {
            return Err(Error::SelfAction {
                action: "change the role of",
            });
        }
        let mut target = self.user_required(user).await?;
        target.role = role;
        self.store.update_user(&target).await?;
        let kind = NotificationKind::Moderation {
            outcome: ModerationOutcome::RoleChanged { role },
            reason: reason.clone(),
        };
        self.notify(user, kind, None, now).await?;
        let event = self
            .store
            .insert_audit(NewAuditEvent {
                at: now,
                actor: admin,
                action: AuditAction::AssignRole { user, role },
                reason,
            })
            .await?;
        Ok(event.id)
    }

    /// The audit log, oldest first (admins only).
    ///
    /// # Errors
    /// [`Error::Forbidden`] below admin; [`Error::AccountRestricted`].
    pub async fn audit_log(&self, admin: UserId, now: DateTime<Utc>) -> Result<Vec<AuditEvent>> {
        self.actor(admin, now, Permission::ReadAuditLog).await?;
        self.store.audit_events().await
    }
}
