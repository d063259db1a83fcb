//! Findings as plain data: what every renderer and the fixer read.

use crate::span::Span;
use serde::Serialize;
use std::path::PathBuf;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Allow,
    Warn,
    Deny,
}

impl Level {
    pub fn parse(s: &str) -> Option<Level> {
        match s {
            "allow" => Some(Level::Allow),
            "warn" => Some(Level::Warn),
            "deny" => Some(Level::Deny),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Allow => "allow",
            Level::Warn => "warn",
            Level::Deny => "deny",
        }
    }
    /// The severity a finding at this level reports with.
    pub fn severity(self) -> &'static str {
        match self {
            Level::Deny => "error",
            _ => "warning",
        }
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct Label {
    pub path: PathBuf,
    pub span: Span,
    pub message: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Applicability {
    MachineApplicable,
    MaybeIncorrect,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Edit {
    pub path: PathBuf,
    pub start_byte: u32,
    pub end_byte: u32,
    pub replacement: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct Fix {
    pub applicability: Applicability,
    pub description: String,
    pub edits: Vec<Edit>,
}

#[derive(Clone, Debug)]
pub struct Finding {
    pub lint: &'static str,
    pub level: Level,
    pub message: String,
    pub path: PathBuf,
    pub span: Span,
    /// Secondary labels.
    pub labels: Vec<Label>,
    pub notes: Vec<String>,
    pub help: String,
    /// The lint's buggy and fixed pair (source text, compiled in). Output
    /// never names its file, which exists only in synclint's repository:
    /// diagnostics point to [`explain_command`] instead.
    pub example: &'static str,
    pub fix: Option<Fix>,
}

/// A file that was not analysed, and why.
#[derive(Clone, Debug, Serialize)]
pub struct Skipped {
    pub path: PathBuf,
    pub reason: String,
}

/// What a diagnostic tells the reader to run for the lint's buggy and fixed
/// pair: the installed binary prints it (the JSON `example` field).
pub fn explain_command(lint: &str) -> String {
    format!("cargo synclint explain {lint}")
}
