//! Transactions: the typed [`Transaction`] and its flat file form [`TransactionRecord`].

use std::fmt;
use std::str::FromStr;

use chrono::NaiveDate;
use rust_decimal::Decimal;

use crate::money::{check_scale, parse_decimal};
use crate::{
    Currency, Error, MAX_SPLIT_RATIO, MIN_SPLIT_RATIO, Price, Quantity, Result, Symbol, parse_date,
};

/// The seven kinds of transaction, as written in files (lower case).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TransactionType {
    /// Shares bought.
    Buy,
    /// Shares sold.
    Sell,
    /// Cash dividend received.
    Dividend,
    /// Stock split (or reverse split).
    Split,
    /// Cash paid into the portfolio.
    Deposit,
    /// Cash taken out of the portfolio.
    Withdrawal,
    /// A standalone fee (account or custody fee).
    Fee,
}

impl TransactionType {
    /// Every type, in file order.
    pub const ALL: [Self; 7] = [
        Self::Buy,
        Self::Sell,
        Self::Dividend,
        Self::Split,
        Self::Deposit,
        Self::Withdrawal,
        Self::Fee,
    ];

    /// The name used in files.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Buy => "buy",
            Self::Sell => "sell",
            Self::Dividend => "dividend",
            Self::Split => "split",
            Self::Deposit => "deposit",
            Self::Withdrawal => "withdrawal",
            Self::Fee => "fee",
        }
    }
}

impl fmt::Display for TransactionType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for TransactionType {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        Self::ALL
            .into_iter()
            .find(|t| t.as_str() == s)
            .ok_or_else(|| {
                Error::field_error(
                    "type",
                    format!(
                        "{s:?} is not one of buy, sell, dividend, split, deposit, withdrawal, fee"
                    ),
                )
            })
    }
}

/// What a transaction does, with exactly the fields its kind needs.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum TransactionKind {
    /// Buy `quantity` shares at `price` each.
    Buy {
        /// The instrument.
        symbol: Symbol,
        /// Shares bought.
        quantity: Quantity,
        /// Price per share.
        price: Price,
    },
    /// Sell `quantity` shares at `price` each.
    Sell {
        /// The instrument.
        symbol: Symbol,
        /// Shares sold.
        quantity: Quantity,
        /// Price per share.
        price: Price,
    },
    /// A cash dividend of `amount` in total.
    Dividend {
        /// The instrument that paid.
        symbol: Symbol,
        /// Total cash received (before the transaction's fee).
        amount: Price,
    },
    /// A split giving `ratio` new shares per old share (4 for 4:1, 0.1 for 1:10).
    Split {
        /// The instrument.
        symbol: Symbol,
        /// New shares per old share.
        ratio: Quantity,
    },
    /// Cash paid in.
    Deposit {
        /// The amount.
        amount: Price,
    },
    /// Cash paid out.
    Withdrawal {
        /// The amount.
        amount: Price,
    },
    /// A standalone fee.
    Fee {
        /// The amount.
        amount: Price,
    },
}

/// One validated transaction.
///
/// Build it from a file row with [`Transaction::try_from`] on a
/// [`TransactionRecord`], or directly:
///
/// ```
/// use auravest_core::{Currency, Transaction, TransactionKind, Quantity, Price};
/// let t = Transaction::new(
///     "2024-01-02".parse().unwrap(),
///     TransactionKind::Buy {
///         symbol: "AAPL".parse()?,
///         quantity: Quantity::parse("quantity", "10")?,
///         price: Price::parse("price", "185.64")?,
///     },
///     Currency::USD,
/// );
/// assert_eq!(t.symbol().map(|s| s.as_str()), Some("AAPL"));
/// # Ok::<(), auravest_core::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Transaction {
    /// Trade or booking date.
    pub date: NaiveDate,
    /// What it does.
    pub kind: TransactionKind,
    /// Commission or charge paid on top, never negative.
    pub fee: Decimal,
    /// Currency of the price, amount and fee.
    pub currency: Currency,
}

impl Transaction {
    /// A transaction without a fee.
    pub fn new(date: NaiveDate, kind: TransactionKind, currency: Currency) -> Self {
        Self {
            date,
            kind,
            fee: Decimal::ZERO,
            currency,
        }
    }

    /// The same transaction with a fee.
    ///
    /// # Errors
    /// [`Error::InvalidField`] on `fee` when it is negative.
    pub fn with_fee(mut self, fee: Decimal) -> Result<Self> {
        check_fee(fee)?;
        self.fee = fee.normalize();
        Ok(self)
    }

    /// The kind's file name.
    pub fn transaction_type(&self) -> TransactionType {
        match self.kind {
            TransactionKind::Buy { .. } => TransactionType::Buy,
            TransactionKind::Sell { .. } => TransactionType::Sell,
            TransactionKind::Dividend { .. } => TransactionType::Dividend,
            TransactionKind::Split { .. } => TransactionType::Split,
            TransactionKind::Deposit { .. } => TransactionType::Deposit,
            TransactionKind::Withdrawal { .. } => TransactionType::Withdrawal,
            TransactionKind::Fee { .. } => TransactionType::Fee,
        }
    }

    /// The instrument, for buy, sell, dividend and split.
    pub fn symbol(&self) -> Option<&Symbol> {
        match &self.kind {
            TransactionKind::Buy { symbol, .. }
            | TransactionKind::Sell { symbol, .. }
            | TransactionKind::Dividend { symbol, .. }
            | TransactionKind::Split { symbol, .. } => Some(symbol),
            _ => None,
        }
    }

    /// The flat file form.
    pub fn to_record(&self) -> TransactionRecord {
        let (symbol, quantity, price) = match &self.kind {
            TransactionKind::Buy {
                symbol,
                quantity,
                price,
            }
            | TransactionKind::Sell {
                symbol,
                quantity,
                price,
            } => (Some(symbol), Some(quantity.get()), Some(price.get())),
            TransactionKind::Dividend { symbol, amount } => {
                (Some(symbol), None, Some(amount.get()))
            }
            TransactionKind::Split { symbol, ratio } => (Some(symbol), Some(ratio.get()), None),
            TransactionKind::Deposit { amount }
            | TransactionKind::Withdrawal { amount }
            | TransactionKind::Fee { amount } => (None, None, Some(amount.get())),
        };
        TransactionRecord {
            date: self.date.format("%Y-%m-%d").to_string(),
            kind: self.transaction_type().as_str().to_owned(),
            symbol: symbol.map(ToString::to_string),
            quantity: quantity.map(|q| q.to_string()),
            price: price.map(|p| p.to_string()),
            fee: Some(self.fee.to_string()),
            currency: self.currency.to_string(),
        }
    }
}

/// Checks that a fee is neither negative nor above [`crate::MAX_INPUT`], with
/// at most [`crate::MAX_SCALE`] decimal places.
pub(crate) fn check_fee(fee: Decimal) -> Result<()> {
    if fee < Decimal::ZERO {
        return Err(Error::field_error(
            "fee",
            format!("must not be negative, got {fee}"),
        ));
    }
    if fee > crate::MAX_INPUT {
        return Err(Error::field_error(
            "fee",
            format!("must be at most {}, got {fee}", crate::MAX_INPUT),
        ));
    }
    check_scale("fee", "fee", fee)
}

/// Checks that a split ratio lies in [`MIN_SPLIT_RATIO`] ..= [`MAX_SPLIT_RATIO`].
pub(crate) fn check_split_ratio(ratio: Decimal) -> Result<()> {
    if (MIN_SPLIT_RATIO..=MAX_SPLIT_RATIO).contains(&ratio) {
        Ok(())
    } else {
        Err(Error::field_error(
            "quantity",
            format!(
                "quantity (split ratio) must be between {MIN_SPLIT_RATIO} and {MAX_SPLIT_RATIO}, got {ratio}"
            ),
        ))
    }
}

/// Checks what a file row's parser checks, for a transaction built in code:
/// at most [`crate::MAX_SCALE`] decimal places in every number, and a split
/// ratio in range. (Positivity and [`crate::MAX_INPUT`] are guaranteed by
/// [`Quantity`] and [`Price`]; the fee by [`check_fee`].)
pub(crate) fn check_amounts(tx: &Transaction) -> Result<()> {
    match &tx.kind {
        TransactionKind::Buy {
            quantity, price, ..
        }
        | TransactionKind::Sell {
            quantity, price, ..
        } => {
            check_scale("quantity", "quantity", quantity.get())?;
            check_scale("price", "price", price.get())
        }
        TransactionKind::Split { ratio, .. } => {
            check_scale("quantity", "quantity (split ratio)", ratio.get())?;
            check_split_ratio(ratio.get())
        }
        TransactionKind::Dividend { amount, .. }
        | TransactionKind::Deposit { amount }
        | TransactionKind::Withdrawal { amount }
        | TransactionKind::Fee { amount } => check_scale("price", "price", amount.get()),
    }
}

/// A transaction as one row of the transactions CSV or one object of the JSON
/// array: `date,type,symbol,quantity,price,fee,currency`, every value as text.
///
/// | type | symbol | quantity | price |
/// |---|---|---|---|
/// | buy, sell | required | shares | price per share |
/// | dividend | required | empty | total cash received |
/// | split | required | new shares per old share | empty |
/// | deposit, withdrawal, fee | empty | empty | the amount |
///
/// `fee` defaults to 0. Numbers in JSON may be given as strings (preferred,
/// exact) or as JSON numbers. Every number has at most
/// [`MAX_SCALE`](crate::MAX_SCALE) decimal places; a split ratio lies in
/// [`MIN_SPLIT_RATIO`] ..= [`MAX_SPLIT_RATIO`]; the date is `YYYY-MM-DD` in
/// [`MIN_DATE`](crate::MIN_DATE) ..= [`MAX_DATE`](crate::MAX_DATE) (a month or
/// day of one digit is accepted and written back with two).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TransactionRecord {
    /// `YYYY-MM-DD`.
    pub date: String,
    /// One of buy, sell, dividend, split, deposit, withdrawal, fee.
    #[serde(rename = "type")]
    pub kind: String,
    /// Ticker, where the type needs one.
    #[serde(default, deserialize_with = "de_opt_text")]
    pub symbol: Option<String>,
    /// Shares or split ratio, where the type needs one.
    #[serde(default, deserialize_with = "de_opt_text")]
    pub quantity: Option<String>,
    /// Price per share or amount, where the type needs one.
    #[serde(default, deserialize_with = "de_opt_text")]
    pub price: Option<String>,
    /// Fee, 0 when absent.
    #[serde(default, deserialize_with = "de_opt_text")]
    pub fee: Option<String>,
    /// ISO 4217 code.
    pub currency: String,
}

/// Reads an optional text field that JSON may give as a string, a number or null.
fn de_opt_text<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    use serde::Deserialize as _;
    let v = Option::<serde_json::Value>::deserialize(d)?;
    match v {
        None | Some(serde_json::Value::Null) => Ok(None),
        Some(serde_json::Value::String(s)) => Ok(Some(s)),
        Some(serde_json::Value::Number(n)) => Ok(Some(n.to_string())),
        Some(other) => Err(serde::de::Error::custom(format!(
            "expected a string or number, got {other}"
        ))),
    }
}

fn present(v: Option<&String>) -> Option<&str> {
    v.map(|s| s.trim()).filter(|s| !s.is_empty())
}

impl TransactionRecord {
    /// The transaction, or [`Error::Import`] listing every problem of the
    /// record as row `line` of an import would (what a binding reports for
    /// one record handed to it).
    ///
    /// # Errors
    /// [`Error::Import`] with one [`crate::RowError`] per problem, each on `line`.
    pub fn check(&self, line: usize) -> Result<Transaction> {
        self.validate().map_err(|problems| Error::Import {
            errors: problems
                .iter()
                .map(|e| crate::portfolio::row_error(line, e))
                .collect(),
        })
    }

    /// Validates the row, returning every field problem found.
    ///
    /// # Errors
    /// One [`Error`] per invalid field, each naming its field.
    pub fn validate(&self) -> std::result::Result<Transaction, Vec<Error>> {
        let mut errors = Vec::new();
        let date = parse_date("date", &self.date)
            .map_err(|e| errors.push(e))
            .ok();
        let kind = self
            .kind
            .trim()
            .parse::<TransactionType>()
            .map_err(|e| errors.push(e))
            .ok();
        let currency = match self.currency.trim() {
            "" => {
                errors.push(Error::field_error("currency", "must not be empty"));
                None
            }
            c => Currency::new(c)
                .map_err(|e| {
                    errors.push(Error::field_error("currency", e.to_string()));
                })
                .ok(),
        };
        let fee = match present(self.fee.as_ref()) {
            None => Some(Decimal::ZERO),
            Some(f) => match parse_decimal("fee", f) {
                Ok(v) if v > crate::MAX_INPUT => {
                    errors.push(Error::field_error(
                        "fee",
                        format!("must be at most {}, got {v}", crate::MAX_INPUT),
                    ));
                    None
                }
                Ok(v) if v < Decimal::ZERO => {
                    errors.push(Error::field_error(
                        "fee",
                        format!("must not be negative, got {v}"),
                    ));
                    None
                }
                Ok(v) => match check_scale("fee", "fee", v) {
                    Ok(()) => Some(v),
                    Err(e) => {
                        errors.push(e);
                        None
                    }
                },
                Err(e) => {
                    errors.push(e);
                    None
                }
            },
        };
        let kind = kind.and_then(|k| self.kind_fields(k, &mut errors));
        match (date, kind, fee, currency) {
            (Some(date), Some(kind), Some(fee), Some(currency)) if errors.is_empty() => {
                Ok(Transaction {
                    date,
                    kind,
                    fee: fee.normalize(),
                    currency,
                })
            }
            _ => Err(errors),
        }
    }

    fn kind_fields(&self, t: TransactionType, errors: &mut Vec<Error>) -> Option<TransactionKind> {
        let name = t.as_str();
        let needs_symbol = matches!(
            t,
            TransactionType::Buy
                | TransactionType::Sell
                | TransactionType::Dividend
                | TransactionType::Split
        );
        let symbol = match (present(self.symbol.as_ref()), needs_symbol) {
            (Some(s), true) => Symbol::new(s)
                .map_err(|e| errors.push(Error::field_error("symbol", e.to_string())))
                .ok(),
            (None, true) => {
                errors.push(Error::field_error(
                    "symbol",
                    format!("required for a {name}"),
                ));
                None
            }
            (Some(_), false) => {
                errors.push(Error::field_error(
                    "symbol",
                    format!("must be empty for a {name}"),
                ));
                None
            }
            (None, false) => None,
        };
        let quantity_field = if t == TransactionType::Split {
            "quantity (split ratio)"
        } else {
            "quantity"
        };
        let quantity = match (
            present(self.quantity.as_ref()),
            matches!(
                t,
                TransactionType::Buy | TransactionType::Sell | TransactionType::Split
            ),
        ) {
            (Some(q), true) => Quantity::parse("quantity", q)
                .and_then(|q| {
                    if t == TransactionType::Split {
                        check_split_ratio(q.get())?;
                    }
                    Ok(q)
                })
                .map_err(|e| {
                    let reason = e.reason();
                    let reason = if reason.starts_with("quantity (split ratio)") {
                        reason
                    } else {
                        reason.replacen("quantity", quantity_field, 1)
                    };
                    errors.push(Error::field_error("quantity", reason));
                })
                .ok(),
            (None, true) => {
                errors.push(Error::field_error(
                    "quantity",
                    format!("required for a {name}"),
                ));
                None
            }
            (Some(_), false) => {
                errors.push(Error::field_error(
                    "quantity",
                    format!("must be empty for a {name}"),
                ));
                None
            }
            (None, false) => None,
        };
        let price = match (present(self.price.as_ref()), t != TransactionType::Split) {
            (Some(p), true) => Price::parse("price", p).map_err(|e| errors.push(e)).ok(),
            (None, true) => {
                errors.push(Error::field_error(
                    "price",
                    format!("required for a {name}"),
                ));
                None
            }
            (Some(_), false) => {
                errors.push(Error::field_error("price", "must be empty for a split"));
                None
            }
            (None, false) => None,
        };
        Some(match t {
            TransactionType::Buy => TransactionKind::Buy {
                symbol: symbol?,
                quantity: quantity?,
                price: price?,
            },
            TransactionType::Sell => TransactionKind::Sell {
                symbol: symbol?,
                quantity: quantity?,
                price: price?,
            },
            TransactionType::Dividend => TransactionKind::Dividend {
                symbol: symbol?,
                amount: price?,
            },
            TransactionType::Split => TransactionKind::Split {
                symbol: symbol?,
                ratio: quantity?,
            },
            TransactionType::Deposit => TransactionKind::Deposit { amount: price? },
            TransactionType::Withdrawal => TransactionKind::Withdrawal { amount: price? },
            TransactionType::Fee => TransactionKind::Fee { amount: price? },
        })
    }
}

impl TryFrom<&TransactionRecord> for Transaction {
    type Error = Vec<Error>;
    fn try_from(r: &TransactionRecord) -> std::result::Result<Self, Vec<Error>> {
        r.validate()
    }
}

impl From<&Transaction> for TransactionRecord {
    fn from(t: &Transaction) -> Self {
        t.to_record()
    }
}

impl serde::Serialize for Transaction {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.to_record().serialize(s)
    }
}

impl<'de> serde::Deserialize<'de> for Transaction {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let record = TransactionRecord::deserialize(d)?;
        record.validate().map_err(|errs| {
            serde::de::Error::custom(
                errs.iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("; "),
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(date: &str, kind: &str, symbol: &str, q: &str, p: &str, ccy: &str) -> TransactionRecord {
        let opt = |s: &str| (!s.is_empty()).then(|| s.to_owned());
        TransactionRecord {
            date: date.into(),
            kind: kind.into(),
            symbol: opt(symbol),
            quantity: opt(q),
            price: opt(p),
            fee: None,
            currency: ccy.into(),
        }
    }

    fn fields(r: &TransactionRecord) -> Vec<&'static str> {
        r.validate()
            .unwrap_err()
            .iter()
            .map(|e| e.field().unwrap())
            .collect()
    }

    #[test]
    fn valid_rows_of_every_type() {
        for r in [
            rec("2024-01-02", "buy", "AAPL", "10", "185.5", "USD"),
            rec("2024-01-02", "sell", "AAPL", "0.5", "185.5", "USD"),
            rec("2024-01-02", "dividend", "AAPL", "", "2.40", "USD"),
            rec("2024-01-02", "split", "AAPL", "4", "", "USD"),
            rec("2024-01-02", "deposit", "", "", "1000", "USD"),
            rec("2024-01-02", "withdrawal", "", "", "10", "usd"),
            rec("2024-01-02", "fee", "", "", "1.5", "EUR"),
        ] {
            let t = r.validate().unwrap_or_else(|e| panic!("{r:?}: {e:?}"));
            let back = t.to_record();
            assert_eq!(back.validate().unwrap(), t);
        }
    }

    #[test]
    fn check_reports_every_problem_on_its_line() {
        let good = rec("2024-01-02", "buy", "AAPL", "10", "185.5", "USD");
        assert_eq!(good.check(7).unwrap(), good.validate().unwrap());
        let bad = rec("2024-02-30", "buy", "AAPL", "-1", "1", "USD");
        let Err(Error::Import { errors }) = bad.check(7) else {
            panic!("expected an import error");
        };
        let got: Vec<_> = errors.iter().map(|e| (e.line, e.field.as_str())).collect();
        assert_eq!(got, [(7, "date"), (7, "quantity")]);
    }

    #[test]
    fn every_bad_field_is_named() {
        assert_eq!(
            fields(&rec("2024-02-30", "buy", "AAPL", "1", "1", "USD")),
            ["date"]
        );
        assert_eq!(
            fields(&rec("02/01/2024", "buy", "AAPL", "1", "1", "USD")),
            ["date"]
        );
        assert_eq!(
            fields(&rec("2024-01-02", "Buy", "AAPL", "1", "1", "USD")),
            ["type"]
        );
        assert_eq!(
            fields(&rec("2024-01-02", "buy", "", "1", "1", "USD")),
            ["symbol"]
        );
        assert_eq!(
            fields(&rec("2024-01-02", "buy", "AA PL", "1", "1", "USD")),
            ["symbol"]
        );
        assert_eq!(
            fields(&rec("2024-01-02", "buy", "AAPL", "0", "1", "USD")),
            ["quantity"]
        );
        assert_eq!(
            fields(&rec("2024-01-02", "buy", "AAPL", "1", "-2", "USD")),
            ["price"]
        );
        assert_eq!(
            fields(&rec("2024-01-02", "buy", "AAPL", "1", "0", "USD")),
            ["price"]
        );
        assert_eq!(
            fields(&rec("2024-01-02", "buy", "AAPL", "1", "1", "XXQ")),
            ["currency"]
        );
        assert_eq!(
            fields(&rec("2024-01-02", "split", "AAPL", "0", "", "USD")),
            ["quantity"]
        );
        assert_eq!(
            fields(&rec("2024-01-02", "split", "AAPL", "2", "5", "USD")),
            ["price"]
        );
        assert_eq!(
            fields(&rec("2024-01-02", "deposit", "AAPL", "", "5", "USD")),
            ["symbol"]
        );
        assert_eq!(
            fields(&rec("2024-01-02", "dividend", "AAPL", "3", "5", "USD")),
            ["quantity"]
        );
        assert_eq!(
            fields(&rec("bad", "buy", "", "x", "", "")),
            ["date", "currency", "symbol", "quantity", "price"]
        );
        let mut r = rec("2024-01-02", "buy", "AAPL", "1", "1", "USD");
        r.fee = Some("-1".into());
        assert_eq!(fields(&r), ["fee"]);
    }

    #[test]
    fn split_ratio_of_zero_is_reported_as_such() {
        let errs = rec("2024-01-02", "split", "AAPL", "0", "", "USD")
            .validate()
            .unwrap_err();
        assert!(errs[0].to_string().contains("split ratio"), "{}", errs[0]);
    }

    #[test]
    fn dates_outside_the_supported_range_are_refused() {
        for date in [
            "-262143-01-01",
            "+262142-12-31",
            "1899-12-31",
            "2201-01-01",
            "0000-01-01",
        ] {
            let errs = rec(date, "deposit", "", "", "5", "USD")
                .validate()
                .unwrap_err();
            let named: Vec<_> = errs.iter().map(|e| e.field()).collect();
            assert_eq!(named, [Some("date")], "{date}: {errs:?}");
        }
        let huge = "9".repeat(100_000);
        let errs = rec(&huge, "deposit", "", "", "5", "USD")
            .validate()
            .unwrap_err();
        assert!(errs[0].to_string().len() < 200);
    }

    #[test]
    fn dates_come_back_normalised() {
        let t = rec("2017-1-5", "deposit", "", "", "5", "USD")
            .validate()
            .unwrap();
        assert_eq!(t.date.to_string(), "2017-01-05");
        assert_eq!(TransactionRecord::from(&t).date, "2017-01-05");
        let t = rec(" 2017-01-05 ", "deposit", "", "", "5", "USD")
            .validate()
            .unwrap();
        assert_eq!(TransactionRecord::from(&t).date, "2017-01-05");
    }

    #[test]
    fn split_ratios_and_decimal_places_are_bounded() {
        for ok in ["0.001", "1000", "4", "0.1"] {
            assert!(
                rec("2024-01-02", "split", "AAPL", ok, "", "USD")
                    .validate()
                    .is_ok(),
                "{ok}"
            );
        }
        for bad in ["0.0009", "1001", "1e-28", "100000000000"] {
            let errs = rec("2024-01-02", "split", "AAPL", bad, "", "USD")
                .validate()
                .unwrap_err();
            assert_eq!(errs.len(), 1, "{bad}: {errs:?}");
            assert_eq!(errs[0].field(), Some("quantity"), "{bad}");
            assert!(errs[0].to_string().contains("split ratio"), "{}", errs[0]);
        }
        assert_eq!(
            fields(&rec("2024-01-02", "buy", "AAPL", "1e-28", "1", "USD")),
            ["quantity"]
        );
        assert_eq!(
            fields(&rec(
                "2024-01-02",
                "buy",
                "AAPL",
                "1",
                "0.00000000001",
                "USD"
            )),
            ["price"]
        );
        let mut r = rec("2024-01-02", "buy", "AAPL", "1", "1", "USD");
        r.fee = Some("0.00000000001".into());
        assert_eq!(fields(&r), ["fee"]);
        r.fee = Some("0.0000000001".into());
        assert!(r.validate().is_ok());
    }

    #[test]
    fn json_accepts_strings_and_numbers() {
        let t: Transaction = serde_json::from_str(
            r#"{"date":"2024-01-02","type":"buy","symbol":"AAPL","quantity":10,"price":"185.64","fee":null,"currency":"USD"}"#,
        )
        .unwrap();
        assert_eq!(t.fee, Decimal::ZERO);
        let json = serde_json::to_value(&t).unwrap();
        assert_eq!(json["quantity"], "10");
        assert_eq!(json["price"], "185.64");
        assert!(serde_json::from_str::<Transaction>(
            r#"{"date":"2024-01-02","type":"sell","symbol":"AAPL","quantity":[1],"price":"1","currency":"USD"}"#
        )
        .is_err());
    }
}
