//! Integration tests for `auravest-social`: one binary, one module per area.

mod aliases;
mod discovery;
mod feeds;
mod moderation;
mod notifications;
mod posting;
mod privacy;
mod ranking;
mod render;
mod store;
mod support;
mod text;
mod wealth;
