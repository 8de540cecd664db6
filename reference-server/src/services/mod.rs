//! What the routes share: computations over stored data that more than one
//! route needs. Route modules import these, never each other.

pub mod alerts;
pub mod community;
pub mod metering;
pub mod news;
pub mod portfolio;
