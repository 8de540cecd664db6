//! Imports 10,000 transaction rows into a portfolio that already holds
//! 40,000, with the new rows' dates spread over the whole stored log (the
//! case that used to replay the log once per row). The answer is checked
//! once: every row is imported and the log stays in date order.

use std::hint::black_box;

use auravest_core::{Currency, NaiveDate, Portfolio, TransactionRecord, io::ParsedRow};
use criterion::{BatchSize, Criterion, criterion_main};

/// A buy of 10 or a sale of 5 of one of 50 symbols, so every symbol always
/// holds shares and no row conflicts with another.
fn row(day: u64, i: u64) -> TransactionRecord {
    let date =
        NaiveDate::from_ymd_opt(1900, 1, 1).unwrap_or(NaiveDate::MIN) + chrono::Days::new(day);
    let sell = i % 100 >= 50;
    TransactionRecord {
        date: date.format("%Y-%m-%d").to_string(),
        kind: if sell { "sell" } else { "buy" }.to_owned(),
        symbol: Some(format!("S{}", i % 50)),
        quantity: Some(if sell { "5" } else { "10" }.to_owned()),
        price: Some(format!("{}.{:02}", 10 + i % 90, i % 100)),
        fee: Some("1".to_owned()),
        currency: "USD".to_owned(),
    }
}

fn parsed(records: impl Iterator<Item = TransactionRecord>) -> Vec<ParsedRow> {
    records
        .enumerate()
        .map(|(i, r)| (i + 2, r.validate()))
        .collect()
}

fn bench(c: &mut Criterion) {
    // 40,000 stored rows on even days; 10,000 new ones on odd days across them.
    let stored_rows = parsed((0..40_000).map(|i| row(2 * i, i)));
    let new_rows = parsed((0..10_000).map(|k| row(8 * k + 1, k + 1)));
    let mut stored = Portfolio::new(
        Currency::USD,
        NaiveDate::from_ymd_opt(2200, 1, 1).unwrap_or(NaiveDate::MAX),
    );
    let report = stored
        .import(stored_rows, false)
        .expect("stored rows import");
    assert_eq!(report.imported, 40_000);

    // Check the answer once.
    let mut p = stored.clone();
    let report = p.import(new_rows.clone(), false).expect("new rows import");
    assert_eq!(report.imported, 10_000);
    assert!(report.skipped.is_empty());
    assert_eq!(p.transactions().len(), 50_000);
    assert!(p.transactions().windows(2).all(|w| w[0].date <= w[1].date));

    let mut g = c.benchmark_group("portfolio_import");
    g.sample_size(10);
    g.bench_function("interleaved_10k_into_40k", |b| {
        b.iter_batched(
            || (stored.clone(), new_rows.clone()),
            |(mut p, rows)| black_box(p.import(rows, false).expect("import")),
            BatchSize::LargeInput,
        );
    });
    g.finish();
}

/// The criterion group (its generated function carries no docs).
#[allow(missing_docs, unreachable_pub)]
mod group {
    criterion::criterion_group!(benches, super::bench);
}

criterion_main!(group::benches);
