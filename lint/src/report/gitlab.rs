//! `--format gitlab`: GitLab Code Quality (a subset of the Code Climate
//! issue format), for `artifacts: reports: codequality`.

use super::{docs_url, fingerprints, long_message, Context};
use crate::diag::Level;
use crate::engine::Report;
use serde::Serialize;

#[derive(Serialize)]
pub struct Issue {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub description: String,
    pub check_name: &'static str,
    pub fingerprint: String,
    pub severity: &'static str,
    pub categories: Vec<&'static str>,
    pub content: Content,
    pub location: Location,
}

#[derive(Serialize)]
pub struct Content {
    pub body: String,
}

#[derive(Serialize)]
pub struct Location {
    pub path: String,
    pub lines: Lines,
}

#[derive(Serialize)]
pub struct Lines {
    pub begin: u32,
    pub end: u32,
}

/// GitLab's scale is info < minor < major < critical < blocker; deny-level
/// findings are bugs waiting for a second close, warnings are stalls.
fn severity(l: Level) -> &'static str {
    match l {
        Level::Deny => "major",
        _ => "minor",
    }
}

pub fn issues(report: &Report, cx: &Context) -> Vec<Issue> {
    report
        .findings
        .iter()
        .zip(fingerprints(report, cx))
        .map(|(f, fingerprint)| Issue {
            kind: "issue",
            description: format!("{}: {}", f.lint, f.message),
            check_name: f.lint,
            fingerprint,
            severity: severity(f.level),
            categories: vec!["Bug Risk"],
            content: Content {
                body: format!(
                    "{}\n\nThe buggy and fixed pair: `{}`{}",
                    long_message(f, cx),
                    crate::diag::explain_command(f.lint),
                    docs_url(f.lint)
                        .map(|u| format!("\n\nSee {u}"))
                        .unwrap_or_default()
                ),
            },
            location: Location {
                path: cx.repo_path(&f.path),
                lines: Lines {
                    begin: f.span.start.line,
                    end: f.span.end.line,
                },
            },
        })
        .collect()
}

pub fn render(report: &Report, cx: &Context) -> String {
    serde_json::to_string_pretty(&issues(report, cx)).expect("JSON serialisation of plain data")
}
