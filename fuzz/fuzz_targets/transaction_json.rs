//! A transaction as JSON (the API's body): decode, validate, and replay a
//! ledger of copies of it at several dates; never a panic.
#![no_main]

use auravest_core::{Currency, Portfolio, Transaction, TransactionRecord};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(records) = serde_json::from_slice::<Vec<TransactionRecord>>(data) else {
        if let Ok(one) = serde_json::from_slice::<TransactionRecord>(data) {
            let _ = Transaction::try_from(&one);
        }
        return;
    };
    let parsed: Vec<_> = records
        .iter()
        .take(64)
        .enumerate()
        .map(|(i, r)| (i, Transaction::try_from(r)))
        .collect();
    let Ok(usd) = Currency::new("USD") else {
        return;
    };
    let mut all_or_nothing = Portfolio::new(usd, auravest_core::MAX_DATE);
    let _ = all_or_nothing.import(parsed.clone(), false);
    let mut skipping = Portfolio::new(usd, auravest_core::MAX_DATE);
    let _ = skipping.import(parsed, true);
});
