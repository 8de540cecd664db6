//! `auravest.portfolio`: the ledger, positions with FIFO lots, valuation
//! and performance.

use std::sync::Arc;

use auravest_core::{
    Currency, NaiveDate, PerformanceOptions, Portfolio, Transaction, TransactionRecord, io,
    parse_date,
};
use pyo3::prelude::*;
use pyo3::types::PyList;
use serde_json::json;

use crate::convert::{from_py, to_py};
use crate::errors::{Failure, Outcome, raise};
use crate::frame::{PriceTable, days};
use crate::run::{detached, interruptible};

/// A date argument (ISO text) read by the SDK's own parser.
pub(crate) fn date_arg(field: &'static str, text: Option<&str>) -> Outcome<Option<NaiveDate>> {
    text.map(|t| parse_date(field, t))
        .transpose()
        .map_err(Failure::from)
}

/// A transaction from its record form, every problem reported.
fn transaction(record: &TransactionRecord) -> Outcome<Transaction> {
    record.validate().map_err(|errors| {
        let rows: Vec<_> = errors
            .iter()
            .map(|e| auravest_core::RowError {
                line: 1,
                field: e.field().unwrap_or("row").to_owned(),
                reason: e.reason(),
            })
            .collect();
        Failure::from(auravest_core::Error::Import { errors: rows }).line(None)
    })
}

/// Records checked one by one, numbered from 1 as their lines.
fn record_rows(records: &[TransactionRecord]) -> Vec<io::ParsedRow> {
    records
        .iter()
        .enumerate()
        .map(|(i, r)| (i + 1, r.validate()))
        .collect()
}

/// A portfolio: a validated transaction log with its holdings.
#[pyclass(module = "auravest._native", name = "Ledger")]
#[derive(Clone)]
pub(crate) struct Ledger {
    pub(crate) inner: Arc<Portfolio>,
}

impl Ledger {
    fn change(&mut self, f: impl FnOnce(&mut Portfolio) -> Outcome<()>) -> Outcome<()> {
        // Changes apply to a copy, kept only when the SDK accepts them.
        let mut next = (*self.inner).clone();
        f(&mut next)?;
        self.inner = Arc::new(next);
        Ok(())
    }
}

impl Ledger {
    /// Imports parsed rows (all or nothing unless `skip_invalid`) and
    /// returns the skipped ones as `(line, field, reason)`.
    fn import(
        &mut self,
        py: Python<'_>,
        rows: Vec<io::ParsedRow>,
        skip_invalid: bool,
    ) -> PyResult<Vec<(usize, String, String)>> {
        let mut report = None;
        let out = self.change(|p| {
            report = Some(p.import(rows, skip_invalid)?);
            Ok(())
        });
        raise(py, out)?;
        Ok(report
            .map(|r| {
                r.skipped
                    .into_iter()
                    .map(|e| (e.line, e.field, e.reason))
                    .collect()
            })
            .unwrap_or_default())
    }
}

#[pymethods]
impl Ledger {
    /// An empty portfolio reporting in `base_currency` (the SDK's default
    /// when None) that refuses transactions dated after `today`.
    #[new]
    #[pyo3(signature = (today, base_currency=None))]
    fn new(py: Python<'_>, today: &str, base_currency: Option<&str>) -> PyResult<Self> {
        let today = raise(py, date_arg("today", Some(today)))?.unwrap_or_default();
        let currency = match base_currency {
            Some(c) => raise(py, c.parse::<Currency>().map_err(Failure::from))?,
            None => Currency::default(),
        };
        Ok(Self {
            inner: Arc::new(Portfolio::new(currency, today)),
        })
    }

    /// Imports a transactions CSV (`date,type,symbol,quantity,price,fee,currency`)
    /// or a JSON array of records; all or nothing unless `skip_invalid`.
    /// Returns the skipped rows as `(line, field, reason)`.
    #[pyo3(signature = (text, format, skip_invalid=false))]
    fn import_text(
        &mut self,
        py: Python<'_>,
        text: &str,
        format: &str,
        skip_invalid: bool,
    ) -> PyResult<Vec<(usize, String, String)>> {
        let bytes = text.as_bytes();
        let rows = match format {
            "csv" => io::read_transactions_csv(bytes),
            "json" => io::read_transactions_json(bytes),
            other => {
                return Err(Failure::argument(
                    "format",
                    format!("expected csv or json, got {other:?}"),
                )
                .into());
            }
        };
        let rows = raise(py, rows.map_err(Failure::from))?;
        self.import(py, rows, skip_invalid)
    }

    /// Imports records (dicts with `date`, `type`, `symbol`, `quantity`,
    /// `price`, `fee`, `currency`); lines count records from 1.
    #[pyo3(signature = (records, skip_invalid=false))]
    fn import_records(
        &mut self,
        py: Python<'_>,
        records: &Bound<'_, PyAny>,
        skip_invalid: bool,
    ) -> PyResult<Vec<(usize, String, String)>> {
        let records: Vec<TransactionRecord> = raise(py, from_py(records, "records"))?;
        let rows = record_rows(&records);
        self.import(py, rows, skip_invalid)
    }

    /// Adds one transaction (a record dict), checked against the whole log.
    fn insert(&mut self, py: Python<'_>, record: &Bound<'_, PyAny>) -> PyResult<()> {
        let record: TransactionRecord = raise(py, from_py(record, "transaction"))?;
        let tx = raise(py, transaction(&record))?;
        raise(py, self.change(|p| Ok(p.insert(tx)?)))
    }

    /// Removes the transaction at `index` (log order) and returns its record.
    fn remove<'py>(&mut self, py: Python<'py>, index: usize) -> PyResult<Bound<'py, PyAny>> {
        let mut removed = None;
        raise(
            py,
            self.change(|p| {
                removed = Some(p.remove(index)?);
                Ok(())
            }),
        )?;
        to_py(py, &removed.map(|t| t.to_record()))
    }

    /// Replaces the transaction at `index` and returns the old record.
    fn replace<'py>(
        &mut self,
        py: Python<'py>,
        index: usize,
        record: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let record: TransactionRecord = raise(py, from_py(record, "transaction"))?;
        let tx = raise(py, transaction(&record))?;
        let mut old = None;
        raise(
            py,
            self.change(|p| {
                old = Some(p.replace(index, tx)?);
                Ok(())
            }),
        )?;
        to_py(py, &old.map(|t| t.to_record()))
    }

    /// The reporting currency.
    #[getter]
    fn base_currency(&self) -> String {
        self.inner.base_currency().to_string()
    }

    /// The date after which transactions are refused.
    #[getter]
    fn today(&self) -> String {
        self.inner.today().to_string()
    }

    /// Number of transactions.
    fn __len__(&self) -> usize {
        self.inner.transactions().len()
    }

    /// The log as records, in date order.
    fn records<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let records: Vec<_> = self
            .inner
            .transactions()
            .iter()
            .map(Transaction::to_record)
            .collect();
        to_py(py, &records)
    }

    /// Positions (open ones unless `include_closed`), with their FIFO lots.
    #[pyo3(signature = (include_closed=false))]
    fn positions<'py>(
        &self,
        py: Python<'py>,
        include_closed: bool,
    ) -> PyResult<Bound<'py, PyList>> {
        let out = PyList::empty(py);
        for p in self.inner.holdings().positions() {
            if !include_closed && !p.is_open() {
                continue;
            }
            let lots: Vec<_> = p.lots().collect();
            let entry = json!({
                "symbol": p.symbol(),
                "currency": p.currency(),
                "quantity": p.quantity(),
                "cost_basis": p.cost_basis(),
                "avg_cost": p.avg_cost(),
                "realized_pnl": p.realized_pnl(),
                "dividends": p.dividends(),
                "lots": lots,
            });
            out.append(to_py(py, &entry)?)?;
        }
        Ok(out)
    }

    /// Cash by currency.
    fn cash<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let cash: Vec<_> = self.inner.holdings().cash().collect();
        to_py(py, &cash)
    }

    /// External cash flows (deposits, withdrawals, implicit funding).
    fn flows<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, self.inner.holdings().flows())
    }

    /// Values the portfolio at the end of `as_of` (ISO date; the latest
    /// prices when None).
    #[pyo3(signature = (prices, as_of=None))]
    fn valuation<'py>(
        &self,
        py: Python<'py>,
        prices: &PriceTable,
        as_of: Option<&str>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let as_of = raise(py, date_arg("as_of", as_of))?;
        let (ledger, frame) = (Arc::clone(&self.inner), Arc::clone(&prices.frame));
        let v = detached(py, move || {
            Ok(match as_of {
                Some(d) => ledger.valuation(&frame, d)?,
                None => ledger.valuation_latest(&frame)?,
            })
        })?;
        to_py(py, &v)
    }

    /// Performance over a period: TWR, MWR, statistics, the benchmark and
    /// the daily values. Returns `(report, dates, values, inflows, outflows)`
    /// where the series are day numbers and decimal strings.
    #[pyo3(signature = (prices, start=None, end=None, benchmark=None, risk_free_rate=None))]
    #[allow(clippy::too_many_arguments, clippy::type_complexity)]
    fn performance<'py>(
        &self,
        py: Python<'py>,
        prices: &PriceTable,
        start: Option<&str>,
        end: Option<&str>,
        benchmark: Option<String>,
        risk_free_rate: Option<f64>,
    ) -> PyResult<(
        Bound<'py, PyAny>,
        Vec<i32>,
        Vec<String>,
        Vec<String>,
        Vec<String>,
    )> {
        let start = raise(py, date_arg("start", start))?;
        let end = raise(py, date_arg("end", end))?;
        let (ledger, frame) = (Arc::clone(&self.inner), Arc::clone(&prices.frame));
        let report = interruptible(py, move || {
            let defaults = PerformanceOptions::default();
            Ok(ledger.performance(
                &frame,
                PerformanceOptions {
                    start,
                    end,
                    risk_free_rate: risk_free_rate.unwrap_or(defaults.risk_free_rate),
                    benchmark: benchmark.as_deref(),
                },
            )?)
        })?;
        let points = &report.series.points;
        let dates = points.iter().map(|p| days(p.date)).collect();
        let values = points.iter().map(|p| p.value.to_string()).collect();
        let inflows = points.iter().map(|p| p.inflow.to_string()).collect();
        let outflows = points.iter().map(|p| p.outflow.to_string()).collect();
        let summary = json!({
            "start": report.start,
            "end": report.end,
            "base_currency": report.base_currency,
            "time_weighted_return": report.time_weighted_return,
            "money_weighted_return": report.money_weighted_return,
            "stats": report.stats,
            "benchmark": report.benchmark,
            "basis": report.basis,
        });
        Ok((to_py(py, &summary)?, dates, values, inflows, outflows))
    }

    /// Pickles as its base currency, today and records.
    fn __getstate__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let records: Vec<_> = self
            .inner
            .transactions()
            .iter()
            .map(Transaction::to_record)
            .collect();
        to_py(
            py,
            &json!({
                "base_currency": self.inner.base_currency(),
                "today": self.inner.today(),
                "records": records,
            }),
        )
    }

    fn __setstate__(&mut self, py: Python<'_>, state: &Bound<'_, PyAny>) -> PyResult<()> {
        #[derive(serde::Deserialize)]
        struct State {
            base_currency: String,
            today: String,
            records: Vec<TransactionRecord>,
        }
        let state: State = raise(py, from_py(state, "state"))?;
        let mut fresh = Self::new(py, &state.today, Some(&state.base_currency))?;
        let rows = record_rows(&state.records);
        raise(
            py,
            fresh.change(|p| p.import(rows, false).map(|_| ()).map_err(Failure::from)),
        )?;
        *self = fresh;
        Ok(())
    }

    fn __getnewargs__(&self) -> (String, Option<String>) {
        (
            self.inner.today().to_string(),
            Some(self.inner.base_currency().to_string()),
        )
    }
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Ledger>()?;
    Ok(())
}
