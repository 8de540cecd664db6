//! `auravest allocate`: whole shares for a cash amount, or a rebalance.

use std::collections::BTreeMap;
use std::path::PathBuf;

use auravest_core::Symbol;
use auravest_optimize::Weights;
use auravest_optimize::allocation::{Method, RebalanceOptions, allocate, latest_prices, rebalance};
use clap::{Args, ValueEnum};

use super::optimize::opt_error;
use crate::error::CliError;
use crate::{Format, input, print_json};

/// How to turn weights into whole shares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub(crate) enum AllocMethod {
    /// Largest shortfalls first (PyPortfolioOpt's greedy).
    #[default]
    Greedy,
    /// Integer programme minimising the deviation from the target values.
    Exact,
}

#[derive(Debug, Args)]
pub(crate) struct AllocateArgs {
    /// Prices CSV; the last price of each column is used.
    #[arg(long, value_name = "FILE.csv")]
    prices: PathBuf,
    /// Weights: `auravest optimize` JSON or a bare `{"TICKER": w}`.
    #[arg(long, value_name = "FILE.json")]
    weights: PathBuf,
    /// Cash to invest (added to the value of current holdings).
    // A negative amount reaches the typed check below instead of being
    // read as a flag.
    #[arg(long, value_name = "AMOUNT", allow_negative_numbers = true)]
    cash: f64,
    /// Allocation method.
    #[arg(long, value_enum, default_value_t)]
    method: AllocMethod,
    /// Current holdings `{"TICKER": shares}`, to rebalance from.
    #[arg(long, value_name = "FILE.json")]
    holdings: Option<PathBuf>,
    /// Fee charged on every trade.
    #[arg(long, value_name = "X", default_value_t = 0.0)]
    fee_per_trade: f64,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    format: Format,
}

/// `allocate --format json`: shares as integers, money as decimal strings
/// at cent precision (never a float such as `984.2097040000008`).
#[derive(serde::Serialize)]
struct AllocationJson<'a> {
    shares: &'a BTreeMap<Symbol, i64>,
    trades: &'a BTreeMap<Symbol, i64>,
    fees: String,
    leftover: String,
}

/// An amount of money at cent precision.
fn cents(x: f64) -> String {
    let s = format!("{x:.2}");
    // "-0.00" reads as a debt.
    if s == "-0.00" { "0.00".to_owned() } else { s }
}

fn read_json(path: &std::path::Path) -> Result<serde_json::Value, CliError> {
    let bytes = input::read(path)?;
    serde_json::from_slice(&bytes)
        .map_err(|e| CliError::invalid(format!("{}:{}: {e}", path.display(), e.line())))
}

pub(crate) fn run_allocate(a: &AllocateArgs) -> Result<String, CliError> {
    if !(a.cash.is_finite() && a.cash >= 0.0) {
        return Err(CliError::invalid(format!(
            "--cash: must be a finite amount >= 0, got {}",
            a.cash
        )));
    }
    let frame = input::prices(&a.prices)?;
    let prices = latest_prices(&frame);
    let wfile = a.weights.display().to_string();
    let v = read_json(&a.weights)?;
    let map = v.get("weights").unwrap_or(&v);
    let obj = map.as_object().ok_or_else(|| {
        CliError::invalid(format!(
            "{wfile}: weights: expected an object {{\"TICKER\": weight}}"
        ))
    })?;
    let mut tickers = Vec::new();
    let mut values = Vec::new();
    for (t, w) in obj {
        let w = w
            .as_f64()
            .ok_or_else(|| CliError::invalid(format!("{wfile}: weights.{t}: expected a number")))?;
        let symbol = t
            .parse::<Symbol>()
            .map_err(|e| CliError::invalid(format!("{wfile}: weights.{t}: {e}")))?;
        tickers.push(symbol);
        values.push(w);
    }
    let weights = Weights::new(tickers, values).map_err(|e| opt_error(&wfile, e))?;
    let holdings: BTreeMap<Symbol, i64> = match &a.holdings {
        Some(p) => {
            let h = read_json(p)?;
            let obj = h.as_object().ok_or_else(|| {
                CliError::invalid(format!(
                    "{}: holdings: expected {{\"TICKER\": shares}}",
                    p.display()
                ))
            })?;
            obj.iter()
                .map(|(t, n)| {
                    let symbol = t.parse::<Symbol>().map_err(|e| {
                        CliError::invalid(format!("{}: holdings.{t}: {e}", p.display()))
                    })?;
                    n.as_i64().map(|n| (symbol, n)).ok_or_else(|| {
                        CliError::invalid(format!(
                            "{}: holdings.{t}: expected a whole number of shares",
                            p.display()
                        ))
                    })
                })
                .try_fold(BTreeMap::new(), |mut held, pair| {
                    let (symbol, n): (Symbol, i64) = pair?;
                    if held.insert(symbol.clone(), n).is_some() {
                        return Err(CliError::invalid(format!(
                            "{}: holdings: {symbol} is listed twice",
                            p.display()
                        )));
                    }
                    Ok(held)
                })?
        }
        None => BTreeMap::new(),
    };
    let options = RebalanceOptions {
        method: match a.method {
            AllocMethod::Greedy => Method::Greedy,
            AllocMethod::Exact => Method::Exact,
        },
        fee_per_trade: a.fee_per_trade,
    };
    // A fresh allocation is the method itself (PyPortfolioOpt's figures); a
    // rebalance weighs each trade against its fee.
    let fresh = holdings.values().all(|h| *h == 0) && a.fee_per_trade.abs() < f64::MIN_POSITIVE;
    let result = if fresh {
        allocate(&weights, &prices, a.cash, options.method)
    } else {
        rebalance(&weights, &prices, &holdings, a.cash, &options)
    };
    let alloc = result.map_err(|e| match e {
        auravest_optimize::Error::InvalidParameter { name, reason } => {
            CliError::invalid(format!("--{}: {reason}", name.replace('_', "-")))
        }
        other => opt_error(&wfile, other),
    })?;
    if a.format == Format::Json {
        return print_json(&AllocationJson {
            shares: &alloc.shares,
            trades: &alloc.trades,
            fees: cents(alloc.fees),
            leftover: cents(alloc.leftover),
        });
    }
    let rows: Vec<Vec<String>> = alloc
        .shares
        .iter()
        .map(|(t, n)| {
            vec![
                t.to_string(),
                n.to_string(),
                alloc.trades.get(t).copied().unwrap_or(0).to_string(),
            ]
        })
        .collect();
    let mut out = crate::table::render(&["ticker", "shares", "trade"], &rows);
    out.push_str(&format!(
        "\nfees      {}\nleftover  {}\n",
        cents(alloc.fees),
        cents(alloc.leftover)
    ));
    Ok(out)
}
