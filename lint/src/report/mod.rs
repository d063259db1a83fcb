//! Renderers. Each takes the finished report and writes one format.

pub mod human;
pub mod json;

use clap::ValueEnum;

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Human,
    Json,
}
