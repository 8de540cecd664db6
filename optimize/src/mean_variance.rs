//! Mean-variance optimisation: minimum volatility, maximum Sharpe, efficient
//! risk and return, maximum quadratic utility, and the efficient frontier,
//! under per-asset bounds, group (sector) bounds, general linear constraints,
//! long-short or market-neutral exposure, L2 regularisation and a turnover
//! cost, with optional cardinality (at most K holdings) and a minimum size for
//! every position held.
//!
//! Objectives, with `S` the annual covariance, `mu` the expected returns,
//! `γ` the L2 weight and `c` the cost per unit of turnover against current
//! weights `w0`:
//!
//! | method | problem |
//! |---|---|
//! | [`MeanVariance::min_volatility`] | min `w'Sw + γ‖w‖² + c‖w - w0‖₁` |
//! | [`MeanVariance::max_quadratic_utility`] | max `mu'w - (δ/2) w'Sw - γ‖w‖² - c‖w - w0‖₁` |
//! | [`MeanVariance::efficient_return`] | min `w'Sw + γ‖w‖² + c‖w - w0‖₁` s.t. `mu'w ≥ r*` |
//! | [`MeanVariance::efficient_risk`] | max `mu'w - γ‖w‖² - c‖w - w0‖₁` s.t. `w'Sw ≤ σ*²` |
//! | [`MeanVariance::max_sharpe`] | max `(mu'w - rf) / √(w'Sw)`, solved exactly as min `y'Sy` s.t. `(mu - rf)'y = 1` with `w = y / κ` (Cornuejols and Tütüncü's change of variables; bounds and constraints scale with `κ`) |
//!
//! Every problem also has `Σw = 1` (or `0` for market-neutral) and the
//! constraints. Long-only problems with box bounds only run on an active-set
//! method (exact, fast, warm-started across frontier points); everything else
//! runs on Clarabel. Efficient risk on those problems walks the critical line
//! down from the maximum-return portfolio (the frontier is piecewise linear
//! in `1/δ`, so the segment holding the target is found and solved exactly);
//! with L2 regularisation, or where that walk cannot decide (ties in expected
//! return at the top, a singular covariance block), a bisection on the risk
//! aversion `δ` over warm-started active-set solves takes over.
//!
//! **Cardinality.** With [`MeanVariance::max_holdings`] or
//! [`MeanVariance::min_position`], the problem is mixed-integer. Up to
//! [`EXACT_CARDINALITY_LIMIT`] assets it is solved exactly by branch and bound
//! (each node fixes assets out, or in with their minimum size, and its
//! relaxation drops the count limit, a valid lower bound). Beyond that a
//! documented heuristic runs: solve without the limit, keep the K largest
//! weights, re-solve on them, then repeatedly drop the smallest position below
//! the minimum size and re-solve.

use auravest_core::Symbol;
use nalgebra::{DMatrix, DVector};

use crate::conic::{ConicProblem, Row};
use crate::critical_line::Path;
use crate::qp::{BoxQp, QpFailure, QpSolution, Status};
use crate::{
    CovarianceMatrix, Error, ExpectedReturns, Performance, Result, Weights, portfolio_performance,
};

/// Universes up to this size get exact branch and bound for cardinality.
pub const EXACT_CARDINALITY_LIMIT: usize = 30;

/// A bound on the total weight of a group of assets (a sector, a region).
#[derive(Debug, Clone, PartialEq)]
pub struct GroupBound {
    /// A name for messages.
    pub name: String,
    /// Member indices.
    pub members: Vec<usize>,
    /// Lowest total weight.
    pub lower: f64,
    /// Highest total weight.
    pub upper: f64,
}

/// A general linear constraint `coefficients · w  (≤ | = | ≥)  rhs`.
#[derive(Debug, Clone, PartialEq)]
pub struct LinearConstraint {
    /// One coefficient per asset.
    pub coefficients: Vec<f64>,
    /// The relation.
    pub relation: Relation,
    /// The right-hand side.
    pub rhs: f64,
}

/// The relation of a [`LinearConstraint`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Relation {
    /// `≤`.
    LessEq,
    /// `=`.
    Equal,
    /// `≥`.
    GreaterEq,
}

/// A solved portfolio.
#[derive(Debug, Clone, PartialEq)]
pub struct Solution {
    /// The weights, in ticker order.
    pub weights: Weights,
    /// Expected return, volatility and Sharpe at the risk-free rate given.
    pub performance: Performance,
    /// Which path solved it: `active-set`, `clarabel`, or `branch-and-bound` /
    /// `cardinality-heuristic` around either.
    pub method: &'static str,
}

/// Most portfolios [`MeanVariance::frontier`] draws: each is one solve, and a
/// chart needs far fewer.
pub const MAX_FRONTIER_POINTS: usize = 1_000;

/// A mean-variance problem: estimates plus constraints.
///
/// ```
/// use auravest_optimize::{CovarianceMatrix, ExpectedReturns, MeanVariance};
/// use nalgebra::DMatrix;
/// let t = vec!["A".parse()?, "B".parse()?];
/// let mu = ExpectedReturns::new(t.clone(), vec![0.10, 0.05])?;
/// let cov = CovarianceMatrix::new(t, DMatrix::from_row_slice(2, 2, &[0.04, 0.0, 0.0, 0.01]))?;
/// let s = MeanVariance::new(mu, cov)?.min_volatility(0.02)?;
/// assert!((s.weights.values()[0] - 0.2).abs() < 1e-12);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct MeanVariance {
    mu: ExpectedReturns,
    cov: CovarianceMatrix,
    lower: DVector<f64>,
    upper: DVector<f64>,
    net: f64,
    groups: Vec<GroupBound>,
    linear: Vec<LinearConstraint>,
    l2_gamma: f64,
    turnover: Option<(DVector<f64>, f64)>,
    max_holdings: Option<usize>,
    min_position: Option<f64>,
}

fn invalid(name: &'static str, reason: impl Into<String>) -> Error {
    Error::InvalidParameter {
        name,
        reason: reason.into(),
    }
}

impl MeanVariance {
    /// A long-only problem (bounds 0..1, weights sum to 1).
    ///
    /// # Errors
    /// [`Error::DimensionMismatch`] when the tickers differ,
    /// [`Error::NotPositiveSemiDefinite`] when the covariance has a clearly
    /// negative eigenvalue, [`Error::InvalidParameter`] for an empty universe.
    pub fn new(mu: ExpectedReturns, cov: CovarianceMatrix) -> Result<Self> {
        cov.check_matches(&mu)?;
        let n = mu.len();
        if n == 0 {
            return Err(invalid("assets", "the universe is empty"));
        }
        // S is accepted when its smallest eigenvalue is at least -1e-9·trace, that
        // is when S + 1e-9·trace·I is positive definite: a Cholesky factorisation
        // (a sixth of an eigendecomposition's work) decides, and the eigenvalues
        // are computed only to report a refusal.
        let trace = cov.matrix().trace().abs().max(1e-300);
        if !crate::linalg::has_cholesky(cov.matrix(), 1e-9 * trace) {
            let min_eig = cov.matrix().clone().symmetric_eigenvalues().min();
            if min_eig < -1e-9 * trace {
                return Err(Error::NotPositiveSemiDefinite {
                    min_eigenvalue: min_eig,
                });
            }
        }
        Ok(Self {
            mu,
            cov,
            lower: DVector::zeros(n),
            upper: DVector::from_element(n, 1.0),
            net: 1.0,
            groups: Vec::new(),
            linear: Vec::new(),
            l2_gamma: 0.0,
            turnover: None,
            max_holdings: None,
            min_position: None,
        })
    }

    fn n(&self) -> usize {
        self.mu.len()
    }

    /// The tickers.
    pub fn tickers(&self) -> &[Symbol] {
        self.mu.tickers()
    }

    /// The same bounds for every asset (negative lower bounds allow shorts).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] when `lower > upper` or either is not finite;
    /// [`Error::InfeasibleBounds`] when they cannot sum to the net exposure.
    pub fn bounds(self, lower: f64, upper: f64) -> Result<Self> {
        let n = self.n();
        self.asset_bounds(&vec![(lower, upper); n])
    }

    /// Bounds per asset, in ticker order.
    ///
    /// # Errors
    /// As [`MeanVariance::bounds`], and [`Error::DimensionMismatch`].
    pub fn asset_bounds(mut self, bounds: &[(f64, f64)]) -> Result<Self> {
        if bounds.len() != self.n() {
            return Err(Error::DimensionMismatch {
                what: format!("{} bounds for {} assets", bounds.len(), self.n()),
            });
        }
        for (i, (l, u)) in bounds.iter().enumerate() {
            if !l.is_finite() || !u.is_finite() || l > u {
                return Err(invalid(
                    "bounds",
                    format!(
                        "{}: lower {l} and upper {u} must be finite with lower <= upper",
                        self.tickers()[i]
                    ),
                ));
            }
        }
        self.lower = DVector::from_iterator(bounds.len(), bounds.iter().map(|b| b.0));
        self.upper = DVector::from_iterator(bounds.len(), bounds.iter().map(|b| b.1));
        self.check_bounds()?;
        Ok(self)
    }

    /// Weights sum to 0 instead of 1 (long-short, dollar-neutral). Needs
    /// negative lower bounds.
    ///
    /// # Errors
    /// [`Error::InfeasibleBounds`] when the bounds cannot sum to 0.
    pub fn market_neutral(mut self) -> Result<Self> {
        self.net = 0.0;
        self.check_bounds()?;
        Ok(self)
    }

    fn check_bounds(&self) -> Result<()> {
        let (sl, su) = (self.lower.sum(), self.upper.sum());
        if sl > self.net + 1e-12 || su < self.net - 1e-12 {
            return Err(Error::InfeasibleBounds {
                sum_lower: sl,
                sum_upper: su,
                target: self.net,
            });
        }
        Ok(())
    }

    /// Keeps the total weight of `members` (ticker names) within `lower..=upper`.
    ///
    /// # Errors
    /// [`Error::UnknownTicker`], or [`Error::InvalidParameter`] when `lower > upper`.
    pub fn group(mut self, name: &str, members: &[&str], lower: f64, upper: f64) -> Result<Self> {
        if lower
            .partial_cmp(&upper)
            .is_none_or(|o| o == std::cmp::Ordering::Greater)
        {
            return Err(invalid(
                "group",
                format!("{name}: lower {lower} is above upper {upper}"),
            ));
        }
        let idx = members
            .iter()
            .map(|m| self.index(m))
            .collect::<Result<Vec<_>>>()?;
        self.groups.push(GroupBound {
            name: name.to_owned(),
            members: idx,
            lower,
            upper,
        });
        Ok(self)
    }

    /// Adds a general linear constraint on the weights.
    ///
    /// # Errors
    /// [`Error::DimensionMismatch`] or [`Error::NonFinite`].
    pub fn linear_constraint(mut self, c: LinearConstraint) -> Result<Self> {
        if c.coefficients.len() != self.n() {
            return Err(Error::DimensionMismatch {
                what: format!(
                    "{} coefficients for {} assets",
                    c.coefficients.len(),
                    self.n()
                ),
            });
        }
        if c.coefficients
            .iter()
            .chain([&c.rhs])
            .any(|v| !v.is_finite())
        {
            return Err(Error::NonFinite {
                what: "linear constraint",
                index: "coefficients".to_owned(),
            });
        }
        self.linear.push(c);
        Ok(self)
    }

    /// Adds `γ‖w‖²` to the objective (PyPortfolioOpt's `L2_reg`).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] when `gamma` is negative or not finite.
    pub fn l2_regularisation(mut self, gamma: f64) -> Result<Self> {
        if !(gamma >= 0.0 && gamma.is_finite()) {
            return Err(invalid(
                "gamma",
                format!("must be a finite number >= 0, got {gamma}"),
            ));
        }
        self.l2_gamma = gamma;
        Ok(self)
    }

    /// Adds `cost · Σ|w - current|` to the objective: a proportional
    /// transaction cost (or turnover penalty) against current weights.
    ///
    /// # Errors
    /// [`Error::DimensionMismatch`], or [`Error::InvalidParameter`] for a
    /// negative or non-finite cost.
    pub fn transaction_cost(mut self, current: &Weights, cost: f64) -> Result<Self> {
        if current.tickers() != self.tickers() {
            return Err(Error::DimensionMismatch {
                what: "current weights name different tickers".to_owned(),
            });
        }
        if !(cost >= 0.0 && cost.is_finite()) {
            return Err(invalid(
                "cost",
                format!("must be a finite number >= 0, got {cost}"),
            ));
        }
        self.turnover = Some((current.values().clone(), cost));
        Ok(self)
    }

    /// Holds at most `k` assets.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] when `k` is 0.
    pub fn max_holdings(mut self, k: usize) -> Result<Self> {
        if k == 0 {
            return Err(invalid("max_holdings", "must be at least 1"));
        }
        self.max_holdings = Some(k);
        Ok(self)
    }

    /// Every asset held has at least `size` weight (long-only).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] unless `0 < size <= 1`.
    pub fn min_position(mut self, size: f64) -> Result<Self> {
        if !(size > 0.0 && size <= 1.0) {
            return Err(invalid(
                "min_position",
                format!("must be in (0, 1], got {size}"),
            ));
        }
        self.min_position = Some(size);
        Ok(self)
    }

    fn index(&self, ticker: &str) -> Result<usize> {
        self.tickers()
            .iter()
            .position(|t| t == ticker)
            .ok_or_else(|| Error::UnknownTicker(ticker.to_owned()))
    }

    fn is_simple(&self) -> bool {
        self.groups.is_empty() && self.linear.is_empty() && self.turnover.is_none()
    }

    fn is_mixed_integer(&self) -> bool {
        self.max_holdings.is_some() || self.min_position.is_some()
    }

    #[allow(clippy::needless_pass_by_value)] // callers hand over the solver's vector
    fn finish(&self, w: DVector<f64>, rf: f64, method: &'static str) -> Result<Solution> {
        // Clean solver noise: clip into the bounds.
        let w = DVector::from_fn(w.len(), |i, _| w[i].clamp(self.lower[i], self.upper[i]));
        let weights = Weights::from_vector(self.tickers().to_vec(), w);
        let performance = portfolio_performance(&weights, &self.mu, &self.cov, rf)?;
        Ok(Solution {
            weights,
            performance,
            method,
        })
    }

    fn quad(&self, scale: f64) -> DMatrix<f64> {
        let n = self.n();
        let mut h = self.cov.matrix() * scale;
        for i in 0..n {
            h[(i, i)] += 2.0 * self.l2_gamma;
        }
        h
    }

    fn box_qp<'a>(
        &self,
        h: &'a DMatrix<f64>,
        c: DVector<f64>,
        lower: &DVector<f64>,
        upper: &DVector<f64>,
    ) -> BoxQp<'a> {
        let n = self.n();
        BoxQp {
            h,
            c,
            a: DMatrix::from_element(1, n, 1.0),
            b: DVector::from_element(1, self.net),
            lower: lower.clone(),
            upper: upper.clone(),
        }
    }

    fn qp_error(&self, e: &QpFailure) -> Error {
        match e {
            QpFailure::Infeasible => Error::InfeasibleBounds {
                sum_lower: self.lower.sum(),
                sum_upper: self.upper.sum(),
                target: self.net,
            },
            QpFailure::Numerical => Error::Solver {
                status: "the active-set method did not converge".to_owned(),
            },
        }
    }

    // ---- the conic formulation shared by every objective ----

    /// A conic problem over `w` (and, with a turnover cost, `t ≥ |w - w0|`)
    /// holding every constraint; `kappa` scales the constraints for the
    /// maximum-Sharpe change of variables (index of κ, or None for κ = 1).
    fn conic_base(&self, extra_vars: usize, kappa: Option<usize>) -> (ConicProblem, usize) {
        let n = self.n();
        let t0 = n + extra_vars;
        let nt = if self.turnover.is_some() { n } else { 0 };
        let mut p = ConicProblem::new(t0 + nt);
        let scaled = |row: Vec<(usize, f64)>, rhs: f64| -> Row {
            match kappa {
                Some(k) => {
                    let mut row = row;
                    row.push((k, -rhs));
                    (row, 0.0)
                }
                None => (row, rhs),
            }
        };
        let sum: Vec<(usize, f64)> = (0..n).map(|i| (i, 1.0)).collect();
        let (row, rhs) = scaled(sum, self.net);
        p.eq(row, rhs);
        for i in 0..n {
            let (row, rhs) = scaled(vec![(i, 1.0)], self.upper[i]);
            p.le(row, rhs);
            let (row, rhs) = scaled(vec![(i, -1.0)], -self.lower[i]);
            p.le(row, rhs);
        }
        for g in &self.groups {
            let members: Vec<(usize, f64)> = g.members.iter().map(|&i| (i, 1.0)).collect();
            let (row, rhs) = scaled(members.clone(), g.upper);
            p.le(row, rhs);
            let neg = members.iter().map(|&(i, v)| (i, -v)).collect();
            let (row, rhs) = scaled(neg, -g.lower);
            p.le(row, rhs);
        }
        for c in &self.linear {
            let row: Vec<(usize, f64)> = c
                .coefficients
                .iter()
                .enumerate()
                .map(|(i, v)| (i, *v))
                .collect();
            let neg: Vec<(usize, f64)> = row.iter().map(|&(i, v)| (i, -v)).collect();
            match c.relation {
                Relation::LessEq => {
                    let (r, b) = scaled(row, c.rhs);
                    p.le(r, b);
                }
                Relation::GreaterEq => {
                    let (r, b) = scaled(neg, -c.rhs);
                    p.le(r, b);
                }
                Relation::Equal => {
                    let (r, b) = scaled(row, c.rhs);
                    p.eq(r, b);
                }
            }
        }
        if let Some((w0, cost)) = &self.turnover {
            for i in 0..n {
                // t_i ≥ w_i - w0_i and t_i ≥ w0_i - w_i.
                p.le(vec![(i, 1.0), (t0 + i, -1.0)], w0[i]);
                p.le(vec![(i, -1.0), (t0 + i, -1.0)], -w0[i]);
                p.linear(t0 + i, *cost);
            }
        }
        (p, t0 + nt)
    }

    fn conic_quadratic(&self, p: &mut ConicProblem, total: usize, scale: f64) {
        let n = self.n();
        let h = self.quad(scale);
        let mut full = DMatrix::zeros(total, total);
        full.view_mut((0, 0), (n, n)).copy_from(&h);
        p.quadratic(full);
    }

    // ---- objectives ----

    /// The minimum-volatility portfolio.
    ///
    /// # Errors
    /// [`Error::InfeasibleBounds`], [`Error::Infeasible`] or [`Error::Solver`].
    pub fn min_volatility(&self, risk_free_rate: f64) -> Result<Solution> {
        if self.is_mixed_integer() {
            return self
                .mixed_integer(|mv| mv.min_volatility(risk_free_rate), Self::variance_score);
        }
        if self.is_simple() {
            match self.min_volatility_qp() {
                Ok(s) => return self.finish(s.x, risk_free_rate, "active-set"),
                Err(Error::Solver { .. }) => {} // degenerate: the conic path below
                Err(e) => return Err(e),
            }
        }
        let (mut p, total) = self.conic_base(0, None);
        self.conic_quadratic(&mut p, total, 2.0);
        let x = p.solve()?;
        self.finish(x.rows(0, self.n()).into_owned(), risk_free_rate, "clarabel")
    }

    /// The portfolio maximising `mu'w - (δ/2) w'Sw`.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] unless `risk_aversion > 0`; as [`MeanVariance::min_volatility`].
    pub fn max_quadratic_utility(
        &self,
        risk_aversion: f64,
        risk_free_rate: f64,
    ) -> Result<Solution> {
        if !(risk_aversion > 0.0 && risk_aversion.is_finite()) {
            return Err(invalid(
                "risk_aversion",
                format!("must be a finite number > 0, got {risk_aversion}"),
            ));
        }
        if self.is_mixed_integer() {
            return self.mixed_integer(
                |mv| mv.max_quadratic_utility(risk_aversion, risk_free_rate),
                |mv, s| {
                    let w = s.weights.values();
                    0.5 * risk_aversion * (mv.cov.matrix() * w).dot(w) - w.dot(mv.mu.values())
                        + mv.l2_gamma * w.norm_squared()
                },
            );
        }
        if self.is_simple() {
            let h = self.quad(risk_aversion);
            let qp = self.box_qp(&h, -self.mu.values(), &self.lower, &self.upper);
            match qp.solve(None) {
                Ok(s) => return self.finish(s.x, risk_free_rate, "active-set"),
                Err(QpFailure::Numerical) => {} // degenerate: the conic path below
                Err(e) => return Err(self.qp_error(&e)),
            }
        }
        let (mut p, total) = self.conic_base(0, None);
        self.conic_quadratic(&mut p, total, risk_aversion);
        for i in 0..self.n() {
            p.linear(i, -self.mu.values()[i]);
        }
        let x = p.solve()?;
        self.finish(x.rows(0, self.n()).into_owned(), risk_free_rate, "clarabel")
    }

    /// The highest expected return any portfolio within the constraints reaches.
    ///
    /// # Errors
    /// As [`MeanVariance::min_volatility`].
    pub fn max_return(&self) -> Result<f64> {
        Ok(self.max_return_weights()?.dot(self.mu.values()))
    }

    fn max_return_weights(&self) -> Result<DVector<f64>> {
        let mu = self.mu.values();
        if self.is_simple() {
            return Ok(self.max_return_fill()?.0);
        }
        let (mut p, _) = self.conic_base(0, None);
        for i in 0..self.n() {
            p.linear(i, -mu[i]);
        }
        // A tiny quadratic term keeps the linear programme's solution unique.
        let x = p.solve()?;
        Ok(x.rows(0, self.n()).into_owned())
    }

    /// The maximum-return vertex under box bounds: every asset at its lower
    /// bound, then the highest returns filled first. Also returns the last
    /// asset that received weight (the partly filled one), if any did.
    fn max_return_fill(&self) -> Result<(DVector<f64>, Option<usize>)> {
        let mu = self.mu.values();
        let n = self.n();
        let mut order: Vec<usize> = (0..n).collect();
        order.sort_by(|&i, &j| mu[j].total_cmp(&mu[i]));
        let mut w = self.lower.clone();
        let mut left = self.net - w.sum();
        let mut last = None;
        for i in order {
            let add = left.min(self.upper[i] - w[i]).max(0.0);
            if add > 0.0 {
                last = Some(i);
            }
            w[i] += add;
            left -= add;
        }
        if left.abs() > 1e-9 {
            return Err(self.qp_error(&QpFailure::Infeasible));
        }
        Ok((w, last))
    }

    /// The minimum-volatility portfolio whose expected return is at least `target`.
    ///
    /// # Errors
    /// [`Error::TargetReturnUnreachable`] when `target` is above
    /// [`MeanVariance::max_return`]; as [`MeanVariance::min_volatility`].
    pub fn efficient_return(&self, target: f64, risk_free_rate: f64) -> Result<Solution> {
        if !target.is_finite() {
            return Err(invalid("target_return", "must be finite"));
        }
        let max = self.max_return()?;
        if target > max + 1e-12 {
            return Err(Error::TargetReturnUnreachable { target, max });
        }
        if self.is_mixed_integer() {
            return self.mixed_integer(
                |mv| mv.efficient_return(target, risk_free_rate),
                Self::variance_score,
            );
        }
        if self.is_simple() {
            let minvol = self.min_volatility_qp()?;
            let top = self.max_return_weights()?;
            match self.efficient_return_active_set(target, risk_free_rate, &minvol, &top) {
                Err(Error::Solver { .. }) => {} // degenerate: the conic path below
                other => return other,
            }
        }
        let (mut p, total) = self.conic_base(0, None);
        self.conic_quadratic(&mut p, total, 2.0);
        let row = (0..self.n()).map(|i| (i, -self.mu.values()[i])).collect();
        p.le(row, -target);
        let x = p.solve()?;
        self.finish(x.rows(0, self.n()).into_owned(), risk_free_rate, "clarabel")
    }

    fn min_volatility_qp(&self) -> Result<QpSolution> {
        let h = self.quad(2.0);
        self.box_qp(&h, DVector::zeros(self.n()), &self.lower, &self.upper)
            .solve(None)
            .map_err(|e| self.qp_error(&e))
    }

    /// Efficient return on the active-set path, given the minimum-volatility
    /// and maximum-return points (computed once for a whole frontier).
    fn efficient_return_active_set(
        &self,
        target: f64,
        rf: f64,
        minvol: &QpSolution,
        top: &DVector<f64>,
    ) -> Result<Solution> {
        let mu = self.mu.values();
        let r0 = minvol.x.dot(mu);
        let r1 = top.dot(mu);
        if r0 >= target {
            return self.finish(minvol.x.clone(), rf, "active-set");
        }
        if target >= r1 - 1e-12 * r1.abs().max(1.0) {
            return self.finish(top.clone(), rf, "active-set");
        }
        let h = self.quad(2.0);
        let mut a = DMatrix::from_element(2, self.n(), 1.0);
        a.row_mut(1).copy_from(&mu.transpose());
        let qp = BoxQp {
            h: &h,
            c: DVector::zeros(self.n()),
            a,
            b: DVector::from_vec(vec![self.net, target]),
            lower: self.lower.clone(),
            upper: self.upper.clone(),
        };
        // A feasible start: the blend of the minimum-volatility and maximum-return points.
        let theta = ((target - r0) / (r1 - r0)).clamp(0.0, 1.0);
        let x = &minvol.x * (1.0 - theta) + top * theta;
        let start = QpSolution::from_point(x, &self.lower, &self.upper);
        let s = qp.solve(Some(&start)).map_err(|e| self.qp_error(&e))?;
        self.finish(s.x, rf, "active-set")
    }

    /// The highest-return portfolio whose volatility is at most `target`.
    ///
    /// # Errors
    /// [`Error::TargetVolatilityUnreachable`] below the minimum volatility;
    /// as [`MeanVariance::min_volatility`].
    pub fn efficient_risk(&self, target: f64, risk_free_rate: f64) -> Result<Solution> {
        if !(target > 0.0 && target.is_finite()) {
            return Err(invalid(
                "target_volatility",
                format!("must be a finite number > 0, got {target}"),
            ));
        }
        if self.is_simple()
            && !self.is_mixed_integer()
            && self.l2_gamma == 0.0
            && let Some(s) = self.efficient_risk_critical_line(target, risk_free_rate)?
        {
            return Ok(s);
        }
        // Reachability is about the volatility alone: the objective's extra terms
        // (L2, turnover cost) move the minimum-volatility point but not the lowest
        // volatility the constraints allow.
        let mut plain = self.clone();
        plain.l2_gamma = 0.0;
        plain.turnover = None;
        let minvol = plain.min_volatility(risk_free_rate)?;
        if minvol.performance.volatility > target + 1e-12 {
            return Err(Error::TargetVolatilityUnreachable {
                target,
                min: minvol.performance.volatility,
            });
        }
        if self.is_mixed_integer() {
            return self.mixed_integer(
                |mv| mv.efficient_risk(target, risk_free_rate),
                |mv, s| {
                    mv.l2_gamma * s.weights.values().norm_squared() - s.performance.expected_return
                },
            );
        }
        if self.is_simple() {
            match self.efficient_risk_active_set(target, risk_free_rate) {
                Err(Error::Solver { .. }) => {} // degenerate: the conic path below
                other => return other,
            }
        }
        let n = self.n();
        let (mut p, total) = self.conic_base(0, None);
        if self.l2_gamma > 0.0 {
            let mut full = DMatrix::zeros(total, total);
            for i in 0..n {
                full[(i, i)] = 2.0 * self.l2_gamma;
            }
            p.quadratic(full);
        }
        for i in 0..n {
            p.linear(i, -self.mu.values()[i]);
        }
        let root = matrix_root(self.cov.matrix());
        // ‖R w‖ ≤ σ, with R'R = S.
        let mut rows = vec![(vec![], target)];
        for r in 0..root.nrows() {
            rows.push(((0..n).map(|j| (j, -root[(r, j)])).collect(), 0.0));
        }
        p.soc(rows);
        let x = p.solve()?;
        self.finish(x.rows(0, n).into_owned(), risk_free_rate, "clarabel")
    }

    /// Efficient risk by the critical-line walk from the maximum-return
    /// vertex (see [`crate::critical_line`]); `None` when the walk cannot
    /// decide or the target is below the minimum volatility, and the general
    /// path (which reports that error) should run instead.
    fn efficient_risk_critical_line(&self, target: f64, rf: f64) -> Result<Option<Solution>> {
        let Ok((top, last)) = self.max_return_fill() else {
            return Ok(None);
        };
        let s = self.cov.matrix();
        let top_vol = (s * &top).dot(&top).max(0.0).sqrt();
        if top_vol <= target {
            return self.finish(top, rf, "active-set").map(Some);
        }
        let Some(entry) = last else {
            return Ok(None);
        };
        let path = Path {
            s,
            mu: self.mu.values(),
            lower: &self.lower,
            upper: &self.upper,
            net: self.net,
        };
        match path.max_return_at_volatility(&top, entry, target) {
            Some((x, _)) => self.finish(x, rf, "active-set").map(Some),
            None => Ok(None),
        }
    }

    fn efficient_risk_active_set(&self, target: f64, rf: f64) -> Result<Solution> {
        let top = self.max_return_weights()?;
        let top_vol = (self.cov.matrix() * &top).dot(&top).max(0.0).sqrt();
        if top_vol <= target && self.l2_gamma == 0.0 {
            return self.finish(top, rf, "active-set");
        }
        // Volatility falls as risk aversion δ rises: bisect on log δ.
        let solve = |delta: f64, warm: Option<&QpSolution>| -> Result<QpSolution> {
            let h = self.quad(delta);
            let qp = self.box_qp(&h, -self.mu.values(), &self.lower, &self.upper);
            qp.solve(warm).map_err(|e| self.qp_error(&e))
        };
        let vol = |x: &DVector<f64>| (self.cov.matrix() * x).dot(x).max(0.0).sqrt();
        let (mut lo, mut hi) = (-12.0f64, 12.0f64);
        let mut best = solve(10f64.powf(hi), None)?;
        if vol(&best.x) > target {
            // Even very high aversion is too risky: the target is the minimum.
            return self.finish(best.x, rf, "active-set");
        }
        // Walk the active sets: on the current one, jump to the risk aversion
        // that hits the target; when the solve there keeps the same active
        // set, that point is the answer. A few jumps usually suffice; if the
        // walk stalls, bisection below finishes the job.
        if self.l2_gamma <= 0.0 {
            #[allow(clippy::redundant_clone)] // `best` seeds the bisection below
            let mut at = best.clone();
            for _ in 0..32 {
                let Some((x, t)) = self.on_segment(&at, target) else {
                    break;
                };
                if !(t > 0.0 && t.is_finite()) {
                    break;
                }
                let next = solve(1.0 / t, Some(&at))?;
                if next.status == at.status {
                    return self.finish(x, rf, "active-set");
                }
                at = next;
            }
        }
        let mut warm = best.clone();
        let mut low_status: Option<Vec<Status>> = None;
        for _ in 0..200 {
            let mid = 0.5 * (lo + hi);
            let s = solve(10f64.powf(mid), Some(&warm))?;
            let v = vol(&s.x);
            if v > target {
                lo = mid;
                low_status = Some(s.status.clone());
            } else {
                hi = mid;
                best = s.clone();
            }
            warm = s;
            if (v - target).abs() <= 1e-13 * target || hi - lo < 1e-15 {
                break;
            }
            // Both ends of the bracket share an active set: without L2 the
            // solution is affine in 1/δ on it, so solve for the target
            // exactly. (With L2 it is not: the bisection runs to the end.)
            let same_set =
                self.l2_gamma == 0.0 && low_status.as_deref() == Some(best.status.as_slice());
            if let Some((x, _)) = same_set.then(|| self.on_segment(&best, target)).flatten() {
                return self.finish(x, rf, "active-set");
            }
        }
        let s = solve(10f64.powf(hi), Some(&best))?;
        self.finish(s.x, rf, "active-set")
    }

    /// On the active set of `at`, the optimal weights of `½w'Sw - t·mu'w` are
    /// `u + t·v`; returns the point of that line whose volatility is `target`
    /// and its `t`, if the point stays within the bounds.
    fn on_segment(&self, at: &QpSolution, target: f64) -> Option<(DVector<f64>, f64)> {
        let n = self.n();
        let free: Vec<usize> = (0..n).filter(|&i| at.status[i] == Status::Free).collect();
        let k = free.len();
        if k == 0 {
            return None;
        }
        let s = self.cov.matrix();
        let mu = self.mu.values();
        let mut fixed = at.x.clone();
        for &i in &free {
            fixed[i] = 0.0;
        }
        let sfix = s * &fixed;
        let mut kkt = DMatrix::zeros(k + 1, k + 1);
        for (a, &i) in free.iter().enumerate() {
            for (b, &j) in free.iter().enumerate() {
                kkt[(a, b)] = s[(i, j)];
            }
            kkt[(a, k)] = 1.0;
            kkt[(k, a)] = 1.0;
        }
        let lu = kkt.lu();
        let mut rhs_u = DVector::zeros(k + 1);
        let mut rhs_v = DVector::zeros(k + 1);
        for (a, &i) in free.iter().enumerate() {
            rhs_u[a] = -sfix[i];
            rhs_v[a] = mu[i];
        }
        rhs_u[k] = self.net - fixed.sum();
        let su = lu.solve(&rhs_u)?;
        let sv = lu.solve(&rhs_v)?;
        let mut u = fixed;
        let mut v = DVector::zeros(n);
        for (a, &i) in free.iter().enumerate() {
            u[i] = su[a];
            v[i] = sv[a];
        }
        let (su_, sv_) = (s * &u, s * &v);
        let (qa, qb, qc) = (sv_.dot(&v), su_.dot(&v), su_.dot(&u) - target * target);
        if qa <= 0.0 {
            return None;
        }
        let disc = qb * qb - qa * qc;
        if disc < 0.0 {
            return None;
        }
        // Volatility rises with t beyond the segment's minimum: take the larger root.
        let t = (-qb + disc.sqrt()) / qa;
        let x = &u + &v * t;
        let tol = 1e-9;
        let inside = (0..n).all(|i| x[i] >= self.lower[i] - tol && x[i] <= self.upper[i] + tol);
        inside.then_some((x, t))
    }

    /// The maximum-Sharpe (tangency) portfolio at `risk_free_rate`.
    ///
    /// # Errors
    /// [`Error::NoReturnAboveRiskFree`] when no asset's expected return beats
    /// the risk-free rate; [`Error::InvalidParameter`] with L2 regularisation
    /// (the change of variables does not preserve it: use
    /// [`MeanVariance::max_quadratic_utility`]); as [`MeanVariance::min_volatility`].
    pub fn max_sharpe(&self, risk_free_rate: f64) -> Result<Solution> {
        if !risk_free_rate.is_finite() {
            return Err(invalid("risk_free_rate", "must be finite"));
        }
        let mu = self.mu.values();
        let best = mu.max();
        if best <= risk_free_rate {
            return Err(Error::NoReturnAboveRiskFree {
                max_return: best,
                risk_free_rate,
            });
        }
        if self.l2_gamma > 0.0 {
            return Err(invalid(
                "gamma",
                "maximum Sharpe does not combine with L2 regularisation; use max-utility",
            ));
        }
        if self.turnover.is_some() {
            // The turnover rows are written for w; the change of variables would scale them by κ.
            return Err(invalid(
                "cost",
                "maximum Sharpe does not combine with a transaction cost; use max-utility",
            ));
        }
        if self.is_mixed_integer() {
            return self.mixed_integer(
                |mv| mv.max_sharpe(risk_free_rate),
                |_, s| -s.performance.sharpe.unwrap_or(f64::NEG_INFINITY),
            );
        }
        let n = self.n();
        let excess = mu.add_scalar(-risk_free_rate);
        let long_only_default = self.is_simple()
            && (self.net - 1.0).abs() < f64::EPSILON
            && self.lower.iter().all(|l| *l == 0.0)
            && self.upper.iter().all(|u| *u >= 1.0);
        if long_only_default {
            let h = self.quad(2.0);
            let qp = BoxQp {
                h: &h,
                c: DVector::zeros(n),
                a: DMatrix::from_row_slice(1, n, excess.as_slice()),
                b: DVector::from_element(1, 1.0),
                lower: DVector::zeros(n),
                upper: DVector::from_element(n, f64::INFINITY),
            };
            match qp.solve(None) {
                Ok(y) => {
                    let kappa = y.x.sum();
                    return self.finish(y.x / kappa, risk_free_rate, "active-set");
                }
                Err(QpFailure::Numerical) => {} // degenerate: the conic path below
                Err(e) => return Err(self.qp_error(&e)),
            }
        }
        // Variables (y, κ): min y'Sy s.t. (mu - rf)'y = 1, constraints scaled by κ ≥ 0.
        let k = n;
        let (mut p, total) = self.conic_base(1, Some(k));
        self.conic_quadratic(&mut p, total, 2.0);
        p.eq((0..n).map(|i| (i, excess[i])).collect(), 1.0);
        p.le(vec![(k, -1.0)], 0.0);
        let x = p.solve()?;
        let kappa = x[k];
        if kappa.is_nan() || kappa <= 0.0 {
            return Err(Error::Solver {
                status: "the maximum-Sharpe scaling variable vanished".to_owned(),
            });
        }
        self.finish(
            x.rows(0, n).into_owned() / kappa,
            risk_free_rate,
            "clarabel",
        )
    }

    /// `points` frontier portfolios from minimum volatility to maximum return
    /// in equal steps of expected return.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for fewer than 2 points or more than
    /// [`MAX_FRONTIER_POINTS`]; as [`MeanVariance::efficient_return`].
    pub fn frontier(&self, points: usize, risk_free_rate: f64) -> Result<Vec<Solution>> {
        if points < 2 {
            return Err(invalid("points", "need at least 2 frontier points"));
        }
        if points > MAX_FRONTIER_POINTS {
            return Err(invalid(
                "points",
                format!("{points} frontier points; at most {MAX_FRONTIER_POINTS}"),
            ));
        }
        let first = self.min_volatility(risk_free_rate)?;
        let r0 = first.performance.expected_return;
        let r1 = self.max_return()?;
        let mut out = vec![first];
        let fast = self.is_simple() && !self.is_mixed_integer();
        let (minvol, top) = if fast {
            (
                Some(self.min_volatility_qp()?),
                Some(self.max_return_weights()?),
            )
        } else {
            (None, None)
        };
        for k in 1..points {
            let target = r0 + (r1 - r0) * k as f64 / (points - 1) as f64;
            let target = target.min(r1);
            if let (Some(minvol), Some(top)) = (&minvol, &top) {
                out.push(self.efficient_return_active_set(target, risk_free_rate, minvol, top)?);
            } else {
                out.push(self.efficient_return(target, risk_free_rate)?);
            }
        }
        Ok(out)
    }

    // ---- cardinality ----

    fn relaxed(&self) -> Self {
        let mut mv = self.clone();
        mv.max_holdings = None;
        mv.min_position = None;
        mv
    }

    fn mixed_integer(
        &self,
        solve: impl Fn(&Self) -> Result<Solution>,
        score: impl Fn(&Self, &Solution) -> f64,
    ) -> Result<Solution> {
        let n = self.n();
        let k = self.max_holdings.unwrap_or(n).min(n);
        let m = self.min_position.unwrap_or(0.0);
        if self.lower.iter().any(|l| *l < 0.0) {
            return Err(invalid(
                "max_holdings",
                "cardinality and minimum position sizes need long-only bounds",
            ));
        }
        if m > 0.0 && self.upper.iter().all(|u| *u < m) {
            return Err(Error::Infeasible {
                reason: format!("every upper bound is below the minimum position {m}"),
            });
        }
        if (k as f64) * self.upper.max() < self.net - 1e-12 {
            return Err(Error::Infeasible {
                reason: format!(
                    "{k} holdings at most {} each cannot sum to {}",
                    self.upper.max(),
                    self.net
                ),
            });
        }
        let base = self.relaxed();
        if n <= EXACT_CARDINALITY_LIMIT {
            self.branch_and_bound(&base, k, m, &solve, &score)
        } else {
            self.cardinality_heuristic(&base, k, m, &solve)
        }
    }

    fn variance_score(&self, s: &Solution) -> f64 {
        let w = s.weights.values();
        (self.cov.matrix() * w).dot(w) + self.l2_gamma * w.norm_squared()
    }

    fn with_fixings(base: &Self, out: &[usize], inn: &[usize], m: f64) -> Self {
        let mut mv = base.clone();
        for &i in out {
            mv.lower[i] = 0.0;
            mv.upper[i] = 0.0;
        }
        for &i in inn {
            mv.lower[i] = mv.lower[i].max(m);
        }
        mv
    }

    fn branch_and_bound(
        &self,
        base: &Self,
        k: usize,
        m: f64,
        solve: &impl Fn(&Self) -> Result<Solution>,
        score: &impl Fn(&Self, &Solution) -> f64,
    ) -> Result<Solution> {
        let n = self.n();
        let mut best: Option<(f64, Solution)> = None;
        // Depth-first over (out, in) fixings.
        let mut stack: Vec<(Vec<usize>, Vec<usize>)> = vec![(Vec::new(), Vec::new())];
        let mut nodes = 0usize;
        while let Some((out, inn)) = stack.pop() {
            nodes += 1;
            if nodes > 200_000 {
                break;
            }
            if inn.len() > k || n - out.len() == 0 {
                continue;
            }
            let node = Self::with_fixings(base, &out, &inn, m);
            if node.check_bounds().is_err() {
                continue;
            }
            let Ok(sol) = solve(&node) else { continue };
            let val = score(self, &sol);
            if best.as_ref().is_some_and(|(b, _)| val >= *b - 1e-15) {
                continue;
            }
            let w = sol.weights.values();
            let held: Vec<usize> = (0..n).filter(|&i| w[i] > 1e-9).collect();
            let small: Option<usize> = held
                .iter()
                .copied()
                .filter(|i| !inn.contains(i) && w[*i] < m - 1e-9)
                .max_by(|&a, &b| w[a].total_cmp(&w[b]));
            if held.len() <= k && small.is_none() {
                best = Some((val, sol));
                continue;
            }
            // Branch on the free held asset closest to being decided.
            let candidate = small.or_else(|| {
                held.iter()
                    .copied()
                    .filter(|i| !inn.contains(i))
                    .min_by(|&a, &b| w[a].total_cmp(&w[b]))
            });
            let Some(i) = candidate else { continue };
            let mut o = out.clone();
            o.push(i);
            let mut ii = inn.clone();
            ii.push(i);
            // Explore "in" last so it is popped first (large weights tend to stay).
            stack.push((o, inn.clone()));
            stack.push((out.clone(), ii));
        }
        match best {
            Some((_, mut s)) => {
                s.method = "branch-and-bound";
                Ok(s)
            }
            None => Err(Error::Infeasible {
                reason: format!(
                    "no portfolio of at most {k} holdings with positions of at least {m} meets the constraints"
                ),
            }),
        }
    }

    fn cardinality_heuristic(
        &self,
        base: &Self,
        k: usize,
        m: f64,
        solve: &impl Fn(&Self) -> Result<Solution>,
    ) -> Result<Solution> {
        let n = self.n();
        let mut sol = solve(base)?;
        let mut out: Vec<usize> = Vec::new();
        loop {
            let w = sol.weights.values();
            let mut held: Vec<usize> = (0..n)
                .filter(|&i| w[i] > 1e-9 && !out.contains(&i))
                .collect();
            held.sort_by(|&a, &b| w[b].total_cmp(&w[a]));
            let mut changed = false;
            if held.len() > k {
                out.extend(held.drain(k..));
                changed = true;
            } else if let Some(&smallest) = held.iter().rev().find(|&&i| w[i] < m - 1e-9) {
                out.push(smallest);
                changed = true;
            }
            if !changed {
                sol.method = "cardinality-heuristic";
                return Ok(sol);
            }
            let node = Self::with_fixings(base, &out, &[], 0.0);
            node.check_bounds().map_err(|_| Error::Infeasible {
                reason: format!(
                    "the heuristic could not keep {k} holdings of at least {m} within the bounds"
                ),
            })?;
            sol = solve(&node)?;
        }
    }
}

impl QpSolution {
    pub(crate) fn from_point(x: DVector<f64>, lower: &DVector<f64>, upper: &DVector<f64>) -> Self {
        let status = (0..x.len())
            .map(|i| {
                if x[i] <= lower[i] {
                    Status::Lower
                } else if x[i] >= upper[i] {
                    Status::Upper
                } else {
                    Status::Free
                }
            })
            .collect();
        Self { x, status }
    }
}

/// A matrix `R` with `R'R = S` (Cholesky when positive definite, else the
/// symmetric square root from the eigendecomposition).
pub(crate) fn matrix_root(s: &DMatrix<f64>) -> DMatrix<f64> {
    if let Some(ch) = s.clone().cholesky() {
        return ch.l().transpose();
    }
    let eig = s.clone().symmetric_eigen();
    let d = DMatrix::from_diagonal(&eig.eigenvalues.map(|v| v.max(0.0).sqrt()));
    &d * eig.eigenvectors.transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A deterministic factor-model problem: `n` assets, two factors.
    fn problem(n: usize, seed: u64) -> MeanVariance {
        let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 11) as f64 / (1u64 << 53) as f64
        };
        let loadings: Vec<(f64, f64)> =
            (0..n).map(|_| (0.6 + 0.8 * next(), next() - 0.5)).collect();
        let s = DMatrix::from_fn(n, n, |i, j| {
            let (a, b) = (loadings[i], loadings[j]);
            0.03 * a.0 * b.0 + 0.01 * a.1 * b.1
        }) + DMatrix::from_diagonal(&DVector::from_fn(n, |_, _| 0.01 + 0.05 * next()));
        let t: Vec<Symbol> = (0..n).map(|i| format!("A{i}").parse().unwrap()).collect();
        let mu: Vec<f64> = (0..n).map(|_| -0.02 + 0.25 * next()).collect();
        let mu = ExpectedReturns::new(t.clone(), mu).unwrap();
        let cov = CovarianceMatrix::new(t, s).unwrap();
        MeanVariance::new(mu, cov).unwrap()
    }

    /// The same problem on Clarabel (an inactive constraint forces it).
    fn conic(mv: &MeanVariance) -> MeanVariance {
        mv.clone()
            .linear_constraint(LinearConstraint {
                coefficients: vec![0.0; mv.n()],
                relation: Relation::LessEq,
                rhs: 1.0,
            })
            .unwrap()
    }

    fn vol(mv: &MeanVariance, w: &DVector<f64>) -> f64 {
        (mv.cov.matrix() * w).dot(w).sqrt()
    }

    /// The critical line must take the problem (no fallback) and agree with
    /// the risk-aversion walk and with Clarabel.
    fn check_critical_line(mv: &MeanVariance, target: f64) {
        let fast = mv
            .efficient_risk_critical_line(target, 0.02)
            .unwrap()
            .expect("the critical line decides");
        let walk = mv.efficient_risk_active_set(target, 0.02).unwrap();
        let w = fast.weights.values();
        let d = (w - walk.weights.values()).amax();
        assert!(d < 1e-8, "critical line vs walk: {d}");
        assert!((fast.performance.volatility - target).abs() < 1e-12 * target.max(1.0));
        assert!((w.sum() - mv.net).abs() < 1e-12);
        assert!((0..mv.n()).all(|i| w[i] >= mv.lower[i] && w[i] <= mv.upper[i]));
        let cl = match conic(mv).efficient_risk(target, 0.02) {
            Ok(cl) => cl,
            // Clarabel's own minimum volatility is a little less exact.
            Err(Error::TargetVolatilityUnreachable { min, .. }) if min - target < 1e-8 => return,
            Err(e) => panic!("clarabel: {e:?}"),
        };
        assert_eq!(cl.method, "clarabel");
        let r = fast.performance.expected_return;
        assert!(
            r >= cl.performance.expected_return - 1e-7,
            "{r} vs clarabel"
        );
        assert!((w - cl.weights.values()).amax() < 1e-4);
    }

    #[test]
    fn critical_line_matches_the_walk_and_clarabel_across_bounds() {
        for seed in 0..6u64 {
            for n in [2usize, 5, 12, 40] {
                let base = problem(n, seed);
                let hi = (2.5 / n as f64).max(0.6);
                let bounded = [
                    base.clone(),
                    base.clone().bounds(0.0, hi).unwrap(),
                    base.clone().bounds(0.01, hi).unwrap(),
                    base.clone().bounds(-0.3, 1.0).unwrap(),
                    base.clone()
                        .asset_bounds(
                            &(0..n)
                                .map(|i| (0.002 * (i % 3) as f64, 0.5 + 0.1 * (i % 4) as f64))
                                .collect::<Vec<_>>(),
                        )
                        .unwrap(),
                ];
                for mv in bounded {
                    let lo = mv.min_volatility(0.02).unwrap().performance.volatility;
                    let top = mv.max_return_weights().unwrap();
                    let hi_vol = vol(&mv, &top);
                    for f in [0.02, 0.3, 0.7, 0.98] {
                        check_critical_line(&mv, lo + f * (hi_vol - lo));
                    }
                }
            }
        }
    }

    #[test]
    fn critical_line_keeps_pinned_assets_where_they_are() {
        let mv = problem(8, 2);
        let mut bounds = vec![(0.0, 0.6); 8];
        bounds[1] = (0.15, 0.15);
        bounds[4] = (0.0, 0.0);
        let mv = mv.asset_bounds(&bounds).unwrap();
        let lo = mv.min_volatility(0.02).unwrap().performance.volatility;
        let top = mv.max_return_weights().unwrap();
        let hi = vol(&mv, &top);
        for f in [0.1, 0.5, 0.9] {
            check_critical_line(&mv, lo + f * (hi - lo));
        }
        let s = mv.efficient_risk(lo + 0.5 * (hi - lo), 0.02).unwrap();
        assert_eq!((s.weights.values()[1], s.weights.values()[4]), (0.15, 0.0));
    }

    #[test]
    fn critical_line_handles_market_neutral_books() {
        let mv = problem(10, 3)
            .bounds(-0.4, 0.4)
            .unwrap()
            .market_neutral()
            .unwrap();
        let top = mv.max_return_weights().unwrap();
        let hi = vol(&mv, &top);
        for f in [0.1, 0.5, 0.9] {
            check_critical_line(&mv, f * hi);
        }
    }

    #[test]
    fn a_frontier_of_too_many_points_is_refused_before_any_solve() {
        let mv = problem(4, 3);
        for points in [1, MAX_FRONTIER_POINTS + 1, usize::MAX] {
            match mv.frontier(points, 0.02) {
                Err(e @ Error::InvalidParameter { name: "points", .. }) => {
                    assert_eq!(e.field(), Some("points"));
                }
                other => panic!("{points}: {other:?}"),
            }
        }
    }

    #[test]
    fn targets_at_the_ends_of_the_frontier() {
        let mv = problem(15, 11).bounds(0.0, 0.3).unwrap();
        let minvol = mv.min_volatility(0.02).unwrap();
        let lo = minvol.performance.volatility;
        // At the minimum volatility: the minimum-volatility portfolio, still
        // on the critical line (the walk ends there, at t = 0).
        assert!(mv.efficient_risk_critical_line(lo, 0.02).unwrap().is_some());
        let at = mv.efficient_risk(lo, 0.02).unwrap();
        assert!((at.weights.values() - minvol.weights.values()).amax() < 1e-6);
        assert!(at.performance.volatility <= lo + 1e-12);
        // Just below it: unreachable, naming the minimum.
        match mv.efficient_risk(lo * (1.0 - 1e-6), 0.02) {
            Err(Error::TargetVolatilityUnreachable { min, .. }) => {
                assert!((min - lo).abs() < 1e-15)
            }
            other => panic!("{other:?}"),
        }
        assert!(
            mv.efficient_risk_critical_line(lo * 0.5, 0.02)
                .unwrap()
                .is_none()
        );
        // At or above the maximum-return portfolio's volatility: that portfolio.
        let top = mv.max_return_weights().unwrap();
        let hi = vol(&mv, &top);
        for target in [hi, 1.5 * hi] {
            let s = mv.efficient_risk(target, 0.02).unwrap();
            assert_eq!(s.weights.values(), &top);
        }
        // Just below it: the last segment, entered from the top vertex.
        check_critical_line(&mv, hi * (1.0 - 1e-9));
    }

    #[test]
    fn ties_at_the_top_fall_back_to_the_general_path() {
        // Two assets share the highest return: the vertex the fill picks is
        // not the limit of the frontier, so the walk declines.
        let t: Vec<Symbol> = ["A", "B", "C"]
            .iter()
            .map(|s| (*s).parse().unwrap())
            .collect();
        let mu = ExpectedReturns::new(t.clone(), vec![0.12, 0.12, 0.05]).unwrap();
        let s = DMatrix::from_row_slice(3, 3, &[0.09, 0.0, 0.0, 0.0, 0.04, 0.0, 0.0, 0.0, 0.01]);
        let mv = MeanVariance::new(mu, CovarianceMatrix::new(t, s).unwrap()).unwrap();
        assert!(
            mv.efficient_risk_critical_line(0.12, 0.02)
                .unwrap()
                .is_none()
        );
        let s = mv.efficient_risk(0.12, 0.02).unwrap();
        let c = conic(&mv).efficient_risk(0.12, 0.02).unwrap();
        assert_eq!(s.method, "active-set");
        assert!((s.weights.values() - c.weights.values()).amax() < 1e-5);
        assert!((s.performance.volatility - 0.12).abs() < 1e-9);
    }

    #[test]
    fn singular_but_semidefinite_covariances_are_accepted() {
        let t: Vec<Symbol> = vec!["A".parse().unwrap(), "B".parse().unwrap()];
        let mu = ExpectedReturns::new(t.clone(), vec![0.1, 0.05]).unwrap();
        let singular = DMatrix::from_row_slice(2, 2, &[0.04, 0.04, 0.04, 0.04]);
        let cov = CovarianceMatrix::new(t.clone(), singular).unwrap();
        assert!(MeanVariance::new(mu.clone(), cov).is_ok());
        let indefinite = DMatrix::from_row_slice(2, 2, &[0.04, 0.05, 0.05, 0.04]);
        let cov = CovarianceMatrix::new(t, indefinite).unwrap();
        match MeanVariance::new(mu, cov) {
            Err(Error::NotPositiveSemiDefinite { min_eigenvalue }) => {
                assert!((min_eigenvalue + 0.01).abs() < 1e-12);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn l2_does_not_hide_reachable_volatility_targets() {
        let mv = problem(8, 5);
        let plain = mv.min_volatility(0.0).unwrap().performance.volatility;
        let l2 = mv.l2_regularisation(5.0).unwrap();
        let regularised = l2.min_volatility(0.0).unwrap().performance.volatility;
        assert!(regularised > plain);
        let target = 0.5 * (plain + regularised);
        let s = l2.efficient_risk(target, 0.0).unwrap();
        assert!(s.performance.volatility <= target + 1e-7);
        assert!(s.performance.volatility >= target - 1e-6);
        assert!(matches!(
            l2.efficient_risk(plain * 0.9, 0.0),
            Err(Error::TargetVolatilityUnreachable { .. })
        ));
    }

    #[test]
    fn l2_regularisation_takes_the_risk_aversion_walk() {
        // A light penalty leaves the volatility limit binding; a heavy one
        // spreads the weights so far that it no longer binds.
        for (gamma, binds) in [(0.05, true), (1.0, false)] {
            let mv = problem(12, 5).bounds(0.0, 0.4).unwrap();
            let mv = mv.l2_regularisation(gamma).unwrap();
            let lo = mv.min_volatility(0.02).unwrap().performance.volatility;
            let target = lo * 1.15;
            let s = mv.efficient_risk(target, 0.02).unwrap();
            let c = conic(&mv).efficient_risk(target, 0.02).unwrap();
            assert_eq!((s.method, c.method), ("active-set", "clarabel"));
            assert!((s.weights.values() - c.weights.values()).amax() < 1e-6);
            // The objective, mu'w - γ‖w‖², at least matches Clarabel's.
            let objective = |s: &Solution| {
                s.performance.expected_return - gamma * s.weights.values().norm_squared()
            };
            assert!(objective(&s) >= objective(&c) - 1e-9);
            let v = s.performance.volatility;
            assert_eq!((v - target).abs() < 1e-9, binds, "{v} vs {target}");
            assert!(v <= target + 1e-9);
        }
    }
}
