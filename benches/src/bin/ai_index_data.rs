//! The vectors of the `ai_embed_index` bench for the faiss peer, and our
//! side of that comparison (`benches/compare_ai_index.sh` runs both):
//!
//! - `ai_index_data write DIR`: the bench's 10,000 + 200 seeded 384-d unit
//!   vectors as raw little-endian f32 (`base.f32`, `queries.f32`) and
//!   `meta.json` (sizes and the index parameters the peer must match).
//! - `ai_index_data time DIR [BUILDS]`: reads them back and prints JSON:
//!   build seconds (median of BUILDS, default 3), per-query p50/p99 in ms and
//!   recall@10 for usearch HNSW at M=16 and M=32, the usearch exact scan and
//!   `BruteForceIndex`. Single-threaded, one query per call.

use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

use auravest_ai::{BruteForceIndex, UsearchIndex, UsearchOptions, VectorIndex};
use auravest_benches::SplitMix;
use serde_json::{Map, Value, json};

const DIM: usize = 384;
const CORPUS: usize = 10_000;
const QUERIES: usize = 200;
const K: usize = 10;
/// The same seed as `benches/ai_embed_index.rs`.
const SEED: u64 = 2026;

fn write_f32(path: &Path, vectors: &[Vec<f32>]) -> std::io::Result<()> {
    let bytes: Vec<u8> = vectors
        .iter()
        .flatten()
        .flat_map(|x| x.to_le_bytes())
        .collect();
    std::fs::write(path, bytes)
}

fn read_f32(path: &Path) -> std::io::Result<Vec<Vec<f32>>> {
    let bytes = std::fs::read(path)?;
    if bytes.len() % (4 * DIM) != 0 {
        return Err(std::io::Error::other(format!(
            "{}: {} bytes is not a whole number of {DIM}-d f32 vectors",
            path.display(),
            bytes.len()
        )));
    }
    Ok(bytes
        .chunks_exact(4 * DIM)
        .map(|v| {
            v.chunks_exact(4)
                .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                .collect()
        })
        .collect())
}

fn write(dir: &Path) -> std::io::Result<String> {
    std::fs::create_dir_all(dir)?;
    let mut rng = SplitMix::new(SEED);
    let corpus = rng.unit_vectors(CORPUS, DIM);
    let queries = rng.unit_vectors(QUERIES, DIM);
    write_f32(&dir.join("base.f32"), &corpus)?;
    write_f32(&dir.join("queries.f32"), &queries)?;
    let meta = json!({
        "dim": DIM, "n": CORPUS, "queries": QUERIES, "k": K, "seed": SEED,
        "connectivity": [16, 32],
        "expansion_add": UsearchIndex::DEFAULT_EXPANSION_ADD,
        "expansion_search": UsearchIndex::DEFAULT_EXPANSION_SEARCH,
    });
    std::fs::write(dir.join("meta.json"), meta.to_string())?;
    Ok(format!("wrote {}", dir.display()))
}

/// The `q`-quantile of sorted values (nearest rank).
fn quantile(sorted: &[f64], q: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * q).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

/// Per-query latency over three passes after a warm-up pass, and recall@10
/// against `truth`.
fn time_queries(index: &dyn VectorIndex, queries: &[Vec<f32>], truth: &[Vec<u64>]) -> Value {
    for q in queries {
        std::hint::black_box(index.search(q, K).expect("search"));
    }
    let mut times = Vec::with_capacity(queries.len() * 3);
    let mut found = 0;
    for pass in 0..3 {
        for (q, t) in queries.iter().zip(truth) {
            let start = Instant::now();
            let hits = index.search(q, K).expect("search");
            times.push(start.elapsed().as_secs_f64() * 1e3);
            if pass == 0 {
                found += hits.iter().filter(|h| t.contains(&h.key)).count();
            }
        }
    }
    times.sort_by(f64::total_cmp);
    json!({
        "p50_ms": quantile(&times, 0.5),
        "p99_ms": quantile(&times, 0.99),
        "recall": found as f64 / (queries.len() * K) as f64,
    })
}

fn case(out: &mut Map<String, Value>, name: &str, build_s: f64, timings: Value) {
    let mut v = timings;
    v["build_s"] = json!(build_s);
    out.insert(name.to_owned(), v);
}

fn time(dir: &Path, builds: usize) -> std::io::Result<String> {
    let corpus = read_f32(&dir.join("base.f32"))?;
    let queries = read_f32(&dir.join("queries.f32"))?;
    let mut out = Map::new();

    let start = Instant::now();
    let mut brute = BruteForceIndex::new(DIM);
    for (k, v) in corpus.iter().enumerate() {
        brute.add(k as u64, v).expect("add");
    }
    let brute_build = start.elapsed().as_secs_f64();
    let truth: Vec<Vec<u64>> = queries
        .iter()
        .map(|q| {
            let hits = brute.search(q, K).expect("search");
            hits.iter().map(|h| h.key).collect()
        })
        .collect();
    case(
        &mut out,
        "brute_force",
        brute_build,
        time_queries(&brute, &queries, &truth),
    );

    for m in [16, 32] {
        let options = UsearchOptions::default().connectivity(m);
        let mut times = Vec::new();
        let mut last = None;
        for _ in 0..builds.max(1) {
            let start = Instant::now();
            let mut index = UsearchIndex::with_options(DIM, options.clone()).expect("index");
            for (k, v) in corpus.iter().enumerate() {
                index.add(k as u64, v).expect("add");
            }
            times.push(start.elapsed().as_secs_f64());
            last = Some(index);
        }
        let mut index = last.expect("at least one build");
        times.sort_by(f64::total_cmp);
        let build = quantile(&times, 0.5);
        let name = format!("hnsw_m{m}");
        case(
            &mut out,
            &name,
            build,
            time_queries(&index, &queries, &truth),
        );
        if m == UsearchIndex::DEFAULT_CONNECTIVITY {
            index.set_exact(true);
            case(
                &mut out,
                "exact",
                build,
                time_queries(&index, &queries, &truth),
            );
        }
    }
    out.insert(
        "expansion_add".to_owned(),
        json!(UsearchIndex::DEFAULT_EXPANSION_ADD),
    );
    out.insert(
        "expansion_search".to_owned(),
        json!(UsearchIndex::DEFAULT_EXPANSION_SEARCH),
    );
    Ok(Value::Object(out).to_string())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let result = match args.as_slice() {
        ["write", dir] => write(Path::new(dir)),
        ["time", dir] => time(Path::new(dir), 3),
        ["time", dir, builds] => match builds.parse() {
            Ok(b) => time(Path::new(dir), b),
            Err(_) => Err(std::io::Error::other(format!(
                "BUILDS: not a number: {builds}"
            ))),
        },
        _ => {
            eprintln!("usage: ai_index_data write DIR | ai_index_data time DIR [BUILDS]");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(text) => {
            println!("{text}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{e}");
            ExitCode::from(1)
        }
    }
}
