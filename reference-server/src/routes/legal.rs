//! `GET /legal`: the versioned terms with the disclaimer, the privacy
//! policy and "About our AI". No authentication.

use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;

use crate::state::AppState;

pub use crate::auth::TERMS_VERSION;

/// The disclaimer every insight and recommendation carries.
pub const DISCLAIMER: &str = auravest_core::DISCLAIMER;

const TERMS: &str = "AuraVest terms of use (version 2026-11-01).\n\n\
1. What AuraVest is. AuraVest helps you record the investments you already hold, \
values them at delayed market prices, and shows educational information about them. \
AuraVest is not a registered investment adviser, broker or dealer; the information is \
for education only and is not financial advice. You make your own decisions.\n\n\
2. Your data. You enter your transactions yourself; AuraVest does not connect to your \
accounts and cannot trade for you. Prices may be delayed or wrong; check them before \
acting on them.\n\n\
3. Community. Performance is shown to others only as percentages, and only when you \
choose to share it. Posts must follow the community guidelines; moderators may remove \
posts that do not.\n\n\
4. Ending. You may export or delete your data at any time from your profile.";

const PRIVACY: &str = "Privacy policy.\n\n\
We store your email encrypted and look it up only through a keyed hash. We store the \
transactions, goals and risk answers you enter so that we can show you your portfolio. \
The audit log records what happened (for example, a login or an export) under an opaque \
identifier, never your email, alias, IP address or anything you typed. Export gives you \
everything we hold about you as JSON; deletion removes it for good, and the audit log's \
link to you is removed with it. We do not sell data, and no third party receives it.";

const ABOUT_AI: &str = "About our AI.\n\n\
The assistant answers from a curated knowledge base and from calculations on your own \
portfolio. Every answer cites its sources; figures come from those sources or tools, and \
an answer with a figure we cannot trace to them is replaced by a quoted extract. It does \
not tell you to buy or sell anything, declines personalised instructions, and each answer \
ends with the disclaimer. You can rate answers; ratings help us improve the knowledge base. \
AI questions are limited per day, and the count is shown in your usage.";

/// The legal texts.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Legal {
    /// The version registration must accept.
    pub terms_version: &'static str,
    /// The terms, with the disclaimer.
    pub terms: &'static str,
    /// The privacy policy.
    pub privacy: &'static str,
    /// How the assistant works and what it will not do.
    pub about_ai: &'static str,
    /// The disclaimer on its own.
    pub disclaimer: &'static str,
}

/// The terms, privacy policy and "About our AI".
#[utoipa::path(get, path = "/api/v1/legal", tag = "legal",
    responses((status = 200, body = Legal)))]
pub async fn legal() -> Json<Legal> {
    Json(Legal {
        terms_version: TERMS_VERSION,
        terms: TERMS,
        privacy: PRIVACY,
        about_ai: ABOUT_AI,
        disclaimer: DISCLAIMER,
    })
}

/// `/legal`.
pub fn router() -> Router<AppState> {
    Router::new().route("/legal", get(legal))
}
