//! Mean-variance optimisation from (expected returns, covariance) in memory to
//! weights: maximum Sharpe, minimum volatility and efficient risk on the
//! shared 20 stocks and on synthetic universes of 100 and 500 assets over
//! 1,000 days. `benches/compare_optimize.sh` times PyPortfolioOpt on the same
//! inputs in the same run and prints the ratios.

use std::hint::black_box;
use std::path::Path;

use auravest_benches::optimize_fixtures::{Universe, return_matrix, shared20, synthetic};
use auravest_optimize::expected_returns::mean_historical;
use auravest_optimize::risk_models::{ShrinkageTarget, ledoit_wolf, sample_cov};
use auravest_optimize::{Hrp, Linkage, MeanVariance, MissingData};
use criterion::{BenchmarkId, Criterion, criterion_main};

fn universes() -> Vec<Universe> {
    let shared = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared");
    let mut out = vec![shared20(&shared).expect("the shared anchors and data are required")];
    for n in [100, 500] {
        out.push(synthetic(n, 1000).expect("synthetic universe"));
    }
    out
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("optimize");
    g.sample_size(20);
    for u in universes() {
        let mv = MeanVariance::new(u.mu.clone(), u.cov.clone()).expect("valid problem");
        // Check each answer once: weights sum to 1, efficient risk hits its
        // target, and maximum Sharpe beats minimum volatility on Sharpe.
        let ms = mv.max_sharpe(0.02).expect("max sharpe");
        let mv_ = mv.min_volatility(0.02).expect("min volatility");
        let er = mv
            .efficient_risk(u.target_volatility, 0.02)
            .expect("efficient risk");
        for s in [&ms, &mv_, &er] {
            assert!((s.weights.values().sum() - 1.0).abs() < 1e-9);
        }
        assert!((er.performance.volatility - u.target_volatility).abs() < 1e-6);
        assert!(ms.performance.sharpe >= mv_.performance.sharpe);
        let n = u.mu.len();
        g.bench_with_input(BenchmarkId::new("max_sharpe", n), &mv, |b, mv| {
            b.iter(|| black_box(mv.max_sharpe(0.02)))
        });
        g.bench_with_input(BenchmarkId::new("min_volatility", n), &mv, |b, mv| {
            b.iter(|| black_box(mv.min_volatility(0.02)))
        });
        g.bench_with_input(BenchmarkId::new("efficient_risk", n), &mv, |b, mv| {
            b.iter(|| black_box(mv.efficient_risk(u.target_volatility, 0.02)));
        });
        // HRP and the estimators run from the daily returns in memory.
        let returns = return_matrix(&u);
        let hrp = Hrp::from_returns(&returns, Linkage::Single).expect("hrp");
        assert!((hrp.weights().values().sum() - 1.0).abs() < 1e-9);
        assert!(hrp.weights().values().iter().all(|w| *w > 0.0));
        g.bench_with_input(BenchmarkId::new("hrp", n), &returns, |b, r| {
            b.iter(|| black_box(Hrp::from_returns(r, Linkage::Single)));
        });
        if u.name != "shared20" {
            let s = sample_cov(&returns, MissingData::Pairwise).expect("sample covariance");
            assert!(
                (s.matrix()[(0, 0)] - u.cov.matrix()[(0, 0)]).abs()
                    < 1e-12 * u.cov.matrix()[(0, 0)]
            );
            g.bench_with_input(BenchmarkId::new("sample_cov", n), &returns, |b, r| {
                b.iter(|| black_box(sample_cov(r, MissingData::Pairwise)));
            });
            g.bench_with_input(BenchmarkId::new("ledoit_wolf", n), &returns, |b, r| {
                b.iter(|| {
                    black_box(ledoit_wolf(
                        r,
                        ShrinkageTarget::ConstantVariance,
                        MissingData::Pairwise,
                    ))
                });
            });
            g.bench_with_input(BenchmarkId::new("mean_historical", n), &returns, |b, r| {
                b.iter(|| black_box(mean_historical(r, true)));
            });
        }
    }
    g.finish();
}

/// The criterion group (its generated function carries no docs).
#[allow(missing_docs, unreachable_pub)]
mod group {
    criterion::criterion_group!(benches, super::bench);
}

criterion_main!(group::benches);
