//! The feed-forward's activation, on every core.
//!
//! Gemma's feed-forward computes `gelu(gate) · up` over `tokens × 2048`
//! values per layer. candle computes the GELU on one thread with the C
//! library's `tanh`; on a 1,300-token prompt that costs a tenth of the
//! prefill. Here it is fused with the product and split across rayon's
//! workers, in one of two forms:
//! - [`gelu`]: candle's formula, with the same `f32` operations in the same
//!   order, so the same bits (the default);
//! - [`gelu_fast`] (opt-in, `LoadOptions::fast_gelu`): the same function
//!   written as `v / (1 + e^(−2z))` (equal to `0.5 · v · (1 + tanh z)`,
//!   without the cancellation of `1 + tanh z` for negative `z`), with an
//!   exponential the compiler vectorises. It is as close to the exact
//!   function as candle's (tested), but not the same bits, so the model's
//!   output can differ.

use rayon::prelude::*;

/// √(2/π), as candle writes it.
#[allow(clippy::excessive_precision)]
const SQRT_TWO_OVER_PI: f32 = 0.797_884_560_802_865_4;

/// GELU, tanh form (as Gemma uses it), written as candle writes it.
#[inline]
pub(crate) fn gelu(v: f32) -> f32 {
    0.5 * v * (1.0 + f32::tanh(SQRT_TWO_OVER_PI * v * (1.0 + 0.044715 * v * v)))
}

/// `e^x` for `f32`: `2^k · p(r)` with `x = k·ln 2 + r`, `|r| ≤ ln 2 / 2`,
/// `ln 2` split in two parts so that `r` is exact, and `p` the Taylor series
/// to degree 7 (its remainder, below 6·10⁻⁹ relative, is under half an `f32`
/// unit). Arguments are clamped to `[−87, 88]`, where `e^x` is a normal
/// `f32`; no branch, so loops over it vectorise.
#[inline(always)]
fn exp(x: f32) -> f32 {
    // Adding and subtracting 1.5 · 2^23 rounds to the nearest integer.
    const ROUND: f32 = 12_582_912.0;
    const LN2_HI: f32 = 0.693_359_4;
    const LN2_LO: f32 = -2.121_944_4e-4;
    let x = x.clamp(-87.0, 88.0);
    let k = (x * std::f32::consts::LOG2_E + ROUND) - ROUND;
    let r = (x - k * LN2_HI) - k * LN2_LO;
    let p = 1.0
        + r * (1.0
            + r * (1.0 / 2.0
                + r * (1.0 / 6.0
                    + r * (1.0 / 24.0 + r * (1.0 / 120.0 + r * (1.0 / 720.0 + r / 5040.0))))));
    // k is in −126..=127: 2^k is a normal float built from its exponent bits.
    p * f32::from_bits(((k as i32 + 127) as u32) << 23)
}

/// GELU, tanh form, as `v / (1 + e^(−2z))` (see the module's documentation).
#[inline(always)]
pub(crate) fn gelu_fast(v: f32) -> f32 {
    let z = SQRT_TWO_OVER_PI * (v + 0.044_715 * v * v * v);
    v / (1.0 + exp(-2.0 * z))
}

/// `gate[i] = gelu(gate[i]) · up[i]` for every `i`, with [`gelu_fast`] when
/// `fast` is set, otherwise [`gelu`].
///
/// # Panics
/// When the two are not the same length (a caller's bug: both come from
/// projections of the same rows).
pub(crate) fn gelu_mul(gate: &mut [f32], up: &[f32], fast: bool) {
    assert_eq!(gate.len(), up.len(), "gate and up differ in length");
    const CHUNK: usize = 16 * 1024;
    gate.par_chunks_mut(CHUNK)
        .zip(up.par_chunks(CHUNK))
        .for_each(|(g, u)| {
            if fast {
                for (g, &u) in g.iter_mut().zip(u) {
                    *g = gelu_fast(*g) * u;
                }
            } else {
                for (g, &u) in g.iter_mut().zip(u) {
                    *g = gelu(*g) * u;
                }
            }
        });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ulps(a: f32, b: f32) -> u32 {
        let (a, b) = (i64::from(a.to_bits()), i64::from(b.to_bits()));
        u32::try_from((a - b).unsigned_abs()).unwrap_or(u32::MAX)
    }

    #[test]
    fn exp_is_within_two_units_in_the_last_place() {
        let mut x = -87.0f32;
        while x <= 88.0 {
            let want = f64::from(x).exp() as f32;
            assert!(ulps(exp(x), want) <= 2, "exp({x}) = {} vs {want}", exp(x));
            x += 0.013;
        }
        assert_eq!(exp(0.0).to_bits(), 1f32.to_bits());
        // Beyond the clamp: finite, and tiny or huge as it should be.
        assert!(exp(-1000.0) > 0.0 && exp(-1000.0) < 1e-37);
        assert!(exp(1000.0).is_finite() && exp(1000.0) > 1e38);
    }

    #[test]
    fn both_gelus_match_the_f64_formula_as_closely() {
        let c = (2.0 / std::f64::consts::PI).sqrt();
        let (mut worst_exact, mut worst_fast) = (0f64, 0f64);
        let mut v = -10.0f32;
        while v <= 10.0 {
            let x = f64::from(v);
            let want = 0.5 * x * (1.0 + (c * (x + 0.044715 * x * x * x)).tanh());
            // Error relative to the scale of v (1 + tanh cancels for
            // negative v in the candle form).
            let err = |got: f32| (f64::from(got) - want).abs() / x.abs().max(1e-3);
            worst_exact = worst_exact.max(err(gelu(v)));
            worst_fast = worst_fast.max(err(gelu_fast(v)));
            v += 0.0071;
        }
        assert!(worst_exact < 1e-6, "{worst_exact}");
        assert!(worst_fast < 1e-6, "{worst_fast}");
        assert_eq!(gelu_fast(0.0).to_bits(), 0f32.to_bits());
        assert!(gelu_fast(-200.0).abs() < 1e-30);
        assert_eq!(gelu_fast(200.0).to_bits(), 200f32.to_bits());
    }

    #[test]
    fn gelu_matches_the_f64_formula() {
        let c = (2.0 / std::f64::consts::PI).sqrt();
        let mut v = -10.0f32;
        while v <= 10.0 {
            let x = f64::from(v);
            let want = 0.5 * x * (1.0 + (c * (x + 0.044715 * x * x * x)).tanh());
            let got = f64::from(gelu(v));
            // Relative to the scale of v: 1 + tanh cancels for negative v.
            assert!(
                (got - want).abs() <= 1e-6 * x.abs().max(1e-3),
                "gelu({v}) = {got} vs {want}"
            );
            v += 0.0071;
        }
        assert_eq!(gelu(0.0).to_bits(), 0f32.to_bits());
        assert_eq!(gelu(30.0).to_bits(), 30f32.to_bits());
    }

    #[test]
    fn gelu_mul_multiplies_every_value() {
        let n = 40_000;
        let gate: Vec<f32> = (0..n).map(|i| (i as f32 - 20_000.0) / 3_000.0).collect();
        let up: Vec<f32> = (0..n).map(|i| 1.0 + (i % 7) as f32).collect();
        for fast in [false, true] {
            let mut g = gate.clone();
            let f = if fast { gelu_fast } else { gelu };
            let want: Vec<f32> = g.iter().zip(&up).map(|(&g, &u)| f(g) * u).collect();
            gelu_mul(&mut g, &up, fast);
            assert!(g.iter().zip(&want).all(|(a, b)| a.to_bits() == b.to_bits()));
        }
    }
}
