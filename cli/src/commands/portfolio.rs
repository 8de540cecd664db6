//! `auravest portfolio`: a portfolio from a transactions file, valued at prices.

use std::path::{Path, PathBuf};

use auravest_core::{Currency, NaiveDate, PerformanceOptions, Portfolio, PriceFrame, io};
use clap::{Args, Subcommand};

use crate::error::CliError;
use crate::table::{pct, render};
use crate::{Format, input, print_json};

#[derive(Debug, Subcommand)]
pub(crate) enum PortfolioCommand {
    /// Value a portfolio: positions, cash, weights, P&L.
    Show(ShowArgs),
    /// Returns over a period: time- and money-weighted, daily values and statistics.
    Performance(PerformanceArgs),
}

#[derive(Debug, Args)]
pub(crate) struct PerformanceArgs {
    /// Transactions CSV (`date,type,symbol,quantity,price,fee,currency`), or a `.json` array.
    #[arg(long, value_name = "FILE.csv")]
    transactions: PathBuf,
    /// Prices CSV (`date,<SYMBOL>,...`); FX rates come from `XXXUSD=X` columns.
    #[arg(long, value_name = "FILE.csv")]
    prices: PathBuf,
    /// First day of the period; defaults to the first transaction's date.
    #[arg(long, value_name = "YYYY-MM-DD")]
    from: Option<NaiveDate>,
    /// Last day of the period; defaults to the last price date.
    #[arg(long, value_name = "YYYY-MM-DD")]
    to: Option<NaiveDate>,
    /// A column of the prices file to compare against (beta, alpha).
    #[arg(long, value_name = "COLUMN")]
    benchmark: Option<String>,
    /// Annual risk-free rate as a fraction, applied daily as R/252.
    #[arg(
        long,
        value_name = "R",
        default_value_t = 0.0,
        allow_negative_numbers = true
    )]
    risk_free_rate: f64,
    /// Reporting currency.
    #[arg(long, value_name = "CODE", default_value = "USD")]
    base_currency: String,
    /// Import the valid rows, list the invalid ones on stderr, and go on.
    #[arg(long)]
    skip_invalid: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    format: Format,
}

#[derive(Debug, Args)]
pub(crate) struct ShowArgs {
    /// Transactions CSV (`date,type,symbol,quantity,price,fee,currency`), or a `.json` array.
    #[arg(long, value_name = "FILE.csv")]
    transactions: PathBuf,
    /// Prices CSV (`date,<SYMBOL>,...`); FX rates come from `XXXUSD=X` columns.
    #[arg(long, value_name = "FILE.csv")]
    prices: Option<PathBuf>,
    /// Valuation date; defaults to the last price date.
    #[arg(long, value_name = "YYYY-MM-DD")]
    as_of: Option<NaiveDate>,
    /// Reporting currency.
    #[arg(long, value_name = "CODE", default_value = "USD")]
    base_currency: String,
    /// Import the valid rows, list the invalid ones on stderr, and go on.
    #[arg(long)]
    skip_invalid: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    format: Format,
}

pub(crate) fn run(cmd: PortfolioCommand) -> Result<String, CliError> {
    match cmd {
        PortfolioCommand::Show(a) => show(&a),
        PortfolioCommand::Performance(a) => performance(&a),
    }
}

/// Loads a transactions file into a portfolio, reporting skipped rows on stderr.
pub(crate) fn load(path: &Path, base: Currency, skip_invalid: bool) -> Result<Portfolio, CliError> {
    let file = path.display().to_string();
    let bytes = input::read(path)?;
    let is_json = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("json"));
    let rows = if is_json {
        io::read_transactions_json(bytes.as_slice())
    } else {
        io::read_transactions_csv(bytes.as_slice())
    }
    .map_err(|e| CliError::from_core(&file, e))?;
    let mut portfolio = Portfolio::new(base, chrono::Utc::now().date_naive());
    let report = portfolio
        .import(rows, skip_invalid)
        .map_err(|e| CliError::from_core(&file, e))?;
    for r in &report.skipped {
        eprintln!("{file}:{}: {}: {} (skipped)", r.line, r.field, r.reason);
    }
    Ok(portfolio)
}

fn show(args: &ShowArgs) -> Result<String, CliError> {
    let base = Currency::new(&args.base_currency)
        .map_err(|e| CliError::invalid(format!("--base-currency: {e}")))?;
    let portfolio = load(&args.transactions, base, args.skip_invalid)?;
    let prices = match &args.prices {
        Some(p) => input::prices(p)?,
        None => PriceFrame::new(Vec::new(), Vec::new())
            .map_err(|e| CliError::Internal(e.to_string()))?,
    };
    let as_of = args
        .as_of
        .or_else(|| prices.dates().last().copied())
        .unwrap_or_else(|| chrono::Utc::now().date_naive());
    let source = args.prices.as_ref().map_or_else(
        || "(no prices file)".to_owned(),
        |p| p.display().to_string(),
    );
    let valuation = portfolio
        .valuation(&prices, as_of)
        .map_err(|e| CliError::from_core(&source, e))?;
    // Before the first transaction nothing was held: say so rather than
    // print an empty table worth 0.00.
    let first = portfolio.transactions().first().map(|t| t.date);
    let note = first.filter(|f| as_of < *f).map(|f| {
        format!("note: {as_of} is before the first transaction ({f}): nothing was held yet")
    });
    if args.format == Format::Json {
        if let Some(n) = &note {
            eprintln!("{n}");
        }
        return print_json(&valuation.money_rounded());
    }
    let money = |d: auravest_core::Decimal| format!("{:.2}", d.round_dp(2));
    let rows: Vec<Vec<String>> = valuation
        .positions
        .iter()
        .map(|p| {
            vec![
                p.symbol.to_string(),
                p.quantity.to_string(),
                money(p.avg_cost),
                p.price.to_string(),
                money(p.value),
                pct(p.weight),
                money(p.unrealized_pnl),
                money(p.realized_pnl),
            ]
        })
        .collect();
    let mut out = format!(
        "Portfolio as of {} ({})\n\n",
        valuation.as_of, valuation.base_currency
    );
    out.push_str(&render(
        &[
            "symbol",
            "quantity",
            "avg cost",
            "price",
            "value",
            "weight",
            "unrealized",
            "realized",
        ],
        &rows,
    ));
    out.push_str(&format!(
        "\ncash   {}\nvalue  {}\n",
        money(valuation.cash),
        money(valuation.value)
    ));
    if let Some(n) = note {
        out.push_str(&format!("\n{n}\n"));
    }
    Ok(out)
}

fn performance(args: &PerformanceArgs) -> Result<String, CliError> {
    let base = Currency::new(&args.base_currency)
        .map_err(|e| CliError::invalid(format!("--base-currency: {e}")))?;
    let portfolio = load(&args.transactions, base, args.skip_invalid)?;
    let prices = input::prices(&args.prices)?;
    let file = args.prices.display().to_string();
    if portfolio.transactions().is_empty() {
        return Err(CliError::invalid(format!(
            "{}: the file holds no transactions",
            args.transactions.display()
        )));
    }
    let benchmark = match &args.benchmark {
        Some(name) => Some(input::pick_column(
            &prices,
            Some(name),
            &args.prices,
            "--benchmark",
        )?),
        None => None,
    };
    let report = portfolio
        .performance(
            &prices,
            PerformanceOptions {
                start: args.from,
                end: args.to,
                risk_free_rate: args.risk_free_rate,
                benchmark: benchmark.as_deref(),
            },
        )
        .map_err(|e| CliError::from_core(&file, e))?;
    let (series, stats) = (&report.series, &report.stats);
    let (twr, mwr) = (report.time_weighted_return, report.money_weighted_return);
    if args.format == Format::Json {
        let values: Vec<_> = series
            .points
            .iter()
            .map(|p| serde_json::json!({"date": p.date, "value": p.value, "inflow": p.inflow, "outflow": p.outflow}))
            .collect();
        return print_json(&serde_json::json!({
            "from": series.points.first().map(|p| p.date),
            "to": series.points.last().map(|p| p.date),
            "base_currency": base,
            "twr": twr,
            "mwr": mwr,
            "stats": stats,
            "values": values,
        }));
    }
    let first = &series.points[0];
    let last = &series.points[series.points.len() - 1];
    let rows = vec![
        vec![
            "period".to_owned(),
            format!("{} .. {}", first.date, last.date),
        ],
        vec![
            "start value".to_owned(),
            format!("{:.2}", first.value.round_dp(2)),
        ],
        vec![
            "end value".to_owned(),
            format!("{:.2}", last.value.round_dp(2)),
        ],
        vec!["time-weighted return".to_owned(), pct(twr)],
        vec!["money-weighted return (annual)".to_owned(), pct(mwr)],
        vec!["volatility".to_owned(), pct(stats.volatility)],
        vec!["max drawdown".to_owned(), pct(stats.max_drawdown)],
    ];
    let mut rows = rows;
    if let Some(b) = &report.benchmark {
        let name = &b.name;
        rows.push(vec![format!("benchmark {name}"), pct(b.total_return)]);
        rows.push(vec![
            format!("beta vs {name}"),
            stats
                .beta
                .map_or_else(|| "n/a".to_owned(), |x| format!("{x:.2}")),
        ]);
        rows.push(vec![
            "alpha (annual)".to_owned(),
            stats.alpha.map_or_else(|| "n/a".to_owned(), pct),
        ]);
    }
    let mut out = render(&["performance", base.as_str()], &rows);
    out.push_str("Based on past prices.\n");
    Ok(out)
}
