//! synclint: a static linter for misuse of synchronization in Rust close and
//! shutdown paths.
//!
//! The library lints paths ([`engine::run`]) or source strings
//! ([`engine::lint_source`]) and returns findings as plain data; the
//! `cargo-synclint` binary renders them.

pub mod baseline;
pub mod config;
pub mod diag;
pub mod discover;
pub mod engine;
pub mod fix;
mod fxhash;
pub mod index;
pub mod lex;
pub mod model;
pub mod prefilter;
pub mod report;
pub mod rules;
pub mod span;
pub mod vocab;

pub use config::Config;
pub use diag::{Finding, Level, Skipped};
pub use engine::{lint_source, lint_sources, lint_sources_asked, run, Options, Report};
