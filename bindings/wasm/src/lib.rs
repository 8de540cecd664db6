//! AuraVest for JavaScript and TypeScript, through WebAssembly.
//!
//! A forwarding shell over the pure SDK crates (core, risk, optimize, bias,
//! social): each export reads its arguments into the SDK's types, calls the
//! SDK and writes the result back. No formula, default or validation lives
//! here; an omitted option takes the SDK's own default, and every check is
//! the SDK's, thrown as an `AuraError` ([`errors`]) with the field, line and
//! symbol at fault.
//!
//! - Names are camelCase; every argument and result has a TypeScript type
//!   generated from the Rust types (tsify), and none is `any`.
//! - Money and quantities cross as decimal strings, dates as ISO strings;
//!   prices and statistics are numbers, as in the SDK.
//! - Stateful things are classes: [`PriceTable`](prices::PriceTable) and
//!   [`Portfolio`](portfolio::Portfolio) (free them with `free()` or let the
//!   garbage collector do it).
//! - Without the default `full` feature the build is the slim entry: the
//!   risk questionnaire and the community's text rules only.
//!
//! | module | wraps |
//! | --- | --- |
//! | [`risk`] | `auravest-risk`: the questionnaire, scoring, categories |
//! | [`social`] | `auravest-social`: amounts that reveal wealth, entities, safe HTML, aliases |
//! | `prices` | `auravest-core`: price tables (`full`) |
//! | `portfolio` | `auravest-core`: the ledger, valuation, performance and statistics (`full`) |
//! | `optimize` | `auravest-optimize`: every objective and the frontier (`full`) |
//! | `bias` | `auravest-bias`: nudges, goals, badges, the checklist (`full`) |

// Exported functions take their arguments owned: wasm-bindgen hands them
// over from JavaScript.
#![allow(clippy::needless_pass_by_value)]

#[cfg(feature = "full")]
pub mod bias;
mod convert;
pub mod errors;
#[cfg(feature = "full")]
pub mod optimize;
#[cfg(feature = "full")]
pub mod portfolio;
#[cfg(feature = "full")]
pub mod prices;
pub mod risk;
pub mod social;
mod strict;

use wasm_bindgen::prelude::*;

pub use errors::{Failure, Outcome};

/// The package's version.
#[wasm_bindgen]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_owned()
}

/// The disclaimer every screen showing analysis carries.
#[wasm_bindgen]
pub fn disclaimer() -> String {
    auravest_core::DISCLAIMER.to_owned()
}

/// The members of the string union `name` declared in a module's source
/// (its TypeScript custom section; the macro keeps no Rust constant of it),
/// for the tests that hold the hand-declared unions to the SDK's variants.
#[cfg(test)]
pub(crate) fn ts_union(section: &str, name: &str) -> std::collections::BTreeSet<String> {
    let head = format!("export type {name} = ");
    let line = section
        .lines()
        .find_map(|l| l.trim().strip_prefix(head.as_str()))
        .unwrap_or_else(|| panic!("no union {name}"));
    line.trim_end_matches(';')
        .split('|')
        .map(|m| m.trim().trim_matches('"').to_owned())
        .collect()
}

/// The serde names of `values`.
#[cfg(test)]
pub(crate) fn serde_names<T: serde::Serialize>(
    values: impl IntoIterator<Item = T>,
) -> std::collections::BTreeSet<String> {
    values
        .into_iter()
        .map(|v| match serde_json::to_value(v) {
            Ok(serde_json::Value::String(s)) => s,
            other => panic!("not a unit variant: {other:?}"),
        })
        .collect()
}
