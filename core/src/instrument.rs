//! Instrument metadata: asset class, sector and country of a symbol.
//!
//! Metadata comes from a mapping file (`symbol,name,asset_class,sector,country,currency`)
//! and, for symbols the file does not list, from a small shipped table of
//! common ETFs. Symbols found in neither are *unclassified*: nothing is guessed.

use std::collections::BTreeMap;
use std::io::Read;

use crate::{Currency, Error, Result, RowError, Symbol};

/// Broad asset classes.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum AssetClass {
    /// Shares and equity funds.
    Equity,
    /// Bonds and bond funds.
    Bond,
    /// Cash and money-market funds.
    Cash,
    /// Commodities such as gold.
    Commodity,
    /// Crypto-assets.
    Crypto,
    /// Multi-asset funds.
    Fund,
}

impl std::str::FromStr for AssetClass {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        Ok(match s.trim().to_ascii_lowercase().as_str() {
            "equity" => Self::Equity,
            "bond" => Self::Bond,
            "cash" => Self::Cash,
            "commodity" => Self::Commodity,
            "crypto" => Self::Crypto,
            "fund" => Self::Fund,
            other => {
                return Err(Error::field_error(
                    "asset_class",
                    format!("{other:?} is not one of equity, bond, cash, commodity, crypto, fund"),
                ));
            }
        })
    }
}

/// What is known about one symbol.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Instrument {
    /// The symbol.
    pub symbol: Symbol,
    /// Display name.
    pub name: Option<String>,
    /// Broad asset class.
    pub asset_class: AssetClass,
    /// Sector (GICS-style), when known.
    pub sector: Option<String>,
    /// Country of listing or domicile (ISO 3166 alpha-2), when known.
    pub country: Option<String>,
    /// Trading currency.
    pub currency: Currency,
}

/// Classification of a symbol: known, or explicitly unclassified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Classification<'a> {
    /// Found in the mapping file or the shipped table.
    Known(&'a Instrument),
    /// Not found anywhere; callers must not guess.
    Unclassified,
}

/// Common ETFs shipped with the SDK: symbol, name, asset class, country.
const SHIPPED_ETFS: &[(&str, &str, AssetClass, &str)] = &[
    (
        "AGG",
        "iShares Core U.S. Aggregate Bond ETF",
        AssetClass::Bond,
        "US",
    ),
    (
        "BIL",
        "SPDR Bloomberg 1-3 Month T-Bill ETF",
        AssetClass::Cash,
        "US",
    ),
    (
        "BND",
        "Vanguard Total Bond Market ETF",
        AssetClass::Bond,
        "US",
    ),
    (
        "BNDX",
        "Vanguard Total International Bond ETF",
        AssetClass::Bond,
        "US",
    ),
    (
        "DIA",
        "SPDR Dow Jones Industrial Average ETF",
        AssetClass::Equity,
        "US",
    ),
    (
        "EEM",
        "iShares MSCI Emerging Markets ETF",
        AssetClass::Equity,
        "US",
    ),
    ("EFA", "iShares MSCI EAFE ETF", AssetClass::Equity, "US"),
    ("GLD", "SPDR Gold Shares", AssetClass::Commodity, "US"),
    (
        "HYG",
        "iShares iBoxx High Yield Corporate Bond ETF",
        AssetClass::Bond,
        "US",
    ),
    ("IAU", "iShares Gold Trust", AssetClass::Commodity, "US"),
    (
        "IEF",
        "iShares 7-10 Year Treasury Bond ETF",
        AssetClass::Bond,
        "US",
    ),
    ("IVV", "iShares Core S&P 500 ETF", AssetClass::Equity, "US"),
    ("IWM", "iShares Russell 2000 ETF", AssetClass::Equity, "US"),
    (
        "LQD",
        "iShares iBoxx Investment Grade Corporate Bond ETF",
        AssetClass::Bond,
        "US",
    ),
    ("QQQ", "Invesco QQQ Trust", AssetClass::Equity, "US"),
    (
        "SGOV",
        "iShares 0-3 Month Treasury Bond ETF",
        AssetClass::Cash,
        "US",
    ),
    (
        "SHY",
        "iShares 1-3 Year Treasury Bond ETF",
        AssetClass::Bond,
        "US",
    ),
    ("SPY", "SPDR S&P 500 ETF Trust", AssetClass::Equity, "US"),
    ("TIP", "iShares TIPS Bond ETF", AssetClass::Bond, "US"),
    (
        "TLT",
        "iShares 20+ Year Treasury Bond ETF",
        AssetClass::Bond,
        "US",
    ),
    (
        "VEA",
        "Vanguard FTSE Developed Markets ETF",
        AssetClass::Equity,
        "US",
    ),
    ("VNQ", "Vanguard Real Estate ETF", AssetClass::Equity, "US"),
    ("VOO", "Vanguard S&P 500 ETF", AssetClass::Equity, "US"),
    (
        "VT",
        "Vanguard Total World Stock ETF",
        AssetClass::Equity,
        "US",
    ),
    (
        "VTI",
        "Vanguard Total Stock Market ETF",
        AssetClass::Equity,
        "US",
    ),
    (
        "VWO",
        "Vanguard FTSE Emerging Markets ETF",
        AssetClass::Equity,
        "US",
    ),
    (
        "VXUS",
        "Vanguard Total International Stock ETF",
        AssetClass::Equity,
        "US",
    ),
];

/// A lookup table of instruments: a mapping file over the shipped ETF table.
#[derive(Debug, Clone, Default)]
pub struct InstrumentTable {
    entries: BTreeMap<Symbol, Instrument>,
}

impl InstrumentTable {
    /// The shipped table of common ETFs.
    pub fn shipped() -> Self {
        let entries = SHIPPED_ETFS
            .iter()
            .filter_map(|(s, name, class, country)| {
                let symbol = Symbol::new(s).ok()?;
                Some((
                    symbol.clone(),
                    Instrument {
                        symbol,
                        name: Some((*name).to_owned()),
                        asset_class: *class,
                        sector: None,
                        country: Some((*country).to_owned()),
                        currency: Currency::USD,
                    },
                ))
            })
            .collect();
        Self { entries }
    }

    /// The shipped table overlaid with a mapping CSV
    /// (`symbol,name,asset_class,sector,country,currency`; `name`, `sector`
    /// and `country` may be empty; `currency` defaults to USD).
    ///
    /// # Errors
    /// [`Error::Import`] listing every bad row with its line, or
    /// [`Error::Format`] when the header lacks `symbol` or `asset_class`.
    pub fn with_mapping_csv<R: Read>(mut self, reader: R) -> Result<Self> {
        let mut rdr = csv::ReaderBuilder::new()
            .trim(csv::Trim::All)
            .flexible(true)
            .from_reader(reader);
        let fmt = |e: csv::Error| Error::Format {
            format: "csv",
            reason: e.to_string(),
        };
        let headers = rdr.headers().map_err(fmt)?.clone();
        let col = |n: &str| headers.iter().position(|h| h.eq_ignore_ascii_case(n));
        let (Some(sym_i), Some(class_i)) = (col("symbol"), col("asset_class")) else {
            return Err(Error::Format {
                format: "csv",
                reason: "line 1: instruments header needs symbol and asset_class columns"
                    .to_owned(),
            });
        };
        let (name_i, sector_i, country_i, ccy_i) =
            (col("name"), col("sector"), col("country"), col("currency"));
        let mut errors = Vec::new();
        for rec in rdr.records() {
            let rec = rec.map_err(fmt)?;
            let line = rec.position().map_or(0, |p| p.line() as usize);
            let get = |i: Option<usize>| i.and_then(|i| rec.get(i)).filter(|s| !s.is_empty());
            let push = |errors: &mut Vec<RowError>, field: &str, e: &Error| {
                errors.push(RowError {
                    line,
                    field: field.to_owned(),
                    reason: e.to_string(),
                });
            };
            let symbol = Symbol::new(get(Some(sym_i)).unwrap_or(""));
            let class = get(Some(class_i)).unwrap_or("").parse::<AssetClass>();
            let currency = get(ccy_i).map_or(Ok(Currency::USD), Currency::new);
            match (symbol, class, currency) {
                (Ok(symbol), Ok(asset_class), Ok(currency)) => {
                    self.entries.insert(
                        symbol.clone(),
                        Instrument {
                            symbol,
                            name: get(name_i).map(ToOwned::to_owned),
                            asset_class,
                            sector: get(sector_i).map(ToOwned::to_owned),
                            country: get(country_i).map(str::to_ascii_uppercase),
                            currency,
                        },
                    );
                }
                (s, c, k) => {
                    if let Err(e) = s {
                        push(&mut errors, "symbol", &e);
                    }
                    if let Err(e) = c {
                        push(&mut errors, "asset_class", &e);
                    }
                    if let Err(e) = k {
                        push(&mut errors, "currency", &e);
                    }
                }
            }
        }
        if errors.is_empty() {
            Ok(self)
        } else {
            Err(Error::Import { errors })
        }
    }

    /// How `symbol` is classified.
    pub fn classify(&self, symbol: &Symbol) -> Classification<'_> {
        self.entries
            .get(symbol)
            .map_or(Classification::Unclassified, Classification::Known)
    }

    /// Instruments matching what a person typed into a symbol box, best
    /// first, at most `limit`: the symbol itself, then symbols starting with
    /// the text, then names containing it (case-insensitive; surrounding
    /// spaces and a leading `$` ignored). Empty text matches nothing.
    ///
    /// ```
    /// use auravest_core::InstrumentTable;
    /// let t = InstrumentTable::shipped();
    /// let hits: Vec<&str> = t.search("vt", 3).iter().map(|i| i.symbol.as_str()).collect();
    /// assert_eq!(hits[0], "VT");
    /// // Names match too: "T-Bill" is in BIL's name.
    /// assert!(t.search("t-bill", 10).iter().any(|i| i.symbol.as_str() == "BIL"));
    /// assert!(t.search("  ", 10).is_empty());
    /// ```
    pub fn search(&self, text: &str, limit: usize) -> Vec<&Instrument> {
        let needle = text.trim().trim_start_matches('$').to_ascii_uppercase();
        if needle.is_empty() || limit == 0 {
            return Vec::new();
        }
        let lower = needle.to_lowercase();
        let mut hits: Vec<(u8, &Instrument)> = self
            .entries
            .values()
            .filter_map(|i| {
                let sym = i.symbol.as_str();
                let rank = if sym.eq_ignore_ascii_case(&needle) {
                    0
                } else if sym.to_ascii_uppercase().starts_with(&needle) {
                    1
                } else if i
                    .name
                    .as_deref()
                    .is_some_and(|n| n.to_lowercase().contains(&lower))
                {
                    2
                } else {
                    return None;
                };
                Some((rank, i))
            })
            .collect();
        // Stable: within a rank, the table's symbol order.
        hits.sort_by_key(|(rank, _)| *rank);
        hits.into_iter().take(limit).map(|(_, i)| i).collect()
    }

    /// Number of known instruments.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the table is empty.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_ranks_the_symbol_then_prefixes_then_names() {
        let t = InstrumentTable::shipped()
            .with_mapping_csv(
                "symbol,name,asset_class\nV,Visa Inc.,equity\nVISA,Other Co,equity\nXYZ,Vanguard-like Fund,fund\n"
                    .as_bytes(),
            )
            .unwrap();
        let hits: Vec<&str> = t
            .search(" $v ", 50)
            .iter()
            .map(|i| i.symbol.as_str())
            .collect();
        assert_eq!(hits[0], "V");
        // Every symbol starting with V comes before the name matches (XYZ).
        let first_name_hit = hits.iter().position(|s| !s.starts_with('V')).unwrap();
        assert!(
            hits[first_name_hit..].iter().all(|s| !s.starts_with('V')),
            "{hits:?}"
        );
        assert!(hits[first_name_hit..].contains(&"XYZ"), "{hits:?}");
        assert_eq!(t.search("vanguard-LIKE", 5).len(), 1);
        assert_eq!(t.search("v", 2).len(), 2);
        assert!(t.search("", 5).is_empty() && t.search("v", 0).is_empty());
        assert!(t.search("no such thing", 5).is_empty());
    }

    #[test]
    fn mapping_overrides_and_unknowns_stay_unclassified() {
        let csv = "symbol,name,asset_class,sector,country,currency\nAAPL,Apple,equity,Technology,us,USD\nSPY,,fund,,,\n";
        let t = InstrumentTable::shipped()
            .with_mapping_csv(csv.as_bytes())
            .unwrap();
        let aapl = Symbol::new("AAPL").unwrap();
        match t.classify(&aapl) {
            Classification::Known(i) => {
                assert_eq!(i.sector.as_deref(), Some("Technology"));
                assert_eq!(i.country.as_deref(), Some("US"));
            }
            Classification::Unclassified => panic!("AAPL should be known"),
        }
        match t.classify(&Symbol::new("SPY").unwrap()) {
            Classification::Known(i) => assert_eq!(i.asset_class, AssetClass::Fund),
            Classification::Unclassified => panic!("SPY should be known"),
        }
        assert_eq!(
            t.classify(&Symbol::new("XYZ").unwrap()),
            Classification::Unclassified
        );
        assert!(
            matches!(t.classify(&Symbol::new("BND").unwrap()), Classification::Known(i) if i.asset_class == AssetClass::Bond)
        );
    }

    #[test]
    fn bad_rows_are_reported_with_lines() {
        let csv = "symbol,asset_class,currency\nAAPL,stock,USD\nA B,equity,USD\nMSFT,equity,ZZZ\n";
        match InstrumentTable::default().with_mapping_csv(csv.as_bytes()) {
            Err(Error::Import { errors }) => {
                let got: Vec<_> = errors.iter().map(|e| (e.line, e.field.as_str())).collect();
                assert_eq!(got, [(2, "asset_class"), (3, "symbol"), (4, "currency")]);
            }
            other => panic!("{other:?}"),
        }
        assert!(
            InstrumentTable::default()
                .with_mapping_csv("ticker,class\n".as_bytes())
                .is_err()
        );
    }
}
