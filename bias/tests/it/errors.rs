//! Bad inputs give typed errors naming what was wrong.

use auravest_bias::config::{
    CashConfig, ChasingConfig, ConcentrationConfig, DispositionConfig, DrawdownConfig, DriftConfig,
    GoalsConfig, HomeBiasConfig, OvertradingConfig, PanicConfig, ThrottleConfig,
};
use auravest_bias::{AnalysisInput, Config, Error, analyze, concentration};
use auravest_core::InstrumentTable;

use crate::support::{book, d};

fn name_of(config: &Config) -> &'static str {
    match config.validate() {
        Err(Error::InvalidThreshold { name, .. } | Error::InvalidSetting { name, .. }) => name,
        other => panic!("expected a threshold error, got {other:?}"),
    }
}

#[test]
fn every_group_checks_its_ranges() {
    let cases: Vec<(Config, &str)> = vec![
        (
            Config {
                concentration: ConcentrationConfig {
                    single_holding: 1.5,
                    ..Default::default()
                },
                ..Config::default()
            },
            "concentration.single_holding",
        ),
        (
            Config {
                concentration: ConcentrationConfig {
                    single_point_of_failure: 0.05,
                    ..Default::default()
                },
                ..Config::default()
            },
            "concentration.single_point_of_failure",
        ),
        (
            Config {
                concentration: ConcentrationConfig {
                    min_effective_holdings: 0.5,
                    ..Default::default()
                },
                ..Config::default()
            },
            "concentration.min_effective_holdings",
        ),
        (
            Config {
                panic: PanicConfig {
                    min_fall: 0.0,
                    ..Default::default()
                },
                ..Config::default()
            },
            "panic.min_fall",
        ),
        (
            Config {
                panic: PanicConfig {
                    min_sold: f64::NAN,
                    ..Default::default()
                },
                ..Config::default()
            },
            "panic.min_sold",
        ),
        (
            Config {
                panic: PanicConfig {
                    lookback_days: 0,
                    ..Default::default()
                },
                ..Config::default()
            },
            "panic.lookback_days",
        ),
        (
            Config {
                disposition: DispositionConfig {
                    min_difference: -0.1,
                    ..Default::default()
                },
                ..Config::default()
            },
            "disposition.min_difference",
        ),
        (
            Config {
                overtrading: OvertradingConfig {
                    max_turnover: -1.0,
                    ..Default::default()
                },
                ..Config::default()
            },
            "overtrading.max_turnover",
        ),
        (
            Config {
                overtrading: OvertradingConfig {
                    min_history_days: 400,
                    ..Default::default()
                },
                ..Config::default()
            },
            "overtrading.min_history_days",
        ),
        (
            Config {
                chasing: ChasingConfig {
                    attention_quantile: 1.0,
                    ..Default::default()
                },
                ..Config::default()
            },
            "chasing.attention_quantile",
        ),
        (
            Config {
                chasing: ChasingConfig {
                    volume_ratio: 0.5,
                    ..Default::default()
                },
                ..Config::default()
            },
            "chasing.volume_ratio",
        ),
        (
            Config {
                home_bias: HomeBiasConfig {
                    home_world_weight: 1.0,
                    ..Default::default()
                },
                ..Config::default()
            },
            "home_bias.home_world_weight",
        ),
        (
            Config {
                home_bias: HomeBiasConfig {
                    home_country: "USA".to_owned(),
                    ..Default::default()
                },
                ..Config::default()
            },
            "home_bias.home_country",
        ),
        (
            Config {
                cash: CashConfig {
                    expected_return: -1.0,
                    ..Default::default()
                },
                ..Config::default()
            },
            "cash.expected_return",
        ),
        (
            Config {
                drift: DriftConfig {
                    critical_band: 0.01,
                    ..Default::default()
                },
                ..Config::default()
            },
            "drift.critical_band",
        ),
        (
            Config {
                drawdown: DrawdownConfig { min_fall: 1.0 },
                ..Config::default()
            },
            "drawdown.min_fall",
        ),
        (
            Config {
                goals: GoalsConfig {
                    expected_return: f64::INFINITY,
                },
                ..Config::default()
            },
            "goals.expected_return",
        ),
        (
            Config {
                throttle: ThrottleConfig {
                    max_per_day: 0,
                    ..Default::default()
                },
                ..Config::default()
            },
            "throttle.max_per_day",
        ),
    ];
    for (config, name) in &cases {
        assert_eq!(name_of(config), *name);
    }
}

#[test]
fn detectors_and_analyze_refuse_bad_thresholds() {
    let (p, prices, v) = book(&[("AAA", 100)], 0);
    let bad = ConcentrationConfig {
        large_holding: 2.0,
        ..Default::default()
    };
    let err = concentration(&v, &InstrumentTable::default(), &bad).unwrap_err();
    assert_eq!(err.field(), Some("concentration.large_holding"));
    assert!(err.to_string().contains("out of range"));
    let config = Config {
        concentration: bad,
        ..Config::default()
    };
    let err = analyze(&AnalysisInput::new(&p, &prices, d("2024-01-02")), &config).unwrap_err();
    assert!(matches!(err, Error::InvalidThreshold { .. }));
}

#[test]
fn analyze_refuses_an_unknown_benchmark_and_a_late_last_visit() {
    let (p, prices, _) = book(&[("AAA", 100)], 0);
    let base = AnalysisInput::new(&p, &prices, d("2024-01-02"));
    let err = analyze(
        &AnalysisInput {
            benchmark: Some("SPY"),
            ..base
        },
        &Config::default(),
    )
    .unwrap_err();
    assert!(matches!(err, Error::UnknownBenchmark { ref available, .. } if available == &["AAA"]));
    let err = analyze(
        &AnalysisInput {
            last_visit: Some(d("2024-01-03")),
            ..base
        },
        &Config::default(),
    )
    .unwrap_err();
    assert!(matches!(err, Error::LastVisitAfterAsOf { .. }));
    assert_eq!(err.field(), Some("last_visit"));
}

#[test]
fn analyze_wraps_missing_prices_from_core() {
    let (p, _, _) = book(&[("AAA", 100)], 0);
    let other = crate::support::frame("2024-01-02", &[("BBB", vec![1.0])]);
    let err = analyze(
        &AnalysisInput::new(&p, &other, d("2024-01-02")),
        &Config::default(),
    )
    .unwrap_err();
    assert!(
        matches!(err, Error::Core(auravest_core::Error::MissingPrice { .. })),
        "{err}"
    );
}
