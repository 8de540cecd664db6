//! Integration tests of the reference server: the HTTP API through
//! `app(state)` with tower's `oneshot`, the store conformance suite on
//! SQLite and PostgreSQL, and the jobs.

mod support;

mod alerts;
mod api;
mod assistant;
mod auth;
mod binary;
mod concurrency;
mod hardening;
mod idor;
mod live;
mod me;
mod messages;
mod news;
mod openapi;
mod ops;
mod refresher;
mod shared;
mod social;
mod store;
mod web;
