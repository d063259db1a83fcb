//! `--format rdjson`: reviewdog's Diagnostic Format (`DiagnosticResult`,
//! reviewdog/reviewdog `proto/rdf/reviewdog.proto`).
//!
//! What reviewdog then does with it shapes the output:
//!
//! - reviewdog reads it with `protojson.Unmarshal`: unknown fields are an
//!   error, so only the proto's fields are written.
//! - Paths are relative to the directory synclint runs in: reviewdog joins a
//!   relative path to the directory *it* runs in (relative to the git root),
//!   so the two must run in the same directory, as a pipe does; files outside
//!   it are written with `../`.
//! - `github-pr-review` posts each suggestion as its own block and puts the
//!   comment on the first suggestion's lines; a suggestion on other lines
//!   becomes an error block. So a fix becomes at most one suggestion: the
//!   whole lines from the first to the last edited line, replaced by their
//!   new text (a line-based range, no columns), or none when the fix edits
//!   another file.
//! - Secondary labels are `related_locations` (reviewdog links them), and
//!   stay in the message for reporters that do not show them.
//!
//! Positions are 1-based lines and 1-based columns counted in UTF-8 bytes;
//! range ends are exclusive.

use super::{byte_column, docs_url, long_message, pos_of, source, Context};
use crate::diag::{Edit, Finding, Level};
use crate::engine::Report;
use crate::span::Pos;
use serde::Serialize;
use std::path::{Component, Path, PathBuf};

#[derive(Serialize)]
pub struct DiagnosticResult {
    pub source: Source,
    pub diagnostics: Vec<Diagnostic>,
}

#[derive(Serialize)]
pub struct Source {
    pub name: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<&'static str>,
}

#[derive(Serialize)]
pub struct Diagnostic {
    pub message: String,
    pub location: Location,
    pub severity: &'static str,
    pub code: Code,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub suggestions: Vec<Suggestion>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub related_locations: Vec<RelatedLocation>,
}

#[derive(Serialize)]
pub struct RelatedLocation {
    pub message: String,
    pub location: Location,
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
    /// Absent in a line-based suggestion range (whole lines).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<u32>,
}

#[derive(Serialize)]
pub struct Code {
    pub value: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

#[derive(Serialize)]
pub struct Suggestion {
    pub range: Range,
    pub text: String,
}

fn position(text: &str, p: Pos) -> Position {
    Position {
        line: p.line,
        column: Some(byte_column(text, p)),
    }
}

fn range(text: &str, start: Pos, end: Pos) -> Range {
    Range {
        start: position(text, start),
        end: position(text, end),
    }
}

/// `p` relative to `cwd`, with `..` where it lies outside (absolute when
/// they share no root, e.g. another drive).
pub fn cwd_relative(p: &Path, cwd: &Path) -> String {
    let abs = crate::discover::absolute(p, cwd);
    let cwd = crate::discover::absolute(cwd, cwd);
    let (a, c): (Vec<Component>, Vec<Component>) =
        (abs.components().collect(), cwd.components().collect());
    if a.first() != c.first() {
        return super::json::path_str(&abs);
    }
    let common = a.iter().zip(&c).take_while(|(x, y)| x == y).count();
    let mut out = PathBuf::new();
    for _ in common..c.len() {
        out.push("..");
    }
    for x in &a[common..] {
        out.push(x);
    }
    super::json::path_str(&out)
}

/// The one suggestion a fix becomes: the lines from the first to the last
/// edited line, with the fix's edits applied (`None` when the fix edits
/// another file, its edits overlap, or the source is unknown).
pub fn line_suggestion(text: &str, path: &Path, edits: &[Edit]) -> Option<Suggestion> {
    if edits.is_empty() || edits.iter().any(|e| e.path != path) {
        return None;
    }
    let mut edits: Vec<&Edit> = edits.iter().collect();
    edits.sort_by_key(|e| (e.start_byte, e.end_byte));
    if edits.windows(2).any(|w| w[0].end_byte > w[1].start_byte) {
        return None;
    }
    let lo = edits[0].start_byte as usize;
    let hi = edits.iter().map(|e| e.end_byte).max()? as usize;
    if hi > text.len() || !text.is_char_boundary(lo) || !text.is_char_boundary(hi) {
        return None;
    }
    let first = pos_of(text, lo as u32).line;
    let last = pos_of(text, hi as u32).line;
    let from = text[..lo].rfind('\n').map_or(0, |i| i + 1);
    let to = text[hi..].find('\n').map_or(text.len(), |i| hi + i);
    // A CRLF file's `\r` stays out of the lines' text (and no edit may end
    // inside the line break).
    let to = if text[..to].ends_with('\r') && hi < to {
        to - 1
    } else {
        to
    };
    if hi > to {
        return None;
    }
    let mut new = String::new();
    let mut at = from;
    for e in edits {
        new.push_str(&text[at..e.start_byte as usize]);
        new.push_str(&e.replacement);
        at = e.end_byte as usize;
    }
    new.push_str(&text[at..to]);
    Some(Suggestion {
        range: Range {
            start: Position {
                line: first,
                column: None,
            },
            end: Position {
                line: last,
                column: None,
            },
        },
        text: new,
    })
}

fn diagnostic(report: &Report, cx: &Context, f: &Finding) -> Diagnostic {
    let text = source(report, &f.path).unwrap_or("");
    let suggestions = f
        .fix
        .as_ref()
        .and_then(|fix| line_suggestion(source(report, &f.path)?, &f.path, &fix.edits))
        .into_iter()
        .collect();
    let related_locations = f
        .labels
        .iter()
        .map(|l| {
            let t = source(report, &l.path).unwrap_or("");
            RelatedLocation {
                message: l.message.clone(),
                location: Location {
                    path: cwd_relative(&l.path, &cx.cwd),
                    range: range(t, l.span.start, l.span.end),
                },
            }
        })
        .collect();
    Diagnostic {
        message: long_message(f, cx),
        location: Location {
            path: cwd_relative(&f.path, &cx.cwd),
            range: range(text, f.span.start, f.span.end),
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
        related_locations,
    }
}

pub fn result(report: &Report, cx: &Context) -> DiagnosticResult {
    DiagnosticResult {
        source: Source {
            name: "synclint",
            url: super::repository_url(),
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
