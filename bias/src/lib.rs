//! Behavioural-bias detection for AuraVest.
//!
//! **Status: not yet implemented.** This crate is reserved for the pure
//! detectors that turn a portfolio, its transaction log and prices into nudges
//! with evidence (concentration, panic selling, disposition effect,
//! overtrading, home bias, drift), plus goals, badges and the learning
//! checklist. It exports nothing until that work lands.
#![forbid(unsafe_code)]
