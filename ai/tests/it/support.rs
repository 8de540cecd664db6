//! Shared builders: the sample portfolio, a file market, a hash-embedder assistant.

use std::path::PathBuf;
use std::sync::Arc;

use auravest_ai::eval::{BUILTIN_SET, EvalSet, sample_portfolio};
use auravest_ai::setup::memory_retriever;
use auravest_ai::{Assistant, HashEmbedder, KnowledgeBase, PortfolioContext};
use auravest_market::{FileSource, Market};

pub(crate) fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

pub(crate) fn kb() -> KnowledgeBase {
    KnowledgeBase::builtin().unwrap()
}

pub(crate) fn set() -> EvalSet {
    EvalSet::parse(BUILTIN_SET, &kb()).unwrap()
}

pub(crate) fn portfolio() -> PortfolioContext {
    sample_portfolio(&set(), &root()).unwrap()
}

pub(crate) fn market() -> Market {
    Market::new(Arc::new(FileSource::new(
        root().join("examples/data/prices.csv"),
    )))
}

pub(crate) fn hash_assistant() -> Assistant {
    let kb = kb();
    let r = memory_retriever(&kb, Box::new(HashEmbedder::default())).unwrap();
    Assistant::new(kb, r).unwrap()
}
