//! Choosing the next token from logits: repeat penalty, then greedy or
//! temperature with nucleus (top-p) sampling, on a seeded generator so that
//! a seed reproduces its text.

use super::Sampling;

/// A small, fast, seedable generator (SplitMix64).
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator seeded with `seed`.
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A uniform number in [0, 1).
    pub fn next_f64(&mut self) -> f64 {
        // 53 random bits, the precision of an f64 mantissa.
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Picks tokens according to [`Sampling`].
#[derive(Debug, Clone)]
pub struct Sampler {
    settings: Sampling,
    rng: Rng,
}

impl Sampler {
    /// A sampler with `settings`.
    pub fn new(settings: Sampling) -> Self {
        Self {
            settings,
            rng: Rng::new(settings.seed),
        }
    }

    /// The settings.
    pub fn settings(&self) -> &Sampling {
        &self.settings
    }

    /// Applies the repeat penalty for the tokens in `recent` (each token
    /// once, however often it occurs), as llama.cpp and candle do: positive
    /// logits are divided by the penalty, negative ones multiplied.
    pub fn penalise(&self, logits: &mut [f32], recent: &[u32]) {
        let p = self.settings.repeat_penalty;
        if (p - 1.0).abs() < f32::EPSILON || !p.is_finite() || p <= 0.0 {
            return;
        }
        let window = &recent[recent.len().saturating_sub(self.settings.repeat_last_n)..];
        let mut seen = std::collections::HashSet::with_capacity(window.len());
        for &t in window {
            if !seen.insert(t) {
                continue;
            }
            if let Some(l) = logits.get_mut(t as usize) {
                *l = if *l >= 0.0 { *l / p } else { *l * p };
            }
        }
    }

    /// The next token: the penalty over `recent`, then greedy or sampled.
    /// Returns `None` for empty or all-NaN logits.
    pub fn next(&mut self, logits: &mut [f32], recent: &[u32]) -> Option<u32> {
        self.penalise(logits, recent);
        let t = self.settings.temperature;
        if !(t > 0.0 && t.is_finite()) {
            return argmax(logits);
        }
        self.sample(logits, t)
    }

    fn sample(&mut self, logits: &[f32], temperature: f32) -> Option<u32> {
        let max = logits
            .iter()
            .copied()
            .filter(|v| !v.is_nan())
            .fold(f32::NEG_INFINITY, f32::max);
        if !max.is_finite() {
            return argmax(logits);
        }
        // Probabilities (unnormalised), highest first.
        let mut probs: Vec<(u32, f64)> = logits
            .iter()
            .enumerate()
            .filter(|(_, v)| v.is_finite())
            .map(|(i, &v)| {
                (
                    u32::try_from(i).unwrap_or(u32::MAX),
                    f64::from((v - max) / temperature).exp(),
                )
            })
            .filter(|(_, p)| *p > 0.0)
            .collect();
        probs.sort_unstable_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        let total: f64 = probs.iter().map(|p| p.1).sum();
        let top_p = f64::from(self.settings.top_p);
        if top_p > 0.0 && top_p < 1.0 {
            let mut acc = 0.0;
            let mut keep = probs.len();
            for (i, (_, p)) in probs.iter().enumerate() {
                acc += p / total;
                if acc >= top_p {
                    keep = i + 1;
                    break;
                }
            }
            probs.truncate(keep.max(1));
        }
        let total: f64 = probs.iter().map(|p| p.1).sum();
        let mut r = self.rng.next_f64() * total;
        for (id, p) in &probs {
            if r < *p {
                return Some(*id);
            }
            r -= p;
        }
        probs.last().map(|p| p.0)
    }
}

/// The index of the largest logit (the first on ties; NaN ignored).
pub fn argmax(logits: &[f32]) -> Option<u32> {
    let mut best: Option<(usize, f32)> = None;
    for (i, &v) in logits.iter().enumerate() {
        if v.is_nan() {
            continue;
        }
        if best.is_none_or(|(_, b)| v > b) {
            best = Some((i, v));
        }
    }
    best.and_then(|(i, _)| u32::try_from(i).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(temperature: f32, top_p: f32, penalty: f32) -> Sampling {
        Sampling {
            temperature,
            top_p,
            repeat_penalty: penalty,
            repeat_last_n: 4,
            seed: 7,
        }
    }

    #[test]
    fn greedy_takes_the_largest_and_ignores_nan() {
        let mut s = Sampler::new(settings(0.0, 1.0, 1.0));
        assert_eq!(s.next(&mut [0.1, f32::NAN, 2.0, 1.9], &[]), Some(2));
        assert_eq!(s.next(&mut [], &[]), None);
        assert_eq!(s.next(&mut [f32::NAN], &[]), None);
    }

    #[test]
    fn repeat_penalty_divides_positive_and_multiplies_negative_logits_once() {
        let s = Sampler::new(settings(0.0, 1.0, 2.0));
        let mut l = [4.0, -1.0, 3.0, 1.0];
        // Token 0 twice, token 1 once; token 3 is outside the window of 4.
        s.penalise(&mut l, &[3, 0, 0, 1, 0]);
        let want = [2.0, -2.0, 3.0, 1.0];
        assert!(
            l.iter().zip(want).all(|(a, b)| (a - b).abs() < 1e-6),
            "{l:?}"
        );
        // With the penalty, greedy now prefers token 2.
        let mut s = Sampler::new(settings(0.0, 1.0, 2.0));
        assert_eq!(s.next(&mut [4.0, -1.0, 3.0, 1.0], &[0]), Some(2));
    }

    #[test]
    fn top_p_keeps_only_the_nucleus() {
        // Token 0 has ~0.84 of the mass at temperature 1; top-p 0.5 keeps
        // only it, whatever the seed.
        for seed in 0..50 {
            let mut s = Sampler::new(Sampling {
                seed,
                ..settings(1.0, 0.5, 1.0)
            });
            assert_eq!(s.next(&mut [3.0, 1.0, 0.5, -2.0], &[]), Some(0));
        }
    }

    #[test]
    fn sampling_follows_the_distribution_and_the_seed_reproduces_it() {
        let draw = |seed| {
            let mut s = Sampler::new(Sampling {
                seed,
                ..settings(1.0, 1.0, 1.0)
            });
            (0..4000)
                .map(|_| s.next(&mut [0.0, 0.0, (2.0f32).ln()], &[]).unwrap())
                .collect::<Vec<_>>()
        };
        let a = draw(1);
        assert_eq!(a, draw(1));
        assert_ne!(a, draw(2));
        // Expected shares 0.25 / 0.25 / 0.5.
        let share = |t| a.iter().filter(|&&x| x == t).count() as f64 / a.len() as f64;
        assert!((share(2) - 0.5).abs() < 0.03, "{}", share(2));
        assert!((share(0) - 0.25).abs() < 0.03, "{}", share(0));
    }

    #[test]
    fn low_temperature_sharpens() {
        let mut s = Sampler::new(settings(0.01, 1.0, 1.0));
        for _ in 0..100 {
            assert_eq!(s.next(&mut [1.0, 1.2, 0.9], &[]), Some(1));
        }
    }

    #[test]
    fn uniform_numbers_are_in_range() {
        let mut r = Rng::new(3);
        for _ in 0..1000 {
            let x = r.next_f64();
            assert!((0.0..1.0).contains(&x));
        }
    }
}
