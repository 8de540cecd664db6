//! Trending tickers, "most held" and the leaderboards.

use std::collections::{BTreeMap, HashMap};

use auravest_core::Symbol;
use chrono::{DateTime, Utc};

use super::Community;
use crate::ids::{PostId, UserId};
use crate::model::Sentiment;
use crate::model::{AccountStatus, OptIn};
use crate::performance::Period;
use crate::ranking::z_score;
use crate::store::{Level, PostQuery, Scope, Store};
use crate::views::{ContributorEntry, HeldSymbol, PerformerEntry, TickerSentiment, TrendingTicker};
use crate::{Error, Result};

/// The longest window [`Community::ticker_sentiment`] counts, in days.
pub const MAX_SENTIMENT_DAYS: i64 = 90;

impl<S: Store> Community<S> {
    /// How members see a ticker: among visible posts and comments that tag
    /// it in the last `days` days with a bullish or bearish tag, each
    /// member counts once, by their latest tagged post (so one member
    /// cannot tilt the ratio by posting often); anonymous posts count, as
    /// members. `bullish_share` is bullish / (bullish + bearish), absent
    /// when no one tagged a sentiment.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] on `days` outside 1 to [`MAX_SENTIMENT_DAYS`].
    pub async fn ticker_sentiment(
        &self,
        symbol: &Symbol,
        days: i64,
        now: DateTime<Utc>,
    ) -> Result<TickerSentiment> {
        if !(1..=MAX_SENTIMENT_DAYS).contains(&days) {
            return Err(Error::invalid(
                "days",
                format!("must be 1 to {MAX_SENTIMENT_DAYS}, got {days}"),
            ));
        }
        let mut query = PostQuery::new(Scope::Symbol(symbol.clone()));
        query.visible_only = true;
        query.since = Some(now - chrono::TimeDelta::days(days));
        query.until = Some(now);
        // Newest first: the first tagged post of each author is their latest.
        let mut latest: HashMap<UserId, Sentiment> = HashMap::new();
        let mut posts = 0u32;
        for post in self.store.query_posts(&query).await? {
            let Some(s) = post.sentiment else {
                continue;
            };
            posts += 1;
            latest.entry(post.author).or_insert(s);
        }
        let bullish = u32::try_from(
            latest
                .values()
                .filter(|s| **s == Sentiment::Bullish)
                .count(),
        )
        .unwrap_or(u32::MAX);
        let members = u32::try_from(latest.len()).unwrap_or(u32::MAX);
        let bearish = members - bullish;
        Ok(TickerSentiment {
            symbol: symbol.clone(),
            days,
            bullish,
            bearish,
            tagged_posts: posts,
            bullish_share: (members > 0).then(|| f64::from(bullish) / f64::from(members)),
        })
    }

    /// Tickers mentioned unusually often in the latest window.
    ///
    /// For each ticker, visible posts and comments that tag it are counted in
    /// the window `[now − window, now]` and in each of the
    /// `baseline_windows` windows of the same length before it; one author
    /// adds at most `max_per_author` to a window's count. The score is
    /// `z = (count − mean) / max(sd, sd_floor)` over the baseline counts
    /// (population sd). A ticker is listed when the window has at least
    /// `min_authors` distinct authors and `min_mentions` mentions and
    /// `z ≥ min_z`; the list is sorted by z, then count, then ticker.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for a window that is not positive.
    pub async fn trending_tickers(&self, now: DateTime<Utc>) -> Result<Vec<TrendingTicker>> {
        let cfg = &self.config.tickers;
        let window_ms = cfg.window.num_milliseconds();
        if window_ms <= 0 || cfg.baseline_windows == 0 {
            return Err(Error::invalid(
                "tickers.window",
                "the window and the baseline must be positive",
            ));
        }
        let windows = i64::from(cfg.baseline_windows) + 1;
        let mut query = PostQuery::new(Scope::All);
        query.visible_only = true;
        query.since = Some(now - cfg.window * i32::try_from(windows).unwrap_or(i32::MAX));
        query.until = Some(now);
        // counts[symbol][window][author]
        let mut counts: BTreeMap<Symbol, Vec<HashMap<UserId, u32>>> = BTreeMap::new();
        let n_windows = usize::try_from(windows).unwrap_or(1);
        for post in self.store.query_posts(&query).await? {
            let age = (now - post.created_at).num_milliseconds();
            let Ok(w) = usize::try_from(age / window_ms) else {
                continue;
            };
            if w >= n_windows {
                continue;
            }
            for symbol in &post.cashtags {
                let per_window = counts
                    .entry(symbol.clone())
                    .or_insert_with(|| vec![HashMap::new(); n_windows]);
                *per_window[w].entry(post.author).or_default() += 1;
            }
        }
        let capped = |authors: &HashMap<UserId, u32>| {
            authors
                .values()
                .map(|n| (*n).min(cfg.max_per_author))
                .sum::<u32>()
        };
        let mut out: Vec<TrendingTicker> = counts
            .into_iter()
            .filter_map(|(symbol, per_window)| {
                let mentions = capped(&per_window[0]);
                let authors = u32::try_from(per_window[0].len()).unwrap_or(u32::MAX);
                let baseline: Vec<f64> = per_window[1..]
                    .iter()
                    .map(|w| f64::from(capped(w)))
                    .collect();
                let (mean, sd, z) = z_score(f64::from(mentions), &baseline, cfg.sd_floor)?;
                (authors >= cfg.min_authors && mentions >= cfg.min_mentions && z >= cfg.min_z)
                    .then_some(TrendingTicker {
                        symbol,
                        mentions,
                        authors,
                        baseline_mean: mean,
                        baseline_sd: sd,
                        z_score: z,
                    })
            })
            .collect();
        out.sort_by(|a, b| {
            b.z_score
                .total_cmp(&a.z_score)
                .then(b.mentions.cmp(&a.mentions))
                .then(a.symbol.cmp(&b.symbol))
        });
        out.truncate(cfg.limit);
        Ok(out)
    }

    /// Tickers held by the most members who opted in to counting their
    /// holdings; a ticker needs [`crate::Config::most_held_min_holders`] holders.
    ///
    /// # Errors
    /// Store errors only.
    pub async fn most_held(&self, limit: usize) -> Result<Vec<HeldSymbol>> {
        let members: Vec<_> = self
            .store
            .opted_in_users(OptIn::Holdings)
            .await?
            .into_iter()
            .filter(|u| u.status != AccountStatus::Banned)
            .collect();
        let mut holders: BTreeMap<Symbol, usize> = BTreeMap::new();
        for member in &members {
            for symbol in &member.holdings {
                *holders.entry(symbol.clone()).or_default() += 1;
            }
        }
        let total = members.len().max(1) as f64;
        let mut out: Vec<HeldSymbol> = holders
            .into_iter()
            .filter(|(_, n)| *n >= self.config.most_held_min_holders)
            .map(|(symbol, n)| HeldSymbol {
                symbol,
                holders: n,
                share: n as f64 / total,
            })
            .collect();
        out.sort_by(|a, b| b.holders.cmp(&a.holders).then(a.symbol.cmp(&b.symbol)));
        out.truncate(limit);
        Ok(out)
    }

    /// Top contributors by helpful activity between `since` and `now`:
    /// `score = likes received + answer_weight × answers`, where likes count
    /// on the member's visible non-anonymous posts and comments made in the
    /// window, and answers are their visible non-anonymous comments marked
    /// helpful by the thread's author. Anonymous content never counts, so the
    /// board says nothing about who wrote it. Wealth plays no part. Banned
    /// members are left out; ties go to more likes, then the older account.
    ///
    /// # Errors
    /// Store errors only.
    pub async fn top_contributors(
        &self,
        since: DateTime<Utc>,
        now: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<ContributorEntry>> {
        let mut query = PostQuery::new(Scope::All);
        query.level = Level::Any;
        query.visible_only = true;
        query.include_anonymous = false;
        query.since = Some(since);
        query.until = Some(now);
        let posts = self.store.query_posts(&query).await?;
        let ids: Vec<PostId> = posts.iter().map(|p| p.id).collect();
        let reactions = self
            .store
            .reactions(&ids, self.store.event_seq().await?)
            .await?;
        let mut totals: BTreeMap<UserId, (u64, u64)> = BTreeMap::new();
        for (post, r) in posts.iter().zip(reactions) {
            let entry = totals.entry(post.author).or_default();
            entry.0 += u64::from(r.likes);
            if post.helpful && post.thread.is_some() {
                entry.1 += 1;
            }
        }
        let members = self.members(totals.keys().copied().collect()).await?;
        let mut rows: Vec<(UserId, u64, u64, u64)> = Vec::new();
        for (user, (likes, answers)) in totals {
            let score = likes + self.config.answer_weight * answers;
            let banned = self
                .store
                .user(user)
                .await?
                .is_none_or(|u| u.status == AccountStatus::Banned);
            if score > 0 && !banned {
                rows.push((user, score, likes, answers));
            }
        }
        rows.sort_by(|a, b| b.1.cmp(&a.1).then(b.2.cmp(&a.2)).then(a.0.cmp(&b.0)));
        Ok(rows
            .into_iter()
            .filter_map(|(user, score, likes_received, answers)| {
                members
                    .get(&user)
                    .cloned()
                    .map(|member| (member, score, likes_received, answers))
            })
            .take(limit)
            .enumerate()
            .map(
                |(i, (member, score, likes_received, answers))| ContributorEntry {
                    rank: i + 1,
                    member,
                    score,
                    likes_received,
                    answers,
                },
            )
            .collect())
    }

    /// The opt-in top performers for a period, by percentage return only:
    /// members with `share_performance` on and a recorded return for the
    /// period, highest first (ties to the older account). Banned members are
    /// left out.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for an invalid period.
    pub async fn top_performers(
        &self,
        period: Period,
        limit: usize,
    ) -> Result<Vec<PerformerEntry>> {
        let period = period.validate()?;
        let mut rows: Vec<_> = self
            .store
            .opted_in_users(OptIn::Performance)
            .await?
            .into_iter()
            .filter(|u| u.status != AccountStatus::Banned)
            .filter_map(|u| {
                let r = u.returns.iter().find(|r| r.period == period)?;
                Some((u.id, u.alias.to_string(), r.return_pct))
            })
            .collect();
        rows.sort_by(|a, b| b.2.cmp(&a.2).then(a.0.cmp(&b.0)));
        Ok(rows
            .into_iter()
            .take(limit)
            .enumerate()
            .map(|(i, (id, alias, return_pct))| PerformerEntry {
                rank: i + 1,
                member: crate::views::Member { id, alias },
                period,
                return_pct,
            })
            .collect())
    }
}
