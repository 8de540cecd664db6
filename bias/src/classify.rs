//! The open positions of a valuation with their weights and what the
//! instrument table knows about them.

use auravest_core::{AssetClass, Classification, Instrument, InstrumentTable, Symbol, Valuation};

use crate::config::ConcentrationConfig;

/// One open position seen by the detectors.
#[derive(Debug, Clone)]
pub(crate) struct Held<'a> {
    pub(crate) symbol: &'a Symbol,
    /// Share of the portfolio's total value, cash included.
    pub(crate) weight: f64,
    /// The instrument, when classified.
    pub(crate) instrument: Option<&'a Instrument>,
    /// Whether it counts as a diversified fund (see [`ConcentrationConfig`]).
    pub(crate) fund: bool,
}

/// Whether `symbol` counts as a diversified fund under `config` (see
/// [`ConcentrationConfig`]); `shipped` is [`InstrumentTable::shipped`].
/// Funds are exempt from the single-holding, 5/10/40 and Herfindahl checks,
/// here and in the recommendation of `auravest-optimize`.
pub fn is_fund(symbol: &Symbol, shipped: &InstrumentTable, config: &ConcentrationConfig) -> bool {
    if config.funds.contains(symbol) {
        return true;
    }
    config.exempt_shipped_funds
        && matches!(
            shipped.classify(symbol),
            Classification::Known(i)
                if matches!(i.asset_class, AssetClass::Equity | AssetClass::Bond | AssetClass::Cash)
        )
}

/// The open positions of `valuation`, classified by `instruments`.
pub(crate) fn held<'a>(
    valuation: &'a Valuation,
    instruments: &'a InstrumentTable,
    config: &ConcentrationConfig,
) -> Vec<Held<'a>> {
    let shipped = InstrumentTable::shipped();
    valuation
        .positions
        .iter()
        .map(|p| holding(&p.symbol, p.weight, instruments, &shipped, config))
        .collect()
}

/// One holding of `weight`, classified by `instruments`; `shipped` is
/// [`InstrumentTable::shipped`].
pub(crate) fn holding<'a>(
    symbol: &'a Symbol,
    weight: f64,
    instruments: &'a InstrumentTable,
    shipped: &InstrumentTable,
    config: &ConcentrationConfig,
) -> Held<'a> {
    Held {
        symbol,
        weight,
        instrument: match instruments.classify(symbol) {
            Classification::Known(i) => Some(i),
            Classification::Unclassified => None,
        },
        fund: is_fund(symbol, shipped, config),
    }
}

/// Symbols as a readable list: `AAPL, JPM and XOM`.
pub(crate) fn list(symbols: &[&str]) -> String {
    match symbols {
        [] => String::new(),
        [one] => (*one).to_owned(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_read_naturally() {
        assert_eq!(list(&["A"]), "A");
        assert_eq!(list(&["A", "B"]), "A and B");
        assert_eq!(list(&["A", "B", "C"]), "A, B and C");
    }

    #[test]
    fn shipped_equity_and_bond_etfs_are_funds_but_gold_is_not() {
        let shipped = InstrumentTable::shipped();
        let c = ConcentrationConfig::default();
        assert!(is_fund(&"VTI".parse().unwrap(), &shipped, &c));
        assert!(is_fund(&"BND".parse().unwrap(), &shipped, &c));
        assert!(!is_fund(&"GLD".parse().unwrap(), &shipped, &c));
        assert!(!is_fund(&"AAPL".parse().unwrap(), &shipped, &c));
        let off = ConcentrationConfig {
            exempt_shipped_funds: false,
            ..c
        };
        assert!(!is_fund(&"VTI".parse().unwrap(), &shipped, &off));
    }
}
