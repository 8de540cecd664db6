//! `auravest.ai`: the grounded assistant.

use std::path::PathBuf;
use std::sync::Arc;

use auravest_ai::setup::env::{ModelChoice, language_model};
use auravest_ai::setup::{Setup, SetupReport};
use auravest_ai::{Assistant, PortfolioContext, ToolContext};
use auravest_market::Market;
use auravest_risk::RiskProfile;
use pyo3::prelude::*;
use serde_json::json;

use crate::convert::{from_py, to_py};
use crate::errors::{Failure, raise};
use crate::frame::PriceTable;
use crate::market::MarketClient;
use crate::portfolio::{Ledger, date_arg};
use crate::run::interruptible;

/// The assistant: the knowledge base and its index, the language model
/// found the same way as the command line, and the market for live tools.
#[pyclass(module = "auravest._native", name = "AssistantCore", frozen)]
pub(crate) struct AssistantCore {
    assistant: Arc<Assistant>,
    report: SetupReport,
    note: Option<String>,
    market: Option<Arc<Market>>,
    runtime: Arc<tokio::runtime::Runtime>,
}

#[pymethods]
impl AssistantCore {
    /// Builds (or loads) the index and finds the model: `model` is `auto`
    /// (the local Gemma when found), `local`, `openai` or `none`.
    #[new]
    #[pyo3(signature = (model=None, kb_dir=None, index_dir=None, hash_embedder=false, rebuild=false, market=None))]
    fn new(
        py: Python<'_>,
        model: Option<&str>,
        kb_dir: Option<PathBuf>,
        index_dir: Option<PathBuf>,
        hash_embedder: bool,
        rebuild: bool,
        market: Option<&MarketClient>,
    ) -> PyResult<Self> {
        let choice = match model {
            Some(m) => raise(py, m.parse::<ModelChoice>().map_err(Failure::from))?,
            None => ModelChoice::default(),
        };
        let setup = Setup {
            kb_dir,
            index_dir,
            hash_embedder,
            rebuild,
            ..Setup::default()
        };
        let (assistant, report, note) = interruptible(py, move || {
            let (assistant, report) = setup.build(&|_, _| {})?;
            let (model, note) = language_model(choice)?;
            let assistant = match model {
                Some(m) => assistant.with_model(m),
                None => assistant,
            };
            Ok((assistant, report, note))
        })?;
        let runtime = match market {
            Some(m) => Arc::clone(&m.runtime),
            None => Arc::new(
                tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(1)
                    .thread_name("auravest-ai")
                    .enable_all()
                    .build()
                    .map_err(|e| {
                        PyErr::from(Failure::new(
                            "AuraVestError",
                            "runtime",
                            format!("cannot start the async runtime: {e}"),
                        ))
                    })?,
            ),
        };
        Ok(Self {
            assistant: Arc::new(assistant),
            report,
            note,
            market: market.map(|m| Arc::clone(&m.market)),
            runtime,
        })
    }

    /// Which model answers (`none` for the extractive composer alone).
    #[getter]
    fn model(&self) -> String {
        self.assistant.model_id()
    }

    /// How the assistant was set up: the embedder, the knowledge base's
    /// size and hash, whether the index was loaded, and any note.
    fn setup_report<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let r = &self.report;
        to_py(
            py,
            &json!({
                "embedder": r.embedder,
                "embedder_note": r.embedder_note,
                "chunks": r.chunks,
                "kb_hash": r.kb_hash,
                "index_path": r.index_path,
                "loaded": r.loaded,
                "model": self.assistant.model_id(),
                "model_note": self.note,
            }),
        )
    }

    /// Answers `question` from the knowledge base and the read-only tools
    /// (quotes through the market; the portfolio when `ledger` and `prices`
    /// are given), with citations, the tools it ran and the guardrails'
    /// verdicts.
    #[pyo3(signature = (question, ledger=None, prices=None, profile=None, as_of=None, user=None))]
    #[allow(clippy::too_many_arguments)]
    fn ask<'py>(
        &self,
        py: Python<'py>,
        question: String,
        ledger: Option<&Ledger>,
        prices: Option<&PriceTable>,
        profile: Option<&Bound<'py, PyAny>>,
        as_of: Option<&str>,
        user: Option<String>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let as_of = raise(py, date_arg("as_of", as_of))?;
        let profile: Option<RiskProfile> = match profile.filter(|p| !p.is_none()) {
            Some(p) => Some(raise(py, from_py(p, "profile"))?),
            None => None,
        };
        let context = match (ledger, prices) {
            (Some(l), Some(p)) => Some(PortfolioContext {
                portfolio: (*l.inner).clone(),
                prices: (*p.frame).clone(),
                risk_profile: profile,
                prices_source: "python".to_owned(),
            }),
            (None, None) => None,
            _ => {
                return Err(Failure::argument(
                    "prices",
                    "a portfolio needs its prices (pass both or neither)",
                )
                .into());
            }
        };
        let (assistant, market) = (Arc::clone(&self.assistant), self.market.clone());
        let handle = self.runtime.handle().clone();
        let user = user.unwrap_or_else(|| "python".to_owned());
        let answer = interruptible(py, move || {
            let tools = ToolContext {
                market: market.as_deref(),
                news: None,
                portfolio: context.as_ref(),
                kb: assistant.kb(),
                as_of,
            };
            Ok(handle.block_on(assistant.ask(&user, &question, &tools))?)
        })?;
        to_py(py, &answer)
    }
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<AssistantCore>()?;
    Ok(())
}
