//! Dense kernels shared by the estimators and the optimisers.

use nalgebra::DMatrix;

/// Columns per block of [`has_cholesky`].
const BLOCK: usize = 64;

/// Whether the symmetric matrix `m` (its lower triangle is read) has a
/// Cholesky factor: exactly nalgebra's `Cholesky::new(m).is_some()` (every
/// pivot finite-or-infinite and greater than 0) up to rounding, by a blocked
/// right-looking factorisation whose trailing updates are matrix products,
/// several times faster than the column-by-column one at a few hundred
/// assets. Small matrices go to nalgebra directly.
pub(crate) fn has_cholesky(m: &DMatrix<f64>) -> bool {
    let n = m.nrows();
    if n <= 2 * BLOCK {
        return m.clone().cholesky().is_some();
    }
    let mut a = m.clone();
    let mut k0 = 0;
    while k0 < n {
        let kb = BLOCK.min(n - k0);
        // Columns k0..k0+kb, all rows below: earlier blocks were subtracted by
        // the trailing updates, the block's own columns are subtracted here.
        for j in k0..k0 + kb {
            for k in k0..j {
                let factor = -a[(j, k)];
                let (mut col_j, col_k) = a.columns_range_pair_mut(j, k);
                col_j
                    .rows_range_mut(j..)
                    .axpy(factor, &col_k.rows_range(j..), 1.0);
            }
            let pivot = a[(j, j)];
            if !(pivot > 0.0) {
                return false;
            }
            let root = pivot.sqrt();
            a[(j, j)] = root;
            let mut below = a.view_range_mut(j + 1.., j);
            below /= root;
        }
        let r0 = k0 + kb;
        if r0 < n {
            // A22 -= L21 L21', lower trapezoid only, one block column at a time.
            let rest = n - r0;
            let panel = a.view((r0, k0), (rest, kb)).clone_owned();
            let mut c0 = 0;
            while c0 < rest {
                let cb = BLOCK.min(rest - c0);
                let right = panel.rows(c0, cb).transpose();
                a.view_mut((r0 + c0, r0 + c0), (rest - c0, cb)).gemm(
                    -1.0,
                    &panel.rows(c0, rest - c0),
                    &right,
                    1.0,
                );
                c0 += cb;
            }
        }
        k0 += kb;
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn random(n: usize, seed: u64) -> DMatrix<f64> {
        let mut state = seed;
        DMatrix::from_fn(n, n, |_, _| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            ((state >> 11) as f64 / (1u64 << 53) as f64) - 0.5
        })
    }

    /// Agrees with nalgebra on definite, indefinite and singular matrices on
    /// both sides of the size cutoff and over ragged last blocks.
    #[test]
    fn agrees_with_nalgebra() {
        for n in [5, 128, 129, 200, 301] {
            let b = random(n, n as u64);
            let mut spd = &b * b.transpose();
            for i in 0..n {
                spd[(i, i)] += 1e-3;
            }
            assert!(has_cholesky(&spd), "{n}: definite");
            // One clearly negative eigenvalue, late in the order.
            let mut v = random(n, 7).column(0).into_owned();
            v.normalize_mut();
            let indefinite = &spd - &v * v.transpose() * (2.0 * spd.norm());
            assert!(!has_cholesky(&indefinite), "{n}: indefinite");
            assert_eq!(
                has_cholesky(&indefinite),
                indefinite.clone().cholesky().is_some()
            );
            // Rank-deficient: fewer columns than rows in the factor.
            let thin = random(n, 3).columns(0, n / 2).into_owned();
            let singular = &thin * thin.transpose();
            assert_eq!(
                has_cholesky(&singular),
                singular.clone().cholesky().is_some(),
                "{n}: singular"
            );
            let mut broken = spd.clone();
            broken[(n - 1, n - 1)] = f64::NAN;
            assert!(!has_cholesky(&broken), "{n}: NaN");
        }
    }
}
