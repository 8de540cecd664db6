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

use std::collections::HashMap;
use std::io::{Read, Seek};
use std::path::Path;
use std::sync::Arc;

use candle_core::quantized::{GgmlDType, QMatMul, QTensor, gguf_file};
use candle_core::{DType, Device, Module, Tensor};

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
    /// Requantise Q5_0 tensors to Q8_0 (faster on CPU, slightly larger).
    pub requantize_q5: bool,
}

impl Default for LoadOptions {
    fn default() -> Self {
        Self {
            context: 4096,
            requantize_q5: true,
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

#[derive(Debug, Clone)]
struct Layer {
    wq: QMatMul,
    wk: QMatMul,
    wv: QMatMul,
    wo: QMatMul,
    gate: QMatMul,
    up: QMatMul,
    down: QMatMul,
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
    embed: Arc<QTensor>,
    output: QMatMul,
    layers: Vec<Layer>,
    norm: Norm,
    rope_local: Rope,
    rope_global: Rope,
    context: usize,
    device: Device,
    weight_types: Vec<(String, GgmlDType)>,
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
        let dev = Device::Cpu;
        let mut weight_types = Vec::new();
        let mut tensor = |name: &str, shape: &[usize]| -> Result<QTensor> {
            let Some(info) = content.tensor_infos.get(name) else {
                return Err(model_err(format!("tensor {name} is missing")));
            };
            if info.shape.dims() != shape {
                return Err(model_err(format!(
                    "tensor {name} has shape {:?}, expected {shape:?}",
                    info.shape.dims()
                )));
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
            weight_types.push((name.to_owned(), t.dtype()));
            Ok(t)
        };
        let norm = |t: QTensor, name: &str| -> Result<Norm> {
            Ok(Norm {
                weight: t.dequantize(&Device::Cpu).map_err(candle_err(name))?,
                eps: cfg.rms_eps as f32,
            })
        };
        let qmm = |t: QTensor, name: &str| QMatMul::from_qtensor(t).map_err(candle_err(name));
        let h = cfg.hidden;
        let q_dim = cfg.heads * cfg.head_dim;
        let kv_dim = cfg.kv_heads * cfg.head_dim;
        let vocab = content
            .tensor_infos
            .get("token_embd.weight")
            .map(|i| i.shape.dims().first().copied().unwrap_or(0))
            .ok_or_else(|| model_err("tensor token_embd.weight is missing"))?;
        let embed = Arc::new(tensor("token_embd.weight", &[vocab, h])?);
        let output = match content.tensor_infos.get("output.weight") {
            Some(_) => qmm(tensor("output.weight", &[vocab, h])?, "output.weight")?,
            None => {
                QMatMul::from_arc(Arc::clone(&embed)).map_err(candle_err("token_embd.weight"))?
            }
        };
        let final_norm = tensor("output_norm.weight", &[h])?;
        let final_norm = norm(final_norm, "output_norm.weight")?;
        let ffn = content
            .tensor_infos
            .get("blk.0.ffn_up.weight")
            .map(|i| i.shape.dims().first().copied().unwrap_or(0))
            .ok_or_else(|| model_err("tensor blk.0.ffn_up.weight is missing"))?;
        let mut layers = Vec::with_capacity(cfg.layers);
        for i in 0..cfg.layers {
            let n = |s: &str| format!("blk.{i}.{s}.weight");
            let mut get = |s: &str, shape: &[usize]| tensor(&n(s), shape);
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
                wq: qmm(wq, &n("attn_q"))?,
                wk: qmm(wk, &n("attn_k"))?,
                wv: qmm(wv, &n("attn_v"))?,
                wo: qmm(wo, &n("attn_output"))?,
                gate: qmm(gate, &n("ffn_gate"))?,
                up: qmm(up, &n("ffn_up"))?,
                down: qmm(down, &n("ffn_down"))?,
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
            output,
            layers,
            norm: final_norm,
            rope_local,
            rope_global,
            context: options.context,
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
        self.embed.shape().dims().first().copied().unwrap_or(0)
    }

    /// Each weight's name and the type it is held in after loading.
    pub fn weight_types(&self) -> &[(String, GgmlDType)] {
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
        let ids = Tensor::new(tokens, &self.device)?;
        let mut x = self.embed.embedding(&ids)?.unsqueeze(0)?;
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
            let g = layer.gate.forward(&h)?.gelu()?;
            let u = layer.up.forward(&h)?;
            let h = layer.down.forward(&(g * u)?)?;
            let h = layer.post_ffn_norm.forward(&h)?;
            x = (x + h)?;
        }
        let x = if all { x } else { x.narrow(1, seq - 1, 1)? };
        let x = self.norm.forward(&x)?;
        let logits = self.output.forward(&x)?;
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
        let q = layer.wq.forward(x)?.reshape((b, seq, nh, hd))?;
        let k = layer.wk.forward(x)?.reshape((b, seq, nkv, hd))?;
        let v = layer.wv.forward(x)?.reshape((b, seq, nkv, hd))?;
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
        // Grouped-query attention without copying keys: the query heads of
        // one key head are stacked along the sequence axis.
        let group = nh / nkv;
        let q = q.contiguous()?.reshape((b, nkv, group * seq, hd))?;
        let scale = 1.0 / (hd as f64).sqrt();
        let scores = (q.matmul(&k.t()?)? * scale)?;
        let scores = scores.reshape((b, nh, seq, total))?;
        let kind = &mut masks.0[usize::from(layer.local)];
        let built = match kind.take() {
            Some((t, m)) if t == total => m,
            _ => {
                let window = layer.local.then_some(cfg.sliding_window);
                mask(seq, total, start, first, window, &self.device)?
            }
        };
        let scores = match &built {
            Some(m) => scores.broadcast_add(m)?,
            None => scores,
        };
        *kind = Some((total, built));
        let probs = candle_nn::ops::softmax_last_dim(&scores)?;
        let probs = probs.reshape((b, nkv, group * seq, total))?;
        let out = probs.matmul(&v)?.reshape((b, nh, seq, hd))?;
        let out = out.transpose(1, 2)?.reshape((b, seq, nh * hd))?;
        layer.wo.forward(&out)
    }
}

/// The attention masks of one forward call, by layer kind (global, local),
/// with the number of key positions each was built for.
#[derive(Default)]
struct Masks([Option<(usize, Option<Tensor>)>; 2]);

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
