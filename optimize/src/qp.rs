//! A primal active-set solver for the quadratic programmes of long-only
//! portfolio construction:
//!
//! ```text
//! minimise ½ x'Hx + c'x   subject to   A x = b,   l ≤ x ≤ u
//! ```
//!
//! with `H` positive semidefinite, a handful of equality rows (`A` is m x n,
//! m small) and box bounds. Each iteration solves the equality-constrained
//! problem on the free variables (those not held at a bound) through its KKT
//! system; a step that hits a bound fixes that variable, and a variable whose
//! multiplier has the wrong sign is released. Solutions of nearby problems
//! (frontier points, bisection on risk aversion) start from the previous
//! active set, so they take a few iterations each.
//!
//! Portfolios hold few assets at the optimum, so the free set (and the KKT
//! systems) stay small even for universes of hundreds of assets.

use nalgebra::{DMatrix, DVector};

/// Where each variable sits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Status {
    Free,
    Lower,
    Upper,
}

/// A problem instance. `H` is read through `h`; bounds may be infinite.
#[derive(Debug)]
pub(crate) struct BoxQp<'a> {
    pub(crate) h: &'a DMatrix<f64>,
    pub(crate) c: DVector<f64>,
    pub(crate) a: DMatrix<f64>,
    pub(crate) b: DVector<f64>,
    pub(crate) lower: DVector<f64>,
    pub(crate) upper: DVector<f64>,
}

/// Why the solver gave up.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum QpFailure {
    /// No point satisfies the equalities within the bounds.
    Infeasible,
    /// The KKT system was singular or the iteration limit was reached.
    Numerical,
}

/// A solution and its active set (for warm starts).
#[derive(Debug, Clone)]
pub(crate) struct QpSolution {
    pub(crate) x: DVector<f64>,
    pub(crate) status: Vec<Status>,
}

const TOL: f64 = 1e-12;

impl BoxQp<'_> {
    fn n(&self) -> usize {
        self.c.len()
    }

    /// Solves from a feasible `start`, or from a point found by
    /// [`BoxQp::feasible_point`] when `start` is `None`.
    pub(crate) fn solve(&self, start: Option<&QpSolution>) -> Result<QpSolution, QpFailure> {
        let n = self.n();
        let (mut x, mut status) = match start {
            Some(s) if self.is_feasible(&s.x) => (s.x.clone(), s.status.clone()),
            _ => {
                let x = self.feasible_point()?;
                let status = (0..n)
                    .map(|i| {
                        if x[i] <= self.lower[i] {
                            Status::Lower
                        } else if x[i] >= self.upper[i] {
                            Status::Upper
                        } else {
                            Status::Free
                        }
                    })
                    .collect();
                (x, status)
            }
        };
        // Snap to the recorded active set (a warm start may carry fixed
        // variables that sit exactly at their bounds already).
        for i in 0..n {
            match status[i] {
                Status::Lower if (x[i] - self.lower[i]).abs() > TOL => status[i] = Status::Free,
                Status::Upper if (x[i] - self.upper[i]).abs() > TOL => status[i] = Status::Free,
                _ => {}
            }
        }
        let max_iter = 20 * n + 200;
        // The Cholesky factor of the free block, kept up to date; None when
        // the free block is singular (then each step solves the KKT system whole).
        let mut factor = Some(FreeFactor::with_capacity(n.min(32)));
        for (i, st) in status.iter().enumerate() {
            if *st == Status::Free && factor.as_mut().is_some_and(|f| !f.add(self.h, i)) {
                factor = None;
            }
        }
        let mut g = self.h * &x + &self.c;
        let mut since_refresh = 0usize;
        for _ in 0..max_iter {
            let free: Vec<usize> = match &factor {
                Some(f) => f.free.clone(),
                None => (0..n).filter(|&i| status[i] == Status::Free).collect(),
            };
            let fast = factor.as_ref().and_then(|f| self.kkt_factored(f, &g));
            let (p, lambda) = match fast {
                Some(r) => r,
                None => self.kkt_step(&free, &g)?,
            };
            let step_norm = p.iter().fold(0.0f64, |m, v| m.max(v.abs()));
            let scale = x.iter().fold(1.0f64, |m, v| m.max(v.abs()));
            if step_norm <= 1e-13 * scale {
                // Stationary on the free set: refresh the gradient exactly, then
                // check the fixed variables' multipliers.
                g = self.h * &x + &self.c;
                let (_, lambda) = match factor.as_ref().and_then(|f| self.kkt_factored(f, &g)) {
                    Some(r) => r,
                    None => self.kkt_step(&free, &g).unwrap_or((p, lambda)),
                };
                let reduced = &g + self.a.transpose() * &lambda;
                let gscale = 1e-11 * (1.0 + g.iter().fold(0.0f64, |m, v| m.max(v.abs())));
                let mut worst: Option<(usize, f64)> = None;
                for i in 0..n {
                    let violation = match status[i] {
                        Status::Lower => -reduced[i],
                        Status::Upper => reduced[i],
                        Status::Free => continue,
                    };
                    if violation > gscale && worst.is_none_or(|(_, w)| violation > w) {
                        worst = Some((i, violation));
                    }
                }
                match worst {
                    None => return Ok(QpSolution { x, status }),
                    Some((i, _)) => {
                        status[i] = Status::Free;
                        if factor.as_mut().is_some_and(|f| !f.add(self.h, i)) {
                            factor = None;
                        }
                    }
                }
                continue;
            }
            // Longest step along p that keeps the free variables in bounds.
            let mut alpha = 1.0;
            let mut blocking = None;
            for (k, &i) in free.iter().enumerate() {
                let pi = p[k];
                if pi < -TOL {
                    let room = (self.lower[i] - x[i]) / pi;
                    if room < alpha {
                        alpha = room.max(0.0);
                        blocking = Some((k, i, Status::Lower));
                    }
                } else if pi > TOL {
                    let room = (self.upper[i] - x[i]) / pi;
                    if room < alpha {
                        alpha = room.max(0.0);
                        blocking = Some((k, i, Status::Upper));
                    }
                }
            }
            for (k, &i) in free.iter().enumerate() {
                x[i] += alpha * p[k];
            }
            if let Some((_, i, st)) = blocking {
                x[i] = if st == Status::Lower {
                    self.lower[i]
                } else {
                    self.upper[i]
                };
            }
            // g += H (Δx), touching only the columns that moved.
            since_refresh += 1;
            if since_refresh >= 64 {
                g = self.h * &x + &self.c;
                since_refresh = 0;
            } else {
                for (k, &i) in free.iter().enumerate() {
                    let d = alpha * p[k];
                    if d != 0.0 {
                        g.axpy(d, &self.h.column(i), 1.0);
                    }
                }
            }
            if let Some((k, i, st)) = blocking {
                status[i] = st;
                if let Some(f) = factor.as_mut() {
                    f.remove(k);
                }
            }
        }
        Err(QpFailure::Numerical)
    }

    /// The KKT step through the maintained Cholesky factor and an m x m
    /// Schur complement; None when that complement is singular.
    fn kkt_factored(
        &self,
        f: &FreeFactor,
        g: &DVector<f64>,
    ) -> Option<(DVector<f64>, DVector<f64>)> {
        let k = f.k();
        let m = self.a.nrows();
        let mut lambda = DVector::zeros(m);
        if k == 0 {
            return None;
        }
        let rows: Vec<usize> = (0..m)
            .filter(|&r| f.free.iter().any(|&i| self.a[(r, i)].abs() > 0.0))
            .collect();
        let mut u: Vec<f64> = f.free.iter().map(|&i| g[i]).collect();
        f.solve(&mut u);
        let vs: Vec<Vec<f64>> = rows
            .iter()
            .map(|&r| {
                let mut v: Vec<f64> = f.free.iter().map(|&i| self.a[(r, i)]).collect();
                f.solve(&mut v);
                v
            })
            .collect();
        let mr = rows.len();
        let mut p: Vec<f64> = u.iter().map(|v| -v).collect();
        if mr > 0 {
            let dot = |r: usize, v: &[f64]| {
                f.free
                    .iter()
                    .zip(v)
                    .map(|(&i, x)| self.a[(r, i)] * x)
                    .sum::<f64>()
            };
            let schur = DMatrix::from_fn(mr, mr, |a, b| dot(rows[a], &vs[b]));
            let rhs = DVector::from_fn(mr, |a, _| -dot(rows[a], &u));
            let lam = schur.lu().solve(&rhs)?;
            if lam.iter().any(|v| !v.is_finite()) {
                return None;
            }
            for (q, &r) in rows.iter().enumerate() {
                lambda[r] = lam[q];
                for (c, pv) in p.iter_mut().enumerate() {
                    *pv -= lam[q] * vs[q][c];
                }
            }
        }
        Some((DVector::from_vec(p), lambda))
    }

    /// Solves the KKT system on the free set: returns the step on the free
    /// variables and the equality multipliers.
    fn kkt_step(
        &self,
        free: &[usize],
        g: &DVector<f64>,
    ) -> Result<(DVector<f64>, DVector<f64>), QpFailure> {
        let k = free.len();
        let m = self.a.nrows();
        // Equality rows that touch the free set; rows that do not are already
        // satisfied by the fixed variables and carry no multiplier here.
        let rows: Vec<usize> = (0..m)
            .filter(|&r| free.iter().any(|&i| self.a[(r, i)].abs() > 0.0))
            .collect();
        let mr = rows.len();
        let dim = k + mr;
        let mut lambda = DVector::zeros(m);
        if k == 0 {
            // Nothing can move; multipliers from least squares on all rows.
            if m > 0 {
                lambda = self.least_squares_multipliers(g);
            }
            return Ok((DVector::zeros(0), lambda));
        }
        let mut kkt = DMatrix::zeros(dim, dim);
        let mut rhs = DVector::zeros(dim);
        for (r, &i) in free.iter().enumerate() {
            for (c, &j) in free.iter().enumerate() {
                kkt[(r, c)] = self.h[(i, j)];
            }
            rhs[r] = -g[i];
        }
        for (q, &row) in rows.iter().enumerate() {
            for (c, &j) in free.iter().enumerate() {
                kkt[(k + q, c)] = self.a[(row, j)];
                kkt[(c, k + q)] = self.a[(row, j)];
            }
        }
        let sol = kkt.lu().solve(&rhs).ok_or(QpFailure::Numerical)?;
        if sol.iter().any(|v| !v.is_finite()) {
            return Err(QpFailure::Numerical);
        }
        let p = sol.rows(0, k).into_owned();
        for (q, &row) in rows.iter().enumerate() {
            lambda[row] = sol[k + q];
        }
        Ok((p, lambda))
    }

    fn least_squares_multipliers(&self, g: &DVector<f64>) -> DVector<f64> {
        let at = self.a.transpose();
        let normal = &self.a * &at;
        normal
            .lu()
            .solve(&(-(&self.a * g)))
            .unwrap_or_else(|| DVector::zeros(self.a.nrows()))
    }

    fn is_feasible(&self, x: &DVector<f64>) -> bool {
        if x.len() != self.n() {
            return false;
        }
        let in_box =
            (0..self.n()).all(|i| x[i] >= self.lower[i] - 1e-12 && x[i] <= self.upper[i] + 1e-12);
        let residual = &self.a * x - &self.b;
        in_box
            && residual
                .iter()
                .all(|r| r.abs() <= 1e-9 * (1.0 + self.b.amax()))
    }

    /// A point satisfying the bounds and one or two equality rows.
    ///
    /// With one row `a'x = b` it starts every variable at the bound that makes
    /// `a'x` smallest and raises variables in order until `b` is met. With two
    /// rows (weights sum to s, `mu'x = target`) it blends the two extreme
    /// points of the second row on the face of the first.
    pub(crate) fn feasible_point(&self) -> Result<DVector<f64>, QpFailure> {
        match self.a.nrows() {
            0 => Ok(DVector::from_fn(self.n(), |i, _| {
                clamp0(self.lower[i], self.upper[i])
            })),
            1 => {
                let a: Vec<f64> = self.a.row(0).iter().copied().collect();
                fill_to_target(&a, self.b[0], &self.lower, &self.upper).ok_or(QpFailure::Infeasible)
            }
            _ => Err(QpFailure::Numerical),
        }
    }
}

fn clamp0(l: f64, u: f64) -> f64 {
    0.0f64.clamp(l, u)
}

/// Starts each variable at the bound minimising `a_i x_i`, then raises the
/// variables with the largest `a_i` first until `a'x = target`.
pub(crate) fn fill_to_target(
    a: &[f64],
    target: f64,
    lower: &DVector<f64>,
    upper: &DVector<f64>,
) -> Option<DVector<f64>> {
    let n = a.len();
    let mut x = DVector::zeros(n);
    let mut total = 0.0;
    for i in 0..n {
        x[i] = if a[i] >= 0.0 { lower[i] } else { upper[i] };
        if !x[i].is_finite() {
            x[i] = clamp0(lower[i], upper[i]);
        }
        total += a[i] * x[i];
    }
    let mut order: Vec<usize> = (0..n).filter(|&i| a[i] != 0.0).collect();
    order.sort_by(|&i, &j| a[j].abs().total_cmp(&a[i].abs()));
    for i in order {
        let need = target - total;
        if need.abs() <= 1e-15 * (1.0 + target.abs()) {
            break;
        }
        let (lo, hi) = (lower[i], upper[i]);
        let wanted = x[i] + need / a[i];
        let next = wanted.clamp(lo, hi);
        total += a[i] * (next - x[i]);
        x[i] = next;
    }
    ((total - target).abs() <= 1e-9 * (1.0 + target.abs())).then_some(x)
}

/// A Cholesky factor `L L' = H_FF` of the free block, updated as variables
/// enter and leave the free set (O(k²) per change instead of O(k³)).
///
/// `L` is stored row by row in a square buffer whose side grows on demand, so
/// a factor for a few free variables of a large universe stays small.
#[derive(Debug)]
pub(crate) struct FreeFactor {
    /// The free variables, in factor order.
    pub(crate) free: Vec<usize>,
    /// The buffer's side: `L[i][j]` sits at `i * cap + j`.
    cap: usize,
    l: Vec<f64>,
}

impl FreeFactor {
    /// An empty factor with room for `cap` free variables before it grows.
    pub(crate) fn with_capacity(cap: usize) -> Self {
        let cap = cap.max(1);
        Self {
            free: Vec::with_capacity(cap),
            cap,
            l: vec![0.0; cap * cap],
        }
    }

    pub(crate) fn k(&self) -> usize {
        self.free.len()
    }

    fn row(&self, i: usize) -> &[f64] {
        &self.l[i * self.cap..i * self.cap + i + 1]
    }

    fn at(&self, i: usize, j: usize) -> f64 {
        self.l[i * self.cap + j]
    }

    fn set(&mut self, i: usize, j: usize, v: f64) {
        self.l[i * self.cap + j] = v;
    }

    fn grow(&mut self) {
        let cap = 2 * self.cap;
        let mut l = vec![0.0; cap * cap];
        for i in 0..self.k() {
            l[i * cap..i * cap + i + 1].copy_from_slice(self.row(i));
        }
        self.cap = cap;
        self.l = l;
    }

    /// Solves `L y = v` in place (first k entries).
    fn forward(&self, v: &mut [f64]) {
        for i in 0..self.k() {
            let r = self.row(i);
            let s = v[i] - r[..i].iter().zip(&v[..i]).map(|(a, b)| a * b).sum::<f64>();
            v[i] = s / r[i];
        }
    }

    /// Solves `L' x = v` in place, a row of `L` at a time.
    fn backward(&self, v: &mut [f64]) {
        for i in (0..self.k()).rev() {
            let r = self.row(i);
            let xi = v[i] / r[i];
            v[i] = xi;
            for (vj, lij) in v[..i].iter_mut().zip(&r[..i]) {
                *vj -= lij * xi;
            }
        }
    }

    /// `H_FF⁻¹ v`.
    pub(crate) fn solve(&self, v: &mut [f64]) {
        self.forward(v);
        self.backward(v);
    }

    /// Adds variable `j`; false when `H_FF` would stop being positive definite.
    pub(crate) fn add(&mut self, h: &DMatrix<f64>, j: usize) -> bool {
        let k = self.k();
        let col = h.column(j);
        let mut y: Vec<f64> = self.free.iter().map(|&i| col[i]).collect();
        self.forward(&mut y);
        let d = h[(j, j)] - y.iter().map(|v| v * v).sum::<f64>();
        if d.is_nan() || d <= 1e-14 * h[(j, j)].abs().max(1e-300) {
            return false;
        }
        if k == self.cap {
            self.grow();
        }
        let at = k * self.cap;
        self.l[at..at + k].copy_from_slice(&y);
        self.l[at + k] = d.sqrt();
        self.free.push(j);
        true
    }

    /// Removes the variable at position `pos` of the free list.
    pub(crate) fn remove(&mut self, pos: usize) {
        let k = self.k();
        let cap = self.cap;
        // Drop row `pos`, shift the rows below up: the block below is then
        // upper Hessenberg in columns pos.., which Givens rotations on column
        // pairs make lower triangular again.
        for r in pos..k - 1 {
            self.l
                .copy_within((r + 1) * cap..(r + 1) * cap + r + 2, r * cap);
        }
        self.l[(k - 1) * cap..k * cap].fill(0.0);
        for c in pos..k - 1 {
            // Zero l[c, c+1] by rotating columns c and c+1.
            let a = self.at(c, c);
            let b = self.at(c, c + 1);
            let r = a.hypot(b);
            let (cs, sn) = if r == 0.0 { (1.0, 0.0) } else { (a / r, b / r) };
            for row in c..k - 1 {
                let x = self.at(row, c);
                let y = self.at(row, c + 1);
                self.set(row, c, cs * x + sn * y);
                self.set(row, c + 1, -sn * x + cs * y);
            }
            if self.at(c, c) < 0.0 {
                for row in c..k - 1 {
                    let v = self.at(row, c);
                    self.set(row, c, -v);
                }
            }
        }
        for r in 0..k {
            self.set(r, k - 1, 0.0);
        }
        self.free.remove(pos);
    }

    /// `L` as a dense k x k matrix (for tests).
    #[cfg(test)]
    fn dense(&self) -> DMatrix<f64> {
        let k = self.k();
        DMatrix::from_fn(k, k, |i, j| if j <= i { self.at(i, j) } else { 0.0 })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn qp<'a>(h: &'a DMatrix<f64>, c: Vec<f64>, lo: f64, hi: f64) -> BoxQp<'a> {
        let n = c.len();
        BoxQp {
            h,
            c: DVector::from_vec(c),
            a: DMatrix::from_element(1, n, 1.0),
            b: DVector::from_element(1, 1.0),
            lower: DVector::from_element(n, lo),
            upper: DVector::from_element(n, hi),
        }
    }

    #[test]
    fn factor_updates_match_a_fresh_factorisation() {
        let n = 6;
        let x = DMatrix::from_fn(n + 3, n, |i, j| ((i * 7 + j * 3) % 11) as f64 - 5.0);
        let h = x.transpose() * &x + DMatrix::identity(n, n);
        // Capacity 2 makes the factor grow twice on the way.
        let mut f = FreeFactor::with_capacity(2);
        for j in [0, 2, 3, 5, 1] {
            assert!(f.add(&h, j));
        }
        f.remove(1); // drops variable 2
        f.remove(3); // drops variable 1
        let l = f.dense();
        let rebuilt = &l * l.transpose();
        for (a, &i) in f.free.iter().enumerate() {
            for (b, &j) in f.free.iter().enumerate() {
                assert!((rebuilt[(a, b)] - h[(i, j)]).abs() < 1e-9, "{a} {b}");
            }
        }
        assert_eq!(f.free, [0, 3, 5]);
    }

    #[test]
    fn two_asset_min_variance_is_analytic() {
        // var 0.04 and 0.09, uncorrelated: w1 = 0.09 / 0.13.
        let h = DMatrix::from_row_slice(2, 2, &[0.08, 0.0, 0.0, 0.18]);
        let s = qp(&h, vec![0.0, 0.0], 0.0, 1.0).solve(None).unwrap();
        assert!((s.x[0] - 0.09 / 0.13).abs() < 1e-12);
    }

    #[test]
    fn bounds_bind() {
        let h = DMatrix::from_row_slice(3, 3, &[0.02, 0.0, 0.0, 0.0, 0.2, 0.0, 0.0, 0.0, 0.2]);
        let s = qp(&h, vec![0.0; 3], 0.0, 0.5).solve(None).unwrap();
        assert!((s.x[0] - 0.5).abs() < 1e-12);
        assert!((s.x[1] - 0.25).abs() < 1e-12 && (s.x[2] - 0.25).abs() < 1e-12);
    }

    #[test]
    fn infeasible_bounds_are_reported() {
        let h = DMatrix::identity(2, 2);
        assert_eq!(
            qp(&h, vec![0.0; 2], 0.0, 0.4).solve(None).unwrap_err(),
            QpFailure::Infeasible
        );
    }

    #[test]
    fn linear_term_moves_weight() {
        let h = DMatrix::identity(2, 2);
        let s = qp(&h, vec![-1.0, 0.0], 0.0, 1.0).solve(None).unwrap();
        assert!((s.x[0] - 1.0).abs() < 1e-12 && s.x[1].abs() < 1e-12);
    }
}
