//! The assistant's stores on the server's database, so every replica
//! shares them: the SDK's [`UsageMeter`] over [`Store::consume_usage`] and
//! friends (the limit is one atomic statement), its [`AuditLog`] over the
//! `answers` table, and its [`FeedbackStore`] over `answer_feedback`. Each
//! passes the SDK's conformance suite on SQLite and PostgreSQL. Users are
//! our user ids.

use std::sync::Arc;

use auravest_ai::store::{
    AuditLog, AuditRecord, BoxFuture, Feedback, FeedbackStore, UsageKind, UsageMeter,
};
use chrono::NaiveDate;
use uuid::Uuid;

use crate::store::{FeedbackRow, Store};

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

/// [`AuditLog`] on the server's store: one `answers` row per answer, owned
/// by the user who asked (so it goes with their account).
pub struct StoreAudit {
    store: Arc<dyn Store>,
}

impl StoreAudit {
    /// A log over `store`.
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self { store }
    }
}

impl AuditLog for StoreAudit {
    fn append(&self, record: AuditRecord) -> BoxFuture<'_, auravest_ai::Result<()>> {
        Box::pin(async move {
            let id = Uuid::parse_str(&record.answer_id).map_err(|_| {
                auravest_ai::Error::Store(format!("{:?} is not an answer id", record.answer_id))
            })?;
            let json = serde_json::to_string(&record).map_err(store_error)?;
            let added = self
                .store
                .insert_answer(id, user_id(&record.subject)?, record.at, &json)
                .await
                .map_err(store_error)?;
            if added {
                Ok(())
            } else {
                Err(auravest_ai::Error::Store(format!(
                    "answer {id} is already recorded"
                )))
            }
        })
    }

    fn get<'a>(
        &'a self,
        answer_id: &'a str,
    ) -> BoxFuture<'a, auravest_ai::Result<Option<AuditRecord>>> {
        Box::pin(async move {
            let Ok(id) = Uuid::parse_str(answer_id) else {
                return Ok(None);
            };
            let Some(row) = self.store.answer(id).await.map_err(store_error)? else {
                return Ok(None);
            };
            match row.record {
                Some(json) => serde_json::from_str(&json).map(Some).map_err(store_error),
                // Given before records were kept: who and when is all there is.
                None => Ok(Some(AuditRecord {
                    answer_id: row.id.to_string(),
                    at: row.at,
                    subject: row.user_id.to_string(),
                    question_sha256: String::new(),
                    citations: Vec::new(),
                    tools: Vec::new(),
                    model: String::new(),
                    tokens: 0,
                    verdicts: Vec::new(),
                    refused: false,
                })),
            }
        })
    }
}

/// [`FeedbackStore`] on the server's store: every rating is kept, oldest
/// first, and goes with the answer (and so with the account).
pub struct StoreFeedback {
    store: Arc<dyn Store>,
}

impl StoreFeedback {
    /// A feedback store over `store`.
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self { store }
    }
}

impl FeedbackStore for StoreFeedback {
    fn put(&self, feedback: Feedback) -> BoxFuture<'_, auravest_ai::Result<()>> {
        Box::pin(async move {
            let Ok(answer_id) = Uuid::parse_str(&feedback.answer_id) else {
                return Err(auravest_ai::Error::UnknownAnswer(feedback.answer_id));
            };
            let row = FeedbackRow {
                answer_id,
                kind: feedback.kind.to_string(),
                note: feedback.note,
                at: feedback.at,
            };
            if self
                .store
                .insert_feedback(&row)
                .await
                .map_err(store_error)?
            {
                Ok(())
            } else {
                Err(auravest_ai::Error::UnknownAnswer(answer_id.to_string()))
            }
        })
    }

    fn for_answer<'a>(
        &'a self,
        answer_id: &'a str,
    ) -> BoxFuture<'a, auravest_ai::Result<Vec<Feedback>>> {
        Box::pin(async move {
            let Ok(id) = Uuid::parse_str(answer_id) else {
                return Ok(Vec::new());
            };
            self.store
                .feedback(id)
                .await
                .map_err(store_error)?
                .into_iter()
                .map(|row| {
                    Ok(Feedback {
                        answer_id: row.answer_id.to_string(),
                        kind: row.kind.parse().map_err(|_| {
                            auravest_ai::Error::Store(format!("stored rating {:?}", row.kind))
                        })?,
                        note: row.note,
                        at: row.at,
                    })
                })
                .collect()
        })
    }
}
