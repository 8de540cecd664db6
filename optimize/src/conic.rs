//! A thin builder over the Clarabel interior-point solver for the problems the
//! active-set path does not cover (group and linear constraints, turnover
//! costs, long-short maximum Sharpe, second-order-cone risk targets, CVaR and
//! CDaR linear programmes).
//!
//! ```text
//! minimise ½ x'Px + q'x
//! subject to  a_k'x = b_k          (equalities)
//!             a_k'x ≤ b_k          (inequalities)
//!             ‖(b_j - a_j'x)_{j≥1}‖ ≤ b_0 - a_0'x   (second-order cones)
//! ```

use clarabel::algebra::CscMatrix;
use clarabel::solver::{
    DefaultSettingsBuilder, DefaultSolver, IPSolver, SolverStatus, SupportedConeT,
};
use nalgebra::{DMatrix, DVector};

use crate::{Error, Result};

/// A sparse row `Σ coef·x[index]` with its right-hand side.
pub(crate) type Row = (Vec<(usize, f64)>, f64);

/// A conic problem in `n` variables.
#[derive(Debug, Clone)]
pub(crate) struct ConicProblem {
    n: usize,
    p: Option<DMatrix<f64>>,
    q: DVector<f64>,
    eq: Vec<Row>,
    le: Vec<Row>,
    soc: Vec<Vec<Row>>,
}

impl ConicProblem {
    /// A problem in `n` variables with a zero objective.
    pub(crate) fn new(n: usize) -> Self {
        Self {
            n,
            p: None,
            q: DVector::zeros(n),
            eq: Vec::new(),
            le: Vec::new(),
            soc: Vec::new(),
        }
    }

    /// Sets the quadratic term on the first `p.nrows()` variables.
    pub(crate) fn quadratic(&mut self, p: DMatrix<f64>) {
        self.p = Some(p);
    }

    /// Adds to the linear term.
    pub(crate) fn linear(&mut self, index: usize, coef: f64) {
        self.q[index] += coef;
    }

    /// Adds `row = rhs`.
    pub(crate) fn eq(&mut self, row: Vec<(usize, f64)>, rhs: f64) {
        self.eq.push((row, rhs));
    }

    /// Adds `row ≤ rhs`.
    pub(crate) fn le(&mut self, row: Vec<(usize, f64)>, rhs: f64) {
        self.le.push((row, rhs));
    }

    /// Adds a second-order cone: the first row's slack bounds the norm of the others'.
    pub(crate) fn soc(&mut self, rows: Vec<Row>) {
        self.soc.push(rows);
    }

    /// Solves to Clarabel's default tolerances, tightened to 1e-10.
    ///
    /// # Errors
    /// [`Error::Infeasible`] on a primal infeasibility certificate,
    /// [`Error::Solver`] on any other non-solution.
    pub(crate) fn solve(&self) -> Result<DVector<f64>> {
        let n = self.n;
        let p = match &self.p {
            Some(m) => {
                let (mut rows, mut cols, mut vals) = (Vec::new(), Vec::new(), Vec::new());
                for j in 0..m.ncols() {
                    for i in 0..=j {
                        let v = m[(i, j)];
                        if v != 0.0 {
                            rows.push(i);
                            cols.push(j);
                            vals.push(v);
                        }
                    }
                }
                CscMatrix::new_from_triplets(n, n, rows, cols, vals)
            }
            None => CscMatrix::new_from_triplets(n, n, Vec::new(), Vec::new(), Vec::new()),
        };
        let mut rows = Vec::new();
        let mut cols = Vec::new();
        let mut vals = Vec::new();
        let mut b = Vec::new();
        let mut cones = Vec::new();
        let mut push = |row: &Row, b: &mut Vec<f64>| {
            let r = b.len();
            for &(j, v) in &row.0 {
                rows.push(r);
                cols.push(j);
                vals.push(v);
            }
            b.push(row.1);
        };
        for r in &self.eq {
            push(r, &mut b);
        }
        if !self.eq.is_empty() {
            cones.push(SupportedConeT::ZeroConeT(self.eq.len()));
        }
        for r in &self.le {
            push(r, &mut b);
        }
        if !self.le.is_empty() {
            cones.push(SupportedConeT::NonnegativeConeT(self.le.len()));
        }
        for block in &self.soc {
            for r in block {
                push(r, &mut b);
            }
            cones.push(SupportedConeT::SecondOrderConeT(block.len()));
        }
        let a = CscMatrix::new_from_triplets(b.len(), n, rows, cols, vals);
        let settings = DefaultSettingsBuilder::default()
            .verbose(false)
            .tol_gap_abs(1e-10)
            .tol_gap_rel(1e-10)
            .tol_feas(1e-10)
            .max_iter(200)
            .build()
            .map_err(|e| Error::Solver {
                status: e.to_string(),
            })?;
        let mut solver = DefaultSolver::new(&p, self.q.as_slice(), &a, &b, &cones, settings)
            .map_err(|e| Error::Solver {
                status: e.to_string(),
            })?;
        solver.solve();
        match solver.solution.status {
            SolverStatus::Solved | SolverStatus::AlmostSolved => {
                Ok(DVector::from_vec(solver.solution.x.clone()))
            }
            SolverStatus::PrimalInfeasible | SolverStatus::AlmostPrimalInfeasible => {
                Err(Error::Infeasible {
                    reason: "the solver proved that no portfolio meets every constraint".to_owned(),
                })
            }
            other => Err(Error::Solver {
                status: format!("{other:?}"),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn solves_a_small_qp_with_a_cone() {
        // min x0² + x1² s.t. x0 + x1 = 1, x0 ≤ 0.3, ‖x‖ ≤ 2.
        let mut p = ConicProblem::new(2);
        p.quadratic(DMatrix::from_row_slice(2, 2, &[2.0, 0.0, 0.0, 2.0]));
        p.eq(vec![(0, 1.0), (1, 1.0)], 1.0);
        p.le(vec![(0, 1.0)], 0.3);
        p.soc(vec![
            (vec![], 2.0),
            (vec![(0, -1.0)], 0.0),
            (vec![(1, -1.0)], 0.0),
        ]);
        let x = p.solve().unwrap();
        assert!(
            (x[0] - 0.3).abs() < 1e-7 && (x[1] - 0.7).abs() < 1e-7,
            "{x}"
        );
    }

    #[test]
    fn reports_infeasibility() {
        let mut p = ConicProblem::new(1);
        p.le(vec![(0, 1.0)], -1.0);
        p.le(vec![(0, -1.0)], -1.0);
        assert!(matches!(p.solve(), Err(Error::Infeasible { .. })));
    }
}
