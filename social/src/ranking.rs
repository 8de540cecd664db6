//! Published ranking formulas, and the trending-ticker z-score.
//!
//! | formula | used for |
//! |---|---|
//! | [`reddit_hot`] | the trending feed (default) |
//! | [`hacker_news`] | the trending feed, when configured |
//! | [`wilson_lower_bound`] | comments in "best" order |
//! | [`controversy`] | offered for callers; not used by a feed |
//! | [`z_score`] | trending tickers |

use chrono::{DateTime, TimeDelta, Utc};

/// Reddit's epoch for the hot score: 2005-12-08 07:46:43 UTC, in Unix seconds.
pub const REDDIT_EPOCH: i64 = 1_134_028_003;
/// Seconds of age that weigh as much as a tenfold change in votes (12.5 hours).
pub const HOT_DECAY_SECONDS: f64 = 45_000.0;
/// The z of an 80% confidence interval, as Reddit uses for "best".
pub const WILSON_Z_80: f64 = 1.281_551_565_545;
/// The default gravity of the Hacker News formula.
pub const HN_GRAVITY: f64 = 1.8;

/// Seconds since the Unix epoch, with the fraction.
fn epoch_seconds(t: DateTime<Utc>) -> f64 {
    t.timestamp() as f64 + f64::from(t.timestamp_subsec_nanos()) / 1e9
}

/// Reddit's hot score:
/// `round(sign(s) · log10(max(|s|, 1)) + (t − 1134028003) / 45000, 7)`
/// with `s = ups − downs` and `t` the post time in Unix seconds.
///
/// A post needs ten times the net votes to rank with one 12.5 hours newer.
/// The score does not depend on the current time, so a ranking built from it
/// only changes when votes do.
///
/// ```
/// use auravest_social::ranking::reddit_hot;
/// use chrono::DateTime;
/// let t = DateTime::from_timestamp(1_134_028_003 + 45_000, 0).unwrap();
/// assert_eq!(reddit_hot(10, 0, t), 2.0);
/// assert_eq!(reddit_hot(0, 0, t), 1.0);
/// assert_eq!(reddit_hot(0, 100, t), -1.0);
/// ```
pub fn reddit_hot(ups: u64, downs: u64, posted: DateTime<Utc>) -> f64 {
    let s = i128::from(ups) - i128::from(downs);
    let order = (s.unsigned_abs().max(1) as f64).log10();
    let sign = match s.signum() {
        1 => 1.0,
        -1 => -1.0,
        _ => 0.0,
    };
    let seconds = epoch_seconds(posted) - REDDIT_EPOCH as f64;
    round_to(sign * order + seconds / HOT_DECAY_SECONDS, 7)
}

fn round_to(x: f64, places: i32) -> f64 {
    let scale = 10f64.powi(places);
    (x * scale).round() / scale
}

/// The lower bound of the Wilson score interval for the share of up-votes:
///
/// ```text
/// n = ups + downs,  p = ups / n
/// (p + z²/2n − z·√((p(1 − p) + z²/4n) / n)) / (1 + z²/n)
/// ```
///
/// and 0 when `n = 0`. Reddit's "best" order uses `z` = [`WILSON_Z_80`]. The
/// bound rewards many votes: 10 of 10 ranks above 1 of 1.
///
/// ```
/// use auravest_social::ranking::{wilson_lower_bound, WILSON_Z_80};
/// assert_eq!(wilson_lower_bound(0, 0, WILSON_Z_80), 0.0);
/// assert!(wilson_lower_bound(10, 0, WILSON_Z_80) > wilson_lower_bound(1, 0, WILSON_Z_80));
/// ```
pub fn wilson_lower_bound(ups: u64, downs: u64, z: f64) -> f64 {
    if ups == 0 && downs == 0 {
        return 0.0;
    }
    let n = ups as f64 + downs as f64;
    let p = ups as f64 / n;
    let z2 = z * z;
    let centre = p + z2 / (2.0 * n);
    let spread = z * ((p * (1.0 - p) + z2 / (4.0 * n)) / n).sqrt();
    ((centre - spread) / (1.0 + z2 / n)).max(0.0)
}

/// Reddit's controversy: `(ups + downs) / max(|ups − downs|, 1)`.
///
/// ```
/// assert_eq!(auravest_social::ranking::controversy(50, 50), 100.0);
/// assert_eq!(auravest_social::ranking::controversy(90, 10), 1.25);
/// ```
pub fn controversy(ups: u64, downs: u64) -> f64 {
    let total = ups as f64 + downs as f64;
    total / (ups.abs_diff(downs).max(1) as f64)
}

/// The Hacker News score: `(P − 1) / (T + 2)^G` with `P` points, `T` the age
/// in hours (negative ages count as 0) and `G` the gravity ([`HN_GRAVITY`]).
///
/// ```
/// use auravest_social::ranking::{hacker_news, HN_GRAVITY};
/// use chrono::TimeDelta;
/// let fresh = hacker_news(10, TimeDelta::hours(1), HN_GRAVITY);
/// let old = hacker_news(10, TimeDelta::hours(24), HN_GRAVITY);
/// assert!(fresh > old);
/// assert!((fresh - 9.0 / 3f64.powf(1.8)).abs() < 1e-12);
/// ```
pub fn hacker_news(points: u64, age: TimeDelta, gravity: f64) -> f64 {
    let hours = (age.num_milliseconds().max(0) as f64) / 3_600_000.0;
    (points as f64 - 1.0) / (hours + 2.0).powf(gravity)
}

/// The z-score of `value` against a baseline sample:
/// `(value − mean) / max(sd, sd_floor)`, with the population standard
/// deviation. Returns `(mean, sd, z)`; `None` for an empty baseline.
///
/// The floor keeps a ticker that was never mentioned (sd = 0) from jumping to
/// an infinite score on its first mention.
///
/// ```
/// let (mean, sd, z) = auravest_social::ranking::z_score(12.0, &[2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0], 1.0).unwrap();
/// assert_eq!((mean, sd, z), (5.0, 2.0, 3.5));
/// ```
pub fn z_score(value: f64, baseline: &[f64], sd_floor: f64) -> Option<(f64, f64, f64)> {
    if baseline.is_empty() {
        return None;
    }
    let n = baseline.len() as f64;
    let mean = baseline.iter().sum::<f64>() / n;
    let var = baseline.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n;
    let sd = var.sqrt();
    Some((mean, sd, (value - mean) / sd.max(sd_floor)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hot_rounds_to_seven_places() {
        let t = DateTime::from_timestamp(REDDIT_EPOCH + 1, 0).unwrap();
        let h = reddit_hot(1, 0, t);
        assert!((h - 0.0000222).abs() < 1e-12, "{h}");
    }
}
