//! Small helpers over prices and amounts shared by the detectors.

use auravest_core::{
    Currency, Decimal, Holdings, NaiveDate, Price, PriceFrame, Transaction, TransactionKind,
    checked_mul, value_holdings,
};

use crate::Result;

/// `a + b`, or `auravest_core::Error::Overflow` naming `what`.
pub(crate) fn add(a: Decimal, b: Decimal, what: impl FnOnce() -> String) -> Result<Decimal> {
    Ok(a.checked_add(b)
        .ok_or_else(|| auravest_core::Error::Overflow { what: what() })?)
}

/// A decimal as `f64` (0 when it does not fit, which needs about 1e308).
pub(crate) fn f(d: Decimal) -> f64 {
    f64::try_from(d).unwrap_or(0.0)
}

/// An `f64` amount as a decimal rounded to cents (0 when not finite).
pub(crate) fn money(x: f64) -> Decimal {
    Decimal::try_from(x)
        .map(|d| d.round_dp(2).normalize())
        .unwrap_or_default()
}

/// The closes of column `col`, each missing day filled with the last close before it.
pub(crate) fn filled_closes(prices: &PriceFrame, col: usize) -> Vec<Option<f64>> {
    let mut last = None;
    prices
        .column_at(col)
        .unwrap_or(&[])
        .iter()
        .map(|v| {
            if v.is_some() {
                last = *v;
            }
            last
        })
        .collect()
}

/// A fall of a close from the highest close before it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Fall {
    /// `1 − close / peak`, in `[0, 1)`.
    pub(crate) size: f64,
    /// Trading-day index of the peak.
    pub(crate) peak: usize,
}

/// How far the close on day `t` is below the highest close of the `lookback`
/// trading days up to and including `t`.
pub(crate) fn fall_at(closes: &[Option<f64>], t: usize, lookback: usize) -> Option<Fall> {
    let now = (*closes.get(t)?)?;
    let start = t.saturating_sub(lookback);
    let (peak, high) = (start..=t).filter_map(|i| closes[i].map(|c| (i, c))).fold(
        None,
        |best: Option<(usize, f64)>, (i, c)| match best {
            Some((_, b)) if b >= c => best,
            _ => Some((i, c)),
        },
    )?;
    (high > 0.0).then(|| Fall {
        size: 1.0 - now / high,
        peak,
    })
}

/// The fall completed on day `t`: the first close at least `min` below the
/// highest close of the `lookback` trading days up to it (the day before was
/// not yet that far down).
pub(crate) fn fall_completed(
    closes: &[Option<f64>],
    t: usize,
    lookback: usize,
    min: f64,
) -> Option<Fall> {
    let fall = fall_at(closes, t, lookback).filter(|x| x.size >= min)?;
    let before = t
        .checked_sub(1)
        .and_then(|y| fall_at(closes, y, lookback))
        .is_some_and(|x| x.size >= min);
    (!before).then_some(fall)
}

/// The `q` quantile of `values` (linear interpolation between order
/// statistics, as numpy's default); `None` when empty.
pub(crate) fn quantile(values: &[f64], q: f64) -> Option<f64> {
    let mut v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let pos = q.clamp(0.0, 1.0) * (v.len() - 1) as f64;
    let lo = pos.floor() as usize;
    let hi = pos.ceil() as usize;
    Some(v[lo] + (v[hi] - v[lo]) * (pos - lo as f64))
}

/// `amount` of `currency` in the base currency on `date`, converted by the
/// exchange-rate columns of `prices` exactly as a valuation converts cash
/// (the amount times the rate a valuation finds for one unit), for any
/// amount, however large.
///
/// # Errors
/// `auravest_core::Error::MissingFx` when no rate is available;
/// `auravest_core::Error::Overflow` when the converted amount does not fit.
pub(crate) fn to_base(
    amount: Decimal,
    currency: Currency,
    date: NaiveDate,
    prices: &PriceFrame,
    base: Currency,
) -> Result<Decimal> {
    if currency == base || amount.is_zero() {
        return Ok(amount);
    }
    let one = Price::new("price", Decimal::ONE)?;
    let mut probe = Holdings::default();
    probe.apply(&Transaction::new(
        date,
        TransactionKind::Deposit { amount: one },
        currency,
    ))?;
    let rate = value_holdings(&probe, prices, date, base)?.cash;
    Ok(checked_mul(amount, rate, || {
        format!("{amount} {currency} in {base}")
    })?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn falls_are_measured_from_the_window_high() {
        let closes = [Some(100.0), Some(120.0), None, Some(90.0), Some(95.0)];
        let fall = fall_at(&closes, 3, 20).unwrap();
        assert!((fall.size - 0.25).abs() < 1e-12);
        assert_eq!(fall.peak, 1);
        // A one-day window only sees the day before.
        let short = fall_at(&closes, 4, 1).unwrap();
        assert!(short.size.abs() < 1e-12, "{short:?}");
        assert!(fall_at(&closes, 2, 5).is_none());
    }

    #[test]
    fn a_fall_completes_once() {
        let closes = [
            Some(100.0),
            Some(95.0),
            Some(88.0),
            Some(85.0),
            Some(100.0),
            Some(89.0),
        ];
        let days: Vec<usize> = (0..closes.len())
            .filter(|t| fall_completed(&closes, *t, 20, 0.10).is_some())
            .collect();
        assert_eq!(days, [2, 5]);
    }

    #[test]
    fn quantile_interpolates() {
        let q = quantile(&[1.0, 2.0, 3.0, 4.0, 5.0], 0.9).unwrap();
        assert!((q - 4.6).abs() < 1e-12);
        assert!(quantile(&[], 0.5).is_none());
    }

    #[test]
    fn conversion_uses_fx_columns() {
        let prices = PriceFrame::from_csv("date,EURUSD=X\n2024-01-02,1.1\n".as_bytes()).unwrap();
        let d: NaiveDate = "2024-01-02".parse().unwrap();
        let usd = to_base(
            Decimal::from(-100),
            Currency::EUR,
            d,
            &prices,
            Currency::USD,
        )
        .unwrap();
        assert_eq!(usd, Decimal::from(-110));
        assert!(to_base(Decimal::ONE, Currency::GBP, d, &prices, Currency::USD).is_err());
        assert_eq!(money(12.3456), Decimal::new(1235, 2));
    }
}
