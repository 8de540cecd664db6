//! The critical-line method for the long-only efficient frontier with box
//! bounds and a budget row:
//!
//! ```text
//! minimise ½ w'Sw - t·mu'w   subject to   1'w = net,   l ≤ w ≤ u
//! ```
//!
//! for every `t = 1/δ ≥ 0`. On a fixed active set (which variables are free,
//! which sit at a bound) the KKT system is linear in `t`, so the weights are
//! `w(t) = a + t·b` and the budget multiplier is `λ(t) = λa + t·λb`: the
//! solution path is piecewise linear. It changes active set only where a free
//! weight reaches a bound or a fixed weight's multiplier changes sign.
//!
//! [`Path::max_return_at_volatility`] starts at `t = ∞` (the maximum-return
//! vertex, one asset partly filled) and walks down in `t`, one breakpoint at a
//! time, updating a Cholesky factor of the free block in O(k²) per change and
//! the fixed weights' multipliers in O(n·k). Volatility falls as `t` falls;
//! on the segment where it crosses the target, `w(t)'S w(t) = σ²` is a
//! quadratic in `t` solved exactly. Nothing here iterates to a tolerance: the
//! answer is the exact KKT point, checked before it is returned.
//!
//! Degenerate problems (ties in expected return at the top, a singular
//! covariance block, cycling) and targets below the minimum volatility make it
//! return `None`; the caller then takes the general active-set path.

use nalgebra::{DMatrix, DVector};

use crate::qp::FreeFactor;

/// The frontier problem: covariance, expected returns, bounds, budget.
#[derive(Debug)]
pub(crate) struct Path<'a> {
    pub(crate) s: &'a DMatrix<f64>,
    pub(crate) mu: &'a DVector<f64>,
    pub(crate) lower: &'a DVector<f64>,
    pub(crate) upper: &'a DVector<f64>,
    pub(crate) net: f64,
}

/// Where a variable sits on the current segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Place {
    Free,
    Lower,
    Upper,
}

/// What happens at the next breakpoint, walking down in `t`.
#[derive(Debug, Clone, Copy)]
enum Event {
    /// The free variable at position `pos` of the factor reaches a bound.
    Fix { pos: usize, var: usize, at: Place },
    /// A fixed variable's multiplier changes sign: it becomes free.
    Release { var: usize },
    /// The segment reaches `t = 0`, the minimum-volatility portfolio.
    End,
}

/// One segment: `w(t) = a + t·b` on the free variables, the fixed ones at
/// their bounds; `sa = S·A` and `sb = S·B` for the full vectors `A`, `B`.
#[derive(Debug)]
struct Segment {
    a: Vec<f64>,
    b: Vec<f64>,
    la: f64,
    lb: f64,
    sa: DVector<f64>,
    sb: DVector<f64>,
}

impl Path<'_> {
    /// The exact solution on the frontier whose volatility is `target`, with
    /// its `t`, walking down from the maximum-return vertex `top` in which
    /// `entry` is the last asset filled (the partly filled one). `None` when
    /// the walk cannot decide (see the module docs) or the target is below
    /// the minimum volatility; the caller falls back to the general path.
    pub(crate) fn max_return_at_volatility(
        &self,
        top: &DVector<f64>,
        entry: usize,
        target: f64,
    ) -> Option<(DVector<f64>, f64)> {
        let n = self.mu.len();
        let mut place = vec![Place::Free; n];
        // Fixed variables sit exactly at their bounds; `w` holds their values.
        let mut w = top.clone();
        for i in (0..n).filter(|&i| i != entry) {
            if top[i] <= self.lower[i] {
                place[i] = Place::Lower;
                w[i] = self.lower[i];
            } else if top[i] >= self.upper[i] {
                place[i] = Place::Upper;
                w[i] = self.upper[i];
            } else {
                return None; // two partly filled assets: not a vertex
            }
        }
        let mut factor = FreeFactor::with_capacity(n.min(32));
        if !factor.add(self.s, entry) {
            return None;
        }
        // S·w over the fixed variables, and their total weight.
        let mut swb = DVector::zeros(n);
        let mut sum_fixed = 0.0;
        for i in (0..n).filter(|&i| place[i] != Place::Free && w[i] != 0.0) {
            swb.axpy(w[i], &self.s.column(i), 1.0);
            sum_fixed += w[i];
        }
        let target2 = target * target;
        let mut t_cur = f64::INFINITY;
        // The variable changed at the last breakpoint, and the bound it left
        // or reached: it cannot undo that change on the next segment (the
        // quantity that changed sign is linear and zero at the breakpoint).
        let mut last: Option<(usize, Place)> = None;
        let mut seg = Segment {
            a: Vec::new(),
            b: Vec::new(),
            la: 0.0,
            lb: 0.0,
            sa: DVector::zeros(n),
            sb: DVector::zeros(n),
        };
        for _ in 0..4 * n + 50 {
            self.segment(&factor, &swb, sum_fixed, &mut seg)?;
            // At t = ∞ the vertex must already be optimal: every fixed
            // variable's multiplier has the right sign for large t.
            if t_cur.is_infinite() && !self.optimal_at_infinity(&place, &seg) {
                return None;
            }
            let (t_next, event) = self.next_breakpoint(&factor, &place, &seg, t_cur, last);
            // Variance on this segment: qa t² + 2 qb t + qc.
            let mut qa = 0.0;
            let mut qb = 0.0;
            let mut qc = 0.0;
            for i in 0..n {
                let ai = if place[i] == Place::Free { 0.0 } else { w[i] };
                qb += ai * seg.sb[i];
                qc += ai * seg.sa[i];
            }
            for (q, &j) in factor.free.iter().enumerate() {
                qa += seg.b[q] * seg.sb[j];
                qb += seg.a[q] * seg.sb[j];
                qc += seg.a[q] * seg.sa[j];
            }
            let variance = |t: f64| qc + t * (2.0 * qb + t * qa);
            if t_next.is_finite() && variance(t_next) <= target2 {
                let t = if qa > 0.0 {
                    larger_root(qa, qb, qc - target2)
                } else {
                    t_cur
                };
                let t = t.clamp(t_next, t_cur);
                if !t.is_finite() {
                    return None;
                }
                return self.checked_point(&factor, &place, &w, &seg, t);
            }
            match event {
                // The minimum-volatility portfolio: within 1e-12 of the target
                // it is the answer (as in `efficient_risk`'s own check).
                Event::End if variance(0.0).max(0.0).sqrt() <= target + 1e-12 => {
                    return self.checked_point(&factor, &place, &w, &seg, 0.0);
                }
                Event::End => return None, // the target is below the minimum volatility
                Event::Fix { pos, var, at } => {
                    let bound = if at == Place::Lower {
                        self.lower[var]
                    } else {
                        self.upper[var]
                    };
                    w[var] = bound;
                    place[var] = at;
                    if bound != 0.0 {
                        swb.axpy(bound, &self.s.column(var), 1.0);
                    }
                    sum_fixed += bound;
                    factor.remove(pos);
                    last = Some((var, at));
                }
                Event::Release { var } => {
                    if w[var] != 0.0 {
                        swb.axpy(-w[var], &self.s.column(var), 1.0);
                    }
                    sum_fixed -= w[var];
                    last = Some((var, place[var]));
                    place[var] = Place::Free;
                    if !factor.add(self.s, var) {
                        return None;
                    }
                }
            }
            t_cur = t_next;
        }
        None
    }

    /// Solves the segment's KKT system on the free set through the factor:
    /// `S_FF w_F = r - λ1`, `1'w_F = s`, for the constant and `t` parts.
    fn segment(
        &self,
        factor: &FreeFactor,
        swb: &DVector<f64>,
        sum_fixed: f64,
        seg: &mut Segment,
    ) -> Option<()> {
        let free = &factor.free;
        let k = free.len();
        if k == 0 {
            return None;
        }
        let mut y1 = vec![1.0; k];
        factor.solve(&mut y1);
        let c: f64 = y1.iter().sum();
        if !(c > 0.0 && c.is_finite()) {
            return None;
        }
        let mut za: Vec<f64> = free.iter().map(|&i| -swb[i]).collect();
        factor.solve(&mut za);
        seg.la = (za.iter().sum::<f64>() - (self.net - sum_fixed)) / c;
        seg.a = za.iter().zip(&y1).map(|(z, y)| z - seg.la * y).collect();
        if k == 1 {
            // One free weight is pinned by the budget: it cannot move with t.
            seg.lb = self.mu[free[0]];
            seg.b = vec![0.0];
            seg.a = vec![self.net - sum_fixed];
        } else {
            let mut zb: Vec<f64> = free.iter().map(|&i| self.mu[i]).collect();
            factor.solve(&mut zb);
            seg.lb = zb.iter().sum::<f64>() / c;
            seg.b = zb.iter().zip(&y1).map(|(z, y)| z - seg.lb * y).collect();
        }
        if seg.a.iter().chain(&seg.b).any(|v| !v.is_finite()) {
            return None;
        }
        // S·A = S·w_fixed + S_F a and S·B = S_F b: the O(n·k) step, on
        // contiguous columns so it vectorises.
        seg.sa.copy_from(swb);
        seg.sb.fill(0.0);
        let (sa, sb) = (seg.sa.as_mut_slice(), seg.sb.as_mut_slice());
        for (q, &j) in free.iter().enumerate() {
            let (aq, bq) = (seg.a[q], seg.b[q]);
            let col = &self.s.as_slice()[j * self.s.nrows()..(j + 1) * self.s.nrows()];
            for ((x, y), c) in sa.iter_mut().zip(sb.iter_mut()).zip(col) {
                *x += aq * c;
                *y += bq * c;
            }
        }
        Some(())
    }

    /// The fixed variable's multiplier `g(t) = ga + t·gb` (the reduced
    /// gradient: at a lower bound it must be ≥ 0, at an upper bound ≤ 0).
    fn multiplier(&self, seg: &Segment, i: usize) -> (f64, f64) {
        (seg.sa[i] + seg.la, seg.sb[i] - self.mu[i] + seg.lb)
    }

    /// An asset whose bounds coincide is pinned: any multiplier sign is
    /// optimal for it, and it never enters the free set.
    fn pinned(&self, i: usize) -> bool {
        // Bounds are validated lower <= upper, so this means they are equal.
        self.upper[i] <= self.lower[i]
    }

    fn optimal_at_infinity(&self, place: &[Place], seg: &Segment) -> bool {
        (0..place.len()).all(|i| {
            let (ga, gb) = self.multiplier(seg, i);
            match place[i] {
                _ if self.pinned(i) => true,
                Place::Free => true,
                Place::Lower => gb > 0.0 || (gb == 0.0 && ga >= 0.0),
                Place::Upper => gb < 0.0 || (gb == 0.0 && ga <= 0.0),
            }
        })
    }

    /// The largest `t` in `[0, t_cur]` where the active set changes, and how.
    fn next_breakpoint(
        &self,
        factor: &FreeFactor,
        place: &[Place],
        seg: &Segment,
        t_cur: f64,
        last: Option<(usize, Place)>,
    ) -> (f64, Event) {
        let mut t_next = 0.0;
        let mut event = Event::End;
        for (pos, &var) in factor.free.iter().enumerate() {
            let (a, b) = (seg.a[pos], seg.b[pos]);
            // Walking down in t, w = a + t·b falls when b > 0.
            let (t, at) = if b > 0.0 {
                ((self.lower[var] - a) / b, Place::Lower)
            } else if b < 0.0 {
                ((self.upper[var] - a) / b, Place::Upper)
            } else {
                continue;
            };
            if last == Some((var, at)) {
                continue;
            }
            let t = t.min(t_cur);
            if t > t_next {
                t_next = t;
                event = Event::Fix { pos, var, at };
            }
        }
        for (var, &p) in place.iter().enumerate() {
            if p == Place::Free || self.pinned(var) || last.is_some_and(|(v, _)| v == var) {
                continue;
            }
            let (ga, gb) = self.multiplier(seg, var);
            // Walking down, g falls when gb > 0: a bad sign at a lower bound.
            let crosses = match p {
                Place::Lower => gb > 0.0,
                _ => gb < 0.0,
            };
            if !crosses {
                continue;
            }
            let t = (-ga / gb).min(t_cur);
            if t > t_next {
                t_next = t;
                event = Event::Release { var };
            }
        }
        (t_next, event)
    }

    /// The weights at `t` on this segment, if they satisfy the KKT
    /// conditions: free weights within their bounds, fixed weights'
    /// multipliers of the right sign (both to rounding).
    fn checked_point(
        &self,
        factor: &FreeFactor,
        place: &[Place],
        w: &DVector<f64>,
        seg: &Segment,
        t: f64,
    ) -> Option<(DVector<f64>, f64)> {
        let mut x = w.clone();
        for (q, &j) in factor.free.iter().enumerate() {
            x[j] = seg.a[q] + t * seg.b[q];
            let tol = 1e-9 * (1.0 + self.lower[j].abs().max(self.upper[j].abs()));
            if x[j] < self.lower[j] - tol || x[j] > self.upper[j] + tol {
                return None;
            }
        }
        let lambda = seg.la + t * seg.lb;
        let scale = (0..x.len()).fold(lambda.abs(), |m, i| {
            m.max((seg.sa[i] + t * seg.sb[i]).abs())
                .max((t * self.mu[i]).abs())
        });
        let tol = 1e-9 * scale;
        let optimal = (0..x.len()).all(|i| {
            let (ga, gb) = self.multiplier(seg, i);
            let g = ga + t * gb;
            match place[i] {
                _ if self.pinned(i) => true,
                Place::Free => true,
                Place::Lower => g >= -tol,
                Place::Upper => g <= tol,
            }
        });
        optimal.then_some((x, t))
    }
}

/// The larger root of `qa t² + 2 qb t + qc = 0` (`qa > 0`), computed without
/// cancellation; NaN when there is no real root.
fn larger_root(qa: f64, qb: f64, qc: f64) -> f64 {
    let disc = qb * qb - qa * qc;
    if disc < 0.0 {
        // Rounding can leave a tangent root just short: the vertex then.
        return if disc > -1e-12 * qb * qb {
            -qb / qa
        } else {
            f64::NAN
        };
    }
    let root = disc.sqrt();
    if qb > 0.0 {
        -qc / (qb + root)
    } else {
        (root - qb) / qa
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn larger_root_is_stable_and_exact() {
        // (t - 1)(t - 3) = t² - 4t + 3: qa 1, qb -2, qc 3.
        assert!((larger_root(1.0, -2.0, 3.0) - 3.0).abs() < 1e-15);
        // (t + 1e8)(t - 1e-8) = t² + (1e8 - 1e-8) t - 1.
        let r = larger_root(1.0, 0.5 * (1e8 - 1e-8), -1.0);
        assert!((r - 1e-8).abs() < 1e-22, "{r}");
        assert!(larger_root(1.0, 0.0, 1.0).is_nan());
    }

    #[test]
    fn two_assets_follow_the_analytic_line() {
        // Uncorrelated, variances 0.04 and 0.01, returns 0.10 and 0.05.
        let s = DMatrix::from_row_slice(2, 2, &[0.04, 0.0, 0.0, 0.01]);
        let mu = DVector::from_vec(vec![0.10, 0.05]);
        let (lower, upper) = (DVector::zeros(2), DVector::from_element(2, 1.0));
        let path = Path {
            s: &s,
            mu: &mu,
            lower: &lower,
            upper: &upper,
            net: 1.0,
        };
        let top = DVector::from_vec(vec![1.0, 0.0]);
        // Minimum variance is w1 = 0.2 (vol √0.008); a target between that
        // and 0.2 lies on the only interior segment.
        let target = 0.15;
        let (x, t) = path.max_return_at_volatility(&top, 0, target).unwrap();
        let var = 0.04 * x[0] * x[0] + 0.01 * x[1] * x[1];
        assert!((var.sqrt() - target).abs() < 1e-14);
        assert!((x.sum() - 1.0).abs() < 1e-15);
        // Stationarity: 0.04 w1 - 0.10 t = 0.01 w2 - 0.05 t.
        assert!((0.04 * x[0] - 0.10 * t - (0.01 * x[1] - 0.05 * t)).abs() < 1e-15);
        // Below the minimum volatility the walk gives up.
        assert!(path.max_return_at_volatility(&top, 0, 0.05).is_none());
    }
}
