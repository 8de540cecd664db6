//! AuraVest for Kotlin and Swift, through UniFFI.
//!
//! A forwarding shell over the SDK crates: each export converts its
//! arguments, calls the SDK and converts the result back. No formula,
//! default or validation lives here; a `null` option takes the SDK's own
//! default, and every check is the SDK's, raised as [`AuraError`]
//! (`AuraException` in Kotlin) with the field, line and symbol at fault.
//!
//! - Plain data crosses as records, stateful things as objects that Kotlin
//!   frees with `close()` (they are `AutoCloseable`) and Swift on deinit:
//!   [`Portfolio`](portfolio::Portfolio), [`PriceTable`](prices::PriceTable),
//!   [`CommunityRules`](social::CommunityRules),
//!   [`MarketClient`](market::MarketClient) (with its quote cache) and
//!   [`Assistant`](ai::Assistant).
//! - Money and quantities cross as decimal text, dates as ISO text; price
//!   series (tables, bars) and statistics are floats, as in the SDK.
//! - The I/O calls (quotes, history, prices, the assistant's `ask`) are
//!   `suspend` functions in Kotlin and `async` in Swift, run on a tokio
//!   runtime the library owns; cancelling one closes its connection
//!   ([`runtime`]).
//!
//! | module | wraps |
//! | --- | --- |
//! | [`risk`] | `auravest-risk`: the questionnaire, scoring, categories |
//! | [`portfolio`] | `auravest-core`: the ledger, positions and lots, valuation, performance |
//! | [`prices`] | `auravest-core`: price tables |
//! | [`optimize`] | `auravest-optimize`: every objective, the frontier, whole shares |
//! | [`bias`] | `auravest-bias`: nudges, goals, badges, the checklist |
//! | [`social`] | `auravest-social`: aliases, wealth warnings, entities, safe HTML |
//! | [`market`] | `auravest-market`: quotes, history and prices through the fallback chain |
//! | [`ai`] | `auravest-ai`: the assistant |

// The exported signatures are the FFI contract UniFFI lifts and lowers:
// arguments arrive owned (strings, records, `Arc`s of objects), and the
// error is one flat enum whose every variant carries the same detail fields
// (UniFFI cannot box a variant). Clippy's advice for ordinary Rust APIs does
// not apply to them.
#![allow(clippy::needless_pass_by_value, clippy::result_large_err)]

uniffi::setup_scaffolding!();

pub mod ai;
pub mod bias;
pub mod errors;
pub mod market;
pub mod optimize;
pub mod portfolio;
pub mod prices;
pub mod risk;
pub mod runtime;
pub mod social;

pub use errors::AuraError;

/// The library's version.
#[uniffi::export]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_owned()
}

/// The disclaimer every screen showing analysis carries.
#[uniffi::export]
pub fn disclaimer() -> String {
    auravest_core::DISCLAIMER.to_owned()
}

/// The disclaimer under every assistant answer.
#[uniffi::export]
pub fn ai_disclaimer() -> String {
    auravest_core::AI_DISCLAIMER.to_owned()
}
