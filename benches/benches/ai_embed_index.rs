//! The assistant's retrieval path in `auravest-ai`: all-MiniLM-L6-v2
//! sentence embeddings (batch 1 and 32, short finance sentences, reported as
//! sentences/s), and vector search over 10,000 384-dimensional vectors:
//! building the usearch HNSW index, and top-10 query latency with HNSW,
//! usearch's exact scan and the in-memory brute-force index.
//!
//! The index vectors are seeded random unit vectors, not MiniLM vectors:
//! embedding 10,000 texts would take about a minute per run, and random
//! directions are the hardest case for HNSW (real embeddings cluster).
//! `benches/compare_ai_index.sh` times faiss on the same vectors.
//!
//! The MiniLM cases need the weights (`bash scripts/fetch-models.sh`);
//! without them they are skipped with a notice, or fail under `CI=true`.

use std::hint::black_box;
use std::time::Duration;

use auravest_ai::embed::dot;
use auravest_ai::{BruteForceIndex, Embedder, MiniLm, UsearchIndex, UsearchOptions, VectorIndex};
use auravest_benches::SplitMix;
use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, BenchmarkId, Criterion, SamplingMode, Throughput, criterion_main};

const DIM: usize = 384;
const CORPUS: usize = 10_000;
const QUERIES: usize = 200;
const K: usize = 10;
/// The seed `src/bin/ai_index_data.rs` uses too, so faiss sees these vectors.
const SEED: u64 = 2026;

/// Short sentences (each well under 32 word pieces) of the kind the
/// knowledge base and user questions hold.
const SENTENCES: [&str; 32] = [
    "What is a P/E ratio?",
    "The P/E ratio divides the share price by earnings per share.",
    "Index funds track a market benchmark such as the S&P 500.",
    "Diversification spreads risk across many assets.",
    "Rebalancing restores a portfolio's target weights.",
    "Bond prices fall when interest rates rise.",
    "An emergency fund covers three to six months of expenses.",
    "Dollar-cost averaging invests a fixed amount on a schedule.",
    "The expense ratio is the yearly fee a fund charges.",
    "Volatility measures how much returns swing around their mean.",
    "The Sharpe ratio is excess return per unit of volatility.",
    "A drawdown is the fall from a peak to a trough.",
    "Loss aversion makes losses feel worse than equal gains feel good.",
    "Home bias is holding too much of your own country's stocks.",
    "Compounding earns returns on past returns.",
    "Inflation erodes the purchasing power of cash.",
    "A stock split changes the share count, not the company's value.",
    "Dividend yield is the annual dividend divided by the price.",
    "Market timing rarely beats staying invested.",
    "Time horizon is how long until you need the money.",
    "ETFs trade on an exchange throughout the day.",
    "Beta compares a stock's moves with the market's.",
    "Capital gains tax applies when you sell at a profit.",
    "Risk parity weights assets by their risk contribution.",
    "Market capitalisation is share price times shares outstanding.",
    "A limit order sets the highest price you will pay.",
    "Currency risk comes from holding assets in another currency.",
    "Concentration risk grows when one holding dominates.",
    "Total return adds dividends to the price change.",
    "Panic selling locks in losses during a crash.",
    "The efficient frontier shows the best return for each risk level.",
    "Recency bias overweights what happened lately.",
];

fn load_minilm() -> Option<MiniLm> {
    match auravest_ai::setup::env::load_minilm() {
        Ok(m) => Some(m),
        Err(e) if std::env::var("CI").is_ok_and(|v| v == "true") => {
            panic!("CI=true and the MiniLM weights are missing: {e}")
        }
        Err(e) => {
            eprintln!("NOTICE: skipping the MiniLM benches: {e}");
            None
        }
    }
}

fn bench_embed(c: &mut Criterion) {
    let Some(model) = load_minilm() else { return };
    // Check the answers once: unit vectors, and the P/E definition is the
    // closest sentence to the P/E question.
    let all = model.embed(&SENTENCES).expect("embed");
    assert!(all.iter().all(|v| (dot(v, v) - 1.0).abs() < 1e-4));
    let best = (1..SENTENCES.len())
        .max_by(|&a, &b| dot(&all[0], &all[a]).total_cmp(&dot(&all[0], &all[b])))
        .expect("sentences");
    assert_eq!(best, 1);

    let mut g = c.benchmark_group("ai_embed");
    g.sample_size(20);
    g.measurement_time(Duration::from_secs(8));
    g.throughput(Throughput::Elements(1));
    let mut i = 0;
    g.bench_function(BenchmarkId::new("minilm", "batch1"), |b| {
        b.iter(|| {
            i = (i + 1) % SENTENCES.len();
            black_box(model.embed(&SENTENCES[i..=i]).expect("embed"))
        })
    });
    g.throughput(Throughput::Elements(SENTENCES.len() as u64));
    g.bench_function(BenchmarkId::new("minilm", "batch32"), |b| {
        b.iter(|| black_box(model.embed(&SENTENCES).expect("embed")))
    });
    g.finish();
}

fn build_usearch(vectors: &[Vec<f32>], options: UsearchOptions) -> UsearchIndex {
    let mut index = UsearchIndex::with_options(DIM, options).expect("index");
    for (k, v) in vectors.iter().enumerate() {
        index.add(k as u64, v).expect("add");
    }
    index
}

/// `cargo test --benches` runs each bench once without `--bench`: there a
/// 2,000-vector corpus keeps the check quick; `cargo bench` uses 10,000.
fn corpus_size() -> usize {
    if std::env::args().any(|a| a == "--bench") {
        CORPUS
    } else {
        2_000
    }
}

fn bench_index(c: &mut Criterion) {
    let mut rng = SplitMix::new(SEED);
    let n = corpus_size();
    let corpus = rng.unit_vectors(n, DIM);
    let queries = rng.unit_vectors(QUERIES, DIM);

    // One usearch index serves both modes: graph search, then exact scan.
    let mut usearch = build_usearch(&corpus, UsearchOptions::default());
    let mut brute = BruteForceIndex::new(DIM);
    for (k, v) in corpus.iter().enumerate() {
        brute.add(k as u64, v).expect("add");
    }
    // Check the answers once: HNSW keeps recall@10 at 0.95 or better, and
    // the exact scan equals brute force.
    let truth: Vec<Vec<u64>> = queries.iter().map(|q| top_keys(&brute, q)).collect();
    let found: usize = queries
        .iter()
        .zip(&truth)
        .map(|(q, t)| {
            top_keys(&usearch, q)
                .iter()
                .filter(|k| t.contains(k))
                .count()
        })
        .sum();
    let recall = found as f64 / (QUERIES * K) as f64;
    assert!(recall >= 0.95, "HNSW recall@10 {recall}");

    let mut g = c.benchmark_group("ai_index");
    // One build takes seconds: ten single builds.
    g.sample_size(10);
    g.sampling_mode(SamplingMode::Flat);
    g.warm_up_time(Duration::from_millis(500));
    g.measurement_time(Duration::from_secs(30));
    g.throughput(Throughput::Elements(n as u64));
    g.bench_function(BenchmarkId::new("build_10k", "usearch_hnsw"), |b| {
        b.iter(|| black_box(build_usearch(&corpus, UsearchOptions::default())))
    });
    g.finish();

    let mut g = c.benchmark_group("ai_index");
    g.sample_size(30);
    g.throughput(Throughput::Elements(1));
    bench_queries(&mut g, "usearch_hnsw", &usearch, &queries);
    usearch.set_exact(true);
    for (q, t) in queries.iter().zip(&truth) {
        assert_eq!(&top_keys(&usearch, q), t);
    }
    bench_queries(&mut g, "usearch_exact", &usearch, &queries);
    bench_queries(&mut g, "brute_force", &brute, &queries);
    g.finish();
}

fn top_keys(index: &dyn VectorIndex, q: &[f32]) -> Vec<u64> {
    index
        .search(q, K)
        .expect("search")
        .iter()
        .map(|h| h.key)
        .collect()
}

/// Top-10 latency, cycling through the queries.
fn bench_queries(
    g: &mut BenchmarkGroup<'_, WallTime>,
    name: &str,
    index: &dyn VectorIndex,
    queries: &[Vec<f32>],
) {
    let mut i = 0;
    g.bench_function(BenchmarkId::new("query_10k", name), |b| {
        b.iter(|| {
            i = (i + 1) % queries.len();
            black_box(index.search(&queries[i], K).expect("search"))
        })
    });
}

fn bench(c: &mut Criterion) {
    bench_embed(c);
    bench_index(c);
}

/// The criterion group (its generated function carries no docs).
#[allow(missing_docs, unreachable_pub)]
mod group {
    criterion::criterion_group!(benches, super::bench);
}

criterion_main!(group::benches);
