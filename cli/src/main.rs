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
