//! Integration tests of auravest-bias: one binary, one module per area.

mod allocation;
mod amounts;
mod analysis;
mod chasing;
mod concentration;
mod disposition;
mod drawdown;
mod engagement;
mod errors;
mod goals;
mod guard;
mod overtrading;
mod panic;
mod properties;
mod support;
mod throttle;
