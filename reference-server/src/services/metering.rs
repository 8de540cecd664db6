//! The assistant's question metering on the server's store: the SDK's
//! [`UsageMeter`] over [`Store::consume_usage`] and friends, so the limit is
//! one atomic statement shared by every replica.

use std::sync::Arc;

use auravest_ai::store::{BoxFuture, UsageKind, UsageMeter};
use chrono::NaiveDate;
use uuid::Uuid;

use crate::store::Store;

/// The usage kind of AI questions in the store (and in `GET /me`).
pub const AI_QUESTIONS: &str = "ai_questions";
/// The usage kind of generated portfolio insights.
pub const AI_INSIGHTS: &str = "ai_insights";

/// [`UsageMeter`] on the server's store; users are our user ids.
pub struct StoreUsage {
    store: Arc<dyn Store>,
}

impl StoreUsage {
    /// A meter over `store`.
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self { store }
    }
}

fn kind_name(kind: UsageKind) -> &'static str {
    match kind {
        UsageKind::AiQuestion => AI_QUESTIONS,
        UsageKind::AiInsight => AI_INSIGHTS,
    }
}

fn user_id(user: &str) -> auravest_ai::Result<Uuid> {
    Uuid::parse_str(user)
        .map_err(|_| auravest_ai::Error::Store(format!("{user:?} is not a user id")))
}

fn store_error(e: impl std::fmt::Display) -> auravest_ai::Error {
    auravest_ai::Error::Store(e.to_string())
}

impl UsageMeter for StoreUsage {
    fn consume<'a>(
        &'a self,
        user: &'a str,
        kind: UsageKind,
        day: NaiveDate,
        limit: u32,
    ) -> BoxFuture<'a, auravest_ai::Result<Option<u32>>> {
        Box::pin(async move {
            let used = self
                .store
                .consume_usage(user_id(user)?, day, kind_name(kind), limit)
                .await
                .map_err(store_error)?;
            Ok(used.map(|n| u32::try_from(n).unwrap_or(u32::MAX)))
        })
    }

    fn refund<'a>(
        &'a self,
        user: &'a str,
        kind: UsageKind,
        day: NaiveDate,
    ) -> BoxFuture<'a, auravest_ai::Result<()>> {
        Box::pin(async move {
            self.store
                .refund_usage(user_id(user)?, day, kind_name(kind))
                .await
                .map_err(store_error)
        })
    }

    fn count<'a>(
        &'a self,
        user: &'a str,
        kind: UsageKind,
        day: NaiveDate,
    ) -> BoxFuture<'a, auravest_ai::Result<u32>> {
        Box::pin(async move {
            let usage = self
                .store
                .usage(user_id(user)?, day)
                .await
                .map_err(store_error)?;
            let n = usage.get(kind_name(kind)).copied().unwrap_or(0);
            Ok(u32::try_from(n).unwrap_or(u32::MAX))
        })
    }
}
