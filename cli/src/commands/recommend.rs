//! `auravest recommend`: the recommended allocation for a risk profile, under
//! the same limits as the nudges of `auravest analyze`, and the trades that
//! move a portfolio toward it (`auravest_optimize::recommend` and
//! `rebalance_toward`).

use std::path::PathBuf;

use auravest_core::{Currency, InstrumentTable, Symbol};
use auravest_optimize::allocation::RebalanceOptions;
use auravest_optimize::{
    AdviceOptions, RebalancePlan, Recommendation, rebalance_toward, recommend,
};
use auravest_risk::{RiskCategory, RiskProfile};
use clap::Args;

use crate::commands::analyze::read_json;
use crate::commands::portfolio::load;
use crate::error::CliError;
use crate::table::{pct, render};
use crate::{Format, input, print_json};

#[derive(Debug, Args)]
pub(crate) struct RecommendArgs {
    /// Prices CSV (`date,<SYMBOL>,...`): every column is a candidate; include
    /// a broad fund (SPY, VTI), a bond fund (BND) and an international fund
    /// (VXUS) for a complete recommendation.
    #[arg(long, value_name = "FILE.csv")]
    prices: PathBuf,
    /// A risk profile: the output of `auravest risk score --format json`.
    #[arg(
        long,
        value_name = "FILE.json",
        conflicts_with = "category",
        required_unless_present = "category"
    )]
    risk_profile: Option<PathBuf>,
    /// A risk category instead of a profile.
    #[arg(long, value_name = "CATEGORY")]
    category: Option<RiskCategoryArg>,
    /// Instruments CSV (`symbol,name,asset_class,sector,country,currency`), over the shipped ETF table.
    #[arg(long, value_name = "FILE.csv")]
    instruments: Option<PathBuf>,
    /// Transactions of the portfolio to rebalance toward the recommendation.
    #[arg(long, value_name = "FILE.csv")]
    transactions: Option<PathBuf>,
    /// Settings (`auravest_optimize::AdviceOptions` as JSON, for example
    /// `{"limits": {"concentration": {"single_holding": 0.08}}}`); the same
    /// limits should go to `analyze`.
    #[arg(long, value_name = "FILE.json")]
    options: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    format: Format,
}

/// The five categories, as the command line names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum RiskCategoryArg {
    Conservative,
    ModeratelyConservative,
    Moderate,
    Growth,
    Aggressive,
}

impl From<RiskCategoryArg> for RiskCategory {
    fn from(c: RiskCategoryArg) -> Self {
        match c {
            RiskCategoryArg::Conservative => Self::Conservative,
            RiskCategoryArg::ModeratelyConservative => Self::ModeratelyConservative,
            RiskCategoryArg::Moderate => Self::Moderate,
            RiskCategoryArg::Growth => Self::Growth,
            RiskCategoryArg::Aggressive => Self::Aggressive,
        }
    }
}

#[derive(serde::Serialize)]
struct Output<'a> {
    recommendation: &'a Recommendation,
    rebalancing: Option<&'a RebalancePlan>,
}

pub(crate) fn run(a: &RecommendArgs) -> Result<String, CliError> {
    let prices = input::prices(&a.prices)?;
    let prices_file = a.prices.display().to_string();
    let instruments = match &a.instruments {
        Some(path) => InstrumentTable::shipped()
            .with_mapping_csv(input::read(path)?.as_slice())
            .map_err(|e| CliError::from_core(&path.display().to_string(), e))?,
        None => InstrumentTable::shipped(),
    };
    let category: RiskCategory = match (&a.risk_profile, a.category) {
        (Some(p), _) => {
            let profile: RiskProfile = read_json(
                p,
                "risk_profile",
                "the output of `auravest risk score --format json`",
            )?;
            profile.category
        }
        (None, Some(c)) => c.into(),
        (None, None) => {
            return Err(CliError::invalid(
                "--risk-profile or --category is required".to_owned(),
            ));
        }
    };
    let options: AdviceOptions = match &a.options {
        Some(p) => read_json(p, "options", "AdviceOptions JSON")?,
        None => AdviceOptions::default(),
    };
    let rec = recommend(category, &prices, &instruments, &options).map_err(|e| match e {
        auravest_optimize::Error::InvalidParameter { name, reason } if name != "prices" => {
            CliError::invalid(format!("--options: {name}: {reason}"))
        }
        e => CliError::invalid(format!("{prices_file}: {e}")),
    })?;
    let plan = match &a.transactions {
        Some(path) => {
            let portfolio = load(path, Currency::USD, false)?;
            let as_of = *prices
                .dates()
                .last()
                .ok_or_else(|| CliError::invalid(format!("{prices_file}: no price rows")))?;
            let valuation = portfolio
                .valuation(&prices, as_of)
                .map_err(|e| CliError::from_core(&prices_file, e))?;
            Some(
                rebalance_toward(&rec, &prices, &valuation, &RebalanceOptions::default())
                    .map_err(|e| CliError::invalid(format!("{}: {e}", path.display())))?,
            )
        }
        None => None,
    };
    match a.format {
        Format::Json => print_json(&Output {
            recommendation: &rec,
            rebalancing: plan.as_ref(),
        }),
        Format::Table => Ok(table(&rec, plan.as_ref())),
    }
}

fn table(rec: &Recommendation, plan: Option<&RebalancePlan>) -> String {
    let mut rows: Vec<(&Symbol, &f64)> = rec.weights.iter().collect();
    rows.sort_by(|a, b| b.1.total_cmp(a.1));
    let rows: Vec<Vec<String>> = rows
        .into_iter()
        .map(|(t, w)| vec![t.to_string(), pct(*w)])
        .collect();
    let mut out = format!(
        "Recommended allocation for a {} profile ({})\n\n",
        rec.category.label(),
        rec.allocation
    );
    out.push_str(&render(&["holding", "weight"], &rows));
    out.push_str(&format!(
        "\nExpected return: between {} and {} a year (estimate {}), volatility {}.\n{}\n",
        pct(rec.expected_return_range.0),
        pct(rec.expected_return_range.1),
        pct(rec.performance.expected_return),
        pct(rec.performance.volatility),
        rec.basis
    ));
    for g in &rec.gaps {
        out.push_str(&format!("note: {}\n", g.text));
    }
    for l in &rec.left_out {
        out.push_str(&format!("left out: {}: {}\n", l.ticker, l.reason));
    }
    out.push('\n');
    for r in &rec.reasoning {
        out.push_str(&format!("- {r}\n"));
    }
    if let Some(plan) = plan {
        let trades: Vec<Vec<String>> = plan
            .trades
            .iter()
            .map(|(t, n)| {
                vec![
                    t.to_string(),
                    if *n > 0 { "buy" } else { "sell" }.to_owned(),
                    n.abs().to_string(),
                ]
            })
            .collect();
        out.push_str("\nTrades toward it (whole shares):\n");
        out.push_str(&render(&["holding", "action", "shares"], &trades));
        out.push_str(&format!("cash afterwards  {:.2}\n", plan.target_cash));
    }
    out
}
