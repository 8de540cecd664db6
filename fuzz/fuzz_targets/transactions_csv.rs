//! The transactions CSV import: parse, build the ledger (skipping bad rows,
//! as `--skip-invalid` does), value it, and write the accepted rows back:
//! no input may panic, and what was accepted reads back the same.
#![no_main]

use auravest_core::{Currency, Portfolio, Transaction, TransactionRecord, io};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(rows) = io::read_transactions_csv(data) else {
        return;
    };
    let accepted: Vec<Transaction> = rows
        .iter()
        .filter_map(|(_, r)| r.as_ref().ok().cloned())
        .collect();
    let records: Vec<TransactionRecord> = accepted.iter().map(TransactionRecord::from).collect();
    let Ok(usd) = Currency::new("USD") else {
        return;
    };
    let mut portfolio = Portfolio::new(usd, auravest_core::MAX_DATE);
    let _ = portfolio.import(rows, true);
    let _ = portfolio.holdings().open_positions().count();
    // What was read writes back and reads again to the same records.
    let mut out = Vec::new();
    if io::write_transactions_csv(&mut out, &accepted).is_ok() {
        let again = io::read_transactions_csv(&out[..]).expect("our own CSV reads back");
        let back: Vec<TransactionRecord> = again
            .iter()
            .filter_map(|(_, r)| r.as_ref().ok().map(TransactionRecord::from))
            .collect();
        assert_eq!(back, records, "a written record read back differently");
    }
});
