//! Integration tests of auravest-core.

mod ledger;
mod performance_report;
mod stats_parity;
mod strategies;
