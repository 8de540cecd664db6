//! Performance chasing and attention buying: buying after an extreme run-up,
//! right after an extreme one-day move, or on abnormal volume (Barber &
//! Odean 2008, "All That Glitters").

use std::collections::BTreeMap;

use auravest_core::{NaiveDate, Portfolio, PriceFrame, Symbol, TransactionKind};
use serde_json::{Value, json};

use crate::Result;
use crate::config::ChasingConfig;
use crate::dates::add_days;
use crate::market::{filled_closes, quantile};
use crate::nudge::{Nudge, NudgeKind, Severity, pct, r6};

/// What made one buy look like chasing.
#[derive(Debug, Clone, Default)]
struct Signals {
    date: NaiveDate,
    run_up: Option<f64>,
    /// The move, its date, and the threshold it beat.
    attention: Option<(f64, NaiveDate, f64)>,
    volume: Option<f64>,
}

impl Signals {
    fn any(&self) -> bool {
        self.run_up.is_some() || self.attention.is_some() || self.volume.is_some()
    }
}

fn ret(closes: &[Option<f64>], i: usize) -> Option<f64> {
    let prev = (*closes.get(i.checked_sub(1)?)?)?;
    let now = (*closes.get(i)?)?;
    (prev > 0.0).then(|| now / prev - 1.0)
}

fn signals(
    closes: &[Option<f64>],
    s: usize,
    buy_date: NaiveDate,
    dates: &[NaiveDate],
    volume: Option<f64>,
    config: &ChasingConfig,
) -> Signals {
    let k = config.run_up_trading_days as usize;
    let run_up = s
        .checked_sub(k)
        .and_then(|from| Some(closes[s]? / closes[from]? - 1.0))
        .filter(|r| *r >= config.run_up);
    let history = config.attention_history_trading_days as usize;
    let past: Vec<f64> = (s.saturating_sub(history + 1)..s.saturating_sub(1))
        .filter_map(|i| ret(closes, i).map(f64::abs))
        .collect();
    let attention = if past.len() >= config.attention_min_history as usize {
        quantile(&past, config.attention_quantile).and_then(|q| {
            let bar = q.max(config.attention_min_move);
            std::iter::once(s)
                .chain(s.checked_sub(1))
                .filter_map(|i| ret(closes, i).map(|r| (r, dates[i])))
                .filter(|(r, _)| r.abs() >= bar)
                .max_by(|a, b| a.0.abs().total_cmp(&b.0.abs()))
                .map(|(r, d)| (r, d, bar))
        })
    } else {
        None
    };
    Signals {
        date: buy_date,
        run_up,
        attention,
        volume: volume.filter(|v| *v >= config.volume_ratio),
    }
}

/// The buy day's volume over the average of the previous `n` days.
fn volume_ratio(volumes: &PriceFrame, symbol: &Symbol, date: NaiveDate, n: usize) -> Option<f64> {
    let col = volumes.column(symbol.as_str())?;
    let s = volumes.index_on_or_before(date)?;
    let today = col[s]?;
    let past: Vec<f64> = col[s.saturating_sub(n)..s]
        .iter()
        .flatten()
        .copied()
        .collect();
    if past.len() < n.div_ceil(2) {
        return None;
    }
    let mean = past.iter().sum::<f64>() / past.len() as f64;
    (mean > 0.0).then(|| today / mean)
}

/// Flags buys, dated in the `lookback_days` (90) up to `as_of`, made:
///
/// - after a **run-up**: the close on the buy day at least `run_up` (25%)
///   above the close `run_up_trading_days` (60) trading days earlier
///   (warning); or
/// - on **attention**: on the day of, or the day after, a one-day move whose
///   size is in the top `1 − attention_quantile` (10%) of the symbol's
///   previous `attention_history_trading_days` (250) daily moves and at least
///   `attention_min_move` (3%); or, when `volumes` is given (a frame of daily
///   volumes shaped like the prices file), on a day whose volume is at least
///   `volume_ratio` (2×) the average of the previous `volume_trading_days`
///   (20) (info).
///
/// One nudge per symbol (subject: the symbol) for its latest flagged buy.
/// Buys of symbols without prices are skipped.
///
/// # Errors
/// [`crate::Error::InvalidThreshold`] for a bad `config`.
pub fn performance_chasing(
    portfolio: &Portfolio,
    prices: &PriceFrame,
    volumes: Option<&PriceFrame>,
    as_of: NaiveDate,
    config: &ChasingConfig,
) -> Result<Vec<Nudge>> {
    config.validate()?;
    let start = add_days(as_of, -i64::from(config.lookback_days));
    let mut closes: BTreeMap<&Symbol, Option<Vec<Option<f64>>>> = BTreeMap::new();
    let mut flagged: BTreeMap<&Symbol, (Signals, usize)> = BTreeMap::new();
    for tx in portfolio
        .transactions()
        .iter()
        .filter(|t| t.date > start && t.date <= as_of)
    {
        let TransactionKind::Buy { symbol, .. } = &tx.kind else {
            continue;
        };
        let Some(s) = prices.index_on_or_before(tx.date) else {
            continue;
        };
        let Some(c) = closes.entry(symbol).or_insert_with(|| {
            prices
                .column_index(symbol.as_str())
                .map(|i| filled_closes(prices, i))
        }) else {
            continue;
        };
        let volume = volumes
            .and_then(|v| volume_ratio(v, symbol, tx.date, config.volume_trading_days as usize));
        let sig = signals(c, s, tx.date, prices.dates(), volume, config);
        if sig.any() {
            let n = flagged.get(symbol).map_or(0, |(_, n)| *n) + 1;
            flagged.insert(symbol, (sig, n));
        }
    }
    Ok(flagged
        .into_iter()
        .map(|(symbol, (sig, n))| nudge(symbol, &sig, n, config))
        .collect())
}

fn nudge(symbol: &Symbol, sig: &Signals, count: usize, config: &ChasingConfig) -> Nudge {
    let s = symbol.as_str();
    let mut reasons = Vec::new();
    let mut triggers = Vec::new();
    if let Some(r) = sig.run_up {
        triggers.push("run_up");
        reasons.push(format!(
            "its price had risen {} over the previous {} trading days",
            pct(r),
            config.run_up_trading_days
        ));
    }
    if let Some((r, d, _)) = sig.attention {
        triggers.push("extreme_move");
        let dir = if r >= 0.0 { "jumped" } else { "dropped" };
        reasons.push(format!(
            "it had {dir} {} in one day on {d}, one of its largest moves of the past year",
            pct(r.abs())
        ));
    }
    if let Some(v) = sig.volume {
        triggers.push("abnormal_volume");
        reasons.push(format!(
            "trading volume was {v:.1} times its recent average"
        ));
    }
    let severity = if sig.run_up.is_some() {
        Severity::Warning
    } else {
        Severity::Info
    };
    let (title, concept) = if sig.run_up.is_some() {
        (
            format!("You bought {s} after a big run-up"),
            "Buying what has just gone up a lot is performance chasing: a strong recent \
             record feels like proof of quality, but it is already in the price, and the \
             investors who pile in late often buy near a peak and sell after the next dip.",
        )
    } else {
        (
            format!("You bought {s} when it was in the spotlight"),
            "Stocks become news when they move sharply or trade heavily, and individual \
             investors are net buyers of exactly those attention-grabbing stocks (Barber & \
             Odean 2008): with thousands of stocks to choose from, we pick among the ones we \
             happen to notice. Being noticed is not a reason to expect a good return.",
        )
    };
    let attention = sig.attention.map_or(
        Value::Null,
        |(r, d, bar)| json!({"move": r6(r), "date": d, "threshold": r6(bar)}),
    );
    Nudge::new(
        NudgeKind::PerformanceChasing,
        severity,
        Some(s.to_owned()),
        title,
        format!(
            "On {} you bought {s} when {}. {concept}",
            sig.date,
            reasons.join(" and ")
        ),
        "Before buying, write down why this holding fits your plan apart from its recent \
         moves, and consider waiting a few days or spreading the purchase over time.",
        json!({
            "symbol": s,
            "buy_date": sig.date,
            "triggers": triggers,
            "run_up": sig.run_up.map(r6),
            "run_up_trading_days": config.run_up_trading_days,
            "run_up_threshold": config.run_up,
            "one_day_move": attention,
            "volume_ratio": sig.volume.map(r6),
            "volume_ratio_threshold": config.volume_ratio,
            "flagged_buys": count,
        }),
    )
}
