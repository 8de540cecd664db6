//! Behavioural nudges for a concentrated portfolio:
//! `cargo run -p auravest-bias --example nudges`.

use auravest_bias::{AnalysisInput, Config, analyze};
use auravest_core::{Currency, NaiveDate, Portfolio, PriceFrame, io};

const TRANSACTIONS: &str = "date,type,symbol,quantity,price,fee,currency
2024-01-02,deposit,,,50000,0,USD
2024-01-02,buy,NVDA,60,480,1,USD
2024-01-02,buy,VTI,40,236,1,USD
2024-02-20,sell,VTI,20,220,1,USD
";

const PRICES: &str = "date,NVDA,VTI
2024-01-02,480,236
2024-01-22,560,240
2024-02-05,650,230
2024-02-16,720,222
2024-02-20,700,220
2024-03-01,820,245
";

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let as_of: NaiveDate = "2024-03-01".parse()?;
    let mut portfolio = Portfolio::new(Currency::USD, as_of);
    portfolio.import(io::read_transactions_csv(TRANSACTIONS.as_bytes())?, false)?;
    let prices = PriceFrame::from_csv(PRICES.as_bytes())?;
    let input = AnalysisInput {
        benchmark: Some("VTI"),
        ..AnalysisInput::new(&portfolio, &prices, as_of)
    };
    let analysis = analyze(&input, &Config::default())?;
    for n in &analysis.nudges {
        println!(
            "[{:?}] {}\n  {}\n  What you could do: {}\n",
            n.severity, n.title, n.explanation, n.action
        );
    }
    println!(
        "{} findings in all, {} shown today",
        analysis.findings.len(),
        analysis.nudges.len()
    );
    Ok(())
}
