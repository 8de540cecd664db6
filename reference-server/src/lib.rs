//! The AuraVest reference server: the whole product over HTTP.
//!
//! `main.rs` only bootstraps (settings, store, migrations, serve); [`app`]
//! builds the router from an [`AppState`], so tests drive it with tower's
//! `oneshot`. Handlers extract, call the SDK, and map the result; the
//! logic lives in the SDK crates.
#![doc(test(attr(deny(warnings))))]

pub mod auth;
pub mod config;
pub mod crypto;
pub mod error;
pub mod keyed;
pub mod ledger;
pub mod limits;
pub mod live;
pub mod metrics;
pub mod openapi;
pub mod plans;
pub mod prices;
pub mod quote_cache;
pub mod refresher;
pub mod routes;
pub mod security;
pub mod serve;
pub mod services;
pub mod setup;
pub mod social_store;
pub mod state;
pub mod store;

pub use config::Config;
pub use error::{AppError, AppResult};
pub use routes::app;
pub use state::{AppState, Inner};
