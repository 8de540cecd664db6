//! `auravest`: the AuraVest SDK from the command line.
//!
//! Every command is a thin shell over SDK calls: it reads its inputs, calls the
//! SDK, and prints a table for people or JSON (`--format json`) for scripts.
//!
//! Exit codes: 0 success; 1 invalid input (one `FILE:LINE: field: reason` line
//! per problem on stderr); 2 usage; 3 data unavailable.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod commands;
mod error;
mod input;
mod svg;
mod table;

use error::CliError;

/// AuraVest: risk profiling, portfolio tracking and performance statistics.
#[derive(Debug, Parser)]
#[command(name = "auravest", version, about, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Risk questionnaire and scoring.
    #[command(subcommand)]
    Risk(commands::risk::RiskCommand),
    /// Portfolios built from a transactions file.
    #[command(subcommand)]
    Portfolio(commands::portfolio::PortfolioCommand),
    /// Performance statistics of a price or value series.
    Stats(commands::stats::StatsArgs),
    /// Behavioural nudges with evidence, goals, badges and a learning checklist.
    Analyze(commands::analyze::AnalyzeArgs),
    /// Optimise portfolio weights from a prices file.
    Optimize(commands::optimize::OptimizeArgs),
    /// The efficient frontier as data (and optionally an SVG chart).
    Frontier(commands::optimize::FrontierArgs),
    /// Whole shares for a cash amount (or a rebalance) from target weights.
    Allocate(commands::optimize_more::AllocateArgs),
    /// The recommended allocation for a risk profile, within the nudges' limits.
    Recommend(commands::recommend::RecommendArgs),
    /// Delayed quotes (Yahoo, Alpha Vantage, Stooq or files).
    Quote(commands::market::QuoteArgs),
    /// Validated daily history of one symbol.
    History(commands::market::HistoryArgs),
    /// Fundamentals and instrument metadata of one symbol.
    Fundamentals(commands::market::FundamentalsArgs),
    /// Find symbols by name.
    Search(commands::market::SearchArgs),
    /// Fetch closes of several symbols into a prices CSV.
    Prices(commands::market::PricesArgs),
    /// Ask the assistant a question (grounded in the knowledge base and data tools).
    Ask(commands::ai::AskArgs),
    /// Run the assistant's offline evaluation.
    Eval(commands::ai::EvalArgs),
    /// The assistant's knowledge base.
    #[command(subcommand)]
    Kb(commands::ai::KbCommand),
}

/// Output format shared by every command.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub(crate) enum Format {
    /// Aligned text for people.
    #[default]
    Table,
    /// JSON for scripts.
    Json,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Risk(cmd) => commands::risk::run(cmd),
        Command::Portfolio(cmd) => commands::portfolio::run(cmd),
        Command::Stats(args) => commands::stats::run(&args),
        Command::Analyze(args) => commands::analyze::run(&args),
        Command::Optimize(args) => commands::optimize::run_optimize(&args),
        Command::Frontier(args) => commands::optimize::run_frontier(&args),
        Command::Allocate(args) => commands::optimize_more::run_allocate(&args),
        Command::Recommend(args) => commands::recommend::run(&args),
        Command::Quote(args) => commands::market::run_quote(&args),
        Command::History(args) => commands::market::run_history(&args),
        Command::Fundamentals(args) => commands::market::run_fundamentals(&args),
        Command::Search(args) => commands::market::run_search(&args),
        Command::Prices(args) => commands::market::run_prices(&args),
        Command::Ask(args) => commands::ai::run_ask(&args),
        Command::Eval(args) => commands::ai::run_eval(&args),
        Command::Kb(cmd) => commands::ai::run_kb(&cmd),
    };
    match result {
        Ok(out) => {
            print!("{out}");
            ExitCode::SUCCESS
        }
        Err(e) => e.report(),
    }
}

pub(crate) fn print_json(value: &impl serde::Serialize) -> Result<String, CliError> {
    let mut s =
        serde_json::to_string_pretty(value).map_err(|e| CliError::Internal(e.to_string()))?;
    s.push('\n');
    Ok(s)
}
