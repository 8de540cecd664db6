//! Notifications: delivery, reading, digests and price alerts.

use chrono::{DateTime, Utc};

use super::Community;
use crate::Result;
use crate::ids::{NotificationId, UserId};
use crate::notification::{
    Digest, NewNotification, NotificationKind, NotificationView, PriceAlert, digests, sentence,
};
use crate::store::Store;

impl<S: Store> Community<S> {
    pub(super) async fn notify(
        &mut self,
        recipient: UserId,
        kind: NotificationKind,
        actor: Option<UserId>,
        now: DateTime<Utc>,
    ) -> Result<NotificationId> {
        let record = self
            .store
            .insert_notification(NewNotification {
                recipient,
                kind,
                actor,
                created_at: now,
            })
            .await?;
        Ok(record.id)
    }

    /// A member's notifications, newest first.
    ///
    /// # Errors
    /// [`crate::Error::NotFound`] for an unknown member.
    pub async fn notifications(
        &self,
        user: UserId,
        unread_only: bool,
    ) -> Result<Vec<NotificationView>> {
        self.user_required(user).await?;
        let records = self.store.notifications(user, unread_only).await?;
        let members = self
            .members(records.iter().filter_map(|n| n.actor).collect())
            .await?;
        Ok(records
            .into_iter()
            .map(|n| {
                let actor = n.actor.and_then(|a| members.get(&a).cloned());
                NotificationView {
                    id: n.id,
                    text: sentence(&n.kind, actor.as_ref()),
                    kind: n.kind,
                    actor,
                    created_at: n.created_at,
                    read: n.read,
                }
            })
            .collect())
    }

    /// Unread notifications.
    ///
    /// # Errors
    /// [`crate::Error::NotFound`] for an unknown member.
    pub async fn unread_count(&self, user: UserId) -> Result<usize> {
        self.user_required(user).await?;
        Ok(self.store.notifications(user, true).await?.len())
    }

    /// Unread notifications grouped into digests (`3 people liked your post`), newest first.
    ///
    /// # Errors
    /// [`crate::Error::NotFound`] for an unknown member.
    pub async fn digests(&self, user: UserId) -> Result<Vec<Digest>> {
        self.user_required(user).await?;
        let unread = self.store.notifications(user, true).await?;
        let members = self
            .members(unread.iter().filter_map(|n| n.actor).collect())
            .await?;
        Ok(digests(&unread, |id| members.get(&id).cloned()))
    }

    /// Marks the member's notifications among `ids` read; others' ids are
    /// ignored. Returns how many changed.
    ///
    /// # Errors
    /// [`crate::Error::NotFound`] for an unknown member.
    pub async fn mark_read(&mut self, user: UserId, ids: &[NotificationId]) -> Result<usize> {
        self.user_required(user).await?;
        self.store.mark_read(user, ids).await
    }

    /// Marks all the member's notifications read.
    ///
    /// # Errors
    /// [`crate::Error::NotFound`] for an unknown member.
    pub async fn mark_all_read(&mut self, user: UserId) -> Result<usize> {
        self.user_required(user).await?;
        let ids: Vec<NotificationId> = self
            .store
            .notifications(user, true)
            .await?
            .iter()
            .map(|n| n.id)
            .collect();
        self.store.mark_read(user, &ids).await
    }

    /// Delivers a price-alert event (produced by alert rules elsewhere in the SDK).
    ///
    /// # Errors
    /// [`crate::Error::NotFound`] for an unknown member.
    pub async fn notify_price_alert(
        &mut self,
        user: UserId,
        alert: PriceAlert,
        now: DateTime<Utc>,
    ) -> Result<NotificationId> {
        self.user_required(user).await?;
        self.notify(user, NotificationKind::PriceAlert { alert }, None, now)
            .await
    }
}
