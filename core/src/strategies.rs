//! Proptest strategies for core types, for this crate's and other crates' tests
//! (feature `proptest`).

use chrono::{Days, NaiveDate};
use proptest::prelude::*;
use rust_decimal::Decimal;

use crate::{Currency, Price, PriceFrame, Quantity, Symbol, Transaction, TransactionKind};

/// Valid ticker symbols such as `ABC` or `BRK.B`.
pub fn symbol() -> impl Strategy<Value = Symbol> {
    "[A-Z]{1,5}(\\.[A-Z])?".prop_map(|s| Symbol::new(&s).unwrap_or_else(|e| unreachable!("{e}")))
}

/// Positive prices with up to four decimals.
pub fn price() -> impl Strategy<Value = Price> {
    (1u64..10_000_000).prop_map(|cents| {
        Price::new("price", Decimal::new(cents as i64, 4)).unwrap_or_else(|e| unreachable!("{e}"))
    })
}

/// Daily returns between -20% and +20%.
pub fn daily_returns(len: usize) -> impl Strategy<Value = Vec<f64>> {
    proptest::collection::vec(-0.2f64..0.2, len)
}

/// A gap-free frame of `assets` columns (`A0`, `A1`, ...) over `days` weekdays-agnostic
/// consecutive dates from 2020-01-01, each a random walk from 100.
pub fn price_frame(assets: usize, days: usize) -> impl Strategy<Value = PriceFrame> {
    proptest::collection::vec(daily_returns(days), assets).prop_map(move |cols| {
        let start = NaiveDate::from_ymd_opt(2020, 1, 1).unwrap_or(NaiveDate::MIN);
        let dates = (0..days as u64).map(|i| start + Days::new(i)).collect();
        let columns = cols
            .into_iter()
            .enumerate()
            .map(|(i, rs)| {
                let mut p = 100.0;
                let values = rs
                    .into_iter()
                    .map(|r| {
                        p *= 1.0 + r;
                        Some(p)
                    })
                    .collect();
                (
                    Symbol::new(&format!("A{i}")).unwrap_or_else(|e| unreachable!("{e}")),
                    values,
                )
            })
            .collect();
        PriceFrame::new(dates, columns).unwrap_or_else(|e| unreachable!("{e}"))
    })
}

/// A valid log of buys and sells of `symbols` (never selling more than held),
/// one transaction a day from 2020-01-01, in USD.
pub fn trade_log(symbols: Vec<Symbol>, max_len: usize) -> impl Strategy<Value = Vec<Transaction>> {
    let n = symbols.len().max(1);
    proptest::collection::vec(
        (0..n, any::<bool>(), 1u32..1000, 1u32..100_000),
        1..=max_len.max(1),
    )
    .prop_map(move |steps| {
        let start = NaiveDate::from_ymd_opt(2020, 1, 1).unwrap_or(NaiveDate::MIN);
        let mut held = vec![Decimal::ZERO; n];
        let mut out = Vec::new();
        for (day, (i, sell, qty, cents)) in steps.into_iter().enumerate() {
            let Some(symbol) = symbols.get(i).cloned() else {
                continue;
            };
            let mut q = Decimal::from(qty);
            let price = Price::new("price", Decimal::new(i64::from(cents), 2))
                .unwrap_or_else(|e| unreachable!("{e}"));
            let sell = sell && held[i] > Decimal::ZERO;
            if sell {
                q = q.min(held[i]);
                held[i] -= q;
            } else {
                held[i] += q;
            }
            let quantity = Quantity::new("quantity", q).unwrap_or_else(|e| unreachable!("{e}"));
            let kind = if sell {
                TransactionKind::Sell {
                    symbol,
                    quantity,
                    price,
                }
            } else {
                TransactionKind::Buy {
                    symbol,
                    quantity,
                    price,
                }
            };
            out.push(Transaction::new(
                start + Days::new(day as u64),
                kind,
                Currency::USD,
            ));
        }
        out
    })
}
