//! Exact amounts: [`Money`], and the positive [`Quantity`] and [`Price`] of a trade.

use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;

use crate::error::shown;
use crate::{Currency, Error, Result};

/// An exact amount in one currency. Arithmetic never mixes currencies.
///
/// ```
/// use auravest_core::{Currency, Money};
/// use rust_decimal::Decimal;
/// let a = Money::new(Decimal::new(1050, 2), Currency::USD);
/// let b = Money::new(Decimal::new(25, 2), Currency::USD);
/// assert_eq!(a.checked_add(b)?.amount(), Decimal::new(1075, 2));
/// let eur = Money::new(Decimal::ONE, Currency::EUR);
/// assert!(a.checked_add(eur).is_err());
/// # Ok::<(), auravest_core::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct Money {
    amount: Decimal,
    currency: Currency,
}

impl Money {
    /// An amount in `currency`.
    pub fn new(amount: Decimal, currency: Currency) -> Self {
        Self { amount, currency }
    }

    /// Zero in `currency`.
    pub fn zero(currency: Currency) -> Self {
        Self::new(Decimal::ZERO, currency)
    }

    /// The amount.
    pub fn amount(&self) -> Decimal {
        self.amount
    }

    /// The currency.
    pub fn currency(&self) -> Currency {
        self.currency
    }

    fn same_currency(&self, other: &Self) -> Result<()> {
        if self.currency == other.currency {
            Ok(())
        } else {
            Err(Error::CurrencyMismatch {
                symbol: None,
                expected: self.currency,
                found: other.currency,
            })
        }
    }

    /// `self + other`.
    ///
    /// # Errors
    /// [`Error::CurrencyMismatch`] when the currencies differ;
    /// [`Error::Overflow`] when the sum does not fit a decimal.
    pub fn checked_add(self, other: Self) -> Result<Self> {
        self.same_currency(&other)?;
        let sum = self
            .amount
            .checked_add(other.amount)
            .ok_or_else(|| Error::overflow(format!("a sum of {} amounts", self.currency)))?;
        Ok(Self::new(sum, self.currency))
    }

    /// `self - other`.
    ///
    /// # Errors
    /// [`Error::CurrencyMismatch`] when the currencies differ;
    /// [`Error::Overflow`] when the difference does not fit a decimal.
    pub fn checked_sub(self, other: Self) -> Result<Self> {
        self.same_currency(&other)?;
        let difference = self
            .amount
            .checked_sub(other.amount)
            .ok_or_else(|| Error::overflow(format!("a difference of {} amounts", self.currency)))?;
        Ok(Self::new(difference, self.currency))
    }

    /// The amount rounded to the currency's minor unit (banker's rounding).
    pub fn rounded(self) -> Self {
        Self::new(
            self.amount.round_dp(self.currency.minor_units()),
            self.currency,
        )
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.amount, self.currency)
    }
}

/// Parses a decimal written in plain notation (`12`, `-0.5`, `1019.969971`).
///
/// # Errors
/// [`Error::InvalidField`] naming `field` when `text` is not a finite decimal.
pub fn parse_decimal(field: &'static str, text: &str) -> Result<Decimal> {
    let t = text.trim();
    if t.is_empty() {
        return Err(Error::field_error(field, "must not be empty"));
    }
    let bad = || Error::field_error(field, format!("{:?} is not a decimal number", shown(t)));
    // No decimal needs more text than this; longer input is refused unread.
    if t.len() > 80 {
        return Err(bad());
    }
    Decimal::from_str_exact(t)
        .or_else(|_| Decimal::from_scientific(t))
        .map_err(|_| bad())
}

/// The largest quantity, price or amount a transaction may carry (10^11), so
/// that products and sums of them always fit an exact decimal.
pub const MAX_INPUT: Decimal = Decimal::from_parts(1_215_752_192, 23, 0, false, 0);

/// The most decimal places a quantity, price, amount, fee or split ratio
/// read from text may have (trailing zeros do not count: `1.50000000000000`
/// is 1.5). Ten places are finer than any broker books, and keep products of
/// inputs exact.
pub const MAX_SCALE: u32 = 10;

/// The most shares one position may hold after any buy or split (10^15), so
/// that quantities, and sums and products of them, always fit an exact decimal.
pub const MAX_POSITION_QUANTITY: Decimal = Decimal::from_parts(2_764_472_320, 232_830, 0, false, 0);

/// The smallest split ratio accepted: one new share per 1000 old (0.001).
pub const MIN_SPLIT_RATIO: Decimal = Decimal::from_parts(1, 0, 0, false, 3);

/// The largest split ratio accepted: 1000 new shares per old share.
pub const MAX_SPLIT_RATIO: Decimal = Decimal::from_parts(1000, 0, 0, false, 0);

/// Checks that `value` has at most [`MAX_SCALE`] decimal places.
pub(crate) fn check_scale(field: &'static str, what: &str, value: Decimal) -> Result<()> {
    if value.normalize().scale() > MAX_SCALE {
        Err(Error::field_error(
            field,
            format!("{what} may have at most {MAX_SCALE} decimal places, got {value}"),
        ))
    } else {
        Ok(())
    }
}

/// `a * b`, or [`Error::Overflow`] naming `what`.
///
/// # Errors
/// [`Error::Overflow`] when the product does not fit a decimal.
pub fn checked_mul(a: Decimal, b: Decimal, what: impl FnOnce() -> String) -> Result<Decimal> {
    a.checked_mul(b)
        .ok_or_else(|| Error::Overflow { what: what() })
}

macro_rules! positive_decimal {
    ($(#[$doc:meta])* $name:ident, $what:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
        #[serde(transparent)]
        pub struct $name(Decimal);

        impl $name {
            /// Checks that `value` is strictly positive and at most [`MAX_INPUT`].
            ///
            /// # Errors
            /// [`Error::InvalidField`] naming `field` when `value` is zero, negative
            /// or larger than [`MAX_INPUT`].
            pub fn new(field: &'static str, value: Decimal) -> Result<Self> {
                if value > MAX_INPUT {
                    Err(Error::field_error(
                        field,
                        format!("{} must be at most {MAX_INPUT}, got {value}", $what),
                    ))
                } else if value > Decimal::ZERO {
                    Ok(Self(value.normalize()))
                } else {
                    Err(Error::field_error(
                        field,
                        format!("{} must be greater than zero, got {value}", $what),
                    ))
                }
            }

            /// Parses and checks a decimal for `field`: as [`Self::new`], and
            /// with at most [`MAX_SCALE`] decimal places.
            ///
            /// # Errors
            /// [`Error::InvalidField`] when `text` is not a decimal, not
            /// positive, too large or too precise.
            pub fn parse(field: &'static str, text: &str) -> Result<Self> {
                let value = parse_decimal(field, text)?;
                let checked = Self::new(field, value)?;
                check_scale(field, $what, value)?;
                Ok(checked)
            }

            /// The value.
            pub fn get(self) -> Decimal {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0, f)
            }
        }

        impl FromStr for $name {
            type Err = Error;
            fn from_str(s: &str) -> Result<Self> {
                Self::parse(stringify!($what), s)
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let v = <Decimal as serde::Deserialize>::deserialize(d)?;
                check_scale($what, $what, v).map_err(serde::de::Error::custom)?;
                Self::new($what, v).map_err(serde::de::Error::custom)
            }
        }
    };
}

positive_decimal!(
    /// A strictly positive number of shares (fractional shares allowed), or a split ratio.
    Quantity,
    "quantity"
);
positive_decimal!(
    /// A strictly positive price per share or cash amount.
    Price,
    "price"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_refuses_mixed_currencies() {
        let usd = Money::new(Decimal::ONE, Currency::USD);
        let eur = Money::new(Decimal::ONE, Currency::EUR);
        assert!(matches!(
            usd.checked_add(eur),
            Err(Error::CurrencyMismatch { .. })
        ));
        assert!(matches!(
            usd.checked_sub(eur),
            Err(Error::CurrencyMismatch { .. })
        ));
        assert_eq!(usd.checked_sub(usd).unwrap(), Money::zero(Currency::USD));
    }

    #[test]
    fn money_rounds_to_minor_units() {
        let jpy = Money::new(Decimal::new(12345, 1), Currency::new("JPY").unwrap());
        assert_eq!(jpy.rounded().amount(), Decimal::new(1234, 0));
        let usd = Money::new(Decimal::new(10005, 3), Currency::USD);
        assert_eq!(usd.rounded().amount(), Decimal::new(1000, 2));
    }

    #[test]
    fn max_input_is_ten_to_the_eleventh() {
        assert_eq!(MAX_INPUT, Decimal::new(100_000_000_000, 0));
        assert!(Quantity::new("quantity", MAX_INPUT).is_ok());
        let err = Price::new("price", MAX_INPUT + Decimal::ONE).unwrap_err();
        assert_eq!(err.field(), Some("price"));
        assert!(checked_mul(Decimal::MAX, Decimal::TWO, || "x".to_owned()).is_err());
    }

    #[test]
    fn sums_that_do_not_fit_are_errors() {
        let max = Money::new(Decimal::MAX, Currency::USD);
        let one = Money::new(Decimal::ONE, Currency::USD);
        assert!(matches!(max.checked_add(one), Err(Error::Overflow { .. })));
        let min = Money::new(Decimal::MIN, Currency::USD);
        assert!(matches!(min.checked_sub(one), Err(Error::Overflow { .. })));
    }

    #[test]
    fn text_inputs_have_at_most_ten_decimal_places() {
        assert_eq!(
            MAX_POSITION_QUANTITY,
            Decimal::new(1_000_000_000_000_000, 0)
        );
        assert_eq!(MIN_SPLIT_RATIO, Decimal::new(1, 3));
        assert_eq!(MAX_SPLIT_RATIO, Decimal::new(1000, 0));
        assert!(Quantity::parse("quantity", "0.0000000001").is_ok());
        assert!(Price::parse("price", "1.50000000000000").is_ok());
        for bad in ["0.00000000001", "1e-28", "0.0000000000000000000000000001"] {
            let err = Quantity::parse("quantity", bad).unwrap_err();
            assert_eq!(err.field(), Some("quantity"), "{bad}");
            assert!(err.to_string().contains("decimal places"), "{err}");
        }
        assert!(serde_json::from_str::<Price>("\"1e-28\"").is_err());
    }

    #[test]
    fn positive_values() {
        assert_eq!(
            Quantity::parse("quantity", "0.5").unwrap().get(),
            Decimal::new(5, 1)
        );
        assert_eq!(
            Price::parse("price", "1e2").unwrap().get(),
            Decimal::new(100, 0)
        );
        for bad in ["0", "-1", "abc", "", "NaN", "inf"] {
            let err = Price::parse("price", bad).unwrap_err();
            assert_eq!(err.field(), Some("price"), "{bad}");
        }
    }
}
