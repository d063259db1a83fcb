//! `--format rdjson`: reviewdog's Diagnostic Format (`DiagnosticResult`,
//! reviewdog/reviewdog `proto/rdf/reviewdog.proto`), with each fix's edits in
//! the finding's file as suggestions.
//!
//! reviewdog positions are 1-based lines and 1-based columns counted in UTF-8
//! bytes; range ends are exclusive.

use super::{byte_column, docs_url, long_message, pos_of, source, Context};
use crate::diag::{Finding, Level};
use crate::engine::Report;
use crate::span::Pos;
use serde::Serialize;

#[derive(Serialize)]
pub struct DiagnosticResult {
    pub source: Source,
    pub diagnostics: Vec<Diagnostic>,
}

#[derive(Serialize)]
pub struct Source {
    pub name: &'static str,
    pub url: &'static str,
}

#[derive(Serialize)]
pub struct Diagnostic {
    pub message: String,
    pub location: Location,
    pub severity: &'static str,
    pub code: Code,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub suggestions: Vec<Suggestion>,
}

#[derive(Serialize)]
pub struct Location {
    pub path: String,
    pub range: Range,
}

#[derive(Serialize)]
pub struct Range {
    pub start: Position,
    pub end: Position,
}

#[derive(Serialize)]
pub struct Position {
    pub line: u32,
    pub column: u32,
}

#[derive(Serialize)]
pub struct Code {
    pub value: &'static str,
    pub url: String,
}

#[derive(Serialize)]
pub struct Suggestion {
    pub range: Range,
    pub text: String,
}

fn position(text: &str, p: Pos) -> Position {
    Position {
        line: p.line,
        column: byte_column(text, p),
    }
}

fn diagnostic(report: &Report, cx: &Context, f: &Finding) -> Diagnostic {
    let text = source(report, &f.path).unwrap_or("");
    let suggestions = f
        .fix
        .iter()
        .flat_map(|fix| &fix.edits)
        .filter(|e| e.path == f.path)
        .map(|e| Suggestion {
            range: Range {
                start: position(text, pos_of(text, e.start_byte)),
                end: position(text, pos_of(text, e.end_byte)),
            },
            text: e.replacement.clone(),
        })
        .collect();
    Diagnostic {
        message: long_message(f, cx),
        location: Location {
            path: cx.repo_path(&f.path),
            range: Range {
                start: position(text, f.span.start),
                end: position(text, f.span.end),
            },
        },
        severity: match f.level {
            Level::Deny => "ERROR",
            _ => "WARNING",
        },
        code: Code {
            value: f.lint,
            url: docs_url(f.lint),
        },
        suggestions,
    }
}

pub fn result(report: &Report, cx: &Context) -> DiagnosticResult {
    DiagnosticResult {
        source: Source {
            name: "synclint",
            url: env!("CARGO_PKG_REPOSITORY"),
        },
        diagnostics: report
            .findings
            .iter()
            .map(|f| diagnostic(report, cx, f))
            .collect(),
    }
}

pub fn render(report: &Report, cx: &Context) -> String {
    serde_json::to_string_pretty(&result(report, cx)).expect("JSON serialisation of plain data")
}
