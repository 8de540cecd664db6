//! One module per command group.

pub(crate) mod portfolio;
pub(crate) mod risk;
pub(crate) mod stats;
