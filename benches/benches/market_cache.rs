//! The market cache: latency of a quote answered from a fresh cache entry,
//! and request coalescing: 1,000 concurrent asks for one symbol on a cold
//! cache must reach the upstream source exactly once.

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use auravest_market::{Market, MemorySource};
use criterion::{Criterion, criterion_main};

fn source() -> Arc<MemorySource> {
    Arc::new(
        MemorySource::new("counting", 0)
            .with_closes("AAPL", &[("2024-01-02", 185.64), ("2024-01-03", 184.25)])
            .with_delay(Duration::from_millis(20)),
    )
}

/// Asks for one symbol `n` times at once on a cold cache; returns the number
/// of upstream calls and the wall time.
fn thousand_asks(rt: &tokio::runtime::Runtime, n: usize) -> (usize, Duration) {
    let src = source();
    let market = Arc::new(Market::new(src.clone()));
    let symbol: auravest_core::Symbol = "AAPL".parse().expect("valid symbol");
    let start = Instant::now();
    rt.block_on(async {
        let tasks: Vec<_> = (0..n)
            .map(|_| {
                let m = Arc::clone(&market);
                let s = symbol.clone();
                tokio::spawn(async move { m.quote(&s).await })
            })
            .collect();
        for t in tasks {
            let q = t.await.expect("task runs").expect("quote");
            assert!((q.price - 184.25).abs() < 1e-12);
        }
    });
    (src.calls(), start.elapsed())
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");

    // The answer: 1,000 concurrent asks, one upstream call.
    let (calls, took) = thousand_asks(&rt, 1000);
    assert_eq!(
        calls, 1,
        "1,000 concurrent asks must coalesce into one upstream call"
    );
    println!(
        "market_cache: 1000 concurrent asks -> {calls} upstream call in {took:?} (upstream takes 20ms)"
    );

    let src = source();
    let market = Market::new(src.clone());
    let symbol: auravest_core::Symbol = "AAPL".parse().expect("valid symbol");
    rt.block_on(market.quote(&symbol)).expect("warm the cache");

    let mut g = c.benchmark_group("market_cache");
    g.bench_function("quote_cache_hit", |b| {
        b.iter(|| {
            rt.block_on(market.quote(black_box(&symbol)))
                .expect("cached quote")
        });
    });
    g.sample_size(10);
    g.bench_function("coalesce_1000_concurrent_asks", |b| {
        b.iter(|| {
            let (calls, _) = thousand_asks(&rt, 1000);
            assert_eq!(calls, 1);
        });
    });
    g.finish();
    assert_eq!(src.calls(), 1, "every timed ask was a cache hit");
}

/// The criterion group (its generated function carries no docs).
#[allow(missing_docs, unreachable_pub)]
mod group {
    criterion::criterion_group!(benches, super::bench);
}

criterion_main!(group::benches);
