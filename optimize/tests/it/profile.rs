//! The recommendation pipeline: every category, the sample portfolio and
//! generated universes, checked against the nudges' own detectors.

use std::collections::BTreeMap;
use std::fs::File;
use std::path::PathBuf;

use auravest_bias::{
    Config, GuardInput, NudgeKind, Side, Suggestion, TargetAllocation, allocation_drift, cash_drag,
    concentration, guard, home_bias,
};
use auravest_core::{
    Currency, Decimal, InstrumentTable, NaiveDate, Portfolio, PriceFrame, Symbol, Valuation, io,
};
use auravest_optimize::ReturnMatrix;
use auravest_optimize::allocation::RebalanceOptions;
use auravest_optimize::expected_returns::{james_stein, mean_historical};
use auravest_optimize::profile::{as_valuation, stock_volatility_band};
use auravest_optimize::{
    AdviceOptions, CASH, Error, GapKind, Recommendation, ReturnEstimate, rebalance_toward,
    recommend,
};
use auravest_risk::{RiskCategory, RiskProfile};

const CATEGORIES: [RiskCategory; 5] = [
    RiskCategory::Conservative,
    RiskCategory::ModeratelyConservative,
    RiskCategory::Moderate,
    RiskCategory::Growth,
    RiskCategory::Aggressive,
];

fn sample(name: &str) -> File {
    let p: PathBuf = [env!("CARGO_MANIFEST_DIR"), "..", "examples", "data", name]
        .iter()
        .collect();
    File::open(p).unwrap()
}

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn sample_universe() -> (PriceFrame, InstrumentTable) {
    (
        PriceFrame::from_csv(sample("prices.csv")).unwrap(),
        InstrumentTable::shipped()
            .with_mapping_csv(sample("instruments.csv"))
            .unwrap(),
    )
}

fn sample_portfolio() -> Portfolio {
    let mut p = Portfolio::new(Currency::USD, d("2100-01-01"));
    p.import(
        io::read_transactions_csv(sample("transactions.csv")).unwrap(),
        false,
    )
    .unwrap();
    p
}

/// A profile of `category` (only the category and its split matter here).
fn target_of(category: RiskCategory) -> TargetAllocation {
    TargetAllocation::from_model(category.allocation())
}

/// Every composition nudge the recommendation itself would get.
fn nudges_on(
    rec: &Recommendation,
    instruments: &InstrumentTable,
    config: &Config,
) -> Vec<(NudgeKind, Option<String>)> {
    let v = as_valuation(rec, 100_000.0, Currency::USD, d("2018-04-11")).unwrap();
    let target = target_of(rec.category);
    let mut all = concentration(&v, instruments, &config.concentration).unwrap();
    all.extend(cash_drag(&v, Some(&target), &config.cash).unwrap());
    all.extend(allocation_drift(&v, instruments, &target, &config.drift).unwrap());
    all.extend(home_bias(&v, instruments, &config.home_bias).unwrap());
    all.into_iter()
        .filter(|n| {
            // Information about unknown symbols is not a limit.
            n.subject.as_deref() != Some("unclassified")
        })
        .map(|n| (n.kind, n.subject))
        .collect()
}

fn check_shape(rec: &Recommendation) {
    let sum: f64 = rec.weights.values().sum();
    assert!((sum - 1.0).abs() < 1e-6, "weights sum to {sum}");
    assert!(rec.weights.values().all(|w| *w > 0.0));
    let (lo, hi) = rec.expected_return_range;
    let er = rec.performance.expected_return;
    assert!(lo < er && er < hi, "{lo} < {er} < {hi}");
    assert!(rec.basis.contains("past prices") && rec.basis.contains("James-Stein"));
    assert!(
        rec.reasoning
            .iter()
            .any(|r| r.contains("not financial advice"))
    );
}

#[test]
fn the_sample_universe_respects_every_concentration_limit_in_every_category() {
    let (prices, instruments) = sample_universe();
    let options = AdviceOptions::default();
    let c = &options.limits.concentration;
    for category in CATEGORIES {
        let rec = recommend(category, &prices, &instruments, &options).unwrap();
        check_shape(&rec);
        // The single stocks of the sample stay within the single-holding
        // limit; the broad fund (SPY) carries the rest of the stock share.
        for t in ["AAPL", "AMZN", "GOOG", "JPM", "XOM", "PFE"] {
            let w = rec.weights.get(t).copied().unwrap_or(0.0);
            assert!(w < c.single_holding, "{category:?}: {t} {w}");
        }
        let singles: f64 = rec
            .weights
            .iter()
            .filter(|(t, _)| !["SPY", CASH].contains(&t.as_str()))
            .map(|(_, w)| w)
            .sum();
        assert!(singles < c.large_holdings_total, "{category:?}: {singles}");
        // The split is kept: stocks exactly, bonds wait in cash (no bond series).
        let split = category.allocation();
        let stocks: f64 = rec
            .weights
            .iter()
            .filter(|(t, _)| t.as_str() != CASH)
            .map(|(_, w)| w)
            .sum();
        assert!((stocks - split.stocks).abs() < 1e-6, "{category:?}");
        let kinds: Vec<GapKind> = rec.gaps.iter().map(|g| g.kind).collect();
        assert!(kinds.contains(&GapKind::International));
        assert_eq!(kinds.contains(&GapKind::Bonds), split.bonds > 0.0);
        // The only nudges the recommendation itself would get are the ones
        // its gaps announce: bonds held as cash, and no foreign stocks.
        for (kind, subject) in nudges_on(&rec, &instruments, &options.limits) {
            match kind {
                NudgeKind::HomeBias => assert!(kinds.contains(&GapKind::International)),
                NudgeKind::AllocationDrift | NudgeKind::CashDrag => {
                    assert!(kinds.contains(&GapKind::Bonds), "{kind:?} {subject:?}");
                }
                other => {
                    panic!("{category:?}: the recommendation gets a {other:?} nudge on {subject:?}")
                }
            }
        }
    }
}

#[test]
fn shrunk_estimates_keep_amzn_out_of_the_headline_figure() {
    let (prices, instruments) = sample_universe();
    let shrunk = recommend(
        RiskCategory::Aggressive,
        &prices,
        &instruments,
        &AdviceOptions::default(),
    )
    .unwrap();
    let raw = recommend(
        RiskCategory::Aggressive,
        &prices,
        &instruments,
        &AdviceOptions {
            returns: ReturnEstimate::Historical,
            ..AdviceOptions::default()
        },
    )
    .unwrap();
    let c = shrunk.shrinkage.unwrap();
    assert!(c > 0.0 && c <= 1.0, "shrinkage {c}");
    assert!(raw.shrinkage.is_none());
    // Per asset: the shrunk means sit between the raw ones, pulled toward
    // their grand mean, so AMZN's run-up counts for much less.
    let returns = ReturnMatrix::from_prices(&prices).unwrap();
    let raw_means = mean_historical(&returns, false).unwrap();
    let (js, c2) = james_stein(&returns).unwrap();
    assert!((c - c2).abs() < 1e-12);
    let grand = raw_means.values().mean();
    for (t, (r, s)) in raw_means
        .tickers()
        .iter()
        .zip(raw_means.values().iter().zip(js.values().iter()))
    {
        assert!(
            (s - grand).abs() <= (r - grand).abs() + 1e-12,
            "{t}: {r} -> {s}"
        );
        assert!(((s - grand) - (1.0 - c) * (r - grand)).abs() < 1e-12, "{t}");
    }
    let amzn = |m: &auravest_optimize::ExpectedReturns| m.get("AMZN").unwrap();
    assert!(
        amzn(&js) < amzn(&raw_means) - 0.05,
        "{} vs {}",
        amzn(&js),
        amzn(&raw_means)
    );
    // Never the 44.7% a year raw means once promised for the sample.
    assert!(shrunk.performance.expected_return < 0.25);
}

#[test]
fn volatility_targets_hold_where_the_limits_allow_them() {
    let (prices, instruments) = sample_universe();
    let mut last = 0.0;
    for category in CATEGORIES {
        let rec = recommend(category, &prices, &instruments, &AdviceOptions::default()).unwrap();
        let split = category.allocation();
        let sleeve = rec.performance.volatility / split.stocks;
        let (_, target, _) = stock_volatility_band(category);
        // Either on target, or the reasoning says why not.
        let explained = rec
            .reasoning
            .iter()
            .any(|r| r.contains("least volatile") || r.contains("highest-return"));
        assert!((sleeve - target).abs() < 1e-3 || explained, "{category:?}");
        assert!(
            rec.performance.volatility >= last - 1e-9,
            "riskier categories take more risk"
        );
        last = rec.performance.volatility;
    }
}

/// A small deterministic generator (64-bit LCG), so the universes are the
/// same on every run without a random-number dependency.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
    /// Roughly normal (sum of uniforms).
    fn normal(&mut self) -> f64 {
        (0..12).map(|_| self.next()).sum::<f64>() - 6.0
    }
}

const SECTORS: [&str; 3] = ["Information Technology", "Financials", "Energy"];

/// Eight single stocks (some foreign), broad US and international equity
/// funds and a bond fund, with `days` of prices driven by one market factor.
fn generated(seed: u64, days: usize) -> (PriceFrame, InstrumentTable) {
    let mut rng = Lcg(seed);
    let singles: Vec<Symbol> = (0..8)
        .map(|i| format!("S{seed}X{i}").parse().unwrap())
        .collect();
    let mut csv = String::from("symbol,name,asset_class,sector,country,currency\n");
    for (i, s) in singles.iter().enumerate() {
        let country = if i % 3 == 2 { "DE" } else { "US" };
        csv.push_str(&format!(
            "{s},Single {i},equity,{},{country},USD\n",
            SECTORS[i % 3]
        ));
    }
    let instruments = InstrumentTable::shipped()
        .with_mapping_csv(csv.as_bytes())
        .unwrap();
    let mut names = singles;
    names.extend(["VTI", "VXUS", "BND"].map(|n| n.parse().unwrap()));
    // Drift and volatility per series: singles are volatile with drifts
    // that differ wildly (the raw means would pick one), funds are steadier.
    let params: Vec<(f64, f64, f64)> = names
        .iter()
        .enumerate()
        .map(|(i, n)| match n.as_str() {
            "VTI" => (0.07, 0.9, 0.004),
            "VXUS" => (0.05, 0.8, 0.005),
            "BND" => (0.03, 0.0, 0.002),
            _ => (
                -0.1 + 0.6 * rng.next(),
                0.6 + 0.8 * rng.next(),
                0.01 + 0.01 * (i as f64 % 3.0),
            ),
        })
        .collect();
    let mut header = String::from("date");
    for n in &names {
        header.push(',');
        header.push_str(n.as_str());
    }
    let mut out = vec![header];
    let mut level = vec![100.0; names.len()];
    let mut date = d("2015-01-01");
    for _ in 0..days {
        date = date.succ_opt().unwrap();
        let market = 0.009 * rng.normal();
        let mut row = date.to_string();
        for (k, (drift, beta, idio)) in params.iter().enumerate() {
            let r = drift / 252.0 + beta * market + idio * rng.normal();
            level[k] *= 1.0 + r.max(-0.5);
            row.push_str(&format!(",{:.6}", level[k]));
        }
        out.push(row);
    }
    (
        PriceFrame::from_csv(out.join("\n").as_bytes()).unwrap(),
        instruments,
    )
}

#[test]
fn generated_universes_get_recommendations_no_nudge_would_flag() {
    let options = AdviceOptions::default();
    for seed in 1..=12u64 {
        let (prices, instruments) = generated(seed, 600);
        for category in CATEGORIES {
            let rec = recommend(category, &prices, &instruments, &options)
                .unwrap_or_else(|e| panic!("seed {seed} {category:?}: {e}"));
            check_shape(&rec);
            assert!(
                rec.gaps.is_empty(),
                "seed {seed} {category:?}: {:?}",
                rec.gaps
            );
            let flagged = nudges_on(&rec, &instruments, &options.limits);
            assert!(
                flagged.is_empty(),
                "seed {seed} {category:?}: {flagged:?} on {:?}",
                rec.weights
            );
        }
    }
}

#[test]
fn tighter_limits_from_the_same_config_tighten_the_recommendation() {
    let (prices, instruments) = generated(7, 600);
    let mut options = AdviceOptions::default();
    options.limits.concentration.single_holding = 0.03;
    options.limits.concentration.sector = 0.05;
    let rec = recommend(RiskCategory::Aggressive, &prices, &instruments, &options).unwrap();
    for (t, w) in &rec.weights {
        if !["VTI", "VXUS", "BND", CASH].contains(&t.as_str()) {
            assert!(*w < 0.03, "{t} {w}");
        }
    }
    assert!(nudges_on(&rec, &instruments, &options.limits).is_empty());
}

/// The trades toward a recommendation never go against what the nudges on
/// the current portfolio ask for, and the guard finds nothing to object to.
fn check_trades_against_nudges(
    portfolio_valuation: &Valuation,
    rec: &Recommendation,
    prices: &PriceFrame,
    instruments: &InstrumentTable,
    config: &Config,
    label: &str,
) {
    let plan = rebalance_toward(
        rec,
        prices,
        portfolio_valuation,
        &RebalanceOptions::default(),
    )
    .unwrap_or_else(|e| panic!("{label}: {e}"));
    let nudges = concentration(portfolio_valuation, instruments, &config.concentration).unwrap();
    for n in &nudges {
        let Some(subject) = n.subject.as_deref() else {
            continue;
        };
        if let Some(sector) = subject.strip_prefix("sector:") {
            let bought: f64 = plan
                .trades
                .iter()
                .filter(|(t, _)| {
                    Symbol::new(t.as_str()).is_ok_and(|s| {
                        matches!(instruments.classify(&s),
                            auravest_core::Classification::Known(i) if i.sector.as_deref() == Some(sector))
                    })
                })
                .map(|(t, n)| *n as f64 * prices.column(t.as_str()).and_then(|c| c.iter().rev().flatten().next().copied()).unwrap_or(0.0))
                .sum();
            assert!(
                bought <= 0.0,
                "{label}: buys {bought} of {sector} against its nudge"
            );
        } else if let Some(n) = plan.trades.get(subject) {
            assert!(
                *n <= 0,
                "{label}: buys {n} {subject} although a nudge says it is too large"
            );
        }
    }
    let cash_nudge = cash_drag(
        portfolio_valuation,
        Some(&target_of(rec.category)),
        &config.cash,
    )
    .unwrap();
    let cash_now: f64 = portfolio_valuation.cash.try_into().unwrap();
    if !cash_nudge.is_empty() {
        assert!(
            plan.target_cash <= cash_now + 1e-6,
            "{label}: raises idle cash"
        );
    }
    let profile = RiskProfile {
        version: "test".to_owned(),
        score: 50,
        capacity_score: 50,
        capped_by: Vec::new(),
        category: rec.category,
        allocation: rec.allocation,
        rationale: String::new(),
    };
    // The guard looks at each buy once the plan's sales are done (a plan
    // sells first, then buys with the proceeds).
    let sold = after_trades(portfolio_valuation, &plan.trades, prices, false);
    let input = GuardInput {
        valuation: &sold,
        prices,
        instruments,
        risk_profile: Some(&profile),
        benchmark: None,
    };
    for (t, n) in plan.trades.iter().filter(|(_, n)| **n > 0) {
        let price = prices
            .column(t.as_str())
            .and_then(|c| c.iter().rev().flatten().next().copied())
            .unwrap();
        let suggestion = Suggestion {
            symbol: Symbol::new(t.as_str()).unwrap(),
            side: Side::Buy,
            amount: Some(Decimal::try_from(price * *n as f64).unwrap().round_dp(2)),
        };
        let conflicts = guard(&suggestion, &input, config).unwrap();
        let against: Vec<_> = conflicts
            .iter()
            .filter(|c| {
                matches!(
                    c.kind,
                    auravest_bias::ConflictKind::Concentration
                        | auravest_bias::ConflictKind::Sector
                        | auravest_bias::ConflictKind::Alternatives
                )
            })
            .collect();
        assert!(against.is_empty(), "{label}: buying {n} {t}: {against:?}");
    }
    // And once every trade is done, nothing is over a concentration limit.
    let done = after_trades(portfolio_valuation, &plan.trades, prices, true);
    let left: Vec<_> = concentration(&done, instruments, &config.concentration)
        .unwrap()
        .into_iter()
        .filter(|n| n.subject.as_deref() != Some("unclassified"))
        .map(|n| n.title)
        .collect();
    assert!(left.is_empty(), "{label}: after the trades: {left:?}");
}

/// `v` after the sales of `trades` (and the buys too when `buys`), at each
/// holding's own value per share and the last close for new ones.
fn after_trades(
    v: &Valuation,
    trades: &BTreeMap<Symbol, i64>,
    prices: &PriceFrame,
    buys: bool,
) -> Valuation {
    let last = |t: &str| {
        prices
            .column(t)
            .and_then(|c| c.iter().rev().flatten().next().copied())
            .unwrap()
    };
    let mut out = v.clone();
    let mut cash: f64 = v.cash.try_into().unwrap();
    for (t, &n) in trades {
        if n == 0 || (n > 0 && !buys) {
            continue;
        }
        match out.positions.iter_mut().find(|p| p.symbol == *t) {
            Some(p) => {
                let per_share: f64 = (p.value / p.quantity).try_into().unwrap();
                let q = p.quantity + Decimal::from(n);
                cash -= n as f64 * per_share;
                p.value = Decimal::try_from(f64::try_from(q).unwrap() * per_share).unwrap();
                p.quantity = q;
            }
            None => {
                let price = last(t.as_str());
                let mut p = v.positions[0].clone();
                p.symbol = Symbol::new(t.as_str()).unwrap();
                p.quantity = Decimal::from(n);
                p.value = Decimal::try_from(n as f64 * price).unwrap();
                cash -= n as f64 * price;
                out.positions.push(p);
            }
        }
    }
    out.positions.retain(|p| p.quantity > Decimal::ZERO);
    out.cash = Decimal::try_from(cash).unwrap();
    let total: f64 = cash
        + out
            .positions
            .iter()
            .map(|p| f64::try_from(p.value).unwrap())
            .sum::<f64>();
    out.value = Decimal::try_from(total).unwrap();
    for p in &mut out.positions {
        p.weight = f64::try_from(p.value).unwrap() / total;
    }
    out
}

#[test]
fn the_sample_portfolio_rebalances_away_from_what_its_nudges_flag() {
    let (prices, instruments) = sample_universe();
    let portfolio = sample_portfolio();
    let valuation = portfolio.valuation(&prices, d("2018-04-11")).unwrap();
    let options = AdviceOptions::default();
    let before = concentration(&valuation, &instruments, &options.limits.concentration).unwrap();
    assert!(
        before.iter().any(|n| n.subject.as_deref() == Some("AMZN")),
        "the sample holds AMZN at about 35%"
    );
    for category in CATEGORIES {
        let rec = recommend(category, &prices, &instruments, &options).unwrap();
        let plan =
            rebalance_toward(&rec, &prices, &valuation, &RebalanceOptions::default()).unwrap();
        assert!(
            plan.trades.get("AMZN").is_some_and(|n| *n < 0),
            "{category:?} sells AMZN"
        );
        check_trades_against_nudges(
            &valuation,
            &rec,
            &prices,
            &instruments,
            &options.limits,
            &format!("sample {category:?}"),
        );
    }
}

#[test]
fn generated_portfolios_rebalance_away_from_what_their_nudges_flag() {
    let options = AdviceOptions::default();
    for seed in 1..=8u64 {
        let (prices, instruments) = generated(seed, 400);
        let mut rng = Lcg(seed * 7919);
        // A concentrated book: a few singles with random amounts.
        let mut portfolio = Portfolio::new(Currency::USD, d("2100-01-01"));
        let first = prices.dates()[0];
        let mut csv = format!(
            "date,type,symbol,quantity,price,fee,currency\n{first},deposit,,,100000,0,USD\n"
        );
        let mut spent = 0.0;
        for (i, col) in prices.columns().iter().enumerate().take(8) {
            if rng.next() < 0.4 {
                continue;
            }
            let price = prices.column(col.as_str()).unwrap()[0].unwrap();
            let budget = if i == 0 {
                40_000.0
            } else {
                5_000.0 + 8_000.0 * rng.next()
            };
            let q = (budget / price).floor();
            if q < 1.0 || spent + q * price > 99_000.0 {
                continue;
            }
            spent += q * price;
            csv.push_str(&format!("{first},buy,{col},{q},{price:.6},0,USD\n"));
        }
        portfolio
            .import(io::read_transactions_csv(csv.as_bytes()).unwrap(), false)
            .unwrap();
        let as_of = *prices.dates().last().unwrap();
        let valuation = portfolio.valuation(&prices, as_of).unwrap();
        for category in CATEGORIES {
            let rec = recommend(category, &prices, &instruments, &options).unwrap();
            check_trades_against_nudges(
                &valuation,
                &rec,
                &prices,
                &instruments,
                &options.limits,
                &format!("seed {seed} {category:?}"),
            );
        }
    }
}

#[test]
fn without_a_fund_the_limits_cannot_be_met_and_the_error_names_one() {
    let (prices, instruments) = sample_universe();
    let mut csv = Vec::new();
    prices.to_csv(&mut csv).unwrap();
    let csv = String::from_utf8(csv).unwrap();
    // Drop SPY: six single stocks cannot hold 60%+ of a portfolio at 10% each
    // and 40% together.
    let without: String = csv
        .lines()
        .map(|l| l.rsplit_once(',').map_or(l, |(a, _)| a).to_owned() + "\n")
        .collect();
    let singles = PriceFrame::from_csv(without.as_bytes()).unwrap();
    assert!(singles.column("SPY").is_none());
    match recommend(
        RiskCategory::Aggressive,
        &singles,
        &instruments,
        &AdviceOptions::default(),
    ) {
        Err(Error::Undiversifiable { reason }) => {
            assert!(reason.contains("SPY or VTI"), "{reason}");
        }
        other => panic!("expected Undiversifiable, got {other:?}"),
    }
}

#[test]
fn short_histories_and_alternatives_are_left_out_with_a_reason() {
    let (prices, _) = generated(3, 600);
    let gold_csv =
        "symbol,name,asset_class,sector,country,currency\nS3X0,Gold trust,commodity,,US,USD\n";
    let instruments = InstrumentTable::shipped()
        .with_mapping_csv(gold_csv.as_bytes())
        .unwrap();
    let options = AdviceOptions {
        min_observations: 10_000,
        ..AdviceOptions::default()
    };
    assert!(matches!(
        recommend(RiskCategory::Moderate, &prices, &instruments, &options),
        Err(Error::InvalidParameter { name: "prices", .. })
    ));
    let rec = recommend(
        RiskCategory::Moderate,
        &prices,
        &instruments,
        &AdviceOptions::default(),
    )
    .unwrap();
    let gold = rec.left_out.iter().find(|l| l.ticker == "S3X0").unwrap();
    assert!(gold.reason.contains("commodity"), "{}", gold.reason);
    assert!(!rec.weights.contains_key("S3X0"));
}

#[test]
fn bad_options_are_refused_with_the_setting_named() {
    let (prices, instruments) = sample_universe();
    let mut options = AdviceOptions::default();
    options.limits.concentration.single_holding = 2.0;
    assert!(matches!(
        recommend(RiskCategory::Moderate, &prices, &instruments, &options),
        Err(Error::InvalidParameter { name: "limits", .. })
    ));
    let options = AdviceOptions {
        risk_free_rate: f64::NAN,
        ..AdviceOptions::default()
    };
    assert!(matches!(
        recommend(RiskCategory::Moderate, &prices, &instruments, &options),
        Err(Error::InvalidParameter {
            name: "risk_free_rate",
            ..
        })
    ));
    let options: Result<AdviceOptions, _> = serde_json::from_str(r#"{"risk_free_rat": 0.01}"#);
    assert!(options.is_err(), "a misspelt setting is refused");
    let options: AdviceOptions =
        serde_json::from_str(r#"{"limits": {"concentration": {"single_holding": 0.08}}}"#).unwrap();
    assert!((options.limits.concentration.single_holding - 0.08).abs() < 1e-12);
    assert!((options.risk_free_rate - 0.02).abs() < 1e-12);
}

#[test]
fn a_held_symbol_no_source_prices_is_sold_at_its_own_valuation_price() {
    let (prices, instruments) = sample_universe();
    let mut valuation = sample_portfolio()
        .valuation(&prices, d("2018-04-11"))
        .unwrap();
    // Pretend one holding is priced only by the user's own trade.
    let mut extra = valuation.positions[0].clone();
    extra.symbol = Symbol::new("PRIVATECO").unwrap();
    extra.quantity = Decimal::from(10);
    extra.value = Decimal::from(1000);
    valuation.positions.push(extra);
    let rec = recommend(
        RiskCategory::Moderate,
        &prices,
        &instruments,
        &AdviceOptions::default(),
    )
    .unwrap();
    let plan = rebalance_toward(&rec, &prices, &valuation, &RebalanceOptions::default()).unwrap();
    assert_eq!(plan.trades.get("PRIVATECO"), Some(&-10));
}

#[test]
fn positions_are_keyed_by_ticker_in_a_map() {
    let (prices, instruments) = sample_universe();
    let rec = recommend(
        RiskCategory::Growth,
        &prices,
        &instruments,
        &AdviceOptions::default(),
    )
    .unwrap();
    let w = rec.to_weights().unwrap();
    let map: BTreeMap<Symbol, f64> = w.to_map();
    assert_eq!(map, rec.weights);
}
