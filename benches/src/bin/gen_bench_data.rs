//! Writes the benchmark fixtures as CSV for the Python peer scripts:
//! `gen_bench_data DIR [ASSETS] [DAYS]`.

fn main() -> std::process::ExitCode {
    let mut args = std::env::args().skip(1);
    let Some(dir) = args.next() else {
        eprintln!("usage: gen_bench_data DIR [ASSETS=100] [DAYS=2520]");
        return std::process::ExitCode::from(2);
    };
    let assets = args.next().and_then(|a| a.parse().ok()).unwrap_or(100);
    let days = args.next().and_then(|a| a.parse().ok()).unwrap_or(2520);
    let (frame, txs) = auravest_benches::synthetic_portfolio(assets, days, 42);
    match auravest_benches::write_portfolio_files(std::path::Path::new(&dir), &frame, &txs) {
        Ok(()) => match auravest_benches::run_workload(&frame, &txs) {
            Ok(w) => {
                println!(
                    "{{\"assets\": {assets}, \"days\": {days}, \"transactions\": {}, \"portfolio_total_return\": {}, \"portfolio_volatility\": {}}}",
                    txs.len(),
                    w.portfolio.total_return,
                    w.portfolio.volatility
                );
                std::process::ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("workload failed: {e}");
                std::process::ExitCode::from(1)
            }
        },
        Err(e) => {
            eprintln!("{dir}: {e}");
            std::process::ExitCode::from(1)
        }
    }
}
