//! Shared fixtures for the AuraVest benchmarks.
//!
//! [`synthetic_portfolio`] makes a deterministic universe of daily prices and a
//! transaction log over it, the same every run, so the Rust benches and the
//! Python peer scripts (which read the files [`write_portfolio_files`] writes)
//! measure identical work.
//!
//! [`llm`] holds what the local-model comparison's `llm_gemma` bench and
//! `llm_probe` binary share: the prompts and the way candle's model is run.

pub mod llm;
pub mod optimize_fixtures;

use std::io::Write as _;
use std::path::Path;

use auravest_ai::llm::sampling::Rng;
use auravest_core::{
    Currency, NaiveDate, PerformanceStats, Portfolio, PriceFrame, Returns, StatsOptions, Symbol,
    Transaction, TransactionRecord, io,
};

/// A small deterministic generator (SplitMix64, the LLM sampler's [`Rng`])
/// with a normal draw, so fixtures need no RNG crate. Its numbers are the
/// benches' inputs: a test pins them.
#[derive(Debug, Clone)]
pub struct SplitMix(Rng);

impl SplitMix {
    /// Seeds the generator.
    pub fn new(seed: u64) -> Self {
        Self(Rng::new(seed))
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0.next_u64()
    }

    /// Uniform in [0, 1).
    pub fn uniform(&mut self) -> f64 {
        self.0.next_f64()
    }

    /// Standard normal (Box-Muller).
    pub fn normal(&mut self) -> f64 {
        let u1 = self.uniform().max(f64::MIN_POSITIVE);
        let u2 = self.uniform();
        (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
    }

    /// `n` random unit vectors of `dim` dimensions: Gaussian coordinates,
    /// normalised (the vector-index benches and their peer's data).
    pub fn unit_vectors(&mut self, n: usize, dim: usize) -> Vec<Vec<f32>> {
        (0..n)
            .map(|_| {
                let mut v: Vec<f32> = (0..dim).map(|_| self.normal() as f32).collect();
                let norm = auravest_ai::embed::dot(&v, &v).sqrt();
                v.iter_mut().for_each(|x| *x /= norm);
                v
            })
            .collect()
    }
}

/// Weekdays from `start`, `n` of them.
pub fn trading_days(start: NaiveDate, n: usize) -> Vec<NaiveDate> {
    use chrono_like::Weekday;
    let mut out = Vec::with_capacity(n);
    let mut d = start;
    while out.len() < n {
        if !matches!(Weekday::of(d), Weekday::Sat | Weekday::Sun) {
            out.push(d);
        }
        d = d.succ_opt().unwrap_or(d);
    }
    out
}

/// Weekday arithmetic without depending on chrono directly.
mod chrono_like {
    use auravest_core::NaiveDate;

    pub(crate) enum Weekday {
        Sat,
        Sun,
        Other,
    }

    impl Weekday {
        pub(crate) fn of(d: NaiveDate) -> Self {
            // 1970-01-01 was a Thursday.
            let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or(NaiveDate::MIN);
            match (d - epoch).num_days().rem_euclid(7) {
                2 => Self::Sat,
                3 => Self::Sun,
                _ => Self::Other,
            }
        }
    }
}

/// A universe of `assets` prices over `days` trading days plus an index column
/// `BENCH`, and a log: one deposit, an initial buy of every asset, then a
/// quarterly trim of four holdings and top-up of four others.
pub fn synthetic_portfolio(
    assets: usize,
    days: usize,
    seed: u64,
) -> (PriceFrame, Vec<Transaction>) {
    let mut rng = SplitMix::new(seed);
    let dates = trading_days(
        NaiveDate::from_ymd_opt(2014, 1, 2).unwrap_or(NaiveDate::MIN),
        days,
    );
    let mut columns = Vec::with_capacity(assets + 1);
    let mut market = vec![0.0; days];
    for m in market.iter_mut() {
        *m = 0.0003 + 0.01 * rng.normal();
    }
    for a in 0..=assets {
        let beta = if a == assets {
            1.0
        } else {
            0.5 + rng.uniform()
        };
        let idio = if a == assets {
            0.0
        } else {
            0.005 + 0.015 * rng.uniform()
        };
        let mut p = 20.0 + 180.0 * rng.uniform();
        let col: Vec<Option<f64>> = market
            .iter()
            .map(|m| {
                p *= 1.0 + beta * m + idio * rng.normal();
                p = p.max(0.01);
                Some((p * 100.0).round() / 100.0)
            })
            .collect();
        let name = if a == assets {
            "BENCH".to_owned()
        } else {
            format!("S{a:03}")
        };
        columns.push((Symbol::new(&name).unwrap_or_else(|_| unreachable!()), col));
    }
    let frame = PriceFrame::new(dates.clone(), columns).unwrap_or_else(|e| unreachable!("{e}"));
    let rec =
        |d: NaiveDate, kind: &str, sym: Option<String>, q: Option<String>, p: Option<String>| {
            TransactionRecord {
                date: d.to_string(),
                kind: kind.to_owned(),
                symbol: sym,
                quantity: q,
                price: p,
                fee: Some("1".to_owned()),
                currency: "USD".to_owned(),
            }
            .validate()
            .unwrap_or_else(|e| unreachable!("{e:?}"))
        };
    let price = |a: usize, i: usize| frame.column_at(a).and_then(|c| c[i]).unwrap_or(1.0);
    let mut txs = vec![rec(
        dates[0],
        "deposit",
        None,
        None,
        Some("1000000".to_owned()),
    )];
    let mut held = vec![0u64; assets];
    for (a, h) in held.iter_mut().enumerate() {
        *h = (9000.0 / price(a, 0)).floor().max(1.0) as u64;
        txs.push(rec(
            dates[0],
            "buy",
            Some(format!("S{a:03}")),
            Some(h.to_string()),
            Some(price(a, 0).to_string()),
        ));
    }
    for (q, i) in (63..days).step_by(63).enumerate() {
        for k in 0..4 {
            let a = (q * 7 + k * 13) % assets;
            let sell = held[a] / 4;
            if sell > 0 {
                held[a] -= sell;
                txs.push(rec(
                    dates[i],
                    "sell",
                    Some(format!("S{a:03}")),
                    Some(sell.to_string()),
                    Some(price(a, i).to_string()),
                ));
            }
            let b = (q * 11 + k * 17 + 5) % assets;
            let buy = (2000.0 / price(b, i)).floor().max(1.0) as u64;
            held[b] += buy;
            txs.push(rec(
                dates[i],
                "buy",
                Some(format!("S{b:03}")),
                Some(buy.to_string()),
                Some(price(b, i).to_string()),
            ));
        }
    }
    (frame, txs)
}

/// What one run of the workload computes: the portfolio's statistics and each
/// holding's statistics against the index.
#[derive(Debug)]
pub struct Workload {
    /// The portfolio's daily values.
    pub values: usize,
    /// Portfolio statistics.
    pub portfolio: PerformanceStats,
    /// Statistics of every holding against `BENCH`.
    pub holdings: Vec<PerformanceStats>,
}

/// Values the portfolio over the whole frame, then computes its statistics and
/// those of every asset against the `BENCH` column.
///
/// # Errors
/// Any core error (none on the synthetic fixtures).
pub fn run_workload(frame: &PriceFrame, txs: &[Transaction]) -> auravest_core::Result<Workload> {
    let today = frame.dates().last().copied().unwrap_or(NaiveDate::MAX);
    let mut portfolio = Portfolio::new(Currency::USD, today);
    for t in txs {
        portfolio.insert(t.clone())?;
    }
    let start = frame.dates()[0];
    let series = portfolio.value_series(frame, start, today)?;
    let returns = series.daily_returns();
    let bench = frame.series("BENCH")?.returns();
    let portfolio_stats = PerformanceStats::compute(
        &returns,
        StatsOptions {
            risk_free_rate: 0.02,
            benchmark: Some(&bench),
        },
    )?;
    let mut holdings = Vec::new();
    for c in frame.columns().iter().filter(|c| c.as_str() != "BENCH") {
        let r: Returns = frame.series(c.as_str())?.returns();
        holdings.push(PerformanceStats::compute(
            &r,
            StatsOptions {
                risk_free_rate: 0.02,
                benchmark: Some(&bench),
            },
        )?);
    }
    Ok(Workload {
        values: series.points.len(),
        portfolio: portfolio_stats,
        holdings,
    })
}

/// Writes `prices.csv` and `transactions.csv` of the fixture into `dir`.
///
/// # Errors
/// I/O errors creating the files.
pub fn write_portfolio_files(
    dir: &Path,
    frame: &PriceFrame,
    txs: &[Transaction],
) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let mut prices = Vec::new();
    frame.to_csv(&mut prices).map_err(std::io::Error::other)?;
    std::fs::File::create(dir.join("prices.csv"))?.write_all(&prices)?;
    let mut tx = Vec::new();
    io::write_transactions_csv(&mut tx, txs).map_err(std::io::Error::other)?;
    std::fs::File::create(dir.join("transactions.csv"))?.write_all(&tx)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The generator stays SplitMix64: its numbers are every bench's inputs.
    #[test]
    fn split_mix_gives_the_reference_numbers() {
        // The first output for seed 1234567 in the reference implementation
        // (Vigna, splitmix64.c).
        let mut rng = SplitMix::new(1_234_567);
        assert_eq!(rng.next_u64(), 6_457_827_717_110_365_317);
        let mut rng = SplitMix::new(42);
        assert_eq!(rng.next_u64(), 13_679_457_532_755_275_413);
        assert_eq!(rng.next_u64(), 2_949_826_092_126_892_291);
        let mut rng = SplitMix::new(1_234_567);
        assert_eq!(
            rng.uniform().to_bits(),
            0.350_079_542_021_408_1_f64.to_bits()
        );
    }
}
