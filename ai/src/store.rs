//! Usage metering, the answer audit trail and feedback, each behind an
//! async trait with an in-memory implementation and a conformance suite
//! (feature `testing`) that every implementation must pass: the reference
//! server runs it on its SQLite and PostgreSQL stores.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
pub use crate::llm::BoxFuture;

/// What is metered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UsageKind {
    /// One question to the assistant.
    AiQuestion,
    /// One portfolio insight generated (not served from cache).
    AiInsight,
}

/// Meters usage per user, kind and day (what each answer used, its
/// chunks, tools and model tokens, is in its [`AuditRecord`]).
///
/// Async so a database or Redis can stand behind it; every method is one
/// atomic step: [`UsageMeter::consume`] never lets parallel callers pass a
/// limit together (check it with `conformance::usage_meter`, feature `testing`).
pub trait UsageMeter: Send + Sync {
    /// Takes one event of `kind` for `user` on `day` unless `limit` are
    /// already taken, in one atomic step: `Some(count after)`, or `None`
    /// when the limit was reached (nothing is taken then).
    fn consume<'a>(
        &'a self,
        user: &'a str,
        kind: UsageKind,
        day: NaiveDate,
        limit: u32,
    ) -> BoxFuture<'a, Result<Option<u32>>>;
    /// Gives back one event taken by [`UsageMeter::consume`] (what it paid
    /// for failed); never below zero.
    fn refund<'a>(
        &'a self,
        user: &'a str,
        kind: UsageKind,
        day: NaiveDate,
    ) -> BoxFuture<'a, Result<()>>;
    /// Events of `kind` taken by `user` on `day`.
    fn count<'a>(
        &'a self,
        user: &'a str,
        kind: UsageKind,
        day: NaiveDate,
    ) -> BoxFuture<'a, Result<u32>>;
}

/// An in-memory [`UsageMeter`].
#[derive(Debug, Default)]
pub struct MemoryUsage {
    counts: Mutex<HashMap<(String, UsageKind, NaiveDate), u32>>,
}

impl UsageMeter for MemoryUsage {
    fn consume<'a>(
        &'a self,
        user: &'a str,
        kind: UsageKind,
        day: NaiveDate,
        limit: u32,
    ) -> BoxFuture<'a, Result<Option<u32>>> {
        let mut counts = self.counts.lock().unwrap_or_else(PoisonError::into_inner);
        let n = counts.entry((user.to_owned(), kind, day)).or_insert(0);
        let out = if *n < limit {
            *n += 1;
            Some(*n)
        } else {
            None
        };
        Box::pin(std::future::ready(Ok(out)))
    }

    fn refund<'a>(
        &'a self,
        user: &'a str,
        kind: UsageKind,
        day: NaiveDate,
    ) -> BoxFuture<'a, Result<()>> {
        let mut counts = self.counts.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(n) = counts.get_mut(&(user.to_owned(), kind, day)) {
            *n = n.saturating_sub(1);
        }
        Box::pin(std::future::ready(Ok(())))
    }

    fn count<'a>(
        &'a self,
        user: &'a str,
        kind: UsageKind,
        day: NaiveDate,
    ) -> BoxFuture<'a, Result<u32>> {
        let n = self
            .counts
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&(user.to_owned(), kind, day))
            .copied()
            .unwrap_or(0);
        Box::pin(std::future::ready(Ok(n)))
    }
}

/// The audit record of one answer: no question text, only its hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
    /// Language-model tokens used, prompt and generated (0 for the
    /// extractive composer).
    #[serde(default)]
    pub tokens: u32,
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
    fn append(&self, record: AuditRecord) -> BoxFuture<'_, Result<()>>;
    /// The record of an answer.
    fn get<'a>(&'a self, answer_id: &'a str) -> BoxFuture<'a, Result<Option<AuditRecord>>>;
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
    fn append(&self, record: AuditRecord) -> BoxFuture<'_, Result<()>> {
        let mut r = self.records.lock().unwrap_or_else(PoisonError::into_inner);
        let out = if r.iter().any(|x| x.answer_id == record.answer_id) {
            Err(Error::invalid(
                "answer_id",
                format!("{} is already recorded", record.answer_id),
            ))
        } else {
            r.push(record);
            Ok(())
        };
        Box::pin(std::future::ready(out))
    }

    fn get<'a>(&'a self, answer_id: &'a str) -> BoxFuture<'a, Result<Option<AuditRecord>>> {
        let found = self
            .records
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .find(|x| x.answer_id == answer_id)
            .cloned();
        Box::pin(std::future::ready(Ok(found)))
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

impl FeedbackKind {
    /// The name [`FromStr`](std::str::FromStr) reads back: `helpful`,
    /// `wrong` or `biased`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Helpful => "helpful",
            Self::Wrong => "wrong",
            Self::Biased => "biased",
        }
    }
}

impl std::fmt::Display for FeedbackKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
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
    fn put(&self, feedback: Feedback) -> BoxFuture<'_, Result<()>>;
    /// Feedback on one answer, oldest first.
    fn for_answer<'a>(&'a self, answer_id: &'a str) -> BoxFuture<'a, Result<Vec<Feedback>>>;
}

/// An in-memory [`FeedbackStore`].
#[derive(Debug, Default)]
pub struct MemoryFeedback {
    items: Mutex<HashMap<String, Vec<Feedback>>>,
}

impl FeedbackStore for MemoryFeedback {
    fn put(&self, feedback: Feedback) -> BoxFuture<'_, Result<()>> {
        self.items
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(feedback.answer_id.clone())
            .or_default()
            .push(feedback);
        Box::pin(std::future::ready(Ok(())))
    }

    fn for_answer<'a>(&'a self, answer_id: &'a str) -> BoxFuture<'a, Result<Vec<Feedback>>> {
        let items = self
            .items
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(answer_id)
            .cloned()
            .unwrap_or_default();
        Box::pin(std::future::ready(Ok(items)))
    }
}

/// The behaviour every implementation of the traits above must show, as
/// async checks that panic with a message on the first violation. Run them
/// against each implementation (the in-memory ones here, a server's SQL
/// ones in its tests) on fresh, empty stores.
#[cfg(feature = "testing")]
pub mod conformance {
    use chrono::{NaiveDate, TimeZone, Utc};
    use futures_util::future::join_all;

    use super::{
        AuditLog, AuditRecord, Feedback, FeedbackKind, FeedbackStore, UsageKind, UsageMeter,
    };

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 3, d).expect("a real date")
    }

    /// Counting, the limit, refunds, independence of users, kinds and days,
    /// and `parallel` concurrent consumes against a limit of 5 (exactly 5
    /// succeed). `users` are two user ids the store accepts.
    pub async fn usage_meter(meter: &dyn UsageMeter, users: [&str; 2], parallel: usize) {
        let [a, b] = users;
        let q = UsageKind::AiQuestion;
        assert_eq!(
            meter.count(a, q, day(1)).await.expect("count"),
            0,
            "a fresh meter counts 0"
        );
        for want in 1..=3 {
            assert_eq!(
                meter.consume(a, q, day(1), 3).await.expect("consume"),
                Some(want),
                "consume {want} of 3"
            );
        }
        assert_eq!(
            meter.consume(a, q, day(1), 3).await.expect("consume"),
            None,
            "the fourth of 3 is refused"
        );
        assert_eq!(
            meter.count(a, q, day(1)).await.expect("count"),
            3,
            "a refusal takes nothing"
        );
        assert_eq!(
            meter.consume(b, q, day(1), 3).await.expect("consume"),
            Some(1),
            "users are apart"
        );
        assert_eq!(
            meter
                .consume(a, UsageKind::AiInsight, day(1), 3)
                .await
                .expect("consume"),
            Some(1),
            "kinds are apart"
        );
        assert_eq!(
            meter.consume(a, q, day(2), 3).await.expect("consume"),
            Some(1),
            "days are apart"
        );
        meter.refund(a, q, day(1)).await.expect("refund");
        assert_eq!(
            meter.count(a, q, day(1)).await.expect("count"),
            2,
            "a refund gives one back"
        );
        for _ in 0..5 {
            meter.refund(b, q, day(1)).await.expect("refund");
        }
        assert_eq!(
            meter.count(b, q, day(1)).await.expect("count"),
            0,
            "never below zero"
        );
        let results = join_all((0..parallel).map(|_| meter.consume(a, q, day(3), 5))).await;
        let taken = results
            .into_iter()
            .map(|r| r.expect("consume"))
            .filter(Option::is_some)
            .count();
        assert_eq!(
            taken,
            5.min(parallel),
            "{parallel} parallel consumes against a limit of 5"
        );
        assert_eq!(
            meter.count(a, q, day(3)).await.expect("count"),
            5.min(parallel) as u32
        );
    }

    fn record(id: &str, subject: &str) -> AuditRecord {
        AuditRecord {
            answer_id: id.to_owned(),
            at: Utc
                .with_ymd_and_hms(2026, 3, 1, 12, 0, 0)
                .single()
                .expect("an instant"),
            subject: subject.to_owned(),
            question_sha256: "0".repeat(64),
            citations: vec![
                "diversification".to_owned(),
                "tool:get_stock_price".to_owned(),
            ],
            tools: vec!["get_stock_price".to_owned()],
            model: "none".to_owned(),
            tokens: 120,
            verdicts: vec![r#"{"guard":"needs_portfolio"}"#.to_owned()],
            refused: false,
        }
    }

    /// Appending, reading back, refusing a second record with the same id
    /// (the first stays), and an unknown id reading as `None`. `ids` are two
    /// answer ids the store accepts; `subject` a subject it accepts.
    pub async fn audit_log(log: &dyn AuditLog, ids: [&str; 2], subject: &str) {
        let [first, second] = ids;
        assert_eq!(
            log.get(first).await.expect("get"),
            None,
            "a fresh log is empty"
        );
        let r = record(first, subject);
        log.append(r.clone()).await.expect("append");
        let got = log
            .get(first)
            .await
            .expect("get")
            .expect("the record is there");
        assert_eq!(got.answer_id, r.answer_id);
        assert_eq!(got.subject, r.subject);
        assert_eq!(got.citations, r.citations);
        assert_eq!(got.tools, r.tools);
        assert_eq!(got.tokens, r.tokens);
        assert_eq!(got.refused, r.refused);
        let mut other = record(first, subject);
        other.refused = true;
        assert!(log.append(other).await.is_err(), "an id is recorded once");
        assert!(
            !log.get(first)
                .await
                .expect("get")
                .expect("still there")
                .refused,
            "the first stays"
        );
        assert_eq!(
            log.get(second).await.expect("get"),
            None,
            "another id is unknown"
        );
    }

    /// Storing feedback and reading it back per answer, in order. `ids` are
    /// two answer ids the store accepts feedback on.
    pub async fn feedback_store(store: &dyn FeedbackStore, ids: [&str; 2]) {
        let [first, second] = ids;
        assert!(
            store.for_answer(first).await.expect("read").is_empty(),
            "fresh store"
        );
        for (kind, note) in [
            (FeedbackKind::Helpful, None),
            (FeedbackKind::Wrong, Some("outdated")),
        ] {
            store
                .put(Feedback {
                    answer_id: first.to_owned(),
                    kind,
                    note: note.map(str::to_owned),
                    at: Utc
                        .with_ymd_and_hms(2026, 3, 1, 12, 0, 0)
                        .single()
                        .expect("an instant"),
                })
                .await
                .expect("put");
        }
        let got = store.for_answer(first).await.expect("read");
        assert_eq!(got.len(), 2, "both items");
        assert_eq!(got[0].kind, FeedbackKind::Helpful);
        assert_eq!(got[1].note.as_deref(), Some("outdated"));
        assert!(
            store.for_answer(second).await.expect("read").is_empty(),
            "answers are apart"
        );
    }
}
