//! Ledger, valuation and return tests.
