//! Integration tests for `auravest-risk`: one binary, one module per area.

mod categories;
mod errors;
mod json;
mod properties;
mod rationale;
mod support;
