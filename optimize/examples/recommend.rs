//! A recommendation within the nudges' limits, then a plain max-Sharpe
//! optimisation through the typed request, on generated daily prices:
//! `cargo run -p auravest-optimize --example recommend`.

use auravest_core::{InstrumentTable, PriceFrame};
use auravest_optimize::request::{Objective, OptimizeRequest};
use auravest_optimize::{AdviceOptions, recommend};
use auravest_risk::RiskCategory;

/// Deterministic noise in about [-1, 1] (a 64-bit LCG), so the example needs
/// no random-number crate and prints the same every run.
fn noise(state: &mut u64) -> f64 {
    *state = state
        .wrapping_mul(6_364_136_223_846_793_005)
        .wrapping_add(1_442_695_040_888_963_407);
    ((*state >> 11) as f64 / (1u64 << 53) as f64) * 2.0 - 1.0
}

/// Two years of closes: three single stocks, a broad US fund, an
/// international fund and a bond fund: trends, waves and daily noise.
fn prices() -> PriceFrame {
    let names = ["AAA", "BBB", "CCC", "VTI", "VXUS", "BND"];
    let trend = [0.0009, 0.0004, -0.0001, 0.0003, 0.0002, 0.0001];
    let swing = [0.020, 0.015, 0.025, 0.008, 0.009, 0.002];
    let mut csv = format!("date,{}\n", names.join(","));
    let mut day = auravest_core::NaiveDate::from_ymd_opt(2022, 1, 3).expect("a date");
    let mut state = 7;
    let mut walk = [0.0; 6];
    for t in 0..500 {
        let market = noise(&mut state);
        let row: Vec<String> = (0..names.len())
            .map(|i| {
                let x = t as f64;
                let beta = if names[i] == "BND" { 0.0 } else { 1.0 };
                walk[i] += swing[i] * (beta * market + noise(&mut state));
                let wave = (x / (5.0 + i as f64)).sin();
                format!(
                    "{:.4}",
                    100.0 * (trend[i] * x + walk[i] + 0.02 * wave).exp()
                )
            })
            .collect();
        csv.push_str(&format!("{day},{}\n", row.join(",")));
        day = day.succ_opt().expect("a date");
    }
    PriceFrame::from_csv(csv.as_bytes()).expect("valid prices")
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let prices = prices();
    let instruments = InstrumentTable::shipped();
    let rec = recommend(
        RiskCategory::Moderate,
        &prices,
        &instruments,
        &AdviceOptions::default(),
    )?;
    println!("Recommended for a {} profile:", rec.category.label());
    for (ticker, w) in &rec.weights {
        println!("  {ticker:<5} {:5.1}%", w * 100.0);
    }
    let (low, high) = rec.expected_return_range;
    println!(
        "expected return {:.1}% to {:.1}% a year; {}",
        low * 100.0,
        high * 100.0,
        rec.basis
    );
    for line in rec.reasoning.iter().chain(rec.gaps.iter().map(|g| &g.text)) {
        println!("- {line}");
    }

    let best = OptimizeRequest::new(Objective::MaxSharpe).solve(&prices)?;
    println!(
        "\nUnconstrained max-Sharpe for comparison (no diversification limits): {:?}",
        best.weights.to_map()
    );
    Ok(())
}
