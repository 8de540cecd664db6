//! The records the store reads and writes: users, tokens, risk profiles,
//! portfolios and transactions, goals, prices, the audit log, AI feedback
//! and a user's whole data (for the export).

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::Role;

/// A stored user. The email is held encrypted (`email_enc`) with a keyed
/// hash (`email_hash`) for lookups; the store never sees the plain address.
#[derive(Debug, Clone, PartialEq)]
pub struct UserRecord {
    /// The user id.
    pub id: Uuid,
    /// Keyed hash of the normalised email (hex), unique.
    pub email_hash: String,
    /// AES-256-GCM nonce + ciphertext of the email.
    pub email_enc: Vec<u8>,
    /// PHC string of the argon2id hash.
    pub password_hash: String,
    /// Role.
    pub role: Role,
    /// Public pseudonym, unique.
    pub alias: String,
    /// How the user's performance is shown to others (`percent` or `hidden`).
    pub display_mode: String,
    /// Whether percentages are shared with the community.
    pub share_performance: bool,
    /// Whether the community may count the user's holdings (tickers only)
    /// in its "most held" list.
    pub count_holdings: bool,
    /// The web UI's colour theme (`light`, `dark` or `system`).
    pub theme: String,
    /// Dashboard widgets in display order.
    pub dashboard: Vec<String>,
    /// The terms version the user accepted.
    pub terms_version: String,
    /// When the user accepted it.
    pub terms_accepted_at: DateTime<Utc>,
    /// Failed logins since the last success.
    pub failed_logins: i32,
    /// No login is accepted before this instant.
    pub locked_until: Option<DateTime<Utc>>,
    /// Opaque id the audit log knows this user by.
    pub audit_subject: Uuid,
    /// When the account was created.
    pub created_at: DateTime<Utc>,
}

/// A change to the profile; `None` leaves a field as it is.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ProfilePatch {
    /// New alias.
    pub alias: Option<String>,
    /// New display mode.
    pub display_mode: Option<String>,
    /// New sharing choice.
    pub share_performance: Option<bool>,
    /// New choice on counting holdings in the community's aggregates.
    pub count_holdings: Option<bool>,
    /// New colour theme.
    pub theme: Option<String>,
    /// New dashboard layout.
    pub dashboard: Option<Vec<String>>,
}

/// What [`Store::claim_login_attempt`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginClaim {
    /// The attempt may check the password: it is the `attempt`-th since the
    /// last success, and the account is now locked if `locked`.
    Claimed {
        /// Attempts counted, this one included.
        attempt: i32,
        /// This attempt reached the limit and locked the account.
        locked: bool,
    },
    /// The account is locked; no password may be checked before `until`.
    Locked {
        /// When the lock runs out.
        until: DateTime<Utc>,
    },
    /// No such user.
    NoUser,
}

/// A refresh token as stored: only its SHA-256 hash.
#[derive(Debug, Clone, PartialEq)]
pub struct RefreshRecord {
    /// SHA-256 of the token (hex), unique.
    pub token_hash: String,
    /// Owner.
    pub user_id: Uuid,
    /// All tokens rotated from one login share a family; reuse of a
    /// rotated token revokes the whole family.
    pub family: Uuid,
    /// Expiry.
    pub expires_at: DateTime<Utc>,
}

/// What rotating a refresh token found.
#[derive(Debug, Clone, PartialEq)]
pub enum Rotation {
    /// The old token was live: it is revoked and the new one stored.
    Rotated {
        /// The owner.
        user_id: Uuid,
    },
    /// The old token had already been rotated or revoked: the family is now revoked.
    Reused,
    /// No such token, or it has expired.
    Invalid,
}

/// A stored risk profile (one row per change; the latest is current).
#[derive(Debug, Clone, PartialEq)]
pub struct RiskRecord {
    /// Row id.
    pub id: Uuid,
    /// Owner.
    pub user_id: Uuid,
    /// The answers as submitted (`auravest_risk::Answers` JSON).
    pub answers: serde_json::Value,
    /// The scored profile (`auravest_risk::RiskProfile` JSON).
    pub profile: serde_json::Value,
    /// When it was stored.
    pub created_at: DateTime<Utc>,
}

/// A portfolio.
#[derive(Debug, Clone, PartialEq)]
pub struct PortfolioRecord {
    /// Portfolio id.
    pub id: Uuid,
    /// Owner.
    pub user_id: Uuid,
    /// Name, unique per owner.
    pub name: String,
    /// Base currency (ISO 4217).
    pub currency: String,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// Bumped by every committed change to its transactions (0 when new;
    /// ignored by [`Store::create_portfolio`]).
    pub version: i64,
}

/// A transaction: the foundation's CSV row (all text, validated by the SDK
/// before it is stored) plus its id. `seq` orders same-day rows as entered.
#[derive(Debug, Clone, PartialEq)]
pub struct TransactionRow {
    /// Transaction id.
    pub id: Uuid,
    /// Portfolio.
    pub portfolio_id: Uuid,
    /// Insertion order within the portfolio.
    pub seq: i64,
    /// The row.
    pub record: auravest_core::TransactionRecord,
}

/// A savings goal.
#[derive(Debug, Clone, PartialEq)]
pub struct GoalRecord {
    /// Goal id.
    pub id: Uuid,
    /// Owner.
    pub user_id: Uuid,
    /// Name.
    pub name: String,
    /// Target value (decimal string).
    pub target: String,
    /// Deadline.
    pub by: Option<NaiveDate>,
    /// Monthly contribution (decimal string).
    pub monthly_contribution: Option<String>,
    /// Expected annual return as a fraction.
    pub expected_return: Option<f64>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
}

/// The fields of a goal a user sets.
#[derive(Debug, Clone, PartialEq)]
pub struct GoalInput {
    /// Name.
    pub name: String,
    /// Target value (decimal string).
    pub target: String,
    /// Deadline.
    pub by: Option<NaiveDate>,
    /// Monthly contribution (decimal string).
    pub monthly_contribution: Option<String>,
    /// Expected annual return as a fraction.
    pub expected_return: Option<f64>,
}

/// A price the user stated for a symbol of a portfolio that no market
/// source knows (one per portfolio and symbol, the latest set).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnPriceRow {
    /// Ticker.
    pub symbol: String,
    /// The day the price is for.
    pub date: NaiveDate,
    /// Price of one share (decimal string).
    pub price: String,
}

/// The last price of a symbol.
#[derive(Debug, Clone, PartialEq)]
pub struct LastPrice {
    /// Ticker.
    pub symbol: String,
    /// Price (decimal string).
    pub price: String,
    /// Currency (ISO 4217).
    pub currency: String,
    /// The trading day the price belongs to.
    pub as_of: NaiveDate,
    /// Name of the source that gave it.
    pub source: String,
    /// When it was fetched.
    pub fetched_at: DateTime<Utc>,
}

/// One daily close.
#[derive(Debug, Clone, PartialEq)]
pub struct DailyClose {
    /// Ticker.
    pub symbol: String,
    /// Day.
    pub date: NaiveDate,
    /// Close (decimal string).
    pub close: String,
}

/// What an audit row records. Never free text: only these names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuditAction {
    /// An account was created.
    Register,
    /// Terms accepted.
    Consent,
    /// A successful login.
    Login,
    /// A failed login.
    LoginFailed,
    /// A logout.
    Logout,
    /// A risk profile stored.
    RiskProfileChanged,
    /// A recommendation shown.
    RecommendationShown,
    /// Nudges shown.
    NudgesShown,
    /// An AI answer given.
    AiAnswer,
    /// An AI summary given.
    AiSummary,
    /// Data exported.
    Export,
    /// Account deleted.
    Deletion,
    /// A moderation action.
    Moderation,
    /// An admin action (e.g. a role granted).
    Admin,
}

impl AuditAction {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Register => "register",
            Self::Consent => "consent",
            Self::Login => "login",
            Self::LoginFailed => "login_failed",
            Self::Logout => "logout",
            Self::RiskProfileChanged => "risk_profile_changed",
            Self::RecommendationShown => "recommendation_shown",
            Self::NudgesShown => "nudges_shown",
            Self::AiAnswer => "ai_answer",
            Self::AiSummary => "ai_summary",
            Self::Export => "export",
            Self::Deletion => "deletion",
            Self::Moderation => "moderation",
            Self::Admin => "admin",
        }
    }
}

/// An audit row to append. `subject` is the user's opaque audit subject
/// (never the user id); `object` a keyed hash of what was acted on;
/// `detail` holds only codes and numbers (e.g. `{"nudges": 3}`), never text
/// a user typed.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditEntry {
    /// When.
    pub at: DateTime<Utc>,
    /// What.
    pub action: AuditAction,
    /// Who (opaque audit subject), if anyone.
    pub subject: Option<Uuid>,
    /// Keyed hash (hex) of the object acted on, if any.
    pub object: Option<String>,
    /// Codes and numbers only.
    pub detail: serde_json::Value,
}

/// A stored audit row.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditRow {
    /// Sequence number.
    pub id: i64,
    /// The entry.
    pub entry: AuditEntry,
}

/// Everything stored about one user, for the export.
#[derive(Debug, Clone, PartialEq)]
pub struct UserData {
    /// The account.
    pub user: UserRecord,
    /// Risk profiles, oldest first.
    pub risk_profiles: Vec<RiskRecord>,
    /// Portfolios with their transactions.
    pub portfolios: Vec<(PortfolioRecord, Vec<TransactionRow>)>,
    /// Goals.
    pub goals: Vec<GoalRecord>,
    /// Usage counts: day → kind → count.
    pub usage: BTreeMap<NaiveDate, BTreeMap<String, i64>>,
    /// AI answers given to the user, oldest first.
    pub answers: Vec<AnswerRow>,
    /// Ratings given to AI answers, by answer and then oldest first.
    pub feedback: Vec<FeedbackRow>,
    /// Learning checklist items marked done: item → when.
    pub checklist: BTreeMap<String, DateTime<Utc>>,
    /// Watched symbols, in symbol order.
    pub watchlist: Vec<WatchRow>,
    /// Price alert rules, oldest first.
    pub alerts: Vec<AlertRow>,
}

/// A symbol on a user's watchlist.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WatchRow {
    /// Ticker.
    pub symbol: String,
    /// When it was added.
    pub added_at: DateTime<Utc>,
}

/// A price alert rule of a user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertRow {
    /// Its id.
    pub id: Uuid,
    /// Whose.
    pub user_id: Uuid,
    /// Ticker.
    pub symbol: String,
    /// The condition (`auravest_social::AlertCondition` as JSON).
    pub condition: String,
    /// May it fire (false once fired, until the condition resets).
    pub armed: bool,
    /// When it was set.
    pub created_at: DateTime<Utc>,
    /// When it last fired.
    pub fired_at: Option<DateTime<Utc>>,
}

/// An AI answer given to a user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnswerRow {
    /// The answer id.
    pub id: Uuid,
    /// Who asked.
    pub user_id: Uuid,
    /// When.
    pub at: DateTime<Utc>,
    /// The assistant's audit record (JSON: hashed question, citations, tools,
    /// model, guardrail verdicts); none for answers given before records were
    /// kept.
    pub record: Option<String>,
}

/// One rating of an AI answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedbackRow {
    /// The answer.
    pub answer_id: Uuid,
    /// The rating (`helpful`, `wrong`, `biased`).
    pub kind: String,
    /// What the user wrote with it.
    pub note: Option<String>,
    /// When.
    pub at: DateTime<Utc>,
}

/// A news headline as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeadlineRow {
    /// Ticker.
    pub symbol: String,
    /// The feed's id for it.
    pub id: String,
    /// Plain-text title.
    pub title: String,
    /// Where to read it.
    pub link: Option<String>,
    /// Who published it.
    pub source: String,
    /// When (ns since the epoch), if the feed said.
    pub published_ns: Option<i64>,
    /// When it was fetched.
    pub fetched_ns: i64,
}
