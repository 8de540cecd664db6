//! The disposition effect: PGR − PLR over sale days.

use auravest_bias::config::DispositionConfig;
use auravest_bias::{NudgeKind, disposition_counts, disposition_effect};

use crate::support::{close, day, flat, frame, log, num};

/// GAIN closes at 120 and LOSS at 80; both were bought at 100. On each sale
/// day one share of the named symbol is sold at its close.
fn history(sales: &[&str]) -> auravest_core::Portfolio {
    let mut rows =
        "2024-01-01,buy,GAIN,100,100,0,USD\n2024-01-01,buy,LOSS,100,100,0,USD\n".to_owned();
    for (i, s) in sales.iter().enumerate() {
        let price = if *s == "GAIN" { 120 } else { 80 };
        rows.push_str(&format!(
            "{},sell,{s},1,{price},0,USD\n",
            day("2024-01-01", i + 1)
        ));
    }
    log(&rows)
}

fn prices() -> auravest_core::PriceFrame {
    frame(
        "2024-01-01",
        &[("GAIN", flat(40, 120.0)), ("LOSS", flat(40, 80.0))],
    )
}

#[test]
fn selling_only_winners_on_ten_days_fires() {
    let p = history(&["GAIN"; 10]);
    let as_of = day("2024-01-01", 30);
    let c = disposition_counts(&p, &prices(), as_of).unwrap();
    assert_eq!(
        (
            c.sell_days,
            c.realized_gains,
            c.paper_losses,
            c.realized_losses,
            c.paper_gains
        ),
        (10, 10, 10, 0, 0)
    );
    let out = disposition_effect(&p, &prices(), as_of, &DispositionConfig::default()).unwrap();
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].kind, NudgeKind::DispositionEffect);
    assert!(close(num(&out[0], "pgr"), 1.0, 1e-12));
    assert!(close(num(&out[0], "plr"), 0.0, 1e-12));
    assert!(close(num(&out[0], "difference"), 1.0, 1e-12));
    assert!(out[0].explanation.contains("Odean"));
}

#[test]
fn nine_sale_days_are_too_few_to_speak() {
    let p = history(&["GAIN"; 9]);
    let out = disposition_effect(
        &p,
        &prices(),
        day("2024-01-01", 30),
        &DispositionConfig::default(),
    )
    .unwrap();
    assert!(out.is_empty());
}

#[test]
fn selling_winners_and_losers_alike_is_silent() {
    let sales = [
        "GAIN", "LOSS", "GAIN", "LOSS", "GAIN", "LOSS", "GAIN", "LOSS", "GAIN", "LOSS",
    ];
    let p = history(&sales);
    let as_of = day("2024-01-01", 30);
    let c = disposition_counts(&p, &prices(), as_of).unwrap();
    assert!(close(c.pgr().unwrap(), 0.5, 1e-12) && close(c.plr().unwrap(), 0.5, 1e-12));
    assert!(
        disposition_effect(&p, &prices(), as_of, &DispositionConfig::default())
            .unwrap()
            .is_empty()
    );
}

#[test]
fn the_threshold_is_strict() {
    let as_of = day("2024-01-01", 30);
    let zero = DispositionConfig {
        min_difference: 0.0,
        ..DispositionConfig::default()
    };
    // PGR − PLR = 0 does not exceed a threshold of 0.
    let balanced = history(&["GAIN", "LOSS"].repeat(5));
    assert!(
        disposition_effect(&balanced, &prices(), as_of, &zero)
            .unwrap()
            .is_empty()
    );
    // One more winner sold than losers: PGR 6/11 − PLR 5/11 > 0.
    let mut tilted = ["GAIN", "LOSS"].repeat(5);
    tilted.push("GAIN");
    let out = disposition_effect(&history(&tilted), &prices(), as_of, &zero).unwrap();
    assert_eq!(out.len(), 1);
    assert!(close(
        num(&out[0], "difference"),
        6.0 / 11.0 - 5.0 / 11.0,
        1e-6
    ));
    // 1/11 (about 0.09) also exceeds the default threshold of 0.05.
    let default = disposition_effect(
        &history(&tilted),
        &prices(),
        as_of,
        &DispositionConfig::default(),
    )
    .unwrap();
    assert_eq!(default.len(), 1);
}

#[test]
fn sales_after_the_analysis_date_do_not_count() {
    let p = history(&["GAIN"; 10]);
    let as_of = day("2024-01-01", 5);
    let c = disposition_counts(&p, &prices(), as_of).unwrap();
    assert_eq!(c.sell_days, 5);
}
