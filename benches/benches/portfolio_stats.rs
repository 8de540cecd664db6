//! Values 100 holdings over 10 years of daily prices and computes the
//! statistics of the portfolio and of every holding against an index.
//! The peer (empyrical-reloaded on pandas) runs the same work in
//! `benches/peer/empyrical_portfolio_stats.py`; `benches/compare_portfolio_stats.sh`
//! runs both in one go and prints the ratio.

use std::hint::black_box;

use auravest_benches::{run_workload, synthetic_portfolio};
use criterion::{Criterion, criterion_main};

fn bench(c: &mut Criterion) {
    let (frame, txs) = synthetic_portfolio(100, 2520, 42);
    // Check the answer once: 2520 price days valued, 100 holdings analysed,
    // and the portfolio's TWR agrees with its compounded daily returns.
    let w = run_workload(&frame, &txs).expect("workload runs");
    assert_eq!(w.values, 2520);
    assert_eq!(w.holdings.len(), 100);
    assert!(w.portfolio.volatility > 0.0 && w.portfolio.volatility < 1.0);
    assert!(
        w.holdings
            .iter()
            .all(|s| s.beta.is_some_and(|b| b > 0.0 && b < 3.0))
    );

    let mut g = c.benchmark_group("portfolio_stats");
    g.sample_size(20);
    g.bench_function("value_and_stats_100x2520", |b| {
        b.iter(|| run_workload(black_box(&frame), black_box(&txs)).expect("workload runs"));
    });
    g.finish();
}

/// The criterion group (its generated function carries no docs).
#[allow(missing_docs, unreachable_pub)]
mod group {
    criterion::criterion_group!(benches, super::bench);
}

criterion_main!(group::benches);
