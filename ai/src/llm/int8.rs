//! Integer matrix products for the local model's 8-bit weights on the CPU.
//!
//! Gemma 3 270M's hidden size is 640, not a multiple of 256, so the
//! projections that read the hidden state (queries, keys, values, the
//! feed-forward's gate and up, and the tied output head) cannot use
//! candle's repacked kernels, which need rows of whole 256-value blocks:
//! candle runs them as one dot product per (token, output) pair, re-reading
//! every weight row once per token. They are two thirds of a layer's work
//! and all of the output head's. This module multiplies them as a matrix
//! product instead.
//!
//! # Layout
//! A weight matrix of `rows × cols` (one row per output) is held as 8-bit
//! integers with one `f32` scale per block of 32 values, exactly as the
//! file's Q8_0 and Q5_0 blocks define them (a Q5_0 value is a 5-bit integer
//! minus 16, which fits). Rows are grouped in tiles of 16; within a tile and
//! a block, the values are stored four at a time per row (`[4-value
//! group][row][4]`), offset by +128 as unsigned bytes, so that one 64-byte
//! load feeds one AVX-512 VNNI instruction (`vpdpbusd`): 16 rows times 4
//! values against 4 values of one token broadcast to every row.
//!
//! # Arithmetic
//! A token's activations are quantized per block of 32 as ggml's Q8_0 does
//! it (scale `max|x| / 127`, rounded to `f16`; values `round(x / scale)`),
//! which is also how candle quantizes them for these weights. The sums then
//! follow the order of ggml's (and candle's) AVX2 Q8_0 dot product, so that
//! the results are the ones candle's path gives, bit for bit: for each
//! output, eight partial sums, one per group of 4 values of a block; for each
//! block in turn, each group adds its exact integer dot product `isum` with
//! one fused multiply-add, `acc[g] = (dw · dx) · isum + acc[g]`; at the end
//! the eight are added as `((a0 + a4) + (a2 + a6)) + ((a1 + a5) + (a3 + a7))`.
//! Every kernel (AVX-512 VNNI, AVX2, portable) performs exactly these
//! operations, so they agree bit for bit with each other, with
//! [`reference_matmul`] and with candle, whichever CPU runs them and however
//! the tokens are batched: a token's outputs do not depend on the other
//! tokens of the call.
//!
//! Q5_0 weights are either requantised to Q8_0 at load exactly as candle's
//! path does it (dequantised, then quantized per block as above; the default,
//! so that the model's output stays what it was), or held exactly (a Q5_0
//! value is a 5-bit integer minus 16, which fits a byte).
//!
//! # Work
//! The products run on rayon's pool. For a prompt, each worker takes a run
//! of tokens and walks every tile, keeping the tile (16 rows) in L1 while it
//! goes over its tokens, so a weight byte comes from memory once per worker
//! and call rather than once per token. For decoding (one token, or the few
//! of a draft), the tiles are split between the workers.

// The SIMD kernels load through raw pointers into slices whose bounds are
// checked once before each kernel runs; this module is the crate's one other
// exception to the workspace's `unsafe_code = "deny"` (see `lib.rs`).
#![allow(unsafe_code)]

use std::ops::Range;

use half::f16;
use rayon::prelude::*;

use crate::error::{Error, Result};

/// Values per block (one scale each).
pub const BLOCK: usize = 32;
/// Rows per tile (one 512-bit register of 32-bit sums).
pub const TILE: usize = 16;
/// Bytes of one tile's block: 32 values for each of 16 rows.
const TILE_BLOCK_BYTES: usize = BLOCK * TILE;
/// Tokens a kernel call processes together (8 partial sums each).
const MAX_TOKENS: usize = 2;
/// Groups of 4 values in a block: the partial sums of each output.
const GROUPS: usize = BLOCK / 4;

/// The file's block formats this module reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlockFormat {
    /// ggml Q8_0: an `f16` scale, then 32 signed bytes (34 bytes).
    Q8_0,
    /// ggml Q5_0: an `f16` scale, 32 high bits, then 16 bytes of low
    /// nibbles (22 bytes); value = `(5-bit integer − 16) · scale`. Held
    /// exactly.
    Q5_0,
    /// Q5_0 blocks requantised to Q8_0 as candle's path does it: each block
    /// dequantised to `f32`, then quantized as ggml's Q8_0 quantizer does.
    Q5_0AsQ8_0,
}

impl BlockFormat {
    /// Bytes of one block of 32 values.
    pub fn block_bytes(self) -> usize {
        match self {
            Self::Q8_0 => 34,
            Self::Q5_0 | Self::Q5_0AsQ8_0 => 22,
        }
    }

    /// The 32 integers and the scale of one block.
    fn decode(self, b: &[u8], out: &mut [i8; BLOCK]) -> f32 {
        let d = f16::from_le_bytes([b[0], b[1]]).to_f32();
        match self {
            Self::Q8_0 => {
                for (o, &q) in out.iter_mut().zip(&b[2..2 + BLOCK]) {
                    *o = q as i8;
                }
            }
            Self::Q5_0AsQ8_0 => {
                let d = Self::Q5_0.decode(b, out);
                let mut values = [0f32; BLOCK];
                for (v, &q) in values.iter_mut().zip(out.iter()) {
                    *v = f32::from(q) * d;
                }
                return quantize_block(&values, out);
            }
            Self::Q5_0 => {
                let qh = u32::from_le_bytes([b[2], b[3], b[4], b[5]]);
                let qs = &b[6..6 + BLOCK / 2];
                for j in 0..BLOCK / 2 {
                    let hi0 = ((qh >> j) & 1) << 4;
                    let hi1 = ((qh >> (j + BLOCK / 2)) & 1) << 4;
                    let lo0 = u32::from(qs[j] & 0x0F);
                    let lo1 = u32::from(qs[j] >> 4);
                    // 5-bit values 0..=31 minus 16 fit an i8.
                    out[j] = ((lo0 | hi0) as i32 - 16) as i8;
                    out[j + BLOCK / 2] = ((lo1 | hi1) as i32 - 16) as i8;
                }
            }
        }
        d
    }
}

/// The instruction sets a kernel can use, best last.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    /// Plain Rust, any CPU.
    Portable,
    /// x86-64 AVX2 (16-bit pair sums with the sign trick).
    Avx2,
    /// x86-64 AVX-512 with VNNI (`vpdpbusd`).
    Avx512Vnni,
}

impl Level {
    /// The best level this CPU supports (detected once).
    pub fn detect() -> Self {
        static LEVEL: std::sync::OnceLock<Level> = std::sync::OnceLock::new();
        *LEVEL.get_or_init(|| {
            Self::available()
                .into_iter()
                .max()
                .unwrap_or(Self::Portable)
        })
    }

    /// Every level this CPU supports.
    pub fn available() -> Vec<Self> {
        let mut out = vec![Self::Portable];
        #[cfg(target_arch = "x86_64")]
        {
            if std::arch::is_x86_feature_detected!("avx2")
                && std::arch::is_x86_feature_detected!("fma")
            {
                out.push(Self::Avx2);
            }
            if std::arch::is_x86_feature_detected!("avx512f")
                && std::arch::is_x86_feature_detected!("avx512bw")
                && std::arch::is_x86_feature_detected!("avx512vnni")
            {
                out.push(Self::Avx512Vnni);
            }
        }
        out
    }
}

/// A weight matrix in tiles of 16 rows (see the module's documentation).
#[derive(Debug, Clone)]
pub struct PackedQ8 {
    rows: usize,
    cols: usize,
    blocks: usize,
    tiles: usize,
    /// `[tile][block][row of tile]`; 0 for the padding rows of the last tile.
    scales: Vec<f32>,
    /// `[tile][block][4-value group][row of tile][4]`, each value + 128.
    quants: Vec<u8>,
}

impl PackedQ8 {
    /// Packs `rows` rows of `cols` values stored as consecutive `format`
    /// blocks (the layout of a GGUF tensor's data).
    ///
    /// # Errors
    /// [`Error::Invalid`] when `cols` is not a positive multiple of 32 or
    /// `data` is not exactly `rows × cols / 32` blocks.
    pub fn from_blocks(rows: usize, cols: usize, format: BlockFormat, data: &[u8]) -> Result<Self> {
        let blocks = Self::check_shape(rows, cols)?;
        let expected = rows * blocks * format.block_bytes();
        if data.len() != expected {
            return Err(Error::invalid(
                "data",
                format!(
                    "{} bytes for {rows}×{cols} {format:?} weights, expected {expected}",
                    data.len()
                ),
            ));
        }
        let mut packed = Self::empty(rows, cols, blocks);
        let mut ints = [0i8; BLOCK];
        let bb = format.block_bytes();
        for (r, row) in data.chunks_exact(blocks * bb).enumerate() {
            for (b, block) in row.chunks_exact(bb).enumerate() {
                let d = format.decode(block, &mut ints);
                packed.put(r, b, &ints, d);
            }
        }
        Ok(packed)
    }

    /// As [`PackedQ8::from_blocks`], reading the blocks from `reader` one
    /// tile of rows at a time, so that loading holds little more than the
    /// packed matrix.
    ///
    /// # Errors
    /// As [`PackedQ8::from_blocks`]; [`Error::Model`] when `reader` fails or
    /// ends early.
    pub fn from_reader<R: std::io::Read>(
        rows: usize,
        cols: usize,
        format: BlockFormat,
        reader: &mut R,
    ) -> Result<Self> {
        let blocks = Self::check_shape(rows, cols)?;
        let bb = format.block_bytes();
        let mut packed = Self::empty(rows, cols, blocks);
        let mut ints = [0i8; BLOCK];
        let mut buf = vec![0u8; TILE * blocks * bb];
        for r0 in (0..rows).step_by(TILE) {
            let n = (rows - r0).min(TILE);
            let part = &mut buf[..n * blocks * bb];
            reader.read_exact(part).map_err(|e| Error::Model {
                model: "int8 weights".to_owned(),
                reason: format!("reading rows {r0}..{}: {e}", r0 + n),
            })?;
            for (i, row) in part.chunks_exact(blocks * bb).enumerate() {
                for (b, block) in row.chunks_exact(bb).enumerate() {
                    let d = format.decode(block, &mut ints);
                    packed.put(r0 + i, b, &ints, d);
                }
            }
        }
        Ok(packed)
    }

    /// Quantizes `rows × cols` values (row-major) the way ggml's Q8_0 does
    /// and packs them.
    ///
    /// # Errors
    /// As [`PackedQ8::from_blocks`], or when `values` is not `rows × cols`
    /// long.
    pub fn quantize(rows: usize, cols: usize, values: &[f32]) -> Result<Self> {
        let blocks = Self::check_shape(rows, cols)?;
        if values.len() != rows * cols {
            return Err(Error::invalid(
                "values",
                format!("{} values for a {rows}×{cols} matrix", values.len()),
            ));
        }
        let mut packed = Self::empty(rows, cols, blocks);
        let mut ints = [0i8; BLOCK];
        for (r, row) in values.chunks_exact(cols).enumerate() {
            for (b, block) in row.chunks_exact(BLOCK).enumerate() {
                let d = quantize_block(block, &mut ints);
                packed.put(r, b, &ints, d);
            }
        }
        Ok(packed)
    }

    fn check_shape(rows: usize, cols: usize) -> Result<usize> {
        if cols == 0 || !cols.is_multiple_of(BLOCK) {
            return Err(Error::invalid(
                "cols",
                format!("{cols} is not a positive multiple of {BLOCK}"),
            ));
        }
        if rows == 0 {
            return Err(Error::invalid("rows", "a matrix needs at least one row"));
        }
        Ok(cols / BLOCK)
    }

    fn empty(rows: usize, cols: usize, blocks: usize) -> Self {
        let tiles = rows.div_ceil(TILE);
        Self {
            rows,
            cols,
            blocks,
            tiles,
            scales: vec![0.0; tiles * blocks * TILE],
            // Padding rows hold zeros (128 offset).
            quants: vec![128; tiles * blocks * TILE_BLOCK_BYTES],
        }
    }

    fn put(&mut self, r: usize, b: usize, ints: &[i8; BLOCK], d: f32) {
        let (t, lane) = (r / TILE, r % TILE);
        let tb = t * self.blocks + b;
        self.scales[tb * TILE + lane] = d;
        let base = tb * TILE_BLOCK_BYTES;
        for (g, four) in ints.chunks_exact(4).enumerate() {
            let at = base + g * TILE * 4 + lane * 4;
            for (dst, &q) in self.quants[at..at + 4].iter_mut().zip(four) {
                *dst = (i16::from(q) + 128) as u8;
            }
        }
    }

    /// Output rows.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Input values per row.
    pub fn cols(&self) -> usize {
        self.cols
    }

    /// Bytes held.
    pub fn size_in_bytes(&self) -> usize {
        self.quants.len() + self.scales.len() * 4
    }

    /// Row `r`'s integers and block scales.
    fn row_ints(&self, r: usize, ints: &mut [i8], scales: &mut [f32]) {
        let (t, lane) = (r / TILE, r % TILE);
        for b in 0..self.blocks {
            let tb = t * self.blocks + b;
            scales[b] = self.scales[tb * TILE + lane];
            let base = tb * TILE_BLOCK_BYTES;
            for g in 0..BLOCK / 4 {
                let at = base + g * TILE * 4 + lane * 4;
                for j in 0..4 {
                    ints[b * BLOCK + g * 4 + j] = (i16::from(self.quants[at + j]) - 128) as i8;
                }
            }
        }
    }

    /// Row `r` as floats (an embedding lookup when the matrix is the tied
    /// embedding table).
    ///
    /// # Errors
    /// [`Error::Invalid`] when `r` is not a row or `out` is not `cols` long.
    pub fn dequantize_row(&self, r: usize, out: &mut [f32]) -> Result<()> {
        if r >= self.rows {
            return Err(Error::invalid(
                "row",
                format!("{r} is outside the {} rows", self.rows),
            ));
        }
        if out.len() != self.cols {
            return Err(Error::invalid(
                "out",
                format!("{} values for rows of {}", out.len(), self.cols),
            ));
        }
        let mut ints = vec![0i8; self.cols];
        let mut scales = vec![0f32; self.blocks];
        self.row_ints(r, &mut ints, &mut scales);
        for (b, (o, q)) in out
            .chunks_exact_mut(BLOCK)
            .zip(ints.chunks_exact(BLOCK))
            .enumerate()
        {
            for (o, &q) in o.iter_mut().zip(q) {
                *o = f32::from(q) * scales[b];
            }
        }
        Ok(())
    }

    /// `x · selfᵀ` for the quantized rows `x`: `x.rows() × self.rows()`
    /// values, row-major, on the best kernel this CPU has.
    ///
    /// # Errors
    /// [`Error::Invalid`] when `x`'s rows are not `cols` long.
    pub fn matmul(&self, x: &Q8Rows) -> Result<Vec<f32>> {
        self.matmul_with(x, Level::detect())
    }

    /// As [`PackedQ8::matmul`] on the kernel of `level`.
    ///
    /// # Errors
    /// As [`PackedQ8::matmul`], and [`Error::Invalid`] when this CPU does not
    /// support `level`.
    pub fn matmul_with(&self, x: &Q8Rows, level: Level) -> Result<Vec<f32>> {
        if x.cols != self.cols {
            return Err(Error::invalid(
                "x",
                format!("rows of {} values against weights of {}", x.cols, self.cols),
            ));
        }
        if level > Level::detect() {
            return Err(Error::invalid(
                "level",
                format!("this CPU does not support {level:?}"),
            ));
        }
        let m = x.rows;
        let n = self.rows;
        let mut out = vec![0f32; m * n];
        if m == 0 {
            return Ok(out);
        }
        let workers = rayon::current_num_threads().max(1);
        if m >= 2 * workers {
            // Many tokens (a prompt): each worker takes a run of tokens and
            // every tile, writing its own rows; a tile stays in L1 while the
            // worker walks its tokens.
            let per_unit = m.div_ceil(workers);
            out.par_chunks_mut(per_unit * n)
                .enumerate()
                .for_each(|(u, dst)| {
                    let m0 = u * per_unit;
                    let tokens = m0..m0 + dst.len() / n;
                    self.fill(x, 0..self.tiles, tokens, (dst, n), level);
                });
        } else {
            // A few tokens (decoding): the tiles are split between the
            // workers, each filling a stripe of columns.
            let per_unit = self.tiles.div_ceil(workers * 2).max(1);
            let stripes: Vec<(usize, Vec<f32>)> = (0..self.tiles.div_ceil(per_unit))
                .into_par_iter()
                .map(|u| {
                    let t0 = u * per_unit;
                    let t1 = (t0 + per_unit).min(self.tiles);
                    let width = (t1 - t0) * TILE;
                    let mut stripe = vec![0f32; m * width];
                    self.fill(x, t0..t1, 0..m, (&mut stripe, width), level);
                    (t0, stripe)
                })
                .collect();
            for (t0, stripe) in stripes {
                let c0 = t0 * TILE;
                let width = stripe.len() / m;
                let take = width.min(n - c0);
                for (dst, src) in out.chunks_exact_mut(n).zip(stripe.chunks_exact(width)) {
                    dst[c0..c0 + take].copy_from_slice(&src[..take]);
                }
            }
        }
        Ok(out)
    }

    /// Tiles `tiles` against tokens `tokens`, into `dst`: the outputs of
    /// token `tokens.start + i` and tile `t` start at
    /// `i · stride + (t − tiles.start) · 16` (padding rows left out).
    fn fill(
        &self,
        x: &Q8Rows,
        tiles: Range<usize>,
        tokens: Range<usize>,
        (dst, stride): (&mut [f32], usize),
        level: Level,
    ) {
        for t in tiles.clone() {
            let col = (t - tiles.start) * TILE;
            let take = TILE.min(self.rows - t * TILE);
            let mut m0 = tokens.start;
            while m0 < tokens.end {
                let mt = (tokens.end - m0).min(MAX_TOKENS);
                let mut acc = [[0f32; TILE]; MAX_TOKENS];
                self.kernel(level, t, x, m0, mt, &mut acc);
                for (i, row) in acc.iter().enumerate().take(mt) {
                    let at = (m0 - tokens.start + i) * stride + col;
                    dst[at..at + take].copy_from_slice(&row[..take]);
                }
                m0 += mt;
            }
        }
    }

    fn kernel(
        &self,
        level: Level,
        t: usize,
        x: &Q8Rows,
        m0: usize,
        mt: usize,
        acc: &mut [[f32; TILE]; MAX_TOKENS],
    ) {
        // The bounds every kernel relies on.
        assert!(t < self.tiles);
        assert!((1..=MAX_TOKENS).contains(&mt) && m0 + mt <= x.rows);
        assert!(x.cols == self.cols);
        match level {
            #[cfg(target_arch = "x86_64")]
            Level::Avx512Vnni => {
                // SAFETY: the CPU supports the level (checked by the caller
                // against `Level::detect`), and the asserts above keep every
                // load inside `self.quants`, `self.scales` and `x`.
                unsafe { x86::vnni(self, t, x, m0, mt, acc) }
            }
            #[cfg(target_arch = "x86_64")]
            Level::Avx2 => {
                // SAFETY: as above.
                unsafe { x86::avx2(self, t, x, m0, mt, acc) }
            }
            _ => portable(self, t, x, m0, mt, acc),
        }
    }
}

/// The eight partial sums of an output added in the order of ggml's
/// `hsum_float_8`: `((a0 + a4) + (a2 + a6)) + ((a1 + a5) + (a3 + a7))`.
fn hsum(a: &[f32; GROUPS]) -> f32 {
    let r = [a[4] + a[0], a[5] + a[1], a[6] + a[2], a[7] + a[3]];
    (r[0] + r[2]) + (r[1] + r[3])
}

/// Quantizes one block the way ggml's Q8_0 does; returns the scale as it
/// is stored (rounded to `f16`).
fn quantize_block(x: &[f32], out: &mut [i8; BLOCK]) -> f32 {
    let amax = x.iter().fold(0f32, |a, v| a.max(v.abs()));
    let d = amax / 127.0;
    let id = if d == 0.0 { 0.0 } else { 1.0 / d };
    for (o, &v) in out.iter_mut().zip(x) {
        *o = (v * id).round() as i8;
    }
    f16::from_f32(d).to_f32()
}

/// Rows of activations quantized per block of 32 (see the module's
/// documentation).
#[derive(Debug, Clone)]
pub struct Q8Rows {
    rows: usize,
    cols: usize,
    /// `[row][col]`.
    qs: Vec<i8>,
    /// `[row][block]`.
    scales: Vec<f32>,
    /// `[row][block][group]`: −128 × the group's sum, which takes the
    /// weights' +128 offset back out of an unsigned-by-signed product.
    offsets: Vec<i32>,
}

impl Q8Rows {
    /// Quantizes `rows × cols` values (row-major).
    ///
    /// # Errors
    /// [`Error::Invalid`] when `cols` is not a positive multiple of 32 or
    /// `values` is not `rows × cols` long.
    pub fn quantize(rows: usize, cols: usize, values: &[f32]) -> Result<Self> {
        if cols == 0 || !cols.is_multiple_of(BLOCK) {
            return Err(Error::invalid(
                "cols",
                format!("{cols} is not a positive multiple of {BLOCK}"),
            ));
        }
        if values.len() != rows * cols {
            return Err(Error::invalid(
                "values",
                format!("{} values for {rows} rows of {cols}", values.len()),
            ));
        }
        let blocks = rows * cols / BLOCK;
        let mut out = Self {
            rows,
            cols,
            qs: vec![0; rows * cols],
            scales: Vec::with_capacity(blocks),
            offsets: Vec::with_capacity(blocks * GROUPS),
        };
        let mut ints = [0i8; BLOCK];
        for (src, dst) in values
            .chunks_exact(BLOCK)
            .zip(out.qs.chunks_exact_mut(BLOCK))
        {
            out.scales.push(quantize_block(src, &mut ints));
            dst.copy_from_slice(&ints);
            for four in ints.chunks_exact(4) {
                out.offsets
                    .push(-128 * four.iter().map(|&q| i32::from(q)).sum::<i32>());
            }
        }
        Ok(out)
    }

    /// Rows.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Values per row.
    pub fn cols(&self) -> usize {
        self.cols
    }
}

/// The straightforward product the kernels must equal bit for bit (see the
/// module's documentation for the order of the sums).
// Indices into several arrays at once read more plainly than zips here.
#[allow(clippy::needless_range_loop)]
pub fn reference_matmul(w: &PackedQ8, x: &Q8Rows) -> Vec<f32> {
    let blocks = w.blocks;
    let mut ints = vec![0i8; w.cols];
    let mut scales = vec![0f32; blocks];
    let mut out = vec![0f32; x.rows * w.rows];
    for r in 0..w.rows {
        w.row_ints(r, &mut ints, &mut scales);
        for i in 0..x.rows {
            let xq = &x.qs[i * x.cols..(i + 1) * x.cols];
            let mut acc = [0f32; GROUPS];
            for b in 0..blocks {
                let d = scales[b] * x.scales[i * blocks + b];
                for (g, a) in acc.iter_mut().enumerate() {
                    let at = b * BLOCK + g * 4;
                    let isum: i32 = (at..at + 4)
                        .map(|k| i32::from(ints[k]) * i32::from(xq[k]))
                        .sum();
                    *a = d.mul_add(isum as f32, *a);
                }
            }
            out[i * w.rows + r] = hsum(&acc);
        }
    }
    out
}

/// The portable kernel, on the packed layout.
// Indices into several arrays at once read more plainly than zips here.
#[allow(clippy::needless_range_loop)]
fn portable(
    w: &PackedQ8,
    t: usize,
    x: &Q8Rows,
    m0: usize,
    mt: usize,
    out: &mut [[f32; TILE]; MAX_TOKENS],
) {
    let blocks = w.blocks;
    for i in 0..mt {
        let row = m0 + i;
        let mut acc = [[0f32; GROUPS]; TILE];
        for b in 0..blocks {
            let tb = t * blocks + b;
            let q = &w.quants[tb * TILE_BLOCK_BYTES..(tb + 1) * TILE_BLOCK_BYTES];
            let dw = &w.scales[tb * TILE..(tb + 1) * TILE];
            let xq = &x.qs[row * x.cols + b * BLOCK..row * x.cols + (b + 1) * BLOCK];
            let dx = x.scales[row * blocks + b];
            for (lane, a) in acc.iter_mut().enumerate() {
                let d = dw[lane] * dx;
                for (g, a) in a.iter_mut().enumerate() {
                    let mut isum = x.offsets[(row * blocks + b) * GROUPS + g];
                    for k in 0..4 {
                        let wq = i32::from(q[g * TILE * 4 + lane * 4 + k]);
                        isum += wq * i32::from(xq[g * 4 + k]);
                    }
                    *a = d.mul_add(isum as f32, *a);
                }
            }
        }
        for (o, a) in out[i].iter_mut().zip(&acc) {
            *o = hsum(a);
        }
    }
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use std::arch::x86_64::*;

    use super::{BLOCK, GROUPS, MAX_TOKENS, PackedQ8, Q8Rows, TILE, TILE_BLOCK_BYTES};

    /// AVX-512 VNNI: per block and group, one `vpdpbusd` per token (16 rows
    /// times 4 values, started at the token's offset), then one multiply-add
    /// into that group's partial sums.
    ///
    /// # Safety
    /// The CPU supports AVX-512F, AVX-512BW and AVX-512 VNNI; tile `t` and
    /// tokens `m0..m0 + mt` exist, `mt ≤ 2`, and `x` has `w`'s columns.
    #[target_feature(enable = "avx512f,avx512bw,avx512vnni")]
    pub(super) unsafe fn vnni(
        w: &PackedQ8,
        t: usize,
        x: &Q8Rows,
        m0: usize,
        mt: usize,
        out: &mut [[f32; TILE]; MAX_TOKENS],
    ) {
        if mt == 2 {
            vnni_n::<2>(w, t, x, m0, out);
        } else {
            vnni_n::<1>(w, t, x, m0, out);
        }
    }

    #[target_feature(enable = "avx512f,avx512bw,avx512vnni")]
    // Indices into several arrays at once read more plainly than zips here.
    #[allow(clippy::needless_range_loop)]
    fn vnni_n<const MT: usize>(
        w: &PackedQ8,
        t: usize,
        x: &Q8Rows,
        m0: usize,
        out: &mut [[f32; TILE]; MAX_TOKENS],
    ) {
        let blocks = w.blocks;
        let cols = x.cols;
        let mut acc = [[_mm512_setzero_ps(); GROUPS]; MT];
        let qw = w.quants.as_ptr();
        let sw = w.scales.as_ptr();
        let xq = x.qs.as_ptr();
        let off = x.offsets.as_ptr();
        for b in 0..blocks {
            let tb = t * blocks + b;
            // SAFETY: tile t and block b exist (checked by the caller).
            let dw = unsafe { _mm512_loadu_ps(sw.add(tb * TILE)) };
            let mut d = [_mm512_setzero_ps(); MT];
            for (i, d) in d.iter_mut().enumerate() {
                *d = _mm512_mul_ps(dw, _mm512_set1_ps(x.scales[(m0 + i) * blocks + b]));
            }
            for g in 0..GROUPS {
                // SAFETY: the 64 bytes of group g of tile t's block b are
                // inside `quants`.
                let wv = unsafe {
                    _mm512_loadu_si512(qw.add(tb * TILE_BLOCK_BYTES + g * TILE * 4).cast())
                };
                for i in 0..MT {
                    let row = m0 + i;
                    // SAFETY: token `row` exists, with `cols` values and
                    // `blocks × GROUPS` offsets.
                    let (four, o) = unsafe {
                        (
                            xq.add(row * cols + b * BLOCK + g * 4)
                                .cast::<i32>()
                                .read_unaligned(),
                            *off.add((row * blocks + b) * GROUPS + g),
                        )
                    };
                    let s = _mm512_dpbusd_epi32(_mm512_set1_epi32(o), wv, _mm512_set1_epi32(four));
                    acc[i][g] = _mm512_fmadd_ps(d[i], _mm512_cvtepi32_ps(s), acc[i][g]);
                }
            }
        }
        for (a, o) in acc.iter().zip(out.iter_mut()) {
            let r0 = _mm512_add_ps(a[4], a[0]);
            let r1 = _mm512_add_ps(a[5], a[1]);
            let r2 = _mm512_add_ps(a[6], a[2]);
            let r3 = _mm512_add_ps(a[7], a[3]);
            let sum = _mm512_add_ps(_mm512_add_ps(r0, r2), _mm512_add_ps(r1, r3));
            // SAFETY: `o` is 16 floats.
            unsafe { _mm512_storeu_ps(o.as_mut_ptr(), sum) };
        }
    }

    /// AVX2: 16-bit pair sums of |w| and x·sign(w) (exact: at most
    /// 2 · 128 · 127), widened to 32 bits per row; eight rows per register,
    /// one token at a time.
    ///
    /// # Safety
    /// The CPU supports AVX2 and FMA; the same bounds as [`vnni`].
    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn avx2(
        w: &PackedQ8,
        t: usize,
        x: &Q8Rows,
        m0: usize,
        mt: usize,
        out: &mut [[f32; TILE]; MAX_TOKENS],
    ) {
        for (i, o) in out.iter_mut().enumerate().take(mt) {
            for half in 0..2 {
                let (lo, hi) = o.split_at_mut(8);
                let dst: &mut [f32] = if half == 0 { lo } else { hi };
                avx2_half(w, t, half, x, m0 + i, dst);
            }
        }
    }

    #[target_feature(enable = "avx2,fma")]
    fn avx2_half(w: &PackedQ8, t: usize, half: usize, x: &Q8Rows, row: usize, out: &mut [f32]) {
        let blocks = w.blocks;
        let cols = x.cols;
        let qw = w.quants.as_ptr();
        let sw = w.scales.as_ptr();
        let xq = x.qs.as_ptr();
        let flip = _mm256_set1_epi8(-128);
        let ones = _mm256_set1_epi16(1);
        let mut acc = [_mm256_setzero_ps(); GROUPS];
        for b in 0..blocks {
            let tb = t * blocks + b;
            // SAFETY: tile t and block b exist (checked by the caller).
            let dw = unsafe { _mm256_loadu_ps(sw.add(tb * TILE + half * 8)) };
            let d = _mm256_mul_ps(dw, _mm256_set1_ps(x.scales[row * blocks + b]));
            for (g, a) in acc.iter_mut().enumerate() {
                let at = tb * TILE_BLOCK_BYTES + g * TILE * 4 + half * 32;
                // SAFETY: the 32 bytes at `at` are inside the group's 64;
                // token `row` exists and has `cols` values.
                let (raw, four) = unsafe {
                    (
                        _mm256_loadu_si256(qw.add(at).cast()),
                        xq.add(row * cols + b * BLOCK + g * 4)
                            .cast::<i32>()
                            .read_unaligned(),
                    )
                };
                // Back to signed values, their magnitudes as unsigned bytes.
                let signed = _mm256_xor_si256(raw, flip);
                let mag = _mm256_abs_epi8(signed);
                let xb = _mm256_set1_epi32(four);
                let pairs = _mm256_maddubs_epi16(mag, _mm256_sign_epi8(xb, signed));
                let isum = _mm256_madd_epi16(pairs, ones);
                *a = _mm256_fmadd_ps(d, _mm256_cvtepi32_ps(isum), *a);
            }
        }
        let r0 = _mm256_add_ps(acc[4], acc[0]);
        let r1 = _mm256_add_ps(acc[5], acc[1]);
        let r2 = _mm256_add_ps(acc[6], acc[2]);
        let r3 = _mm256_add_ps(acc[7], acc[3]);
        let sum = _mm256_add_ps(_mm256_add_ps(r0, r2), _mm256_add_ps(r1, r3));
        let dst: &mut [f32; 8] = (&mut out[..8]).try_into().expect("eight lanes");
        // SAFETY: `dst` is 8 floats.
        unsafe { _mm256_storeu_ps(dst.as_mut_ptr(), sum) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A small deterministic generator (xorshift) for test data.
    fn values(seed: u64, n: usize, scale: f32) -> Vec<f32> {
        let mut s = seed.max(1);
        (0..n)
            .map(|_| {
                s ^= s << 13;
                s ^= s >> 7;
                s ^= s << 17;
                ((s >> 40) as f32 / (1u64 << 24) as f32 - 0.5) * 2.0 * scale
            })
            .collect()
    }

    #[test]
    fn every_kernel_equals_the_reference_bit_for_bit() {
        // Odd shapes: a last tile with padding rows, an odd tile count, a
        // token count that is not a multiple of four.
        for &(rows, cols, tokens) in &[(1, 32, 1), (17, 64, 3), (48, 640, 5), (250, 96, 9)] {
            let w = PackedQ8::quantize(rows, cols, &values(7, rows * cols, 1.0)).unwrap();
            let x = Q8Rows::quantize(tokens, cols, &values(11, tokens * cols, 3.0)).unwrap();
            let want = reference_matmul(&w, &x);
            for level in Level::available() {
                let got = w.matmul_with(&x, level).unwrap();
                assert_eq!(got.len(), tokens * rows);
                for (k, (a, b)) in got.iter().zip(&want).enumerate() {
                    assert_eq!(
                        a.to_bits(),
                        b.to_bits(),
                        "{level:?} {rows}x{cols}x{tokens}, output {k}: {a} vs {b}"
                    );
                }
            }
        }
    }

    #[test]
    fn a_tokens_outputs_do_not_depend_on_the_batch() {
        let (rows, cols) = (40, 128);
        let w = PackedQ8::quantize(rows, cols, &values(3, rows * cols, 1.0)).unwrap();
        let xs = values(5, 7 * cols, 2.0);
        let all = w.matmul(&Q8Rows::quantize(7, cols, &xs).unwrap()).unwrap();
        for i in 0..7 {
            let one = Q8Rows::quantize(1, cols, &xs[i * cols..(i + 1) * cols]).unwrap();
            assert_eq!(
                w.matmul(&one).unwrap(),
                all[i * rows..(i + 1) * rows].to_vec()
            );
        }
    }

    #[test]
    fn the_product_is_close_to_the_float_product() {
        let (rows, cols, tokens) = (33, 256, 3);
        let wf = values(21, rows * cols, 0.5);
        let xf = values(22, tokens * cols, 4.0);
        let w = PackedQ8::quantize(rows, cols, &wf).unwrap();
        let got = w
            .matmul(&Q8Rows::quantize(tokens, cols, &xf).unwrap())
            .unwrap();
        for i in 0..tokens {
            for r in 0..rows {
                let exact: f32 = (0..cols).map(|k| xf[i * cols + k] * wf[r * cols + k]).sum();
                let scale: f32 = (0..cols)
                    .map(|k| (xf[i * cols + k] * wf[r * cols + k]).abs())
                    .sum();
                let err = (got[i * rows + r] - exact).abs();
                assert!(
                    err <= 0.02 * scale,
                    "{i},{r}: {} vs {exact}",
                    got[i * rows + r]
                );
            }
        }
    }

    #[test]
    fn q5_0_blocks_are_held_exactly() {
        // One row of two blocks: every 5-bit value once per block, with
        // scales 0.5 and 0.25.
        let mut data = Vec::new();
        for d in [0.5f32, 0.25] {
            data.extend_from_slice(&f16::from_f32(d).to_le_bytes());
            let mut qh = 0u32;
            let mut qs = [0u8; 16];
            for e in 0..BLOCK {
                let v = e as u32; // 5-bit value e, real value (e - 16) * d
                if v & 0x10 != 0 {
                    qh |= 1 << e;
                }
                if e < 16 {
                    qs[e] |= (v & 0x0F) as u8;
                } else {
                    qs[e - 16] |= ((v & 0x0F) as u8) << 4;
                }
            }
            data.extend_from_slice(&qh.to_le_bytes());
            data.extend_from_slice(&qs);
        }
        let w = PackedQ8::from_blocks(1, 64, BlockFormat::Q5_0, &data).unwrap();
        let mut row = vec![0f32; 64];
        w.dequantize_row(0, &mut row).unwrap();
        for (e, v) in row.iter().enumerate() {
            let d = if e < 32 { 0.5 } else { 0.25 };
            let want: f32 = ((e % 32) as f32 - 16.0) * d;
            assert_eq!(v.to_bits(), want.to_bits(), "value {e}");
        }
        // Requantised: what quantizing the dequantized values gives.
        let r = PackedQ8::from_blocks(1, 64, BlockFormat::Q5_0AsQ8_0, &data).unwrap();
        let q = PackedQ8::quantize(1, 64, &row).unwrap();
        let (mut a, mut b) = (vec![0f32; 64], vec![0f32; 64]);
        r.dequantize_row(0, &mut a).unwrap();
        q.dequantize_row(0, &mut b).unwrap();
        assert!(a.iter().zip(&b).all(|(x, y)| x.to_bits() == y.to_bits()));
        // 5-bit values do not all survive 8-bit requantisation exactly.
        assert!(a.iter().zip(&row).any(|(x, y)| x.to_bits() != y.to_bits()));
    }

    #[test]
    fn q8_0_blocks_round_trip() {
        let mut data = Vec::new();
        data.extend_from_slice(&f16::from_f32(0.125).to_le_bytes());
        data.extend((0..32).map(|i| (i as i8 * 4 - 64) as u8));
        let w = PackedQ8::from_blocks(1, 32, BlockFormat::Q8_0, &data).unwrap();
        let mut row = vec![0f32; 32];
        w.dequantize_row(0, &mut row).unwrap();
        for (i, v) in row.iter().enumerate() {
            let want: f32 = (i as f32 * 4.0 - 64.0) * 0.125;
            assert_eq!(v.to_bits(), want.to_bits());
        }
    }

    #[test]
    fn bad_shapes_are_typed_errors() {
        assert!(PackedQ8::quantize(2, 33, &[0.0; 66]).is_err());
        assert!(PackedQ8::quantize(0, 32, &[]).is_err());
        assert!(PackedQ8::quantize(2, 32, &[0.0; 63]).is_err());
        assert!(PackedQ8::from_blocks(2, 32, BlockFormat::Q8_0, &[0; 67]).is_err());
        assert!(Q8Rows::quantize(1, 30, &[0.0; 30]).is_err());
        let w = PackedQ8::quantize(1, 32, &[1.0; 32]).unwrap();
        let x = Q8Rows::quantize(1, 64, &[1.0; 64]).unwrap();
        assert!(w.matmul(&x).is_err());
        assert!(w.dequantize_row(1, &mut [0.0; 32]).is_err());
        assert!(w.dequantize_row(0, &mut [0.0; 31]).is_err());
    }
}
