//! Fixture loading and small builders shared by the tests.

use std::path::PathBuf;

use auravest_core::{NaiveDate, Symbol};

pub(crate) fn fixture_path(name: &str) -> PathBuf {
    [env!("CARGO_MANIFEST_DIR"), "tests", "fixtures", name]
        .iter()
        .collect()
}

#[cfg_attr(not(feature = "http"), allow(dead_code))]
pub(crate) fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(fixture_path(name)).unwrap_or_else(|e| panic!("fixture {name}: {e}"))
}

pub(crate) fn sym(s: &str) -> Symbol {
    s.parse().unwrap()
}

pub(crate) fn date(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

pub(crate) fn close_to(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * b.abs().max(1.0)
}

pub(crate) fn examples_prices() -> PathBuf {
    [
        env!("CARGO_MANIFEST_DIR"),
        "..",
        "examples",
        "data",
        "prices.csv",
    ]
    .iter()
    .collect()
}
