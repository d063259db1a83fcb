//! `--format sarif`: SARIF 2.1.0 as GitHub code scanning reads it.
//!
//! Typed structs serialised with serde (only the SARIF properties synclint
//! fills in). One run; every lint of the registry is a rule descriptor, so
//! `ruleIndex` is the lint's index in [`LINTS`]; URIs are relative to
//! `%SRCROOT%` (the repository root); columns count Unicode code points.

use super::{docs_url, fingerprints, source, Context};
use crate::diag::{Applicability, Finding, Level};
use crate::engine::Report;
use crate::rules::LINTS;
use crate::span::Span;
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::Path;

pub const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";
/// The `partialFingerprints` key; bump the version if the recipe changes.
pub const FINGERPRINT_KEY: &str = "synclint/v1";
const SRCROOT: &str = "%SRCROOT%";

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Log {
    #[serde(rename = "$schema")]
    pub schema: &'static str,
    pub version: &'static str,
    pub runs: Vec<Run>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Run {
    pub tool: Tool,
    pub original_uri_base_ids: BTreeMap<&'static str, ArtifactLocation>,
    pub column_kind: &'static str,
    pub results: Vec<SarifResult>,
    pub invocations: Vec<Invocation>,
}

#[derive(Serialize)]
pub struct Tool {
    pub driver: Driver,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Driver {
    pub name: &'static str,
    pub version: &'static str,
    pub semantic_version: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub information_uri: Option<&'static str>,
    pub rules: Vec<Rule>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Rule {
    pub id: &'static str,
    pub name: String,
    pub short_description: Message,
    pub full_description: Message,
    pub help: MultiformatMessage,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help_uri: Option<String>,
    pub default_configuration: Configuration,
    pub properties: RuleProperties,
}

#[derive(Serialize)]
pub struct Message {
    pub text: String,
}

#[derive(Serialize)]
pub struct MultiformatMessage {
    pub text: String,
    pub markdown: String,
}

#[derive(Serialize)]
pub struct Configuration {
    pub level: &'static str,
}

#[derive(Serialize)]
pub struct RuleProperties {
    pub tags: Vec<&'static str>,
    pub precision: &'static str,
    #[serde(rename = "problem.severity")]
    pub problem_severity: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SarifResult {
    pub rule_id: &'static str,
    pub rule_index: usize,
    pub level: &'static str,
    pub message: Message,
    pub locations: Vec<Location>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub related_locations: Vec<Location>,
    pub partial_fingerprints: BTreeMap<&'static str, String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fixes: Vec<SarifFix>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Location {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<usize>,
    pub physical_location: PhysicalLocation,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<Message>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PhysicalLocation {
    pub artifact_location: ArtifactLocation,
    pub region: Region,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ArtifactLocation {
    pub uri: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uri_base_id: Option<&'static str>,
}

#[derive(Serialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct Region {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_line: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_column: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_line: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_column: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub char_offset: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub char_length: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub byte_offset: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub byte_length: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub snippet: Option<Message>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SarifFix {
    pub description: Message,
    pub artifact_changes: Vec<ArtifactChange>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ArtifactChange {
    pub artifact_location: ArtifactLocation,
    pub replacements: Vec<Replacement>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Replacement {
    pub deleted_region: Region,
    pub inserted_content: Content,
}

#[derive(Serialize)]
pub struct Content {
    pub text: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Invocation {
    pub execution_successful: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tool_execution_notifications: Vec<Notification>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Notification {
    pub level: &'static str,
    pub message: Message,
    pub locations: Vec<NotificationLocation>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NotificationLocation {
    pub physical_location: ArtifactOnly,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ArtifactOnly {
    pub artifact_location: ArtifactLocation,
}

fn level(l: Level) -> &'static str {
    match l {
        Level::Deny => "error",
        Level::Warn => "warning",
        Level::Allow => "none",
    }
}

fn artifact(cx: &Context, p: &Path) -> ArtifactLocation {
    ArtifactLocation {
        uri: uri_escape(&cx.repo_path(p)),
        uri_base_id: Some(SRCROOT),
    }
}

/// Percent-encodes what may not appear raw in a relative URI reference.
fn uri_escape(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

fn region(text: Option<&str>, span: Span) -> Region {
    let mut r = Region {
        start_line: Some(span.start.line),
        start_column: Some(span.start.column),
        end_line: Some(span.end.line),
        end_column: Some(span.end.column),
        ..Default::default()
    };
    if let Some(t) = text {
        if let (Some(before), Some(inner)) =
            (t.get(..span.start.byte as usize), t.get(span.range()))
        {
            r.char_offset = Some(before.chars().count());
            r.char_length = Some(inner.chars().count());
            r.snippet = Some(Message { text: inner.into() });
        }
    }
    r
}

/// The region an edit deletes: byte offset and length (what the edit is
/// made of), and the same range as lines and columns, which consumers such
/// as reviewdog's SARIF reader require (they drop fixes without
/// `startLine`/`startColumn`).
fn edit_region(text: Option<&str>, e: &crate::diag::Edit) -> Region {
    let mut r = Region {
        byte_offset: Some(e.start_byte),
        byte_length: Some(e.end_byte - e.start_byte),
        ..Default::default()
    };
    if let Some(t) = text {
        let (start, end) = (super::pos_of(t, e.start_byte), super::pos_of(t, e.end_byte));
        r.start_line = Some(start.line);
        r.start_column = Some(start.column);
        r.end_line = Some(end.line);
        r.end_column = Some(end.column);
    }
    r
}

/// Plain text for a SARIF message: `[` and `]` are escaped, since they
/// would otherwise start an embedded link (SARIF §3.11.6).
fn escape_text(s: &str) -> String {
    s.replace('[', "\\[").replace(']', "\\]")
}

/// The result's message: the finding, one embedded link per secondary label
/// (`[text](id)` naming the related location's `id`: GitHub code scanning
/// shows related locations only when the message links them), notes, help.
fn message_text(f: &Finding) -> String {
    let mut m = escape_text(&f.message);
    for (i, l) in f.labels.iter().enumerate() {
        m.push_str(&format!("\n- [{}]({})", escape_text(&l.message), i + 1));
    }
    for n in &f.notes {
        m.push_str(&format!("\nnote: {}", escape_text(n)));
    }
    m.push_str(&format!("\nhelp: {}", escape_text(&f.help)));
    m.push_str(&format!(
        "\nexample: `{}` prints the buggy and fixed pair",
        crate::diag::explain_command(f.lint)
    ));
    m
}

fn rule(l: &'static crate::rules::Lint) -> Rule {
    Rule {
        id: l.name,
        name: l.name.into(),
        short_description: Message {
            text: l.summary.into(),
        },
        full_description: Message {
            text: format!("{}. Fix: {}", l.summary, l.help),
        },
        help: MultiformatMessage {
            text: format!(
                "{}\n\nDocs: `{}`{}",
                l.help,
                crate::diag::explain_command(l.name),
                docs_url(l.name)
                    .map(|u| format!(", {u}"))
                    .unwrap_or_default()
            ),
            markdown: l.docs.into(),
        },
        help_uri: docs_url(l.name),
        default_configuration: Configuration {
            level: level(l.default_level),
        },
        properties: RuleProperties {
            tags: vec!["concurrency", "correctness", "synchronization"],
            precision: "high",
            problem_severity: level(l.default_level),
        },
    }
}

fn result(report: &Report, cx: &Context, f: &Finding, fingerprint: String) -> SarifResult {
    let rule_index = LINTS
        .iter()
        .position(|l| l.name == f.lint)
        .expect("findings come from registered lints");
    let related = f
        .labels
        .iter()
        .enumerate()
        .map(|(i, l)| Location {
            id: Some(i + 1),
            physical_location: PhysicalLocation {
                artifact_location: artifact(cx, &l.path),
                region: region(source(report, &l.path), l.span),
            },
            message: Some(Message {
                text: l.message.clone(),
            }),
        })
        .collect();
    let fixes = f
        .fix
        .iter()
        .map(|fix| {
            let mut by_file: BTreeMap<&Path, Vec<Replacement>> = BTreeMap::new();
            for e in &fix.edits {
                by_file.entry(&e.path).or_default().push(Replacement {
                    deleted_region: edit_region(source(report, &e.path), e),
                    inserted_content: Content {
                        text: e.replacement.clone(),
                    },
                });
            }
            let kind = match fix.applicability {
                Applicability::MachineApplicable => "",
                Applicability::MaybeIncorrect => " (review before applying)",
            };
            SarifFix {
                description: Message {
                    text: format!("{}{kind}", fix.description),
                },
                artifact_changes: by_file
                    .into_iter()
                    .map(|(p, replacements)| ArtifactChange {
                        artifact_location: artifact(cx, p),
                        replacements,
                    })
                    .collect(),
            }
        })
        .collect();
    SarifResult {
        rule_id: f.lint,
        rule_index,
        level: level(f.level),
        message: Message {
            text: message_text(f),
        },
        locations: vec![Location {
            id: None,
            physical_location: PhysicalLocation {
                artifact_location: artifact(cx, &f.path),
                region: region(source(report, &f.path), f.span),
            },
            message: None,
        }],
        related_locations: related,
        partial_fingerprints: BTreeMap::from([(FINGERPRINT_KEY, fingerprint)]),
        fixes,
    }
}

/// A `file://` URI for a directory, ending in `/` (SARIF §3.14.14).
fn dir_uri(dir: &Path) -> String {
    let s = super::json::path_str(dir);
    let s = s.trim_end_matches('/');
    let lead = if s.starts_with('/') { "" } else { "/" };
    format!("file://{lead}{}/", uri_escape(s))
}

pub fn log(report: &Report, cx: &Context) -> Log {
    let results = report
        .findings
        .iter()
        .zip(fingerprints(report, cx))
        .map(|(f, fp)| result(report, cx, f, fp))
        .collect();
    let notifications = report
        .skipped
        .iter()
        .map(|s| (s, "skipped"))
        .chain(
            report
                .partly
                .iter()
                .map(|s| (s, "function body not analysed")),
        )
        .map(|(s, what)| Notification {
            level: "warning",
            message: Message {
                text: format!("{what}: {}", s.reason),
            },
            locations: vec![NotificationLocation {
                physical_location: ArtifactOnly {
                    artifact_location: artifact(cx, &s.path),
                },
            }],
        })
        .collect();
    Log {
        schema: SCHEMA,
        version: "2.1.0",
        runs: vec![Run {
            tool: Tool {
                driver: Driver {
                    name: "synclint",
                    version: env!("CARGO_PKG_VERSION"),
                    semantic_version: env!("CARGO_PKG_VERSION"),
                    information_uri: super::repository_url(),
                    rules: LINTS.iter().map(rule).collect(),
                },
            },
            original_uri_base_ids: BTreeMap::from([(
                SRCROOT,
                ArtifactLocation {
                    uri: dir_uri(&cx.repo_root),
                    uri_base_id: None,
                },
            )]),
            column_kind: "unicodeCodePoints",
            results,
            invocations: vec![Invocation {
                execution_successful: report.internal_errors == 0,
                tool_execution_notifications: notifications,
            }],
        }],
    }
}

pub fn render(report: &Report, cx: &Context) -> String {
    serde_json::to_string_pretty(&log(report, cx)).expect("SARIF serialisation of plain data")
}
