//! Dense kernels shared by the estimators and the optimisers.
//!
//! The large products ([`sym_gram`]) split their work over up to
//! [`max_threads`] scoped threads when there is enough of it to pay for
//! them; each block is computed by one thread with the same arithmetic, so
//! the result does not depend on the thread count.

use std::sync::OnceLock;

use nalgebra::{DMatrix, DMatrixViewMut, Dyn, MatrixView};

/// Columns per block of [`has_cholesky`].
const BLOCK: usize = 64;

/// Whether `m + shift·I` (the lower triangle of the symmetric `m` is read)
/// has a Cholesky factor: exactly nalgebra's `Cholesky::new(..).is_some()`
/// (every pivot greater than 0) up to rounding, by a blocked right-looking
/// factorisation whose trailing updates are matrix products (shared out
/// over threads when large), several times faster than the column-by-column
/// one at a few hundred assets. Small matrices go to nalgebra directly.
pub(crate) fn has_cholesky(m: &DMatrix<f64>, shift: f64) -> bool {
    let n = m.nrows();
    let mut a = m.clone();
    for i in 0..n {
        a[(i, i)] += shift;
    }
    if n <= 2 * BLOCK {
        return a.cholesky().is_some();
    }
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
            trailing_update(&mut a, r0, k0, kb);
        }
        k0 += kb;
    }
    true
}

/// `A22 -= L21 L21'` below row and right of column `r0`, lower trapezoid
/// only, one block column at a time; `L21` is columns `k0..k0 + kb` from
/// row `r0` on. Block columns are disjoint stretches of the column-major
/// buffer, so threads each update their own.
fn trailing_update(a: &mut DMatrix<f64>, r0: usize, k0: usize, kb: usize) {
    let n = a.nrows();
    let rest = n - r0;
    let panel = a.view((r0, k0), (rest, kb)).clone_owned();
    let update = |c0: usize, mut cols: DMatrixViewMut<'_, f64>| {
        let cb = cols.ncols();
        let right = panel.rows(c0, cb).transpose();
        cols.view_mut((r0 + c0, 0), (rest - c0, cb)).gemm(
            -1.0,
            &panel.rows(c0, rest - c0),
            &right,
            1.0,
        );
    };
    let blocks: Vec<(usize, &mut [f64])> = a.as_mut_slice()[r0 * n..]
        .chunks_mut(BLOCK * n)
        .enumerate()
        .map(|(b, chunk)| (b * BLOCK, chunk))
        .collect();
    let work = rest.saturating_mul(rest).saturating_mul(kb) / 2;
    let threads = threads_for(work, blocks.len());
    if threads <= 1 {
        for (c0, chunk) in blocks {
            update(c0, columns_of(chunk, n));
        }
        return;
    }
    // Block columns come in decreasing work (rest - c0): each goes to the
    // least-loaded thread.
    let mut shares: Vec<Share<'_>> = (0..threads).map(|_| (0, Vec::new())).collect();
    for (c0, chunk) in blocks {
        if let Some(share) = shares.iter_mut().min_by_key(|s| s.0) {
            share.0 += rest - c0;
            share.1.push((c0, chunk));
        }
    }
    std::thread::scope(|scope| {
        for (_, mine) in shares {
            let update = &update;
            scope.spawn(move || {
                for (c0, chunk) in mine {
                    update(c0, columns_of(chunk, n));
                }
            });
        }
    });
}

/// One thread's work: its total and its block columns (first column, buffer).
type Share<'a> = (usize, Vec<(usize, &'a mut [f64])>);

/// Whole columns of height `n` held in `chunk` (column-major).
fn columns_of(chunk: &mut [f64], n: usize) -> DMatrixViewMut<'_, f64> {
    let cols = chunk.len() / n;
    DMatrixViewMut::from_slice(chunk, n, cols)
}

/// Multiply-adds below which a product stays on the calling thread (about
/// half a millisecond of work: a thread's start-up would not pay).
const PARALLEL_MIN_WORK: usize = 8_000_000;

/// Threads the dense kernels may use: the machine's available parallelism
/// (1 where threads do not exist, as on wasm32), read once.
pub fn max_threads() -> usize {
    static THREADS: OnceLock<usize> = OnceLock::new();
    *THREADS.get_or_init(|| std::thread::available_parallelism().map_or(1, usize::from))
}

/// Threads for `work` multiply-adds split into `parts` independent pieces.
fn threads_for(work: usize, parts: usize) -> usize {
    if work < PARALLEL_MIN_WORK {
        1
    } else {
        max_threads().min(parts).max(1)
    }
}

/// Columns of `a'` handled by one matrix product in [`sym_gram`].
const GRAM_BLOCK: usize = 64;

/// Above this size in every dimension nalgebra's `gemm` hands the product
/// to `matrixmultiply`, which takes any strides (its own cutoff is 5).
const GEMM_MIN_DIM: usize = 8;

/// `a'` of the column-major `a`, copied tile by tile so that reads and
/// writes both stay within a few pages at a time.
fn transposed(a: &DMatrix<f64>) -> DMatrix<f64> {
    const TILE: usize = 32;
    let (t, n) = a.shape();
    let src = a.as_slice();
    let mut out = vec![0.0; t * n];
    for k0 in (0..t).step_by(TILE) {
        let k1 = (k0 + TILE).min(t);
        for i in 0..n {
            for (k, v) in (k0..k1).zip(&src[i * t + k0..i * t + k1]) {
                out[k * n + i] = *v;
            }
        }
    }
    DMatrix::from_vec(n, t, out)
}

/// Rows `i0..i0 + bi` of `a' a` from column `i0` on, `a[:, I]' a[:, i0..]`,
/// as one matrix product. `z` is `a'` (see [`transposed`]): the product
/// reads both factors along `z`'s contiguous columns, where reading `a`'s
/// rows in place would cross a page at every element while the product
/// packs its operands.
fn gram_rows(a: &DMatrix<f64>, z: Option<&DMatrix<f64>>, i0: usize, bi: usize) -> DMatrix<f64> {
    let (t, n) = a.shape();
    let mut block = DMatrix::zeros(bi, n - i0);
    match z.filter(|_| bi.min(t).min(n - i0) > GEMM_MIN_DIM) {
        Some(z) => {
            let zs = &z.as_slice()[i0..];
            // z[I, :]: bi x t, column stride n; z[i0.., :]': t x (n - i0), row stride n.
            let left =
                MatrixView::<'_, f64, Dyn, Dyn, Dyn, Dyn>::from_slice_with_strides(zs, bi, t, 1, n);
            let right = MatrixView::<'_, f64, Dyn, Dyn, Dyn, Dyn>::from_slice_with_strides(
                zs,
                t,
                n - i0,
                n,
                1,
            );
            block.gemm(1.0, &left, &right, 0.0);
        }
        // nalgebra's small-matrix kernels want unit row strides.
        None => block.gemm(
            1.0,
            &a.columns(i0, bi).transpose(),
            &a.columns(i0, n - i0),
            0.0,
        ),
    }
    block
}

/// `a' a`, exactly symmetric: a symmetric rank-k update that computes the
/// upper triangle only, block row by block row, then mirrors it, so about
/// half the work of the full product. Large products share the block rows
/// out over threads, balanced by their work.
pub(crate) fn sym_gram(a: &DMatrix<f64>) -> DMatrix<f64> {
    let (t, n) = a.shape();
    let work = t.saturating_mul(n).saturating_mul(n) / 2;
    sym_gram_on(a, threads_for(work, n.div_ceil(GRAM_BLOCK)))
}

/// [`sym_gram`] on `threads` threads.
fn sym_gram_on(a: &DMatrix<f64>, threads: usize) -> DMatrix<f64> {
    let (t, n) = a.shape();
    let mut g = DMatrix::zeros(n, n);
    if t == 0 || n == 0 {
        return g;
    }
    let starts: Vec<usize> = (0..n).step_by(GRAM_BLOCK).collect();
    // Past nalgebra's small-matrix cutoff the product goes to
    // `matrixmultiply`, which takes any strides: give it the transpose.
    let z = (t.min(n) > GEMM_MIN_DIM).then(|| transposed(a));
    let blocks: Vec<(usize, DMatrix<f64>)> = if threads <= 1 {
        starts
            .iter()
            .map(|&i0| (i0, gram_rows(a, z.as_ref(), i0, GRAM_BLOCK.min(n - i0))))
            .collect()
    } else {
        // Block rows come in decreasing work (n - i0): each goes to the
        // least-loaded thread.
        let mut shares: Vec<(usize, Vec<usize>)> = vec![(0, Vec::new()); threads];
        for &i0 in &starts {
            if let Some(share) = shares.iter_mut().min_by_key(|s| s.0) {
                share.0 += n - i0;
                share.1.push(i0);
            }
        }
        let z = z.as_ref();
        std::thread::scope(|scope| {
            let handles: Vec<_> = shares
                .into_iter()
                .map(|(_, mine)| {
                    scope.spawn(move || {
                        mine.into_iter()
                            .map(|i0| (i0, gram_rows(a, z, i0, GRAM_BLOCK.min(n - i0))))
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            handles
                .into_iter()
                .flat_map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
                .collect()
        })
    };
    for (i0, block) in blocks {
        g.view_mut((i0, i0), block.shape()).copy_from(&block);
    }
    for j in 0..n {
        for i in (j + 1)..n {
            g[(i, j)] = g[(j, i)];
        }
    }
    g
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Threads change who computes each block, not the arithmetic: the
    /// product is the same to the bit on any thread count.
    #[test]
    fn threaded_gram_is_identical_to_the_serial_one() {
        let a = DMatrix::from_fn(700, 203, |i, j| {
            ((i * 31 + j * 17) % 97) as f64 / 97.0 - 0.5
        });
        let serial = sym_gram_on(&a, 1);
        for threads in [2, 3, 8] {
            assert_eq!(sym_gram_on(&a, threads), serial, "{threads} threads");
        }
        let full = a.transpose() * &a;
        let err = (&serial - &full).amax() / full.amax();
        assert!(err < 1e-13, "relative error {err}");
        assert_eq!(sym_gram(&a), serial);
        assert!(max_threads() >= 1);
    }

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
    /// both sides of the size cutoff, over ragged last blocks, and with the
    /// trailing updates shared out over threads (700).
    #[test]
    fn agrees_with_nalgebra() {
        for n in [5, 128, 129, 200, 301, 700] {
            let b = random(n, n as u64);
            let mut spd = &b * b.transpose();
            for i in 0..n {
                spd[(i, i)] += 1e-3;
            }
            assert!(has_cholesky(&spd, 0.0), "{n}: definite");
            // One clearly negative eigenvalue, late in the order.
            let mut v = random(n, 7).column(0).into_owned();
            v.normalize_mut();
            let indefinite = &spd - &v * v.transpose() * (2.0 * spd.norm());
            assert!(!has_cholesky(&indefinite, 0.0), "{n}: indefinite");
            assert_eq!(
                has_cholesky(&indefinite, 0.0),
                indefinite.clone().cholesky().is_some()
            );
            // Rank-deficient: fewer columns than rows in the factor.
            let thin = random(n, 3).columns(0, n / 2).into_owned();
            let singular = &thin * thin.transpose();
            assert_eq!(
                has_cholesky(&singular, 0.0),
                singular.clone().cholesky().is_some(),
                "{n}: singular"
            );
            let mut broken = spd.clone();
            broken[(n - 1, n - 1)] = f64::NAN;
            assert!(!has_cholesky(&broken, 0.0), "{n}: NaN");
            // The shift is added to the diagonal: a large one makes any
            // symmetric matrix definite.
            assert!(has_cholesky(&indefinite, 4.0 * spd.norm()), "{n}: shifted");
        }
    }
}
