//! The typed request: the same answers as the optimisers it dispatches to,
//! and typed errors for settings that do not fit.

use auravest_core::PriceFrame;
use auravest_optimize::expected_returns::mean_historical;
use auravest_optimize::request::{Clean, Compat, Objective, OptimizeRequest};
use auravest_optimize::risk_models::sample_cov;
use auravest_optimize::{Error, MeanVariance, MissingData, ReturnMatrix, TailMeasure};

fn prices() -> PriceFrame {
    let p = concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/data/prices.csv");
    PriceFrame::from_csv(std::fs::File::open(p).unwrap()).unwrap()
}

#[test]
fn max_sharpe_through_the_request_equals_the_optimiser_called_directly() {
    let prices = prices();
    let got = OptimizeRequest::new(Objective::MaxSharpe)
        .solve(&prices)
        .unwrap();
    let r = ReturnMatrix::from_prices(&prices).unwrap();
    let mu = mean_historical(&r, true).unwrap();
    let cov = sample_cov(&r, MissingData::Pairwise).unwrap();
    let want = MeanVariance::new(mu, cov)
        .unwrap()
        .max_sharpe(0.02)
        .unwrap();
    assert_eq!(got.weights, want.weights);
    assert_eq!(got.performance, want.performance);
}

#[test]
fn every_objective_gives_weights_that_sum_to_one() {
    let prices = prices();
    for objective in [
        Objective::MaxSharpe,
        Objective::MinVolatility,
        Objective::EfficientRisk {
            target_volatility: 0.25,
        },
        Objective::EfficientReturn {
            target_return: 0.15,
        },
        Objective::MaxUtility { risk_aversion: 2.0 },
        Objective::Hrp,
        Objective::RiskParity,
        Objective::InverseVolatility,
        Objective::EqualWeight,
        Objective::MinCvar {
            target_return: None,
        },
        Objective::MinCdar {
            target_return: None,
        },
    ] {
        let out = OptimizeRequest::new(objective).solve(&prices).unwrap();
        let sum = out.weights.values().sum();
        assert!((sum - 1.0).abs() < 1e-6, "{objective:?}: {sum}");
        let tail = matches!(
            objective,
            Objective::MinCvar { .. } | Objective::MinCdar { .. }
        );
        assert_eq!(out.tail_risk.is_some(), tail, "{objective:?}");
        if let Objective::MinCvar { .. } = objective {
            assert_eq!(out.tail_risk.unwrap().0, TailMeasure::Cvar);
        }
    }
}

#[test]
fn cleaning_drops_dust_and_rounds() {
    let req = OptimizeRequest {
        clean: Some(Clean::default()),
        ..OptimizeRequest::new(Objective::MinVolatility)
    };
    let out = req.solve(&prices()).unwrap();
    for w in out.weights.values().iter() {
        assert!(*w == 0.0 || *w >= 1e-4);
        assert!(((w * 1e5).round() - w * 1e5).abs() < 1e-6);
    }
}

#[test]
fn settings_that_do_not_fit_are_refused_by_name() {
    let prices = prices();
    let bad = |req: OptimizeRequest| match req.solve(&prices) {
        Err(Error::InvalidParameter { name, .. }) => name,
        other => panic!("expected InvalidParameter, got {other:?}"),
    };
    assert_eq!(
        bad(OptimizeRequest {
            max_holdings: Some(3),
            ..OptimizeRequest::new(Objective::Hrp)
        }),
        "max_holdings"
    );
    assert_eq!(
        bad(OptimizeRequest {
            risk_free_rate: f64::INFINITY,
            ..OptimizeRequest::new(Objective::MaxSharpe)
        }),
        "risk_free_rate"
    );
    assert_eq!(
        bad(OptimizeRequest {
            bounds: (0.5, 0.1),
            ..OptimizeRequest::new(Objective::MaxSharpe)
        }),
        "bounds"
    );
    assert!(matches!(
        OptimizeRequest::new(Objective::EfficientRisk {
            target_volatility: 0.01
        })
        .solve(&prices),
        Err(Error::TargetVolatilityUnreachable { .. })
    ));
}

#[test]
fn the_pypfopt_mode_reports_hrpopts_own_figures() {
    let prices = prices();
    let native = OptimizeRequest::new(Objective::Hrp).solve(&prices).unwrap();
    let compat = OptimizeRequest {
        compat: Compat::PyPortfolioOpt,
        ..OptimizeRequest::new(Objective::Hrp)
    }
    .solve(&prices)
    .unwrap();
    assert_eq!(native.weights, compat.weights);
    assert_ne!(native.performance, compat.performance);
}

#[test]
fn the_frontier_runs_from_low_to_high_volatility() {
    let pts = OptimizeRequest::new(Objective::MinVolatility)
        .frontier(&prices(), 8)
        .unwrap();
    assert_eq!(pts.len(), 8);
    assert!(
        pts.windows(2)
            .all(|w| w[0].performance.volatility <= w[1].performance.volatility + 1e-9)
    );
}
