//! Hierarchical risk parity (López de Prado, 2016), inverse volatility and
//! equal weight.
//!
//! # Hierarchical risk parity
//!
//! 1. **Moments.** From a [`ReturnMatrix`], the daily covariance `S` and
//!    correlation `ρ` are pairwise-complete, as pandas' `DataFrame.cov()` and
//!    `corr()`: each pair uses the dates both assets were observed, with the
//!    means of those dates, `S_ij = Σ (x - x̄)(y - ȳ) / (n_ij - 1)` and
//!    `ρ_ij = Σ (x - x̄)(y - ȳ) / sqrt(Σ (x - x̄)² Σ (y - ȳ)²)`, clipped to
//!    `[-1, 1]`. From a [`CovarianceMatrix`], `ρ_ij = S_ij / sqrt(S_ii S_jj)`
//!    rounded to 6 decimals (half to even), as PyPortfolioOpt's `HRPOpt` does.
//!    Pairwise-complete moments are the crate's default
//!    [`MissingData::Pairwise`](crate::MissingData) policy, and also
//!    PyPortfolioOpt's for HRP, so no compatibility switch is needed.
//! 2. **Distance** `d_ij = sqrt(clip((1 - ρ_ij) / 2, 0, 1))`.
//! 3. **Clustering** ([`linkage`]) with [`Linkage::Single`] (the default),
//!    `Complete`, `Average` or `Ward`, reproducing SciPy's `linkage` merge for
//!    merge, ties included: single linkage by Prim's minimum spanning tree,
//!    the others by the nearest-neighbour chain with the Lance-Williams updates
//!    `min`, `max`, `(n_x d_xi + n_y d_yi) / (n_x + n_y)` and
//!    `sqrt(((n_i + n_x) d_xi² + (n_i + n_y) d_yi² - n_i d_xy²) / (n_x + n_y + n_i))`;
//!    then a stable sort by height and union-find relabelling. `O(n²)` time
//!    and memory (the condensed distance matrix).
//! 4. **Quasi-diagonal order**: the leaves of the dendrogram left to right
//!    (SciPy's `leaves_list`).
//! 5. **Recursive bisection** of that order into halves (the first half has
//!    `⌊len/2⌋` assets). Each half's variance is that of its inverse-variance
//!    portfolio, `V = w' S w` with `w_i ∝ 1 / S_ii`; the first half's weights
//!    are scaled by `α = 1 - V₁ / (V₁ + V₂)` and the second's by `1 - α`.
//!
//! [`Hrp::performance`] is `HRPOpt.portfolio_performance`: the **arithmetic**
//! mean return times 252 and the pairwise covariance times 252 (unlike the
//! geometric [`crate::expected_returns`]).
//!
//! # Inverse volatility and equal weight
//!
//! [`inverse_volatility`]: `w_i = (1 / σ_i) / Σ_j (1 / σ_j)` with
//! `σ_i = sqrt(S_ii)`. [`equal_weight`]: `w_i = 1 / n`.

use std::cmp::Ordering;

use auravest_core::Symbol;

use nalgebra::{DMatrix, DVector};

use crate::{
    CovarianceMatrix, Error, PERIODS_PER_YEAR, Performance, Result, ReturnMatrix, Weights,
};

/// How the distance between two clusters is measured when they are merged.
#[non_exhaustive]
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Linkage {
    /// Nearest members (SciPy `single`): PyPortfolioOpt's default.
    #[default]
    Single,
    /// Farthest members (SciPy `complete`).
    Complete,
    /// Mean distance between members (UPGMA, SciPy `average`).
    Average,
    /// Ward's minimum-variance criterion (SciPy `ward`).
    Ward,
}

/// One merge of a dendrogram, in SciPy's linkage-matrix convention.
///
/// Leaves are numbered `0..n`; the cluster formed by merge `k` is `n + k`.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Merge {
    /// The smaller id of the two clusters merged.
    pub left: usize,
    /// The larger id of the two clusters merged.
    pub right: usize,
    /// The distance between them under the linkage.
    pub distance: f64,
    /// Number of leaves in the new cluster.
    pub size: usize,
}

/// A hierarchical clustering of `n` items: `n - 1` merges, by height.
#[derive(Debug, Clone, PartialEq)]
pub struct Dendrogram {
    leaves: usize,
    merges: Vec<Merge>,
}

impl Dendrogram {
    /// The merges, in SciPy's order (by distance, stable).
    pub fn merges(&self) -> &[Merge] {
        &self.merges
    }

    /// Number of leaves (clustered items).
    pub fn len(&self) -> usize {
        self.leaves
    }

    /// Whether the dendrogram has no leaves (never true: [`linkage`] needs one item).
    pub fn is_empty(&self) -> bool {
        self.leaves == 0
    }

    /// The leaves left to right: a pre-order walk from the root that visits the
    /// smaller id first (SciPy's `leaves_list`, the quasi-diagonal order).
    pub fn leaves(&self) -> Vec<usize> {
        let n = self.leaves;
        if n <= 1 {
            return (0..n).collect();
        }
        let mut order = Vec::with_capacity(n);
        let mut stack = vec![2 * n - 2];
        while let Some(node) = stack.pop() {
            if node < n {
                order.push(node);
            } else {
                let m = &self.merges[node - n];
                stack.push(m.right);
                stack.push(m.left);
            }
        }
        order
    }
}

/// Index of pair `(i, j)`, `i < j`, in a condensed distance matrix of `n` items.
fn condensed(n: usize, i: usize, j: usize) -> usize {
    let (a, b) = if i < j { (i, j) } else { (j, i) };
    n * a - a * (a + 1) / 2 + (b - a - 1)
}

/// Clusters `n` items from their `n x n` distance matrix.
///
/// The upper triangle is read into SciPy's condensed form; the lower one
/// must match it within a relative 1e-10. The merges and their order equal
/// `scipy.cluster.hierarchy.linkage(squareform(d), method)` (SciPy 1.17),
/// ties included.
///
/// # Errors
/// [`Error::DimensionMismatch`] unless square and non-empty,
/// [`Error::NonFinite`], [`Error::NotSymmetric`], or
/// [`Error::InvalidParameter`] for a negative distance.
pub fn linkage(distances: &DMatrix<f64>, method: Linkage) -> Result<Dendrogram> {
    let n = distances.nrows();
    if n == 0 || distances.ncols() != n {
        return Err(Error::DimensionMismatch {
            what: format!(
                "a distance matrix must be square and non-empty, got {}x{}",
                distances.nrows(),
                distances.ncols()
            ),
        });
    }
    let mut d = Vec::with_capacity(n * (n - 1) / 2);
    for i in 0..n {
        for j in i + 1..n {
            let v = distances[(i, j)];
            if !v.is_finite() {
                return Err(Error::NonFinite {
                    what: "distances",
                    index: format!("({i}, {j})"),
                });
            }
            if v < 0.0 {
                return Err(Error::InvalidParameter {
                    name: "distances",
                    reason: format!("distance ({i}, {j}) is negative ({v})"),
                });
            }
            let w = distances[(j, i)];
            if !((v - w).abs() <= 1e-10 * v.abs().max(w.abs())) {
                return Err(Error::NotSymmetric { row: i, col: j });
            }
            d.push(v);
        }
    }
    Ok(linkage_condensed(d, n, method))
}

/// Clustering of a validated condensed distance vector.
fn linkage_condensed(d: Vec<f64>, n: usize, method: Linkage) -> Dendrogram {
    if n == 1 {
        return Dendrogram {
            leaves: 1,
            merges: Vec::new(),
        };
    }
    let raw = match method {
        Linkage::Single => mst_single(&d, n),
        Linkage::Complete | Linkage::Average | Linkage::Ward => nn_chain(d, n, method),
    };
    Dendrogram {
        leaves: n,
        merges: relabel(raw, n),
    }
}

/// Unlabelled merge: two representative items and the height.
struct RawMerge {
    x: usize,
    y: usize,
    distance: f64,
}

/// Prim's algorithm from item 0, as SciPy's `mst_single_linkage`.
fn mst_single(d: &[f64], n: usize) -> Vec<RawMerge> {
    let mut merged = vec![false; n];
    let mut best = vec![f64::INFINITY; n];
    let mut out = Vec::with_capacity(n - 1);
    let mut x = 0;
    let mut y = 0;
    for _ in 0..n - 1 {
        let mut current = f64::INFINITY;
        merged[x] = true;
        for i in 0..n {
            if merged[i] {
                continue;
            }
            let dist = d[condensed(n, x, i)];
            if best[i] > dist {
                best[i] = dist;
            }
            if best[i] < current {
                y = i;
                current = best[i];
            }
        }
        out.push(RawMerge {
            x,
            y,
            distance: current,
        });
        x = y;
    }
    out
}

/// Lance-Williams update of the distance from cluster `i` to `x ∪ y`, with
/// SciPy's operation order.
fn updated_distance(
    method: Linkage,
    d_xi: f64,
    d_yi: f64,
    d_xy: f64,
    (nx, ny, ni): (usize, usize, usize),
) -> f64 {
    let (nx, ny, ni) = (nx as f64, ny as f64, ni as f64);
    match method {
        Linkage::Single => d_xi.min(d_yi),
        Linkage::Complete => d_xi.max(d_yi),
        Linkage::Average => (nx * d_xi + ny * d_yi) / (nx + ny),
        Linkage::Ward => {
            let t = 1.0 / (nx + ny + ni);
            ((ni + nx) * t * d_xi * d_xi + (ni + ny) * t * d_yi * d_yi - ni * t * d_xy * d_xy)
                .max(0.0)
                .sqrt()
        }
    }
}

/// The nearest-neighbour chain algorithm, as SciPy's `nn_chain`.
fn nn_chain(mut d: Vec<f64>, n: usize, method: Linkage) -> Vec<RawMerge> {
    let mut size = vec![1usize; n];
    let mut chain: Vec<usize> = Vec::with_capacity(n);
    let mut out = Vec::with_capacity(n - 1);
    for _ in 0..n - 1 {
        if chain.is_empty()
            && let Some(first) = (0..n).find(|&i| size[i] > 0)
        {
            chain.push(first);
        }
        let (x, y, current) = loop {
            let len = chain.len();
            let x = chain[len - 1];
            let (mut y, mut current) = if len > 1 {
                let prev = chain[len - 2];
                (prev, d[condensed(n, x, prev)])
            } else {
                (x, f64::INFINITY)
            };
            for i in 0..n {
                if size[i] == 0 || i == x {
                    continue;
                }
                let dist = d[condensed(n, x, i)];
                if dist < current {
                    current = dist;
                    y = i;
                }
            }
            if len > 1 && y == chain[len - 2] {
                break (x, y, current);
            }
            chain.push(y);
        };
        chain.truncate(chain.len() - 2);
        let (x, y) = if x > y { (y, x) } else { (x, y) };
        let (nx, ny) = (size[x], size[y]);
        out.push(RawMerge {
            x,
            y,
            distance: current,
        });
        size[x] = 0;
        size[y] = nx + ny;
        for i in 0..n {
            let ni = size[i];
            if ni == 0 || i == y {
                continue;
            }
            let v = updated_distance(
                method,
                d[condensed(n, i, x)],
                d[condensed(n, i, y)],
                current,
                (nx, ny, ni),
            );
            d[condensed(n, i, y)] = v;
        }
    }
    out
}

/// Stable sort by height, then cluster ids by union-find (SciPy's `label`).
fn relabel(mut raw: Vec<RawMerge>, n: usize) -> Vec<Merge> {
    raw.sort_by(|a, b| {
        a.distance
            .partial_cmp(&b.distance)
            .unwrap_or(Ordering::Equal)
    });
    let mut parent: Vec<usize> = (0..2 * n - 1).collect();
    let mut size = vec![1usize; 2 * n - 1];
    let mut next = n;
    let find = |parent: &mut Vec<usize>, mut x: usize| {
        let mut p = x;
        while parent[x] != x {
            x = parent[x];
        }
        while parent[p] != x {
            let up = parent[p];
            parent[p] = x;
            p = up;
        }
        x
    };
    raw.into_iter()
        .map(|m| {
            let xr = find(&mut parent, m.x);
            let yr = find(&mut parent, m.y);
            let (left, right) = if xr < yr { (xr, yr) } else { (yr, xr) };
            parent[xr] = next;
            parent[yr] = next;
            size[next] = size[xr] + size[yr];
            let merged = Merge {
                left,
                right,
                distance: m.distance,
                size: size[next],
            };
            next += 1;
            merged
        })
        .collect()
}

/// Pairwise-complete daily moments of a return matrix (pandas semantics).
#[derive(Debug, Clone, PartialEq)]
pub struct PairwiseMoments {
    tickers: Vec<Symbol>,
    means: DVector<f64>,
    covariance: DMatrix<f64>,
    correlation: DMatrix<f64>,
    counts: DMatrix<f64>,
}

impl PairwiseMoments {
    /// Daily moments of `returns`: each mean over the asset's own observations,
    /// each covariance (`ddof = 1`) and correlation over the dates both assets
    /// were observed, with the means of those dates.
    ///
    /// Complete columns go through one matrix product; pairs involving a
    /// column with gaps through three more products restricted to those
    /// columns, so the cost is `O(T N²)` floating-point work in BLAS-like
    /// kernels rather than a loop per pair.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] when there are no assets,
    /// [`Error::InsufficientHistory`] when an asset, or a pair of assets
    /// jointly, has fewer than 2 observations, and [`Error::InvalidParameter`]
    /// when an asset is constant over the dates it shares with another
    /// (its correlation is undefined).
    pub fn new(returns: &ReturnMatrix) -> Result<Self> {
        let x = returns.values();
        let (t, n) = (x.nrows(), x.ncols());
        let tickers = returns.tickers().to_vec();
        if n == 0 {
            return Err(no_assets());
        }
        let mut means = DVector::zeros(n);
        let mut counts_own = vec![0usize; n];
        for j in 0..n {
            let (mut sum, mut count) = (0.0, 0usize);
            for v in x.column(j).iter().filter(|v| !v.is_nan()) {
                sum += v;
                count += 1;
            }
            if count < 2 {
                return Err(Error::InsufficientHistory {
                    ticker: tickers[j].to_string(),
                    needed: 2,
                    got: count,
                });
            }
            counts_own[j] = count;
            means[j] = sum / count as f64;
        }
        // Centred on each column's own mean, missing as 0: the pairwise sums
        // below are then differences of small numbers, not of raw moments.
        let xc = DMatrix::from_fn(t, n, |r, c| {
            let v = x[(r, c)];
            if v.is_nan() { 0.0 } else { v - means[c] }
        });
        let sxy = xc.transpose() * &xc;
        let col_sum: Vec<f64> = (0..n).map(|j| xc.column(j).sum()).collect();
        let col_ss: Vec<f64> = (0..n).map(|j| xc.column(j).norm_squared()).collect();
        let gaps: Vec<usize> = (0..n).filter(|&j| counts_own[j] < t).collect();
        let mut slot = vec![usize::MAX; n];
        for (k, &j) in gaps.iter().enumerate() {
            slot[j] = k;
        }
        // For a column b with gaps: sums over the rows where b is observed.
        let (cnt, sx, sxx) = if gaps.is_empty() {
            (
                DMatrix::zeros(n, 0),
                DMatrix::zeros(n, 0),
                DMatrix::zeros(n, 0),
            )
        } else {
            let m_gap = DMatrix::from_fn(t, gaps.len(), |r, k| {
                if x[(r, gaps[k])].is_nan() { 0.0 } else { 1.0 }
            });
            let observed =
                DMatrix::from_fn(t, n, |r, c| if x[(r, c)].is_nan() { 0.0 } else { 1.0 });
            let xc2 = xc.map(|v| v * v);
            (
                observed.transpose() * &m_gap,
                xc.transpose() * &m_gap,
                xc2.transpose() * &m_gap,
            )
        };
        // Sum of column a's centred values, of their squares, and the count,
        // over the rows where column b is also observed.
        let pair = |a: usize, b: usize| -> (f64, f64, f64) {
            if slot[b] == usize::MAX {
                (col_sum[a], col_ss[a], counts_own[a] as f64)
            } else {
                let k = slot[b];
                (sx[(a, k)], sxx[(a, k)], cnt[(a, k)])
            }
        };
        let mut covariance = DMatrix::zeros(n, n);
        let mut correlation = DMatrix::zeros(n, n);
        let mut counts = DMatrix::zeros(n, n);
        for i in 0..n {
            for j in 0..=i {
                let (sum_i, ss_i, nobs) = pair(i, j);
                let (sum_j, ss_j, _) = pair(j, i);
                if nobs < 2.0 {
                    return Err(Error::InsufficientHistory {
                        ticker: format!("{} with {}", tickers[i], tickers[j]),
                        needed: 2,
                        got: nobs as usize,
                    });
                }
                let cxy = sxy[(i, j)] - sum_i * sum_j / nobs;
                let vi = ss_i - sum_i * sum_i / nobs;
                let vj = ss_j - sum_j * sum_j / nobs;
                let cov = cxy / (nobs - 1.0);
                let denom = (vi * vj).sqrt();
                if !(denom > 0.0) {
                    let constant = if vi > 0.0 { &tickers[j] } else { &tickers[i] };
                    let other = if vi > 0.0 { &tickers[i] } else { &tickers[j] };
                    return Err(Error::InvalidParameter {
                        name: "returns",
                        reason: format!(
                            "{constant} has constant returns over the dates it shares with {other}: \
                             its correlation is undefined; drop it or use more history"
                        ),
                    });
                }
                let corr = (cxy / denom).clamp(-1.0, 1.0);
                covariance[(i, j)] = cov;
                covariance[(j, i)] = cov;
                correlation[(i, j)] = corr;
                correlation[(j, i)] = corr;
                counts[(i, j)] = nobs;
                counts[(j, i)] = nobs;
            }
        }
        Ok(Self {
            tickers,
            means,
            covariance,
            correlation,
            counts,
        })
    }

    /// The tickers.
    pub fn tickers(&self) -> &[Symbol] {
        &self.tickers
    }

    /// Daily arithmetic mean return of each asset over its own observations.
    pub fn means(&self) -> &DVector<f64> {
        &self.means
    }

    /// Daily pairwise-complete covariance (`ddof = 1`, not annualised).
    pub fn covariance(&self) -> &DMatrix<f64> {
        &self.covariance
    }

    /// Pairwise-complete correlation.
    pub fn correlation(&self) -> &DMatrix<f64> {
        &self.correlation
    }

    /// Number of dates each pair was jointly observed (the diagonal: each
    /// asset's own count).
    pub fn counts(&self) -> &DMatrix<f64> {
        &self.counts
    }
}

fn no_assets() -> Error {
    Error::InvalidParameter {
        name: "tickers",
        reason: "there are no assets".to_owned(),
    }
}

/// A hierarchical-risk-parity portfolio with its clustering.
#[derive(Debug, Clone, PartialEq)]
pub struct Hrp {
    weights: Weights,
    dendrogram: Dendrogram,
    order: Vec<usize>,
    covariance: DMatrix<f64>,
    means: Option<DVector<f64>>,
}

impl Hrp {
    /// HRP from daily returns (PyPortfolioOpt's `HRPOpt(returns).optimize(linkage)`).
    ///
    /// # Errors
    /// As [`PairwiseMoments::new`]; [`Error::NotPositiveSemiDefinite`] or
    /// [`Error::InvalidParameter`] when a cluster's variance is negative or
    /// both halves of a split have zero variance.
    pub fn from_returns(returns: &ReturnMatrix, linkage: Linkage) -> Result<Self> {
        let moments = PairwiseMoments::new(returns)?;
        let PairwiseMoments {
            tickers,
            means,
            covariance,
            correlation,
            ..
        } = moments;
        Self::build(tickers, covariance, &correlation, linkage, Some(means))
    }

    /// HRP from a covariance matrix (PyPortfolioOpt's
    /// `HRPOpt(cov_matrix=cov).optimize(linkage)`): the correlation is
    /// `S_ij / sqrt(S_ii S_jj)` rounded to 6 decimals. The scale of `cov`
    /// (daily or annual) does not change the weights.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] when there are no assets or a variance is
    /// not positive; then as [`Hrp::from_returns`].
    pub fn from_covariance(cov: &CovarianceMatrix, linkage: Linkage) -> Result<Self> {
        let s = cov.matrix();
        let n = cov.len();
        if n == 0 {
            return Err(no_assets());
        }
        let inv_sd = positive_variances(cov)?.map(|v| 1.0 / v.sqrt());
        let correlation = DMatrix::from_fn(n, n, |i, j| {
            let c = inv_sd[i] * (s[(i, j)] * inv_sd[j]);
            (c * 1e6).round_ties_even() / 1e6
        });
        Self::build(
            cov.tickers().to_vec(),
            s.clone(),
            &correlation,
            linkage,
            None,
        )
    }

    fn build(
        tickers: Vec<Symbol>,
        covariance: DMatrix<f64>,
        correlation: &DMatrix<f64>,
        method: Linkage,
        means: Option<DVector<f64>>,
    ) -> Result<Self> {
        let n = tickers.len();
        let mut d = Vec::with_capacity(n * n.saturating_sub(1) / 2);
        for i in 0..n {
            for j in i + 1..n {
                d.push(((1.0 - correlation[(i, j)]) / 2.0).clamp(0.0, 1.0).sqrt());
            }
        }
        let dendrogram = linkage_condensed(d, n, method);
        let order = dendrogram.leaves();
        let w = bisection(&covariance, &order, &tickers)?;
        Ok(Self {
            weights: Weights::from_vector(tickers, w),
            dendrogram,
            order,
            covariance,
            means,
        })
    }

    /// The weights, in the input's ticker order; positive and summing to 1.
    pub fn weights(&self) -> &Weights {
        &self.weights
    }

    /// The weights, by value.
    pub fn into_weights(self) -> Weights {
        self.weights
    }

    /// The clustering.
    pub fn dendrogram(&self) -> &Dendrogram {
        &self.dendrogram
    }

    /// The quasi-diagonal order, as indices into the tickers.
    pub fn leaf_order(&self) -> &[usize] {
        &self.order
    }

    /// The tickers in quasi-diagonal order.
    pub fn ordered_tickers(&self) -> Vec<&str> {
        let t = self.weights.tickers();
        self.order.iter().map(|&i| t[i].as_str()).collect()
    }

    /// The covariance the bisection used (daily and pairwise-complete when
    /// built from returns).
    pub fn covariance(&self) -> &DMatrix<f64> {
        &self.covariance
    }

    /// `HRPOpt.portfolio_performance(risk_free_rate)`: expected return
    /// `252 · w · mean` with the arithmetic daily means, volatility
    /// `sqrt(w' (252 S) w)` with the pairwise daily covariance.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] when built from a covariance, which has no
    /// expected returns: use [`crate::portfolio_performance`] with your own.
    pub fn performance(&self, risk_free_rate: f64) -> Result<Performance> {
        let Some(means) = &self.means else {
            return Err(Error::InvalidParameter {
                name: "expected_returns",
                reason: "this HRP portfolio was built from a covariance matrix and has no \
                         expected returns; call portfolio_performance with your own"
                    .to_owned(),
            });
        };
        let w = self.weights.values();
        let mu = means * PERIODS_PER_YEAR;
        let cov = &self.covariance * PERIODS_PER_YEAR;
        let ret = w.dot(&mu);
        let vol = (&cov * w).dot(w).max(0.0).sqrt();
        Ok(Performance {
            expected_return: ret,
            volatility: vol,
            sharpe: (vol > 0.0).then(|| (ret - risk_free_rate) / vol),
        })
    }
}

/// The diagonal of `cov`, each entry checked positive.
fn positive_variances(cov: &CovarianceMatrix) -> Result<DVector<f64>> {
    let diag = cov.matrix().diagonal();
    if let Some(i) = diag.iter().position(|v| !(*v > 0.0)) {
        return Err(Error::InvalidParameter {
            name: "covariance",
            reason: format!(
                "{} has variance {}; every asset needs a positive variance",
                cov.tickers()[i],
                diag[i]
            ),
        });
    }
    Ok(diag)
}

/// Variance of the inverse-variance portfolio of `items`.
fn cluster_variance(cov: &DMatrix<f64>, items: &[usize]) -> f64 {
    let inv: Vec<f64> = items.iter().map(|&i| 1.0 / cov[(i, i)]).collect();
    let total: f64 = inv.iter().sum();
    let w: Vec<f64> = inv.iter().map(|v| v / total).collect();
    let mut var = 0.0;
    for (a, &i) in items.iter().enumerate() {
        let mut row = 0.0;
        for (b, &j) in items.iter().enumerate() {
            row += cov[(i, j)] * w[b];
        }
        var += w[a] * row;
    }
    var
}

/// Recursive bisection of the ordered assets (PyPortfolioOpt's
/// `_raw_hrp_allocation`), returning weights in ticker order.
fn bisection(cov: &DMatrix<f64>, order: &[usize], tickers: &[Symbol]) -> Result<DVector<f64>> {
    let n = order.len();
    if let Some(&i) = order.iter().find(|&&i| !(cov[(i, i)] > 0.0)) {
        return Err(Error::InvalidParameter {
            name: "covariance",
            reason: format!(
                "{} has variance {}; every asset needs a positive variance",
                tickers[i],
                cov[(i, i)]
            ),
        });
    }
    let mut w = DVector::from_element(n, 1.0);
    let mut stack: Vec<&[usize]> = vec![order];
    while let Some(items) = stack.pop() {
        if items.len() < 2 {
            continue;
        }
        let (first, second) = items.split_at(items.len() / 2);
        let v1 = cluster_variance(cov, first);
        let v2 = cluster_variance(cov, second);
        if v1 < 0.0 || v2 < 0.0 {
            let min_eigenvalue = cov.clone().symmetric_eigenvalues().min();
            return Err(Error::NotPositiveSemiDefinite { min_eigenvalue });
        }
        if !(v1 + v2 > 0.0) {
            let names: Vec<&str> = items.iter().map(|&i| tickers[i].as_str()).collect();
            return Err(Error::InvalidParameter {
                name: "covariance",
                reason: format!(
                    "both halves of the cluster {names:?} have zero variance, so their split is \
                     undefined; remove perfectly hedged duplicates"
                ),
            });
        }
        let alpha = 1.0 - v1 / (v1 + v2);
        for &i in first {
            w[i] *= alpha;
        }
        for &i in second {
            w[i] *= 1.0 - alpha;
        }
        // Children after parents, so each asset's factors multiply top-down.
        stack.push(second);
        stack.push(first);
    }
    Ok(w)
}

/// Inverse-volatility weights, `w_i ∝ 1 / sqrt(S_ii)`.
///
/// # Errors
/// [`Error::InvalidParameter`] when there are no assets or a variance is not
/// positive.
pub fn inverse_volatility(cov: &CovarianceMatrix) -> Result<Weights> {
    if cov.is_empty() {
        return Err(no_assets());
    }
    let inv = positive_variances(cov)?.map(|v| 1.0 / v.sqrt());
    let total = inv.sum();
    Ok(Weights::from_vector(cov.tickers().to_vec(), inv / total))
}

/// Equal weights, `1 / n` each.
///
/// # Errors
/// [`Error::InvalidParameter`] when `tickers` is empty or names a ticker twice.
pub fn equal_weight(tickers: &[Symbol]) -> Result<Weights> {
    if tickers.is_empty() {
        return Err(no_assets());
    }
    let mut seen: Vec<&str> = tickers.iter().map(Symbol::as_str).collect();
    seen.sort_unstable();
    if let Some(w) = seen.windows(2).find(|w| w[0] == w[1]) {
        return Err(Error::InvalidParameter {
            name: "tickers",
            reason: format!("{} appears twice", w[0]),
        });
    }
    let n = tickers.len();
    Ok(Weights::from_vector(
        tickers.to_vec(),
        DVector::from_element(n, 1.0 / n as f64),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn condensed_index_matches_scipy_layout() {
        // n = 4: (0,1)=0 (0,2)=1 (0,3)=2 (1,2)=3 (1,3)=4 (2,3)=5
        let got: Vec<usize> = [(0, 1), (0, 2), (0, 3), (1, 2), (1, 3), (2, 3)]
            .iter()
            .map(|&(i, j)| condensed(4, i, j))
            .collect();
        assert_eq!(got, vec![0, 1, 2, 3, 4, 5]);
        assert_eq!(condensed(4, 3, 1), 4);
    }

    #[test]
    fn two_assets_split_by_inverse_variance() {
        let cov = DMatrix::from_row_slice(2, 2, &[0.04, 0.0, 0.0, 0.01]);
        let w = bisection(&cov, &[0, 1], &["A".parse().unwrap(), "B".parse().unwrap()]).unwrap();
        // alpha = 1 - 0.04 / 0.05 = 0.2
        assert!((w[0] - 0.2).abs() < 1e-15 && (w[1] - 0.8).abs() < 1e-15);
    }
}
