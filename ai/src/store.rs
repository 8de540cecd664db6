//! Usage metering, the answer audit trail and feedback, each behind a trait
//! with an in-memory implementation (the reference server stores them in
//! its database).

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// What is metered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UsageKind {
    /// One question to the assistant.
    AiQuestion,
    /// One portfolio insight generated (not served from cache).
    AiInsight,
}

/// One metered event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsageEvent {
    /// The caller's opaque user id.
    pub user: String,
    /// When.
    pub at: DateTime<Utc>,
    /// What.
    pub kind: UsageKind,
    /// Knowledge-base chunks put into the answer.
    pub chunks: u32,
    /// Tool calls made.
    pub tools: u32,
    /// Language-model tokens (0 for the extractive composer).
    pub tokens: u32,
}

/// Stores metered events and counts them per user and day.
pub trait UsageMeter: Send + Sync {
    /// Records an event.
    ///
    /// # Errors
    /// When the store fails.
    fn record(&self, event: UsageEvent) -> Result<()>;
    /// Events of `kind` by `user` on `day` (UTC).
    fn count(&self, user: &str, kind: UsageKind, day: NaiveDate) -> u32;
}

/// An in-memory [`UsageMeter`].
#[derive(Debug, Default)]
pub struct MemoryUsage {
    events: Mutex<Vec<UsageEvent>>,
}

impl MemoryUsage {
    /// Every event, oldest first.
    pub fn events(&self) -> Vec<UsageEvent> {
        self.events
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

impl UsageMeter for MemoryUsage {
    fn record(&self, event: UsageEvent) -> Result<()> {
        self.events
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(event);
        Ok(())
    }

    fn count(&self, user: &str, kind: UsageKind, day: NaiveDate) -> u32 {
        let n = self
            .events
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .filter(|e| e.user == user && e.kind == kind && e.at.date_naive() == day)
            .count();
        u32::try_from(n).unwrap_or(u32::MAX)
    }
}

/// The audit record of one answer: no question text, only its hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditRecord {
    /// The answer id.
    pub answer_id: String,
    /// When it was given.
    pub at: DateTime<Utc>,
    /// The caller's opaque subject id.
    pub subject: String,
    /// SHA-256 of the question, hex.
    pub question_sha256: String,
    /// Cited article ids and tool citations, in order.
    pub citations: Vec<String>,
    /// Tools called.
    pub tools: Vec<String>,
    /// The model (`none` for the extractive composer).
    pub model: String,
    /// Guardrail verdicts, as JSON strings.
    pub verdicts: Vec<String>,
    /// Was the question refused?
    pub refused: bool,
}

/// An append-only log of answers.
pub trait AuditLog: Send + Sync {
    /// Appends a record.
    ///
    /// # Errors
    /// When the store fails or the id is already present.
    fn append(&self, record: AuditRecord) -> Result<()>;
    /// The record of an answer.
    fn get(&self, answer_id: &str) -> Option<AuditRecord>;
}

/// An in-memory [`AuditLog`].
#[derive(Debug, Default)]
pub struct MemoryAudit {
    records: Mutex<Vec<AuditRecord>>,
}

impl MemoryAudit {
    /// Every record, oldest first.
    pub fn records(&self) -> Vec<AuditRecord> {
        self.records
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

impl AuditLog for MemoryAudit {
    fn append(&self, record: AuditRecord) -> Result<()> {
        let mut r = self.records.lock().unwrap_or_else(PoisonError::into_inner);
        if r.iter().any(|x| x.answer_id == record.answer_id) {
            return Err(Error::invalid(
                "answer_id",
                format!("{} is already recorded", record.answer_id),
            ));
        }
        r.push(record);
        Ok(())
    }

    fn get(&self, answer_id: &str) -> Option<AuditRecord> {
        self.records
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .find(|x| x.answer_id == answer_id)
            .cloned()
    }
}

/// A reader's verdict on an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FeedbackKind {
    /// It helped.
    Helpful,
    /// It was wrong.
    Wrong,
    /// It was biased (for example towards a product).
    Biased,
}

impl std::str::FromStr for FeedbackKind {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        match s {
            "helpful" => Ok(Self::Helpful),
            "wrong" => Ok(Self::Wrong),
            "biased" => Ok(Self::Biased),
            other => Err(Error::invalid(
                "kind",
                format!("{other:?} is not one of helpful, wrong, biased"),
            )),
        }
    }
}

/// Feedback stored for review.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Feedback {
    /// The answer.
    pub answer_id: String,
    /// The verdict.
    pub kind: FeedbackKind,
    /// An optional note (at most [`MAX_NOTE_CHARS`] characters).
    pub note: Option<String>,
    /// When.
    pub at: DateTime<Utc>,
}

/// The longest feedback note accepted.
pub const MAX_NOTE_CHARS: usize = 2000;

/// Stores feedback.
pub trait FeedbackStore: Send + Sync {
    /// Stores one item.
    ///
    /// # Errors
    /// When the store fails.
    fn put(&self, feedback: Feedback) -> Result<()>;
    /// Feedback on one answer.
    fn for_answer(&self, answer_id: &str) -> Vec<Feedback>;
}

/// An in-memory [`FeedbackStore`].
#[derive(Debug, Default)]
pub struct MemoryFeedback {
    items: Mutex<HashMap<String, Vec<Feedback>>>,
}

impl FeedbackStore for MemoryFeedback {
    fn put(&self, feedback: Feedback) -> Result<()> {
        self.items
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(feedback.answer_id.clone())
            .or_default()
            .push(feedback);
        Ok(())
    }

    fn for_answer(&self, answer_id: &str) -> Vec<Feedback> {
        self.items
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(answer_id)
            .cloned()
            .unwrap_or_default()
    }
}
