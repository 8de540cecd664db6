//! Ledger, valuation and return tests.

use std::collections::BTreeMap;

use auravest_core::{
    CashFlow, Currency, Decimal, Error, Holdings, ImportReport, Lot, Money, NaiveDate, Portfolio,
    Position, Price, PriceFrame, Quantity, RowError, Symbol, Transaction, TransactionKind,
    TransactionRecord, io, xirr,
};
use proptest::prelude::*;

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

const TODAY: &str = "2025-06-30";
const USD: Currency = Currency::USD;
const EUR: Currency = Currency::EUR;
const HEADER: &str = "date,type,symbol,quantity,price,fee,currency";

fn day(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn dec(s: &str) -> Decimal {
    s.parse().unwrap()
}

fn sym(s: &str) -> Symbol {
    s.parse().unwrap()
}

fn qty(s: &str) -> Quantity {
    Quantity::parse("quantity", s).unwrap()
}

fn amt(s: &str) -> Price {
    Price::parse("price", s).unwrap()
}

fn tx(date: &str, kind: TransactionKind, ccy: Currency) -> Transaction {
    Transaction::new(day(date), kind, ccy)
}

fn buy_in(date: &str, s: &str, q: &str, p: &str, ccy: Currency) -> Transaction {
    let kind = TransactionKind::Buy {
        symbol: sym(s),
        quantity: qty(q),
        price: amt(p),
    };
    tx(date, kind, ccy)
}

fn buy(date: &str, s: &str, q: &str, p: &str) -> Transaction {
    buy_in(date, s, q, p, USD)
}

fn sell_in(date: &str, s: &str, q: &str, p: &str, ccy: Currency) -> Transaction {
    let kind = TransactionKind::Sell {
        symbol: sym(s),
        quantity: qty(q),
        price: amt(p),
    };
    tx(date, kind, ccy)
}

fn sell(date: &str, s: &str, q: &str, p: &str) -> Transaction {
    sell_in(date, s, q, p, USD)
}

fn dividend_in(date: &str, s: &str, amount: &str, ccy: Currency) -> Transaction {
    let kind = TransactionKind::Dividend {
        symbol: sym(s),
        amount: amt(amount),
    };
    tx(date, kind, ccy)
}

fn dividend(date: &str, s: &str, amount: &str) -> Transaction {
    dividend_in(date, s, amount, USD)
}

fn split(date: &str, s: &str, ratio: &str) -> Transaction {
    let kind = TransactionKind::Split {
        symbol: sym(s),
        ratio: qty(ratio),
    };
    tx(date, kind, USD)
}

fn deposit_in(date: &str, amount: &str, ccy: Currency) -> Transaction {
    tx(
        date,
        TransactionKind::Deposit {
            amount: amt(amount),
        },
        ccy,
    )
}

fn deposit(date: &str, amount: &str) -> Transaction {
    deposit_in(date, amount, USD)
}

fn withdrawal_in(date: &str, amount: &str, ccy: Currency) -> Transaction {
    tx(
        date,
        TransactionKind::Withdrawal {
            amount: amt(amount),
        },
        ccy,
    )
}

fn withdrawal(date: &str, amount: &str) -> Transaction {
    withdrawal_in(date, amount, USD)
}

fn fee_tx(date: &str, amount: &str) -> Transaction {
    tx(
        date,
        TransactionKind::Fee {
            amount: amt(amount),
        },
        USD,
    )
}

fn with_fee(t: Transaction, fee: &str) -> Transaction {
    t.with_fee(dec(fee)).unwrap()
}

fn portfolio() -> Portfolio {
    Portfolio::new(USD, day(TODAY))
}

fn portfolio_with(txs: impl IntoIterator<Item = Transaction>) -> Portfolio {
    let mut p = portfolio();
    for t in txs {
        let shown = format!("{t:?}");
        p.insert(t).unwrap_or_else(|e| panic!("{shown}: {e}"));
    }
    p
}

fn prices(csv: &str) -> PriceFrame {
    PriceFrame::from_csv(csv.as_bytes()).unwrap()
}

fn position<'a>(p: &'a Portfolio, s: &str) -> &'a Position {
    p.holdings().position(&sym(s)).unwrap()
}

fn cash_of(h: &Holdings, ccy: Currency) -> Decimal {
    h.cash()
        .find(|m| m.currency() == ccy)
        .map_or(Decimal::ZERO, |m| m.amount())
}

fn lots(p: &Portfolio, s: &str) -> Vec<Lot> {
    position(p, s).lots().cloned().collect()
}

fn lot(date: &str, q: &str, cost: &str) -> Lot {
    Lot {
        date: day(date),
        quantity: dec(q),
        cost: dec(cost),
    }
}

#[track_caller]
fn assert_close(actual: f64, expected: f64, tol: f64) {
    assert!(
        (actual - expected).abs() <= tol,
        "expected {expected}, got {actual} (tolerance {tol})"
    );
}

/// Inserts `t`, expects a refusal naming `field`, and checks that the
/// portfolio is exactly as it was.
#[track_caller]
fn assert_refused(p: &mut Portfolio, t: Transaction, field: &str) -> Error {
    let before = p.clone();
    let err = p.insert(t).expect_err("insert should be refused");
    assert_eq!(err.field(), Some(field), "{err}");
    assert_eq!(*p, before, "a refused insert changed the portfolio");
    err
}

fn csv_rows(text: &str) -> Vec<io::ParsedRow> {
    io::read_transactions_csv(text.as_bytes()).unwrap()
}

fn import_errors(err: Error) -> Vec<(usize, String)> {
    match err {
        Error::Import { errors } => errors.into_iter().map(|e| (e.line, e.field)).collect(),
        other => panic!("expected Error::Import, got {other:?}"),
    }
}

fn lines_fields(errors: &[RowError]) -> Vec<(usize, String)> {
    errors.iter().map(|e| (e.line, e.field.clone())).collect()
}

fn expected_rows(rows: &[(usize, &str)]) -> Vec<(usize, String)> {
    rows.iter().map(|(l, f)| (*l, (*f).to_owned())).collect()
}

/// A USD portfolio holding 10 AAPL bought at 100 on 2024-01-02, with 4000 cash.
fn aapl_held() -> Portfolio {
    portfolio_with([
        deposit("2024-01-02", "5000"),
        buy("2024-01-02", "AAPL", "10", "100"),
    ])
}

// ---------------------------------------------------------------------------
// Validation of every insert
// ---------------------------------------------------------------------------

#[test]
fn selling_more_than_held_is_refused_and_changes_nothing() {
    let mut p = aapl_held();
    let err = assert_refused(
        &mut p,
        sell("2024-02-01", "AAPL", "10.5", "120"),
        "quantity",
    );
    match err {
        Error::Oversold {
            symbol,
            date,
            requested,
            held,
        } => {
            assert_eq!(symbol, sym("AAPL"));
            assert_eq!(date, day("2024-02-01"));
            assert_eq!(requested, dec("10.5"));
            assert_eq!(held, dec("10"));
        }
        other => panic!("expected Oversold, got {other:?}"),
    }
    // A sale of a symbol never held oversells too.
    let err = assert_refused(&mut p, sell("2024-02-01", "MSFT", "1", "10"), "quantity");
    assert!(
        matches!(err, Error::Oversold { held, .. } if held.is_zero()),
        "{err:?}"
    );
    // Selling exactly what is held is fine.
    p.insert(sell("2024-02-01", "AAPL", "10", "120")).unwrap();
    assert!(position(&p, "AAPL").quantity().is_zero());
    assert_refused(
        &mut p,
        sell("2024-02-02", "AAPL", "0.0001", "120"),
        "quantity",
    );
}

#[test]
fn zero_or_negative_prices_are_refused_with_field_price() {
    for bad in ["0", "-1", "-0.01", "0.000"] {
        let err = Price::new("price", dec(bad)).unwrap_err();
        assert_eq!(err.field(), Some("price"), "{bad}");
        assert!(Price::parse("price", bad).is_err(), "{bad}");

        for row in [
            format!("2024-02-01,buy,AAPL,1,{bad},0,USD"),
            format!("2024-02-01,sell,AAPL,1,{bad},0,USD"),
            format!("2024-02-01,dividend,AAPL,,{bad},0,USD"),
            format!("2024-02-01,deposit,,,{bad},0,USD"),
            format!("2024-02-01,withdrawal,,,{bad},0,USD"),
            format!("2024-02-01,fee,,,{bad},0,USD"),
        ] {
            let mut p = aapl_held();
            let before = p.clone();
            let csv = format!("{HEADER}\n{row}\n");
            let err = p.import(csv_rows(&csv), false).unwrap_err();
            assert_eq!(import_errors(err), expected_rows(&[(2, "price")]), "{row}");
            assert_eq!(p, before, "{row}");
        }
    }
    // The JSON form of a transaction refuses it too.
    let json = r#"{"date":"2024-01-02","type":"buy","symbol":"AAPL","quantity":"1","price":"-5","currency":"USD"}"#;
    assert!(serde_json::from_str::<Transaction>(json).is_err());
}

#[test]
fn negative_fee_is_refused_with_field_fee() {
    let err = buy("2024-02-01", "AAPL", "1", "100")
        .with_fee(dec("-1"))
        .unwrap_err();
    assert_eq!(err.field(), Some("fee"));

    // `fee` is a public field: insert must validate it as well.
    let mut p = aapl_held();
    for mut t in [
        buy("2024-02-01", "AAPL", "1", "100"),
        sell("2024-02-01", "AAPL", "1", "100"),
        deposit("2024-02-01", "100"),
        withdrawal("2024-02-01", "100"),
        // Dated before the log's end: the mid-log path must check it too.
        deposit("2024-01-01", "100"),
    ] {
        t.fee = dec("-1");
        assert_refused(&mut p, t, "fee");
    }
    let mut t = deposit("2024-02-01", "100");
    t.fee = dec("-0.5");
    let before = p.clone();
    let err = p.replace(0, t).unwrap_err();
    assert_eq!(err.field(), Some("fee"));
    assert_eq!(p, before);
}

#[test]
fn future_dates_are_refused() {
    let mut p = aapl_held();
    let err = assert_refused(&mut p, buy("2025-07-01", "AAPL", "1", "100"), "date");
    assert_eq!(
        err,
        Error::FutureDate {
            date: day("2025-07-01"),
            today: day(TODAY)
        }
    );
    assert_refused(&mut p, deposit("2030-01-01", "1"), "date");
    assert_refused(&mut p, sell("2025-07-01", "AAPL", "1", "100"), "date");
    // Today itself is allowed.
    p.insert(deposit(TODAY, "1")).unwrap();
    // Replace checks the date too.
    let before = p.clone();
    let err = p.replace(0, deposit("2025-07-01", "5000")).unwrap_err();
    assert_eq!(err.field(), Some("date"));
    assert_eq!(p, before);
}

#[test]
fn currency_mismatches_are_refused() {
    let mut p = aapl_held();
    let err = assert_refused(
        &mut p,
        sell_in("2024-02-01", "AAPL", "1", "100", EUR),
        "currency",
    );
    assert_eq!(
        err,
        Error::CurrencyMismatch {
            symbol: Some(sym("AAPL")),
            expected: USD,
            found: EUR
        }
    );
    let err = assert_refused(
        &mut p,
        dividend_in("2024-02-01", "AAPL", "5", EUR),
        "currency",
    );
    assert!(
        matches!(err, Error::CurrencyMismatch { found: EUR, .. }),
        "{err:?}"
    );
    assert_refused(
        &mut p,
        buy_in("2024-02-01", "AAPL", "1", "90", EUR),
        "currency",
    );
    // Closing the position does not free it to change currency.
    p.insert(sell("2024-03-01", "AAPL", "10", "110")).unwrap();
    assert_refused(
        &mut p,
        buy_in("2024-04-01", "AAPL", "1", "90", EUR),
        "currency",
    );
    // Another symbol in another currency is fine.
    p.insert(buy_in("2024-04-01", "SAP", "1", "90", EUR))
        .unwrap();
}

#[test]
fn split_ratio_of_zero_is_refused() {
    for bad in ["0", "-2"] {
        let err = Quantity::new("quantity", dec(bad)).unwrap_err();
        assert_eq!(err.field(), Some("quantity"));
        let mut p = aapl_held();
        let before = p.clone();
        let csv = format!("{HEADER}\n2024-02-01,split,AAPL,{bad},,0,USD\n");
        let err = p.import(csv_rows(&csv), false).unwrap_err();
        let Error::Import { errors } = err else {
            panic!("expected Import, got {err:?}")
        };
        assert_eq!(lines_fields(&errors), expected_rows(&[(2, "quantity")]));
        assert!(errors[0].reason.contains("split ratio"), "{}", errors[0]);
        assert_eq!(p, before);
    }
}

#[test]
fn withdrawal_beyond_cash_is_refused() {
    let mut p = aapl_held(); // 4000 cash
    let err = assert_refused(&mut p, withdrawal("2024-02-01", "4000.01"), "price");
    assert_eq!(
        err,
        Error::InsufficientCash {
            currency: USD,
            date: day("2024-02-01"),
            requested: dec("4000.01"),
            available: dec("4000"),
        }
    );
    // The fee counts against the cash.
    assert_refused(
        &mut p,
        with_fee(withdrawal("2024-02-01", "4000"), "0.01"),
        "price",
    );
    // No EUR cash at all.
    assert_refused(&mut p, withdrawal_in("2024-02-01", "1", EUR), "price");
    // Before the deposit there was nothing to withdraw.
    assert_refused(&mut p, withdrawal("2024-01-01", "1"), "price");
    p.insert(withdrawal("2024-02-01", "4000")).unwrap();
    assert!(cash_of(p.holdings(), USD).is_zero());
}

#[test]
fn dividend_or_split_on_a_never_held_symbol_is_refused() {
    let mut p = aapl_held();
    let err = assert_refused(&mut p, dividend("2024-02-01", "MSFT", "5"), "symbol");
    assert_eq!(
        err,
        Error::UnknownPosition {
            symbol: sym("MSFT"),
            date: day("2024-02-01")
        }
    );
    assert_refused(&mut p, split("2024-02-01", "MSFT", "2"), "symbol");
    // Before AAPL was bought, AAPL was not held either (a mid-log insert).
    assert_refused(&mut p, dividend("2024-01-01", "AAPL", "5"), "symbol");
    assert_refused(&mut p, split("2024-01-01", "AAPL", "2"), "symbol");
}

#[test]
fn insert_in_the_middle_that_would_oversell_later_is_refused() {
    let mut p = portfolio_with([
        buy("2024-01-02", "AAPL", "10", "100"),
        sell("2024-03-01", "AAPL", "8", "120"),
    ]);
    // Valid on its own date (5 <= 10), but leaves only 5 for the sale of 8.
    let err = assert_refused(&mut p, sell("2024-02-01", "AAPL", "5", "110"), "quantity");
    assert_eq!(
        err,
        Error::Oversold {
            symbol: sym("AAPL"),
            date: day("2024-03-01"),
            requested: dec("8"),
            held: dec("5"),
        }
    );
    // Oversells on its own date.
    assert_refused(&mut p, sell("2024-01-01", "AAPL", "1", "100"), "quantity");

    // A valid insert in the middle is re-sorted and re-applied.
    p.insert(sell("2024-02-01", "AAPL", "2", "110")).unwrap();
    let dates: Vec<_> = p.transactions().iter().map(|t| t.date).collect();
    assert_eq!(
        dates,
        [day("2024-01-02"), day("2024-02-01"), day("2024-03-01")]
    );
    let aapl = position(&p, "AAPL");
    assert_eq!(aapl.quantity(), dec("0"));
    // 2 x (110 - 100) + 8 x (120 - 100)
    assert_eq!(aapl.realized_pnl(), dec("180"));
}

#[test]
fn insert_in_the_middle_that_drains_cash_for_a_later_withdrawal_is_refused() {
    let mut p = portfolio_with([
        deposit("2024-01-02", "1000"),
        withdrawal("2024-03-01", "800"),
    ]);
    let err = assert_refused(&mut p, withdrawal("2024-02-01", "300"), "price");
    assert!(
        matches!(err, Error::InsufficientCash { date, .. } if date == day("2024-03-01")),
        "{err:?}"
    );
}

#[test]
fn removing_a_buy_a_later_sale_needs_is_refused() {
    let mut p = portfolio_with([
        deposit("2024-01-02", "2000"),
        buy("2024-01-02", "AAPL", "10", "100"),
        buy("2024-02-01", "AAPL", "5", "100"),
        sell("2024-03-01", "AAPL", "12", "120"),
        withdrawal("2024-03-02", "1900"),
    ]);
    let before = p.clone();
    let err = p.remove(1).unwrap_err();
    assert_eq!(err.field(), Some("quantity"));
    assert!(matches!(err, Error::Oversold { .. }), "{err:?}");
    assert_eq!(p, before);
    // Removing the deposit makes the buys implicitly funded; the withdrawal of
    // 1900 then exceeds the 1440 of sale proceeds.
    let err = p.remove(0).unwrap_err();
    assert_eq!(err.field(), Some("price"));
    assert_eq!(p, before);
    let err = p.remove(5).unwrap_err();
    assert_eq!(err, Error::NoSuchTransaction { index: 5, len: 5 });
    assert_eq!(p, before);

    // Removing the withdrawal, then the sale, is fine.
    let removed = p.remove(4).unwrap();
    assert_eq!(removed, withdrawal("2024-03-02", "1900"));
    let removed = p.remove(3).unwrap();
    assert_eq!(removed, sell("2024-03-01", "AAPL", "12", "120"));
    assert_eq!(position(&p, "AAPL").quantity(), dec("15"));
    assert_eq!(p.transactions().len(), 3);
    assert_eq!(cash_of(p.holdings(), USD), dec("500"));
}

#[test]
fn replace_moves_the_transaction_and_re_derives_everything() {
    let mut p = portfolio_with([
        buy("2024-01-02", "AAPL", "10", "100"),
        sell("2024-03-01", "AAPL", "8", "120"),
    ]);
    let old = p.replace(0, buy("2024-02-15", "AAPL", "20", "50")).unwrap();
    assert_eq!(old, buy("2024-01-02", "AAPL", "10", "100"));
    assert_eq!(
        p.transactions(),
        [
            buy("2024-02-15", "AAPL", "20", "50"),
            sell("2024-03-01", "AAPL", "8", "120")
        ]
    );
    let aapl = position(&p, "AAPL");
    assert_eq!(aapl.quantity(), dec("12"));
    assert_eq!(aapl.realized_pnl(), dec("560"));
    assert_eq!(lots(&p, "AAPL"), [lot("2024-02-15", "12", "600")]);
    assert_eq!(p.holdings().flows().len(), 1);
    assert_eq!(p.holdings().flows()[0].amount, Money::new(dec("1000"), USD));

    // A replacement that would leave the later sale oversold is refused.
    let before = p.clone();
    let err = p
        .replace(0, buy("2024-02-15", "AAPL", "5", "50"))
        .unwrap_err();
    assert_eq!(err.field(), Some("quantity"));
    assert_eq!(p, before);
    // So is moving the buy after the sale.
    let err = p
        .replace(0, buy("2024-04-01", "AAPL", "20", "50"))
        .unwrap_err();
    assert!(matches!(err, Error::Oversold { .. }), "{err:?}");
    assert_eq!(p, before);
    let err = p.replace(2, deposit("2024-01-01", "1")).unwrap_err();
    assert_eq!(err, Error::NoSuchTransaction { index: 2, len: 2 });
    assert_eq!(p, before);
}

// ---------------------------------------------------------------------------
// Positions
// ---------------------------------------------------------------------------

#[test]
fn fifo_lots_partial_consumption_and_realised_pnl_with_fees() {
    let p = portfolio_with([
        with_fee(buy("2024-01-02", "AAPL", "10", "100"), "1"), // cost 1001
        buy("2024-02-01", "AAPL", "5", "120"),                 // cost 600
        with_fee(sell("2024-03-01", "AAPL", "12", "130"), "2"), // 1558 net
    ]);
    let aapl = position(&p, "AAPL");
    assert_eq!(aapl.quantity(), dec("3"));
    // The first lot went whole; 2 of the 5 of the second lot went (240).
    assert_eq!(lots(&p, "AAPL"), [lot("2024-02-01", "3", "360")]);
    assert_eq!(aapl.cost_basis(), dec("360"));
    assert_eq!(aapl.avg_cost(), Some(dec("120")));
    // 12 x 130 - 2 - (1001 + 240)
    assert_eq!(aapl.realized_pnl(), dec("317"));
    assert_eq!(cash_of(p.holdings(), USD), dec("1558"));
    assert!(aapl.is_open());
}

#[test]
fn fifo_lot_costs_before_any_sale_include_fees() {
    let p = portfolio_with([
        with_fee(buy("2024-01-02", "AAPL", "10", "100"), "1"),
        with_fee(buy("2024-02-01", "AAPL", "10", "110"), "3"),
    ]);
    assert_eq!(
        lots(&p, "AAPL"),
        [
            lot("2024-01-02", "10", "1001"),
            lot("2024-02-01", "10", "1103")
        ]
    );
    assert_eq!(position(&p, "AAPL").avg_cost(), Some(dec("105.2")));
}

#[test]
fn selling_out_closes_the_position_but_keeps_its_history() {
    let p = portfolio_with([
        buy("2024-01-02", "AAPL", "10", "100"),
        with_fee(sell("2024-03-01", "AAPL", "10", "90"), "5"),
    ]);
    let aapl = position(&p, "AAPL");
    assert!(!aapl.is_open());
    assert_eq!(aapl.avg_cost(), None);
    assert_eq!(aapl.realized_pnl(), dec("-105"));
    assert_eq!(p.holdings().open_positions().count(), 0);
    assert_eq!(p.holdings().positions().count(), 1);
}

#[test]
fn splits_scale_quantity_and_keep_cost() {
    let mut p = portfolio_with([
        with_fee(buy("2024-01-02", "NVDA", "10", "400"), "2"), // cost 4002
        buy("2024-02-01", "NVDA", "5", "480"),                 // cost 2400
        split("2024-03-01", "NVDA", "4"),
    ]);
    let nvda = position(&p, "NVDA");
    assert_eq!(nvda.quantity(), dec("60"));
    assert_eq!(nvda.cost_basis(), dec("6402"));
    assert_eq!(nvda.avg_cost(), Some(dec("6402") / dec("60")));
    assert_eq!(
        lots(&p, "NVDA"),
        [
            lot("2024-01-02", "40", "4002"),
            lot("2024-02-01", "20", "2400")
        ]
    );
    // FIFO after the split: 40 of the first lot (4002), 4 of the second (480).
    p.insert(sell("2024-03-02", "NVDA", "44", "110")).unwrap();
    let nvda = position(&p, "NVDA");
    assert_eq!(nvda.realized_pnl(), dec("4840") - dec("4482"));
    assert_eq!(lots(&p, "NVDA"), [lot("2024-02-01", "16", "1920")]);

    // Reverse split 1:10.
    p.insert(split("2024-04-01", "NVDA", "0.1")).unwrap();
    let nvda = position(&p, "NVDA");
    assert_eq!(nvda.quantity(), dec("1.6"));
    assert_eq!(nvda.cost_basis(), dec("1920"));
    assert_eq!(nvda.avg_cost(), Some(dec("1200")));
}

#[test]
fn four_for_one_split_divides_avg_cost_by_four() {
    let mut p = portfolio_with([buy("2024-01-02", "AAPL", "10", "400")]);
    let before = position(&p, "AAPL").clone();
    p.insert(split("2024-02-01", "AAPL", "4")).unwrap();
    let after = position(&p, "AAPL");
    assert_eq!(after.quantity(), before.quantity() * dec("4"));
    assert_eq!(after.cost_basis(), before.cost_basis());
    assert_eq!(
        after.avg_cost().unwrap(),
        before.avg_cost().unwrap() / dec("4")
    );
    assert_eq!(after.avg_cost(), Some(dec("100")));
    // A split moves no cash and is no external flow.
    assert_eq!(p.holdings().flows().len(), 1);
}

#[test]
fn dividends_go_to_cash_net_of_fee() {
    let mut p = portfolio_with([
        deposit("2024-01-02", "1000"),
        buy("2024-01-02", "AAPL", "10", "100"),
        with_fee(dividend("2024-02-01", "AAPL", "25"), "1"),
    ]);
    assert_eq!(cash_of(p.holdings(), USD), dec("24"));
    assert_eq!(position(&p, "AAPL").dividends(), dec("25"));
    // Dividends are income, not external flows.
    assert_eq!(p.holdings().flows().len(), 1);
    // A dividend paid after the position was closed (ex-date earlier) is accepted.
    p.insert(sell("2024-03-01", "AAPL", "10", "100")).unwrap();
    p.insert(dividend("2024-03-15", "AAPL", "5")).unwrap();
    assert_eq!(position(&p, "AAPL").dividends(), dec("30"));
    assert_eq!(cash_of(p.holdings(), USD), dec("1029"));
}

#[test]
fn fractional_shares() {
    let p = portfolio_with([
        buy("2024-01-02", "BRK.B", "0.5", "200"),  // 100
        buy("2024-01-03", "BRK.B", "0.25", "220"), // 55
        sell("2024-02-01", "BRK.B", "0.3", "250"), // 75, cost 60
    ]);
    let b = position(&p, "BRK.B");
    assert_eq!(b.quantity(), dec("0.45"));
    assert_eq!(
        lots(&p, "BRK.B"),
        [
            lot("2024-01-02", "0.2", "40"),
            lot("2024-01-03", "0.25", "55")
        ]
    );
    assert_eq!(b.realized_pnl(), dec("15"));
    assert_eq!(b.cost_basis(), dec("95"));
    assert_eq!(b.avg_cost(), Some(dec("95") / dec("0.45")));
    assert_eq!(cash_of(p.holdings(), USD), dec("75"));
}

#[test]
fn cash_is_kept_per_currency() {
    let p = portfolio_with([
        deposit("2024-01-02", "1000"),
        deposit_in("2024-01-02", "500", EUR),
        with_fee(buy_in("2024-01-03", "SAP", "2", "100", EUR), "1"),
        buy_in("2024-01-04", "VOD.L", "10", "1", Currency::GBP),
        with_fee(sell_in("2024-02-01", "SAP", "1", "110", EUR), "0.5"),
    ]);
    let cash: BTreeMap<Currency, Decimal> = p
        .holdings()
        .cash()
        .map(|m| (m.currency(), m.amount()))
        .collect();
    assert_eq!(cash.get(&USD), Some(&dec("1000")));
    assert_eq!(cash.get(&EUR), Some(&dec("408.5"))); // 500 - 201 + 109.5
    assert_eq!(cash.get(&Currency::GBP), Some(&dec("0")));
    assert_eq!(position(&p, "SAP").currency(), EUR);
    // The GBP buy was unfunded: an implicit GBP deposit.
    let implicit: Vec<&CashFlow> = p.holdings().flows().iter().filter(|f| f.implicit).collect();
    assert_eq!(implicit.len(), 1);
    assert_eq!(implicit[0].amount, Money::new(dec("10"), Currency::GBP));
}

#[test]
fn unfunded_buy_is_an_implicit_deposit() {
    let p = portfolio_with([with_fee(buy("2024-01-02", "AAPL", "10", "100"), "1")]);
    assert_eq!(
        p.holdings().flows(),
        [CashFlow {
            date: day("2024-01-02"),
            amount: Money::new(dec("1001"), USD),
            implicit: true,
        }]
    );
    assert!(cash_of(p.holdings(), USD).is_zero());
}

#[test]
fn funded_buy_after_a_deposit_has_no_implicit_flow() {
    let p = portfolio_with([
        deposit("2024-01-02", "2000"),
        with_fee(buy("2024-01-03", "AAPL", "10", "100"), "1"),
    ]);
    assert_eq!(
        p.holdings().flows(),
        [CashFlow {
            date: day("2024-01-02"),
            amount: Money::new(dec("2000"), USD),
            implicit: false,
        }]
    );
    assert_eq!(cash_of(p.holdings(), USD), dec("999"));
}

#[test]
fn partly_funded_buy_and_fee_deposit_only_the_shortfall() {
    let p = portfolio_with([
        deposit("2024-01-02", "500"),
        with_fee(buy("2024-01-03", "AAPL", "10", "100"), "1"),
        sell("2024-02-01", "AAPL", "5", "100"),
        buy("2024-02-02", "MSFT", "1", "400"), // funded by the proceeds
        fee_tx("2024-03-01", "150"),           // 100 left: 50 implicit
    ]);
    let flows: Vec<(Decimal, bool)> = p
        .holdings()
        .flows()
        .iter()
        .map(|f| (f.amount.amount(), f.implicit))
        .collect();
    assert_eq!(
        flows,
        [(dec("500"), false), (dec("501"), true), (dec("50"), true)]
    );
    assert!(cash_of(p.holdings(), USD).is_zero());
}

#[test]
fn withdrawals_are_negative_flows_without_their_fee() {
    let p = portfolio_with([
        deposit("2024-01-02", "500"),
        with_fee(withdrawal("2024-01-03", "200"), "2"),
    ]);
    assert_eq!(p.holdings().flows()[1].amount, Money::new(dec("-200"), USD));
    assert!(!p.holdings().flows()[1].implicit);
    assert_eq!(cash_of(p.holdings(), USD), dec("298"));
}

#[test]
fn holdings_at_a_date_replays_only_the_log_up_to_it() {
    let p = portfolio_with([
        buy("2024-01-02", "AAPL", "10", "100"),
        sell("2024-03-01", "AAPL", "4", "120"),
    ]);
    let h = p.holdings_at(day("2024-02-01")).unwrap();
    assert_eq!(h.position(&sym("AAPL")).unwrap().quantity(), dec("10"));
    let h = p.holdings_at(day("2024-01-01")).unwrap();
    assert!(h.position(&sym("AAPL")).is_none());
    assert_eq!(p.holdings_at(day(TODAY)).unwrap(), *p.holdings());
}

// ---------------------------------------------------------------------------
// Import and export
// ---------------------------------------------------------------------------

const BAD_CSV: &str = "date,type,symbol,quantity,price,fee,currency
2024-01-02,deposit,,,1000,0,USD
2024-01-03,buy,AAPL,0,100,0,USD
2024-01-04,buy,AAPL,5,-1,0,USD
2024-02-30,buy,AAPL,5,10,0,USD
2024-01-05,buy,AAPL,5,10,0,USD,extra

2024-01-06,buy,AAPL,5,10,0,USD
2024-01-07,sell,AAPL,50,10,0,USD
2024-01-08,split,AAPL,0,,0,USD
2024-01-09,buy,AAPL,5
2024-01-10,deposit,AAPL,,10,0,EUR
";

const BAD_CSV_ERRORS: [(usize, &str); 8] = [
    (3, "quantity"),
    (4, "price"),
    (5, "date"),
    (6, "row"),
    (9, "quantity"), // sells 50 with 5 held: refused by the ledger
    (10, "quantity"),
    (11, "row"),
    (12, "symbol"),
];

#[test]
fn csv_import_reports_every_bad_row_and_imports_nothing() {
    let mut p = portfolio_with([deposit("2023-12-01", "1")]);
    let before = p.clone();
    let err = p.import(csv_rows(BAD_CSV), false).unwrap_err();
    assert_eq!(import_errors(err), expected_rows(&BAD_CSV_ERRORS));
    assert_eq!(p, before);
}

#[test]
fn csv_import_with_skip_invalid_imports_the_good_rows() {
    let mut p = portfolio_with([deposit("2023-12-01", "1")]);
    let report = p.import(csv_rows(BAD_CSV), true).unwrap();
    assert_eq!(report.imported, 2);
    assert_eq!(
        lines_fields(&report.skipped),
        expected_rows(&BAD_CSV_ERRORS)
    );
    assert!(report.skipped.iter().all(|e| !e.reason.is_empty()));
    assert_eq!(
        p.transactions(),
        [
            deposit("2023-12-01", "1"),
            deposit("2024-01-02", "1000"),
            buy("2024-01-06", "AAPL", "5", "10")
        ]
    );
    assert_eq!(cash_of(p.holdings(), USD), dec("951"));
}

#[test]
fn csv_row_errors_carry_the_reason_without_the_field() {
    let csv = format!("{HEADER}\n2024-01-02,buy,AAPL,1,abc,0,USD\n");
    let err = portfolio().import(csv_rows(&csv), false).unwrap_err();
    let Error::Import { errors } = err else {
        panic!("expected Import")
    };
    assert_eq!(errors[0].line, 2);
    assert_eq!(errors[0].field, "price");
    assert!(errors[0].reason.contains("abc"), "{}", errors[0].reason);
    assert!(
        !errors[0].reason.starts_with("price:"),
        "{}",
        errors[0].reason
    );
}

#[test]
fn csv_rows_out_of_date_order_are_sorted() {
    let csv = "date,type,symbol,quantity,price,fee,currency
2024-03-01,sell,AAPL,4,120,1,USD
2024-02-01,dividend,AAPL,,5,0,USD
2024-01-02,buy,AAPL,10,100,1,USD
2024-01-03,buy,AAPL,2,50,0,USD
2024-01-03,sell,AAPL,12,60,0,USD
2024-01-03,buy,AAPL,10,100,1,USD
";
    let mut p = portfolio();
    let report = p.import(csv_rows(csv), false).unwrap();
    assert_eq!(report.imported, 6);
    assert!(report.skipped.is_empty());
    let dates: Vec<NaiveDate> = p.transactions().iter().map(|t| t.date).collect();
    let mut sorted = dates.clone();
    sorted.sort();
    assert_eq!(dates, sorted);
    // Rows of one date keep their file order (buy 2, sell 12, buy 10).
    let kinds: Vec<String> = p
        .transactions()
        .iter()
        .map(|t| t.transaction_type().to_string())
        .collect();
    assert_eq!(kinds, ["buy", "buy", "sell", "buy", "dividend", "sell"]);
    let aapl = position(&p, "AAPL");
    assert_eq!(aapl.quantity(), dec("6"));
    // 4 x 120 - 1 - 4 x 100.1
    assert_eq!(aapl.realized_pnl(), dec("720") - dec("1101") + dec("78.6"));
}

#[test]
fn csv_import_into_a_portfolio_with_a_later_log_validates_against_it() {
    let mut p = portfolio_with([
        buy("2024-02-01", "AAPL", "10", "100"),
        sell("2024-03-01", "AAPL", "10", "110"),
    ]);
    let before = p.clone();
    // An earlier sale of 5 leaves too few for the later sale of 10.
    let csv = format!("{HEADER}\n2024-02-15,sell,AAPL,5,100,0,USD\n");
    let err = p.import(csv_rows(&csv), false).unwrap_err();
    assert_eq!(import_errors(err), expected_rows(&[(2, "quantity")]));
    assert_eq!(p, before);
    // An earlier buy is fine and lands first in the log.
    let csv = format!("{HEADER}\n2024-01-15,buy,AAPL,5,90,0,USD\n");
    p.import(csv_rows(&csv), false).unwrap();
    assert_eq!(p.transactions()[0].date, day("2024-01-15"));
    assert_eq!(position(&p, "AAPL").quantity(), dec("5"));
}

#[test]
fn csv_header_missing_a_column_is_a_format_error() {
    for header in [
        "date,type,symbol,quantity,price,fee",
        "date,type,symbol,price,fee,currency",
        "type,symbol,quantity,price,fee,currency",
    ] {
        let csv = format!("{header}\n2024-01-02,buy,AAPL,10,100,0\n");
        let err = io::read_transactions_csv(csv.as_bytes()).unwrap_err();
        assert!(
            matches!(err, Error::Format { format: "csv", .. }),
            "{header}: {err:?}"
        );
    }
    // fee is optional; columns may come in any order, in any case, with extras.
    let csv =
        "Currency,note,Date,TYPE,symbol,quantity,price\nUSD,hello,2024-01-02,buy,AAPL,10,100\n";
    let rows = io::read_transactions_csv(csv.as_bytes()).unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].0, 2);
    assert_eq!(
        rows[0].1.as_ref().unwrap(),
        &buy("2024-01-02", "AAPL", "10", "100")
    );
}

#[test]
fn csv_rows_with_the_wrong_number_of_fields_are_reported() {
    let csv = format!(
        "{HEADER}\n2024-01-02,deposit,,,1000,0\n2024-01-02,deposit,,,1000,0,USD,x,y\n2024-01-02,deposit,,,1000,0,USD\n"
    );
    let rows = csv_rows(&csv);
    assert_eq!(rows.len(), 3);
    for (line, row) in &rows[..2] {
        let errs = row.as_ref().unwrap_err();
        assert_eq!(errs.len(), 1);
        assert_eq!(errs[0].field(), Some("row"), "line {line}");
        assert!(
            errs[0].to_string().contains("expected 7 fields"),
            "{}",
            errs[0]
        );
    }
    assert_eq!(rows[0].0, 2);
    assert_eq!(rows[1].0, 3);
    assert!(rows[2].1.is_ok());
    let mut p = portfolio();
    let err = p.import(rows, false).unwrap_err();
    assert_eq!(import_errors(err), expected_rows(&[(2, "row"), (3, "row")]));
    assert_eq!(p, portfolio());
}

const BAD_JSON: &str = r#"[
  {"date":"2024-01-02","type":"deposit","price":"1000","currency":"USD"},
  {"date":"2024-01-03","type":"buy","symbol":"AAPL","quantity":"5","price":"0","currency":"USD"},
  {"date":"2024-01-04","type":"buy","symbol":"AAPL","quantity":5,"price":10,"fee":null,"currency":"USD"},
  "not an object",
  {"date":"2024-01-05","type":"sell","symbol":"AAPL","quantity":"50","price":"10","currency":"USD"},
  {"date":"2024-01-06","type":"split","symbol":"AAPL","quantity":"0","currency":"USD"},
  {"date":"2024-13-01","type":"deposit","price":"1","currency":"USD"},
  {"type":"deposit","price":"1","currency":"USD"}
]"#;

const BAD_JSON_ERRORS: [(usize, &str); 6] = [
    (2, "price"),
    (4, "row"),
    (5, "quantity"),
    (6, "quantity"),
    (7, "date"),
    (8, "row"),
];

#[test]
fn json_import_reports_rows_by_array_position() {
    let rows = io::read_transactions_json(BAD_JSON.as_bytes()).unwrap();
    let lines: Vec<usize> = rows.iter().map(|(l, _)| *l).collect();
    assert_eq!(lines, [1, 2, 3, 4, 5, 6, 7, 8]);

    let mut p = portfolio();
    let err = p.import(rows, false).unwrap_err();
    assert_eq!(import_errors(err), expected_rows(&BAD_JSON_ERRORS));
    assert_eq!(p, portfolio());

    let rows = io::read_transactions_json(BAD_JSON.as_bytes()).unwrap();
    let report = p.import(rows, true).unwrap();
    assert_eq!(report.imported, 2);
    assert_eq!(
        lines_fields(&report.skipped),
        expected_rows(&BAD_JSON_ERRORS)
    );
    assert_eq!(
        p.transactions(),
        [
            deposit("2024-01-02", "1000"),
            buy("2024-01-04", "AAPL", "5", "10")
        ]
    );
}

#[test]
fn json_that_is_not_an_array_is_a_format_error() {
    for text in ["{}", "[1, 2", "", r#"{"date":"2024-01-02"}"#] {
        let err = io::read_transactions_json(text.as_bytes()).unwrap_err();
        assert!(
            matches!(err, Error::Format { format: "json", .. }),
            "{text}: {err:?}"
        );
    }
}

fn everything_portfolio() -> Portfolio {
    portfolio_with([
        deposit("2024-01-02", "10000.50"),
        with_fee(buy("2024-01-02", "AAPL", "10", "185.64"), "1.25"),
        buy("2024-01-03", "BRK.B", "0.125", "363.2"),
        buy("2024-01-03", "AT&T", "3", "17"),
        buy_in("2024-01-04", "SAP", "2.5", "140.2", EUR),
        with_fee(sell("2024-02-01", "AAPL", "4", "190"), "0.99"),
        with_fee(dividend("2024-02-15", "AAPL", "1.44"), "0.1"),
        split("2024-03-01", "AAPL", "4"),
        split("2024-03-02", "BRK.B", "0.5"),
        with_fee(withdrawal("2024-03-05", "100"), "2"),
        fee_tx("2024-03-31", "4.5"),
        deposit_in("2024-04-01", "50", EUR),
        dividend_in("2024-04-02", "SAP", "3.1", EUR),
    ])
}

#[test]
fn csv_export_then_import_round_trips() {
    let p = everything_portfolio();
    let mut out = Vec::new();
    io::write_transactions_csv(&mut out, p.transactions()).unwrap();
    let text = String::from_utf8(out).unwrap();
    assert!(
        text.starts_with("date,type,symbol,quantity,price,fee,currency\n"),
        "{text}"
    );

    let rows = csv_rows(&text);
    let lines: Vec<usize> = rows.iter().map(|(l, _)| *l).collect();
    assert_eq!(lines, (2..2 + p.transactions().len()).collect::<Vec<_>>());
    let txs: Vec<Transaction> = rows.iter().map(|(_, r)| r.clone().unwrap()).collect();
    assert_eq!(txs, p.transactions());

    let mut q = portfolio();
    q.import(rows, false).unwrap();
    assert_eq!(q, p);
}

#[test]
fn json_export_then_import_round_trips() {
    let p = everything_portfolio();
    let mut out = Vec::new();
    io::write_transactions_json(&mut out, p.transactions()).unwrap();
    let rows = io::read_transactions_json(out.as_slice()).unwrap();
    let txs: Vec<Transaction> = rows.iter().map(|(_, r)| r.clone().unwrap()).collect();
    assert_eq!(txs, p.transactions());
    let mut q = portfolio();
    q.import(rows, false).unwrap();
    assert_eq!(q, p);
}

// ---------------------------------------------------------------------------
// Valuation
// ---------------------------------------------------------------------------

const FX_PRICES: &str = "date,AAPL,SAP,EURUSD=X
2024-01-02,100,50,1.10
2024-01-03,110,,1.20
2024-01-04,,55,
";

/// 2000 USD in, 10 AAPL at 100 (USD), 4 SAP at 50 (EUR, implicitly funded).
fn fx_portfolio() -> Portfolio {
    portfolio_with([
        deposit("2024-01-02", "2000"),
        buy("2024-01-02", "AAPL", "10", "100"),
        buy_in("2024-01-03", "SAP", "4", "50", EUR),
    ])
}

#[test]
fn valuation_is_positions_at_last_price_plus_cash_with_fx() {
    let p = fx_portfolio();
    let v = p.valuation(&prices(FX_PRICES), day("2024-01-04")).unwrap();
    assert_eq!(v.as_of, day("2024-01-04"));
    assert_eq!(v.base_currency, USD);
    assert_eq!(v.cash, dec("1000"));
    // 10 x 110 (carried from 01-03) + 4 x 55 x 1.20 (FX carried from 01-03) + 1000
    assert_eq!(v.value, dec("2364"));
    assert_eq!(v.positions.len(), 2);

    let aapl = &v.positions[0];
    assert_eq!(aapl.symbol, sym("AAPL"));
    assert_eq!(aapl.price, dec("110"));
    assert_eq!(aapl.price_date, day("2024-01-03"));
    assert_eq!(aapl.value, dec("1100"));
    assert_eq!(aapl.quantity, dec("10"));
    assert_eq!(aapl.avg_cost, dec("100"));
    assert_eq!(aapl.unrealized_pnl, dec("100"));

    let sap = &v.positions[1];
    assert_eq!(sap.symbol, sym("SAP"));
    assert_eq!(sap.currency, EUR);
    assert_eq!(sap.price, dec("55"));
    assert_eq!(sap.price_date, day("2024-01-04"));
    assert_eq!(sap.value, dec("264"));
    assert_eq!(sap.avg_cost, dec("50"));
    assert_eq!(sap.unrealized_pnl, dec("24")); // 264 - 200 x 1.20

    assert_close(aapl.weight, 1100.0 / 2364.0, 1e-12);
    assert_close(sap.weight, 264.0 / 2364.0, 1e-12);
}

#[test]
fn valuation_before_a_trade_excludes_it() {
    let p = fx_portfolio();
    let frame = prices(FX_PRICES);
    let v = p.valuation(&frame, day("2024-01-02")).unwrap();
    assert_eq!(v.positions.len(), 1);
    assert_eq!(v.positions[0].symbol, sym("AAPL"));
    assert_eq!(v.value, dec("2000"));
    // On 01-03 SAP's price is carried from 01-02 (the 01-03 cell is empty).
    let v = p.valuation(&frame, day("2024-01-03")).unwrap();
    assert_eq!(v.positions[1].price, dec("50"));
    assert_eq!(v.positions[1].price_date, day("2024-01-02"));
    assert_eq!(v.value, dec("2340")); // 1100 + 4 x 50 x 1.2 + 1000
    // Before anything happened.
    let v = p.valuation(&frame, day("2023-12-31")).unwrap();
    assert!(v.positions.is_empty());
    assert!(v.value.is_zero());
}

#[test]
fn valuation_uses_the_inverse_fx_column() {
    let frame = prices(
        "date,AAPL,SAP,USDEUR=X
2024-01-02,100,50,0.8
2024-01-04,110,55,
",
    );
    let mut p = fx_portfolio();
    p.insert(deposit_in("2024-01-04", "100", EUR)).unwrap();
    let v = p.valuation(&frame, day("2024-01-04")).unwrap();
    // 1 / 0.8 = 1.25 USD per EUR.
    assert_eq!(v.positions[1].value, dec("275"));
    assert_eq!(v.positions[1].unrealized_pnl, dec("25"));
    assert_eq!(v.cash, dec("1125"));
    assert_eq!(v.value, dec("2500"));
}

#[test]
fn valuation_of_a_held_symbol_without_price_is_missing_price() {
    let mut p = fx_portfolio();
    p.insert(buy("2024-01-03", "MSFT", "1", "370")).unwrap();
    let err = p
        .valuation(&prices(FX_PRICES), day("2024-01-04"))
        .unwrap_err();
    assert_eq!(
        err,
        Error::MissingPrice {
            symbol: sym("MSFT"),
            date: day("2024-01-04")
        }
    );
    // A column that only starts after the valuation date is no price either.
    let frame = prices("date,AAPL\n2024-01-02,\n2024-01-03,110\n");
    let p = portfolio_with([buy("2024-01-02", "AAPL", "1", "100")]);
    let err = p.valuation(&frame, day("2024-01-02")).unwrap_err();
    assert!(
        matches!(&err, Error::MissingPrice { symbol, .. } if *symbol == sym("AAPL")),
        "{err:?}"
    );
    assert!(p.valuation(&frame, day("2024-01-03")).is_ok());
}

#[test]
fn valuation_of_a_currency_without_fx_is_missing_fx() {
    let frame = prices("date,AAPL,SAP\n2024-01-02,100,50\n");
    let err = fx_portfolio()
        .valuation(&frame, day("2024-01-04"))
        .unwrap_err();
    assert_eq!(
        err,
        Error::MissingFx {
            from: EUR,
            to: USD,
            date: day("2024-01-04")
        }
    );
    // Cash alone in a foreign currency needs a rate too.
    let p = portfolio_with([deposit_in("2024-01-02", "10", EUR)]);
    assert!(matches!(
        p.valuation(&frame, day("2024-01-02")),
        Err(Error::MissingFx { from: EUR, .. })
    ));
    // A rate column with no rate yet on the date is no rate.
    let frame = prices("date,EURUSD=X\n2024-01-02,\n2024-01-03,1.1\n");
    assert!(matches!(
        p.valuation(&frame, day("2024-01-02")),
        Err(Error::MissingFx { from: EUR, .. })
    ));
    let v = p.valuation(&frame, day("2024-01-03")).unwrap();
    assert_eq!(v.value, dec("11"));
}

#[test]
fn weights_and_cash_sum_to_one() {
    let p = fx_portfolio();
    for as_of in ["2024-01-02", "2024-01-03", "2024-01-04"] {
        let v = p.valuation(&prices(FX_PRICES), day(as_of)).unwrap();
        let cash_weight = f64::try_from(v.cash / v.value).unwrap();
        let sum: f64 = v.positions.iter().map(|p| p.weight).sum::<f64>() + cash_weight;
        assert_close(sum, 1.0, 1e-12);
        let values: Decimal = v.positions.iter().map(|p| p.value).sum();
        assert_eq!(values + v.cash, v.value, "{as_of}");
    }
}

#[test]
fn valuation_reports_realised_pnl() {
    let p = portfolio_with([
        buy("2024-01-02", "AAPL", "10", "100"),
        sell("2024-01-03", "AAPL", "4", "110"),
    ]);
    let v = p.valuation(&prices(FX_PRICES), day("2024-01-04")).unwrap();
    assert_eq!(v.positions[0].realized_pnl, dec("40"));
    assert_eq!(v.positions[0].unrealized_pnl, dec("60"));
    assert_eq!(v.cash, dec("440"));
}

// ---------------------------------------------------------------------------
// Time-weighted return
// ---------------------------------------------------------------------------

fn twr(p: &Portfolio, frame: &PriceFrame, start: &str, end: &str) -> f64 {
    p.time_weighted_return(frame, day(start), day(end)).unwrap()
}

#[track_caller]
fn assert_daily_returns_compound_to_twr(p: &Portfolio, frame: &PriceFrame, start: &str, end: &str) {
    let series = p.value_series(frame, day(start), day(end)).unwrap();
    let total = series.time_weighted_return();
    assert_close(total, twr(p, frame, start, end), 1e-15);
    let daily = series.daily_returns();
    let compounded = daily.values().iter().fold(1.0, |g, r| g * (1.0 + r)) - 1.0;
    assert_close(compounded, total, 1e-12);
    assert_eq!(daily.dates().len(), daily.values().len());
    assert!(daily.dates().windows(2).all(|w| w[0] < w[1]));
}

const BUY_HOLD_PRICES: &str = "date,AAPL
2024-01-02,100
2024-01-03,105
2024-01-04,99
2024-01-05,120
";

#[test]
fn twr_buy_and_hold_equals_the_price_return() {
    let frame = prices(BUY_HOLD_PRICES);
    // Implicitly funded.
    let p = portfolio_with([buy("2024-01-02", "AAPL", "10", "100")]);
    assert_close(twr(&p, &frame, "2024-01-02", "2024-01-05"), 0.2, 1e-12);
    assert_close(
        twr(&p, &frame, "2024-01-03", "2024-01-05"),
        120.0 / 105.0 - 1.0,
        1e-12,
    );
    assert_close(twr(&p, &frame, "2024-01-02", "2024-01-04"), -0.01, 1e-12);
    // Explicitly funded, fully invested: the same.
    let q = portfolio_with([
        deposit("2024-01-02", "1000"),
        buy("2024-01-02", "AAPL", "10", "100"),
    ]);
    assert_close(twr(&q, &frame, "2024-01-02", "2024-01-05"), 0.2, 1e-12);
    // Starting before the first trade changes nothing.
    assert_close(twr(&q, &frame, "2023-12-01", "2024-01-05"), 0.2, 1e-12);
}

#[test]
fn twr_deposit_mid_period_is_not_return() {
    let frame = prices(
        "date,AAPL
2024-01-02,100
2024-01-03,110
2024-01-04,110
2024-01-05,121
",
    );
    let p = portfolio_with([
        deposit("2024-01-02", "1000"),
        buy("2024-01-02", "AAPL", "10", "100"),
        deposit("2024-01-04", "1100"),
        buy("2024-01-04", "AAPL", "10", "110"),
    ]);
    // Value goes 1000 -> 2420 but 1100 of that was paid in: TWR = 1.1 x 1.1 - 1.
    let r = twr(&p, &frame, "2024-01-02", "2024-01-05");
    assert_close(r, 0.21, 1e-12);

    // A deposit left in cash earns nothing: 1.1 (day 2), then the stock's 10%
    // on 1210 of 2210 on day 4.
    let q = portfolio_with([
        deposit("2024-01-02", "1000"),
        buy("2024-01-02", "AAPL", "10", "100"),
        deposit("2024-01-04", "1000"),
    ]);
    let r = twr(&q, &frame, "2024-01-02", "2024-01-05");
    assert_close(r, 1.1 * (2210.0 / 2100.0) - 1.0, 1e-12);
    assert_daily_returns_compound_to_twr(&q, &frame, "2024-01-02", "2024-01-05");
}

#[test]
fn twr_sold_out_withdrawn_redeposited_and_bought_again() {
    let frame = prices(
        "date,AAPL
2024-01-02,100
2024-01-03,110
2024-01-04,121
2024-01-05,90
2024-01-08,60
2024-01-09,80
2024-01-10,88
",
    );
    let p = portfolio_with([
        deposit("2024-01-02", "1000"),
        buy("2024-01-02", "AAPL", "10", "100"),
        sell("2024-01-04", "AAPL", "10", "121"),
        withdrawal("2024-01-04", "1210"),
        deposit("2024-01-09", "800"),
        buy("2024-01-09", "AAPL", "10", "80"),
    ]);
    // 121/100 while held, nothing while out, 88/80 after re-entry.
    let r = twr(&p, &frame, "2024-01-02", "2024-01-10");
    assert_close(r, 1.21 * 1.1 - 1.0, 1e-12);
    let series = p
        .value_series(&frame, day("2024-01-02"), day("2024-01-10"))
        .unwrap();
    assert!(
        series.sub_period_returns().iter().all(|r| *r > -0.5),
        "{series:?}"
    );
    assert_daily_returns_compound_to_twr(&p, &frame, "2024-01-02", "2024-01-10");
    // The money-weighted return is finite too.
    assert!(
        p.money_weighted_return(&frame, day("2024-01-02"), day("2024-01-10"))
            .unwrap()
            .is_finite()
    );
}

#[test]
fn twr_with_cash_flows_on_days_without_prices() {
    // 2024-01-04 is a Thursday; no prices on the weekend of 6-7 January.
    let frame = prices(
        "date,AAPL
2024-01-04,100
2024-01-05,110
2024-01-08,121
",
    );
    let p = portfolio_with([
        deposit("2024-01-04", "1000"),
        buy("2024-01-04", "AAPL", "10", "100"),
        deposit("2024-01-06", "1100"),   // Saturday
        withdrawal("2024-01-07", "500"), // Sunday
    ]);
    // Friday: 1.1. Weekend: no price moves, the flows are not return.
    // Monday: the stock's 10% on 1100 of the 1700 then invested.
    let expected = 1.1 * (1.0 + 110.0 / 1700.0) - 1.0;
    let r = twr(&p, &frame, "2024-01-04", "2024-01-08");
    assert_close(r, expected, 1e-12);

    let series = p
        .value_series(&frame, day("2024-01-04"), day("2024-01-08"))
        .unwrap();
    let points: Vec<(NaiveDate, Decimal, bool)> = series
        .points
        .iter()
        .map(|pt| (pt.date, pt.value, pt.price_date))
        .collect();
    assert_eq!(
        points,
        [
            (day("2024-01-04"), dec("1000"), true),
            (day("2024-01-05"), dec("1100"), true),
            (day("2024-01-06"), dec("2200"), false),
            (day("2024-01-07"), dec("1700"), false),
            (day("2024-01-08"), dec("1810"), true),
        ]
    );
    let subs = series.sub_period_returns();
    assert_close(subs[1], 0.0, 1e-12);
    assert_close(subs[2], 0.0, 1e-12);
    assert_daily_returns_compound_to_twr(&p, &frame, "2024-01-04", "2024-01-08");

    // Sold out on Friday, everything withdrawn on Saturday: not -100%.
    let q = portfolio_with([
        buy("2024-01-04", "AAPL", "10", "100"),
        sell("2024-01-05", "AAPL", "10", "110"),
        withdrawal("2024-01-06", "1100"),
    ]);
    assert_close(twr(&q, &frame, "2024-01-04", "2024-01-08"), 0.1, 1e-12);
    assert_close(twr(&q, &frame, "2024-01-04", "2024-01-06"), 0.1, 1e-12);
    assert_daily_returns_compound_to_twr(&q, &frame, "2024-01-04", "2024-01-08");
}

#[test]
fn twr_full_withdrawal_then_nothing_held_then_re_entry() {
    let frame = prices(
        "date,AAPL,MSFT
2024-01-02,100,10
2024-01-03,105,10
2024-01-04,110,10
2024-01-05,200,20
2024-01-08,50,5
2024-01-09,50,40
2024-01-10,55,50
",
    );
    let p = portfolio_with([
        buy("2024-01-02", "AAPL", "10", "100"),
        sell("2024-01-03", "AAPL", "10", "105"),
        withdrawal("2024-01-06", "1050"), // a Saturday: cash sat idle until then
        buy("2024-01-09", "MSFT", "10", "40"), // re-entry, implicitly funded
    ]);
    let r = twr(&p, &frame, "2024-01-02", "2024-01-10");
    assert_close(r, 1.05 * 1.25 - 1.0, 1e-12);
    assert_daily_returns_compound_to_twr(&p, &frame, "2024-01-02", "2024-01-10");
    // Measured from inside the empty stretch, only the re-entry counts.
    assert_close(twr(&p, &frame, "2024-01-07", "2024-01-10"), 0.25, 1e-12);
    // Measured up to the empty stretch, only the first holding counts.
    assert_close(twr(&p, &frame, "2024-01-02", "2024-01-08"), 0.05, 1e-12);
}

#[test]
fn daily_returns_compound_to_the_twr_even_when_the_period_ends_without_a_price() {
    let frame = prices(
        "date,AAPL
2024-01-04,100
2024-01-05,110
2024-01-08,121
",
    );
    // A custody fee on Sunday, and the period ends that Sunday.
    let p = portfolio_with([
        deposit("2024-01-04", "1100"),
        buy("2024-01-04", "AAPL", "10", "100"),
        fee_tx("2024-01-07", "10"),
    ]);
    let r = twr(&p, &frame, "2024-01-04", "2024-01-07");
    // 1100 -> 1200 on Friday, then the fee: 1200 -> 1190 on Sunday.
    assert_close(r, (1200.0 / 1100.0) * (1190.0 / 1200.0) - 1.0, 1e-12);
    assert_daily_returns_compound_to_twr(&p, &frame, "2024-01-04", "2024-01-07");
    assert_daily_returns_compound_to_twr(&p, &frame, "2024-01-04", "2024-01-08");
    // The daily returns fall on dates of the period only.
    let daily = p
        .value_series(&frame, day("2024-01-04"), day("2024-01-07"))
        .unwrap()
        .daily_returns();
    assert!(
        daily
            .dates()
            .iter()
            .all(|d| *d > day("2024-01-04") && *d <= day("2024-01-07"))
    );

    // A period with no price date after its start: the one return is dated on
    // its last day.
    let q = portfolio_with([deposit("2024-01-06", "1000"), fee_tx("2024-01-07", "10")]);
    let series = q
        .value_series(&frame, day("2024-01-06"), day("2024-01-07"))
        .unwrap();
    assert_close(series.time_weighted_return(), -0.01, 1e-12);
    let daily = series.daily_returns();
    assert_eq!(daily.dates(), [day("2024-01-07")]);
    assert_close(daily.values()[0], -0.01, 1e-12);
    assert_daily_returns_compound_to_twr(&q, &frame, "2024-01-06", "2024-01-07");
}

#[test]
fn daily_returns_are_on_price_dates_and_compound_to_the_twr() {
    let frame = prices(BUY_HOLD_PRICES);
    let p = portfolio_with([
        deposit("2024-01-02", "500"),
        buy("2024-01-02", "AAPL", "10", "100"),
        deposit("2024-01-03", "300"),
        with_fee(sell("2024-01-04", "AAPL", "3", "99"), "1"),
        withdrawal("2024-01-04", "200"),
    ]);
    let series = p
        .value_series(&frame, day("2024-01-02"), day("2024-01-05"))
        .unwrap();
    let daily = series.daily_returns();
    assert_eq!(daily.start(), Some(day("2024-01-02")));
    assert_eq!(
        daily.dates(),
        [day("2024-01-03"), day("2024-01-04"), day("2024-01-05")]
    );
    assert_daily_returns_compound_to_twr(&p, &frame, "2024-01-02", "2024-01-05");
}

#[test]
fn twr_invalid_periods() {
    let frame = prices(BUY_HOLD_PRICES);
    let p = portfolio_with([buy("2024-01-03", "AAPL", "10", "105")]);
    let err = p
        .time_weighted_return(&frame, day("2024-01-05"), day("2024-01-02"))
        .unwrap_err();
    assert!(matches!(err, Error::InvalidPeriod { .. }), "{err:?}");
    let err = p
        .money_weighted_return(&frame, day("2024-01-05"), day("2024-01-02"))
        .unwrap_err();
    assert!(matches!(err, Error::InvalidPeriod { .. }), "{err:?}");
    // Nothing held yet.
    let err = p
        .time_weighted_return(&frame, day("2023-01-01"), day("2024-01-02"))
        .unwrap_err();
    assert!(matches!(err, Error::InvalidPeriod { .. }), "{err:?}");
    // An empty portfolio.
    let err = portfolio()
        .time_weighted_return(&frame, day("2024-01-02"), day("2024-01-05"))
        .unwrap_err();
    assert!(matches!(err, Error::InvalidPeriod { .. }), "{err:?}");
    // Nothing held after everything was sold and withdrawn.
    let q = portfolio_with([
        buy("2024-01-02", "AAPL", "10", "100"),
        sell("2024-01-03", "AAPL", "10", "105"),
        withdrawal("2024-01-03", "1050"),
    ]);
    let err = q
        .time_weighted_return(&frame, day("2024-01-04"), day("2024-01-05"))
        .unwrap_err();
    assert!(matches!(err, Error::InvalidPeriod { .. }), "{err:?}");
    // A one-day period that holds something is valid: 0%.
    assert_close(twr(&p, &frame, "2024-01-03", "2024-01-03"), 0.0, 1e-15);
}

#[test]
fn twr_missing_price_in_the_period_is_an_error() {
    let frame = prices(BUY_HOLD_PRICES);
    let p = portfolio_with([buy("2024-01-03", "MSFT", "1", "100")]);
    let err = p
        .time_weighted_return(&frame, day("2024-01-02"), day("2024-01-05"))
        .unwrap_err();
    assert!(matches!(err, Error::MissingPrice { .. }), "{err:?}");
}

// ---------------------------------------------------------------------------
// XIRR
// ---------------------------------------------------------------------------

fn npv(flows: &[(NaiveDate, f64)], r: f64) -> f64 {
    let t0 = flows[0].0;
    flows
        .iter()
        .map(|(d, a)| a * (1.0 + r).powf(-((*d - t0).num_days() as f64) / 365.0))
        .sum()
}

#[test]
fn xirr_single_deposit_growing_ten_percent_in_365_days() {
    let flows = [(day("2023-01-02"), -1000.0), (day("2024-01-02"), 1100.0)];
    assert_close(xirr(&flows).unwrap(), 0.10, 1e-9);

    let frame = prices("date,AAPL\n2023-01-02,100\n2023-06-01,80\n2024-01-02,110\n");
    let p = portfolio_with([
        deposit("2023-01-02", "1000"),
        buy("2023-01-02", "AAPL", "10", "100"),
    ]);
    let mwr = p
        .money_weighted_return(&frame, day("2023-01-02"), day("2024-01-02"))
        .unwrap();
    assert_close(mwr, 0.10, 1e-9);
}

#[test]
fn xirr_two_deposits_against_a_hand_solved_rate() {
    // 1000 (1.1)^2 + 1100 (1.1) = 2420: r = 10% exactly.
    let flows = [
        (day("2021-01-04"), -1000.0),
        (day("2022-01-04"), -1100.0),
        (day("2023-01-04"), 2420.0),
    ];
    assert_close(xirr(&flows).unwrap(), 0.10, 1e-9);

    let frame = prices("date,AAPL\n2021-01-04,100\n2022-01-04,110\n2023-01-04,121\n");
    let p = portfolio_with([
        deposit("2021-01-04", "1000"),
        buy("2021-01-04", "AAPL", "10", "100"),
        deposit("2022-01-04", "1100"),
        buy("2022-01-04", "AAPL", "10", "110"),
    ]);
    let mwr = p
        .money_weighted_return(&frame, day("2021-01-04"), day("2023-01-04"))
        .unwrap();
    assert_close(mwr, 0.10, 1e-9);
}

#[test]
fn xirr_uneven_flows_zero_the_npv() {
    let flows = [
        (day("2024-01-01"), -1000.0),
        (day("2024-04-10"), -500.0),
        (day("2024-09-30"), 200.0),
        (day("2025-01-01"), 1450.0),
    ];
    let r = xirr(&flows).unwrap();
    assert!(r > 0.0 && r < 1.0, "{r}");
    assert_close(npv(&flows, r), 0.0, 1e-6);
    // A losing investment has a negative rate.
    let flows = [(day("2024-01-01"), -1000.0), (day("2024-07-01"), 600.0)];
    let r = xirr(&flows).unwrap();
    assert!(r < 0.0 && r > -1.0, "{r}");
    assert_close(npv(&flows, r), 0.0, 1e-6);
}

#[test]
fn xirr_without_flows_both_ways_is_no_irr() {
    let d0 = day("2024-01-01");
    let d1 = day("2025-01-01");
    for flows in [
        vec![(d0, -1000.0), (d1, -100.0)],
        vec![(d0, 1000.0), (d1, 100.0)],
        vec![(d0, -1000.0), (d1, 0.0)],
        vec![(d0, -1000.0), (d0, 1100.0)],
        vec![],
    ] {
        let err = xirr(&flows).unwrap_err();
        assert!(matches!(err, Error::NoIrr(_)), "{flows:?}: {err:?}");
    }
}

// ---------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------

const PROP_SYMBOLS: [&str; 3] = ["AAA", "BBB", "CCC"];
const PROP_PRICES: &str = "date,AAA,BBB,CCC
2024-01-02,12.5,230.75,3.2
2024-06-28,13.1,199.5,4.05
";

fn cents(n: u32) -> Decimal {
    Decimal::new(i64::from(n), 2)
}

fn base_date() -> NaiveDate {
    day("2024-01-01")
}

fn buy_d(date: NaiveDate, s: &str, q: Decimal, p: Decimal) -> Transaction {
    Transaction::new(
        date,
        TransactionKind::Buy {
            symbol: sym(s),
            quantity: Quantity::new("quantity", q).unwrap(),
            price: Price::new("price", p).unwrap(),
        },
        USD,
    )
}

fn sell_d(date: NaiveDate, s: &str, q: Decimal, p: Decimal) -> Transaction {
    Transaction::new(
        date,
        TransactionKind::Sell {
            symbol: sym(s),
            quantity: Quantity::new("quantity", q).unwrap(),
            price: Price::new("price", p).unwrap(),
        },
        USD,
    )
}

fn cash_d(date: NaiveDate, amount: Decimal, out: bool) -> Transaction {
    let amount = Price::new("price", amount).unwrap();
    let kind = if out {
        TransactionKind::Withdrawal { amount }
    } else {
        TransactionKind::Deposit { amount }
    };
    Transaction::new(date, kind, USD)
}

/// Any transaction, valid or not: any kind, symbol, currency, date (some in
/// the future), and a fee that may be negative.
fn arb_transaction() -> impl Strategy<Value = Transaction> {
    (
        0u8..7,
        0usize..4,
        prop::bool::weighted(0.2),
        -10i64..200,
        1u32..3000,
        1u32..200_000,
        -50i64..300,
    )
        .prop_map(|(kind, s, eur, offset, q, a, fee)| {
            let symbol = sym(["AAA", "BBB", "CCC", "ZZZ"][s]);
            let quantity = Quantity::new("quantity", cents(q)).unwrap();
            let amount = Price::new("price", cents(a)).unwrap();
            let kind = match kind {
                0 => TransactionKind::Buy {
                    symbol,
                    quantity,
                    price: amount,
                },
                1 => TransactionKind::Sell {
                    symbol,
                    quantity,
                    price: amount,
                },
                2 => TransactionKind::Dividend { symbol, amount },
                3 => TransactionKind::Split {
                    symbol,
                    ratio: qty(["0.5", "2", "4", "0.1"][q as usize % 4]),
                },
                4 => TransactionKind::Deposit { amount },
                5 => TransactionKind::Withdrawal { amount },
                _ => TransactionKind::Fee { amount },
            };
            let ccy = if eur { EUR } else { USD };
            let date = base_date()
                .checked_add_signed(chrono::TimeDelta::days(offset))
                .unwrap();
            let mut t = Transaction::new(date, kind, ccy);
            t.fee = Decimal::new(fee, 2);
            t
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn scaling_every_quantity_leaves_weights_unchanged(
        buys in prop::collection::vec((0usize..3, 1u32..100_000, 0u32..2), 1..10),
        deposit_cents in 0u32..10_000_000,
        k_cents in 1u32..10_000,
    ) {
        let k = cents(k_cents);
        let frame = prices(PROP_PRICES);
        let buy_prices = [dec("12.5"), dec("230.75"), dec("3.2")];
        let build = |scale: Decimal| {
            let mut p = portfolio();
            if deposit_cents > 0 {
                p.insert(cash_d(base_date(), cents(deposit_cents) * scale, false)).unwrap();
            }
            for (i, (s, q, d)) in buys.iter().enumerate() {
                let date = base_date() + chrono::Days::new(u64::from(*d) + 1 + i as u64);
                p.insert(buy_d(date, PROP_SYMBOLS[*s], cents(*q) * scale, buy_prices[*s])).unwrap();
            }
            p
        };
        let as_of = day("2024-06-28");
        let v1 = build(Decimal::ONE).valuation(&frame, as_of).unwrap();
        let vk = build(k).valuation(&frame, as_of).unwrap();
        prop_assert_eq!(vk.value, v1.value * k);
        prop_assert_eq!(v1.positions.len(), vk.positions.len());
        for (a, b) in v1.positions.iter().zip(&vk.positions) {
            prop_assert_eq!(&a.symbol, &b.symbol);
            prop_assert_eq!(b.quantity, a.quantity * k);
            prop_assert!((a.weight - b.weight).abs() < 1e-12, "{} vs {}", a.weight, b.weight);
        }
        let cash_weight = f64::try_from(v1.cash / v1.value).unwrap();
        let total: f64 = v1.positions.iter().map(|p| p.weight).sum::<f64>() + cash_weight;
        prop_assert!((total - 1.0).abs() < 1e-9, "weights sum to {}", total);
    }

    #[test]
    fn random_trades_that_never_oversell_keep_quantity_and_cash_consistent(
        ops in prop::collection::vec((0u8..4, 0usize..3, 1u32..50_000, 1u32..100_000, 0u32..500, 0u64..3), 1..40),
    ) {
        let mut p = portfolio();
        let mut bought = [Decimal::ZERO; 3];
        let mut sold = [Decimal::ZERO; 3];
        let mut cash_expected = Decimal::ZERO;
        let mut date = base_date();
        for (kind, s, q, price, fee, step) in ops {
            date = date.checked_add_days(chrono::Days::new(step)).unwrap();
            let (q, price, fee) = (cents(q), cents(price), cents(fee));
            let held = bought[s] - sold[s];
            let cash = cash_of(p.holdings(), USD);
            let t = match kind {
                0 => {
                    bought[s] += q;
                    cash_expected -= q * price + fee;
                    buy_d(date, PROP_SYMBOLS[s], q, price).with_fee(fee).unwrap()
                }
                1 if held > Decimal::ZERO => {
                    let q = q.min(held);
                    sold[s] += q;
                    cash_expected += q * price - fee;
                    sell_d(date, PROP_SYMBOLS[s], q, price).with_fee(fee).unwrap()
                }
                2 => cash_d(date, price, false),
                3 if cash > Decimal::ZERO => cash_d(date, price.min(cash), true),
                _ => continue,
            };
            p.insert(t).unwrap();
            for m in p.holdings().cash() {
                prop_assert!(m.amount() >= Decimal::ZERO, "negative cash {}", m);
            }
        }
        for (i, s) in PROP_SYMBOLS.iter().enumerate() {
            let held = p.holdings().position(&sym(s)).map_or(Decimal::ZERO, Position::quantity);
            prop_assert_eq!(held, bought[i] - sold[i], "{}", s);
        }
        // Cash is every external flow (explicit and implicit) plus trade proceeds less costs.
        let flows: Decimal = p.holdings().flows().iter().map(|f| f.amount.amount()).sum();
        prop_assert_eq!(cash_of(p.holdings(), USD), flows + cash_expected);
    }

    #[test]
    fn a_failed_change_never_changes_the_portfolio(
        txs in prop::collection::vec(arb_transaction(), 1..30),
        removals in prop::collection::vec(0usize..40, 0..5),
    ) {
        let mut p = Portfolio::new(USD, day("2024-06-01"));
        for t in txs {
            let before = p.clone();
            let shown = format!("{t:?}");
            match p.insert(t) {
                Err(e) => {
                    prop_assert_eq!(&p, &before, "{} changed the portfolio: {}", shown, e);
                    prop_assert!(e.field().is_some(), "{:?} names no field", e);
                }
                Ok(()) => {
                    prop_assert_eq!(p.transactions().len(), before.transactions().len() + 1);
                    prop_assert!(p.transactions().windows(2).all(|w| w[0].date <= w[1].date));
                    let last = p.transactions().last().unwrap().date;
                    prop_assert_eq!(&p.holdings_at(last).unwrap(), p.holdings());
                    for m in p.holdings().cash() {
                        prop_assert!(m.amount() >= Decimal::ZERO, "negative cash {}", m);
                    }
                }
            }
        }
        for i in removals {
            let before = p.clone();
            match p.remove(i) {
                Err(_) => prop_assert_eq!(&p, &before),
                Ok(_) => prop_assert_eq!(p.transactions().len() + 1, before.transactions().len()),
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Amounts too large for an exact decimal are errors, never panics.
// ---------------------------------------------------------------------------

#[test]
fn inputs_above_the_cap_are_refused() {
    let csv = "date,type,symbol,quantity,price,fee,currency\n\
               2024-01-02,buy,AAPL,100000000001,1,0,USD\n\
               2024-01-02,buy,AAPL,1,100000000001,0,USD\n\
               2024-01-02,buy,AAPL,1,1,100000000001,USD\n";
    let rows = io::read_transactions_csv(csv.as_bytes()).unwrap();
    let mut p = Portfolio::new(Currency::USD, "2025-01-01".parse().unwrap());
    match p.import(rows, false) {
        Err(Error::Import { errors }) => {
            let got: Vec<_> = errors.iter().map(|e| (e.line, e.field.as_str())).collect();
            assert_eq!(got, [(2, "quantity"), (3, "price"), (4, "fee")]);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn overflowing_splits_and_valuations_are_errors() {
    let d = |s: &str| s.parse::<NaiveDate>().unwrap();
    let mut p = Portfolio::new(Currency::USD, d("2025-01-01"));
    let rec = |date: &str, kind: &str, q: Option<&str>, price: Option<&str>| {
        TransactionRecord {
            date: date.into(),
            kind: kind.into(),
            symbol: Some("AAPL".into()),
            quantity: q.map(Into::into),
            price: price.map(Into::into),
            fee: None,
            currency: "USD".into(),
        }
        .validate()
        .unwrap()
    };
    p.insert(rec("2024-01-02", "buy", Some("100000000000"), Some("1")))
        .unwrap();
    let before = p.clone();
    // Repeated large splits pass the share cap: refused, nothing changes.
    p.insert(rec("2024-01-03", "split", Some("1000"), None))
        .unwrap();
    let after_one = p.clone();
    let err = p
        .insert(rec("2024-01-04", "split", Some("1000"), None))
        .unwrap_err();
    assert_eq!(err.field(), Some("quantity"));
    assert!(
        matches!(err, Error::PositionTooLarge { ref symbol, .. } if symbol.as_str() == "AAPL"),
        "{err:?}"
    );
    assert!(err.to_string().contains("2024-01-04"), "{err}");
    assert_eq!(p, after_one);
    assert_eq!(p.transactions().len(), 2);
    // A price so large that the position's value overflows: a typed error.
    let prices = PriceFrame::from_csv("date,AAPL\n2024-01-02,1e25\n".as_bytes()).unwrap();
    assert!(matches!(
        before.valuation(&prices, d("2024-01-02")),
        Err(Error::Overflow { .. })
    ));
    assert!(matches!(
        before.value_series(&prices, d("2024-01-02"), d("2024-01-02")),
        Err(Error::Overflow { .. })
    ));
}

// ---------------------------------------------------------------------------
// Hostile amounts: every one is a typed error or a right answer, never a panic.
// ---------------------------------------------------------------------------

fn huge_portfolio(rows: &str) -> Result<(Portfolio, ImportReport), Error> {
    let mut p = portfolio();
    let csv = format!("{HEADER}\n{rows}");
    let report = p.import(csv_rows(&csv), false)?;
    Ok((p, report))
}

#[test]
fn a_small_sale_from_a_huge_lot_is_costed_without_overflow() {
    // cost 1e22; cost * 1e7 shares sold would be 1e29, past an exact decimal.
    let (p, _) = huge_portfolio(
        "2024-01-02,buy,AAPL,100000000000,100000000000,0,USD\n\
         2024-01-03,sell,AAPL,10000000,100000000000,0,USD\n",
    )
    .unwrap();
    let aapl = position(&p, "AAPL");
    assert_eq!(aapl.quantity(), dec("99990000000"));
    assert_eq!(aapl.cost_basis(), dec("9999000000000000000000"));
    assert_eq!(aapl.realized_pnl(), Decimal::ZERO);
    assert_eq!(aapl.avg_cost(), Some(dec("100000000000")));
}

#[test]
fn tiny_quantities_and_split_ratios_are_refused_at_the_door() {
    // Through a file.
    let err = huge_portfolio("2024-01-02,buy,AAPL,1e-28,1,100000000000,USD\n").unwrap_err();
    assert_eq!(import_errors(err), expected_rows(&[(2, "quantity")]));
    let err = huge_portfolio(
        "2024-01-02,buy,AAPL,1,1,0,USD\n\
         2024-01-03,split,AAPL,1e-28,,0,USD\n",
    )
    .unwrap_err();
    assert_eq!(import_errors(err), expected_rows(&[(3, "quantity")]));
    // Through code: Quantity::new takes them, the portfolio does not.
    let mut p = portfolio_with([buy("2024-01-02", "AAPL", "1", "1")]);
    let tiny = Quantity::new("quantity", dec("0.0000000000000000000000000001")).unwrap();
    let t = Transaction::new(
        day("2024-01-03"),
        TransactionKind::Buy {
            symbol: sym("AAPL"),
            quantity: tiny,
            price: amt("1"),
        },
        USD,
    );
    assert_refused(&mut p, t, "quantity");
    let t = Transaction::new(
        day("2024-01-03"),
        TransactionKind::Split {
            symbol: sym("AAPL"),
            ratio: tiny,
        },
        USD,
    );
    let err = assert_refused(&mut p, t, "quantity");
    assert!(err.to_string().contains("split ratio"), "{err}");
    let t = split("2024-01-03", "AAPL", "1001");
    assert_refused(&mut p, t, "quantity");
    // A fee with too many decimals is refused whichever way it comes in.
    let mut t = deposit("2024-01-03", "1");
    t.fee = dec("0.00000000001");
    assert_refused(&mut p, t, "fee");
}

#[test]
fn holdings_applied_directly_never_panic_on_extreme_amounts() {
    let tiny = Quantity::new("quantity", dec("0.0000000000000000000000000001")).unwrap();
    let max = Quantity::new("quantity", dec("100000000000")).unwrap();
    // The cost per share of 1e-28 shares bought for 1e11 does not fit a decimal.
    let mut h = Holdings::default();
    let t = Transaction::new(
        day("2024-01-02"),
        TransactionKind::Buy {
            symbol: sym("AAPL"),
            quantity: tiny,
            price: amt("1"),
        },
        USD,
    )
    .with_fee(dec("100000000000"))
    .unwrap();
    h.apply(&t).unwrap();
    let aapl = h.position(&sym("AAPL")).unwrap();
    assert_eq!(aapl.avg_cost(), None);
    let frame = prices("date,AAPL\n2024-01-02,1\n");
    assert!(matches!(
        auravest_core::value_holdings(&h, &frame, day("2024-01-02"), USD),
        Err(Error::Overflow { .. })
    ));
    // Stacked splits of two lots: each lot would fit, their sum would not.
    let mut h = Holdings::default();
    let buy_max = Transaction::new(
        day("2024-01-02"),
        TransactionKind::Buy {
            symbol: sym("AAPL"),
            quantity: max,
            price: amt("1"),
        },
        USD,
    );
    h.apply(&buy_max).unwrap();
    h.apply(&buy_max).unwrap();
    for ratio in ["100000000000", "5000000"] {
        let t = Transaction::new(
            day("2024-01-03"),
            TransactionKind::Split {
                symbol: sym("AAPL"),
                ratio: qty(ratio),
            },
            USD,
        );
        let before = h.clone();
        let err = h.apply(&t).unwrap_err();
        assert!(matches!(err, Error::PositionTooLarge { .. }), "{err:?}");
        assert_eq!(h, before);
    }
    assert_eq!(
        h.position(&sym("AAPL")).unwrap().quantity(),
        dec("200000000000")
    );
    // A sale whose cost or proceeds overflow is an error; nothing changes.
    let mut t = sell("2024-01-04", "AAPL", "1", "1");
    t.fee = Decimal::MIN;
    let before = h.clone();
    assert!(matches!(h.apply(&t), Err(Error::Overflow { .. })));
    assert_eq!(h, before);
    // A deposit whose fee takes the cash past the smallest decimal.
    let mut t = deposit("2024-01-04", "1");
    t.fee = Decimal::MIN;
    assert!(h.apply(&t).is_err());
    assert_eq!(h, before);
}

/// Extreme decimal text for a number field.
fn extreme_number() -> impl Strategy<Value = String> {
    prop::sample::select(vec![
        "1e-28",
        "0.0000000001",
        "0.00000000001",
        "0.001",
        "0.1",
        "1",
        "3",
        "999",
        "1000",
        "1001",
        "99999999999.9999999999",
        "100000000000",
        "100000000001",
        "79228162514264337593543950335",
        "1e28",
    ])
    .prop_map(str::to_owned)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn extreme_amounts_never_panic_the_ledger_or_its_valuation(
        rows in prop::collection::vec(
            (0u8..7, 0usize..2, extreme_number(), extreme_number(), extreme_number(), 0u32..30),
            1..25,
        ),
        px in prop::sample::select(vec!["1e-12", "0.5", "1", "1e11", "1e25", "1.7e308"]),
        skip in any::<bool>(),
    ) {
        let mut csv = format!("{HEADER}\n");
        for (kind, s, q, price, fee, day) in &rows {
            let date = base_date() + chrono::Days::new(u64::from(*day));
            let symbol = ["AAA", "BBB"][*s];
            let line = match kind {
                0 => format!("{date},buy,{symbol},{q},{price},{fee},USD"),
                1 => format!("{date},sell,{symbol},{q},{price},{fee},USD"),
                2 => format!("{date},split,{symbol},{q},,{fee},USD"),
                3 => format!("{date},dividend,{symbol},,{price},{fee},USD"),
                4 => format!("{date},deposit,,,{price},{fee},USD"),
                5 => format!("{date},withdrawal,,,{price},{fee},USD"),
                _ => format!("{date},fee,,,{price},{fee},USD"),
            };
            csv.push_str(&line);
            csv.push('\n');
        }
        let mut p = portfolio();
        let _ = p.import(csv_rows(&csv), skip);
        let frame = prices(&format!("date,AAA,BBB\n2024-01-01,{px},{px}\n"));
        let end = day("2024-03-01");
        let _ = p.valuation(&frame, end);
        let _ = p.value_series(&frame, base_date(), end);
        let _ = p.time_weighted_return(&frame, base_date(), end);
        for pos in p.holdings().positions() {
            let _ = (pos.quantity(), pos.cost_basis(), pos.avg_cost());
            prop_assert!(pos.quantity() <= auravest_core::MAX_POSITION_QUANTITY);
        }
        // Removing any row either works or is refused, never panics.
        for i in 0..p.transactions().len().min(5) {
            let _ = p.clone().remove(i);
        }
    }
}

// ---------------------------------------------------------------------------
// Imports merged into a stored log.
// ---------------------------------------------------------------------------

/// Inserting rows one at a time, the way imports used to work: the reference
/// the merged import must agree with when no row conflicts with a stored one.
fn insert_one_by_one(p: &Portfolio, rows: Vec<io::ParsedRow>) -> (Portfolio, Vec<(usize, String)>) {
    let mut p = p.clone();
    let mut good: Vec<_> = rows
        .into_iter()
        .filter_map(|(l, r)| r.ok().map(|t| (l, t)))
        .collect();
    good.sort_by_key(|(_, t)| t.date);
    let mut refused = Vec::new();
    for (line, t) in good {
        if let Err(e) = p.insert(t) {
            refused.push((line, e.field().unwrap_or("row").to_owned()));
        }
    }
    refused.sort();
    (p, refused)
}

#[test]
fn an_interleaved_import_matches_inserting_row_by_row() {
    let stored = portfolio_with([
        deposit("2024-01-02", "1000"),
        buy("2024-01-03", "AAPL", "10", "50"),
        buy("2024-01-10", "MSFT", "5", "100"),
        sell("2024-02-01", "AAPL", "4", "60"),
        dividend("2024-02-15", "MSFT", "3"),
        split("2024-03-01", "AAPL", "2"),
        withdrawal("2024-03-02", "10"),
        sell("2024-04-01", "MSFT", "5", "90"),
    ]);
    let csv = format!(
        "{HEADER}\n\
         2024-03-01,buy,AAPL,1,70,0,USD\n\
         2024-01-03,buy,AAPL,2,51,1,USD\n\
         2024-01-02,deposit,,,50,0,USD\n\
         2024-02-01,sell,AAPL,100,60,0,USD\n\
         2024-03-01,sell,AAPL,2,70,0,USD\n\
         2024-05-01,sell,MSFT,1,90,0,USD\n\
         2024-01-03,buy,AAPL,2,52,0,USD\n\
         2024-06-01,fee,,,2,0,USD\n"
    );
    let (expected, refused) = insert_one_by_one(&stored, csv_rows(&csv));
    let mut p = stored;
    let report = p.import(csv_rows(&csv), true).unwrap();
    assert_eq!(lines_fields(&report.skipped), refused);
    assert_eq!(refused, expected_rows(&[(5, "quantity"), (7, "quantity")]));
    assert_eq!(report.imported, 6);
    assert_eq!(p, expected);
    // Rows of one date keep their file order, after the stored rows of that date.
    let jan3: Vec<String> = p
        .transactions()
        .iter()
        .filter(|t| t.date == day("2024-01-03"))
        .map(|t| format!("{:?}", t.kind))
        .collect();
    assert_eq!(jan3.len(), 3);
    assert!(jan3[0].contains("50") && jan3[1].contains("51") && jan3[2].contains("52"));
}

#[test]
fn a_new_row_that_breaks_a_stored_one_is_refused_and_names_it() {
    let stored = portfolio_with([
        deposit("2024-01-02", "1000"),
        buy("2024-01-03", "AAPL", "10", "50"),
        sell("2024-03-01", "AAPL", "8", "60"),
        withdrawal("2024-04-01", "900"),
    ]);
    let csv = format!(
        "{HEADER}\n\
         2024-02-01,sell,AAPL,1,55,0,USD\n\
         2024-02-02,sell,AAPL,2,55,0,USD\n\
         2024-02-03,buy,MSFT,1,10,0,USD\n\
         2024-02-04,fee,,,500,0,USD\n"
    );
    let mut p = stored.clone();
    let err = p.import(csv_rows(&csv), false).unwrap_err();
    let Error::Import { errors } = err else {
        panic!("expected Import");
    };
    // The second sale leaves 7 for the stored sale of 8; the fee leaves too
    // little cash for the stored withdrawal.
    assert_eq!(
        lines_fields(&errors),
        expected_rows(&[(3, "quantity"), (5, "price")])
    );
    assert!(
        errors[0]
            .reason
            .contains("it would break the stored sell of 2024-03-01"),
        "{}",
        errors[0]
    );
    assert!(
        errors[1]
            .reason
            .contains("it would break the stored withdrawal of 2024-04-01"),
        "{}",
        errors[1]
    );
    assert_eq!(p, stored);
    let report = p.import(csv_rows(&csv), true).unwrap();
    assert_eq!(report.imported, 2);
    assert_eq!(position(&p, "AAPL").quantity(), dec("1"));
    assert_eq!(position(&p, "MSFT").quantity(), dec("1"));
}

#[test]
fn records_are_written_as_stored_and_formulas_are_defused() {
    let record = |date: &str, symbol: &str, quantity: &str| TransactionRecord {
        date: date.to_owned(),
        kind: "buy".to_owned(),
        symbol: Some(symbol.to_owned()),
        quantity: Some(quantity.to_owned()),
        price: Some("10".to_owned()),
        fee: None,
        currency: "USD".to_owned(),
    };
    // A valid row round-trips; rows stored before today's rules (a
    // formula-like ticker, a negative quantity) are written, defused.
    let rows = [
        record("2017-01-05", "AAPL", "3"),
        record("2017-01-06", "=HYPERLINK(\"x\")", "-2"),
        record("2017-01-07", "@SUM(A1)", "1"),
    ];
    let mut out = Vec::new();
    io::write_records_csv(&mut out, &rows).unwrap();
    let text = String::from_utf8(out).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "date,type,symbol,quantity,price,fee,currency");
    assert_eq!(lines[1], "2017-01-05,buy,AAPL,3,10,0,USD");
    assert!(
        lines[2].contains("\"'=HYPERLINK(\"\"x\"\")\""),
        "{}",
        lines[2]
    );
    assert!(lines[2].contains(",'-2,"), "{}", lines[2]);
    assert!(lines[3].contains(",'@SUM(A1),"), "{}", lines[3]);
    let back = io::read_transactions_csv(lines[..2].join("\n").as_bytes()).unwrap();
    let read = TransactionRecord::from(back[0].1.as_ref().unwrap());
    assert_eq!(
        read,
        TransactionRecord {
            fee: Some("0".to_owned()),
            ..rows[0].clone()
        }
    );
}
