//! Integration tests: the HTTP sources against a local wiremock server
//! replaying fixtures shaped like the real services' answers, and the chain,
//! cache, validation and frames against in-memory and file sources. Nothing
//! here reaches the internet.

mod cache;
mod chain;
mod file;
mod frame;
#[cfg(feature = "http")]
mod http;
#[cfg(feature = "http")]
mod news;
mod support;
