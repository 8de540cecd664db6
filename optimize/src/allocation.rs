//! Whole-share allocation of a cash amount at the latest prices, and
//! rebalancing from current holdings with a fee per trade.
//!
//! Notation: cash `V`, weights `w_i` (summing to 1 within
//! [`WEIGHT_SUM_TOLERANCE`]), prices `p_i`, target values `t_i = w_i V`,
//! shares `x_i`.
//!
//! # Greedy ([`greedy`])
//! PyPortfolioOpt's `greedy_portfolio`, step for step: sort by weight,
//! largest first (stable); buy `⌊t_i / p_i⌋` shares of each; then, while cash
//! remains, buy one share of the asset whose held weight `x_i p_i / Σ x_j p_j`
//! falls furthest below `w_i`, skipping assets dearer than the cash left (at
//! most 10 skips, then it stops) and stopping when no asset is below its
//! weight. Two deviations, both where PyPortfolioOpt misbehaves: when nothing
//! is held yet the held weights are taken as 0 (PyPortfolioOpt divides 0 by 0
//! and may then buy an asset of zero weight), and a first round that would
//! overspend (weights summing slightly above 1) buys fewer shares instead of
//! failing an assertion. The leftover is `V - Σ x_i p_i`, never negative, and
//! when it stops every asset still below its target weight costs more than the
//! leftover, provided at most 10 assets are below target (the skip cap binds
//! only beyond that).
//!
//! # Exact ([`exact`])
//! The integer programme of PyPortfolioOpt's `lp_portfolio`:
//! minimise `Σ_i |t_i - x_i p_i| + r` with `r = V - Σ x_i p_i ≥ 0`,
//! `x_i ≥ 0` integer. Since `Σ t_i = V`, the objective equals
//! `2 Σ_i max(0, t_i - x_i p_i)` plus a constant: twice the total shortfall
//! below target (equivalently the leftover plus what the last share of each
//! asset bought past its target overshoots). Shares beyond an asset's target
//! change nothing, so among equal optima the one that buys no share past
//! `⌈t_i / p_i⌉` is returned (PyPortfolioOpt's MILP solver may add some; their
//! objective is the same).
//!
//! The solver is a dedicated branch and bound, optimal to within
//! [`EXACT_TOLERANCE`]` · V` of shortfall (a hundredth of a cent on 10,000).
//! With `f_i = ⌊t_i / p_i⌋`, `ρ_i = t_i - f_i p_i` and `L = V - Σ f_i p_i`,
//! an optimum rounds a set `C` of assets up to `f_i + 1`
//! and sells back whole shares worth `K` from the others: the shortfall is
//! `Σ_{i ∉ C} ρ_i + K` subject to `Σ_{i ∈ C} p_i - K ≤ L`. The outer search
//! chooses `C` like a knapsack (items of weight `p_i` and value `ρ_i`, by
//! `ρ_i / p_i`, bounded by the linear relaxation); where `C` overspends, an
//! inner search finds the least `K ≥ Σ_C p_i - L` (dearest assets first, each
//! count bounded by what the cheaper ones can still reach). The greedy
//! allocation is the first incumbent. The search stops with [`Error::Solver`]
//! after [`MAX_NODES`] nodes (20 assets take at most tens of thousands on the
//! shared prices, random universes of 60 assets a few million). On the shared
//! prices it equals PyPortfolioOpt wherever its solver (HiGHS) closes the gap,
//! and beats PyPortfolioOpt's default run where HiGHS stops early.
//!
//! # Short positions
//! As PyPortfolioOpt: negative weights split the portfolio into a long book
//! (the non-negative weights, scaled to sum to 1, allocated with `V`) and a
//! short book (the negative weights' magnitudes scaled to sum to 1, allocated
//! with `V · s`, `s = Σ |negative weights|`), each by the same method; short
//! shares come back negative, and the leftover is the long book's unspent
//! cash plus the short book's unused budget (PyPortfolioOpt's figure; the
//! short-sale proceeds are not counted as cash). The weights must still sum to
//! 1 (net long 100%); a market-neutral portfolio is rejected.
//!
//! # Rebalancing ([`rebalance`])
//! From holdings `h_i` and cash `c ≥ 0`, with a fee `φ ≥ 0` per trade:
//! 1. The portfolio is worth `V = c + Σ h_i p_i`; the target shares `x_i` are
//!    the allocation of `V` by the chosen [`Method`] (tickers held but not in
//!    the weights have target 0).
//! 2. With no fee (`φ = 0`) every trade `x_i - h_i` is made: the holdings
//!    become the method's target. With a fee, a trade is made only when its
//!    benefit, the reduction of the position's distance from its target
//!    value, `b_i = |t_i - h_i p_i| - |t_i - x_i p_i|`, is at least the fee
//!    (`b_i ≥ φ`); otherwise the holding is kept.
//! 3. Cash after the trades is `c - Σ (x_i - h_i) p_i - φ · trades`. If it is
//!    negative and `φ > 0`, steps 1 and 2 are redone once with `V` reduced by
//!    the fees of the trades just chosen.
//! 4. If the cash is still negative, purchases are dropped, least net benefit
//!    `b_i - φ` first, until it is not. (Each sale made raises at least its
//!    benefit, hence at least its fee, so dropping every purchase always
//!    suffices; without a fee the target already fits in `V`.)
//!
//! The result's `trades` are the trades made, `fees` is `φ` times their count,
//! `leftover` the cash after them (short-sale proceeds included), and `shares`
//! the holdings after them.

use std::collections::{BTreeMap, BTreeSet};

use auravest_core::Symbol;

use auravest_core::PriceFrame;

use crate::{Error, Result, Weights};

/// How far from 1 the weights may sum (rounded weights are accepted).
pub const WEIGHT_SUM_TOLERANCE: f64 = 1e-3;

/// The exact method's budget of branch-and-bound nodes.
pub const MAX_NODES: u64 = 20_000_000;

/// The exact method's optimality tolerance, as a fraction of the cash: the
/// shortfall it returns is within `EXACT_TOLERANCE · V` of the least possible
/// (a hundredth of a cent on 10,000).
pub const EXACT_TOLERANCE: f64 = 1e-8;

/// Greedy's cap on the assets it skips as too dear before stopping
/// (PyPortfolioOpt's).
const MAX_SKIPS: usize = 10;

/// A share allocation: the CLI's `{"shares", "trades", "fees", "leftover"}`.
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize, serde::Deserialize)]
pub struct Allocation {
    /// Shares held afterwards, by ticker (zero positions left out; negative
    /// for short positions).
    pub shares: BTreeMap<Symbol, i64>,
    /// Shares bought (positive) or sold (negative), by ticker.
    pub trades: BTreeMap<Symbol, i64>,
    /// Fees paid.
    pub fees: f64,
    /// Cash left over.
    pub leftover: f64,
}

/// An allocation method.
#[non_exhaustive]
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// [`greedy`].
    #[default]
    Greedy,
    /// [`exact`].
    Exact,
}

/// Settings of [`rebalance`].
#[derive(Debug, Clone, Copy, PartialEq, Default, serde::Serialize, serde::Deserialize)]
pub struct RebalanceOptions {
    /// How the target shares are chosen.
    pub method: Method,
    /// The fee of one trade, in cash units.
    pub fee_per_trade: f64,
}

/// The last known price of every column (PyPortfolioOpt's
/// `get_latest_prices`: `prices.ffill().iloc[-1]`); columns with no price are
/// left out.
pub fn latest_prices(prices: &PriceFrame) -> BTreeMap<Symbol, f64> {
    prices
        .columns()
        .iter()
        .enumerate()
        .filter_map(|(j, name)| {
            let col = prices.column_at(j)?;
            col.iter().rev().find_map(|v| *v).map(|p| (name.clone(), p))
        })
        .collect()
}

fn invalid(name: &'static str, reason: impl Into<String>) -> Error {
    Error::InvalidParameter {
        name,
        reason: reason.into(),
    }
}

/// One weight with its price, in the input's order.
#[derive(Debug, Clone)]
struct Asset {
    ticker: Symbol,
    weight: f64,
    /// Zero only for a zero-weight asset without a price (never bought).
    price: f64,
}

fn check_cash(cash: f64) -> Result<()> {
    if cash.is_finite() && cash > 0.0 {
        Ok(())
    } else {
        Err(invalid(
            "cash",
            format!("{cash}: the cash to allocate must be finite and positive"),
        ))
    }
}

fn check_price(ticker: &str, price: Option<&f64>) -> Result<f64> {
    match price {
        Some(&p) if p.is_finite() && p > 0.0 => Ok(p),
        Some(&p) => Err(invalid(
            "prices",
            format!("{ticker} has price {p}; prices must be finite and positive"),
        )),
        None => Err(invalid(
            "prices",
            format!(
                "{ticker} has no latest price; give a price for every ticker with a weight or holding"
            ),
        )),
    }
}

/// Validates the weights and pairs them with prices.
fn assets(weights: &Weights, prices: &BTreeMap<Symbol, f64>) -> Result<Vec<Asset>> {
    let mut seen = BTreeSet::new();
    let mut out = Vec::with_capacity(weights.tickers().len());
    for (ticker, &w) in weights.tickers().iter().zip(weights.values().iter()) {
        if !seen.insert(ticker.as_str()) {
            return Err(invalid("weights", format!("{ticker} appears twice")));
        }
        let price = if w == 0.0 {
            prices
                .get(ticker)
                .copied()
                .filter(|p| p.is_finite() && *p > 0.0)
                .unwrap_or(0.0)
        } else {
            check_price(ticker.as_str(), prices.get(ticker))?
        };
        out.push(Asset {
            ticker: ticker.clone(),
            weight: w,
            price,
        });
    }
    if out.is_empty() {
        return Err(invalid("weights", "there are no weights"));
    }
    let sum: f64 = out.iter().map(|a| a.weight).sum();
    if !((sum - 1.0).abs() <= WEIGHT_SUM_TOLERANCE) {
        return Err(invalid(
            "weights",
            format!(
                "the weights sum to {sum}, not 1 (within {WEIGHT_SUM_TOLERANCE}); allocation needs a fully \
                 invested portfolio, net long 100%"
            ),
        ));
    }
    Ok(out)
}

/// NumPy's pairwise summation (`np.sum` of a contiguous float64 array), so the
/// greedy method's held weights round exactly as PyPortfolioOpt's.
fn numpy_sum(a: &[f64]) -> f64 {
    fn pairwise(a: &[f64]) -> f64 {
        let n = a.len();
        if n < 8 {
            let mut res = 0.0;
            for v in a {
                res += v;
            }
            res
        } else if n <= 128 {
            let mut r = [0.0; 8];
            r.copy_from_slice(&a[..8]);
            let mut i = 8;
            while i < n - n % 8 {
                for j in 0..8 {
                    r[j] += a[i + j];
                }
                i += 8;
            }
            let mut res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
            while i < n {
                res += a[i];
                i += 1;
            }
            res
        } else {
            let mut n2 = n / 2;
            n2 -= n2 % 8;
            pairwise(&a[..n2]) + pairwise(&a[n2..])
        }
    }
    match a.split_first() {
        None => 0.0,
        Some((first, rest)) => first + pairwise(rest),
    }
}

/// Whole shares of `value / price`, rounded toward zero, checked to fit.
fn whole_shares(ticker: &str, value: f64, price: f64) -> Result<i64> {
    let q = (value / price).trunc();
    if q.is_finite() && q.abs() < 9.0e15 {
        Ok(q as i64)
    } else {
        Err(invalid(
            "cash",
            format!("{ticker}: {value} / {price} shares is too many to count"),
        ))
    }
}

/// The long-only greedy allocation; shares in `assets` order.
fn greedy_long(assets: &[Asset], cash: f64) -> Result<(Vec<i64>, f64)> {
    let mut order: Vec<usize> = (0..assets.len()).collect();
    order.sort_by(|&a, &b| {
        assets[b]
            .weight
            .partial_cmp(&assets[a].weight)
            .unwrap_or(std::cmp::Ordering::Equal)
    });
    let w: Vec<f64> = order.iter().map(|&i| assets[i].weight).collect();
    let p: Vec<f64> = order.iter().map(|&i| assets[i].price).collect();
    let m = order.len();
    let mut shares = vec![0i64; m];
    let mut available = cash;
    for k in 0..m {
        if w[k] <= 0.0 {
            continue;
        }
        let ticker = &assets[order[k]].ticker;
        let mut n = whole_shares(ticker.as_str(), w[k] * cash, p[k])?;
        // Only when the weights sum above 1: never spend cash that is not there.
        if n as f64 * p[k] > available {
            n = whole_shares(ticker.as_str(), available.max(0.0), p[k])?;
            while n > 0 && n as f64 * p[k] > available {
                n -= 1;
            }
        }
        available -= n as f64 * p[k];
        shares[k] = n;
    }
    let mut held = vec![0.0; m];
    while available > 0.0 {
        for k in 0..m {
            held[k] = p[k] * shares[k] as f64;
        }
        let total = numpy_sum(&held);
        let mut deficit: Vec<f64> = (0..m)
            .map(|k| {
                if total > 0.0 {
                    w[k] - held[k] / total
                } else {
                    w[k]
                }
            })
            .collect();
        let mut idx = argmax(&deficit);
        let mut price = p[idx];
        let mut skips = 0;
        while price > available {
            deficit[idx] = 0.0;
            idx = argmax(&deficit);
            if deficit[idx] < 0.0 || skips == MAX_SKIPS {
                break;
            }
            price = p[idx];
            skips += 1;
        }
        if deficit[idx] <= 0.0 || skips == MAX_SKIPS {
            break;
        }
        shares[idx] += 1;
        available -= price;
    }
    let mut out = vec![0i64; m];
    for (k, &i) in order.iter().enumerate() {
        out[i] = shares[k];
    }
    Ok((out, available))
}

/// Index of the first largest value.
fn argmax(v: &[f64]) -> usize {
    let mut best = 0;
    for (i, x) in v.iter().enumerate() {
        if *x > v[best] {
            best = i;
        }
    }
    best
}

/// The exact allocation of `cash` to long weights; shares in `assets` order.
fn exact_long(assets: &[Asset], cash: f64) -> Result<(Vec<i64>, f64)> {
    let n = assets.len();
    let mut price = vec![0.0; n];
    let mut floor = vec![0i64; n];
    let mut rem = vec![0.0; n];
    for (i, a) in assets.iter().enumerate() {
        if a.weight <= 0.0 {
            continue;
        }
        let t = a.weight * cash;
        let f = whole_shares(a.ticker.as_str(), t, a.price)?;
        price[i] = a.price;
        floor[i] = f;
        rem[i] = (t - f as f64 * a.price).max(0.0);
    }
    let spent_floor: f64 = (0..n).map(|i| floor[i] as f64 * price[i]).sum();
    let left = cash - spent_floor;
    let by = |key: &dyn Fn(usize) -> f64, items: &mut Vec<usize>| {
        items.sort_by(|&a, &b| {
            key(b)
                .partial_cmp(&key(a))
                .unwrap_or(std::cmp::Ordering::Equal)
        });
    };
    let mut up: Vec<usize> = (0..n).filter(|&i| rem[i] > 0.0).collect();
    by(&|i| rem[i] / price[i], &mut up);
    let mut suffix_rem = vec![0.0; up.len() + 1];
    for k in (0..up.len()).rev() {
        suffix_rem[k] = suffix_rem[k + 1] + rem[up[k]];
    }
    let mut down: Vec<usize> = (0..n).filter(|&i| floor[i] > 0).collect();
    by(&|i| price[i], &mut down);
    let mut s = Search {
        price: &price,
        floor: &floor,
        rem: &rem,
        up,
        suffix_rem,
        down,
        left,
        margin: 1e-12 * cash,
        abs_tol: EXACT_TOLERANCE * cash,
        in_c: vec![false; n],
        c_count: 0,
        best: f64::INFINITY,
        best_c: vec![false; n],
        best_red: vec![0; n],
        nodes: 0,
    };
    if left >= 0.0 {
        s.best = rem.iter().sum();
    }
    // The greedy allocation, clipped at each target's ceiling, is a good
    // first incumbent: it lets the bound prune most of the tree.
    let (start, _) = greedy_long(assets, cash)?;
    let mut value = 0.0;
    let mut c = vec![false; n];
    let mut red = vec![0i64; n];
    for i in 0..n {
        if price[i] > 0.0 {
            if rem[i] > 0.0 && start[i] > floor[i] {
                c[i] = true;
            } else {
                red[i] = (floor[i] - start[i]).max(0);
                value += rem[i] + red[i] as f64 * price[i];
            }
        }
    }
    if value < s.best {
        s.best = value;
        s.best_c = c;
        s.best_red = red;
    }
    s.outer(0, 0.0, 0.0)?;
    if !s.best.is_finite() {
        return Err(Error::Solver {
            status: "the exact allocation found no feasible portfolio".to_owned(),
        });
    }
    let shares: Vec<i64> = (0..n)
        .map(|i| floor[i] + i64::from(s.best_c[i]) - s.best_red[i])
        .collect();
    let spent: f64 = (0..n).map(|i| shares[i] as f64 * price[i]).sum();
    Ok((shares, cash - spent))
}

/// Branch-and-bound state of the exact method.
struct Search<'a> {
    price: &'a [f64],
    floor: &'a [i64],
    rem: &'a [f64],
    /// Assets that can round up, by `rem / price`, largest first.
    up: Vec<usize>,
    suffix_rem: Vec<f64>,
    /// Assets with shares to sell back, dearest first.
    down: Vec<usize>,
    /// Cash left after buying every floor.
    left: f64,
    /// Safety margin on the budget for any solution other than the floors.
    margin: f64,
    /// Absolute part of the optimality tolerance.
    abs_tol: f64,
    in_c: Vec<bool>,
    c_count: usize,
    best: f64,
    best_c: Vec<bool>,
    best_red: Vec<i64>,
    nodes: u64,
}

impl Search<'_> {
    fn tick(&mut self) -> Result<()> {
        self.nodes += 1;
        if self.nodes > MAX_NODES {
            return Err(Error::Solver {
                status: format!(
                    "the exact allocation stopped after {MAX_NODES} branch-and-bound nodes; use the \
                     greedy method, fewer assets or more cash"
                ),
            });
        }
        Ok(())
    }

    /// How much better than the incumbent a candidate must be to matter.
    fn tolerance(&self) -> f64 {
        self.abs_tol
    }

    /// Linear-relaxation value of rounding up items `k..` within `cap`.
    fn relaxed_gain(&self, k: usize, cap: f64) -> f64 {
        let mut gain = 0.0;
        let mut c = cap;
        for &u in &self.up[k..] {
            let p = self.price[u];
            if p <= c {
                gain += self.rem[u];
                c -= p;
            } else {
                gain += self.rem[u] * c / p;
                break;
            }
        }
        gain
    }

    /// Decides item `k` of `up`; `pc` is the price of the items rounded up so
    /// far and `out` the shortfall of those left at their floor.
    fn outer(&mut self, k: usize, pc: f64, out: f64) -> Result<()> {
        self.tick()?;
        let cap = self.left - pc;
        let bound = if cap >= 0.0 {
            out + self.suffix_rem[k] - self.relaxed_gain(k, cap)
        } else {
            out + self.suffix_rem[k] - cap
        };
        if bound >= self.best - self.tolerance() {
            return Ok(());
        }
        if k == self.up.len() {
            let need = if self.c_count == 0 && self.left >= 0.0 {
                0.0
            } else {
                pc - self.left + self.margin
            };
            if need <= 0.0 {
                self.record(out, None);
            } else if let Some((sold, red)) = self.sell_back(need, out)? {
                self.record(out + sold, Some(red));
            }
            return Ok(());
        }
        let u = self.up[k];
        self.in_c[u] = true;
        self.c_count += 1;
        self.outer(k + 1, pc + self.price[u], out)?;
        self.in_c[u] = false;
        self.c_count -= 1;
        self.outer(k + 1, pc, out + self.rem[u])
    }

    fn record(&mut self, value: f64, reduction: Option<Vec<i64>>) {
        self.best = value;
        self.best_c.copy_from_slice(&self.in_c);
        match reduction {
            Some(r) => self.best_red = r,
            None => self.best_red.iter_mut().for_each(|v| *v = 0),
        }
    }

    /// The least value `K ≥ need` of whole shares sold back from assets not
    /// rounded up, if `out + K` beats the incumbent; with the shares per asset.
    fn sell_back(&mut self, need: f64, out: f64) -> Result<Option<(f64, Vec<i64>)>> {
        let limit = self.best - self.tolerance() - out;
        if need >= limit {
            return Ok(None);
        }
        let list: Vec<usize> = self
            .down
            .iter()
            .copied()
            .filter(|&i| !self.in_c[i])
            .collect();
        if list.is_empty() {
            return Ok(None);
        }
        let mut suffix = vec![0.0; list.len() + 1];
        for j in (0..list.len()).rev() {
            suffix[j] = suffix[j + 1] + self.floor[list[j]] as f64 * self.price[list[j]];
        }
        let mut inner = Inner {
            list: &list,
            suffix: &suffix,
            need,
            // Once within this of `need`, no better fill is worth the search.
            good_enough: need + self.tolerance(),
            best: limit,
            best_k: None,
            ks: vec![0; list.len()],
        };
        inner.search(self, 0, 0.0)?;
        Ok(inner.best_k.take().map(|ks| {
            let mut red = vec![0i64; self.price.len()];
            for (j, &i) in list.iter().enumerate() {
                red[i] = ks[j];
            }
            (inner.best, red)
        }))
    }
}

/// The inner covering search of [`Search::sell_back`]: assets dearest first,
/// each sold back from as many shares as could matter down to as few as can
/// still reach `need` with the cheaper ones.
struct Inner<'a> {
    list: &'a [usize],
    suffix: &'a [f64],
    need: f64,
    good_enough: f64,
    best: f64,
    best_k: Option<Vec<i64>>,
    ks: Vec<i64>,
}

impl Inner<'_> {
    /// Returns `true` once a good-enough fill is found (stop searching).
    fn search(&mut self, s: &mut Search<'_>, j: usize, cur: f64) -> Result<bool> {
        s.tick()?;
        let a = self.list[j];
        let p = s.price[a];
        let short = self.need - cur;
        let reach = (short / p).ceil() as i64 + 1;
        let k_hi = s.floor[a].min(reach.max(0));
        let rest = self.suffix[j + 1];
        let k_lo = (((short - rest) / p).floor() as i64).clamp(0, k_hi);
        let last = j + 1 == self.list.len();
        for k in (k_lo..=k_hi).rev() {
            let v = cur + k as f64 * p;
            if v >= self.best {
                continue;
            }
            self.ks[j] = k;
            if v >= self.need {
                self.best = v;
                self.best_k = Some(self.ks.clone());
                if v <= self.good_enough {
                    self.ks[j] = 0;
                    return Ok(true);
                }
            } else if !last && v + rest >= self.need && self.search(s, j + 1, v)? {
                self.ks[j] = 0;
                return Ok(true);
            }
        }
        self.ks[j] = 0;
        Ok(false)
    }
}

/// A long-only allocation method: shares in the assets' order and the leftover.
type LongOnly = fn(&[Asset], f64) -> Result<(Vec<i64>, f64)>;

/// Runs a long-only method, or splits long and short books as PyPortfolioOpt.
fn allocate_books(assets: &[Asset], cash: f64, long_only: LongOnly) -> Result<Allocation> {
    let short_ratio: f64 = assets
        .iter()
        .filter(|a| a.weight < 0.0)
        .map(|a| -a.weight)
        .sum();
    let (shares, leftover) = if assets.iter().any(|a| a.weight < 0.0) {
        let mut sorted: Vec<&Asset> = assets.iter().collect();
        sorted.sort_by(|a, b| {
            b.weight
                .partial_cmp(&a.weight)
                .unwrap_or(std::cmp::Ordering::Equal)
        });
        let book = |short: bool| -> Vec<Asset> {
            let picked: Vec<&&Asset> = sorted
                .iter()
                .filter(|a| {
                    if short {
                        a.weight < 0.0
                    } else {
                        a.weight >= 0.0
                    }
                })
                .collect();
            let total: f64 = picked.iter().map(|a| a.weight.abs()).sum();
            picked
                .iter()
                .map(|a| Asset {
                    ticker: a.ticker.clone(),
                    weight: a.weight.abs() / total,
                    price: a.price,
                })
                .collect()
        };
        let longs = book(false);
        let shorts = book(true);
        let (long_shares, long_left) = long_only(&longs, cash)?;
        let (short_shares, short_left) = long_only(&shorts, cash * short_ratio)?;
        let mut by_ticker: BTreeMap<&str, i64> = BTreeMap::new();
        for (a, n) in longs.iter().zip(long_shares) {
            by_ticker.insert(a.ticker.as_str(), n);
        }
        for (a, n) in shorts.iter().zip(short_shares) {
            by_ticker.insert(a.ticker.as_str(), -n);
        }
        let shares = assets
            .iter()
            .map(|a| by_ticker.get(a.ticker.as_str()).copied().unwrap_or(0))
            .collect();
        (shares, long_left + short_left)
    } else {
        long_only(assets, cash)?
    };
    let held: BTreeMap<Symbol, i64> = assets
        .iter()
        .zip(shares)
        .filter(|(_, n)| *n != 0)
        .map(|(a, n)| (a.ticker.clone(), n))
        .collect();
    Ok(Allocation {
        shares: held.clone(),
        trades: held,
        fees: 0.0,
        leftover,
    })
}

/// Greedy allocation of `cash` (PyPortfolioOpt's `greedy_portfolio`; see the
/// module docs). The result has `trades == shares` and no fees.
///
/// # Errors
/// [`Error::InvalidParameter`] when `cash` is not finite and positive, a
/// ticker with a non-zero weight has no price or a price that is not finite
/// and positive, a ticker appears twice, there are no weights, or the weights
/// do not sum to 1 within [`WEIGHT_SUM_TOLERANCE`].
pub fn greedy(weights: &Weights, prices: &BTreeMap<Symbol, f64>, cash: f64) -> Result<Allocation> {
    check_cash(cash)?;
    let assets = assets(weights, prices)?;
    allocate_books(&assets, cash, greedy_long)
}

/// Exact allocation of `cash`: the optimum of PyPortfolioOpt's `lp_portfolio`
/// integer programme (see the module docs). The result has `trades == shares`
/// and no fees.
///
/// # Errors
/// As [`greedy`]; [`Error::Solver`] when the search exceeds [`MAX_NODES`].
pub fn exact(weights: &Weights, prices: &BTreeMap<Symbol, f64>, cash: f64) -> Result<Allocation> {
    check_cash(cash)?;
    let assets = assets(weights, prices)?;
    allocate_books(&assets, cash, exact_long)
}

/// Allocation of `cash` by `method`.
///
/// # Errors
/// As [`greedy`] or [`exact`].
pub fn allocate(
    weights: &Weights,
    prices: &BTreeMap<Symbol, f64>,
    cash: f64,
    method: Method,
) -> Result<Allocation> {
    match method {
        Method::Greedy => greedy(weights, prices, cash),
        Method::Exact => exact(weights, prices, cash),
    }
}

/// PyPortfolioOpt's allocation RMSE: `sqrt(Σ_i (w_i - x_i p_i / Σ_j x_j p_j)² / n)`
/// over all `n` weights.
///
/// # Errors
/// [`Error::InvalidParameter`] when the allocation holds nothing (its value is
/// zero) or a held ticker has no valid price.
pub fn allocation_rmse(
    weights: &Weights,
    prices: &BTreeMap<Symbol, f64>,
    shares: &BTreeMap<Symbol, i64>,
) -> Result<f64> {
    let mut value = 0.0;
    for (t, &n) in shares {
        value += n as f64 * check_price(t.as_str(), prices.get(t))?;
    }
    if value == 0.0 || !value.is_finite() {
        return Err(invalid(
            "shares",
            "the allocation is worth nothing, so its weights are undefined",
        ));
    }
    let mut sse = 0.0;
    for (t, &w) in weights.tickers().iter().zip(weights.values().iter()) {
        let held = match shares.get(t) {
            Some(&n) => n as f64 * check_price(t.as_str(), prices.get(t))? / value,
            None => 0.0,
        };
        sse += (w - held) * (w - held);
    }
    Ok((sse / weights.tickers().len().max(1) as f64).sqrt())
}

/// The target value of each asset that the allocation of `value` aims at.
fn target_values(assets: &[Asset], value: f64) -> BTreeMap<&str, f64> {
    let longs: f64 = assets
        .iter()
        .filter(|a| a.weight >= 0.0)
        .map(|a| a.weight)
        .sum();
    let has_shorts = assets.iter().any(|a| a.weight < 0.0);
    assets
        .iter()
        .map(|a| {
            let t = if has_shorts && a.weight >= 0.0 {
                value * a.weight / longs
            } else {
                value * a.weight
            };
            (a.ticker.as_str(), t)
        })
        .collect()
}

/// One trade considered by [`rebalance`].
struct Trade {
    ticker: Symbol,
    shares: i64,
    price: f64,
    benefit: f64,
}

/// Rebalances `holdings` plus `cash` toward `weights` (see the module docs for
/// the exact rules).
///
/// # Errors
/// [`Error::InvalidParameter`] when `cash` is negative or not finite, the fee
/// is negative or not finite, a held ticker (with non-zero shares) has no
/// valid price, or cash plus holdings is worth nothing; otherwise as
/// [`greedy`] or [`exact`].
pub fn rebalance(
    weights: &Weights,
    prices: &BTreeMap<Symbol, f64>,
    holdings: &BTreeMap<Symbol, i64>,
    cash: f64,
    options: &RebalanceOptions,
) -> Result<Allocation> {
    let fee = options.fee_per_trade;
    if !(fee.is_finite() && fee >= 0.0) {
        return Err(invalid(
            "fee_per_trade",
            format!("{fee} must be finite and non-negative"),
        ));
    }
    if !(cash.is_finite() && cash >= 0.0) {
        return Err(invalid(
            "cash",
            format!("{cash} must be finite and non-negative"),
        ));
    }
    let assets = assets(weights, prices)?;
    let mut held_value = 0.0;
    let mut held_prices = BTreeMap::new();
    for (t, &h) in holdings.iter().filter(|(_, h)| **h != 0) {
        let p = check_price(t.as_str(), prices.get(t))?;
        held_value += h as f64 * p;
        held_prices.insert(t.as_str(), p);
    }
    let value = cash + held_value;
    if !(value.is_finite() && value > 0.0) {
        return Err(invalid(
            "cash",
            format!("cash plus holdings is worth {value}; there is nothing to allocate"),
        ));
    }
    let price_of = |t: &str| -> f64 {
        held_prices
            .get(t)
            .copied()
            .or_else(|| assets.iter().find(|a| a.ticker == t).map(|a| a.price))
            .unwrap_or(0.0)
    };
    let plan = |budget: f64| -> Result<Vec<Trade>> {
        let target = allocate(weights, prices, budget, options.method)?;
        let goals = target_values(&assets, budget);
        let tickers: BTreeSet<&Symbol> = holdings
            .iter()
            .filter(|(_, h)| **h != 0)
            .map(|(t, _)| t)
            .chain(target.shares.keys())
            .collect();
        let mut trades = Vec::new();
        for t in tickers {
            let h = holdings.get(t).copied().unwrap_or(0);
            let x = target.shares.get(t).copied().unwrap_or(0);
            if x == h {
                continue;
            }
            let p = price_of(t.as_str());
            let goal = goals.get(t.as_str()).copied().unwrap_or(0.0);
            let benefit = (goal - h as f64 * p).abs() - (goal - x as f64 * p).abs();
            if fee == 0.0 || benefit >= fee {
                trades.push(Trade {
                    ticker: t.clone(),
                    shares: x - h,
                    price: p,
                    benefit,
                });
            }
        }
        Ok(trades)
    };
    let cash_after = |trades: &[Trade]| -> f64 {
        cash - trades
            .iter()
            .map(|t| t.shares as f64 * t.price)
            .sum::<f64>()
            - fee * trades.len() as f64
    };
    let mut trades = plan(value)?;
    if cash_after(&trades) < 0.0 && fee > 0.0 {
        let budget = value - fee * trades.len() as f64;
        if budget > 0.0 {
            trades = plan(budget)?;
        }
    }
    // Rounding noise (the target fits in the value by construction) is not a shortfall.
    let noise = 1e-9 * value;
    while cash_after(&trades) < -noise {
        let drop = trades
            .iter()
            .enumerate()
            .filter(|(_, t)| t.shares > 0)
            .min_by(|(_, a), (_, b)| {
                (a.benefit - fee)
                    .partial_cmp(&(b.benefit - fee))
                    .unwrap_or(std::cmp::Ordering::Equal)
                    .then_with(|| a.ticker.cmp(&b.ticker))
            })
            .map(|(i, _)| i);
        match drop {
            Some(i) => {
                trades.remove(i);
            }
            None => {
                return Err(Error::Infeasible {
                    reason: "the sales do not cover their fees; lower the fee or add cash"
                        .to_owned(),
                });
            }
        }
    }
    let leftover = cash_after(&trades).max(0.0);
    let mut shares: BTreeMap<Symbol, i64> = holdings
        .iter()
        .filter(|(_, h)| **h != 0)
        .map(|(t, h)| (t.clone(), *h))
        .collect();
    let mut made = BTreeMap::new();
    for t in &trades {
        *shares.entry(t.ticker.clone()).or_insert(0) += t.shares;
        made.insert(t.ticker.clone(), t.shares);
    }
    shares.retain(|_, n| *n != 0);
    Ok(Allocation {
        shares,
        trades: made,
        fees: fee * trades.len() as f64,
        leftover,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numpy_sum_blocks_like_numpy() {
        // First element, then the other 19 in 8 accumulators and a tail.
        let a: Vec<f64> = (0..20).map(|i| 0.1 * f64::from(i)).collect();
        let mut r = [0.0; 8];
        r.copy_from_slice(&a[1..9]);
        for j in 0..8 {
            r[j] += a[9 + j];
        }
        let mut rest = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
        for v in &a[17..] {
            rest += v;
        }
        assert_eq!(numpy_sum(&a).to_bits(), (a[0] + rest).to_bits());
        let mut sequential = 0.0;
        for v in &a[..7] {
            sequential += v;
        }
        assert_eq!(numpy_sum(&a[..7]).to_bits(), sequential.to_bits());
        assert_eq!(numpy_sum(&[]).to_bits(), 0.0f64.to_bits());
    }

    #[test]
    fn argmax_takes_the_first_maximum() {
        assert_eq!(argmax(&[0.1, 0.3, 0.3, -1.0]), 1);
        assert_eq!(argmax(&[0.0]), 0);
    }
}
