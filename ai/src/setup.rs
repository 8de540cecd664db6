//! Putting an assistant together: the knowledge base, the best embedder
//! installed (MiniLM when its weights are found, else the hashing
//! embedder), and a vector index loaded from disk when it matches the
//! knowledge base's content hash, rebuilt and saved otherwise.

use std::path::{Path, PathBuf};

use crate::assistant::{Assistant, AssistantConfig};
use crate::embed::{Embedder, HashEmbedder};
use crate::error::Result;
use crate::index::{BruteForceIndex, VectorIndex};
use crate::kb::{Chunk, ChunkOptions, KnowledgeBase};
use crate::retrieve::Retriever;

/// Where the knowledge base comes from and where its index is kept.
#[derive(Debug, Clone, Default)]
pub struct Setup {
    /// A folder of articles; `None` for the built-in knowledge base.
    pub kb_dir: Option<PathBuf>,
    /// Where the index is saved; `None` for `KB_DIR/.index`, or
    /// `$AURAVEST_INDEX_DIR`, or `$HOME/.cache/auravest/index` for the
    /// built-in knowledge base.
    pub index_dir: Option<PathBuf>,
    /// Use the hashing embedder even when MiniLM is installed (tests).
    pub hash_embedder: bool,
    /// Rebuild the index even when the saved one matches.
    pub rebuild: bool,
    /// Assistant settings.
    pub config: AssistantConfig,
    /// Stops [`Setup::build`] between embedding batches (with
    /// [`Error::Cancelled`](crate::Error::Cancelled)) once cancelled.
    pub cancel: Option<crate::llm::CancelToken>,
}

/// What [`Setup::build`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetupReport {
    /// The embedder's model id.
    pub embedder: String,
    /// Why MiniLM was not used, when it was not.
    pub embedder_note: Option<String>,
    /// Chunks indexed.
    pub chunks: usize,
    /// The knowledge base's content hash.
    pub kb_hash: String,
    /// The index file, when one was loaded or saved.
    pub index_path: Option<PathBuf>,
    /// Was the index loaded from disk (rather than built)?
    pub loaded: bool,
}

fn default_embedder(force_hash: bool) -> (Box<dyn Embedder>, Option<String>) {
    if force_hash {
        return (
            Box::new(HashEmbedder::default()),
            Some("the hashing embedder was asked for".to_owned()),
        );
    }
    #[cfg(feature = "minilm")]
    {
        match env::load_minilm() {
            Ok(m) => (Box::new(m), None),
            Err(e) => (Box::new(HashEmbedder::default()), Some(e.to_string())),
        }
    }
    #[cfg(not(feature = "minilm"))]
    {
        (
            Box::new(HashEmbedder::default()),
            Some("built without the `minilm` feature".to_owned()),
        )
    }
}

/// Embeds `chunks` in batches of 32, calling `progress(done, total)`.
///
/// # Errors
/// The embedder's error.
pub fn embed_chunks(
    embedder: &dyn Embedder,
    chunks: &[Chunk],
    progress: &dyn Fn(usize, usize),
) -> Result<Vec<Vec<f32>>> {
    embed_chunks_until(embedder, chunks, progress, None)
}

/// As [`embed_chunks`], stopping between batches once `cancel` is cancelled.
///
/// # Errors
/// The embedder's error, or [`Error::Cancelled`](crate::Error::Cancelled).
pub fn embed_chunks_until(
    embedder: &dyn Embedder,
    chunks: &[Chunk],
    progress: &dyn Fn(usize, usize),
    cancel: Option<&crate::llm::CancelToken>,
) -> Result<Vec<Vec<f32>>> {
    let texts: Vec<String> = chunks.iter().map(Chunk::search_text).collect();
    let mut out = Vec::with_capacity(texts.len());
    for batch in texts.chunks(32) {
        if cancel.is_some_and(crate::llm::CancelToken::is_cancelled) {
            return Err(crate::Error::Cancelled);
        }
        let refs: Vec<&str> = batch.iter().map(String::as_str).collect();
        out.extend(embedder.embed(&refs)?);
        progress(out.len(), texts.len());
    }
    Ok(out)
}

impl Setup {
    fn index_dir(&self) -> Option<PathBuf> {
        if let Some(d) = &self.index_dir {
            return Some(d.clone());
        }
        if let Some(kb) = &self.kb_dir {
            return Some(kb.join(".index"));
        }
        if let Some(d) = std::env::var_os("AURAVEST_INDEX_DIR") {
            return Some(PathBuf::from(d));
        }
        std::env::var_os("HOME").map(|h| Path::new(&h).join(".cache/auravest/index"))
    }

    /// Builds the assistant, loading or rebuilding the index; `progress`
    /// is called while chunks are embedded.
    ///
    /// # Errors
    /// A knowledge-base, embedder or index error. A saved index that cannot
    /// be written is not an error (the assistant works from memory).
    pub fn build(&self, progress: &dyn Fn(usize, usize)) -> Result<(Assistant, SetupReport)> {
        let kb = match &self.kb_dir {
            Some(d) => KnowledgeBase::from_dir(d)?,
            None => KnowledgeBase::builtin()?,
        };
        let (embedder, note) = default_embedder(self.hash_embedder);
        let chunks = kb.chunks(ChunkOptions::default());
        let stamp = format!(
            "{}:{}:{}",
            embedder.model_id(),
            kb.content_hash(),
            chunks.len()
        );
        let mut report = SetupReport {
            embedder: embedder.model_id().to_owned(),
            embedder_note: note,
            chunks: chunks.len(),
            kb_hash: kb.content_hash().to_owned(),
            index_path: None,
            loaded: false,
        };
        let index: Box<dyn VectorIndex> =
            self.index(&*embedder, &chunks, &stamp, progress, &mut report)?;
        let retriever = Retriever::from_parts(chunks, embedder, index);
        let assistant = Assistant::with_stores(
            kb,
            retriever,
            self.config,
            std::sync::Arc::new(crate::store::MemoryUsage::default()),
            std::sync::Arc::new(crate::store::MemoryAudit::default()),
            std::sync::Arc::new(crate::store::MemoryFeedback::default()),
        )?;
        Ok((assistant, report))
    }

    #[cfg(feature = "usearch")]
    fn index(
        &self,
        embedder: &dyn Embedder,
        chunks: &[Chunk],
        stamp: &str,
        progress: &dyn Fn(usize, usize),
        report: &mut SetupReport,
    ) -> Result<Box<dyn VectorIndex>> {
        use crate::usearch_index::{UsearchIndex, UsearchOptions};
        let dim = embedder.dim();
        let path = self.index_dir().map(|d| {
            let model: String = embedder
                .model_id()
                .chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() || c == '-' {
                        c
                    } else {
                        '_'
                    }
                })
                .collect();
            d.join(format!("kb-{model}.usearch"))
        });
        if let Some(p) = &path
            && !self.rebuild
            && UsearchIndex::read_info(p).is_ok_and(|i| i.metadata == stamp && i.dim == dim)
            && let Ok(idx) = UsearchIndex::load(p, dim)
        {
            report.index_path = Some(p.clone());
            report.loaded = true;
            return Ok(Box::new(idx));
        }
        // A knowledge base is small: exact search is both exact and fast.
        let mut idx = UsearchIndex::with_options(
            dim,
            UsearchOptions::default().exact(chunks.len() <= 20_000),
        )?;
        idx.set_metadata(stamp);
        for (c, v) in chunks.iter().zip(embed_chunks_until(
            embedder,
            chunks,
            progress,
            self.cancel.as_ref(),
        )?) {
            idx.add(c.key, &v)?;
        }
        if let Some(p) = &path
            && p.parent()
                .is_some_and(|d| std::fs::create_dir_all(d).is_ok())
            && idx.save(p).is_ok()
        {
            report.index_path = Some(p.clone());
        }
        Ok(Box::new(idx))
    }

    #[cfg(not(feature = "usearch"))]
    fn index(
        &self,
        embedder: &dyn Embedder,
        chunks: &[Chunk],
        _stamp: &str,
        progress: &dyn Fn(usize, usize),
        _report: &mut SetupReport,
    ) -> Result<Box<dyn VectorIndex>> {
        let _ = self.index_dir();
        let mut idx = BruteForceIndex::new(embedder.dim());
        for (c, v) in chunks.iter().zip(embed_chunks_until(
            embedder,
            chunks,
            progress,
            self.cancel.as_ref(),
        )?) {
            idx.add(c.key, &v)?;
        }
        Ok(Box::new(idx))
    }
}

/// An exact in-memory retriever over `kb` with `embedder` (tests, benches).
///
/// # Errors
/// The embedder's error.
pub fn memory_retriever(kb: &KnowledgeBase, embedder: Box<dyn Embedder>) -> Result<Retriever> {
    let chunks = kb.chunks(ChunkOptions::default());
    let mut idx = BruteForceIndex::new(embedder.dim());
    for (c, v) in chunks
        .iter()
        .zip(embed_chunks(&*embedder, &chunks, &|_, _| {})?)
    {
        idx.add(c.key, &v)?;
    }
    Ok(Retriever::from_parts(chunks, embedder, Box::new(idx)))
}

/// The crate's only reads of the process environment: where the local
/// models are and how to reach an OpenAI-compatible server. Everything else
/// takes paths and settings as parameters.
pub mod env {
    #[cfg(any(feature = "minilm", feature = "gemma"))]
    use std::path::PathBuf;

    use crate::error::Result;

    /// The MiniLM folder from `AURAVEST_MINILM_DIR` or `HOME` (see
    /// [`crate::MiniLm::locate_in`]).
    ///
    /// # Errors
    /// As [`crate::MiniLm::locate_in`].
    #[cfg(feature = "minilm")]
    pub fn minilm_dir() -> Result<PathBuf> {
        crate::MiniLm::locate_in(
            std::env::var_os(crate::MiniLm::DIR_ENV),
            std::env::var_os("HOME"),
        )
    }

    /// Loads MiniLM from [`minilm_dir`].
    ///
    /// # Errors
    /// As [`minilm_dir`] and [`crate::MiniLm::load`].
    #[cfg(feature = "minilm")]
    pub fn load_minilm() -> Result<crate::MiniLm> {
        crate::MiniLm::load(minilm_dir()?)
    }

    /// The Gemma 3 270M GGUF file from `AURAVEST_GEMMA_GGUF`,
    /// `AURAVEST_MODELS_DIR` or `HOME` (see
    /// [`crate::llm::local::LocalGemma::locate_with`]).
    ///
    /// # Errors
    /// As [`crate::llm::local::LocalGemma::locate_with`].
    #[cfg(feature = "gemma")]
    pub fn gemma_weights() -> Result<PathBuf> {
        crate::llm::local::LocalGemma::locate_with(|k| std::env::var_os(k))
    }

    /// Loads Gemma 3 270M from [`gemma_weights`] with default options.
    ///
    /// # Errors
    /// As [`gemma_weights`] and [`crate::llm::local::LocalGemma::load`].
    #[cfg(feature = "gemma")]
    pub fn load_gemma() -> Result<crate::llm::local::LocalGemma> {
        crate::llm::local::LocalGemma::load(
            &gemma_weights()?,
            crate::llm::local::LoadOptions::default(),
        )
    }

    /// Which language model drafts the answers.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
    pub enum ModelChoice {
        /// The local Gemma when its weights are found, else no model.
        #[default]
        Auto,
        /// The local Gemma 3 270M; an error when it cannot be loaded.
        Local,
        /// The OpenAI-compatible server of the `AURAVEST_OPENAI_*` variables.
        OpenAi,
        /// No model: the extractive composer answers alone.
        None,
    }

    impl std::str::FromStr for ModelChoice {
        type Err = crate::Error;

        fn from_str(s: &str) -> std::result::Result<Self, Self::Err> {
            match s.trim().to_ascii_lowercase().as_str() {
                "auto" => Ok(Self::Auto),
                "local" => Ok(Self::Local),
                "openai" => Ok(Self::OpenAi),
                "none" => Ok(Self::None),
                _ => Err(crate::Error::Invalid {
                    field: "model".to_owned(),
                    reason: format!("expected auto, local, openai or none, got {s:?}"),
                }),
            }
        }
    }

    /// The language model of `choice`, found the same way in every shell,
    /// and a note when [`ModelChoice::Auto`] fell back to no model (why).
    ///
    /// # Errors
    /// [`crate::Error::Model`] when the local model was asked for and cannot
    /// be found or loaded (or the crate lacks feature `gemma`); the
    /// OpenAI backend's configuration errors (or [`crate::Error::Backend`]
    /// without feature `openai`).
    #[allow(clippy::type_complexity)]
    pub fn language_model(
        choice: ModelChoice,
    ) -> Result<(
        Option<std::sync::Arc<dyn crate::llm::LanguageModel>>,
        Option<String>,
    )> {
        match choice {
            ModelChoice::None => Ok((None, None)),
            ModelChoice::Local => Ok((Some(local_model()?), None)),
            ModelChoice::OpenAi => Ok((Some(openai_model()?), None)),
            ModelChoice::Auto => match local_model() {
                Ok(m) => Ok((Some(m), None)),
                Err(e) => Ok((
                    None,
                    Some(format!("answering without a language model: {e}")),
                )),
            },
        }
    }

    fn local_model() -> Result<std::sync::Arc<dyn crate::llm::LanguageModel>> {
        #[cfg(feature = "gemma")]
        {
            Ok(std::sync::Arc::new(load_gemma()?))
        }
        #[cfg(not(feature = "gemma"))]
        {
            Err(crate::Error::Model {
                model: "gemma-3-270m".to_owned(),
                reason: "this build has no local model (feature `gemma`)".to_owned(),
            })
        }
    }

    fn openai_model() -> Result<std::sync::Arc<dyn crate::llm::LanguageModel>> {
        #[cfg(feature = "openai")]
        {
            let backend = crate::llm::openai::OpenAiBackend::new(openai_config()?)?;
            Ok(std::sync::Arc::new(backend))
        }
        #[cfg(not(feature = "openai"))]
        {
            Err(crate::Error::Backend {
                backend: "openai".to_owned(),
                reason: "this build has no OpenAI-compatible backend (feature `openai`)".to_owned(),
                retryable: false,
            })
        }
    }

    /// The OpenAI-compatible backend's settings from the
    /// `AURAVEST_OPENAI_*` variables (see
    /// [`crate::llm::openai::OpenAiConfig::from_lookup`]).
    ///
    /// # Errors
    /// As [`crate::llm::openai::OpenAiConfig::from_lookup`].
    #[cfg(feature = "openai")]
    pub fn openai_config() -> Result<crate::llm::openai::OpenAiConfig> {
        crate::llm::openai::OpenAiConfig::from_lookup(|k| std::env::var(k).ok())
    }
}

#[cfg(test)]
mod tests {
    use super::env::{ModelChoice, language_model};

    #[test]
    fn model_choices_parse_and_none_needs_no_model() {
        assert_eq!("Auto".parse::<ModelChoice>().unwrap(), ModelChoice::Auto);
        assert_eq!(
            " local ".parse::<ModelChoice>().unwrap(),
            ModelChoice::Local
        );
        assert_eq!(
            "openai".parse::<ModelChoice>().unwrap(),
            ModelChoice::OpenAi
        );
        assert_eq!("none".parse::<ModelChoice>().unwrap(), ModelChoice::None);
        let err = "gpt".parse::<ModelChoice>().unwrap_err();
        assert!(matches!(err, crate::Error::Invalid { ref field, .. } if field == "model"));
        let (model, note) = language_model(ModelChoice::None).unwrap();
        assert!(model.is_none() && note.is_none());
    }
}
