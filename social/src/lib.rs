//! # auravest-social
//!
//! The rules of AuraVest's community as pure, tested functions: a
//! supportive, pseudonymous place where people learn from each other without
//! exposing their wealth. Storage sits behind the [`Store`] trait
//! ([`MemoryStore`] here; the reference server adds SQL stores); transport
//! belongs to the server. The crate does no I/O, reads no clock and no global
//! random source: the time is a parameter and randomness comes from the
//! caller (`&mut impl FnMut() -> u64`, for example [`seeded_rng`]).
//!
//! [`Community`]'s methods are `async` because a store may sit across a
//! network (the server's SQL stores do); over [`MemoryStore`] every call
//! completes at once, so any executor runs them.
//!
//! # Quickstart
//!
//! ```
//! use auravest_social::{Author, Community, Draft, Error, PageRequest, seeded_rng};
//! use chrono::{DateTime, TimeDelta};
//!
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! let mut community = Community::in_memory();
//! let mut rng = seeded_rng(42);
//! let t0 = DateTime::from_timestamp(1_720_000_000, 0).unwrap();
//!
//! let ann = community.register(t0, &mut rng).await?; // a random alias like "Investor4821"
//! let bob = community.register(t0, &mut rng).await?;
//! community.change_alias(ann, "Dividend_Ann", t0).await?;
//!
//! // Posts carry cashtags, an optional sentiment tag, and render to safe HTML.
//! let idea = community.post(ann, Draft::new("Adding to $VOD.L for the yield").bullish(), t0).await?;
//! community.follow(bob, ann, t0).await?;
//! community.like(bob, idea, t0).await?;
//!
//! // Money amounts need the author's confirmation.
//! let t1 = t0 + TimeDelta::minutes(5);
//! let err = community.post(ann, Draft::new("I have 40 grand in $TSLA"), t1).await.unwrap_err();
//! assert!(matches!(err, Error::WealthDisclosure { .. }));
//!
//! // Anonymous posts never point at their author.
//! let secret = community.post(ann, Draft::new("First time buying an index fund").anonymous(), t1).await?;
//! let feed = community.public_feed(Some(bob), &PageRequest::first(20), t1).await?;
//! assert_eq!(feed.items[0].id, secret);
//! assert_eq!(feed.items[0].author, Author::Anonymous);
//! assert_eq!(feed.pinned.unwrap().text, auravest_social::WELCOME_MESSAGE);
//!
//! // The following feed shows Ann's post under her alias, with its like and safe HTML.
//! let following = community.following_feed(bob, &PageRequest::first(20), t1).await?;
//! assert_eq!(following.items.len(), 1);
//! assert_eq!(following.items[0].likes, 1);
//! assert!(following.items[0].html.contains(r#"<a href="/symbol/VOD.L" class="cashtag">$VOD.L</a>"#));
//!
//! // Ann hears about the like and the follow.
//! let digests = community.digests(ann).await?;
//! let texts: Vec<&str> = digests.iter().map(|d| d.text.as_str()).collect();
//! assert!(texts.iter().any(|t| t.ends_with("liked your post")));
//! assert!(texts.iter().any(|t| t.ends_with("started following you")));
//! # Ok::<(), Error>(())
//! # }).unwrap();
//! ```
//!
//! # The rules
//!
//! - **Identities** ([`AliasPolicy`]): a random default alias
//!   (`Investor` + 4–6 digits), unique without case. Chosen aliases are 3–20
//!   letters, digits or `_`, start with a letter, hold no e-mail address, phone
//!   number (7+ digits) or link, no word of the configurable lists (read
//!   through look-alikes: `He1pdesk`, `AdmlN`, `Adrnin`), no staff word
//!   (`Mod_Team`) and do not look like a default alias; one change per 30
//!   days. [`AliasPolicy::check_account_alias`] applies the same rules to an
//!   account name.
//! - **Posts and comments** ([`Community::post`], [`Community::comment`]): at
//!   most 1000 / 500 characters; cashtags ([`cashtags`]: `$AAPL`, `$BRK.B`,
//!   `$VOD.L`, never `$5`, `$100k` or `$12.50`), mentions and links are
//!   extracted; an optional bullish or bearish tag. Text is stored as written
//!   and rendered escaped by [`render_html`].
//! - **Wealth privacy** ([`wealth_warnings`]): money amounts are found with
//!   their spans and a draft with amounts needs
//!   [`Draft::confirm_amounts`]. [`PerformanceShare`]s hold percentages only.
//! - **Privacy settings** ([`PrivacySettings`]): everything off by default;
//!   holdings are never shown to anyone else; anonymous posts are shown
//!   without author everywhere, never in the following feed, an author's feed
//!   or counts, and comments in your own anonymous thread stay anonymous.
//!   Moderators see an author only through [`Community::reveal_author`],
//!   which writes an audit entry every time.
//! - **Feeds**: public (newest first), following, by ticker, by author,
//!   comments, and trending (Reddit hot by default). Cursors pin a snapshot so
//!   a walk returns every post exactly once (see [`Cursor`]).
//! - **Discovery**: [`Community::trending_tickers`] (z-score against a
//!   30-window baseline, at least 3 distinct authors), [`Community::most_held`]
//!   (opted-in members only, at least 3 holders),
//!   [`Community::top_contributors`] (likes and answers, never wealth) and
//!   [`Community::top_performers`] (opt-in, percentages only).
//! - **Moderation**: flags with reasons (3 distinct open flags hide a post
//!   until review), moderator actions with reasons ([`ModAction`]), roles and
//!   permissions ([`Role::can`]), rate limits (3 a minute, 50 a day) and spam
//!   rules ([`SpamRule`]); every action is audited.
//! - **Notifications** ([`NotificationKind`]): replies, comments, mentions,
//!   followers, likes and like milestones, moderation outcomes and price
//!   alerts, with read state and [`Digest`]s.
//! - **Direct messages** ([`MessageContext`]): only between members who
//!   follow each other, with messages on, neither blocking the other.
//! - **Price alerts** ([`AlertRule`]): fire once per crossing, re-armed
//!   when the condition resets.
//! - **Guidelines** ([`GUIDELINES`]) and the pinned [`WELCOME_MESSAGE`], as data.
//!
//! The ranking formulas are in [`ranking`]; every default is a field of [`Config`].
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![doc(test(attr(deny(warnings))))]

mod alerts;
mod alias;
mod community;
#[cfg(feature = "testing")]
pub mod conformance;
mod error;
mod feed;
mod guidelines;
mod ids;
mod memory;
mod messages;
mod model;
mod moderation;
mod notification;
mod performance;
pub mod ranking;
mod render;
mod store;
mod text;
mod views;
mod wealth;

pub use alerts::{AlertQuote, AlertRule, AlertStep, MAX_MOVE_PERCENT};
pub use alias::{
    Alias, AliasPolicy, AliasProblem, DEFAULT_ALIAS_PREFIX, MAX_ACCOUNT_ALIAS_LEN, MAX_ALIAS_LEN,
    MIN_ALIAS_LEN, PHONE_DIGITS,
};
/// The risk category a shared return is shown with: the questionnaire's own
/// type, so a profile and a post never disagree on what a band is called.
pub use auravest_risk::RiskCategory;
pub use community::{
    CommentOrder, Community, Config, MAX_SENTIMENT_DAYS, RankFormula, TickerTrendConfig,
};
pub use error::{Entity, Error, Result};
pub use feed::{Cursor, DEFAULT_PAGE_SIZE, FeedKind, MAX_PAGE_SIZE, PageRequest, Snapshot};
pub use guidelines::{GUIDELINES, Guideline, PinnedMessage, WELCOME_MESSAGE, guideline, welcome};
pub use ids::{AuditId, NotificationId, PostId, UserId, seeded_rng};
pub use memory::MemoryStore;
pub use messages::{
    FEEDBACK_PER_HOUR, FeedbackCategory, MAX_MESSAGE_CHARS, MESSAGES_PER_MINUTE, MessageContext,
    MessageRefusal, message_text,
};
pub use model::{
    AccountStatus, Draft, NewPost, NewUser, OptIn, PeriodReturn, Post, PostStatus, PrivacySettings,
    Sentiment, User,
};
pub use moderation::{
    AuditAction, AuditEvent, Flag, FlagReason, ModAction, NewAuditEvent, NewFlag, Permission, Role,
    SpamRule,
};
pub use notification::{
    AlertCondition, Digest, ModerationOutcome, NewNotification, Notification, NotificationKind,
    NotificationType, NotificationView, PriceAlert,
};
pub use performance::{
    MAX_RETURN_PCT, MIN_RETURN_PCT, PerformanceShare, Period, compound_percent,
    compound_percent_text,
};
pub use render::{Format, escape_html, render_html};
pub use store::{Level, Order, PostQuery, Reactions, Scope, Store};
pub use text::{Cashtag, Entities, Link, Mention, Span, cashtags, entities, links, mentions};
pub use views::{
    Author, ContributorEntry, FlagOutcome, HeldSymbol, Member, MemberExport, OwnProfile, Page,
    PerformerEntry, PostView, ProfileView, QueueItem, ReasonCount, RevealedAuthor, TickerSentiment,
    TrendingTicker,
};
pub use wealth::{AmountCue, WealthWarning, wealth_warnings};

/// Re-exported so callers use the same decimal type.
pub use auravest_core::Decimal;
/// Re-exported so callers use the same ticker type.
pub use auravest_core::Symbol;
