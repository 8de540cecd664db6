//! Writes the efficient frontier of the sample universe as an SVG chart, with
//! each asset, the minimum-volatility and maximum-Sharpe portfolios marked.
//!
//! `cargo run -p auravest-examples --example frontier_svg -- [OUT.svg]`

use std::fs::File;
use std::path::Path;

use auravest_core::PriceFrame;
use auravest_optimize::expected_returns::mean_historical;
use auravest_optimize::risk_models::sample_cov;
use auravest_optimize::{MeanVariance, MissingData, ReturnMatrix};
use plotters::prelude::*;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let out = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "frontier.svg".to_owned());
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/prices.csv");
    let prices = PriceFrame::from_csv(File::open(data)?)?;
    let returns = ReturnMatrix::from_prices(&prices)?;
    let mu = mean_historical(&returns, true)?;
    let cov = sample_cov(&returns, MissingData::Pairwise)?;
    let mv = MeanVariance::new(mu.clone(), cov.clone())?;
    let frontier = mv.frontier(40, 0.02)?;
    let tangency = mv.max_sharpe(0.02)?;
    let assets: Vec<(f64, f64, &str)> = (0..mu.len())
        .map(|i| {
            (
                cov.matrix()[(i, i)].sqrt(),
                mu.values()[i],
                mu.tickers()[i].as_str(),
            )
        })
        .collect();

    let xmax = assets.iter().map(|a| a.0).fold(0.0, f64::max) * 1.1;
    let ymax = assets.iter().map(|a| a.1).fold(0.0, f64::max) * 1.1;
    let root = SVGBackend::new(&out, (800, 560)).into_drawing_area();
    root.fill(&WHITE)?;
    let mut chart = ChartBuilder::on(&root)
        .caption("Efficient frontier (sample data)", ("sans-serif", 22))
        .margin(20)
        .x_label_area_size(40)
        .y_label_area_size(50)
        .build_cartesian_2d(0.0..xmax, 0.0..ymax)?;
    chart
        .configure_mesh()
        .x_desc("volatility (annual)")
        .y_desc("expected return (annual)")
        .draw()?;
    chart.draw_series(LineSeries::new(
        frontier
            .iter()
            .map(|p| (p.performance.volatility, p.performance.expected_return)),
        BLUE.stroke_width(2),
    ))?;
    chart.draw_series(
        assets
            .iter()
            .map(|a| Circle::new((a.0, a.1), 4, RED.filled())),
    )?;
    chart.draw_series(
        assets
            .iter()
            .map(|a| Text::new(a.2.to_owned(), (a.0, a.1), ("sans-serif", 12))),
    )?;
    let t = tangency.performance;
    chart.draw_series(std::iter::once(TriangleMarker::new(
        (t.volatility, t.expected_return),
        7,
        GREEN.filled(),
    )))?;
    root.present()?;
    println!(
        "wrote {out}: {} frontier points, maximum Sharpe {:.2}",
        frontier.len(),
        t.sharpe.unwrap_or(f64::NAN)
    );
    Ok(())
}
