//! Typed, read-only tools the assistant calls: market data through the
//! market crate's cache and fallback chain, the user's own portfolio, and
//! metric definitions from the knowledge base. No tool can change anything:
//! each takes shared references and returns data with its provenance
//! (`source`, `as_of`, `stale`) plus plain sentences the composer quotes.

use std::fmt;
use std::future::Future;
use std::pin::Pin;

use auravest_bias::{AnalysisInput, Config as BiasConfig, analyze};
use auravest_core::{Decimal, NaiveDate, Portfolio, PriceChange, PriceFrame, Symbol};
use auravest_market::{HistoryRequest, Market};
use auravest_risk::RiskProfile;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::kb::KnowledgeBase;

/// The tools, by their wire names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ToolName {
    /// `get_stock_price(symbol)`.
    GetStockPrice,
    /// `get_price_history(symbol, range)`.
    GetPriceHistory,
    /// `get_fundamentals(symbol)`.
    GetFundamentals,
    /// `get_portfolio_summary()`.
    GetPortfolioSummary,
    /// `compare_to_benchmark(range, benchmark = SPY)`.
    CompareToBenchmark,
    /// `explain_metric(name)`.
    ExplainMetric,
    /// `get_news(symbol, days)`.
    GetNews,
}

impl ToolName {
    /// Every tool.
    pub const ALL: [Self; 7] = [
        Self::GetStockPrice,
        Self::GetPriceHistory,
        Self::GetFundamentals,
        Self::GetPortfolioSummary,
        Self::CompareToBenchmark,
        Self::ExplainMetric,
        Self::GetNews,
    ];

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::GetStockPrice => "get_stock_price",
            Self::GetPriceHistory => "get_price_history",
            Self::GetFundamentals => "get_fundamentals",
            Self::GetPortfolioSummary => "get_portfolio_summary",
            Self::CompareToBenchmark => "compare_to_benchmark",
            Self::ExplainMetric => "explain_metric",
            Self::GetNews => "get_news",
        }
    }

    /// Does the tool write anything? None does; the evaluation checks this
    /// list stays empty for read-only questions.
    pub fn writes(self) -> bool {
        false
    }

    /// Parses a wire name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == s)
    }
}

impl fmt::Display for ToolName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A window ending at the as-of date: core's [`auravest_core::Range`], the
/// vocabulary the performance page uses too.
pub use auravest_core::Range;

/// One tool call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolCall {
    /// Which tool.
    pub name: ToolName,
    /// Its arguments as JSON (`{"symbol": "AAPL"}`, `{"symbol", "range"}`,
    /// `{"range", "benchmark"}`, `{"name"}`, `{"symbol", "days"}`, `{}`).
    pub args: Value,
}

/// A tool's answer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ToolOutput {
    /// The call.
    pub name: ToolName,
    /// Its arguments.
    pub args: Value,
    /// The data, always with `source`, `as_of` and `stale`; on failure
    /// `{"error", "source", "as_of": null, "stale": null}`.
    pub result: Value,
    /// Did the tool produce data?
    pub ok: bool,
    /// Plain sentences stating the result, every figure taken from `result`.
    pub facts: Vec<String>,
    /// A short label for the citation ("AAPL quote, file source, 2018-04-11").
    pub label: String,
}

/// The user's own portfolio, for the portfolio tools.
#[derive(Debug, Clone)]
pub struct PortfolioContext {
    /// The transaction log.
    pub portfolio: Portfolio,
    /// Daily closes of the holdings (and the benchmark when present).
    pub prices: PriceFrame,
    /// The scored risk questionnaire, when the user took it.
    pub risk_profile: Option<RiskProfile>,
    /// Where the prices came from ("file:examples/data/prices.csv", "yahoo").
    pub prices_source: String,
}

/// The window `get_news` reads when the question names none, in days.
pub const DEFAULT_NEWS_DAYS: u32 = 7;

/// The longest window `get_news` reads, in days.
pub const MAX_NEWS_DAYS: u32 = 30;

/// Most headlines `get_news` states in an answer.
pub const MAX_NEWS_FACTS: usize = 5;

/// One news headline, as a [`NewsFeed`] gives it to `get_news`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewsItem {
    /// The symbol it is about.
    pub symbol: String,
    /// The title as plain text.
    pub title: String,
    /// Who published it (the feed's name or the link's host).
    pub source: String,
    /// Where to read it.
    pub link: Option<String>,
    /// When it was published, if the feed said.
    pub published: Option<DateTime<Utc>>,
}

/// A boxed future, so [`NewsFeed`] can be a trait object.
pub type NewsFuture<'a> = Pin<Box<dyn Future<Output = Result<Vec<NewsItem>, String>> + Send + 'a>>;

/// Where the `get_news` tool reads headlines: the server's stored feeds, a
/// feed client, or a fixed list (`Vec<NewsItem>` implements it).
pub trait NewsFeed: Send + Sync {
    /// Headlines about `symbol` published within `days` days before `now`
    /// (undated ones included), newest first. An error is a sentence saying
    /// why the feeds could not be read.
    fn recent<'a>(&'a self, symbol: &'a Symbol, days: u32, now: DateTime<Utc>) -> NewsFuture<'a>;

    /// The feeds' name for citations ("news feeds", "Yahoo Finance RSS").
    fn name(&self) -> &str {
        "news feeds"
    }
}

/// A fixed list: the items about `symbol` within the window, newest first.
impl NewsFeed for Vec<NewsItem> {
    fn recent<'a>(&'a self, symbol: &'a Symbol, days: u32, now: DateTime<Utc>) -> NewsFuture<'a> {
        let items = within_window(self, symbol, days, now);
        Box::pin(std::future::ready(Ok(items)))
    }
}

/// The items about `symbol` published within `days` days before `now`
/// (undated ones kept, last), newest first: the window every [`NewsFeed`]
/// over a list applies.
pub fn within_window(
    items: &[NewsItem],
    symbol: &Symbol,
    days: u32,
    now: DateTime<Utc>,
) -> Vec<NewsItem> {
    let since = now - chrono::Duration::days(i64::from(days.min(MAX_NEWS_DAYS)));
    let mut out: Vec<NewsItem> = items
        .iter()
        .filter(|h| h.symbol.eq_ignore_ascii_case(symbol.as_str()))
        .filter(|h| h.published.is_none_or(|p| p >= since && p <= now))
        .cloned()
        .collect();
    out.sort_by_key(|h| std::cmp::Reverse(h.published));
    out
}

/// What the tools read from.
#[derive(Clone, Copy)]
pub struct ToolContext<'a> {
    /// Market data (the same chain and settings as `auravest quote`).
    pub market: Option<&'a Market>,
    /// News headlines per symbol, for `get_news`.
    pub news: Option<&'a dyn NewsFeed>,
    /// The user's portfolio.
    pub portfolio: Option<&'a PortfolioContext>,
    /// The knowledge base, for metric definitions.
    pub kb: &'a KnowledgeBase,
    /// The date periods end at; `None` is today (UTC).
    pub as_of: Option<NaiveDate>,
}

impl fmt::Debug for ToolContext<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ToolContext")
            .field("market", &self.market.is_some())
            .field("news", &self.news.is_some())
            .field("portfolio", &self.portfolio.is_some())
            .field("as_of", &self.as_of)
            .finish_non_exhaustive()
    }
}

/// A metric the `explain_metric` tool knows, with the article that explains it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Metric {
    /// Canonical name.
    pub name: &'static str,
    /// Words that name it in a question (lower case, as [`crate::text::words`] gives them).
    pub aliases: &'static [&'static str],
    /// The article explaining it.
    pub article: &'static str,
    /// How AuraVest computes it.
    pub formula: &'static str,
}

/// The metrics `explain_metric` covers.
pub const METRICS: &[Metric] = &[
    Metric {
        name: "sharpe ratio",
        aliases: &["sharpe"],
        article: "sharpe-ratio",
        formula: "(annualised return - risk-free rate) / annualised volatility",
    },
    Metric {
        name: "sortino ratio",
        aliases: &["sortino"],
        article: "volatility",
        formula: "(annualised return - risk-free rate) / annualised downside deviation",
    },
    Metric {
        name: "volatility",
        aliases: &["volatility", "standard deviation"],
        article: "volatility",
        formula: "standard deviation of daily returns x sqrt(252)",
    },
    Metric {
        name: "max drawdown",
        aliases: &["drawdown", "max drawdown", "maximum drawdown"],
        article: "drawdowns",
        formula: "largest peak-to-trough fall of the value series, as a fraction of the peak",
    },
    Metric {
        name: "beta",
        aliases: &["beta"],
        article: "beta",
        formula: "covariance of portfolio and benchmark daily returns / variance of the benchmark's",
    },
    Metric {
        name: "alpha",
        aliases: &["alpha", "jensen"],
        article: "beta",
        formula: "annualised return not explained by beta times the benchmark's excess return",
    },
    Metric {
        name: "cagr",
        aliases: &[
            "cagr",
            "compound annual growth rate",
            "annualized return",
            "annualised return",
        ],
        article: "compounding",
        formula: "(end value / start value)^(1 / years) - 1",
    },
    Metric {
        name: "time-weighted return",
        aliases: &["time weighted", "twr", "time-weighted"],
        article: "twr-vs-mwr",
        formula: "product of (1 + daily sub-period returns) - 1, each sub-period measured around cash flows",
    },
    Metric {
        name: "money-weighted return",
        aliases: &[
            "money weighted",
            "mwr",
            "xirr",
            "irr",
            "internal rate of return",
        ],
        article: "twr-vs-mwr",
        formula: "the annual rate that discounts every deposit, withdrawal and the final value to zero (XIRR)",
    },
    Metric {
        name: "p/e ratio",
        aliases: &["pe", "pe ratio", "price to earnings", "price earnings"],
        article: "pe-ratio",
        formula: "share price / earnings per share",
    },
    Metric {
        name: "eps",
        aliases: &["eps", "earnings per share"],
        article: "eps",
        formula: "net income / shares outstanding",
    },
    Metric {
        name: "dividend yield",
        aliases: &["dividend yield"],
        article: "dividend-yield",
        formula: "dividends paid over the last year / share price",
    },
    Metric {
        name: "expense ratio",
        aliases: &["expense ratio", "ter", "ongoing charge"],
        article: "expense-ratio",
        formula: "yearly fund costs / fund assets",
    },
    Metric {
        name: "market cap",
        aliases: &[
            "market cap",
            "market capitalization",
            "market capitalisation",
            "market value",
        ],
        article: "market-capitalisation",
        formula: "shares outstanding x share price",
    },
];

/// Looks a metric up by its canonical name or an alias.
pub fn metric(name: &str) -> Option<&'static Metric> {
    let n = name.trim().to_lowercase();
    let joined = crate::text::words(&n).join(" ");
    METRICS
        .iter()
        .find(|m| m.name == n || m.name == joined || m.aliases.contains(&joined.as_str()))
}

/// Two decimals, with thousands separators.
pub(crate) fn money(d: Decimal) -> String {
    let s = format!("{:.2}", d.round_dp(2));
    let (int, frac) = s.split_once('.').unwrap_or((&s, "00"));
    let (sign, digits) = int.strip_prefix('-').map_or(("", int), |d| ("-", d));
    let mut grouped = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    format!("{sign}{grouped}.{frac}")
}

/// A fraction as a percentage with two decimals, unsigned ("3.21%").
pub(crate) fn pct_abs(fraction: f64) -> String {
    format!("{:.2}%", (fraction * 100.0).abs())
}

/// "rose 3.21%" / "fell 3.21%" / "was flat".
pub(crate) fn moved(fraction: f64) -> String {
    let rounded = (fraction * 10_000.0).round() / 10_000.0;
    if rounded > 0.0 {
        format!("rose {}", pct_abs(fraction))
    } else if rounded < 0.0 {
        format!("fell {}", pct_abs(fraction))
    } else {
        "was flat (0.00%)".to_owned()
    }
}

fn failure(
    name: ToolName,
    args: Value,
    source: &str,
    error: impl Into<String>,
    fact: String,
) -> ToolOutput {
    let error: String = error.into();
    ToolOutput {
        name,
        args,
        result: json!({"error": error, "source": source, "as_of": null, "stale": null}),
        ok: false,
        facts: vec![fact],
        label: format!("{name}: unavailable"),
    }
}

impl ToolContext<'_> {
    fn as_of(&self) -> NaiveDate {
        self.as_of.unwrap_or_else(|| Utc::now().date_naive())
    }

    /// The portfolio's valuation date: its last price date, capped at as-of.
    fn portfolio_as_of(&self, ctx: &PortfolioContext) -> NaiveDate {
        ctx.prices
            .dates()
            .last()
            .copied()
            .map_or_else(|| self.as_of(), |d| d.min(self.as_of()))
    }

    /// Runs one call. Failures (unknown symbol, no data, no portfolio) are
    /// outputs with `ok: false` and a sentence saying what is missing, so
    /// the answer can say it does not know instead of guessing.
    pub async fn run(&self, call: &ToolCall) -> ToolOutput {
        let arg = |k: &str| call.args.get(k).and_then(Value::as_str).map(str::to_owned);
        let range = arg("range").and_then(|r| r.parse::<Range>().ok());
        match call.name {
            ToolName::GetStockPrice | ToolName::GetPriceHistory | ToolName::GetFundamentals => {
                let Some(sym) = arg("symbol").and_then(|s| Symbol::new(&s).ok()) else {
                    return failure(
                        call.name,
                        call.args.clone(),
                        "market",
                        "missing or invalid symbol".to_owned(),
                        "I could not tell which symbol the question is about.".to_owned(),
                    );
                };
                match call.name {
                    ToolName::GetStockPrice => self.stock_price(call, &sym).await,
                    ToolName::GetPriceHistory => {
                        self.price_history(call, &sym, range.unwrap_or(Range::Y1))
                            .await
                    }
                    _ => self.fundamentals(call, &sym).await,
                }
            }
            ToolName::GetPortfolioSummary => {
                let focus = arg("symbol").and_then(|s| Symbol::new(&s).ok());
                self.portfolio_summary(call, focus.as_ref())
            }
            ToolName::CompareToBenchmark => {
                let bench = arg("benchmark").unwrap_or_else(|| "SPY".to_owned());
                self.compare(call, range.unwrap_or(Range::Y1), &bench).await
            }
            ToolName::ExplainMetric => self.explain(call, &arg("name").unwrap_or_default()),
            ToolName::GetNews => {
                let Some(sym) = arg("symbol").and_then(|s| Symbol::new(&s).ok()) else {
                    return failure(
                        call.name,
                        call.args.clone(),
                        "news",
                        "missing or invalid symbol".to_owned(),
                        "I could not tell which symbol the question is about.".to_owned(),
                    );
                };
                let days =
                    call.args
                        .get("days")
                        .and_then(Value::as_u64)
                        .map_or(DEFAULT_NEWS_DAYS, |d| {
                            u32::try_from(d)
                                .unwrap_or(MAX_NEWS_DAYS)
                                .clamp(1, MAX_NEWS_DAYS)
                        });
                self.news(call, &sym, days).await
            }
        }
    }

    async fn news(&self, call: &ToolCall, sym: &Symbol, days: u32) -> ToolOutput {
        let Some(feed) = self.news else {
            return failure(
                call.name,
                call.args.clone(),
                "none",
                "no news feed is configured".to_owned(),
                "No news feed is configured, so I cannot look up headlines.".to_owned(),
            );
        };
        // News is about the present: the window ends now whatever date the
        // portfolio's prices end at.
        let end = Utc::now();
        let period = if days == 1 {
            "the last day".to_owned()
        } else {
            format!("the last {days} days")
        };
        let items = match feed.recent(sym, days, end).await {
            Ok(items) => items,
            Err(e) => {
                return failure(
                    call.name,
                    call.args.clone(),
                    feed.name(),
                    e,
                    format!("The news feeds could not be read for {sym} just now."),
                );
            }
        };
        // Headlines are outside text: one that reads as an instruction is
        // left out, never quoted.
        let (kept, dropped): (Vec<NewsItem>, Vec<NewsItem>) = items
            .into_iter()
            .filter(|h| !h.title.trim().is_empty())
            .partition(|h| !crate::router::is_injection(&h.title.to_lowercase()));
        let shown: Vec<&NewsItem> = kept.iter().take(MAX_NEWS_FACTS).collect();
        let mut facts = Vec::new();
        if shown.is_empty() {
            facts.push(format!(
                "No headlines about {sym} from {period} are in the configured news feeds ({}).",
                feed.name()
            ));
        } else {
            facts.push(format!(
                "{} headline{} about {sym} from {period} {} in the news feeds; headlines report events and are not a recommendation.",
                kept.len(),
                if kept.len() == 1 { "" } else { "s" },
                if kept.len() == 1 { "is" } else { "are" },
            ));
            for h in &shown {
                let when = h
                    .published
                    .map_or_else(|| "undated".to_owned(), |p| p.date_naive().to_string());
                facts.push(format!("\"{}\" ({}, {when}).", h.title.trim(), h.source));
            }
        }
        let sources: std::collections::BTreeSet<&str> =
            shown.iter().map(|h| h.source.as_str()).collect();
        let source = if sources.is_empty() {
            feed.name().to_owned()
        } else {
            sources.into_iter().collect::<Vec<_>>().join(", ")
        };
        let newest = kept.iter().filter_map(|h| h.published).max();
        let headlines: Vec<Value> = shown
            .iter()
            .map(|h| {
                json!({"title": h.title, "source": h.source, "link": h.link,
                       "published": h.published})
            })
            .collect();
        ToolOutput {
            name: call.name,
            args: call.args.clone(),
            result: json!({
                "symbol": sym, "days": days, "count": kept.len(), "headlines": headlines,
                "left_out_as_instructions": dropped.len(),
                "source": source, "as_of": newest.map(|d| d.date_naive()), "stale": false,
            }),
            ok: true,
            facts,
            label: format!("{sym} news, {period} ({source})"),
        }
    }

    async fn stock_price(&self, call: &ToolCall, sym: &Symbol) -> ToolOutput {
        let Some(market) = self.market else {
            return no_market(call);
        };
        match market.quote(sym).await {
            Ok(q) => {
                let as_of = q.market_time.date_naive();
                let currency = q.currency.map(|c| c.to_string());
                let price = format!("{:.2}", q.price);
                let mut fact = format!(
                    "{sym} last traded at {price}{} on {as_of} (source: {}{}).",
                    currency
                        .as_deref()
                        .map(|c| format!(" {c}"))
                        .unwrap_or_default(),
                    q.source,
                    if q.delayed { ", delayed" } else { "" },
                );
                if q.stale {
                    fact.push_str(
                        " This price is stale: the market has not updated it for several days.",
                    );
                }
                ToolOutput {
                    name: call.name,
                    args: call.args.clone(),
                    result: json!({
                        "symbol": sym, "price": q.price, "currency": currency,
                        "as_of": as_of, "fetched_at": q.fetched_at, "source": q.source,
                        "delayed": q.delayed, "stale": q.stale,
                    }),
                    ok: true,
                    facts: vec![fact],
                    label: format!("{sym} quote ({}, {as_of})", q.source),
                }
            }
            Err(e) => failure(
                call.name,
                call.args.clone(),
                "market",
                e.to_string(),
                format!("No price is available for {sym} from the configured data sources."),
            ),
        }
    }

    async fn price_history(&self, call: &ToolCall, sym: &Symbol, range: Range) -> ToolOutput {
        let Some(market) = self.market else {
            return no_market(call);
        };
        let as_of = self.as_of();
        let from = range
            .start(as_of)
            .or_else(|| NaiveDate::from_ymd_opt(1970, 1, 1))
            .unwrap_or(as_of);
        let req = match HistoryRequest::daily(sym.clone(), from, as_of) {
            Ok(r) => r,
            Err(e) => {
                return failure(
                    call.name,
                    call.args.clone(),
                    "market",
                    e.to_string(),
                    format!("No history is available for {sym}."),
                );
            }
        };
        match market.history(&req).await {
            Ok(h) if h.bars.len() >= 2 => {
                let (first, last) = (&h.bars[0], &h.bars[h.bars.len() - 1]);
                let change = last.close / first.close - 1.0;
                let high = h.bars.iter().map(|b| b.close).fold(f64::MIN, f64::max);
                let low = h.bars.iter().map(|b| b.close).fold(f64::MAX, f64::min);
                let fact = format!(
                    "{sym} {} {}: from {:.2} on {} to {:.2} on {} (source: {}).",
                    moved(change),
                    range.phrase(),
                    first.close,
                    first.date,
                    last.close,
                    last.date,
                    h.source
                );
                let range_fact = format!(
                    "Over that period its closing price ranged from {low:.2} to {high:.2}."
                );
                ToolOutput {
                    name: call.name,
                    args: call.args.clone(),
                    result: json!({
                        "symbol": sym, "range": range.as_str(), "from": first.date, "to": last.date,
                        "start_close": first.close, "end_close": last.close,
                        "change_pct": (change * 10_000.0).round() / 100.0,
                        "high": high, "low": low, "rows": h.bars.len(),
                        "source": h.source, "as_of": last.date, "stale": h.stale,
                    }),
                    ok: true,
                    facts: vec![fact, range_fact],
                    label: format!(
                        "{sym} price history {} ({}, to {})",
                        range.as_str(),
                        h.source,
                        last.date
                    ),
                }
            }
            Ok(h) => failure(
                call.name,
                call.args.clone(),
                &h.source,
                format!("{} rows in the range", h.bars.len()),
                format!(
                    "There is not enough price history for {sym} {} to measure a change.",
                    range.phrase()
                ),
            ),
            Err(e) => failure(
                call.name,
                call.args.clone(),
                "market",
                e.to_string(),
                format!(
                    "No price history is available for {sym} from the configured data sources."
                ),
            ),
        }
    }

    async fn fundamentals(&self, call: &ToolCall, sym: &Symbol) -> ToolOutput {
        let Some(market) = self.market else {
            return no_market(call);
        };
        match market.fundamentals(sym).await {
            Ok(f) => {
                let as_of = Utc::now().date_naive();
                let mut facts = Vec::new();
                if let Some(pe) = f.trailing_pe {
                    facts.push(format!(
                        "{sym}'s trailing P/E ratio is {pe:.2} (source: {}).",
                        f.source
                    ));
                }
                if let Some(eps) = f.eps {
                    facts.push(format!(
                        "{sym}'s trailing earnings per share are {eps:.2} (source: {}).",
                        f.source
                    ));
                }
                if let Some(y) = f.dividend_yield {
                    facts.push(format!(
                        "{sym}'s dividend yield is {} (source: {}).",
                        pct_abs(y),
                        f.source
                    ));
                }
                if let Some(m) = f.market_cap {
                    facts.push(format!(
                        "{sym}'s market capitalisation is {} (source: {}).",
                        money(Decimal::from_f64_retain(m).unwrap_or_default()),
                        f.source
                    ));
                }
                if facts.is_empty() {
                    facts.push(format!(
                        "The source {} gave no valuation figures for {sym}.",
                        f.source
                    ));
                }
                ToolOutput {
                    name: call.name,
                    args: call.args.clone(),
                    result: json!({
                        "symbol": sym, "trailing_pe": f.trailing_pe, "forward_pe": f.forward_pe,
                        "eps": f.eps, "dividend_yield": f.dividend_yield, "market_cap": f.market_cap,
                        "sector": f.sector, "country": f.country_name,
                        "source": f.source, "as_of": as_of, "stale": false,
                    }),
                    ok: true,
                    facts,
                    label: format!("{sym} fundamentals ({})", f.source),
                }
            }
            Err(e) => failure(
                call.name,
                call.args.clone(),
                "market",
                e.to_string(),
                format!(
                    "Fundamentals (valuation figures) are not available for {sym} from the configured data sources, so I cannot give that figure."
                ),
            ),
        }
    }

    fn portfolio_summary(&self, call: &ToolCall, focus: Option<&Symbol>) -> ToolOutput {
        let Some(ctx) = self.portfolio else {
            return no_portfolio(call);
        };
        let as_of = self.portfolio_as_of(ctx);
        let input = AnalysisInput {
            risk_profile: ctx.risk_profile.as_ref(),
            benchmark: ctx.prices.column("SPY").map(|_| "SPY"),
            ..AnalysisInput::new(&ctx.portfolio, &ctx.prices, as_of)
        };
        let analysis = match analyze(&input, &BiasConfig::default()) {
            Ok(a) => a,
            Err(e) => {
                return failure(
                    call.name,
                    call.args.clone(),
                    &ctx.prices_source,
                    e.to_string(),
                    format!("Your portfolio could not be valued: {e}."),
                );
            }
        };
        let v = &analysis.valuation;
        let mut positions: Vec<_> = v.positions.iter().collect();
        positions.sort_by(|a, b| b.weight.total_cmp(&a.weight));
        let mut facts = vec![format!(
            "On {}, your portfolio was worth {} {} ({} {} of it in cash).",
            v.as_of,
            money(v.value),
            v.base_currency,
            money(v.cash),
            v.base_currency
        )];
        if let Some(top) = positions.first() {
            let listed: Vec<String> = positions
                .iter()
                .take(3)
                .map(|p| format!("{} {}", p.symbol, pct_abs(p.weight)))
                .collect();
            facts.push(format!(
                "Your largest holding is {} at {} of the portfolio; the top holdings are {}.",
                top.symbol,
                pct_abs(top.weight),
                listed.join(", ")
            ));
        }
        // A holding the question names: its own weight and the nudges about it.
        if let Some(sym) = focus {
            match positions.iter().find(|p| &p.symbol == sym) {
                Some(p) => facts.push(format!(
                    "{sym} is {} of your portfolio, worth {} {} on {}.",
                    pct_abs(p.weight),
                    money(p.value),
                    v.base_currency,
                    v.as_of
                )),
                None => facts.push(format!("You hold no {sym} in this portfolio.")),
            }
            for n in analysis
                .nudges
                .iter()
                .filter(|n| n.subject.as_deref() == Some(sym.as_str()))
            {
                facts.push(format!(
                    "Nudge about {sym}: {}. {}",
                    n.title.trim_end_matches('.'),
                    n.explanation
                ));
            }
        }
        let start = ctx.portfolio.transactions().first().map(|t| t.date);
        let twr = start.and_then(|s| {
            ctx.portfolio
                .time_weighted_return(&ctx.prices, s, as_of)
                .ok()
        });
        if let (Some(s), Some(r)) = (start, twr) {
            facts.push(format!(
                "Since {s}, its time-weighted return is {}{}.",
                if r < 0.0 { "-" } else { "" },
                pct_abs(r)
            ));
        }
        let category = ctx.risk_profile.as_ref().map(|p| p.category.to_string());
        if let Some(c) = &category {
            facts.push(format!("Your risk profile category is {c}."));
        }
        // The other nudges (the named holding's are stated above).
        for n in analysis
            .nudges
            .iter()
            .filter(|n| focus.is_none_or(|f| n.subject.as_deref() != Some(f.as_str())))
            .take(3)
        {
            facts.push(format!("Nudge: {}", n.title.trim_end_matches('.')).to_owned() + ".");
        }
        let positions_json: Vec<Value> = positions
            .iter()
            .map(|p| json!({"symbol": p.symbol, "weight": p.weight, "value": p.value.round_dp(2).to_string()}))
            .collect();
        let nudges: Vec<Value> = analysis
            .nudges
            .iter()
            .map(|n| json!({"kind": n.kind, "severity": n.severity, "title": n.title}))
            .collect();
        ToolOutput {
            name: call.name,
            args: call.args.clone(),
            result: json!({
                "as_of": v.as_of, "base_currency": v.base_currency,
                "value": v.value.round_dp(2).to_string(), "cash": v.cash.round_dp(2).to_string(),
                "positions": positions_json, "twr_since_start": twr, "since": start,
                "risk_category": category, "nudges": nudges,
                "source": ctx.prices_source, "stale": false,
            }),
            ok: true,
            facts,
            label: format!("your portfolio ({}, {})", ctx.prices_source, v.as_of),
        }
    }

    async fn compare(&self, call: &ToolCall, range: Range, bench: &str) -> ToolOutput {
        let Some(ctx) = self.portfolio else {
            return no_portfolio(call);
        };
        let as_of = self.portfolio_as_of(ctx);
        let first_tx = ctx.portfolio.transactions().first().map(|t| t.date);
        let from = range
            .start(as_of)
            .into_iter()
            .chain(first_tx)
            .max()
            .unwrap_or(as_of);
        let twr = match ctx.portfolio.time_weighted_return(&ctx.prices, from, as_of) {
            Ok(r) => r,
            Err(e) => {
                return failure(
                    call.name,
                    call.args.clone(),
                    &ctx.prices_source,
                    e.to_string(),
                    format!(
                        "Your portfolio's return {} could not be measured: {e}.",
                        range.phrase()
                    ),
                );
            }
        };
        // The benchmark from the portfolio's prices when it is there, else the market.
        // Measured as the performance page measures it (core's PriceChange).
        let from_frame = ctx
            .prices
            .price_change(bench, from, as_of)
            .map(|c| (c, ctx.prices_source.clone()));
        let bench_change = match from_frame {
            Some(p) => Some(p),
            None => match (self.market, Symbol::new(bench)) {
                (Some(m), Ok(sym)) => match HistoryRequest::daily(sym, from, as_of) {
                    Ok(req) => m.history(&req).await.ok().and_then(|h| {
                        let closes: Vec<(NaiveDate, f64)> =
                            h.bars.iter().map(|b| (b.date, b.close)).collect();
                        PriceChange::between(&closes, from, as_of).map(|c| (c, h.source.clone()))
                    }),
                    Err(_) => None,
                },
                _ => None,
            },
        };
        let Some((change, source)) = bench_change else {
            return failure(
                call.name,
                call.args.clone(),
                &ctx.prices_source,
                format!("no prices for the benchmark {bench}"),
                format!(
                    "Your time-weighted return {} is {}{}, but no prices for the benchmark {bench} are available to compare it with.",
                    range.phrase(),
                    if twr < 0.0 { "-" } else { "" },
                    pct_abs(twr)
                ),
            );
        };
        let PriceChange {
            start: d0,
            start_price: p0,
            end: d1,
            end_price: p1,
        } = change;
        let b = change.total_return();
        let diff = twr - b;
        let facts = vec![
            format!(
                "From {from} to {as_of}, your portfolio's time-weighted return was {}{}, while {bench} {} (from {p0:.2} on {d0} to {p1:.2} on {d1}).",
                if twr < 0.0 { "-" } else { "" },
                pct_abs(twr),
                moved(b)
            ),
            format!(
                "That puts your portfolio {} percentage points {} the benchmark.",
                format!("{:.2}", (diff * 100.0).abs()),
                if diff >= 0.0 { "ahead of" } else { "behind" }
            ),
        ];
        ToolOutput {
            name: call.name,
            args: call.args.clone(),
            result: json!({
                "range": range.as_str(), "from": from, "to": as_of,
                "portfolio_return_pct": (twr * 10_000.0).round() / 100.0,
                "benchmark": bench, "benchmark_return_pct": (b * 10_000.0).round() / 100.0,
                "benchmark_start": {"date": d0, "close": p0}, "benchmark_end": {"date": d1, "close": p1},
                "difference_pct": (diff * 10_000.0).round() / 100.0,
                "source": source, "as_of": as_of, "stale": false,
            }),
            ok: true,
            facts,
            label: format!("your portfolio against {bench} ({source}, to {as_of})"),
        }
    }

    fn explain(&self, call: &ToolCall, name: &str) -> ToolOutput {
        let Some(m) = metric(name) else {
            return failure(
                call.name,
                call.args.clone(),
                "knowledge base",
                format!("unknown metric {name:?}"),
                format!("I have no definition of {name}."),
            );
        };
        let title = self
            .kb
            .article(m.article)
            .map_or_else(|| m.article.to_owned(), |a| a.title.clone());
        ToolOutput {
            name: call.name,
            args: call.args.clone(),
            result: json!({
                "metric": m.name, "formula": m.formula, "article": m.article, "title": title,
                "source": "knowledge base", "as_of": null, "stale": false,
                "kb_version": self.kb.content_hash().get(..12),
            }),
            ok: true,
            facts: vec![format!(
                "AuraVest computes the {} as {}.",
                m.name, m.formula
            )],
            label: format!("metric definition: {}", m.name),
        }
    }
}

fn no_market(call: &ToolCall) -> ToolOutput {
    failure(
        call.name,
        call.args.clone(),
        "none",
        "no market data source is configured".to_owned(),
        "No market data source is configured, so I cannot look up prices.".to_owned(),
    )
}

fn no_portfolio(call: &ToolCall) -> ToolOutput {
    failure(
        call.name,
        call.args.clone(),
        "none",
        "no portfolio in context".to_owned(),
        "I need your portfolio to answer that: add your transactions (or pass --transactions and --prices) and ask again.".to_owned(),
    )
}
