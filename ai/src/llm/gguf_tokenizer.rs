//! A Hugging Face [`Tokenizer`] rebuilt from the SentencePiece vocabulary a
//! GGUF file carries (`tokenizer.ggml.model = "llama"`), so that Gemma 3 runs
//! from its one GGUF file with no `tokenizer.json` beside it.
//!
//! The file holds pieces, scores and token types but no merge list. The
//! merges are derived from the pieces: every way of cutting a piece into two
//! pieces of the vocabulary is a merge, ranked by the piece's score (higher
//! first), then by the lengths in characters of the left and right halves
//! (longer first); ties keep vocabulary order. User-defined pieces (the
//! whitespace runs, the HTML tags) rank as score 0, above every learned
//! piece. With Gemma 3 270M this reproduces the published `tokenizer.json`:
//! the same 262,144 pieces, the same 514,906 merges in the same order, and
//! the same ids and decodes (`tests/it/gguf_tokenizer.rs` checks them).
//!
//! The pipeline around the BPE model (unknown piece `<unk>`, unknown runs
//! fused, byte fallback through the `<0xNN>` pieces):
//! - normalizer: every space becomes `▁` (U+2581);
//! - pre-tokenizer: split on spaces, each space kept with the text before it;
//! - post-processor: `<bos>` in front (and `<eos>` after, when the file asks);
//! - decoder: `▁` back to a space, byte pieces back to bytes, then joined;
//! - control and user-defined pieces are added tokens matched in the raw
//!   text, so `<start_of_turn>` typed inline is one token. The chat and image
//!   markers and `<bos>`, `<eos>`, `<unk>`, `<pad>` are special (dropped by
//!   `decode(.., true)`); `<mask>`, `<unusedN>` and the user-defined pieces
//!   are not.

use std::collections::HashMap;

use candle_core::quantized::gguf_file::{Content, Value};
use tokenizers::decoders::DecoderWrapper;
use tokenizers::decoders::byte_fallback::ByteFallback;
use tokenizers::decoders::fuse::Fuse;
use tokenizers::decoders::sequence::Sequence as DecoderSequence;
use tokenizers::models::bpe::{BPE, Vocab};
use tokenizers::normalizers::Replace;
use tokenizers::pre_tokenizers::split::Split;
use tokenizers::processors::template::TemplateProcessing;
use tokenizers::{AddedToken, SplitDelimiterBehavior, Tokenizer};

use crate::error::{Error, Result};

/// SentencePiece's word-boundary mark, which stands for a space.
const SPACE_MARK: &str = "\u{2581}";

/// Metadata keys read from the file.
mod key {
    pub(super) const NAME: &str = "general.name";
    pub(super) const MODEL: &str = "tokenizer.ggml.model";
    pub(super) const TOKENS: &str = "tokenizer.ggml.tokens";
    pub(super) const SCORES: &str = "tokenizer.ggml.scores";
    pub(super) const TYPES: &str = "tokenizer.ggml.token_type";
    pub(super) const BOS: &str = "tokenizer.ggml.bos_token_id";
    pub(super) const EOS: &str = "tokenizer.ggml.eos_token_id";
    pub(super) const UNK: &str = "tokenizer.ggml.unknown_token_id";
    pub(super) const PAD: &str = "tokenizer.ggml.padding_token_id";
    pub(super) const ADD_BOS: &str = "tokenizer.ggml.add_bos_token";
    pub(super) const ADD_EOS: &str = "tokenizer.ggml.add_eos_token";
    pub(super) const ADD_SPACE_PREFIX: &str = "tokenizer.ggml.add_space_prefix";
}

/// What a piece is, as `tokenizer.ggml.token_type` says (llama.cpp's
/// numbering).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TokenType {
    /// 0: not set.
    Undefined,
    /// 1: a learned piece.
    Normal,
    /// 2: the unknown piece.
    Unknown,
    /// 3: a control token (`<bos>`, `<start_of_turn>`, `<unusedN>`, ...).
    Control,
    /// 4: a piece added by hand (whitespace runs, HTML tags, image markers).
    UserDefined,
    /// 5: reserved and never produced.
    Unused,
    /// 6: one raw byte, `<0xNN>`.
    Byte,
}

impl TokenType {
    fn from_code(code: i128) -> Option<Self> {
        Some(match code {
            0 => Self::Undefined,
            1 => Self::Normal,
            2 => Self::Unknown,
            3 => Self::Control,
            4 => Self::UserDefined,
            5 => Self::Unused,
            6 => Self::Byte,
            _ => return None,
        })
    }
}

/// The tokenizer part of a GGUF file's metadata, checked.
#[derive(Debug, Clone)]
pub struct GgufVocab {
    /// The model's name for error messages (`general.name`, else `gguf`).
    name: String,
    /// Pieces by id, spelled as the tokenizer sees them (spaces as `▁`).
    tokens: Vec<String>,
    scores: Vec<f32>,
    types: Vec<TokenType>,
    /// Piece → id.
    index: Vocab,
    bos: u32,
    eos: u32,
    unk: Option<u32>,
    pad: Option<u32>,
    add_bos: bool,
    add_eos: bool,
}

impl GgufVocab {
    /// Reads and checks the `tokenizer.ggml.*` keys of a GGUF file's
    /// metadata.
    ///
    /// # Errors
    /// [`Error::Model`], naming the key, when the tokenizer is not a
    /// SentencePiece one (`tokenizer.ggml.model` other than `llama`), a key
    /// is missing or has the wrong type, the pieces, scores and types differ
    /// in length, the vocabulary is empty, a piece is empty or repeated, a
    /// score is NaN, a token type is unknown, a special id is out of range,
    /// or the file asks for a leading space (`add_space_prefix`), which this
    /// builder does not do.
    pub fn from_metadata(md: &HashMap<String, Value>) -> Result<Self> {
        let r = Reader::new(md);

        match md.get(key::MODEL) {
            Some(Value::String(m)) if m == "llama" => {}
            Some(Value::String(m)) => {
                return Err(r.fail(format!(
                    "{}: {m:?} is not supported, only SentencePiece (\"llama\")",
                    key::MODEL
                )));
            }
            Some(v) => return Err(r.fail(wrong_type(key::MODEL, "a string", v))),
            None => return Err(r.fail(missing(key::MODEL))),
        }

        let raw_tokens = r.array(key::TOKENS)?;
        let n = raw_tokens.len();
        if n == 0 {
            return Err(r.fail(format!("{}: the vocabulary is empty", key::TOKENS)));
        }
        if u32::try_from(n).is_err() {
            return Err(r.fail(format!("{}: {n} pieces are too many", key::TOKENS)));
        }
        let mut tokens = Vec::with_capacity(n);
        let mut index = Vocab::with_capacity(n);
        for (id, v) in raw_tokens.iter().enumerate() {
            let Value::String(piece) = v else {
                return Err(r.fail(wrong_type(&item(key::TOKENS, id), "a string", v)));
            };
            if piece.is_empty() {
                return Err(r.fail(format!("{}: empty piece", item(key::TOKENS, id))));
            }
            // Pieces added by hand keep their spaces in the file; the
            // tokenizer only ever sees `▁`.
            let piece = piece.replace(' ', SPACE_MARK);
            // `n` fits in u32 (checked above).
            if let Some(first) = index.insert(piece.clone(), id as u32) {
                return Err(r.fail(format!(
                    "{}: piece {piece:?} appears twice (ids {first} and {id})",
                    key::TOKENS
                )));
            }
            tokens.push(piece);
        }

        let raw_scores = r.array_of_len(key::SCORES, n)?;
        let mut scores = Vec::with_capacity(n);
        for (id, v) in raw_scores.iter().enumerate() {
            let score = match *v {
                Value::F32(x) => x,
                // Writers use f32; an f64 is narrowed.
                Value::F64(x) => x as f32,
                _ => return Err(r.fail(wrong_type(&item(key::SCORES, id), "a float", v))),
            };
            if score.is_nan() {
                return Err(r.fail(format!("{}: NaN", item(key::SCORES, id))));
            }
            scores.push(score);
        }

        let raw_types = r.array_of_len(key::TYPES, n)?;
        let mut types = Vec::with_capacity(n);
        for (id, v) in raw_types.iter().enumerate() {
            let Some(code) = integer(v) else {
                return Err(r.fail(wrong_type(&item(key::TYPES, id), "an integer", v)));
            };
            let Some(t) = TokenType::from_code(code) else {
                return Err(r.fail(format!(
                    "{}: unknown token type {code}",
                    item(key::TYPES, id)
                )));
            };
            types.push(t);
        }

        let bos = r
            .id(key::BOS, n)?
            .ok_or_else(|| r.fail(missing(key::BOS)))?;
        let eos = r
            .id(key::EOS, n)?
            .ok_or_else(|| r.fail(missing(key::EOS)))?;
        let unk = r.id(key::UNK, n)?;
        let pad = r.id(key::PAD, n)?;
        // llama.cpp's defaults for SentencePiece vocabularies.
        let add_bos = r.flag(key::ADD_BOS, true)?;
        let add_eos = r.flag(key::ADD_EOS, false)?;
        if r.flag(key::ADD_SPACE_PREFIX, false)? {
            return Err(r.fail(format!(
                "{}: true is not supported (the tokenizer adds no leading space)",
                key::ADD_SPACE_PREFIX
            )));
        }
        let name = r.name;

        Ok(Self {
            name,
            tokens,
            scores,
            types,
            index,
            bos,
            eos,
            unk,
            pad,
            add_bos,
            add_eos,
        })
    }

    /// The model's name (`general.name`), as error messages give it.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The number of pieces.
    pub fn len(&self) -> usize {
        self.tokens.len()
    }

    /// Always false: an empty vocabulary is rejected when read.
    pub fn is_empty(&self) -> bool {
        self.tokens.is_empty()
    }

    /// The beginning-of-text id (`<bos>`, 2 in Gemma 3).
    pub fn bos_id(&self) -> u32 {
        self.bos
    }

    /// The end-of-text id (`<eos>`, 1 in Gemma 3).
    pub fn eos_id(&self) -> u32 {
        self.eos
    }

    /// The unknown-piece id, when the file names one.
    pub fn unk_id(&self) -> Option<u32> {
        self.unk
    }

    /// The padding id, when the file names one.
    pub fn pad_id(&self) -> Option<u32> {
        self.pad
    }

    /// Does encoding put `<bos>` in front?
    pub fn add_bos(&self) -> bool {
        self.add_bos
    }

    /// Does encoding put `<eos>` after the text?
    pub fn add_eos(&self) -> bool {
        self.add_eos
    }

    /// The id of a piece, e.g. `<end_of_turn>`; spaces may be written as
    /// spaces or as `▁`.
    pub fn token_id(&self, piece: &str) -> Option<u32> {
        if piece.contains(' ') {
            self.index.get(&piece.replace(' ', SPACE_MARK)).copied()
        } else {
            self.index.get(piece).copied()
        }
    }

    /// The piece with this id (spaces as `▁`).
    pub fn token(&self, id: u32) -> Option<&str> {
        self.tokens.get(id as usize).map(String::as_str)
    }

    /// The type of the piece with this id.
    pub fn token_type(&self, id: u32) -> Option<TokenType> {
        self.types.get(id as usize).copied()
    }

    /// Is this piece special: dropped by `decode(.., skip_special_tokens)`?
    /// The control tokens other than `<mask>` and the `<unusedN>`
    /// placeholders, plus the image markers, as in Gemma 3's published
    /// tokenizer.
    fn is_special(&self, id: usize) -> bool {
        let piece = self.tokens[id].as_str();
        match self.types[id] {
            TokenType::Control => piece != "<mask>" && !is_unused_placeholder(piece),
            TokenType::UserDefined => matches!(piece, "<start_of_image>" | "<end_of_image>"),
            _ => false,
        }
    }

    /// The merges of a BPE model equivalent to this SentencePiece vocabulary,
    /// best first (see the module documentation for the order).
    fn merges(&self) -> Vec<(String, String)> {
        struct Candidate {
            score: f32,
            left_chars: u32,
            right_chars: u32,
            left: u32,
            right: u32,
        }
        let mut found = Vec::new();
        for (id, piece) in self.tokens.iter().enumerate() {
            // Pieces added by hand outrank every learned piece.
            let score = match self.types[id] {
                TokenType::UserDefined => 0.0,
                // `+ 0.0` turns -0.0 into 0.0, so that the two tie.
                _ => self.scores[id] + 0.0,
            };
            let chars = piece.chars().count() as u32;
            // Longest left half first: the final order within a piece, so
            // that learned pieces, whose scores fall with their ids, come
            // out nearly sorted already.
            for (right_chars, (at, _)) in (1u32..).zip(piece.char_indices().rev()) {
                if at == 0 {
                    break;
                }
                let Some(&left) = self.index.get(&piece[..at]) else {
                    continue;
                };
                let Some(&right) = self.index.get(&piece[at..]) else {
                    continue;
                };
                found.push(Candidate {
                    score,
                    left_chars: chars - right_chars,
                    right_chars,
                    left,
                    right,
                });
            }
        }
        // Best first. The sort is stable: equal keys keep the vocabulary
        // order of the merged pieces.
        found.sort_by(|a, b| {
            b.score
                .total_cmp(&a.score)
                .then(b.left_chars.cmp(&a.left_chars))
                .then(b.right_chars.cmp(&a.right_chars))
        });
        found
            .into_iter()
            .map(|c| {
                (
                    self.tokens[c.left as usize].clone(),
                    self.tokens[c.right as usize].clone(),
                )
            })
            .collect()
    }

    fn error(&self, what: &str, e: impl std::fmt::Display) -> Error {
        Error::Model {
            model: self.name.clone(),
            reason: format!("building the tokenizer: {what}: {e}"),
        }
    }
}

/// `<unused0>`, `<unused1>`, ...: reserved control tokens.
fn is_unused_placeholder(piece: &str) -> bool {
    piece
        .strip_prefix("<unused")
        .and_then(|rest| rest.strip_suffix('>'))
        .is_some_and(|digits| !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()))
}

/// Builds the tokenizer for `vocab`: for Gemma 3's 262,144 pieces about
/// 0.7 s when this crate is optimised, about 2 s when it is not.
///
/// # Errors
/// [`Error::Model`] when the tokenizers library rejects a part (which a
/// checked [`GgufVocab`] should never cause).
pub fn build_tokenizer(vocab: &GgufVocab) -> Result<Tokenizer> {
    let mut bpe = BPE::builder()
        .vocab_and_merges(vocab.index.clone(), vocab.merges())
        .fuse_unk(true)
        .byte_fallback(true);
    if let Some(unk) = vocab.unk {
        bpe = bpe.unk_token(vocab.tokens[unk as usize].clone());
    }
    let bpe = bpe.build().map_err(|e| vocab.error("BPE model", e))?;

    let mut tokenizer = Tokenizer::new(bpe);
    // The normalizer goes in before the added tokens, which are then
    // indexed once.
    tokenizer
        .with_normalizer(Some(
            Replace::new(" ", SPACE_MARK).map_err(|e| vocab.error("normalizer", e))?,
        ))
        .map_err(|e| vocab.error("normalizer", e))?;
    tokenizer.with_pre_tokenizer(Some(
        Split::new(" ", SplitDelimiterBehavior::MergedWithPrevious, false)
            .map_err(|e| vocab.error("pre-tokenizer", e))?,
    ));
    tokenizer.with_post_processor(Some(post_processor(vocab)?));
    tokenizer.with_decoder(Some(DecoderSequence::new(vec![
        DecoderWrapper::Replace(
            Replace::new(SPACE_MARK, " ").map_err(|e| vocab.error("decoder", e))?,
        ),
        DecoderWrapper::ByteFallback(ByteFallback::new()),
        DecoderWrapper::Fuse(Fuse::new()),
    ])));

    let added: Vec<AddedToken> = (0..vocab.len())
        .filter(|&id| matches!(vocab.types[id], TokenType::Control | TokenType::UserDefined))
        .map(|id| {
            AddedToken::from(vocab.tokens[id].clone(), vocab.is_special(id)).normalized(false)
        })
        .collect();
    tokenizer
        .add_tokens(added)
        .map_err(|e| vocab.error("added tokens", e))?;
    Ok(tokenizer)
}

/// `<bos> $A` (and `<bos> $A <bos> $B` for pairs), with `<eos>` after each
/// sequence when the file asks for it.
fn post_processor(vocab: &GgufVocab) -> Result<TemplateProcessing> {
    let bos = vocab.tokens[vocab.bos as usize].as_str();
    let eos = vocab.tokens[vocab.eos as usize].as_str();
    // Template pieces as `name:type_id`; `$A` and `$B` are the sequences.
    let around = |seq: &str, type_id: u8| {
        let mut pieces = Vec::new();
        if vocab.add_bos {
            pieces.push(format!("{bos}:{type_id}"));
        }
        pieces.push(format!("{seq}:{type_id}"));
        if vocab.add_eos {
            pieces.push(format!("{eos}:{type_id}"));
        }
        pieces
    };
    let single = around("$A", 0);
    let pair = [around("$A", 0), around("$B", 1)].concat();
    let mut specials = Vec::new();
    if vocab.add_bos {
        specials.push((bos, vocab.bos));
    }
    if vocab.add_eos {
        specials.push((eos, vocab.eos));
    }
    TemplateProcessing::builder()
        .try_single(single)
        .map_err(|e| vocab.error("post-processor", e))?
        .try_pair(pair)
        .map_err(|e| vocab.error("post-processor", e))?
        .special_tokens(specials)
        .build()
        .map_err(|e| vocab.error("post-processor", e))
}

/// The tokenizer and vocabulary of a GGUF file, from its header alone
/// ([`Content::read`] reads no tensor data).
///
/// # Errors
/// As [`GgufVocab::from_metadata`] and [`build_tokenizer`].
pub fn tokenizer_from_gguf(content: &Content) -> Result<(Tokenizer, GgufVocab)> {
    let vocab = GgufVocab::from_metadata(&content.metadata)?;
    let tokenizer = build_tokenizer(&vocab)?;
    Ok((tokenizer, vocab))
}

/// Typed access to the metadata, every error naming the key.
struct Reader<'a> {
    md: &'a HashMap<String, Value>,
    /// `general.name`, else `gguf`.
    name: String,
}

impl<'a> Reader<'a> {
    fn new(md: &'a HashMap<String, Value>) -> Self {
        let name = match md.get(key::NAME) {
            Some(Value::String(s)) if !s.trim().is_empty() => s.clone(),
            _ => "gguf".to_owned(),
        };
        Self { md, name }
    }

    fn fail(&self, reason: String) -> Error {
        Error::Model {
            model: self.name.clone(),
            reason,
        }
    }

    fn array(&self, key: &str) -> Result<&'a [Value]> {
        match self.md.get(key) {
            Some(Value::Array(a)) => Ok(a),
            Some(v) => Err(self.fail(wrong_type(key, "an array", v))),
            None => Err(self.fail(missing(key))),
        }
    }

    /// An array with one entry per piece.
    fn array_of_len(&self, key: &str, n: usize) -> Result<&'a [Value]> {
        let a = self.array(key)?;
        if a.len() == n {
            Ok(a)
        } else {
            Err(self.fail(format!("{key}: {} entries for {n} pieces", a.len())))
        }
    }

    /// A token id below `n`, when the key is present.
    fn id(&self, key: &str, n: usize) -> Result<Option<u32>> {
        let Some(v) = self.md.get(key) else {
            return Ok(None);
        };
        let Some(id) = integer(v) else {
            return Err(self.fail(wrong_type(key, "an integer", v)));
        };
        match u32::try_from(id) {
            Ok(id) if (id as usize) < n => Ok(Some(id)),
            _ => Err(self.fail(format!("{key}: id {id} is outside the vocabulary (0..{n})"))),
        }
    }

    fn flag(&self, key: &str, default: bool) -> Result<bool> {
        match self.md.get(key) {
            None => Ok(default),
            Some(Value::Bool(b)) => Ok(*b),
            Some(v) => Err(self.fail(wrong_type(key, "a bool", v))),
        }
    }
}

/// `key[i]`, for messages about one entry of an array.
fn item(key: &str, i: usize) -> String {
    format!("{key}[{i}]")
}

fn missing(key: &str) -> String {
    format!("{key}: missing from the GGUF metadata")
}

fn wrong_type(key: &str, want: &str, got: &Value) -> String {
    format!("{key}: expected {want}, found {:?}", got.value_type())
}

/// Any integer value (GGUF writers differ in the width they use).
fn integer(v: &Value) -> Option<i128> {
    match *v {
        Value::U8(x) => Some(x.into()),
        Value::I8(x) => Some(x.into()),
        Value::U16(x) => Some(x.into()),
        Value::I16(x) => Some(x.into()),
        Value::U32(x) => Some(x.into()),
        Value::I32(x) => Some(x.into()),
        Value::U64(x) => Some(x.into()),
        Value::I64(x) => Some(x.into()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Normal pieces with their scores (higher merges first).
    const PIECES: [(&str, f32); 12] = [
        ("a", -10.0),
        ("b", -11.0),
        ("c", -12.0),
        ("d", -13.0),
        ("\u{2581}", -9.0),
        ("ab", -1.0),
        ("\u{2581}a", -2.0),
        ("abc", -3.0),
        ("\u{2581}ab", -4.0),
        ("\u{2581}abc", -5.0),
        ("cd", -6.0),
        ("\u{2581}c", -7.0),
    ];

    // Ids in the tiny vocabulary built by `metadata`.
    const PAD: u32 = 0;
    const EOS: u32 = 1;
    const BOS: u32 = 2;
    const UNK: u32 = 3;
    const MASK: u32 = 4;
    const START_TURN: u32 = 5;
    const UNUSED0: u32 = 6;
    const TWO_SPACES: u32 = 7;
    const BYTE0: u32 = 8;
    const A: u32 = BYTE0 + 256;
    const B: u32 = A + 1;
    const D: u32 = A + 3;
    const MARK: u32 = A + 4;
    const AB: u32 = A + 5;
    const ABC: u32 = A + 7;
    const MARK_ABC: u32 = A + 9;
    const CD: u32 = A + 10;
    const MARK_C: u32 = A + 11;

    /// The metadata of a small SentencePiece vocabulary laid out like Gemma
    /// 3's: control tokens, a user-defined whitespace run stored with real
    /// spaces, the 256 byte pieces, then learned pieces.
    fn metadata() -> HashMap<String, Value> {
        let mut tokens = Vec::new();
        let mut scores = Vec::new();
        let mut types = Vec::new();
        let mut push = |piece: &str, score: f32, ty: i32| {
            tokens.push(Value::String(piece.to_owned()));
            scores.push(Value::F32(score));
            types.push(Value::I32(ty));
        };
        for control in [
            "<pad>",
            "<eos>",
            "<bos>",
            "<unk>",
            "<mask>",
            "<start_of_turn>",
            "<unused0>",
        ] {
            push(control, -1000.0, 3);
        }
        push("  ", -1000.0, 4);
        for b in 0..=255u8 {
            push(&format!("<0x{b:02X}>"), 0.0, 6);
        }
        for (piece, score) in PIECES {
            push(piece, score, 1);
        }
        HashMap::from([
            (key::NAME.to_owned(), Value::String("tiny".to_owned())),
            (key::MODEL.to_owned(), Value::String("llama".to_owned())),
            (key::TOKENS.to_owned(), Value::Array(tokens)),
            (key::SCORES.to_owned(), Value::Array(scores)),
            (key::TYPES.to_owned(), Value::Array(types)),
            (key::BOS.to_owned(), Value::U32(BOS)),
            (key::EOS.to_owned(), Value::U32(EOS)),
            (key::UNK.to_owned(), Value::U32(UNK)),
            (key::PAD.to_owned(), Value::U32(PAD)),
            (key::ADD_BOS.to_owned(), Value::Bool(true)),
            (key::ADD_EOS.to_owned(), Value::Bool(false)),
            (key::ADD_SPACE_PREFIX.to_owned(), Value::Bool(false)),
        ])
    }

    fn tiny() -> (Tokenizer, GgufVocab) {
        let vocab = GgufVocab::from_metadata(&metadata()).unwrap();
        (build_tokenizer(&vocab).unwrap(), vocab)
    }

    fn ids(t: &Tokenizer, text: &str) -> Vec<u32> {
        t.encode(text, true).unwrap().get_ids().to_vec()
    }

    fn byte(b: u8) -> u32 {
        BYTE0 + u32::from(b)
    }

    #[test]
    fn vocabulary_accessors() {
        let (t, v) = tiny();
        assert_eq!(v.len(), 8 + 256 + PIECES.len());
        assert!(!v.is_empty());
        assert_eq!(v.name(), "tiny");
        assert_eq!((v.bos_id(), v.eos_id()), (BOS, EOS));
        assert_eq!((v.unk_id(), v.pad_id()), (Some(UNK), Some(PAD)));
        assert!(v.add_bos());
        assert_eq!(v.token_id("<start_of_turn>"), Some(START_TURN));
        // The whitespace run is stored with spaces and spelled with `▁`.
        assert_eq!(v.token_id("  "), Some(TWO_SPACES));
        assert_eq!(v.token_id("\u{2581}\u{2581}"), Some(TWO_SPACES));
        assert_eq!(v.token(TWO_SPACES), Some("\u{2581}\u{2581}"));
        assert_eq!(v.token_type(TWO_SPACES), Some(TokenType::UserDefined));
        assert_eq!(v.token_type(byte(0x41)), Some(TokenType::Byte));
        assert_eq!(v.token_id("zz"), None);
        assert_eq!(v.token(u32::MAX), None);
        assert_eq!(t.get_vocab_size(false), v.len());
        assert_eq!(t.get_vocab_size(true), v.len());
        assert_eq!(t.token_to_id("\u{2581}abc"), Some(MARK_ABC));
    }

    #[test]
    fn merges_follow_score_then_half_lengths() {
        let (_, v) = tiny();
        let m = v.merges();
        let pair = |l: &str, r: &str| (l.to_owned(), r.to_owned());
        let mark = "\u{2581}";
        assert_eq!(
            m,
            vec![
                // The user-defined run ranks as score 0, above all learned pieces.
                pair(mark, mark),
                pair("a", "b"),
                pair(mark, "a"),
                pair("ab", "c"),
                // Same piece: the longer left half first.
                pair("\u{2581}a", "b"),
                pair(mark, "ab"),
                pair("\u{2581}ab", "c"),
                pair(mark, "abc"),
                pair("c", "d"),
                pair(mark, "c"),
            ]
        );
    }

    #[test]
    fn encodes_with_bos_merges_and_added_tokens() {
        let (t, _) = tiny();
        assert_eq!(ids(&t, ""), vec![BOS]);
        assert_eq!(ids(&t, "abc"), vec![BOS, ABC]);
        // a b c -> ab c -> abc, then ▁ + abc.
        assert_eq!(ids(&t, " abc"), vec![BOS, MARK_ABC]);
        assert_eq!(ids(&t, " abc d"), vec![BOS, MARK_ABC, MARK, D]);
        assert_eq!(ids(&t, "cd c"), vec![BOS, CD, MARK_C]);
        // Two spaces are the user-defined run, through the merges.
        assert_eq!(ids(&t, "a  b"), vec![BOS, A, TWO_SPACES, B]);
        // Control tokens typed inline are single tokens.
        assert_eq!(
            ids(&t, "<start_of_turn>ab<eos>"),
            vec![BOS, START_TURN, AB, EOS]
        );
        assert_eq!(ids(&t, "<mask><unused0>"), vec![BOS, MASK, UNUSED0]);
        // Without special tokens there is no <bos>.
        assert_eq!(t.encode("ab", false).unwrap().get_ids(), [AB]);
    }

    #[test]
    fn unknown_characters_fall_back_to_bytes() {
        let (t, _) = tiny();
        assert_eq!(ids(&t, "z"), vec![BOS, byte(b'z')]);
        // € is E2 82 AC in UTF-8.
        assert_eq!(
            ids(&t, "ab€"),
            vec![BOS, AB, byte(0xE2), byte(0x82), byte(0xAC)]
        );
    }

    #[test]
    fn decodes_back_to_the_text() {
        let (t, _) = tiny();
        for text in [
            "abc",
            " abc d",
            "a  b",
            "zq €5 ab",
            "  leading",
            "x\u{1F600}y",
            "",
        ] {
            let ids = ids(&t, text);
            assert_eq!(t.decode(&ids, true).unwrap(), text, "{ids:?}");
        }
        let ids = ids(&t, "<start_of_turn>ab");
        assert_eq!(t.decode(&ids, false).unwrap(), "<bos><start_of_turn>ab");
        // Chat markers are special; <mask> and <unusedN> are not.
        assert_eq!(t.decode(&ids, true).unwrap(), "ab");
        assert_eq!(
            t.decode(&[MASK, UNUSED0, AB], true).unwrap(),
            "<mask><unused0>ab"
        );
    }

    #[test]
    fn eos_is_appended_when_the_file_asks() {
        let mut md = metadata();
        md.insert(key::ADD_EOS.to_owned(), Value::Bool(true));
        md.insert(key::ADD_BOS.to_owned(), Value::Bool(false));
        let v = GgufVocab::from_metadata(&md).unwrap();
        let t = build_tokenizer(&v).unwrap();
        assert_eq!(ids(&t, "ab"), vec![AB, EOS]);
    }

    #[test]
    fn defaults_for_optional_keys() {
        let mut md = metadata();
        for k in [
            key::NAME,
            key::UNK,
            key::PAD,
            key::ADD_BOS,
            key::ADD_EOS,
            key::ADD_SPACE_PREFIX,
        ] {
            md.remove(k);
        }
        let v = GgufVocab::from_metadata(&md).unwrap();
        assert_eq!(v.name(), "gguf");
        assert_eq!((v.unk_id(), v.pad_id()), (None, None));
        assert!(v.add_bos());
        let t = build_tokenizer(&v).unwrap();
        assert_eq!(ids(&t, "ab"), vec![BOS, AB]);
    }

    /// Applies `change` to the tiny metadata and returns the error's reason.
    fn reason(change: impl FnOnce(&mut HashMap<String, Value>)) -> String {
        let mut md = metadata();
        change(&mut md);
        match GgufVocab::from_metadata(&md) {
            Err(Error::Model { model, reason }) => {
                assert_eq!(model, "tiny");
                reason
            }
            Err(e) => panic!("not a model error: {e}"),
            Ok(_) => panic!("accepted malformed metadata"),
        }
    }

    fn set(md: &mut HashMap<String, Value>, k: &str, v: Value) {
        md.insert(k.to_owned(), v);
    }

    fn edit_array(md: &mut HashMap<String, Value>, k: &str, f: impl FnOnce(&mut Vec<Value>)) {
        match md.get_mut(k) {
            Some(Value::Array(a)) => f(a),
            _ => unreachable!("the tiny metadata has {k}"),
        }
    }

    /// A change that breaks the tiny metadata.
    type Breakage = Box<dyn FnOnce(&mut HashMap<String, Value>)>;

    #[test]
    fn malformed_metadata_gives_typed_errors() {
        // The key each error must name first, and the breakage.
        let cases: Vec<(&str, Breakage)> = vec![
            (
                key::TOKENS,
                Box::new(|md| {
                    md.remove(key::TOKENS);
                }),
            ),
            (
                key::SCORES,
                Box::new(|md| {
                    md.remove(key::SCORES);
                }),
            ),
            (
                key::TYPES,
                Box::new(|md| {
                    md.remove(key::TYPES);
                }),
            ),
            (
                key::BOS,
                Box::new(|md| {
                    md.remove(key::BOS);
                }),
            ),
            (
                key::EOS,
                Box::new(|md| {
                    md.remove(key::EOS);
                }),
            ),
            (
                key::MODEL,
                Box::new(|md| {
                    md.remove(key::MODEL);
                }),
            ),
            (
                key::MODEL,
                Box::new(|md| set(md, key::MODEL, Value::String("gpt2".to_owned()))),
            ),
            (
                key::MODEL,
                Box::new(|md| set(md, key::MODEL, Value::U32(1))),
            ),
            // Wrong types.
            (
                key::TOKENS,
                Box::new(|md| set(md, key::TOKENS, Value::String("a".to_owned()))),
            ),
            (
                key::TOKENS,
                Box::new(|md| edit_array(md, key::TOKENS, |a| a[9] = Value::U32(9))),
            ),
            (
                key::SCORES,
                Box::new(|md| edit_array(md, key::SCORES, |a| a[2] = Value::Bool(true))),
            ),
            (
                key::TYPES,
                Box::new(|md| edit_array(md, key::TYPES, |a| a[2] = Value::F32(1.0))),
            ),
            (
                key::BOS,
                Box::new(|md| set(md, key::BOS, Value::String("<bos>".to_owned()))),
            ),
            (
                key::ADD_BOS,
                Box::new(|md| set(md, key::ADD_BOS, Value::U8(1))),
            ),
            // Lengths that disagree, and an empty vocabulary.
            (
                key::SCORES,
                Box::new(|md| edit_array(md, key::SCORES, |a| drop(a.pop()))),
            ),
            (
                key::TYPES,
                Box::new(|md| edit_array(md, key::TYPES, |a| a.push(Value::I32(1)))),
            ),
            (
                key::TOKENS,
                Box::new(|md| edit_array(md, key::TOKENS, Vec::clear)),
            ),
            // Bad values.
            (
                key::BOS,
                Box::new(|md| set(md, key::BOS, Value::U32(100_000))),
            ),
            (key::EOS, Box::new(|md| set(md, key::EOS, Value::I32(-1)))),
            (
                key::UNK,
                Box::new(|md| set(md, key::UNK, Value::U64(u64::MAX))),
            ),
            (key::PAD, Box::new(|md| set(md, key::PAD, Value::U32(276)))),
            (
                key::TYPES,
                Box::new(|md| edit_array(md, key::TYPES, |a| a[3] = Value::I32(9))),
            ),
            (
                key::SCORES,
                Box::new(|md| edit_array(md, key::SCORES, |a| a[3] = Value::F32(f32::NAN))),
            ),
            (
                key::TOKENS,
                Box::new(|md| edit_array(md, key::TOKENS, |a| a[4] = Value::String(String::new()))),
            ),
            // "▁a" once as written and once with a real space.
            (
                key::TOKENS,
                Box::new(|md| {
                    edit_array(md, key::TOKENS, |a| a[4] = Value::String(" a".to_owned()))
                }),
            ),
            (
                key::ADD_SPACE_PREFIX,
                Box::new(|md| set(md, key::ADD_SPACE_PREFIX, Value::Bool(true))),
            ),
        ];
        for (k, change) in cases {
            let r = reason(change);
            assert!(r.starts_with(k), "{k}: {r}");
        }
    }

    #[test]
    fn tokenizer_from_gguf_reads_a_written_header() {
        use candle_core::quantized::gguf_file;
        let md = metadata();
        let mut refs: Vec<(&str, &Value)> = md.iter().map(|(k, v)| (k.as_str(), v)).collect();
        refs.sort_by_key(|(k, _)| *k);
        let mut buf = std::io::Cursor::new(Vec::new());
        gguf_file::write(&mut buf, &refs, &[]).unwrap();
        buf.set_position(0);
        let content = Content::read(&mut buf).unwrap();
        let (t, v) = tokenizer_from_gguf(&content).unwrap();
        assert_eq!(v.token_id("<start_of_turn>"), Some(START_TURN));
        assert_eq!(ids(&t, " abc"), vec![BOS, MARK_ABC]);
    }
}
