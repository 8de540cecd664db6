//! Portfolio optimisation for AuraVest.
//!
//! **Status: not yet implemented.** This crate is reserved for the optimisation
//! layer: expected-return estimators, risk models (sample, shrinkage,
//! semicovariance), mean-variance optimisers on Clarabel, hierarchical risk
//! parity, the efficient frontier and discrete share allocation. It is a pure
//! crate: it reads [`PriceFrame`](https://docs.rs/auravest-core)s and does no I/O.
//! It exports nothing until that work lands.
#![forbid(unsafe_code)]
