//! Local text generation with Gemma 3 270M (Q4_K_M GGUF) on the CPU: our
//! model (`auravest_ai::llm`) against candle's `quantized_gemma3`, on the
//! same weights, tokens and greedy decoding.
//!
//! - `llm_prefill_300`: one retrieval-augmented prompt of at most 300
//!   tokens, run at once on a fresh cache (ours: `Gemma3::forward`;
//!   upstream: `ModelWeights::forward` at position 0).
//! - `llm_decode_64`: 64 tokens after a short prompt, the prompt untimed
//!   (ours through `LocalGemma::generate_blocking`, timed by its
//!   `last_timings`; upstream by the same greedy loop as the probe).
//! - `llm_e2e_64`: text to text, a 64-token answer to the 300-token prompt
//!   (ours, the product path).
//! - `llm_rag_1300`: the full retrieval-augmented case, eight
//!   knowledge-base passages (about 1,300 tokens) and a 64-token answer
//!   (ours; upstream takes about 40 s per answer, so it is timed twice by
//!   hand and printed rather than sampled ten times by criterion).
//!
//! Throughput is in tokens (prompt tokens for prefill, generated tokens
//! otherwise). Every case runs on a cold cache (`LocalGemma::reset`). Stop
//! sequences are left out so that each answer runs its full length; an
//! end-of-text token could still end one early, and the counts printed
//! first are the real ones.
//!
//! Needs the weights (`bash scripts/fetch-models.sh`); without them the
//! bench prints a notice and does nothing, or fails under `CI=true`. In test
//! mode (`cargo test --benches`, no `--bench` argument) only the prompts'
//! sizes and a four-token answer of our model are checked. `benches/compare_llm.sh` measures load time
//! and memory, which need a fresh process per side.

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use auravest_ai::llm::gemma3::LoadOptions;
use auravest_ai::llm::local::{LocalGemma, Timings};
use auravest_ai::llm::prompt::stops;
use auravest_ai::llm::sampling::argmax;
use auravest_ai::llm::{CancelToken, GenerateRequest, Generation};
use auravest_benches::llm::{
    RAG_PASSAGES, Upstream, answer_prompt, ranked_passages, sized_request,
};
use candle_core::Device;
use candle_core::quantized::gguf_file;
use candle_transformers::models::quantized_gemma3::ModelWeights;
use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, Criterion, SamplingMode, Throughput, criterion_main};

/// Tokens of the short prompt (at most) and of the RAG prompt (about).
const SHORT_TOKENS: usize = 300;
const RAG_TOKENS: usize = 1300;
/// Generated tokens per answer.
const ANSWER_TOKENS: usize = 64;
/// The decode case's prompt.
const DECODE_PROMPT: &str = "Question: What is a P/E ratio?\nAnswer:";

/// `cargo test --benches` runs each bench once without `--bench`.
fn full_run() -> bool {
    std::env::args().any(|a| a == "--bench")
}

fn load_ours() -> Option<(LocalGemma, PathBuf)> {
    let path = match auravest_ai::setup::env::gemma_weights() {
        Ok(p) => p,
        Err(e) if std::env::var("CI").is_ok_and(|v| v == "true") => {
            panic!("CI=true and the Gemma weights are missing: {e}")
        }
        Err(e) => {
            eprintln!("NOTICE: skipping the Gemma benches: {e}");
            return None;
        }
    };
    let t = Instant::now();
    let m = LocalGemma::load(&path, LoadOptions::default()).expect("the installed weights load");
    println!("ours: loaded in {:.2} s", t.elapsed().as_secs_f64());
    Some((m, path))
}

/// Candle's model, loaded from `path`.
fn load_upstream(path: &Path) -> Upstream {
    let t = Instant::now();
    let mut f = std::fs::File::open(path).expect("open the GGUF file");
    let content = gguf_file::Content::read(&mut f).expect("GGUF header");
    let model = ModelWeights::from_gguf(content, &mut f, &Device::Cpu).expect("upstream load");
    println!("upstream: loaded in {:.2} s", t.elapsed().as_secs_f64());
    Upstream::new(model)
}

/// Prefills `ids` on a cold cache, then generates `n` greedy tokens; the
/// tokens and the decode time.
fn upstream_generate(up: &mut Upstream, ids: &[u32], n: usize) -> (Vec<u32>, Duration) {
    let mut logits = up.prefill(ids).expect("upstream forward");
    let t = Instant::now();
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        let next = argmax(&logits).expect("upstream gives logits to choose from");
        out.push(next);
        logits = up.step(next).expect("upstream forward");
    }
    (out, t.elapsed())
}

/// `req` with no stop sequence and [`ANSWER_TOKENS`] tokens, so that its
/// answer runs its full length.
fn full_length(mut req: GenerateRequest) -> GenerateRequest {
    req.stop.clear();
    req.max_tokens = ANSWER_TOKENS;
    req
}

/// Runs `req` on a cold cache through the product path; the generation's
/// text and token count, and the timings.
fn ours_once(m: &LocalGemma, req: &GenerateRequest) -> (Generation, Timings) {
    m.reset();
    let out = m
        .generate_blocking(req, &CancelToken::new(), &mut |_| {})
        .expect("generate");
    (out, m.last_timings())
}

fn tok_s(n: usize, d: Duration) -> f64 {
    n as f64 / d.as_secs_f64()
}

/// Test mode: a four-token answer that must name the capital.
fn smoke(m: &LocalGemma) {
    let req = GenerateRequest::new(
        "",
        "Question: What is the capital of France?\nAnswer: The capital of France is",
        4,
    );
    let (out, t) = ours_once(m, &req);
    println!(
        "smoke: {:?} ({} prompt tokens, {} generated, prefill {:.0} tok/s, decode {:.1} tok/s)",
        out.text,
        t.prefill_tokens,
        t.decode_tokens,
        tok_s(t.prefill_tokens, t.prefill),
        tok_s(t.decode_tokens, t.decode)
    );
    assert!(out.text.contains("Paris"), "{:?}", out.text);
    println!("test mode: the timed and upstream cases run under `cargo bench` only");
}

fn bench(c: &mut Criterion) {
    let Some((m, path)) = load_ours() else {
        return;
    };
    // The prompts are checked in test mode too.
    let ranked = ranked_passages().expect("the shipped knowledge base parses");
    let encode = |text: &str| m.encode(text);
    let (short, short_ids) = answer_prompt(&ranked, SHORT_TOKENS, encode).expect("encode");
    let rag_sources = &ranked[..RAG_PASSAGES.min(ranked.len())];
    let (rag, rag_ids) = sized_request(rag_sources, RAG_TOKENS, encode).expect("encode");
    let (short, rag) = (full_length(short), full_length(rag));
    assert!(
        short_ids.len() <= SHORT_TOKENS && short_ids.len() >= SHORT_TOKENS - 20,
        "{} tokens",
        short_ids.len()
    );
    assert!(
        (1250..=1350).contains(&rag_ids.len()),
        "the RAG prompt is {} tokens",
        rag_ids.len()
    );
    println!(
        "prompts: {} tokens (answer), {} tokens (RAG, {RAG_PASSAGES} passages)",
        short_ids.len(),
        rag_ids.len()
    );
    if !full_run() {
        smoke(&m);
        return;
    }
    let decode_req = GenerateRequest::new("", DECODE_PROMPT, ANSWER_TOKENS);
    let decode_ids = m.encode(DECODE_PROMPT).expect("encode");

    // Check the answers once (the real token counts, and that the product's
    // stop sequences give a one-line answer to the RAG prompt), and print
    // the product path's own figures.
    let mut grounded = rag.clone();
    grounded.stop = stops();
    let (g, _) = ours_once(&m, &grounded);
    println!(
        "ours, RAG answer with the product's stop sequences: {:?}",
        g.text
    );
    assert!(!g.text.trim().is_empty(), "an empty answer");
    let mut counts = Vec::new();
    for (name, req) in [
        ("decode after a short prompt", &decode_req),
        ("300-token answer", &short),
        ("RAG", &rag),
    ] {
        let (out, t) = ours_once(&m, req);
        println!(
            "ours, {name}: {} prompt tokens, prefill {:.3} s ({:.0} tok/s), {} tokens decoded in {:.3} s ({:.1} tok/s)",
            t.prefill_tokens,
            t.prefill.as_secs_f64(),
            tok_s(t.prefill_tokens, t.prefill),
            t.decode_tokens,
            t.decode.as_secs_f64(),
            tok_s(t.decode_tokens, t.decode)
        );
        assert!(out.generated_tokens > 0);
        counts.push(out.generated_tokens as u64);
    }
    let (n_decode, n_short, n_rag) = (counts[0], counts[1], counts[2]);

    let mut up = load_upstream(&path);
    let (toks, d) = upstream_generate(&mut up, &decode_ids, ANSWER_TOKENS);
    println!(
        "upstream, decode after a short prompt: {} tokens in {:.3} s ({:.1} tok/s): {:?}",
        toks.len(),
        d.as_secs_f64(),
        tok_s(toks.len(), d),
        m.tokenizer().decode(&toks, false).unwrap_or_default()
    );

    let mut g = c.benchmark_group("llm_prefill_300");
    configure(&mut g);
    g.throughput(Throughput::Elements(short_ids.len() as u64));
    g.bench_function("ours", |b| {
        b.iter(|| {
            let mut cache = m.model().new_cache();
            m.model()
                .forward(black_box(&short_ids), &mut cache, false)
                .expect("forward")
        })
    });
    g.bench_function("upstream", |b| {
        b.iter(|| up.prefill(black_box(&short_ids)).expect("upstream forward"))
    });
    g.finish();

    let mut g = c.benchmark_group("llm_decode_64");
    configure(&mut g);
    g.throughput(Throughput::Elements(n_decode));
    g.bench_function("ours", |b| {
        b.iter_custom(|iters| {
            (0..iters)
                .map(|_| ours_once(&m, &decode_req).1.decode)
                .sum()
        })
    });
    g.throughput(Throughput::Elements(ANSWER_TOKENS as u64));
    g.bench_function("upstream", |b| {
        b.iter_custom(|iters| {
            (0..iters)
                .map(|_| upstream_generate(&mut up, &decode_ids, ANSWER_TOKENS).1)
                .sum()
        })
    });
    g.finish();

    let mut g = c.benchmark_group("llm_e2e_64");
    configure(&mut g);
    g.throughput(Throughput::Elements(n_short));
    g.bench_function("ours", |b| b.iter(|| ours_once(&m, &short)));
    g.finish();

    let mut g = c.benchmark_group("llm_rag_1300");
    configure(&mut g);
    g.throughput(Throughput::Elements(n_rag));
    g.bench_function("ours", |b| b.iter(|| ours_once(&m, &rag)));
    g.finish();

    // Upstream takes about 40 s per RAG answer: criterion's minimum of ten
    // samples would add seven minutes, so it is timed twice by hand.
    let mut runs = Vec::new();
    for _ in 0..2 {
        let t = Instant::now();
        let ids = m.encode(&rag.completion_text()).expect("encode");
        let (toks, decode) = upstream_generate(&mut up, &ids, ANSWER_TOKENS);
        let text = m.tokenizer().decode(&toks, false).expect("decode");
        let total = t.elapsed();
        println!(
            "llm_rag_1300/upstream: {:.2} s ({} prompt tokens, {} generated, decode {:.1} tok/s): {text:?}",
            total.as_secs_f64(),
            ids.len(),
            toks.len(),
            tok_s(toks.len(), decode)
        );
        runs.push(total.as_secs_f64());
    }
    let mean = runs.iter().sum::<f64>() / runs.len() as f64;
    println!(
        "llm_rag_1300/upstream: mean {mean:.2} s over {} runs, {:.1} generated tok/s",
        runs.len(),
        ANSWER_TOKENS as f64 / mean
    );
}

/// Ten samples of one iteration each, after a single warm-up iteration
/// (criterion then warns that ten samples take longer than the target time:
/// a target longer than ten iterations would run two per sample).
fn configure(g: &mut BenchmarkGroup<'_, WallTime>) {
    g.sampling_mode(SamplingMode::Flat);
    g.sample_size(10);
    g.warm_up_time(Duration::from_millis(1));
    g.measurement_time(Duration::from_secs(1));
}

fn config() -> Criterion {
    Criterion::default().sample_size(10)
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
