//! Black-Litterman: a market-implied prior, views, and the posterior.
//!
//! Notation: `N` assets with (annual) covariance `Σ`, `K` views given by a
//! picking matrix `P` (`K x N`) and view returns `Q` (`K`), prior returns `π`,
//! and the view uncertainty `Ω` (`K x K`), scaled by `τ` (default 0.05).
//!
//! * [`market_implied_risk_aversion`]: `δ = (R - r_f) / σ²`, with `R` and
//!   `σ²` the mean and sample variance (`ddof = 1`) of the market's simple
//!   returns, each times the frequency (252 for daily prices), and `r_f` the
//!   annual risk-free rate (PyPortfolioOpt's `market_implied_risk_aversion`).
//! * [`market_implied_prior_returns`]: `π = δ Σ w_mkt + r_f`, with
//!   `w_mkt = caps / Σ caps`.
//! * [`Views`]: absolute (`E[r_a] = q`), relative (`E[r_a] - E[r_b] = q`) or
//!   any portfolio of assets (`Σ p_i E[r_i] = q`), or `P` and `Q` directly.
//! * [`Omega`]: He and Litterman's default `Ω = diag(τ P Σ P')`; Idzorek's
//!   confidences `c_k ∈ [0, 1]` in the closed form PyPortfolioOpt uses
//!   (Walters 2014): `Ω_kk = τ (1 - c_k) / c_k · p_k Σ p_k'` (100% confidence
//!   gives `Ω_kk = 0`, 0% gives PyPortfolioOpt's `1e6`); or a given matrix.
//! * [`BlackLitterman`]: with `A = P τΣ P' + Ω`,
//!   posterior returns `μ = π + τΣ P' A⁻¹ (Q - P π)` and posterior covariance
//!   `Σ_post = Σ + τΣ - τΣ P' A⁻¹ P τΣ` (He and Litterman 2002). A singular
//!   `A` is solved in the least-squares sense, as PyPortfolioOpt does.
//! * [`BlackLitterman::weights`]: PyPortfolioOpt's `bl_weights(δ)`, the
//!   unconstrained weights `w ∝ (δ Σ)⁻¹ μ` normalised to sum to 1 (with the
//!   prior `Σ`, as PyPortfolioOpt, and `μ` including the risk-free rate).

use std::collections::BTreeMap;

use auravest_core::Symbol;

use nalgebra::{DMatrix, DVector};

use crate::{CovarianceMatrix, Error, ExpectedReturns, Result, Weights};

/// PyPortfolioOpt's default `τ`.
pub const DEFAULT_TAU: f64 = 0.05;

/// The view uncertainty `Ω` given to a view with 0% Idzorek confidence.
pub const ZERO_CONFIDENCE_OMEGA: f64 = 1e6;

fn invalid(name: &'static str, reason: impl Into<String>) -> Error {
    Error::InvalidParameter {
        name,
        reason: reason.into(),
    }
}

/// The market's implied risk aversion `δ = (R - r_f) / σ²` from its prices.
///
/// `market_prices` are consecutive prices of the market portfolio (for example
/// SPY closes), `frequency` the periods a year (252 for daily prices) and
/// `risk_free_rate` annual.
///
/// # Errors
/// [`Error::InsufficientHistory`] with fewer than 3 prices;
/// [`Error::InvalidParameter`] for a price that is not finite and positive, a
/// non-positive frequency, a constant market, or a market whose mean return
/// is at or below the risk-free rate (the implied risk aversion would not be
/// positive, and Black-Litterman needs `δ > 0`).
pub fn market_implied_risk_aversion(
    market_prices: &[f64],
    frequency: f64,
    risk_free_rate: f64,
) -> Result<f64> {
    if market_prices.len() < 3 {
        return Err(Error::InsufficientHistory {
            ticker: "market".to_owned(),
            needed: 3,
            got: market_prices.len(),
        });
    }
    if let Some((i, p)) = market_prices
        .iter()
        .enumerate()
        .find(|(_, p)| !(p.is_finite() && **p > 0.0))
    {
        return Err(invalid(
            "market_prices",
            format!("price {i} is {p}; prices must be finite and positive"),
        ));
    }
    if !(frequency.is_finite() && frequency > 0.0 && risk_free_rate.is_finite()) {
        return Err(invalid(
            "frequency",
            format!(
                "frequency {frequency} and risk-free rate {risk_free_rate} must be finite, the frequency positive"
            ),
        ));
    }
    let rets: Vec<f64> = market_prices
        .windows(2)
        .map(|w| w[1] / w[0] - 1.0)
        .collect();
    let n = rets.len() as f64;
    let mean = rets.iter().sum::<f64>() / n;
    let var = rets.iter().map(|r| (r - mean) * (r - mean)).sum::<f64>() / (n - 1.0);
    if !(var > 0.0) {
        return Err(invalid(
            "market_prices",
            "the market's returns are constant",
        ));
    }
    let r = mean * frequency;
    let delta = (r - risk_free_rate) / (var * frequency);
    if !(delta > 0.0) {
        return Err(invalid(
            "market_prices",
            format!(
                "the market's annual mean return {r} is not above the risk-free rate {risk_free_rate}, \
                 so its implied risk aversion ({delta}) is not positive; use a longer history or set δ yourself"
            ),
        ));
    }
    Ok(delta)
}

/// Market-implied prior returns `π = δ Σ w_mkt + r_f`.
///
/// `market_caps` must name exactly the tickers of `cov` (a zero cap is allowed).
///
/// # Errors
/// [`Error::UnknownTicker`] for a cap on a ticker `cov` lacks;
/// [`Error::InvalidParameter`] for a missing, negative or non-finite cap, caps
/// summing to zero, a non-positive or non-finite `risk_aversion`, or a
/// non-finite `risk_free_rate`.
pub fn market_implied_prior_returns(
    market_caps: &BTreeMap<Symbol, f64>,
    risk_aversion: f64,
    cov: &CovarianceMatrix,
    risk_free_rate: f64,
) -> Result<ExpectedReturns> {
    check_risk_aversion(risk_aversion)?;
    if !risk_free_rate.is_finite() {
        return Err(invalid(
            "risk_free_rate",
            format!("{risk_free_rate} is not finite"),
        ));
    }
    if let Some(t) = market_caps.keys().find(|t| !cov.tickers().contains(t)) {
        return Err(Error::UnknownTicker(t.to_string()));
    }
    let mut caps = Vec::with_capacity(cov.len());
    for t in cov.tickers() {
        match market_caps.get(t) {
            Some(&c) if c.is_finite() && c >= 0.0 => caps.push(c),
            Some(&c) => {
                return Err(invalid(
                    "market_caps",
                    format!("{t} has market cap {c}; caps must be finite and non-negative"),
                ));
            }
            None => return Err(invalid("market_caps", format!("{t} has no market cap"))),
        }
    }
    let total: f64 = caps.iter().sum();
    if !(total > 0.0) {
        return Err(invalid("market_caps", "the market caps sum to zero"));
    }
    let w = DVector::from_iterator(caps.len(), caps.iter().map(|c| c / total));
    let pi = (cov.matrix() * w) * risk_aversion;
    ExpectedReturns::new(
        cov.tickers().to_vec(),
        pi.iter().map(|v| v + risk_free_rate).collect(),
    )
}

fn check_risk_aversion(risk_aversion: f64) -> Result<()> {
    if risk_aversion.is_finite() && risk_aversion > 0.0 {
        Ok(())
    } else {
        Err(invalid(
            "risk_aversion",
            format!("{risk_aversion} must be finite and positive"),
        ))
    }
}

/// Investor views on expected returns: rows of `P` with their `Q`.
#[derive(Debug, Clone, PartialEq)]
pub struct Views {
    tickers: Vec<Symbol>,
    picks: Vec<DVector<f64>>,
    returns: Vec<f64>,
}

impl Views {
    /// No views yet, on the universe `tickers` (the covariance's, in order).
    pub fn new(tickers: &[Symbol]) -> Self {
        Self {
            tickers: tickers.to_vec(),
            picks: Vec::new(),
            returns: Vec::new(),
        }
    }

    /// Absolute views `{ticker: expected annual return}`, in the given order
    /// (PyPortfolioOpt's `absolute_views`).
    ///
    /// # Errors
    /// As [`Views::absolute`].
    pub fn from_absolute(tickers: &[Symbol], views: &[(Symbol, f64)]) -> Result<Self> {
        let mut v = Self::new(tickers);
        for (t, q) in views {
            v.absolute(t.as_str(), *q)?;
        }
        Ok(v)
    }

    /// Views given as a `K x N` picking matrix and `K` view returns.
    ///
    /// # Errors
    /// [`Error::DimensionMismatch`] when the shapes disagree with the tickers,
    /// as [`Views::portfolio`] otherwise.
    pub fn from_matrices(tickers: &[Symbol], p: &DMatrix<f64>, q: &DVector<f64>) -> Result<Self> {
        if p.ncols() != tickers.len() || p.nrows() != q.len() {
            return Err(Error::DimensionMismatch {
                what: format!(
                    "a {}x{} picking matrix with {} view returns for {} tickers",
                    p.nrows(),
                    p.ncols(),
                    q.len(),
                    tickers.len()
                ),
            });
        }
        let mut v = Self::new(tickers);
        for k in 0..p.nrows() {
            v.push(p.row(k).transpose(), q[k])?;
        }
        Ok(v)
    }

    fn index(&self, ticker: &str) -> Result<usize> {
        self.tickers
            .iter()
            .position(|t| t.as_str().eq_ignore_ascii_case(ticker))
            .ok_or_else(|| Error::UnknownTicker(ticker.to_owned()))
    }

    fn push(&mut self, pick: DVector<f64>, q: f64) -> Result<&mut Self> {
        if !q.is_finite() {
            return Err(Error::NonFinite {
                what: "view returns",
                index: self.returns.len().to_string(),
            });
        }
        if pick.iter().any(|v| !v.is_finite()) {
            return Err(Error::NonFinite {
                what: "picking matrix",
                index: self.returns.len().to_string(),
            });
        }
        if pick.iter().all(|v| *v == 0.0) {
            return Err(invalid(
                "views",
                format!("view {} picks no asset", self.returns.len()),
            ));
        }
        self.picks.push(pick);
        self.returns.push(q);
        Ok(self)
    }

    /// Adds the view "`ticker` returns `expected_return` a year" (the ticker in
    /// any case: symbols are upper case).
    ///
    /// # Errors
    /// [`Error::UnknownTicker`]; [`Error::NonFinite`] for a non-finite return.
    pub fn absolute(&mut self, ticker: &str, expected_return: f64) -> Result<&mut Self> {
        let i = self.index(ticker)?;
        let mut pick = DVector::zeros(self.tickers.len());
        pick[i] = 1.0;
        self.push(pick, expected_return)
    }

    /// Adds the view "`outperformer` returns `by` a year more than `underperformer`".
    ///
    /// # Errors
    /// [`Error::UnknownTicker`]; [`Error::InvalidParameter`] when both name the
    /// same ticker; [`Error::NonFinite`].
    pub fn relative(
        &mut self,
        outperformer: &str,
        underperformer: &str,
        by: f64,
    ) -> Result<&mut Self> {
        let (a, b) = (self.index(outperformer)?, self.index(underperformer)?);
        if a == b {
            return Err(invalid(
                "views",
                format!("a relative view compares {outperformer} with itself"),
            ));
        }
        let mut pick = DVector::zeros(self.tickers.len());
        pick[a] = 1.0;
        pick[b] = -1.0;
        self.push(pick, by)
    }

    /// Adds the view "the portfolio `Σ coefficient · asset` returns `expected_return`"
    /// (coefficients of a ticker named twice add up).
    ///
    /// # Errors
    /// [`Error::UnknownTicker`]; [`Error::InvalidParameter`] when every
    /// coefficient is zero; [`Error::NonFinite`].
    pub fn portfolio(&mut self, picks: &[(&str, f64)], expected_return: f64) -> Result<&mut Self> {
        let mut pick = DVector::zeros(self.tickers.len());
        for (t, c) in picks {
            pick[self.index(t)?] += c;
        }
        self.push(pick, expected_return)
    }

    /// The tickers.
    pub fn tickers(&self) -> &[Symbol] {
        &self.tickers
    }

    /// Number of views `K`.
    pub fn len(&self) -> usize {
        self.returns.len()
    }

    /// Whether there are no views.
    pub fn is_empty(&self) -> bool {
        self.returns.is_empty()
    }

    /// The picking matrix `P` (`K x N`).
    pub fn p(&self) -> DMatrix<f64> {
        DMatrix::from_fn(self.picks.len(), self.tickers.len(), |k, i| {
            self.picks[k][i]
        })
    }

    /// The view returns `Q` (`K`).
    pub fn q(&self) -> DVector<f64> {
        DVector::from_column_slice(&self.returns)
    }
}

/// The uncertainty of the views, `Ω`.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Omega {
    /// He and Litterman: `Ω = diag(τ P Σ P')`.
    #[default]
    Proportional,
    /// Idzorek's method: one confidence in `[0, 1]` per view.
    Idzorek(Vec<f64>),
    /// A given `K x K` matrix.
    Matrix(DMatrix<f64>),
}

/// Settings of a [`BlackLitterman`] model.
#[derive(Debug, Clone, PartialEq)]
pub struct BlackLittermanOptions {
    /// The weight-on-views scalar `τ`, in `(0, 1]`.
    pub tau: f64,
    /// The view uncertainty.
    pub omega: Omega,
}

impl Default for BlackLittermanOptions {
    fn default() -> Self {
        Self {
            tau: DEFAULT_TAU,
            omega: Omega::default(),
        }
    }
}

/// A Black-Litterman posterior.
#[derive(Debug, Clone, PartialEq)]
pub struct BlackLitterman {
    cov: CovarianceMatrix,
    omega: DMatrix<f64>,
    posterior_returns: ExpectedReturns,
    posterior_cov: CovarianceMatrix,
}

/// Solves `a x = b`, in the least-squares sense when `a` is singular.
fn solve(a: &DMatrix<f64>, b: &DMatrix<f64>) -> Result<DMatrix<f64>> {
    if let Some(x) = a.clone().lu().solve(b)
        && x.iter().all(|v| v.is_finite())
    {
        return Ok(x);
    }
    let scale = a
        .iter()
        .fold(0.0f64, |m, v| m.max(v.abs()))
        .max(f64::MIN_POSITIVE);
    let eps = scale * f64::EPSILON * a.nrows().max(1) as f64;
    a.clone()
        .svd(true, true)
        .solve(b, eps)
        .map_err(|e| Error::Solver {
            status: format!("least-squares solve failed: {e}"),
        })
}

impl BlackLitterman {
    /// The posterior of `prior` under `views`, with covariance `cov`.
    ///
    /// # Errors
    /// [`Error::DimensionMismatch`] when `cov`, `prior` and `views` name
    /// different tickers, or `Ω` is not `K x K`; [`Error::InvalidParameter`]
    /// for `τ` outside `(0, 1]`, a confidence outside `[0, 1]` or a count of
    /// confidences other than `K`, or a custom `Ω` with a non-finite or
    /// negative diagonal entry; [`Error::Solver`] if the linear solve fails.
    pub fn new(
        cov: &CovarianceMatrix,
        prior: &ExpectedReturns,
        views: &Views,
        options: &BlackLittermanOptions,
    ) -> Result<Self> {
        cov.check_matches(prior)?;
        if views.tickers() != cov.tickers() {
            return Err(Error::DimensionMismatch {
                what: "the views and the covariance name different tickers".to_owned(),
            });
        }
        let tau = options.tau;
        if !(tau > 0.0 && tau <= 1.0) {
            return Err(invalid("tau", format!("{tau} must be in (0, 1]")));
        }
        let sigma = cov.matrix();
        let p = views.p();
        let k = views.len();
        let view_var = |row: usize| {
            let pk = p.row(row);
            (pk * sigma * pk.transpose())[(0, 0)]
        };
        let omega = match &options.omega {
            Omega::Proportional => {
                let tp = &p * tau;
                let full = &tp * sigma * p.transpose();
                DMatrix::from_diagonal(&full.diagonal())
            }
            Omega::Idzorek(conf) => {
                if conf.len() != k {
                    return Err(invalid(
                        "view_confidences",
                        format!("{} confidences for {k} views", conf.len()),
                    ));
                }
                let mut diag = DVector::zeros(k);
                for (i, &c) in conf.iter().enumerate() {
                    if !(0.0..=1.0).contains(&c) {
                        return Err(invalid(
                            "view_confidences",
                            format!("confidence {i} is {c}; confidences are in [0, 1]"),
                        ));
                    }
                    diag[i] = if c == 0.0 {
                        ZERO_CONFIDENCE_OMEGA
                    } else {
                        tau * ((1.0 - c) / c) * view_var(i)
                    };
                }
                DMatrix::from_diagonal(&diag)
            }
            Omega::Matrix(m) => {
                if m.nrows() != k || m.ncols() != k {
                    return Err(Error::DimensionMismatch {
                        what: format!("omega is {}x{} for {k} views", m.nrows(), m.ncols()),
                    });
                }
                if let Some(i) = (0..k).find(|&i| !(m[(i, i)].is_finite() && m[(i, i)] >= 0.0)) {
                    return Err(invalid(
                        "omega",
                        format!(
                            "diagonal entry {i} is {}; it must be finite and non-negative",
                            m[(i, i)]
                        ),
                    ));
                }
                if m.iter().any(|v| !v.is_finite()) {
                    return Err(Error::NonFinite {
                        what: "omega",
                        index: "off-diagonal".to_owned(),
                    });
                }
                m.clone()
            }
        };
        let pi = prior.values();
        let (post_ret, post_cov) = if k == 0 {
            (pi.clone(), sigma * (1.0 + tau))
        } else {
            let tau_sigma_pt = (sigma * tau) * p.transpose();
            let a = &p * &tau_sigma_pt + &omega;
            let b = views.q() - &p * pi;
            let b = DMatrix::from_column_slice(k, 1, b.as_slice());
            let sol = solve(&a, &b)?;
            let post_ret = pi + (&tau_sigma_pt * sol).column(0);
            let m_sol = solve(&a, &tau_sigma_pt.transpose())?;
            let m = sigma * tau - &tau_sigma_pt * m_sol;
            let post = sigma + m;
            let sym = (&post + post.transpose()) * 0.5;
            (post_ret, sym)
        };
        Ok(Self {
            cov: cov.clone(),
            omega,
            posterior_returns: ExpectedReturns::new(
                cov.tickers().to_vec(),
                post_ret.iter().copied().collect(),
            )?,
            posterior_cov: CovarianceMatrix::new(cov.tickers().to_vec(), post_cov)?,
        })
    }

    /// The view uncertainty `Ω` used.
    pub fn omega(&self) -> &DMatrix<f64> {
        &self.omega
    }

    /// Posterior expected returns `μ`.
    pub fn posterior_returns(&self) -> &ExpectedReturns {
        &self.posterior_returns
    }

    /// Posterior covariance `Σ_post`.
    pub fn posterior_covariance(&self) -> &CovarianceMatrix {
        &self.posterior_cov
    }

    /// PyPortfolioOpt's `bl_weights(risk_aversion)`: `w = (δ Σ)⁻¹ μ / 1'(δ Σ)⁻¹ μ`,
    /// unconstrained (shorts allowed), with the prior covariance `Σ`.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for a non-positive `risk_aversion` or when
    /// the raw weights sum to zero (normalising is undefined);
    /// [`Error::Solver`] if the linear solve fails.
    pub fn weights(&self, risk_aversion: f64) -> Result<Weights> {
        check_risk_aversion(risk_aversion)?;
        let a = self.cov.matrix() * risk_aversion;
        let mu = self.posterior_returns.values();
        let b = DMatrix::from_column_slice(mu.len(), 1, mu.as_slice());
        let raw = solve(&a, &b)?;
        let total = raw.sum();
        let scale = raw.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        if !(total.abs() > 1e-12 * scale) {
            return Err(invalid(
                "weights",
                "the posterior-implied weights sum to zero, so they cannot be normalised",
            ));
        }
        Weights::new(
            self.cov.tickers().to_vec(),
            raw.iter().map(|v| v / total).collect(),
        )
    }
}

/// PyPortfolioOpt's default risk aversion `δ` for the prior and the weights.
pub const DEFAULT_RISK_AVERSION: f64 = 1.0;

/// A Black-Litterman allocation asked of daily closes (see [`from_prices`]).
#[derive(Debug, Clone, PartialEq)]
pub struct PriceRequest {
    /// Market capitalisation of every ticker of the prices.
    pub market_caps: BTreeMap<Symbol, f64>,
    /// Absolute views: expected annual return by ticker.
    pub views: Vec<(Symbol, f64)>,
    /// Idzorek confidences in `[0, 1]`, one per view; `None` for
    /// [`Omega::Proportional`].
    pub confidences: Option<Vec<f64>>,
    /// Risk aversion `δ` of the prior and the weights. Default
    /// [`DEFAULT_RISK_AVERSION`].
    pub risk_aversion: f64,
    /// The weight-on-views scalar `τ`. Default [`DEFAULT_TAU`].
    pub tau: f64,
    /// Annual risk-free rate added to the prior. Default 0, as PyPortfolioOpt.
    pub risk_free_rate: f64,
    /// The covariance estimator. Default sample covariance.
    pub risk_model: crate::risk_models::Estimator,
}

impl PriceRequest {
    /// A request with these caps and views and every other setting at its
    /// default.
    pub fn new(market_caps: BTreeMap<Symbol, f64>, views: Vec<(Symbol, f64)>) -> Self {
        Self {
            market_caps,
            views,
            confidences: None,
            risk_aversion: DEFAULT_RISK_AVERSION,
            tau: DEFAULT_TAU,
            risk_free_rate: 0.0,
            risk_model: crate::risk_models::Estimator::default(),
        }
    }
}

/// [`from_prices`]' answer.
#[derive(Debug, Clone, PartialEq)]
pub struct PriceAnswer {
    /// The market-implied prior returns.
    pub prior: ExpectedReturns,
    /// The posterior returns under the views.
    pub posterior: ExpectedReturns,
    /// The posterior's weights ([`BlackLitterman::weights`]: unconstrained,
    /// shorts allowed).
    pub weights: Weights,
}

/// Black-Litterman on daily closes: the covariance of `request.risk_model`
/// (pairwise missing data), the market-implied prior from the caps
/// ([`market_implied_prior_returns`]), absolute views, the posterior
/// ([`BlackLitterman::new`]) and its weights ([`BlackLitterman::weights`]).
///
/// # Errors
/// The returns' and the estimator's errors, and those of
/// [`market_implied_prior_returns`], [`Views::absolute`],
/// [`BlackLitterman::new`] and [`BlackLitterman::weights`].
pub fn from_prices(
    prices: &auravest_core::PriceFrame,
    request: &PriceRequest,
) -> Result<PriceAnswer> {
    let returns = crate::ReturnMatrix::from_prices(prices)?;
    let cov = request
        .risk_model
        .estimate(&returns, crate::MissingData::Pairwise)?;
    let prior = market_implied_prior_returns(
        &request.market_caps,
        request.risk_aversion,
        &cov,
        request.risk_free_rate,
    )?;
    let views = Views::from_absolute(cov.tickers(), &request.views)?;
    let options = BlackLittermanOptions {
        tau: request.tau,
        omega: request
            .confidences
            .clone()
            .map_or(Omega::Proportional, Omega::Idzorek),
    };
    let model = BlackLitterman::new(&cov, &prior, &views, &options)?;
    let weights = model.weights(request.risk_aversion)?;
    Ok(PriceAnswer {
        prior,
        posterior: model.posterior_returns().clone(),
        weights,
    })
}
