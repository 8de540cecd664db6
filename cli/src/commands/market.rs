//! `auravest quote | history | fundamentals | search | prices`: market data
//! from the fallback chain (or one forced source), as tables, JSON or CSV.

use std::io::{IsTerminal as _, Write as _};
use std::path::PathBuf;
use std::sync::Arc;

use auravest_core::{NaiveDate, Symbol};
use auravest_market::{
    Chain, Error as MarketError, FileSource, HistoryRequest, HttpConfig, Interval, Market,
    SourceSpec,
};
use clap::Args;
use serde_json::{Value, json};

use crate::error::CliError;
use crate::table::render;
use crate::{Format, print_json};

/// Where the data comes from: the whole chain, or one forced source.
#[derive(Debug, Args)]
pub(crate) struct SourceArgs {
    /// Sources to use, in order, comma-separated: `network` (all of the
    /// below that are configured), `yahoo`, `alphavantage`, `stooq` or
    /// `file:DIR` (a directory of `<SYMBOL>.csv` files and/or `prices.csv`,
    /// or one prices CSV). Without it: Yahoo, then Alpha Vantage (with
    /// `AURAVEST_ALPHAVANTAGE_API_KEY`), then Stooq.
    #[arg(long, value_name = "SOURCE")]
    source: Option<String>,
}

#[derive(Debug, Args)]
pub(crate) struct QuoteArgs {
    /// Symbols, e.g. AAPL VOD.L.
    #[arg(required = true, value_name = "SYMBOL")]
    symbols: Vec<String>,
    #[command(flatten)]
    source: SourceArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    format: Format,
}

/// Output format of `history`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub(crate) enum HistoryFormat {
    /// CSV with a source column.
    #[default]
    Csv,
    /// JSON with the dropped rows.
    Json,
}

#[derive(Debug, Args)]
pub(crate) struct HistoryArgs {
    /// Symbol.
    #[arg(value_name = "SYMBOL")]
    symbol: String,
    /// First date, inclusive.
    #[arg(long, value_name = "YYYY-MM-DD")]
    from: NaiveDate,
    /// Last date, inclusive.
    #[arg(long, value_name = "YYYY-MM-DD")]
    to: NaiveDate,
    /// Bar size: 1d, 1wk or 1mo.
    #[arg(long, default_value = "1d")]
    interval: String,
    #[command(flatten)]
    source: SourceArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    format: HistoryFormat,
}

#[derive(Debug, Args)]
pub(crate) struct FundamentalsArgs {
    /// Symbol.
    #[arg(value_name = "SYMBOL")]
    symbol: String,
    #[command(flatten)]
    source: SourceArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    format: Format,
}

#[derive(Debug, Args)]
pub(crate) struct SearchArgs {
    /// Name or part of one.
    #[arg(value_name = "TEXT")]
    text: String,
    #[command(flatten)]
    source: SourceArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    format: Format,
}

#[derive(Debug, Args)]
pub(crate) struct PricesArgs {
    /// Symbols (columns of the output).
    #[arg(required = true, value_name = "SYMBOL")]
    symbols: Vec<String>,
    /// First date, inclusive.
    #[arg(long, value_name = "YYYY-MM-DD")]
    from: NaiveDate,
    /// Last date, inclusive.
    #[arg(long, value_name = "YYYY-MM-DD")]
    to: NaiveDate,
    /// Output prices CSV (`date,<SYMBOL>,...`).
    #[arg(long, value_name = "FILE.csv")]
    out: PathBuf,
    /// Adjusted closes (splits and dividends) where the source has them.
    #[arg(long, value_name = "true|false", default_value_t = true, action = clap::ArgAction::Set)]
    adjusted: bool,
    /// Progress bar on standard error: `auto` draws it when standard error is
    /// a terminal and more than one symbol is fetched.
    #[arg(long, value_enum, default_value_t = Progress::Auto)]
    progress: Progress,
    #[command(flatten)]
    source: SourceArgs,
}

/// When `prices` draws its progress bar.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Progress {
    /// On a terminal, for more than one symbol.
    Auto,
    /// Always (for logs and tests).
    Always,
    /// Never.
    Never,
}

pub(crate) fn market_error(e: &MarketError) -> CliError {
    match e {
        MarketError::BadSymbol { .. } | MarketError::InvalidRequest { .. } => {
            CliError::invalid(e.to_string())
        }
        _ => CliError::Unavailable(describe(e)),
    }
}

/// An error for people: a chain that ran out of sources says which sources
/// were tried and why each failed, one line each.
fn describe(e: &MarketError) -> String {
    match e {
        MarketError::Exhausted { attempts } if !attempts.is_empty() => {
            let mut out = format!("no source answered ({} tried):", attempts.len());
            for a in attempts {
                out.push_str(&format!("\n  {}", a.error));
            }
            out
        }
        _ => e.to_string(),
    }
}

fn symbol(s: &str) -> Result<Symbol, CliError> {
    Symbol::new(s).map_err(|e| CliError::invalid(format!("SYMBOL: {s}: {}", e.reason())))
}

fn symbols(list: &[String]) -> Result<Vec<Symbol>, CliError> {
    let mut errors = Vec::new();
    let mut out = Vec::new();
    for s in list {
        match symbol(s) {
            Ok(sym) => out.push(sym),
            Err(CliError::Invalid(lines)) => errors.extend(lines),
            Err(e) => return Err(e),
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(CliError::Invalid(errors))
    }
}

fn market(args: &SourceArgs) -> Result<Market, CliError> {
    market_with_fallback(args, None)
}

/// The market of `args`; without `--source`, `fallback` (a prices file) is
/// added after the network sources so that offline questions still work.
pub(crate) fn market_with_fallback(
    args: &SourceArgs,
    fallback: Option<&std::path::Path>,
) -> Result<Market, CliError> {
    let config = HttpConfig::from_env().map_err(|e| market_error(&e))?;
    let specs = match args.source.as_deref() {
        None => vec![SourceSpec::Network],
        Some(text) => SourceSpec::parse_list("--source", text).map_err(|e| market_error(&e))?,
    };
    let mut sources = SourceSpec::build_all(&specs, &config, None).map_err(|e| market_error(&e))?;
    if let (None, Some(f)) = (args.source.as_deref(), fallback) {
        sources.push(Arc::new(FileSource::new(f)));
    }
    Ok(Market::new(Arc::new(Chain::new(sources))))
}

pub(crate) fn block_on<F: Future>(f: F) -> Result<F::Output, CliError> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::Internal(format!("cannot start the async runtime: {e}")))?;
    Ok(rt.block_on(f))
}

fn opt(x: Option<f64>) -> String {
    x.map_or_else(String::new, |v| v.to_string())
}

pub(crate) fn run_quote(args: &QuoteArgs) -> Result<String, CliError> {
    let syms = symbols(&args.symbols)?;
    let market = market(&args.source)?;
    let answers = block_on(market.quotes(&syms))?;
    let failed = answers.iter().filter(|a| a.is_err()).count();
    let out = if args.format == Format::Json {
        let items: Vec<Value> = syms
            .iter()
            .zip(&answers)
            .map(|(s, a)| match a {
                Ok(q) => json!({
                    "symbol": s,
                    "price": q.price,
                    "currency": q.currency,
                    "as_of": q.market_time.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                    "fetched_at": q.fetched_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                    "source": q.source,
                    "delayed": q.delayed,
                    "stale": q.stale,
                }),
                Err(e) => json!({"symbol": s, "error": e.to_string()}),
            })
            .collect();
        print_json(&items)?
    } else {
        let rows: Vec<Vec<String>> = syms
            .iter()
            .zip(&answers)
            .map(|(s, a)| match a {
                Ok(q) => vec![
                    s.to_string(),
                    q.price.to_string(),
                    q.currency.map(|c| c.to_string()).unwrap_or_default(),
                    q.market_time.format("%Y-%m-%d %H:%M UTC").to_string(),
                    q.source.clone(),
                    if q.stale {
                        "stale"
                    } else if q.delayed {
                        "delayed"
                    } else {
                        ""
                    }
                    .to_owned(),
                ],
                Err(e) => vec![s.to_string(), format!("error: {e}")],
            })
            .collect();
        render(
            &["symbol", "price", "currency", "as of", "source", "flags"],
            &rows,
        )
    };
    if failed > 0 {
        print!("{out}");
        let _ = std::io::stdout().flush();
        return Err(CliError::Unavailable(format!(
            "{failed} of {} symbols failed",
            syms.len()
        )));
    }
    Ok(out)
}

pub(crate) fn run_history(args: &HistoryArgs) -> Result<String, CliError> {
    let sym = symbol(&args.symbol)?;
    let interval: Interval = args
        .interval
        .parse()
        .map_err(|e: MarketError| CliError::invalid(format!("--interval: {e}")))?;
    let req = HistoryRequest::new(sym, args.from, args.to, interval)
        .map_err(|e| CliError::invalid(format!("--from: {e}")))?;
    let market = market(&args.source)?;
    let h = block_on(market.history(&req))?.map_err(|e| market_error(&e))?;
    for f in &h.flagged {
        eprintln!("{}: {}: flagged: {}", h.symbol, f.date, f.reason);
    }
    if args.format == HistoryFormat::Json {
        let rows: Vec<Value> = h
            .bars
            .iter()
            .map(|b| {
                json!({"date": b.date.to_string(), "open": b.open, "high": b.high, "low": b.low,
                       "close": b.close, "adj_close": b.adj_close, "volume": b.volume})
            })
            .collect();
        let dropped: Vec<Value> = h
            .dropped
            .iter()
            .map(|d| json!({"date": d.date.map(|d| d.to_string()), "reason": d.reason}))
            .collect();
        return print_json(&json!({
            "symbol": h.symbol, "source": h.source, "rows": rows, "dropped": dropped,
        }));
    }
    for d in &h.dropped {
        let date = d.date.map_or_else(|| "?".to_owned(), |d| d.to_string());
        eprintln!("{}: {date}: dropped: {}", h.symbol, d.reason);
    }
    let mut out = String::from("date,open,high,low,close,adj_close,volume,source\n");
    for b in &h.bars {
        out.push_str(&format!(
            "{},{},{},{},{},{},{},{}\n",
            b.date,
            opt(b.open),
            opt(b.high),
            opt(b.low),
            b.close,
            opt(b.adj_close),
            b.volume.map(|v| v.to_string()).unwrap_or_default(),
            h.source
        ));
    }
    Ok(out)
}

pub(crate) fn run_fundamentals(args: &FundamentalsArgs) -> Result<String, CliError> {
    let sym = symbol(&args.symbol)?;
    let market = market(&args.source)?;
    let f = block_on(market.fundamentals(&sym))?.map_err(|e| market_error(&e))?;
    let instrument = f.to_instrument();
    let country = f
        .country_name
        .as_deref()
        .and_then(auravest_market::country_code);
    if args.format == Format::Json {
        return print_json(&json!({
            "symbol": sym, "source": f.source, "name": f.name, "quote_type": f.quote_type,
            "trailing_pe": f.trailing_pe, "forward_pe": f.forward_pe, "eps": f.eps,
            "dividend_yield": f.dividend_yield, "market_cap": f.market_cap,
            "sector": f.sector, "industry": f.industry, "country": country,
            "country_name": f.country_name, "currency": f.currency, "instrument": instrument,
        }));
    }
    let s = |x: &Option<String>| x.clone().unwrap_or_else(|| "n/a".to_owned());
    let n = |x: Option<f64>| x.map_or_else(|| "n/a".to_owned(), |v| v.to_string());
    let rows = vec![
        vec!["symbol".to_owned(), sym.to_string()],
        vec!["source".to_owned(), f.source.clone()],
        vec!["name".to_owned(), s(&f.name)],
        vec!["type".to_owned(), s(&f.quote_type)],
        vec!["P/E (trailing)".to_owned(), n(f.trailing_pe)],
        vec!["P/E (forward)".to_owned(), n(f.forward_pe)],
        vec!["EPS".to_owned(), n(f.eps)],
        vec![
            "dividend yield".to_owned(),
            f.dividend_yield
                .map_or_else(|| "n/a".to_owned(), crate::table::pct),
        ],
        vec!["market cap".to_owned(), n(f.market_cap)],
        vec!["sector".to_owned(), s(&f.sector)],
        vec!["industry".to_owned(), s(&f.industry)],
        vec!["country".to_owned(), s(&f.country_name)],
        vec![
            "asset class".to_owned(),
            instrument
                .map(|i| format!("{:?}", i.asset_class).to_lowercase())
                .unwrap_or_else(|| "unclassified".to_owned()),
        ],
    ];
    Ok(render(&["field", "value"], &rows))
}

pub(crate) fn run_search(args: &SearchArgs) -> Result<String, CliError> {
    let market = market(&args.source)?;
    let hits = block_on(market.search(&args.text))?.map_err(|e| market_error(&e))?;
    if args.format == Format::Json {
        let items: Vec<Value> = hits
            .iter()
            .map(|h| {
                json!({"symbol": h.symbol, "name": h.name, "exchange": h.exchange,
                       "quote_type": h.quote_type, "source": h.source})
            })
            .collect();
        return print_json(&items);
    }
    let rows: Vec<Vec<String>> = hits
        .iter()
        .map(|h| {
            vec![
                h.symbol.clone(),
                h.name.clone().unwrap_or_default(),
                h.exchange.clone().unwrap_or_default(),
                h.quote_type.clone().unwrap_or_default(),
            ]
        })
        .collect();
    Ok(render(&["symbol", "name", "exchange", "type"], &rows))
}

/// One frame of the progress bar: `\r[####------] done/total`, with a
/// newline after the last.
pub(crate) fn progress_frame(done: usize, total: usize) -> String {
    const WIDTH: usize = 30;
    // Nothing to do counts as done (and never divides by zero).
    let filled = (WIDTH * done.min(total))
        .checked_div(total)
        .unwrap_or(WIDTH);
    let end = if done >= total { "\n" } else { "" };
    format!(
        "\r[{}{}] {done}/{total}{end}",
        "#".repeat(filled),
        "-".repeat(WIDTH - filled)
    )
}

pub(crate) fn run_prices(args: &PricesArgs) -> Result<String, CliError> {
    let syms = symbols(&args.symbols)?;
    if args.from > args.to {
        return Err(CliError::invalid(format!(
            "--from: {} is after --to {}",
            args.from, args.to
        )));
    }
    let market = market(&args.source)?;
    let show = match args.progress {
        Progress::Always => true,
        Progress::Never => false,
        Progress::Auto => syms.len() > 1 && std::io::stderr().is_terminal(),
    };
    let answers = block_on(market.histories(
        &syms,
        args.from,
        args.to,
        Interval::Daily,
        &|done, total| {
            if show {
                eprint!("{}", progress_frame(done, total));
            }
        },
    ))?;
    let mut histories = Vec::new();
    let mut failures = Vec::new();
    for (s, a) in syms.iter().zip(answers) {
        match a {
            Ok(h) => histories.push(h),
            Err(e) => failures.push(format!("{s}: {}", describe(&e))),
        }
    }
    if !failures.is_empty() {
        return Err(CliError::Unavailable(failures.join("\n")));
    }
    let aligned = auravest_market::AlignedPrices::from_histories(&histories, args.adjusted);
    for s in &aligned.unadjusted {
        eprintln!("{s}: warning: the source has no adjusted closes; unadjusted closes used");
    }
    for h in &histories {
        for d in &h.dropped {
            let date = d.date.map_or_else(|| "?".to_owned(), |d| d.to_string());
            eprintln!("{}: {date}: dropped: {}", h.symbol, d.reason);
        }
    }
    let frame = aligned.to_price_frame().map_err(|e| market_error(&e))?;
    let mut buf = Vec::new();
    frame
        .to_csv(&mut buf)
        .map_err(|e| CliError::Internal(e.to_string()))?;
    std::fs::write(&args.out, buf)
        .map_err(|e| CliError::invalid(format!("{}: cannot write: {e}", args.out.display())))?;
    let rows: Vec<Vec<String>> = histories
        .iter()
        .map(|h| {
            vec![
                h.symbol.to_string(),
                h.source.clone(),
                h.bars.len().to_string(),
                h.bars
                    .first()
                    .map(|b| b.date.to_string())
                    .unwrap_or_default(),
                h.bars
                    .last()
                    .map(|b| b.date.to_string())
                    .unwrap_or_default(),
                h.dropped.len().to_string(),
            ]
        })
        .collect();
    let mut out = render(
        &["symbol", "source", "rows", "first", "last", "dropped"],
        &rows,
    );
    out.push_str(&format!(
        "wrote {} dates x {} symbols to {}\n",
        frame.len(),
        frame.columns().len(),
        args.out.display()
    ));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::progress_frame;

    #[test]
    fn progress_frames_fill_and_end_with_a_newline() {
        assert_eq!(progress_frame(0, 4), format!("\r[{}] 0/4", "-".repeat(30)));
        assert_eq!(
            progress_frame(1, 4),
            format!("\r[{}{}] 1/4", "#".repeat(7), "-".repeat(23))
        );
        assert_eq!(
            progress_frame(4, 4),
            format!("\r[{}] 4/4\n", "#".repeat(30))
        );
        // A zero total never divides by zero.
        assert_eq!(
            progress_frame(0, 0),
            format!("\r[{}] 0/0\n", "#".repeat(30))
        );
    }
}
