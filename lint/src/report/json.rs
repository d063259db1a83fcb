//! `--format json`, version 1 (SPEC §5).

use crate::diag::{Finding, Fix};
use crate::engine::Report;
use crate::span::Span;
use serde::Serialize;
use std::path::Path;

#[derive(Serialize)]
struct Doc<'a> {
    version: u32,
    tool: Tool,
    findings: Vec<JFinding<'a>>,
    skipped: Vec<JSkipped<'a>>,
    /// Files analysed except for a function body with a syntax error.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    partly_analysed: Vec<JSkipped<'a>>,
    summary: Summary,
}

#[derive(Serialize)]
struct Tool {
    name: &'static str,
    version: &'static str,
}

#[derive(Serialize)]
struct JFinding<'a> {
    lint: &'a str,
    severity: &'a str,
    message: &'a str,
    path: String,
    span: Span,
    labels: Vec<JLabel<'a>>,
    notes: &'a [String],
    help: &'a str,
    /// The command that prints the buggy and fixed pair.
    example: String,
    fix: Option<&'a Fix>,
}

#[derive(Serialize)]
struct JLabel<'a> {
    path: String,
    span: Span,
    message: &'a str,
    primary: bool,
}

#[derive(Serialize)]
struct JSkipped<'a> {
    path: String,
    reason: &'a str,
}

#[derive(Serialize)]
struct Summary {
    files: usize,
    parsed: usize,
    findings: usize,
    elapsed_ms: u128,
}

/// Paths in output use `/` on every platform.
pub fn path_str(p: &Path) -> String {
    p.to_string_lossy().replace('\\', "/")
}

fn finding(f: &Finding) -> JFinding<'_> {
    JFinding {
        lint: f.lint,
        severity: f.level.severity(),
        message: &f.message,
        path: path_str(&f.path),
        span: f.span,
        labels: f
            .labels
            .iter()
            .map(|l| JLabel {
                path: path_str(&l.path),
                span: l.span,
                message: &l.message,
                primary: false,
            })
            .collect(),
        notes: &f.notes,
        help: &f.help,
        example: crate::diag::explain_command(f.lint),
        fix: f.fix.as_ref(),
    }
}

/// Files with why (skipped, or analysed in part).
fn files(list: &[crate::diag::Skipped]) -> Vec<JSkipped<'_>> {
    list.iter()
        .map(|s| JSkipped {
            path: path_str(&s.path),
            reason: &s.reason,
        })
        .collect()
}

pub fn render(report: &Report) -> String {
    let doc = Doc {
        version: 1,
        tool: Tool {
            name: "synclint",
            version: env!("CARGO_PKG_VERSION"),
        },
        findings: report.findings.iter().map(finding).collect(),
        skipped: files(&report.skipped),
        partly_analysed: files(&report.partly),
        summary: Summary {
            files: report.files,
            parsed: report.parsed,
            findings: report.findings.len(),
            elapsed_ms: report.elapsed_ms,
        },
    };
    serde_json::to_string_pretty(&doc).expect("JSON serialisation of plain data")
}
