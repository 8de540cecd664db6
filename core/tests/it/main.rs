//! Integration tests of auravest-core.

mod ledger;
mod stats_parity;
mod strategies;
