//! A Yahoo quoteSummary answer (the first byte picks the HTTP status, the
//! rest is the body), read as fundamentals: never a panic, every figure
//! finite, and no error shows a URL or the API key.
//!
//! Seeds (`fuzz/corpus/yahoo_quote_summary/`): the market tests' fixtures and a few failure
//! shapes, each written after the byte of its status.
#![no_main]

use auravest_market::fuzzing;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (status, body) = fuzzing::split_status(data);
    fuzzing::yahoo_quote_summary(status, body);
});
