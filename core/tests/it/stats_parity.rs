//! Parity with empyrical-reloaded 0.7.1 on the shared price data.
//!
//! `tests/anchors/empyrical_reference.json` is written by
//! `tests/anchors/generate_empyrical.py` (see `tests/anchors/README.md`) from
//! `shared/data/{spy_prices,stock_prices}.csv`, which live at `../shared/data`
//! relative to the workspace root. This test rebuilds the same return series
//! with the core API and checks every figure of [`PerformanceStats`].
//!
//! Tolerance: a figure passes when `|ours - theirs| <= max(1e-9 * |theirs|, 1e-15)`,
//! i.e. 1e-9 relative, with an absolute floor of 1e-15 that only matters for
//! values within 1e-6 of zero (such as a flat month). Counts and dates must be equal.
//! Run with `--nocapture` to see the worst relative error of each statistic.

use std::collections::BTreeMap;
use std::fmt::Debug;
use std::fs;
use std::path::{Path, PathBuf};

use auravest_core::{NaiveDate, PerformanceStats, PriceFrame, PriceSeries, Returns, StatsOptions};
use serde_json::Value;

const REL_TOL: f64 = 1e-9;
const ABS_FLOOR: f64 = 1e-15;

fn manifest_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// `../shared/data` relative to the workspace root; missing data fails the test.
fn data_dir() -> PathBuf {
    let dir = manifest_dir().join("../../shared/data");
    for file in ["spy_prices.csv", "stock_prices.csv"] {
        assert!(
            dir.join(file).is_file(),
            "stats parity needs the shared price data: {} not found (expected at \
             ../shared/data relative to the workspace root, see shared/data/README.md)",
            dir.join(file).display()
        );
    }
    dir
}

fn read_frame(dir: &Path, file: &str) -> PriceFrame {
    let path = dir.join(file);
    let bytes = fs::read(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    PriceFrame::from_csv(bytes.as_slice())
        .unwrap_or_else(|e| panic!("parsing {}: {e}", path.display()))
}

fn reference() -> Value {
    let path = manifest_dir().join("tests/anchors/empyrical_reference.json");
    let text =
        fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("parsing {}: {e}", path.display()))
}

fn field<'a>(case: &'a Value, key: &str) -> &'a Value {
    case.get(key)
        .unwrap_or_else(|| panic!("reference case lacks {key:?}: {case}"))
}

fn num(case: &Value, key: &str) -> f64 {
    field(case, key)
        .as_f64()
        .unwrap_or_else(|| panic!("{key} is not a number"))
}

fn text<'a>(case: &'a Value, key: &str) -> &'a str {
    field(case, key)
        .as_str()
        .unwrap_or_else(|| panic!("{key} is not a string"))
}

fn date(s: &str) -> NaiveDate {
    s.parse().unwrap_or_else(|e| panic!("bad date {s:?}: {e}"))
}

fn opt_date(case: &Value, key: &str) -> Option<NaiveDate> {
    match field(case, key) {
        Value::Null => None,
        v => Some(date(
            v.as_str().unwrap_or_else(|| panic!("{key} is not a date")),
        )),
    }
}

/// Collects every mismatch (rather than stopping at the first) and the worst
/// relative error seen per statistic.
#[derive(Default)]
struct Checker {
    failures: Vec<String>,
    worst: BTreeMap<&'static str, (f64, String)>,
    compared: usize,
}

impl Checker {
    fn close(&mut self, case: &str, stat: &'static str, ours: f64, theirs: f64) {
        self.compared += 1;
        let diff = (ours - theirs).abs();
        let rel = diff / theirs.abs().max(1e-12);
        let rel = if rel.is_nan() { f64::INFINITY } else { rel };
        // A NaN on either side makes `within` false, so it fails.
        let within = diff <= (REL_TOL * theirs.abs()).max(ABS_FLOOR);
        if !within {
            self.failures.push(format!(
                "{case} {stat}: ours {ours:e}, empyrical {theirs:e}, relative error {rel:e}"
            ));
        }
        let worst = self.worst.entry(stat).or_insert((0.0, String::new()));
        if rel > worst.0 || worst.1.is_empty() {
            *worst = (rel, case.to_owned());
        }
    }

    /// A ratio that empyrical may leave undefined (JSON null).
    fn close_opt(&mut self, case: &str, stat: &'static str, ours: Option<f64>, theirs: &Value) {
        match (ours, theirs.as_f64()) {
            (Some(a), Some(b)) => self.close(case, stat, a, b),
            (None, None) if theirs.is_null() => self.compared += 1,
            (a, _) => self
                .failures
                .push(format!("{case} {stat}: ours {a:?}, empyrical {theirs}")),
        }
    }

    fn same<T: PartialEq + Debug + ?Sized>(
        &mut self,
        case: &str,
        what: &str,
        ours: &T,
        theirs: &T,
    ) {
        self.compared += 1;
        if ours != theirs {
            self.failures.push(format!(
                "{case} {what}: ours {ours:?}, empyrical {theirs:?}"
            ));
        }
    }
}

/// The returns a reference case describes: the asset's own returns, or the
/// asset and benchmark restricted to their common price dates.
fn case_returns(spy: &PriceFrame, stocks: &PriceFrame, case: &Value) -> (Returns, Option<Returns>) {
    let asset = text(case, "asset");
    let frame_of = |name: &str| {
        if name.eq_ignore_ascii_case("SPY") {
            spy
        } else {
            stocks
        }
    };
    let series = |name: &str| -> PriceSeries {
        frame_of(name)
            .series(name)
            .unwrap_or_else(|e| panic!("series {name}: {e}"))
    };
    match field(case, "benchmark") {
        Value::Null => (series(asset).returns(), None),
        Value::String(bench) => {
            let (a, b) = series(asset).align(&series(bench));
            (a.returns(), Some(b.returns()))
        }
        other => panic!("benchmark must be a symbol or null, got {other}"),
    }
}

#[test]
fn performance_stats_match_empyrical() {
    let reference = reference();
    let meta = field(&reference, "meta");
    assert_eq!(
        text(meta, "empyrical_reloaded"),
        "0.7.1",
        "reference from another empyrical"
    );
    let cases = field(&reference, "cases")
        .as_array()
        .expect("cases is an array");
    let names: Vec<String> = cases
        .iter()
        .map(|c| format!("{}@{}", text(c, "case"), num(c, "risk_free_rate")))
        .collect();
    for expected in ["spy", "aapl_vs_spy", "goog_vs_spy"] {
        for rate in ["0", "0.02"] {
            let id = format!("{expected}@{rate}");
            assert!(
                names.contains(&id),
                "reference lacks case {id}; has {names:?}"
            );
        }
    }

    let dir = data_dir();
    let spy = read_frame(&dir, "spy_prices.csv");
    let stocks = read_frame(&dir, "stock_prices.csv");
    let mut check = Checker::default();

    for (case, id) in cases.iter().zip(&names) {
        let id = id.as_str();
        let (returns, bench) = case_returns(&spy, &stocks, case);
        let n = field(case, "n_returns")
            .as_u64()
            .expect("n_returns is a count");
        check.same(id, "n_returns", &(returns.len() as u64), &n);
        check.same(
            id,
            "start_date",
            &returns.start(),
            &Some(date(text(case, "start_date"))),
        );
        let first = date(text(case, "first_return_date"));
        let last = date(text(case, "last_return_date"));
        check.same(
            id,
            "first_return_date",
            &returns.dates().first(),
            &Some(&first),
        );
        check.same(
            id,
            "last_return_date",
            &returns.dates().last(),
            &Some(&last),
        );

        let options = StatsOptions {
            risk_free_rate: num(case, "risk_free_rate"),
            benchmark: bench.as_ref(),
        };
        let stats = PerformanceStats::compute(&returns, options)
            .unwrap_or_else(|e| panic!("{id}: compute failed: {e}"));

        check.close(
            id,
            "total_return",
            stats.total_return,
            num(case, "total_return"),
        );
        check.close(id, "cagr", stats.cagr, num(case, "cagr"));
        check.close(id, "volatility", stats.volatility, num(case, "volatility"));
        check.close_opt(id, "sharpe", stats.sharpe, field(case, "sharpe"));
        check.close_opt(id, "sortino", stats.sortino, field(case, "sortino"));
        check.close(
            id,
            "max_drawdown",
            stats.max_drawdown,
            num(case, "max_drawdown"),
        );
        check.close_opt(id, "calmar", stats.calmar, field(case, "calmar"));
        check.close(id, "var_95", stats.var_95, num(case, "var_95"));
        check.close(id, "cvar_95", stats.cvar_95, num(case, "cvar_95"));
        check.close_opt(id, "beta", stats.beta, field(case, "beta"));
        check.close_opt(id, "alpha", stats.alpha, field(case, "alpha"));

        let peak = date(text(case, "max_drawdown_peak"));
        let trough = date(text(case, "max_drawdown_trough"));
        check.same(id, "max_drawdown_peak", &stats.max_drawdown_peak, &peak);
        check.same(
            id,
            "max_drawdown_trough",
            &stats.max_drawdown_trough,
            &trough,
        );
        let recovery = opt_date(case, "max_drawdown_recovery");
        check.same(
            id,
            "max_drawdown_recovery",
            &stats.max_drawdown_recovery,
            &recovery,
        );

        let months = field(case, "monthly_returns")
            .as_object()
            .expect("monthly_returns is a map");
        let ours: Vec<&String> = stats.monthly_returns.keys().collect();
        let theirs: Vec<&String> = months.keys().collect();
        check.same(id, "monthly_returns months", &ours, &theirs);
        for (month, value) in months {
            let theirs = value
                .as_f64()
                .unwrap_or_else(|| panic!("{id} {month} is not a number"));
            match stats.monthly_returns.get(month) {
                Some(ours) => {
                    check.close(&format!("{id} {month}"), "monthly_returns", *ours, theirs)
                }
                None => check
                    .failures
                    .push(format!("{id}: no monthly return for {month}")),
            }
        }
    }

    println!(
        "worst relative error per statistic over {} cases:",
        cases.len()
    );
    for (stat, (rel, case)) in &check.worst {
        println!("  {stat:<16} {rel:.3e}  ({case})");
    }
    println!(
        "{} comparisons, {} failures",
        check.compared,
        check.failures.len()
    );
    assert!(
        check.failures.is_empty(),
        "{} mismatches against empyrical:\n{}",
        check.failures.len(),
        check.failures.join("\n")
    );
}
