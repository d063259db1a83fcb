//! The command line's parts: settings, targets, rendering.

pub mod config;
pub mod render;
pub mod targets;
pub mod workspace;
