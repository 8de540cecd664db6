//! A Stooq CSV answer (the first byte picks the HTTP status, the rest is the
//! body), read as a quote and as a daily history: never a panic, a quote's
//! price is positive, bars lie in the range in order with positive prices,
//! and no error shows a URL or the API key.
//!
//! Seeds (`fuzz/corpus/stooq_csv/`): the market tests' fixtures and a few failure
//! shapes, each written after the byte of its status.
#![no_main]

use auravest_market::fuzzing;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (status, body) = fuzzing::split_status(data);
    fuzzing::stooq_csv(status, body);
});
