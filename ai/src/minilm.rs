//! all-MiniLM-L6-v2 sentence embeddings on candle, CPU only.
//!
//! The model folder holds `config.json`, `model.safetensors` (F32) and
//! `tokenizer.json`, as `scripts/fetch-models.sh` installs them. Vectors are
//! the masked mean of the last hidden states, L2-normalised, as
//! sentence-transformers computes them.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use candle_core::{DType, Device, Tensor};
use candle_nn::VarBuilder;
use candle_transformers::models::bert::{BertModel, Config};
use tokenizers::{
    PaddingDirection, PaddingParams, PaddingStrategy, Tokenizer, TruncationDirection,
    TruncationParams, TruncationStrategy,
};

use crate::embed::Embedder;
use crate::error::{Error, Result};

/// The files a model folder must hold.
const FILES: [&str; 3] = ["config.json", "model.safetensors", "tokenizer.json"];

/// all-MiniLM-L6-v2 (sentence-transformers) on candle's CPU backend:
/// 384-dimensional unit vectors, texts truncated at 256 tokens.
///
/// ```no_run
/// use auravest_ai::Embedder;
///
/// let model = auravest_ai::setup::env::load_minilm()?;
/// let v = model.embed(&["What is a P/E ratio?", "how to bake bread"])?;
/// assert_eq!(v[0].len(), 384);
/// # Ok::<(), auravest_ai::Error>(())
/// ```
pub struct MiniLm {
    model: BertModel,
    tokenizer: Tokenizer,
    device: Device,
    dir: PathBuf,
}

impl std::fmt::Debug for MiniLm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MiniLm")
            .field("dir", &self.dir)
            .finish_non_exhaustive()
    }
}

impl MiniLm {
    /// The model id recorded with indexes built from these vectors.
    pub const MODEL_ID: &'static str = "all-MiniLM-L6-v2";
    /// The vector length.
    pub const DIM: usize = 384;
    /// Longer texts are cut to this many tokens (sentence-transformers'
    /// `max_seq_length`), counting `[CLS]` and `[SEP]`.
    pub const MAX_TOKENS: usize = 256;
    /// Texts per forward pass.
    pub const BATCH: usize = 32;
    /// The environment variable naming the model folder.
    pub const DIR_ENV: &'static str = "AURAVEST_MINILM_DIR";

    /// The model folder, given the values of `AURAVEST_MINILM_DIR` and
    /// `HOME`: the first when set, else
    /// `HOME/.cache/auravest/models/all-MiniLM-L6-v2`. The process
    /// environment is read in one place only,
    /// [`crate::setup::env::minilm_dir`].
    ///
    /// # Errors
    /// [`Error::Model`] when the folder lacks `config.json`,
    /// `model.safetensors` or `tokenizer.json`; the message says to run
    /// `scripts/fetch-models.sh`.
    pub fn locate_in(dir_var: Option<OsString>, home: Option<OsString>) -> Result<PathBuf> {
        let dir = candidate_dir(dir_var, home)?;
        check_dir(&dir)?;
        Ok(dir)
    }

    /// Loads the model from `dir` (about 0.1 s: the weights are
    /// memory-mapped while they are copied into tensors).
    ///
    /// # Errors
    /// [`Error::Model`] when a file is missing or unreadable, the config is
    /// not a 384-wide BERT, or the weights do not match it.
    pub fn load(dir: impl AsRef<Path>) -> Result<Self> {
        let dir = dir.as_ref().to_path_buf();
        check_dir(&dir)?;
        let config_path = dir.join("config.json");
        let text = std::fs::read_to_string(&config_path)
            .map_err(|e| model_error(format!("{}: {e}", config_path.display())))?;
        let config: Config = serde_json::from_str(&text)
            .map_err(|e| model_error(format!("{}: {e}", config_path.display())))?;
        if config.hidden_size != Self::DIM {
            return Err(model_error(format!(
                "{}: hidden_size is {}, expected {} (is this all-MiniLM-L6-v2?)",
                config_path.display(),
                config.hidden_size,
                Self::DIM
            )));
        }
        if config.max_position_embeddings < Self::MAX_TOKENS {
            return Err(model_error(format!(
                "{}: max_position_embeddings is {}, below {}",
                config_path.display(),
                config.max_position_embeddings,
                Self::MAX_TOKENS
            )));
        }

        let tokenizer_path = dir.join("tokenizer.json");
        let mut tokenizer = Tokenizer::from_file(&tokenizer_path)
            .map_err(|e| model_error(format!("{}: {e}", tokenizer_path.display())))?;
        configure_tokenizer(&mut tokenizer)?;

        let device = Device::Cpu;
        let weights = dir.join("model.safetensors");
        // SAFETY: the file is mapped only while `BertModel::load` copies
        // every tensor out of it; `vb` (and with it the map) is dropped
        // before this function returns. Like every mmap, it assumes no
        // other process truncates the file during those ~0.1 s.
        #[allow(unsafe_code)]
        let vb = unsafe { VarBuilder::from_mmaped_safetensors(&[&weights], DType::F32, &device) }
            .map_err(|e| model_error(format!("{}: {e}", weights.display())))?;
        let model = BertModel::load(vb, &config)
            .map_err(|e| model_error(format!("{}: {e}", weights.display())))?;
        Ok(Self {
            model,
            tokenizer,
            device,
            dir,
        })
    }

    /// The folder the model was loaded from.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Embeds at most [`MiniLm::BATCH`] texts in one forward pass.
    fn embed_batch(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>> {
        let encodings = self
            .tokenizer
            .encode_batch(texts.to_vec(), true)
            .map_err(|e| model_error(format!("tokenizing: {e}")))?;
        let rows = encodings.len();
        let width = encodings.first().map_or(0, |e| e.len());
        let mut ids = Vec::with_capacity(rows * width);
        let mut mask = Vec::with_capacity(rows * width);
        for e in &encodings {
            if e.len() != width {
                return Err(model_error(format!(
                    "the tokenizer padded to {} and {width} tokens in one batch",
                    e.len()
                )));
            }
            ids.extend_from_slice(e.get_ids());
            mask.extend_from_slice(e.get_attention_mask());
        }
        let candle = |e: candle_core::Error| model_error(e.to_string());
        let ids = Tensor::from_vec(ids, (rows, width), &self.device).map_err(candle)?;
        let mask = Tensor::from_vec(mask, (rows, width), &self.device).map_err(candle)?;
        let types = ids.zeros_like().map_err(candle)?;
        let hidden = self
            .model
            .forward(&ids, &types, Some(&mask))
            .map_err(candle)?;
        let pooled = mean_pool(&hidden, &mask).map_err(candle)?;
        l2_normalise(&pooled)
            .and_then(|t| t.to_vec2::<f32>())
            .map_err(candle)
    }
}

impl Embedder for MiniLm {
    fn model_id(&self) -> &str {
        Self::MODEL_ID
    }

    fn dim(&self) -> usize {
        Self::DIM
    }

    /// Texts go through in batches of at most 32, grouped by length so that
    /// little padding is computed; the results come back in input order and
    /// do not depend on the grouping.
    fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>> {
        let mut out = vec![Vec::new(); texts.len()];
        for group in length_groups(texts, Self::BATCH) {
            let batch: Vec<&str> = group.iter().map(|&i| texts[i]).collect();
            for (i, v) in group.into_iter().zip(self.embed_batch(&batch)?) {
                out[i] = v;
            }
        }
        Ok(out)
    }
}

fn model_error(reason: String) -> Error {
    Error::Model {
        model: MiniLm::MODEL_ID.to_owned(),
        reason,
    }
}

/// Where to look: the environment variable when set and non-empty, else
/// under `$HOME`.
fn candidate_dir(env_dir: Option<OsString>, home: Option<OsString>) -> Result<PathBuf> {
    if let Some(dir) = env_dir.filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(dir));
    }
    match home.filter(|h| !h.is_empty()) {
        Some(home) => Ok(PathBuf::from(home)
            .join(".cache/auravest/models")
            .join(MiniLm::MODEL_ID)),
        None => Err(model_error(format!(
            "neither {env} nor HOME is set; run scripts/fetch-models.sh \
             and set {env} to the folder it prints",
            env = MiniLm::DIR_ENV
        ))),
    }
}

/// Fails, naming the first missing file and the fix, unless `dir` holds the
/// model's files.
fn check_dir(dir: &Path) -> Result<()> {
    if let Some(missing) = FILES.iter().find(|f| !dir.join(f).is_file()) {
        return Err(model_error(format!(
            "{} has no {missing}: run scripts/fetch-models.sh to install the weights \
             (or set {} to a folder holding {})",
            dir.display(),
            MiniLm::DIR_ENV,
            FILES.join(", ")
        )));
    }
    Ok(())
}

/// Pads each batch to its longest member and truncates at
/// [`MiniLm::MAX_TOKENS`]. The shipped `tokenizer.json` pads every text to
/// a fixed 128 tokens and truncates at 128, which wastes work on short
/// texts and cuts long ones early.
fn configure_tokenizer(tokenizer: &mut Tokenizer) -> Result<()> {
    let (pad_id, pad_type_id, pad_token) = match tokenizer.get_padding() {
        Some(p) => (p.pad_id, p.pad_type_id, p.pad_token.clone()),
        None => (0, 0, "[PAD]".to_owned()),
    };
    tokenizer.with_padding(Some(PaddingParams {
        strategy: PaddingStrategy::BatchLongest,
        direction: PaddingDirection::Right,
        pad_to_multiple_of: None,
        pad_id,
        pad_type_id,
        pad_token,
    }));
    tokenizer
        .with_truncation(Some(TruncationParams {
            direction: TruncationDirection::Right,
            max_length: MiniLm::MAX_TOKENS,
            strategy: TruncationStrategy::LongestFirst,
            stride: 0,
        }))
        .map_err(|e| model_error(format!("setting truncation: {e}")))?;
    Ok(())
}

/// Indices of `texts` in groups of at most `size`, longest texts first, so
/// that each group pads to a similar length. Stable: equal lengths keep
/// their input order.
fn length_groups(texts: &[&str], size: usize) -> Vec<Vec<usize>> {
    let mut order: Vec<usize> = (0..texts.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(texts[i].len()));
    order.chunks(size.max(1)).map(<[usize]>::to_vec).collect()
}

/// The mean of `hidden` (batch, tokens, dim) over the tokens whose `mask`
/// (batch, tokens) entry is 1.
fn mean_pool(hidden: &Tensor, mask: &Tensor) -> candle_core::Result<Tensor> {
    let mask = mask.to_dtype(hidden.dtype())?.unsqueeze(2)?;
    let summed = hidden.broadcast_mul(&mask)?.sum(1)?;
    // At least [CLS] and [SEP] are always there; the floor only guards the
    // division as sentence-transformers' clamp(min=1e-9) does.
    let counts = mask.sum(1)?.clamp(1e-9, f64::INFINITY)?;
    summed.broadcast_div(&counts)
}

/// Each row scaled to unit length (rows of zeros stay zero, like
/// `torch.nn.functional.normalize` with eps 1e-12).
fn l2_normalise(x: &Tensor) -> candle_core::Result<Tensor> {
    let norms = x
        .sqr()?
        .sum_keepdim(1)?
        .sqrt()?
        .clamp(1e-12, f64::INFINITY)?;
    x.broadcast_div(&norms)
}

#[cfg(test)]
mod tests {
    use tokenizers::models::wordpiece::WordPiece;
    use tokenizers::normalizers::bert::BertNormalizer;
    use tokenizers::pre_tokenizers::bert::BertPreTokenizer;
    use tokenizers::processors::bert::BertProcessing;

    use super::*;

    /// A tiny BERT-style tokenizer with the shipped file's fixed 128 padding.
    fn tiny_tokenizer() -> Tokenizer {
        let words = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "a", "b", "c"];
        // WordPiece takes an AHashMap; tokenizers names that type only as BPE's `Vocab`.
        let vocab: tokenizers::models::bpe::Vocab = words
            .iter()
            .enumerate()
            .map(|(i, w)| ((*w).to_owned(), u32::try_from(i).unwrap()))
            .collect();
        let model = WordPiece::builder()
            .vocab(vocab)
            .unk_token("[UNK]".to_owned())
            .build()
            .unwrap();
        let mut t = Tokenizer::new(model);
        t.with_normalizer(Some(BertNormalizer::default()))
            .unwrap()
            .with_pre_tokenizer(Some(BertPreTokenizer))
            .with_post_processor(Some(BertProcessing::new(
                ("[SEP]".to_owned(), 3),
                ("[CLS]".to_owned(), 2),
            )))
            .with_padding(Some(PaddingParams {
                strategy: PaddingStrategy::Fixed(128),
                ..PaddingParams::default()
            }));
        t
    }

    #[test]
    fn tokenizer_pads_to_the_longest_in_a_batch_and_truncates_at_256() {
        let mut t = tiny_tokenizer();
        assert_eq!(t.encode("a b", true).unwrap().len(), 128);
        configure_tokenizer(&mut t).unwrap();
        let long = vec!["a"; 1000].join(" ");
        let enc = t.encode_batch(vec!["a b", "a", "c a b c"], true).unwrap();
        assert!(enc.iter().all(|e| e.len() == 6));
        assert_eq!(enc[1].get_ids(), [2, 4, 3, 0, 0, 0]);
        assert_eq!(enc[1].get_attention_mask(), [1, 1, 1, 0, 0, 0]);
        let enc = t.encode_batch(vec![long.as_str(), "b"], true).unwrap();
        assert_eq!(enc[0].len(), MiniLm::MAX_TOKENS);
        assert_eq!(
            enc[0].get_ids().last(),
            Some(&3),
            "[SEP] survives truncation"
        );
        assert_eq!(enc[1].len(), MiniLm::MAX_TOKENS);
        assert_eq!(
            t.encode("b", true).unwrap().len(),
            3,
            "a single text is not padded"
        );
    }

    #[test]
    fn mean_pool_ignores_padding_and_normalise_gives_unit_rows() {
        let hidden = Tensor::from_vec(
            vec![
                1f32, 2., 3., 4., 100., 100., // row 0: two tokens, one pad
                3., 0., 4., 0., 5., 0., // row 1: three tokens
            ],
            (2, 3, 2),
            &Device::Cpu,
        )
        .unwrap();
        let mask = Tensor::from_vec(vec![1u32, 1, 0, 1, 1, 1], (2, 3), &Device::Cpu).unwrap();
        let pooled = mean_pool(&hidden, &mask).unwrap().to_vec2::<f32>().unwrap();
        assert_eq!(pooled, [[2.0, 3.0], [4.0, 0.0]]);
        let x = Tensor::from_vec(vec![3f32, 4., 0., 0.], (2, 2), &Device::Cpu).unwrap();
        let n = l2_normalise(&x).unwrap().to_vec2::<f32>().unwrap();
        assert_eq!(n, [[0.6, 0.8], [0.0, 0.0]]);
    }

    #[test]
    fn groups_are_by_length_bounded_and_cover_every_text() {
        let texts = ["aa", "a", "aaaa", "aaa", "", "bb"];
        let groups = length_groups(&texts, 4);
        assert_eq!(groups, [vec![2, 3, 0, 5], vec![1, 4]]);
        assert!(length_groups(&[], 32).is_empty());
    }

    #[test]
    fn locating_prefers_the_variable_then_home_and_names_the_fix() {
        let dir = candidate_dir(Some("/models/m".into()), Some("/home/u".into())).unwrap();
        assert_eq!(dir, PathBuf::from("/models/m"));
        let dir = candidate_dir(Some("".into()), Some("/home/u".into())).unwrap();
        assert_eq!(
            dir,
            PathBuf::from("/home/u/.cache/auravest/models/all-MiniLM-L6-v2")
        );
        let err = candidate_dir(None, None).unwrap_err();
        assert!(err.to_string().contains("fetch-models.sh"), "{err}");

        let empty = std::env::temp_dir().join(format!("auravest-minilm-{}", std::process::id()));
        std::fs::create_dir_all(&empty).unwrap();
        let err = MiniLm::load(&empty).unwrap_err();
        std::fs::remove_dir_all(&empty).unwrap();
        assert!(matches!(err, Error::Model { .. }));
        let msg = err.to_string();
        assert!(
            msg.contains("config.json") && msg.contains("scripts/fetch-models.sh"),
            "{msg}"
        );
    }
}
