//! Builders shared by the integration tests.

use auravest_bias::Nudge;
use auravest_core::{
    Currency, InstrumentTable, NaiveDate, Portfolio, PriceFrame, Symbol, Valuation, io,
};

/// A date from `YYYY-MM-DD`.
pub(crate) fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

/// The date `n` calendar days after `start`.
pub(crate) fn day(start: &str, n: usize) -> NaiveDate {
    d(start).iter_days().nth(n).unwrap()
}

/// A portfolio from transaction rows (`date,type,symbol,quantity,price,fee,currency`, no header).
pub(crate) fn log(rows: &str) -> Portfolio {
    let csv = format!(
        "date,type,symbol,quantity,price,fee,currency\n{}",
        rows.trim()
    );
    let mut p = Portfolio::new(Currency::USD, d("2100-01-01"));
    p.import(io::read_transactions_csv(csv.as_bytes()).unwrap(), false)
        .unwrap();
    p
}

/// A price frame of consecutive calendar days from `start`, one column per series.
pub(crate) fn frame(start: &str, columns: &[(&str, Vec<f64>)]) -> PriceFrame {
    let len = columns.iter().map(|(_, v)| v.len()).max().unwrap_or(0);
    let dates = d(start).iter_days().take(len).collect();
    let cols = columns
        .iter()
        .map(|(name, v)| {
            (
                Symbol::new(name).unwrap(),
                v.iter().map(|x| Some(*x)).collect(),
            )
        })
        .collect();
    PriceFrame::new(dates, cols).unwrap()
}

/// A flat series of `n` closes at `level`.
pub(crate) fn flat(n: usize, level: f64) -> Vec<f64> {
    vec![level; n]
}

/// A portfolio on 2024-01-02 holding `value` units of each symbol at a price
/// of 1 (so weights are exact), plus `cash`; with its prices and valuation.
pub(crate) fn book(positions: &[(&str, u32)], cash: u32) -> (Portfolio, PriceFrame, Valuation) {
    let total: u32 = positions.iter().map(|(_, v)| v).sum::<u32>() + cash;
    let mut rows = format!("2024-01-02,deposit,,,{total},0,USD\n");
    for (s, v) in positions {
        rows.push_str(&format!("2024-01-02,buy,{s},{v},1,0,USD\n"));
    }
    let portfolio = log(&rows);
    let prices = frame(
        "2024-01-02",
        &positions
            .iter()
            .map(|(s, _)| (*s, vec![1.0]))
            .collect::<Vec<_>>(),
    );
    let valuation = portfolio.valuation(&prices, d("2024-01-02")).unwrap();
    (portfolio, prices, valuation)
}

/// The shipped table overlaid with `rows` of `symbol,asset_class,sector,country`.
pub(crate) fn table(rows: &[&str]) -> InstrumentTable {
    let csv = format!("symbol,asset_class,sector,country\n{}\n", rows.join("\n"));
    InstrumentTable::shipped()
        .with_mapping_csv(csv.as_bytes())
        .unwrap()
}

/// Equities of the US technology sector for every symbol given.
pub(crate) fn tech(symbols: &[&str]) -> InstrumentTable {
    let rows: Vec<String> = symbols
        .iter()
        .map(|s| format!("{s},equity,Technology,US"))
        .collect();
    table(&rows.iter().map(String::as_str).collect::<Vec<_>>())
}

/// The subjects of nudges, in order.
pub(crate) fn subjects(nudges: &[Nudge]) -> Vec<String> {
    nudges
        .iter()
        .map(|n| n.subject.clone().unwrap_or_default())
        .collect()
}

/// The one nudge with `subject`.
pub(crate) fn with_subject<'a>(nudges: &'a [Nudge], subject: &str) -> &'a Nudge {
    let found: Vec<&Nudge> = nudges
        .iter()
        .filter(|n| n.subject.as_deref() == Some(subject))
        .collect();
    assert_eq!(found.len(), 1, "{subject} in {:?}", subjects(nudges));
    found[0]
}

/// Evidence number `key` of `nudge`.
pub(crate) fn num(nudge: &Nudge, key: &str) -> f64 {
    nudge.evidence[key]
        .as_f64()
        .unwrap_or_else(|| panic!("{key} in {:?}", nudge.evidence))
}

/// Whether `a` and `b` agree within `tol`.
pub(crate) fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol
}
