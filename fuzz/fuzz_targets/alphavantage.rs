//! An Alpha Vantage answer (the first byte picks the HTTP status, the rest
//! is the body), read both as a `GLOBAL_QUOTE` and as a `TIME_SERIES_DAILY`:
//! never a panic, a quote's price is positive, bars lie in the range in
//! order with positive prices, and no error shows a URL or the API key.
//!
//! Seeds (`fuzz/corpus/alphavantage/`): the market tests' fixtures and a few failure
//! shapes, each written after the byte of its status.
#![no_main]

use auravest_market::fuzzing;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (status, body) = fuzzing::split_status(data);
    fuzzing::alphavantage_quote(status, body);
    fuzzing::alphavantage_daily(status, body);
});
