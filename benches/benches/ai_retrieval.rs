//! Hybrid retrieval latency (vector + BM25 + fusion, the query's embedding
//! excluded) on the knowledge base and on 10,000 chunks, with the query
//! embedding time reported apart.
//!
//! The 10,000 chunks are knowledge-base sentences recombined (so BM25 sees
//! real vocabulary) and embedded with the hashing embedder (MiniLM would take
//! about a minute to embed them; the index does not care where the vectors
//! come from). The knowledge-base case uses MiniLM when its weights are
//! installed. Besides criterion's figures, p50/p99 over 2,000 queries are
//! printed, since the target is a p99.

use std::hint::black_box;
use std::time::{Duration, Instant};

use auravest_ai::eval::BUILTIN_SET;
use auravest_ai::setup::embed_chunks;
use auravest_ai::{
    BruteForceIndex, Chunk, ChunkOptions, Embedder, HashEmbedder, KnowledgeBase, Retriever,
    UsearchIndex, UsearchOptions, VectorIndex,
};
use criterion::{Criterion, criterion_main};

fn questions() -> Vec<String> {
    let v: serde_json::Value = serde_json::from_str(BUILTIN_SET).expect("the shipped set parses");
    v["cases"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| c["question"].as_str().map(str::to_owned))
        .collect()
}

fn synthetic_chunks(kb: &KnowledgeBase, n: usize) -> Vec<Chunk> {
    let base = kb.chunks(ChunkOptions::default());
    let sentences: Vec<String> = base
        .iter()
        .flat_map(|c| auravest_ai::text::sentences(&c.text))
        .collect();
    (0..n)
        .map(|i| {
            let c = &base[i % base.len()];
            let a = &sentences[(i * 7) % sentences.len()];
            let b = &sentences[(i * 13 + 5) % sentences.len()];
            Chunk {
                key: i as u64,
                article_id: c.article_id.clone(),
                title: c.title.clone(),
                heading: c.heading.clone(),
                text: format!("{a} {b} Note {i}."),
            }
        })
        .collect()
}

fn percentiles(mut v: Vec<Duration>) -> (Duration, Duration) {
    v.sort();
    let at = |q: f64| v[((v.len() as f64 - 1.0) * q).round() as usize];
    (at(0.5), at(0.99))
}

fn retriever(
    chunks: Vec<Chunk>,
    embedder: Box<dyn Embedder>,
    index: Box<dyn VectorIndex>,
) -> Retriever {
    let mut index = index;
    let vectors = embed_chunks(&*embedder, &chunks, &|_, _| {}).expect("embedding");
    for (c, v) in chunks.iter().zip(&vectors) {
        index.add(c.key, v).expect("add");
    }
    Retriever::from_parts(chunks, embedder, index)
}

fn report(name: &str, r: &Retriever, qs: &[String]) {
    let vecs: Vec<Vec<f32>> = qs
        .iter()
        .map(|q| r.embedder().embed_one(q).expect("embed"))
        .collect();
    let mut times = Vec::new();
    let rounds = if full_run() { 2000 } else { 200 };
    for round in 0..rounds {
        let i = round % qs.len();
        let t = Instant::now();
        black_box(r.search_vector(&qs[i], &vecs[i], 8).expect("search"));
        times.push(t.elapsed());
    }
    let (p50, p99) = percentiles(times);
    let mut embed = Vec::new();
    for q in qs.iter().take(50) {
        let t = Instant::now();
        black_box(r.embedder().embed_one(q).expect("embed"));
        embed.push(t.elapsed());
    }
    let (e50, e99) = percentiles(embed);
    println!(
        "{name}: {} chunks ({rounds} queries), retrieval p50 {:.3} ms p99 {:.3} ms; query embedding ({}) p50 {:.3} ms p99 {:.3} ms",
        r.chunks().len(),
        p50.as_secs_f64() * 1e3,
        p99.as_secs_f64() * 1e3,
        r.embedder().model_id(),
        e50.as_secs_f64() * 1e3,
        e99.as_secs_f64() * 1e3
    );
}

/// `cargo test --benches` runs each bench once without `--bench`: keep that
/// quick (1,000 chunks, the hashing embedder, 200 timed queries).
fn full_run() -> bool {
    std::env::args().any(|a| a == "--bench")
}

fn bench(c: &mut Criterion) {
    let kb = KnowledgeBase::builtin().expect("the shipped knowledge base parses");
    let qs = questions();
    let (n_big, full) = if full_run() {
        (10_000, true)
    } else {
        (1_000, false)
    };
    let mut group = c.benchmark_group("retrieval");

    // Knowledge base, MiniLM when installed.
    #[allow(clippy::option_if_let_else)]
    let kb_embedder: Box<dyn Embedder> = match auravest_ai::setup::env::load_minilm() {
        Ok(m) if full => Box::new(m),
        Ok(_) => Box::new(HashEmbedder::default()),
        Err(e) => {
            eprintln!(
                "MiniLM not installed ({e}); the knowledge-base case uses the hashing embedder"
            );
            Box::new(HashEmbedder::default())
        }
    };
    let chunks = kb.chunks(ChunkOptions::default());
    let t = Instant::now();
    let r = retriever(
        chunks.clone(),
        kb_embedder,
        Box::new(
            UsearchIndex::with_options(384, UsearchOptions::default().exact(true)).expect("index"),
        ),
    );
    println!(
        "knowledge base: embedded and indexed {} chunks in {:.2} s",
        chunks.len(),
        t.elapsed().as_secs_f64()
    );
    report("knowledge base (usearch exact)", &r, &qs);
    let q0 = &qs[0];
    let v0 = r.embedder().embed_one(q0).expect("embed");
    group.bench_function("kb/search_vector", |b| {
        b.iter(|| r.search_vector(black_box(q0), &v0, 8))
    });

    // 10,000 chunks.
    let big = synthetic_chunks(&kb, n_big);
    for (name, index) in [
        (
            "10k/usearch-hnsw",
            Box::new(UsearchIndex::new(384).expect("index")) as Box<dyn VectorIndex>,
        ),
        (
            "10k/usearch-exact",
            Box::new(
                UsearchIndex::with_options(384, UsearchOptions::default().exact(true))
                    .expect("index"),
            ),
        ),
        ("10k/brute-force", Box::new(BruteForceIndex::new(384))),
    ] {
        let t = Instant::now();
        let r = retriever(big.clone(), Box::new(HashEmbedder::default()), index);
        println!("{name}: built in {:.2} s", t.elapsed().as_secs_f64());
        report(name, &r, &qs);
        let v0 = r.embedder().embed_one(q0).expect("embed");
        group.bench_function(name, |b| b.iter(|| r.search_vector(black_box(q0), &v0, 8)));
    }
    group.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .sample_size(20)
        .measurement_time(Duration::from_secs(3))
}

/// The criterion group (its generated function carries no docs).
#[allow(missing_docs, unreachable_pub)]
mod group {
    criterion::criterion_group! {
        name = benches;
        config = super::config();
        targets = super::bench
    }
}

criterion_main!(group::benches);
