//! News headlines per symbol: fetched through the market crate's
//! `NewsClient` (conditional requests), stored, and read back with the
//! crate's finance-lexicon sentiment. A symbol's feeds are asked at most
//! every [`NEWS_REFRESH`]; the price refresher asks for the held and
//! watched symbols, and a page asks for a symbol it shows.

use std::time::Duration;

use auravest_market::news::{HeadlineSentiment, headline_sentiment};
use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::error::AppResult;
use crate::state::AppState;
use crate::store::HeadlineRow;

/// How long a symbol's stored headlines count as fresh.
pub const NEWS_REFRESH: Duration = Duration::from_secs(30 * 60);

/// The longest window read, in days.
pub const MAX_NEWS_DAYS: i64 = 30;

/// Most headlines returned.
pub const NEWS_LIMIT: i64 = 50;

/// A headline as sent.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct HeadlineView {
    /// The feed's id for it.
    pub id: String,
    /// Plain-text title (set it as text).
    pub title: String,
    /// Where to read it.
    pub link: Option<String>,
    /// Who published it.
    pub source: String,
    /// When (RFC 3339), if the feed said.
    pub published: Option<String>,
    /// Its lean by the finance word lists (`auravest_market::news`).
    pub sentiment: SentimentView,
}

/// A headline's lean by the finance word lists.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SentimentView {
    /// `(positive − negative) / (positive + negative)`, −1 to 1.
    pub score: f64,
    /// `positive`, `negative` or `neutral`.
    pub lean: String,
    /// Positive words found.
    pub positive: u32,
    /// Negative words found.
    pub negative: u32,
}

impl From<HeadlineSentiment> for SentimentView {
    fn from(s: HeadlineSentiment) -> Self {
        Self {
            score: s.score,
            lean: match s.lean {
                auravest_market::news::Lean::Positive => "positive",
                auravest_market::news::Lean::Negative => "negative",
                auravest_market::news::Lean::Neutral => "neutral",
            }
            .to_owned(),
            positive: s.positive,
            negative: s.negative,
        }
    }
}

fn now_ns() -> i64 {
    Utc::now().timestamp_nanos_opt().unwrap_or(i64::MAX)
}

/// Fetches and stores `symbol`'s headlines when they are older than
/// [`NEWS_REFRESH`] (or never fetched). Returns the headlines stored; a
/// feed that fails is logged and leaves what is stored.
///
/// # Errors
/// The store's.
pub async fn refresh(state: &AppState, symbol: &str) -> AppResult<usize> {
    let Some(client) = state.news.as_ref() else {
        return Ok(0);
    };
    let fresh_after =
        now_ns().saturating_sub(i64::try_from(NEWS_REFRESH.as_nanos()).unwrap_or(i64::MAX));
    if state
        .store
        .last_news_fetch(symbol)
        .await?
        .is_some_and(|at| at >= fresh_after)
    {
        return Ok(0);
    }
    let headlines = match client.headlines(symbol).await {
        Ok(h) => h,
        Err(e) => {
            tracing::warn!(%symbol, error = %e, "news feeds failed");
            return Ok(0);
        }
    };
    let fetched_ns = now_ns();
    let rows: Vec<HeadlineRow> = headlines
        .into_iter()
        .map(|h| HeadlineRow {
            symbol: symbol.to_owned(),
            id: h.id,
            title: h.title,
            link: h.link,
            source: h.source,
            published_ns: h.published.and_then(|p| p.timestamp_nanos_opt()),
            fetched_ns,
        })
        .collect();
    state.store.upsert_headlines(&rows).await?;
    Ok(rows.len())
}

/// `symbol`'s stored headlines of the last `days` days, newest first
/// (fetched first when stale).
async fn recent_rows(state: &AppState, symbol: &str, days: i64) -> AppResult<Vec<HeadlineRow>> {
    refresh(state, symbol).await?;
    let since = (Utc::now() - chrono::Duration::days(days))
        .timestamp_nanos_opt()
        .unwrap_or(0);
    Ok(state.store.headlines(symbol, since, NEWS_LIMIT).await?)
}

/// `symbol`'s headlines of the last `days` days, newest first (fetched
/// first when stale).
///
/// # Errors
/// The store's.
pub async fn headlines(state: &AppState, symbol: &str, days: i64) -> AppResult<Vec<HeadlineView>> {
    Ok(recent_rows(state, symbol, days)
        .await?
        .into_iter()
        .map(|r| HeadlineView {
            sentiment: headline_sentiment(&r.title).into(),
            published: r
                .published_ns
                .map(|ns| DateTime::<Utc>::from_timestamp_nanos(ns).to_rfc3339()),
            id: r.id,
            title: r.title,
            link: r.link,
            source: r.source,
        })
        .collect())
}

/// The assistant's `get_news` tool reads what [`headlines`] reads: the
/// stored headlines, fetched first when stale.
pub struct StoredNews {
    state: AppState,
}

impl StoredNews {
    /// Reads through `state`'s store and news client.
    pub fn new(state: &AppState) -> Self {
        Self {
            state: state.clone(),
        }
    }
}

impl auravest_ai::NewsFeed for StoredNews {
    fn recent<'a>(
        &'a self,
        symbol: &'a auravest_core::Symbol,
        days: u32,
        _now: DateTime<Utc>,
    ) -> auravest_ai::tools::NewsFuture<'a> {
        Box::pin(async move {
            let days = i64::from(days).clamp(1, MAX_NEWS_DAYS);
            let rows = recent_rows(&self.state, symbol.as_str(), days)
                .await
                .map_err(|e| e.to_string())?;
            Ok(rows
                .into_iter()
                .map(|r| auravest_ai::NewsItem {
                    symbol: r.symbol,
                    published: r.published_ns.map(DateTime::<Utc>::from_timestamp_nanos),
                    title: r.title,
                    source: r.source,
                    link: r.link,
                })
                .collect())
        })
    }
}
