//! Integration tests of auravest-optimize.
mod allocation;
mod black_litterman;
mod estimators;
mod hrp;
mod mean_variance;
mod profile;
mod request;
mod tail_risk;
