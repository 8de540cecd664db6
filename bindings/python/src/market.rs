//! `auravest.market`: quotes and history through the SDK's fallback chain.

use std::collections::HashMap;
use std::sync::Arc;

use auravest_core::{NaiveDate, Symbol};
use auravest_market::{
    Attempt, Chain, HistoryRequest, HttpConfig, Interval, Market, Quote, SourceSpec,
};
use pyo3::prelude::*;
use serde_json::{Value, json};

use crate::convert::to_py;
use crate::errors::{Failure, Outcome, raise};
use crate::frame::{PriceTable, days};
use crate::portfolio::date_arg;
use crate::run::interruptible;

fn attempts(list: &[Attempt]) -> Value {
    list.iter()
        .map(|a| json!({"source": a.source, "error": a.error.to_string()}))
        .collect()
}

fn quote_json(q: &Quote) -> Value {
    json!({
        "symbol": q.symbol,
        "price": q.price,
        "currency": q.currency,
        "market_time": q.market_time.to_rfc3339(),
        "fetched_at": q.fetched_at.to_rfc3339(),
        "source": q.source,
        "delayed": q.delayed,
        "stale": q.stale,
        "attempts": attempts(&q.attempts),
    })
}

fn symbol(text: &str) -> Outcome<Symbol> {
    text.parse::<Symbol>().map_err(Failure::from)
}

fn required_date(field: &'static str, text: &str) -> Outcome<NaiveDate> {
    date_arg(field, Some(text))?.ok_or_else(|| Failure::argument(field, "a date is required"))
}

/// Market data through a chain of sources with circuit breakers, quotas
/// and fallbacks, on a runtime of its own.
#[pyclass(module = "auravest._native", name = "MarketClient", frozen)]
pub(crate) struct MarketClient {
    pub(crate) market: Arc<Market>,
    pub(crate) runtime: Arc<tokio::runtime::Runtime>,
    sources: String,
}

impl MarketClient {
    fn run<T, F>(
        &self,
        py: Python<'_>,
        fut: impl FnOnce(Arc<Market>) -> F + Send + 'static,
    ) -> PyResult<T>
    where
        T: Send + 'static,
        F: Future<Output = Outcome<T>> + Send + 'static,
    {
        let (market, handle) = (Arc::clone(&self.market), self.runtime.handle().clone());
        interruptible(py, move || handle.block_on(fut(market)))
    }
}

#[pymethods]
impl MarketClient {
    /// A client over a source list (`network`, `yahoo`, `alphavantage`,
    /// `stooq`, `file:DIR`, comma-separated; `network` when None). HTTP
    /// settings come from the `AURAVEST_*` environment variables, overridden
    /// by `settings` (same names).
    #[new]
    #[pyo3(signature = (sources=None, settings=None))]
    fn new(
        py: Python<'_>,
        sources: Option<String>,
        settings: Option<HashMap<String, String>>,
    ) -> PyResult<Self> {
        let settings = settings.unwrap_or_default();
        let config =
            HttpConfig::from_lookup(|k| settings.get(k).cloned().or_else(|| std::env::var(k).ok()));
        let config = raise(py, config.map_err(Failure::from))?;
        let specs = match sources.as_deref() {
            Some(text) => raise(
                py,
                SourceSpec::parse_list("sources", text).map_err(Failure::from),
            )?,
            None => vec![SourceSpec::Network],
        };
        let list = raise(
            py,
            SourceSpec::build_all(&specs, &config, None).map_err(Failure::from),
        )?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("auravest-market")
            .enable_all()
            .build()
            .map_err(|e| {
                PyErr::from(Failure::new(
                    "AuraVestError",
                    "runtime",
                    format!("cannot start the async runtime: {e}"),
                ))
            })?;
        Ok(Self {
            market: Arc::new(Market::new(Arc::new(Chain::new(list)))),
            runtime: Arc::new(runtime),
            sources: sources.unwrap_or_else(|| "network".to_owned()),
        })
    }

    /// The latest (delayed) quote of `symbol`.
    fn quote<'py>(&self, py: Python<'py>, symbol: &str) -> PyResult<Bound<'py, PyAny>> {
        let s = raise(py, self::symbol(symbol))?;
        let q = self.run(py, move |m| async move { Ok(m.quote(&s).await?) })?;
        to_py(py, &quote_json(&q))
    }

    /// Quotes of several symbols: for each, the quote or the error's text.
    fn quotes<'py>(&self, py: Python<'py>, symbols: Vec<String>) -> PyResult<Bound<'py, PyAny>> {
        let syms = raise(
            py,
            symbols
                .into_iter()
                .map(|s| symbol(&s))
                .collect::<Outcome<Vec<_>>>(),
        )?;
        let out = self.run(py, move |m| async move {
            let answers = m.quotes(&syms).await;
            Ok(syms
                .iter()
                .zip(answers)
                .map(|(s, a)| match a {
                    Ok(q) => json!({"symbol": s, "quote": quote_json(&q)}),
                    Err(e) => json!({"symbol": s, "error": e.to_string()}),
                })
                .collect::<Vec<_>>())
        })?;
        to_py(py, &out)
    }

    /// Validated daily (or weekly, monthly) bars of `symbol` from `start` to
    /// `end`, with what validation dropped or flagged.
    #[pyo3(signature = (symbol, start, end, interval=None))]
    fn history<'py>(
        &self,
        py: Python<'py>,
        symbol: &str,
        start: &str,
        end: &str,
        interval: Option<&str>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let s = raise(py, self::symbol(symbol))?;
        let (from, to) = (
            raise(py, required_date("start", start))?,
            raise(py, required_date("end", end))?,
        );
        let interval = match interval {
            Some(i) => raise(py, i.parse::<Interval>().map_err(Failure::from))?,
            None => Interval::default(),
        };
        let request = raise(
            py,
            HistoryRequest::new(s, from, to, interval).map_err(Failure::from),
        )?;
        let h = self.run(py, move |m| async move { Ok(m.history(&request).await?) })?;
        let column = |f: &dyn Fn(&auravest_market::Bar) -> Value| -> Value {
            h.bars.iter().map(f).collect()
        };
        let out = json!({
            "symbol": h.symbol,
            "source": h.source,
            "currency": h.currency,
            "delayed": h.delayed,
            "stale": h.stale,
            "fetched_at": h.fetched_at.to_rfc3339(),
            "date": column(&|b| json!(days(b.date))),
            "open": column(&|b| json!(b.open)),
            "high": column(&|b| json!(b.high)),
            "low": column(&|b| json!(b.low)),
            "close": column(&|b| json!(b.close)),
            "adj_close": column(&|b| json!(b.adj_close)),
            "volume": column(&|b| json!(b.volume)),
            "dropped": h.dropped.iter().map(|d| json!({"date": d.date.map(|x| x.to_string()), "reason": d.reason.to_string()})).collect::<Vec<_>>(),
            "flagged": h.flagged.iter().map(|f| json!({"date": f.date.to_string(), "reason": f.reason.to_string()})).collect::<Vec<_>>(),
            "splits": h.splits.iter().map(|s| json!({"date": s.date.to_string(), "numerator": s.numerator, "denominator": s.denominator})).collect::<Vec<_>>(),
            "dividends": h.dividends.iter().map(|d| json!({"date": d.date.to_string(), "amount": d.amount})).collect::<Vec<_>>(),
            "attempts": attempts(&h.attempts),
        });
        to_py(py, &out)
    }

    /// Daily closes of several symbols from `start` to `end`, aligned on
    /// their dates (outer join), all or nothing.
    #[pyo3(signature = (symbols, start, end, adjusted=true))]
    fn prices(
        &self,
        py: Python<'_>,
        symbols: Vec<String>,
        start: &str,
        end: &str,
        adjusted: bool,
    ) -> PyResult<PriceTable> {
        let syms = raise(
            py,
            symbols
                .into_iter()
                .map(|s| symbol(&s))
                .collect::<Outcome<Vec<_>>>(),
        )?;
        let (from, to) = (
            raise(py, required_date("start", start))?,
            raise(py, required_date("end", end))?,
        );
        let frame = self.run(py, move |m| async move {
            let aligned = m.aligned_prices(&syms, from, to, adjusted).await?;
            Ok(aligned.to_price_frame()?)
        })?;
        Ok(PriceTable {
            frame: Arc::new(frame),
        })
    }

    fn __repr__(&self) -> String {
        format!("MarketClient(sources={:?})", self.sources)
    }
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<MarketClient>()?;
    Ok(())
}
