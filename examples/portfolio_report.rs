//! A complete report on the sample portfolio: valuation, returns, statistics
//! against SPY, and the risk profile from the sample questionnaire answers.
//!
//! `cargo run -p auravest-examples --example portfolio_report`

use std::fs::File;
use std::path::Path;

use auravest_core::{Currency, PerformanceStats, Portfolio, PriceFrame, StatsOptions, io};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("data");
    let prices = PriceFrame::from_csv(File::open(data.join("prices.csv"))?)?;
    let rows = io::read_transactions_csv(File::open(data.join("transactions.csv"))?)?;
    let (first, last) = (prices.dates()[0], prices.dates()[prices.len() - 1]);
    // The report is as of the last price; a trade after it is refused.
    let mut portfolio = Portfolio::new(Currency::USD, last);
    let report = portfolio.import(rows, false)?;
    println!("imported {} transactions", report.imported);

    let valuation = portfolio.valuation(&prices, last)?;
    println!(
        "\nvalue on {}: {} {}",
        valuation.as_of,
        valuation.value.round_dp(2),
        valuation.base_currency
    );
    for p in &valuation.positions {
        println!(
            "  {:<5} {:>6} shares  {:>10} {}  {:>6.2}%  unrealised {:>10}",
            p.symbol,
            p.quantity,
            p.value.round_dp(2),
            valuation.base_currency,
            p.weight * 100.0,
            p.unrealized_pnl.round_dp(2)
        );
    }
    println!("  cash  {}", valuation.cash.round_dp(2));

    let series = portfolio.value_series(&prices, first, last)?;
    let returns = series.daily_returns();
    let spy = prices.returns_like("SPY", &returns)?;
    let stats = PerformanceStats::compute(
        &returns,
        StatsOptions {
            risk_free_rate: 0.02,
            benchmark: Some(&spy),
        },
    )?;
    println!(
        "\ntime-weighted return {:.2}%",
        series.time_weighted_return() * 100.0
    );
    println!(
        "money-weighted return {:.2}% a year",
        series.money_weighted_return()? * 100.0
    );
    println!(
        "volatility {:.2}%, Sharpe {:.2}, max drawdown {:.2}% ({} to {}), beta to SPY {:.2}",
        stats.volatility * 100.0,
        stats.sharpe.unwrap_or(f64::NAN),
        stats.max_drawdown * 100.0,
        stats.max_drawdown_peak,
        stats.max_drawdown_trough,
        stats.beta.unwrap_or(f64::NAN)
    );

    let answers: auravest_risk::Answers =
        serde_json::from_reader(File::open(data.join("answers.json"))?)?;
    let profile = auravest_risk::score(&answers)?;
    println!(
        "\nrisk profile: {} ({})\n{}",
        profile.category, profile.allocation, profile.rationale
    );
    Ok(())
}
