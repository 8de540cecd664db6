//! Gemma 3 (text) from a quantized GGUF file on candle's CPU backend.
//!
//! The architecture: token embeddings scaled by √hidden; blocks of
//! pre-norm grouped-query attention (RMS-normalised queries and keys, RoPE)
//! and a GELU-gated feed-forward, each followed by its own RMS norm before
//! the residual add; five sliding-window (local) layers for each global one;
//! the output projection tied to the embeddings.
//!
//! What this module does differently from a straightforward port, and why:
//! - **RoPE tables** are built once per kind (local and global) and shared by
//!   every layer, sized to the context this model is loaded for
//!   ([`LoadOptions::context`]) rather than the 128k the architecture allows
//!   (which costs gigabytes and seconds at load).
//! - **Q5_0 tensors are requantised to Q8_0** at load: candle has a fast
//!   AVX2 dot product for Q8_0 and only a scalar one for Q5_0, and the Q5_0
//!   tensors carry most of each layer's work.
//! - **The sliding window is applied in every path**: prompt prefill, chunked
//!   prefill and single-token decoding. Local layers keep only the last
//!   `window - 1` keys and values, so the cache stays bounded and a query at
//!   position p sees exactly the keys at p - window + 1 ..= p.
//! - **Appending several tokens to a filled cache** (a chunked prompt, or
//!   the next turn of a conversation) builds its mask over the cached and
//!   the new positions together.
//! - **The embeddings stay quantized**: rows are dequantized on lookup, and
//!   the same tensor is the output projection.
//! - **Q8_0 and Q5_0 weights are multiplied as integer matrices**
//!   ([`super::int8`]): the projections that read the hidden state (640
//!   values, not a multiple of candle's 256-value blocks) and the tied output
//!   head are held in tiles for AVX-512 VNNI / AVX2 kernels that give
//!   candle's results bit for bit, read from the file a tile at a time. Each
//!   input is quantized once for every projection that reads it, and the
//!   feed-forward's GELU runs on every core ([`super::activation`]).
//! - **Long prompts attend in chunks** of 256 queries, each scoring only the
//!   keys it can see (its window on local layers, the past on all), with a
//!   softmax that sums as candle's does over the whole masked row and a
//!   weighted sum over every value (zero weights outside), so the output
//!   keeps its bits; opt-in ([`LoadOptions::skip_masked_keys`]), the
//!   weighted sum skips the masked values too.

use std::cell::OnceCell;
use std::collections::HashMap;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;
use std::sync::Arc;

use candle_core::quantized::{GgmlDType, QMatMul, QTensor, gguf_file};
use candle_core::{DType, Device, Module, Tensor};

use super::int8::{BlockFormat, PackedQ8, Q8Rows};
use rayon::prelude::*;

use crate::error::{Error, Result};

/// The model name used in errors.
pub const MODEL: &str = "gemma-3-270m-q4_k_m";

/// Every sixth layer attends globally when the file does not say otherwise.
const DEFAULT_SLIDING_PATTERN: usize = 6;

fn model_err(reason: impl Into<String>) -> Error {
    Error::Model {
        model: MODEL.to_owned(),
        reason: reason.into(),
    }
}

fn candle_err(what: &str) -> impl Fn(candle_core::Error) -> Error + '_ {
    move |e| model_err(format!("{what}: {e}"))
}

/// The architecture's hyper-parameters, read from the GGUF metadata.
#[derive(Debug, Clone, PartialEq)]
pub struct Gemma3Config {
    /// Transformer blocks.
    pub layers: usize,
    /// Hidden size.
    pub hidden: usize,
    /// Query heads.
    pub heads: usize,
    /// Key/value heads.
    pub kv_heads: usize,
    /// Size of one head.
    pub head_dim: usize,
    /// RMS norm epsilon.
    pub rms_eps: f64,
    /// Keys a local layer sees, counting the query's own position.
    pub sliding_window: usize,
    /// Every `sliding_pattern`-th layer is global.
    pub sliding_pattern: usize,
    /// RoPE base of the global layers.
    pub rope_global: f32,
    /// RoPE base of the local layers.
    pub rope_local: f32,
    /// The context length the model was trained for.
    pub trained_context: usize,
}

fn md_u32(md: &HashMap<String, gguf_file::Value>, key: &str) -> Result<Option<usize>> {
    match md.get(key) {
        None => Ok(None),
        Some(v) => v
            .to_u32()
            .map(|x| Some(x as usize))
            .or_else(|_| v.to_u64().map(|x| usize::try_from(x).ok()))
            .map_err(|_| model_err(format!("metadata {key} is not an unsigned integer"))),
    }
}

fn md_f32(md: &HashMap<String, gguf_file::Value>, key: &str) -> Result<Option<f32>> {
    match md.get(key) {
        None => Ok(None),
        Some(v) => v
            .to_f32()
            .map(Some)
            .map_err(|_| model_err(format!("metadata {key} is not a float"))),
    }
}

fn required<T>(v: Option<T>, key: &str) -> Result<T> {
    v.ok_or_else(|| model_err(format!("metadata {key} is missing")))
}

impl Gemma3Config {
    /// Reads the `gemma3.*` keys.
    ///
    /// # Errors
    /// [`Error::Model`] naming a missing or mistyped key, another
    /// architecture, or sizes that do not fit together.
    pub fn from_metadata(md: &HashMap<String, gguf_file::Value>) -> Result<Self> {
        let arch = md
            .get("general.architecture")
            .and_then(|v| v.to_string().ok())
            .map(String::as_str);
        if arch != Some("gemma3") {
            return Err(model_err(format!(
                "general.architecture is {}, not gemma3",
                arch.unwrap_or("missing")
            )));
        }
        let k = |s: &str| format!("gemma3.{s}");
        let heads = required(
            md_u32(md, &k("attention.head_count"))?,
            "gemma3.attention.head_count",
        )?;
        let kv_heads = required(
            md_u32(md, &k("attention.head_count_kv"))?,
            "gemma3.attention.head_count_kv",
        )?;
        let hidden = required(
            md_u32(md, &k("embedding_length"))?,
            "gemma3.embedding_length",
        )?;
        let head_dim = match md_u32(md, &k("attention.key_length"))? {
            Some(d) => d,
            None => hidden / heads.max(1),
        };
        let cfg = Self {
            layers: required(md_u32(md, &k("block_count"))?, "gemma3.block_count")?,
            hidden,
            heads,
            kv_heads,
            head_dim,
            rms_eps: f64::from(required(
                md_f32(md, &k("attention.layer_norm_rms_epsilon"))?,
                "gemma3.attention.layer_norm_rms_epsilon",
            )?),
            sliding_window: required(
                md_u32(md, &k("attention.sliding_window"))?,
                "gemma3.attention.sliding_window",
            )?,
            sliding_pattern: md_u32(md, &k("attention.sliding_window_type"))?
                .unwrap_or(DEFAULT_SLIDING_PATTERN),
            rope_global: md_f32(md, &k("rope.freq_base"))?.unwrap_or(1_000_000.0),
            rope_local: md_f32(md, &k("rope.local_freq_base"))?.unwrap_or(10_000.0),
            trained_context: md_u32(md, &k("context_length"))?.unwrap_or(32_768),
        };
        if cfg.layers == 0
            || cfg.heads == 0
            || cfg.kv_heads == 0
            || !cfg.heads.is_multiple_of(cfg.kv_heads)
            || cfg.head_dim == 0
            || !cfg.head_dim.is_multiple_of(2)
            || cfg.sliding_window < 2
            || cfg.sliding_pattern == 0
        {
            return Err(model_err(format!(
                "inconsistent sizes: {} layers, {} heads, {} kv heads, head size {}, window {}, pattern {}",
                cfg.layers,
                cfg.heads,
                cfg.kv_heads,
                cfg.head_dim,
                cfg.sliding_window,
                cfg.sliding_pattern
            )));
        }
        Ok(cfg)
    }

    /// Is layer `i` a sliding-window (local) layer?
    pub fn is_local(&self, i: usize) -> bool {
        !(i + 1).is_multiple_of(self.sliding_pattern)
    }
}

/// How the model is loaded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoadOptions {
    /// The longest context (prompt plus generated tokens) this instance
    /// serves; RoPE tables are sized to it.
    pub context: usize,
    /// Hold Q8_0 and Q5_0 weights in the integer layout of
    /// [`super::int8`] and multiply them there (the fast path, with the same
    /// results as candle's); otherwise candle's quantized matmul runs them.
    pub int8: bool,
    /// Requantise Q5_0 tensors to Q8_0 at load (candle's Q5_0 kernel is
    /// scalar). The int8 path does it the same way, so both paths compute
    /// the same values; off, both keep Q5_0 exactly.
    pub requantize_q5: bool,
    /// On the int8 path, compute the feed-forward's GELU with a vectorised
    /// exponential instead of the C library's `tanh` (faster; as accurate,
    /// but not the same bits, so the output can differ from the default).
    pub fast_gelu: bool,
    /// Let each chunk of a long prompt's queries weight only the values of
    /// the keys it can see (its window on local layers, the past on all), as
    /// it already scores only those keys, instead of every value with zero
    /// weights. The same function, with less work on long prompts, but
    /// candle's matrix product groups a shorter sum differently, so the
    /// output can differ in the last bits from the default.
    pub skip_masked_keys: bool,
    /// Queries per attention chunk of a long prompt (at least 1; a value at
    /// least the prompt's length attends in one piece).
    pub attention_chunk: usize,
}

impl Default for LoadOptions {
    fn default() -> Self {
        Self {
            context: 4096,
            int8: true,
            requantize_q5: true,
            fast_gelu: false,
            skip_masked_keys: false,
            attention_chunk: ATTENTION_CHUNK,
        }
    }
}

#[derive(Debug, Clone)]
struct Rope {
    cos: Tensor,
    sin: Tensor,
}

impl Rope {
    fn new(head_dim: usize, base: f32, len: usize, dev: &Device) -> candle_core::Result<Self> {
        let half = head_dim / 2;
        let inv: Vec<f32> = (0..half)
            .map(|i| 1.0 / base.powf((2 * i) as f32 / head_dim as f32))
            .collect();
        let mut angles = Vec::with_capacity(len * half);
        for p in 0..len {
            let p = p as f32;
            angles.extend(inv.iter().map(|f| p * f));
        }
        let t = Tensor::from_vec(angles, (len, half), dev)?;
        Ok(Self {
            cos: t.cos()?,
            sin: t.sin()?,
        })
    }

    /// Rotates `x` (batch, heads, seq, head_dim) for positions
    /// `start..start + seq`.
    fn apply(&self, x: &Tensor, start: usize) -> candle_core::Result<Tensor> {
        let seq = x.dim(2)?;
        let cos = self.cos.narrow(0, start, seq)?;
        let sin = self.sin.narrow(0, start, seq)?;
        candle_nn::rotary_emb::rope(&x.contiguous()?, &cos, &sin)
    }
}

#[derive(Debug, Clone)]
struct Norm {
    weight: Tensor,
    eps: f32,
}

impl Norm {
    fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        candle_nn::ops::rms_norm(&x.contiguous()?, &self.weight, self.eps)
    }
}

/// How a weight is held after loading.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Held {
    /// In candle's quantized tensor, in this type.
    Candle(GgmlDType),
    /// In the integer layout of the int8 kernels, from this file type.
    Int8(GgmlDType),
}

/// A projection's weights.
#[derive(Debug, Clone)]
enum Linear {
    Int8(Arc<PackedQ8>),
    Candle(QMatMul),
}

/// A projection's input, quantized at most once for every int8 projection
/// that reads it.
struct Input<'a> {
    x: &'a Tensor,
    q: OnceCell<Q8Rows>,
}

impl<'a> Input<'a> {
    fn new(x: &'a Tensor) -> Self {
        Self {
            x,
            q: OnceCell::new(),
        }
    }

    fn quantized(&self) -> candle_core::Result<&Q8Rows> {
        if let Some(q) = self.q.get() {
            return Ok(q);
        }
        let k = self.x.dims().last().copied().unwrap_or(0);
        let values = self.x.flatten_all()?.to_vec1::<f32>()?;
        let q = Q8Rows::quantize(values.len() / k.max(1), k, &values).map_err(|e| int8_err(&e))?;
        Ok(self.q.get_or_init(|| q))
    }
}

/// An int8 product's `out` as a tensor shaped like its input `x` with
/// `cols` values in the last axis.
fn int8_output(out: Vec<f32>, x: &Tensor, cols: usize) -> candle_core::Result<Tensor> {
    let mut shape = x.dims().to_vec();
    if let Some(last) = shape.last_mut() {
        *last = cols;
    }
    Tensor::from_vec(out, shape, x.device())
}

fn int8_err(e: &Error) -> candle_core::Error {
    candle_core::Error::Msg(format!("int8 matmul: {e}"))
}

impl Linear {
    fn forward(&self, input: &Input<'_>) -> candle_core::Result<Tensor> {
        match self {
            Self::Candle(m) => m.forward(input.x),
            Self::Int8(w) => {
                let out = w.matmul(input.quantized()?).map_err(|e| int8_err(&e))?;
                int8_output(out, input.x, w.rows())
            }
        }
    }
}

/// The token embeddings (also the output head when tied).
#[derive(Debug, Clone)]
enum Embedding {
    Int8(Arc<PackedQ8>),
    Candle(Arc<QTensor>),
}

/// A weight as loaded.
enum Loaded {
    Int8(PackedQ8),
    Candle(QTensor),
}

#[derive(Debug, Clone)]
struct Layer {
    wq: Linear,
    wk: Linear,
    wv: Linear,
    wo: Linear,
    gate: Linear,
    up: Linear,
    down: Linear,
    q_norm: Norm,
    k_norm: Norm,
    attn_norm: Norm,
    post_attn_norm: Norm,
    ffn_norm: Norm,
    post_ffn_norm: Norm,
    local: bool,
}

/// The keys and values of the positions processed so far.
#[derive(Debug, Clone, Default)]
pub struct KvCache {
    layers: Vec<Option<(Tensor, Tensor)>>,
    pos: usize,
    /// Positions local layers keep beyond their window, so that the last
    /// `slack` positions can be taken back ([`KvCache::truncate`]).
    slack: usize,
}

impl KvCache {
    /// Positions processed so far (the next token's position).
    pub fn position(&self) -> usize {
        self.pos
    }

    /// Forgets everything.
    pub fn clear(&mut self) {
        self.layers.clear();
        self.pos = 0;
    }

    /// How many of the last positions [`KvCache::truncate`] can take back.
    pub fn slack(&self) -> usize {
        self.slack
    }

    /// Takes back every position from `pos` on, as if they had never been
    /// run (speculative decoding drops the draft tokens the model did not
    /// confirm this way). At most [`KvCache::slack`] positions can be taken
    /// back after one [`Gemma3::forward`] call; the cache is left as it was
    /// on an error.
    ///
    /// # Errors
    /// [`Error::Invalid`] when `pos` is past the cache's position, or when a
    /// local layer no longer holds the positions it would need.
    pub fn truncate(&mut self, pos: usize) -> Result<()> {
        if pos > self.pos {
            return Err(Error::invalid(
                "pos",
                format!("{pos} is past the cache's position {}", self.pos),
            ));
        }
        let drop = self.pos - pos;
        if drop == 0 {
            return Ok(());
        }
        let mut next = Vec::with_capacity(self.layers.len());
        for slot in &self.layers {
            next.push(match slot {
                None => None,
                Some((k, v)) => {
                    let held = k.dim(2).map_err(candle_err("truncate"))?;
                    // What is left must still reach back as far as the next
                    // query needs: a layer that holds every position does;
                    // a local layer cut to its window plus the slack does
                    // when no more than the slack is taken back.
                    if held < drop || (held < self.pos && drop > self.slack) {
                        return Err(Error::invalid(
                            "pos",
                            format!(
                                "cannot take back {drop} positions: a layer holds {held} and keeps {} spare",
                                self.slack
                            ),
                        ));
                    }
                    if held - drop == 0 {
                        None
                    } else {
                        Some((
                            k.narrow(2, 0, held - drop).map_err(candle_err("truncate"))?,
                            v.narrow(2, 0, held - drop).map_err(candle_err("truncate"))?,
                        ))
                    }
                }
            });
        }
        self.layers = next;
        self.pos = pos;
        Ok(())
    }

    /// Positions held by layer `i` (bounded by the window for local layers).
    pub fn held(&self, layer: usize) -> usize {
        self.layers
            .get(layer)
            .and_then(Option::as_ref)
            .and_then(|(k, _)| k.dim(2).ok())
            .unwrap_or(0)
    }
}

/// Gemma 3 weights, ready to run.
#[derive(Debug, Clone)]
pub struct Gemma3 {
    cfg: Gemma3Config,
    embed: Embedding,
    vocab: usize,
    output: Linear,
    layers: Vec<Layer>,
    norm: Norm,
    rope_local: Rope,
    rope_global: Rope,
    context: usize,
    fast_gelu: bool,
    skip_masked_keys: bool,
    attention_chunk: usize,
    device: Device,
    weight_types: Vec<(String, Held)>,
}

impl Gemma3 {
    /// Loads the weights from an open GGUF file whose header is `content`.
    ///
    /// # Errors
    /// [`Error::Model`] for a missing tensor, a tensor of the wrong shape or
    /// bad metadata, naming it.
    pub fn load<R: Read + Seek>(
        content: &gguf_file::Content,
        reader: &mut R,
        options: LoadOptions,
    ) -> Result<Self> {
        let cfg = Gemma3Config::from_metadata(&content.metadata)?;
        if options.context == 0 {
            return Err(Error::invalid("context", "must be at least 1 token"));
        }
        if options.attention_chunk == 0 {
            return Err(Error::invalid(
                "attention_chunk",
                "must be at least 1 query",
            ));
        }
        let dev = Device::Cpu;
        let mut weight_types = Vec::new();
        // Reads a tensor; a 2-D Q8_0 or Q5_0 one goes to the int8 layout
        // when `int8` is set and asked for.
        let mut tensor = |name: &str, shape: &[usize], int8: bool| -> Result<Loaded> {
            let Some(info) = content.tensor_infos.get(name) else {
                return Err(model_err(format!("tensor {name} is missing")));
            };
            if info.shape.dims() != shape {
                return Err(model_err(format!(
                    "tensor {name} has shape {:?}, expected {shape:?}",
                    info.shape.dims()
                )));
            }
            let format = match info.ggml_dtype {
                GgmlDType::Q8_0 => Some(BlockFormat::Q8_0),
                GgmlDType::Q5_0 if options.requantize_q5 => Some(BlockFormat::Q5_0AsQ8_0),
                GgmlDType::Q5_0 => Some(BlockFormat::Q5_0),
                _ => None,
            };
            if let (true, true, Some(format), &[rows, cols]) = (int8, options.int8, format, shape) {
                let at = content.tensor_data_offset + info.offset;
                reader
                    .seek(SeekFrom::Start(at))
                    .map_err(|e| model_err(format!("{name}: seeking to {at}: {e}")))?;
                let packed = PackedQ8::from_reader(rows, cols, format, reader)
                    .map_err(|e| model_err(format!("{name}: {e}")))?;
                weight_types.push((name.to_owned(), Held::Int8(info.ggml_dtype)));
                return Ok(Loaded::Int8(packed));
            }
            let t = content
                .tensor(reader, name, &dev)
                .map_err(candle_err(name))?;
            let t = if options.requantize_q5 && t.dtype() == GgmlDType::Q5_0 {
                let f = t.dequantize(&dev).map_err(candle_err(name))?;
                QTensor::quantize(&f, GgmlDType::Q8_0).map_err(candle_err(name))?
            } else {
                t
            };
            weight_types.push((name.to_owned(), Held::Candle(t.dtype())));
            Ok(Loaded::Candle(t))
        };
        let norm = |t: Loaded, name: &str| -> Result<Norm> {
            let Loaded::Candle(t) = t else {
                return Err(model_err(format!("{name} is not a vector")));
            };
            Ok(Norm {
                weight: t.dequantize(&Device::Cpu).map_err(candle_err(name))?,
                eps: cfg.rms_eps as f32,
            })
        };
        let linear = |t: Loaded, name: &str| -> Result<Linear> {
            Ok(match t {
                Loaded::Int8(p) => Linear::Int8(Arc::new(p)),
                Loaded::Candle(t) => {
                    Linear::Candle(QMatMul::from_qtensor(t).map_err(candle_err(name))?)
                }
            })
        };
        let h = cfg.hidden;
        let q_dim = cfg.heads * cfg.head_dim;
        let kv_dim = cfg.kv_heads * cfg.head_dim;
        let vocab = content
            .tensor_infos
            .get("token_embd.weight")
            .map(|i| i.shape.dims().first().copied().unwrap_or(0))
            .ok_or_else(|| model_err("tensor token_embd.weight is missing"))?;
        let tied = !content.tensor_infos.contains_key("output.weight");
        let (embed, tied_output) = match tensor("token_embd.weight", &[vocab, h], true)? {
            Loaded::Int8(p) => {
                let p = Arc::new(p);
                let out = tied.then(|| Linear::Int8(Arc::clone(&p)));
                (Embedding::Int8(p), out)
            }
            Loaded::Candle(t) => {
                let t = Arc::new(t);
                let out = if tied {
                    let m = QMatMul::from_arc(Arc::clone(&t))
                        .map_err(candle_err("token_embd.weight"))?;
                    Some(Linear::Candle(m))
                } else {
                    None
                };
                (Embedding::Candle(t), out)
            }
        };
        let output = match tied_output {
            Some(o) => o,
            None => {
                let t = tensor("output.weight", &[vocab, h], true)?;
                linear(t, "output.weight")?
            }
        };
        let final_norm = tensor("output_norm.weight", &[h], false)?;
        let final_norm = norm(final_norm, "output_norm.weight")?;
        let ffn = content
            .tensor_infos
            .get("blk.0.ffn_up.weight")
            .map(|i| i.shape.dims().first().copied().unwrap_or(0))
            .ok_or_else(|| model_err("tensor blk.0.ffn_up.weight is missing"))?;
        let mut layers = Vec::with_capacity(cfg.layers);
        for i in 0..cfg.layers {
            let n = |s: &str| format!("blk.{i}.{s}.weight");
            let mut get = |s: &str, shape: &[usize]| tensor(&n(s), shape, shape.len() == 2);
            let wq = get("attn_q", &[q_dim, h])?;
            let wk = get("attn_k", &[kv_dim, h])?;
            let wv = get("attn_v", &[kv_dim, h])?;
            let wo = get("attn_output", &[h, q_dim])?;
            let gate = get("ffn_gate", &[ffn, h])?;
            let up = get("ffn_up", &[ffn, h])?;
            let down = get("ffn_down", &[h, ffn])?;
            let q_norm = get("attn_q_norm", &[cfg.head_dim])?;
            let k_norm = get("attn_k_norm", &[cfg.head_dim])?;
            let attn_norm = get("attn_norm", &[h])?;
            let post_attn_norm = get("post_attention_norm", &[h])?;
            let ffn_norm = get("ffn_norm", &[h])?;
            let post_ffn_norm = get("post_ffw_norm", &[h])?;
            layers.push(Layer {
                wq: linear(wq, &n("attn_q"))?,
                wk: linear(wk, &n("attn_k"))?,
                wv: linear(wv, &n("attn_v"))?,
                wo: linear(wo, &n("attn_output"))?,
                gate: linear(gate, &n("ffn_gate"))?,
                up: linear(up, &n("ffn_up"))?,
                down: linear(down, &n("ffn_down"))?,
                q_norm: norm(q_norm, &n("attn_q_norm"))?,
                k_norm: norm(k_norm, &n("attn_k_norm"))?,
                attn_norm: norm(attn_norm, &n("attn_norm"))?,
                post_attn_norm: norm(post_attn_norm, &n("post_attention_norm"))?,
                ffn_norm: norm(ffn_norm, &n("ffn_norm"))?,
                post_ffn_norm: norm(post_ffn_norm, &n("post_ffw_norm"))?,
                local: cfg.is_local(i),
            });
        }
        let rope_local = Rope::new(cfg.head_dim, cfg.rope_local, options.context, &dev)
            .map_err(candle_err("rope"))?;
        let rope_global = Rope::new(cfg.head_dim, cfg.rope_global, options.context, &dev)
            .map_err(candle_err("rope"))?;
        Ok(Self {
            cfg,
            embed,
            vocab,
            output,
            layers,
            norm: final_norm,
            rope_local,
            rope_global,
            context: options.context,
            fast_gelu: options.fast_gelu,
            skip_masked_keys: options.skip_masked_keys,
            attention_chunk: options.attention_chunk,
            device: dev,
            weight_types,
        })
    }

    /// Opens and loads a GGUF file.
    ///
    /// # Errors
    /// [`Error::Io`] when it cannot be opened; as [`Gemma3::load`].
    pub fn load_file(path: &Path, options: LoadOptions) -> Result<(Self, gguf_file::Content)> {
        let mut f =
            std::io::BufReader::new(std::fs::File::open(path).map_err(|e| Error::io(path, &e))?);
        let content = super::gguf_header::read_header(&mut f).map_err(|e| match e {
            Error::Model { reason, .. } => model_err(format!("{}: {reason}", path.display())),
            other => other,
        })?;
        let model = Self::load(&content, &mut f, options)?;
        Ok((model, content))
    }

    /// The hyper-parameters.
    pub fn config(&self) -> &Gemma3Config {
        &self.cfg
    }

    /// The longest context this instance serves.
    pub fn context(&self) -> usize {
        self.context
    }

    /// The vocabulary size (rows of the embedding table).
    pub fn vocab_size(&self) -> usize {
        self.vocab
    }

    /// Each weight's name and how it is held after loading.
    pub fn weight_types(&self) -> &[(String, Held)] {
        &self.weight_types
    }

    /// A new, empty cache for this model.
    pub fn new_cache(&self) -> KvCache {
        self.new_cache_with_slack(0)
    }

    /// A new, empty cache whose local layers keep `slack` positions beyond
    /// their window, so that [`KvCache::truncate`] can take back up to
    /// `slack` positions (for speculative decoding).
    pub fn new_cache_with_slack(&self, slack: usize) -> KvCache {
        KvCache {
            layers: vec![None; self.cfg.layers],
            pos: 0,
            slack,
        }
    }

    /// Runs `tokens` after what `cache` holds and returns the logits of the
    /// last position (`vocab` values), or of every new position
    /// (`tokens.len() × vocab`, row-major) when `all` is set.
    ///
    /// # Errors
    /// [`Error::Invalid`] for no tokens, a token outside the vocabulary or a
    /// context longer than the model was loaded for (the cache is left as it
    /// was); [`Error::Model`] for a failure inside candle.
    pub fn forward(&self, tokens: &[u32], cache: &mut KvCache, all: bool) -> Result<Vec<f32>> {
        if tokens.is_empty() {
            return Err(Error::invalid("tokens", "nothing to run"));
        }
        let vocab = self.vocab_size();
        if let Some(bad) = tokens.iter().find(|&&t| t as usize >= vocab) {
            return Err(Error::invalid(
                "tokens",
                format!("token id {bad} is outside the vocabulary of {vocab}"),
            ));
        }
        let end = cache.pos + tokens.len();
        if end > self.context {
            return Err(Error::invalid(
                "tokens",
                format!(
                    "{} cached plus {} new tokens exceed the context of {} this model was loaded for",
                    cache.pos,
                    tokens.len(),
                    self.context
                ),
            ));
        }
        if cache.layers.len() != self.cfg.layers {
            cache.layers = vec![None; self.cfg.layers];
        }
        // Work on a copy of the cache handles so that a failure leaves the
        // caller's cache untouched.
        let mut next = cache.layers.clone();
        let logits = self
            .run(tokens, cache.pos, cache.slack, &mut next, all)
            .map_err(candle_err("forward"))?;
        cache.layers = next;
        cache.pos = end;
        Ok(logits)
    }

    fn run(
        &self,
        tokens: &[u32],
        start: usize,
        slack: usize,
        kv: &mut [Option<(Tensor, Tensor)>],
        all: bool,
    ) -> candle_core::Result<Vec<f32>> {
        let seq = tokens.len();
        let mut x = self.embed(tokens)?.unsqueeze(0)?;
        x = (x * (self.cfg.hidden as f64).sqrt())?;
        // Every local layer holds the same positions, and so does every
        // global one: each kind's mask is built once per call.
        let mut masks = Masks::default();
        for (layer, slot) in self.layers.iter().zip(kv.iter_mut()) {
            let h = layer.attn_norm.forward(&x)?;
            let h = self.attention(layer, &h, (start, slack), slot, &mut masks)?;
            let h = layer.post_attn_norm.forward(&h)?;
            x = (x + h)?;
            let h = layer.ffn_norm.forward(&x)?;
            let f = feed_forward(layer, &h, self.fast_gelu)?;
            let h = layer.down.forward(&Input::new(&f))?;
            let h = layer.post_ffn_norm.forward(&h)?;
            x = (x + h)?;
        }
        let x = if all { x } else { x.narrow(1, seq - 1, 1)? };
        let x = self.norm.forward(&x)?;
        let logits = self.output.forward(&Input::new(&x))?;
        logits.flatten_all()?.to_dtype(DType::F32)?.to_vec1::<f32>()
    }

    fn attention(
        &self,
        layer: &Layer,
        x: &Tensor,
        (start, slack): (usize, usize),
        slot: &mut Option<(Tensor, Tensor)>,
        masks: &mut Masks,
    ) -> candle_core::Result<Tensor> {
        let cfg = &self.cfg;
        let (b, seq, _) = x.dims3()?;
        let (nh, nkv, hd) = (cfg.heads, cfg.kv_heads, cfg.head_dim);
        let input = Input::new(x);
        let q = layer.wq.forward(&input)?.reshape((b, seq, nh, hd))?;
        let k = layer.wk.forward(&input)?.reshape((b, seq, nkv, hd))?;
        let v = layer.wv.forward(&input)?.reshape((b, seq, nkv, hd))?;
        let q = layer.q_norm.forward(&q)?.transpose(1, 2)?;
        let k = layer.k_norm.forward(&k)?.transpose(1, 2)?;
        let v = v.transpose(1, 2)?.contiguous()?;
        let rope = if layer.local {
            &self.rope_local
        } else {
            &self.rope_global
        };
        let q = rope.apply(&q, start)?;
        let k = rope.apply(&k, start)?;
        let (k, v) = match slot.as_ref() {
            Some((ck, cv)) => (Tensor::cat(&[ck, &k], 2)?, Tensor::cat(&[cv, &v], 2)?),
            None => (k, v),
        };
        let total = k.dim(2)?;
        let first = start + seq - total; // position of the first key held
        // Local layers keep the last window - 1 positions: with the next
        // query's own key, exactly the window (plus the slack that can be
        // taken back).
        let keep = cfg.sliding_window - 1 + slack;
        *slot = Some(if layer.local && total > keep {
            (
                k.narrow(2, total - keep, keep)?.contiguous()?,
                v.narrow(2, total - keep, keep)?.contiguous()?,
            )
        } else {
            (k.clone(), v.clone())
        });
        // Queries in chunks, each scoring only the keys it can see: a long
        // prompt's local layers skip what lies beyond their window and every
        // layer what lies in the future.
        let window = layer.local.then_some(cfg.sliding_window);
        let chunk = self.attention_chunk;
        let mut outs = Vec::with_capacity(seq.div_ceil(chunk));
        for c0 in (0..seq).step_by(chunk) {
            let cs = (seq - c0).min(chunk);
            let qp = start + c0; // position of the chunk's first query
            // Keys (as indices into k) from the first any of the chunk's
            // queries sees to the last query's own.
            let lo = match window {
                Some(w) => (qp + 1).saturating_sub(w).max(first) - first,
                None => 0,
            };
            let hi = qp + cs - first;
            let key = MaskKey {
                local: layer.local,
                chunk: c0,
                keys: hi - lo,
            };
            let built = match masks.0.iter().find(|(k, _)| *k == key) {
                Some((_, m)) => m.clone(),
                None => {
                    let m = mask(cs, hi - lo, qp, first + lo, window, &self.device)?;
                    masks.0.push((key, m.clone()));
                    m
                }
            };
            let qc = q.narrow(2, c0, cs)?;
            let narrow = |t: &Tensor| -> candle_core::Result<Tensor> {
                if lo == 0 && hi == total {
                    Ok(t.clone())
                } else {
                    t.narrow(2, lo, hi - lo)?.contiguous()
                }
            };
            // Scores only for the keys the chunk can see; the weighted sum of
            // values over every key held (with zero weights outside), whose
            // sums candle groups as without chunks, unless the caller opted
            // out of the same bits.
            let kc = narrow(&k)?;
            let (vc, span) = if self.skip_masked_keys {
                (narrow(&v)?, None)
            } else {
                (v.clone(), Some((lo, total)))
            };
            outs.push(attend(&qc, &kc, &vc, built.as_ref(), nkv, span)?);
        }
        let out = if outs.len() == 1 {
            outs.swap_remove(0)
        } else {
            Tensor::cat(&outs, 2)?
        };
        let out = out.transpose(1, 2)?.reshape((b, seq, nh * hd))?;
        layer.wo.forward(&Input::new(&out))
    }

    /// The embeddings of `tokens` (checked to be in the vocabulary), one
    /// row each.
    fn embed(&self, tokens: &[u32]) -> candle_core::Result<Tensor> {
        match &self.embed {
            Embedding::Candle(t) => t.embedding(&Tensor::new(tokens, &self.device)?),
            Embedding::Int8(p) => {
                let h = p.cols();
                let mut out = vec![0f32; tokens.len() * h];
                for (row, &t) in out.chunks_exact_mut(h).zip(tokens) {
                    p.dequantize_row(t as usize, row)
                        .map_err(|e| int8_err(&e))?;
                }
                Tensor::from_vec(out, (tokens.len(), h), &self.device)
            }
        }
    }
}

/// `gelu(gate(h)) · up(h)`: on int8 weights with the fused activation of
/// [`super::activation`], otherwise with candle's ops.
fn feed_forward(layer: &Layer, h: &Tensor, fast_gelu: bool) -> candle_core::Result<Tensor> {
    let input = Input::new(h);
    match (&layer.gate, &layer.up) {
        (Linear::Int8(gate), Linear::Int8(up)) => {
            let q = input.quantized()?;
            let mut g = gate.matmul(q).map_err(|e| int8_err(&e))?;
            let u = up.matmul(q).map_err(|e| int8_err(&e))?;
            super::activation::gelu_mul(&mut g, &u, fast_gelu);
            int8_output(g, h, gate.rows())
        }
        _ => layer.gate.forward(&input)?.gelu()? * layer.up.forward(&input)?,
    }
}

/// Queries per attention chunk of a long prompt, by default.
pub const ATTENTION_CHUNK: usize = 256;

/// Scaled dot-product attention of queries `q` (batch, heads, n, head size)
/// over keys and values `k`, `v` (batch, kv heads, keys, head size), with an
/// additive `mask` (n, keys). Grouped-query attention without copying keys:
/// the query heads of one key head are stacked along the sequence axis.
/// With `span` = `(offset, full)`, `k` holds keys `offset..` of the `full`
/// keys that `v` holds, the others being masked for these queries (see
/// [`softmax_rows`]); without it, `k` and `v` hold the same keys.
fn attend(
    q: &Tensor,
    k: &Tensor,
    v: &Tensor,
    mask: Option<&Tensor>,
    nkv: usize,
    span: Option<(usize, usize)>,
) -> candle_core::Result<Tensor> {
    let (b, nh, n, hd) = q.dims4()?;
    let keys = k.dim(2)?;
    let group = nh / nkv;
    let q = q.contiguous()?.reshape((b, nkv, group * n, hd))?;
    let scale = 1.0 / (hd as f64).sqrt();
    let scores = (q.matmul(&k.t()?)? * scale)?;
    let scores = scores.reshape((b, nh, n, keys))?;
    let scores = match mask {
        Some(m) => scores.broadcast_add(m)?,
        None => scores,
    };
    let probs = softmax_rows(&scores, span)?;
    let width = span.map_or(keys, |(_, full)| full);
    let probs = probs.reshape((b, nkv, group * n, width))?;
    probs.matmul(v)?.reshape((b, nh, n, hd))
}

/// Softmax over the last axis of `scores`. With `span` = `(offset, full)`,
/// the rows stand for keys `offset..offset + keys` of rows of `full` keys
/// whose other entries are masked: the result has rows of `full` values
/// (zeros outside), summed as candle's softmax sums the full row (on AVX2,
/// 32 running sums by position, added pairwise, then the remainder one by
/// one), so a chunk that scores only the keys it can see gets the bits of
/// scoring all of them with a mask.
fn softmax_rows(scores: &Tensor, span: Option<(usize, usize)>) -> candle_core::Result<Tensor> {
    let mut dims = scores.dims().to_vec();
    let keys = dims.last().copied().unwrap_or(1).max(1);
    let (offset, full) = span.unwrap_or((0, keys));
    let values = scores.flatten_all()?.to_vec1::<f32>()?;
    let lanes = candle_sum_lanes();
    let mut out = vec![0f32; values.len() / keys * full];
    out.par_chunks_mut(full)
        .zip(values.par_chunks(keys))
        .for_each(|(dst, src)| {
            let row = &mut dst[offset..offset + keys];
            row.copy_from_slice(src);
            softmax_row(row, offset, full, lanes);
        });
    if let Some(last) = dims.last_mut() {
        *last = full;
    }
    Tensor::from_vec(out, dims, scores.device())
}

/// How many running sums candle's `f32` row sum keeps on this CPU (32 with
/// AVX2; otherwise it sums one by one).
fn candle_sum_lanes() -> usize {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        return 32;
    }
    1
}

fn softmax_row(row: &mut [f32], offset: usize, full: usize, lanes: usize) {
    let max = row.iter().fold(f32::NEG_INFINITY, |m, &x| m.max(x));
    for x in row.iter_mut() {
        *x = (*x - max).exp();
    }
    let sum = if lanes == 32 {
        let vector = full & !31;
        let mut acc = [0f32; 32];
        for (i, &x) in row.iter().enumerate() {
            if offset + i < vector {
                acc[(offset + i) % 32] += x;
            }
        }
        // Four registers of eight: (r0 + r1) + (r2 + r3), then the halves,
        // then two horizontal adds.
        let mut s = [0f32; 8];
        for (j, s) in s.iter_mut().enumerate() {
            *s = (acc[j] + acc[8 + j]) + (acc[16 + j] + acc[24 + j]);
        }
        let t = [s[0] + s[4], s[1] + s[5], s[2] + s[6], s[3] + s[7]];
        let mut sum = (t[0] + t[1]) + (t[2] + t[3]);
        for (i, &x) in row.iter().enumerate() {
            if offset + i >= vector {
                sum += x;
            }
        }
        sum
    } else {
        row.iter().fold(0f32, |s, &x| s + x)
    };
    for x in row.iter_mut() {
        *x /= sum;
    }
}

/// Which mask a chunk of queries needs: every layer of a kind (local or
/// global) holds the same positions, so one mask serves them all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct MaskKey {
    local: bool,
    chunk: usize,
    keys: usize,
}

/// The attention masks of one forward call.
#[derive(Default)]
struct Masks(Vec<(MaskKey, Option<Tensor>)>);

/// The additive mask (0 or −∞) of queries at `start..start + seq` over keys
/// at `first..first + total`: causal, and within `window` positions for
/// local layers. `None` when nothing is masked.
fn mask(
    seq: usize,
    total: usize,
    start: usize,
    first: usize,
    window: Option<usize>,
    dev: &Device,
) -> candle_core::Result<Option<Tensor>> {
    let allowed = |qp: usize, kp: usize| kp <= qp && window.is_none_or(|w| qp - kp < w);
    let mut any = false;
    let mut m = Vec::with_capacity(seq * total);
    for i in 0..seq {
        let qp = start + i;
        for j in 0..total {
            if allowed(qp, first + j) {
                m.push(0.0f32);
            } else {
                any = true;
                m.push(f32::NEG_INFINITY);
            }
        }
    }
    if !any {
        return Ok(None);
    }
    Tensor::from_vec(m, (seq, total), dev).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mask_is_causal_and_windowed() {
        let dev = Device::Cpu;
        // Three queries at 4..7 over keys 2..7, window 3.
        let m = mask(3, 5, 4, 2, Some(3), &dev).unwrap().unwrap();
        let m: Vec<Vec<f32>> = m.to_vec2().unwrap();
        let open = |r: &Vec<f32>| r.iter().map(|v| v.is_finite()).collect::<Vec<_>>();
        // query 4 sees 2,3,4; query 5 sees 3,4,5; query 6 sees 4,5,6.
        assert_eq!(open(&m[0]), [true, true, true, false, false]);
        assert_eq!(open(&m[1]), [false, true, true, true, false]);
        assert_eq!(open(&m[2]), [false, false, true, true, true]);
        // A single query over a cache already cut to the window: no mask.
        assert!(mask(1, 3, 6, 4, Some(3), &dev).unwrap().is_none());
        // Global layers: causal only.
        let g: Vec<Vec<f32>> = mask(2, 4, 2, 0, None, &dev)
            .unwrap()
            .unwrap()
            .to_vec2()
            .unwrap();
        assert_eq!(open(&g[0]), [true, true, true, false]);
        assert_eq!(open(&g[1]), [true, true, true, true]);
    }
}
