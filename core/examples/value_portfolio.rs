//! A hand-entered portfolio valued at daily closes, with its time-weighted
//! return: `cargo run -p auravest-core --example value_portfolio`.

use auravest_core::{Currency, NaiveDate, Portfolio, PriceFrame, io};

const TRANSACTIONS: &str = "date,type,symbol,quantity,price,fee,currency
2024-01-02,deposit,,,20000,0,USD
2024-01-02,buy,VTI,40,236.10,1,USD
2024-01-02,buy,AAPL,30,185.64,1,USD
2024-02-01,deposit,,,2000,0,USD
2024-02-01,buy,BND,25,72.20,1,USD
";

const PRICES: &str = "date,VTI,AAPL,BND
2024-01-02,236.10,185.64,72.50
2024-01-16,237.80,183.63,72.10
2024-02-01,242.55,186.86,72.20
2024-02-15,249.20,184.15,71.70
2024-03-01,254.80,179.66,72.00
";

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let today: NaiveDate = "2024-03-01".parse()?;
    let mut portfolio = Portfolio::new(Currency::USD, today);
    let report = portfolio.import(io::read_transactions_csv(TRANSACTIONS.as_bytes())?, false)?;
    println!("imported {} transactions", report.imported);
    let prices = PriceFrame::from_csv(PRICES.as_bytes())?;
    // Money as money: amounts rounded to the currency's minor units.
    let valuation = portfolio.valuation(&prices, today)?.money_rounded();
    println!(
        "value on {}: {} {} (cash {})",
        valuation.as_of, valuation.value, valuation.base_currency, valuation.cash
    );
    for p in &valuation.positions {
        println!(
            "  {:<5} {:>4} shares at {:>7}  {:>9}  {:5.1}%  unrealised {}",
            p.symbol.as_str(),
            p.quantity,
            p.price,
            p.value.round_dp(2),
            p.weight * 100.0,
            p.unrealized_pnl.round_dp(2)
        );
    }
    let start: NaiveDate = "2024-01-02".parse()?;
    let series = portfolio.value_series(&prices, start, today)?;
    println!(
        "time-weighted return {start} to {today}: {:.2}% (based on past prices)",
        series.time_weighted_return() * 100.0
    );
    Ok(())
}
