//! The values sources return: quotes, validated history, events, fundamentals, search hits.

use std::fmt;
use std::str::FromStr;

use auravest_core::{Currency, Instrument, NaiveDate, Symbol};
use chrono::{DateTime, Utc};

use crate::error::{Attempt, Error};
use crate::validate::{DroppedRow, FlaggedRow};

/// A delayed last price.
#[derive(Debug, Clone, PartialEq)]
pub struct Quote {
    /// The symbol as asked (our format, not the source's).
    pub symbol: Symbol,
    /// Last price, in major units of `currency` (pence are turned into pounds);
    /// finite and positive from every source in this crate and the chain.
    pub price: f64,
    /// Trading currency, when the source says.
    pub currency: Option<Currency>,
    /// Market time of the price. Sources that give only a trading date
    /// (Stooq, Alpha Vantage, files) report that date at 00:00 UTC.
    pub market_time: DateTime<Utc>,
    /// When we fetched it from the source.
    pub fetched_at: DateTime<Utc>,
    /// Which source answered.
    pub source: String,
    /// True when the source's data is not real time (every free source is delayed).
    pub delayed: bool,
    /// True when the price is older than the market's staleness window, or was
    /// served from an expired cache entry because every source failed.
    pub stale: bool,
    /// Sources tried before this one answered, with what they said.
    pub attempts: Vec<Attempt>,
}

/// Bar size of a history request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub enum Interval {
    /// One bar per trading day.
    #[default]
    Daily,
    /// One bar per week.
    Weekly,
    /// One bar per month.
    Monthly,
}

impl Interval {
    /// The conventional short form: `1d`, `1wk`, `1mo`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Daily => "1d",
            Self::Weekly => "1wk",
            Self::Monthly => "1mo",
        }
    }
}

impl fmt::Display for Interval {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Interval {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        match s.trim().to_ascii_lowercase().as_str() {
            "1d" | "d" | "daily" => Ok(Self::Daily),
            "1wk" | "1w" | "w" | "weekly" => Ok(Self::Weekly),
            "1mo" | "1m" | "m" | "monthly" => Ok(Self::Monthly),
            _ => Err(Error::InvalidRequest {
                field: "interval",
                reason: "must be one of 1d, 1wk, 1mo".to_owned(),
            }),
        }
    }
}

/// A request for history: both dates inclusive.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct HistoryRequest {
    /// The symbol.
    pub symbol: Symbol,
    /// First date (inclusive).
    pub from: NaiveDate,
    /// Last date (inclusive).
    pub to: NaiveDate,
    /// Bar size.
    pub interval: Interval,
}

impl HistoryRequest {
    /// A daily request.
    ///
    /// # Errors
    /// As [`HistoryRequest::new`].
    pub fn daily(symbol: Symbol, from: NaiveDate, to: NaiveDate) -> Result<Self, Error> {
        Self::new(symbol, from, to, Interval::Daily)
    }

    /// A request with any interval.
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] when `from` is after `to`, or either lies
    /// outside core's supported dates
    /// ([`MIN_DATE`](auravest_core::MIN_DATE) ..= [`MAX_DATE`](auravest_core::MAX_DATE)).
    pub fn new(
        symbol: Symbol,
        from: NaiveDate,
        to: NaiveDate,
        interval: Interval,
    ) -> Result<Self, Error> {
        for (field, date) in [("from", from), ("to", to)] {
            auravest_core::check_date(field, date).map_err(|e| Error::InvalidRequest {
                field,
                reason: e.reason(),
            })?;
        }
        if from > to {
            return Err(Error::InvalidRequest {
                field: "from",
                reason: format!("{from} is after {to}"),
            });
        }
        Ok(Self {
            symbol,
            from,
            to,
            interval,
        })
    }
}

/// One validated bar. `close` is always present and positive; the other
/// prices are present when the source gives them, and then positive too.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bar {
    /// Trading date (exchange local).
    pub date: NaiveDate,
    /// Open.
    pub open: Option<f64>,
    /// High.
    pub high: Option<f64>,
    /// Low.
    pub low: Option<f64>,
    /// Close, unadjusted.
    pub close: f64,
    /// Close adjusted for splits and dividends, when the source gives it.
    pub adj_close: Option<f64>,
    /// Shares traded, when the source gives it.
    pub volume: Option<u64>,
}

/// A row as a source returned it, before validation: any field may be missing.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct RawBar {
    /// Trading date.
    pub date: Option<NaiveDate>,
    /// Open.
    pub open: Option<f64>,
    /// High.
    pub high: Option<f64>,
    /// Low.
    pub low: Option<f64>,
    /// Close.
    pub close: Option<f64>,
    /// Adjusted close.
    pub adj_close: Option<f64>,
    /// Volume.
    pub volume: Option<f64>,
}

/// A stock split: `numerator` new shares for every `denominator` old ones.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Split {
    /// Ex-date.
    pub date: NaiveDate,
    /// New shares.
    pub numerator: f64,
    /// Old shares.
    pub denominator: f64,
}

impl Split {
    /// New shares per old share (4 for a 4:1 split).
    pub fn ratio(&self) -> f64 {
        self.numerator / self.denominator
    }
}

/// A cash dividend per share, in major units of the history's currency.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Dividend {
    /// Ex-date.
    pub date: NaiveDate,
    /// Amount per share.
    pub amount: f64,
}

/// Price history of one symbol from one source, validated.
#[derive(Debug, Clone, PartialEq)]
pub struct History {
    /// The symbol as asked.
    pub symbol: Symbol,
    /// Which source answered.
    pub source: String,
    /// Trading currency, when the source says.
    pub currency: Option<Currency>,
    /// Rows that passed validation, dates strictly increasing.
    pub bars: Vec<Bar>,
    /// Rows dropped by validation, with the reason.
    pub dropped: Vec<DroppedRow>,
    /// Rows kept but flagged (a sudden 100x move).
    pub flagged: Vec<FlaggedRow>,
    /// Splits in the range.
    pub splits: Vec<Split>,
    /// Dividends in the range.
    pub dividends: Vec<Dividend>,
    /// When we fetched it.
    pub fetched_at: DateTime<Utc>,
    /// True when the source's data is not real time.
    pub delayed: bool,
    /// True when served from an expired cache entry because every source failed.
    pub stale: bool,
    /// Sources tried before this one answered.
    pub attempts: Vec<Attempt>,
}

impl History {
    /// Validates `rows` (see [`validate_rows`](crate::validate_rows)) and builds
    /// a history; rows outside `from..=to` are left out silently, as the
    /// request did not ask for them.
    pub fn from_raw(
        request: &HistoryRequest,
        source: &str,
        currency: Option<Currency>,
        rows: Vec<RawBar>,
        fetched_at: DateTime<Utc>,
    ) -> Self {
        let rows = rows
            .into_iter()
            .filter(|r| {
                r.date
                    .is_none_or(|d| (request.from..=request.to).contains(&d))
            })
            .collect();
        let report = crate::validate::validate_rows(rows);
        Self {
            symbol: request.symbol.clone(),
            source: source.to_owned(),
            currency,
            bars: report.bars,
            dropped: report.dropped,
            flagged: report.flagged,
            splits: Vec::new(),
            dividends: Vec::new(),
            fetched_at,
            delayed: true,
            stale: false,
            attempts: Vec::new(),
        }
    }

    /// The closes (adjusted when `adjusted` and the source gives them).
    pub fn closes(&self, adjusted: bool) -> Vec<(NaiveDate, f64)> {
        self.bars
            .iter()
            .map(|b| {
                let p = if adjusted {
                    b.adj_close.unwrap_or(b.close)
                } else {
                    b.close
                };
                (b.date, p)
            })
            .collect()
    }

    /// True when some bar lacks an adjusted close.
    pub fn lacks_adjusted(&self) -> bool {
        self.bars.iter().any(|b| b.adj_close.is_none())
    }
}

/// Valuation and profile figures from a fundamentals endpoint.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Fundamentals {
    /// The symbol as asked.
    pub symbol: Option<Symbol>,
    /// Which source answered.
    pub source: String,
    /// Display name.
    pub name: Option<String>,
    /// The source's instrument type (`EQUITY`, `ETF`, `MUTUALFUND`, ...).
    pub quote_type: Option<String>,
    /// Trailing price/earnings.
    pub trailing_pe: Option<f64>,
    /// Forward price/earnings.
    pub forward_pe: Option<f64>,
    /// Trailing earnings per share, as the source reports it.
    pub eps: Option<f64>,
    /// Dividend yield as a fraction (0.0044 = 0.44%).
    pub dividend_yield: Option<f64>,
    /// Market capitalisation, as the source reports it.
    pub market_cap: Option<f64>,
    /// Sector.
    pub sector: Option<String>,
    /// Industry.
    pub industry: Option<String>,
    /// Country as the source writes it ("United States").
    pub country_name: Option<String>,
    /// Trading currency.
    pub currency: Option<Currency>,
}

impl Fundamentals {
    /// Core instrument metadata, when the asset class is known from the
    /// source's instrument type (equities, crypto, money-market funds). Funds
    /// and ETFs give `None`: their asset class is not knowable from the type,
    /// and nothing is guessed. The country becomes an ISO 3166 alpha-2 code
    /// when it is one we know, otherwise `None`.
    pub fn to_instrument(&self) -> Option<Instrument> {
        use auravest_core::AssetClass;
        let asset_class = match self.quote_type.as_deref()? {
            "EQUITY" => AssetClass::Equity,
            "CRYPTOCURRENCY" => AssetClass::Crypto,
            "MONEYMARKET" => AssetClass::Cash,
            _ => return None,
        };
        Some(Instrument {
            symbol: self.symbol.clone()?,
            name: self.name.clone(),
            asset_class,
            sector: self.sector.clone(),
            country: self
                .country_name
                .as_deref()
                .and_then(country_code)
                .map(str::to_owned),
            currency: self.currency?,
        })
    }
}

/// ISO 3166 alpha-2 code for a country name as data vendors write it.
pub fn country_code(name: &str) -> Option<&'static str> {
    const TABLE: &[(&str, &str)] = &[
        ("argentina", "AR"),
        ("australia", "AU"),
        ("austria", "AT"),
        ("belgium", "BE"),
        ("bermuda", "BM"),
        ("brazil", "BR"),
        ("canada", "CA"),
        ("cayman islands", "KY"),
        ("chile", "CL"),
        ("china", "CN"),
        ("denmark", "DK"),
        ("finland", "FI"),
        ("france", "FR"),
        ("germany", "DE"),
        ("greece", "GR"),
        ("hong kong", "HK"),
        ("india", "IN"),
        ("indonesia", "ID"),
        ("ireland", "IE"),
        ("israel", "IL"),
        ("italy", "IT"),
        ("japan", "JP"),
        ("jersey", "JE"),
        ("luxembourg", "LU"),
        ("mexico", "MX"),
        ("netherlands", "NL"),
        ("new zealand", "NZ"),
        ("norway", "NO"),
        ("poland", "PL"),
        ("portugal", "PT"),
        ("singapore", "SG"),
        ("south africa", "ZA"),
        ("south korea", "KR"),
        ("spain", "ES"),
        ("sweden", "SE"),
        ("switzerland", "CH"),
        ("taiwan", "TW"),
        ("united kingdom", "GB"),
        ("united states", "US"),
        ("uruguay", "UY"),
    ];
    let key = name.trim().to_ascii_lowercase();
    TABLE.iter().find(|(n, _)| *n == key).map(|(_, c)| *c)
}

/// One search result.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchHit {
    /// The source's symbol.
    pub symbol: String,
    /// Display name.
    pub name: Option<String>,
    /// Exchange.
    pub exchange: Option<String>,
    /// The source's instrument type.
    pub quote_type: Option<String>,
    /// Which source answered.
    pub source: String,
}

/// A currency code as a vendor writes it, turned into an ISO currency and the
/// factor that converts its prices to major units: `GBp` (pence) is GBP/100,
/// `ZAc` (cents) is ZAR/100, `ILA` (agorot) is ILS/100.
pub fn currency_and_factor(code: &str) -> Option<(Currency, f64)> {
    match code {
        "GBp" | "GBX" => Some((Currency::GBP, 0.01)),
        "ZAc" | "ZAC" => Currency::new("ZAR").ok().map(|c| (c, 0.01)),
        "ILA" => Currency::new("ILS").ok().map(|c| (c, 0.01)),
        other => Currency::new(other).ok().map(|c| (c, 1.0)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minor_units_become_major() {
        let (c, f) = currency_and_factor("GBp").unwrap();
        assert_eq!((c.as_str(), f.to_bits()), ("GBP", 0.01_f64.to_bits()));
        assert_eq!(currency_and_factor("ZAc").unwrap().0.as_str(), "ZAR");
        assert_eq!(currency_and_factor("ILA").unwrap().0.as_str(), "ILS");
        assert_eq!(
            currency_and_factor("USD").unwrap().1.to_bits(),
            1.0_f64.to_bits()
        );
        assert!(currency_and_factor("??").is_none());
    }

    #[test]
    fn intervals_parse() {
        assert_eq!("1d".parse::<Interval>().unwrap(), Interval::Daily);
        assert_eq!("1wk".parse::<Interval>().unwrap(), Interval::Weekly);
        assert!("5m".parse::<Interval>().is_err());
    }

    #[test]
    fn instrument_only_for_known_types() {
        let mut f = Fundamentals {
            symbol: Some(Symbol::new("AAPL").unwrap()),
            quote_type: Some("EQUITY".to_owned()),
            country_name: Some("United States".to_owned()),
            currency: Some(Currency::USD),
            sector: Some("Technology".to_owned()),
            ..Fundamentals::default()
        };
        let i = f.to_instrument().unwrap();
        assert_eq!(i.country.as_deref(), Some("US"));
        f.quote_type = Some("ETF".to_owned());
        assert!(f.to_instrument().is_none());
    }
}
