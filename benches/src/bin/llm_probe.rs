//! One side of the local-model comparison (`benches/compare_llm.sh` runs
//! it): loads Gemma 3 270M in a fresh process and prints one JSON line.
//!
//! ```text
//! llm_probe ours|upstream|lookup|ids [--prompt-tokens N] [--decode N] [--rag-tokens N] [--draft-tokens N] [--profile-output] [--candle-matmul] [--fast]
//! ```
//!
//! `--candle-matmul` loads ours (`ours`, `lookup`) without the int8 kernels
//! (`LoadOptions::int8` off: candle's quantized matmul for every weight, as
//! before them), to measure what they bring in the same session.
//! `--fast` turns on the options that are faster but not bit-identical to
//! the default: `LoadOptions::fast_gelu` and `LoadOptions::skip_masked_keys`.
//!
//! `lookup` is ours through the product path
//! (`LocalGemma::generate_blocking`, greedy without repeat penalty, no stop
//! sequence) with prompt-lookup drafting (`--draft-tokens N` per step, 0
//! for none); its JSON adds `drafted` and `accepted` per run. It stops early only at an end-of-text token.
//!
//! `ids` loads only the tokenizer and prints the token ids of the warm-up,
//! answer and RAG prompts (`{"warmup", "answer", "rag"}`), which
//! `benches/compare_llamacpp.sh` feeds llama.cpp so both engines see the
//! same tokens.
//!
//! - `ours` is `auravest_ai::llm::gemma3::Gemma3`; `upstream` is candle's
//!   `quantized_gemma3::ModelWeights`. Both read the same GGUF file and use
//!   the tokenizer built from it.
//! - Load: the GGUF header, the tokenizer and the weights, timed apart, and
//!   their total.
//! - Peak RSS (`VmHWM` in `/proc/self/status`, MB of 10^6 bytes) after the
//!   load, after the answer run and at the end.
//! - A short warm-up (a one-line question and 4 tokens), then the answer run:
//!   a retrieval-augmented prompt of at most `--prompt-tokens` tokens
//!   (default 300), prefilled at once, then `--decode` tokens (default 64).
//!   Its wall time from text to text (tokenizing, prefill, decoding, turning
//!   the tokens back into text) is the end-to-end figure.
//! - The RAG run: the same with eight knowledge-base passages, cut to at
//!   most `--rag-tokens` tokens (default 1,300; 0 skips it).
//! - `--profile-output` adds the time of the tied output projection for
//!   one token, the largest matmul of a decoding step, as a share of the
//!   step (see [`profile_output`]).
//!
//! Both sides decode greedily with the same loop and always generate the
//! full count (an end-of-text token does not stop them), so they do the
//! same work. The product path (`LocalGemma::generate_blocking`, with its
//! sampler and stop handling) is timed by the `llm_gemma` bench.
//!
//! The prompts and the way candle's model is run are the `llm_gemma`
//! bench's, from `auravest_benches::llm`.

use std::error::Error as StdError;
use std::fs::File;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use auravest_ai::llm::gemma3::{Gemma3, KvCache, LoadOptions};
use auravest_ai::llm::gguf_tokenizer::tokenizer_from_gguf;
use auravest_ai::llm::local::LocalGemma;
use auravest_ai::llm::sampling::argmax;
use auravest_ai::llm::{CancelToken, GenerateRequest, Sampling};
use auravest_benches::llm::{
    RAG_PASSAGES, Upstream, answer_prompt, ranked_passages, sized_request,
};
use candle_core::quantized::{GgmlDType, QMatMul, QTensor, gguf_file};
use candle_core::{Device, Module, Tensor};
use candle_transformers::models::quantized_gemma3::ModelWeights;
use serde_json::{Value, json};
use tokenizers::Tokenizer;

type Result<T> = std::result::Result<T, Box<dyn StdError + Send + Sync>>;

/// The warm-up prompt.
const WARM_UP: &str = "Question: What is a stock?\nAnswer:";

/// A model that runs a prompt, then one token at a time.
trait Engine {
    /// Forgets the context and runs `ids`; the logits of the last one.
    fn prefill(&mut self, ids: &[u32]) -> Result<Vec<f32>>;
    /// Runs one more token; its logits.
    fn step(&mut self, id: u32) -> Result<Vec<f32>>;
}

struct Ours {
    model: Gemma3,
    cache: KvCache,
}

impl Engine for Ours {
    fn prefill(&mut self, ids: &[u32]) -> Result<Vec<f32>> {
        self.cache = self.model.new_cache();
        Ok(self.model.forward(ids, &mut self.cache, false)?)
    }

    fn step(&mut self, id: u32) -> Result<Vec<f32>> {
        Ok(self.model.forward(&[id], &mut self.cache, false)?)
    }
}

/// Through the inherent methods of the same names.
impl Engine for Upstream {
    fn prefill(&mut self, ids: &[u32]) -> Result<Vec<f32>> {
        Ok(Upstream::prefill(self, ids)?)
    }

    fn step(&mut self, id: u32) -> Result<Vec<f32>> {
        Ok(Upstream::step(self, id)?)
    }
}

/// The token ids of `text` as the model sees it (`<bos>` first).
fn encode(tok: &Tokenizer, text: &str) -> Result<Vec<u32>> {
    Ok(tok.encode(text, true)?.get_ids().to_vec())
}

struct Run {
    prompt_tokens: usize,
    encode: Duration,
    prefill: Duration,
    decode_tokens: usize,
    decode: Duration,
    total: Duration,
    text: String,
    ids: Vec<u32>,
}

impl Run {
    fn json(&self) -> Value {
        let s = |d: Duration| d.as_secs_f64();
        json!({
            "prompt_tokens": self.prompt_tokens,
            "encode_s": s(self.encode),
            "prefill_s": s(self.prefill),
            "prefill_tok_s": self.prompt_tokens as f64 / s(self.prefill),
            "decode_tokens": self.decode_tokens,
            "decode_s": s(self.decode),
            "decode_tok_s": self.decode_tokens as f64 / s(self.decode),
            "total_s": s(self.total),
            "text": self.text,
            "ids": self.ids,
        })
    }
}

/// Text in, text out: tokenize, prefill, `decode` greedy tokens (each run
/// through the model, as a generator must before choosing the next one),
/// turn them back into text.
fn answer(engine: &mut dyn Engine, tok: &Tokenizer, text: &str, decode: usize) -> Result<Run> {
    let start = Instant::now();
    let ids = encode(tok, text)?;
    let encode_time = start.elapsed();
    let t = Instant::now();
    let mut logits = engine.prefill(&ids)?;
    let prefill = t.elapsed();
    let t = Instant::now();
    let mut out = Vec::with_capacity(decode);
    for _ in 0..decode {
        let next = argmax(&logits).ok_or("the model gave no logits to choose from")?;
        out.push(next);
        logits = engine.step(next)?;
    }
    let decode_time = t.elapsed();
    let text = tok.decode(&out, false)?;
    Ok(Run {
        prompt_tokens: ids.len(),
        encode: encode_time,
        prefill,
        decode_tokens: out.len(),
        decode: decode_time,
        total: start.elapsed(),
        text,
        ids: out,
    })
}

/// Peak resident set size so far, in MB (10^6 bytes).
fn peak_rss_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024.0 / 1e6)
}

/// Times the tied output projection (the embedding table, vocabulary ×
/// hidden) for one token, as the file stores it (Q8_0) and requantised to
/// Q4_0 (K-quants need rows of 256 values; these have 640), against
/// `decode_s`, the seconds per decoded token of the answer run. Runs after
/// every other figure, since it holds a second copy of the table.
fn profile_output(path: &std::path::Path, decode_s: f64) -> Result<Value> {
    let dev = Device::Cpu;
    let mut file = File::open(path)?;
    let content = gguf_file::Content::read(&mut file)?;
    let table = content.tensor(&mut file, "token_embd.weight", &dev)?;
    let hidden = table.shape().dims()[1];
    let x = Tensor::randn(0f32, 1f32, (1, 1, hidden), &dev)?;
    let mut out = Vec::new();
    for dtype in [table.dtype(), GgmlDType::Q4_0] {
        let w = if dtype == table.dtype() {
            content.tensor(&mut file, "token_embd.weight", &dev)?
        } else {
            QTensor::quantize(&table.dequantize(&dev)?, dtype)?
        };
        let mb = w.storage_size_in_bytes() as f64 / 1e6;
        let mm = QMatMul::from_qtensor(w)?;
        mm.forward(&x)?;
        let reps = 50;
        let t = Instant::now();
        for _ in 0..reps {
            std::hint::black_box(mm.forward(&x)?);
        }
        let s = t.elapsed().as_secs_f64() / f64::from(reps);
        out.push(json!({
            "dtype": format!("{dtype:?}"),
            "mb": mb,
            "ms_per_token": s * 1e3,
            "share_of_decode_step": s / decode_s,
        }));
    }
    Ok(json!({ "decode_ms_per_token": decode_s * 1e3, "variants": out }))
}

struct Args {
    side: String,
    prompt_tokens: usize,
    decode: usize,
    rag_tokens: usize,
    profile_output: bool,
    draft_tokens: Option<usize>,
    candle_matmul: bool,
    fast: bool,
}

impl Args {
    /// How ours is loaded.
    fn load_options(&self) -> LoadOptions {
        LoadOptions {
            int8: !self.candle_matmul,
            fast_gelu: self.fast,
            skip_masked_keys: self.fast,
            ..LoadOptions::default()
        }
    }
}

fn parse_args() -> std::result::Result<Args, String> {
    let mut args = std::env::args().skip(1);
    let side = args.next().unwrap_or_default();
    if !["ours", "upstream", "ids", "lookup"].contains(&side.as_str()) {
        return Err(format!(
            "the first argument must be ours, upstream, lookup or ids, not {side:?}"
        ));
    }
    let mut a = Args {
        side,
        prompt_tokens: 300,
        decode: 64,
        rag_tokens: 1300,
        profile_output: false,
        draft_tokens: None,
        candle_matmul: false,
        fast: false,
    };
    while let Some(flag) = args.next() {
        if flag == "--profile-output" {
            a.profile_output = true;
            continue;
        }
        if flag == "--candle-matmul" {
            a.candle_matmul = true;
            continue;
        }
        if flag == "--fast" {
            a.fast = true;
            continue;
        }
        let value = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
        let n: usize = value
            .parse()
            .map_err(|_| format!("{flag}: not a number: {value}"))?;
        match flag.as_str() {
            "--prompt-tokens" => a.prompt_tokens = n,
            "--decode" => a.decode = n,
            "--rag-tokens" => a.rag_tokens = n,
            "--draft-tokens" => a.draft_tokens = Some(n),
            _ => return Err(format!("unknown option {flag}")),
        }
    }
    if a.decode == 0 || a.prompt_tokens == 0 {
        return Err("--prompt-tokens and --decode must be at least 1".to_owned());
    }
    Ok(a)
}

/// One greedy generation through `LocalGemma` (prompt lookup on), timed
/// by its own timings.
fn lookup_run(m: &LocalGemma, text: &str, decode: usize) -> Result<Value> {
    let mut req = GenerateRequest::new("", text, decode);
    req.sampling = Sampling {
        repeat_penalty: 1.0,
        ..Sampling::GREEDY
    };
    m.reset();
    let start = Instant::now();
    let out = m.generate_blocking(&req, &CancelToken::new(), &mut |_| {})?;
    let total = start.elapsed().as_secs_f64();
    let t = m.last_timings();
    let (p, d) = (t.prefill.as_secs_f64(), t.decode.as_secs_f64());
    Ok(json!({
        "prompt_tokens": out.prompt_tokens,
        "prefill_s": p,
        "prefill_tok_s": out.prompt_tokens as f64 / p,
        "decode_tokens": out.generated_tokens,
        "decode_s": d,
        "decode_tok_s": out.generated_tokens as f64 / d,
        "total_s": total,
        "text": out.text,
        "drafted": t.drafted,
        "accepted": t.accepted,
    }))
}

/// The `lookup` side: the product's generation path.
fn lookup_probe(
    path: &std::path::Path,
    (header, tokenizer, start): (Duration, Duration, Instant),
    tok: &Tokenizer,
    args: &Args,
) -> Result<Value> {
    let t = Instant::now();
    let mut m = LocalGemma::load(path, args.load_options())?;
    if let Some(n) = args.draft_tokens {
        m.set_draft_tokens(n);
    }
    let weights = t.elapsed();
    let load = start.elapsed();
    let rss_load = peak_rss_mb();
    let warm = lookup_run(&m, WARM_UP, 4)?;
    let ranked = ranked_passages()?;
    let ids_of = |text: &str| encode(tok, text);
    let (req, _) = answer_prompt(&ranked, args.prompt_tokens, ids_of)?;
    let run = lookup_run(&m, &req.completion_text(), args.decode)?;
    let rss_run = peak_rss_mb();
    let rag = if args.rag_tokens > 0 {
        let n = RAG_PASSAGES.min(ranked.len());
        let (req, _) = sized_request(&ranked[..n], args.rag_tokens, ids_of)?;
        Some(lookup_run(&m, &req.completion_text(), args.decode)?)
    } else {
        None
    };
    let mut v = load_json(
        "lookup",
        [header, tokenizer, weights, load],
        [rss_load, rss_run, peak_rss_mb()],
    );
    v["draft_tokens"] = json!(m.draft_tokens());
    v["warmup_s"] = warm["total_s"].clone();
    v["answer"] = run;
    v["rag"] = json!(rag);
    Ok(v)
}

/// The figures every side reports about loading: the side, the threads,
/// the load times (GGUF header, tokenizer, weights, total) and peak RSS
/// (after load, after the answer run, at the end).
fn load_json(
    side: &str,
    [header, tokenizer, weights, load]: [Duration; 4],
    [rss_load, rss_run, rss_end]: [Option<f64>; 3],
) -> Value {
    json!({
        "side": side,
        "threads": std::thread::available_parallelism().map_or(0, usize::from),
        "header_s": header.as_secs_f64(),
        "tokenizer_s": tokenizer.as_secs_f64(),
        "weights_s": weights.as_secs_f64(),
        "load_s": load.as_secs_f64(),
        "rss_load_mb": rss_load,
        "rss_run_mb": rss_run,
        "rss_peak_mb": rss_end,
    })
}

/// The prompts' token ids, as [`probe`] builds them.
fn prompt_ids(tok: &Tokenizer, args: &Args) -> Result<Value> {
    let ranked = ranked_passages()?;
    let ids_of = |text: &str| encode(tok, text);
    let (req, _) = answer_prompt(&ranked, args.prompt_tokens, ids_of)?;
    let answer = encode(tok, &req.completion_text())?;
    let rag = if args.rag_tokens > 0 {
        let n = RAG_PASSAGES.min(ranked.len());
        let (req, _) = sized_request(&ranked[..n], args.rag_tokens, ids_of)?;
        Some(encode(tok, &req.completion_text())?)
    } else {
        None
    };
    Ok(json!({"warmup": encode(tok, WARM_UP)?, "answer": answer, "rag": rag}))
}

fn probe(args: &Args) -> Result<Value> {
    let path = auravest_ai::setup::env::gemma_weights()?;
    let start = Instant::now();
    let mut file = File::open(&path)?;
    let content = gguf_file::Content::read(&mut file)?;
    let header = start.elapsed();
    let t = Instant::now();
    let (tok, _vocab) = tokenizer_from_gguf(&content)?;
    let tokenizer = t.elapsed();
    if args.side == "ids" {
        return prompt_ids(&tok, args);
    }
    if args.side == "lookup" {
        drop(content);
        return lookup_probe(&path, (header, tokenizer, start), &tok, args);
    }
    let t = Instant::now();
    let mut engine: Box<dyn Engine> = if args.side == "ours" {
        let model = Gemma3::load(&content, &mut file, args.load_options())?;
        let cache = model.new_cache();
        Box::new(Ours { model, cache })
    } else {
        let model = ModelWeights::from_gguf(content, &mut file, &Device::Cpu)?;
        Box::new(Upstream::new(model))
    };
    let weights = t.elapsed();
    let load = start.elapsed();
    let rss_load = peak_rss_mb();

    let warm = answer(&mut *engine, &tok, WARM_UP, 4)?;
    let ranked = ranked_passages()?;
    let ids_of = |text: &str| encode(&tok, text);
    let (req, ids) = answer_prompt(&ranked, args.prompt_tokens, ids_of)?;
    if ids.len() > args.prompt_tokens {
        return Err(format!(
            "--prompt-tokens {}: the shortest answer prompt is {} tokens",
            args.prompt_tokens,
            ids.len()
        )
        .into());
    }
    let run = answer(&mut *engine, &tok, &req.completion_text(), args.decode)?;
    let rss_run = peak_rss_mb();
    let rag = if args.rag_tokens > 0 {
        let n = RAG_PASSAGES.min(ranked.len());
        let (req, _) = sized_request(&ranked[..n], args.rag_tokens, ids_of)?;
        let text = req.completion_text();
        Some(answer(&mut *engine, &tok, &text, args.decode)?)
    } else {
        None
    };
    let rss_end = peak_rss_mb();
    let output = if args.profile_output {
        let per_token = run.decode.as_secs_f64() / run.decode_tokens as f64;
        Some(profile_output(&path, per_token)?)
    } else {
        None
    };
    let mut v = load_json(
        &args.side,
        [header, tokenizer, weights, load],
        [rss_load, rss_run, rss_end],
    );
    let extra = json!({
        "warmup_s": warm.total.as_secs_f64(),
        "answer": run.json(),
        "rag": rag.as_ref().map(Run::json),
        "output_projection": output,
    });
    if let (Value::Object(v), Value::Object(extra)) = (&mut v, extra) {
        v.extend(extra);
    }
    Ok(v)
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("llm_probe: {e}");
            eprintln!(
                "usage: llm_probe ours|upstream|lookup|ids [--prompt-tokens N] [--decode N] [--rag-tokens N] [--draft-tokens N] [--profile-output] [--candle-matmul] [--fast]"
            );
            return ExitCode::from(2);
        }
    };
    match probe(&args) {
        Ok(v) => {
            println!("{v}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("llm_probe: {e}");
            ExitCode::FAILURE
        }
    }
}
