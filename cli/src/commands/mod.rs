//! One module per command group.

pub(crate) mod ai;
pub(crate) mod analyze;
pub(crate) mod market;
pub(crate) mod optimize;
pub(crate) mod optimize_more;
pub(crate) mod portfolio;
pub(crate) mod recommend;
pub(crate) mod risk;
pub(crate) mod stats;
