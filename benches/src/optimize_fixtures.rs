//! Fixtures for the optimisation benches: the shared 20-stock estimates and
//! synthetic factor-model universes, written to files the PyPortfolioOpt peer
//! script reads so both sides optimise identical inputs.

use std::fmt::Write as _;
use std::path::Path;

use auravest_core::Symbol;
use auravest_optimize::{CovarianceMatrix, ExpectedReturns, MeanVariance};
use nalgebra::DMatrix;

use crate::SplitMix;

/// One benchmark universe: estimates, the daily returns they came from, and
/// the efficient-risk target used on both sides.
#[derive(Debug, Clone)]
pub struct Universe {
    /// `shared20`, `syn100` or `syn500`.
    pub name: String,
    /// Annual expected returns.
    pub mu: ExpectedReturns,
    /// Annual covariance.
    pub cov: CovarianceMatrix,
    /// Daily returns (T x N), complete.
    pub returns: DMatrix<f64>,
    /// Target volatility for efficient-risk: 1.25 x the minimum volatility.
    pub target_volatility: f64,
}

/// Daily returns of `n` assets over `days` from a three-factor model.
pub fn factor_returns(n: usize, days: usize, seed: u64) -> DMatrix<f64> {
    let mut rng = SplitMix::new(seed);
    let loadings: Vec<[f64; 3]> = (0..n)
        .map(|_| {
            [
                0.6 + 0.8 * rng.uniform(),
                rng.normal() * 0.5,
                rng.normal() * 0.3,
            ]
        })
        .collect();
    let idio: Vec<f64> = (0..n).map(|_| 0.008 + 0.015 * rng.uniform()).collect();
    let drift: Vec<f64> = (0..n).map(|_| 0.0001 + 0.0008 * rng.uniform()).collect();
    let mut out = DMatrix::zeros(days, n);
    for t in 0..days {
        let f = [
            0.009 * rng.normal(),
            0.005 * rng.normal(),
            0.004 * rng.normal(),
        ];
        for j in 0..n {
            let l = loadings[j];
            out[(t, j)] =
                drift[j] + l[0] * f[0] + l[1] * f[1] + l[2] * f[2] + idio[j] * rng.normal();
        }
    }
    out
}

/// Geometric annual mean and annual sample covariance of complete returns.
///
/// # Errors
/// Never for finite input; the constructor's errors otherwise.
pub fn estimates(
    names: Vec<Symbol>,
    r: &DMatrix<f64>,
) -> auravest_optimize::Result<(ExpectedReturns, CovarianceMatrix)> {
    let (t, n) = (r.nrows() as f64, r.ncols());
    let mu: Vec<f64> = (0..n)
        .map(|j| {
            r.column(j)
                .iter()
                .fold(1.0, |g, x| g * (1.0 + x))
                .powf(252.0 / t)
                - 1.0
        })
        .collect();
    let means = r.row_mean();
    let centred = DMatrix::from_fn(r.nrows(), n, |i, j| r[(i, j)] - means[j]);
    let mut s = centred.transpose() * &centred * (252.0 / (t - 1.0));
    s = (&s + s.transpose()) * 0.5;
    Ok((
        ExpectedReturns::new(names.clone(), mu)?,
        CovarianceMatrix::new(names, s)?,
    ))
}

/// A synthetic universe of `n` assets over `days`.
///
/// # Errors
/// As [`estimates`] and the optimiser.
pub fn synthetic(n: usize, days: usize) -> auravest_optimize::Result<Universe> {
    let returns = factor_returns(n, days, 7 + n as u64);
    let names = (0..n)
        .map(|i| Symbol::new(&format!("A{i:03}")))
        .collect::<Result<Vec<_>, _>>()?;
    let (mu, cov) = estimates(names, &returns)?;
    let minvol = MeanVariance::new(mu.clone(), cov.clone())?.min_volatility(0.02)?;
    Ok(Universe {
        name: format!("syn{n}"),
        target_volatility: 1.25 * minvol.performance.volatility,
        mu,
        cov,
        returns,
    })
}

/// Writes `mu.csv`, `cov.csv`, `returns.csv` and `params.json` for `u` into `dir/<name>/`.
///
/// # Errors
/// I/O errors.
pub fn write_universe(dir: &Path, u: &Universe) -> std::io::Result<()> {
    let d = dir.join(&u.name);
    std::fs::create_dir_all(&d)?;
    let names = u.mu.tickers();
    let mut mu = String::from("ticker,mu\n");
    for (t, v) in names.iter().zip(u.mu.values().iter()) {
        let _ = writeln!(mu, "{t},{v:e}");
    }
    std::fs::write(d.join("mu.csv"), mu)?;
    let matrix = |m: &DMatrix<f64>| {
        let mut s = names
            .iter()
            .map(Symbol::as_str)
            .collect::<Vec<_>>()
            .join(",");
        s.push('\n');
        for i in 0..m.nrows() {
            let row: Vec<String> = (0..m.ncols()).map(|j| format!("{:e}", m[(i, j)])).collect();
            s.push_str(&row.join(","));
            s.push('\n');
        }
        s
    };
    std::fs::write(d.join("cov.csv"), matrix(u.cov.matrix()))?;
    std::fs::write(d.join("returns.csv"), matrix(&u.returns))?;
    std::fs::write(
        d.join("params.json"),
        format!(
            "{{\"target_volatility\": {:e}, \"risk_free_rate\": 0.02}}\n",
            u.target_volatility
        ),
    )
}

/// The shared 20-stock universe with PyPortfolioOpt's own estimates (from the
/// anchors: geometric mean and sample covariance) and its daily returns (NaN
/// before each late listing).
///
/// # Errors
/// Missing or malformed shared files, as a message.
pub fn shared20(shared: &Path) -> Result<Universe, String> {
    let text = std::fs::read_to_string(shared.join("anchors/pypfopt_reference.json"))
        .map_err(|e| e.to_string())?;
    let a: serde_json::Value = serde_json::from_str(&text).map_err(|e| e.to_string())?;
    let names: Vec<Symbol> = a["meta"]["data"]["tickers"]
        .as_array()
        .ok_or("anchors lack tickers")?
        .iter()
        .filter_map(|t| t.as_str()?.parse().ok())
        .collect();
    let mu: Vec<f64> = names
        .iter()
        .map(|t| {
            a["expected_returns"]["mean_historical_return"][t.as_str()]
                .as_f64()
                .unwrap_or(f64::NAN)
        })
        .collect();
    let rows = a["risk_models"]["sample_cov"]["values"]
        .as_array()
        .ok_or("anchors lack sample_cov")?;
    let n = names.len();
    let s = DMatrix::from_fn(n, n, |i, j| rows[i][j].as_f64().unwrap_or(f64::NAN));
    let mu = ExpectedReturns::new(names.clone(), mu).map_err(|e| e.to_string())?;
    let cov = CovarianceMatrix::new(names, s).map_err(|e| e.to_string())?;
    let prices = std::fs::read(shared.join("data/stock_prices.csv")).map_err(|e| e.to_string())?;
    let frame =
        auravest_core::PriceFrame::from_csv(prices.as_slice()).map_err(|e| e.to_string())?;
    let returns =
        auravest_optimize::ReturnMatrix::from_prices(&frame).map_err(|e| e.to_string())?;
    Ok(Universe {
        name: "shared20".to_owned(),
        mu,
        cov,
        returns: returns.values().clone(),
        target_volatility: 0.25,
    })
}

/// The universe's daily returns as a [`ReturnMatrix`](auravest_optimize::ReturnMatrix),
/// dated on consecutive weekdays.
///
/// # Panics
/// Never for the fixtures this module builds (their shapes always agree).
pub fn return_matrix(u: &Universe) -> auravest_optimize::ReturnMatrix {
    let start =
        auravest_core::NaiveDate::from_ymd_opt(2014, 1, 2).unwrap_or(auravest_core::NaiveDate::MIN);
    let dates = crate::trading_days(start, u.returns.nrows());
    auravest_optimize::ReturnMatrix::new(u.mu.tickers().to_vec(), dates, u.returns.clone())
        .unwrap_or_else(|e| unreachable!("fixture shapes agree: {e}"))
}
