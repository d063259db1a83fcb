//! `--message-format json`: cargo's JSON message stream, so tools that read
//! `cargo check --message-format json` (rust-analyzer's
//! `check.overrideCommand`, IDEs, cargo-based CI annotators) show synclint's
//! findings: one `compiler-message` line per finding, whose `message` is a
//! rustc JSON diagnostic (rust-lang/rust `src/doc/rustc/src/json.md`), then
//! one `build-finished` line.
//!
//! File names are relative to the workspace root, as rustc's are under
//! cargo; rust-analyzer joins them to the workspace root it knows.

use super::{human, source, Context, Package};
use crate::diag::{Applicability, Finding, Level};
use crate::engine::Report;
use crate::rules;
use crate::span::Span;
use codespan_reporting::term;
use serde::Serialize;
use std::path::{Path, PathBuf};

#[derive(Serialize)]
pub struct CompilerMessage {
    pub reason: &'static str,
    pub package_id: String,
    pub manifest_path: String,
    pub target: serde_json::Value,
    pub message: Diagnostic,
}

#[derive(Serialize)]
pub struct BuildFinished {
    pub reason: &'static str,
    pub success: bool,
}

#[derive(Serialize)]
pub struct Diagnostic {
    #[serde(rename = "$message_type")]
    pub message_type: &'static str,
    pub message: String,
    pub code: Option<Code>,
    pub level: &'static str,
    pub spans: Vec<DiagnosticSpan>,
    pub children: Vec<Diagnostic>,
    pub rendered: Option<String>,
}

#[derive(Serialize)]
pub struct Code {
    pub code: String,
    pub explanation: Option<&'static str>,
}

#[derive(Serialize)]
pub struct DiagnosticSpan {
    pub file_name: String,
    pub byte_start: u32,
    pub byte_end: u32,
    pub line_start: u32,
    pub line_end: u32,
    pub column_start: u32,
    pub column_end: u32,
    pub is_primary: bool,
    pub text: Vec<SpanLine>,
    pub label: Option<String>,
    pub suggested_replacement: Option<String>,
    pub suggestion_applicability: Option<&'static str>,
    pub expansion: Option<()>,
}

#[derive(Serialize)]
pub struct SpanLine {
    pub text: String,
    pub highlight_start: u32,
    pub highlight_end: u32,
}

/// The source lines a span covers, with the highlighted columns (1-based,
/// end exclusive, in characters).
fn span_lines(text: Option<&str>, s: Span) -> Vec<SpanLine> {
    let Some(text) = text else { return Vec::new() };
    let lines: Vec<&str> = text.split('\n').collect();
    (s.start.line..=s.end.line)
        .filter_map(|n| {
            let line = lines.get(n as usize - 1)?.trim_end_matches('\r');
            let len = line.chars().count() as u32;
            Some(SpanLine {
                text: line.to_string(),
                highlight_start: if n == s.start.line { s.start.column } else { 1 },
                highlight_end: if n == s.end.line {
                    s.end.column
                } else {
                    len + 1
                },
            })
        })
        .collect()
}

fn span(
    report: &Report,
    cx: &Context,
    path: &Path,
    s: Span,
    primary: bool,
    label: Option<String>,
) -> DiagnosticSpan {
    DiagnosticSpan {
        file_name: cx.workspace_path(path),
        byte_start: s.start.byte,
        byte_end: s.end.byte,
        line_start: s.start.line,
        line_end: s.end.line,
        column_start: s.start.column,
        column_end: s.end.column,
        is_primary: primary,
        text: span_lines(source(report, path), s),
        label,
        suggested_replacement: None,
        suggestion_applicability: None,
        expansion: None,
    }
}

fn child(level: &'static str, message: String, spans: Vec<DiagnosticSpan>) -> Diagnostic {
    Diagnostic {
        message_type: "diagnostic",
        message,
        code: None,
        level,
        spans,
        children: Vec::new(),
        rendered: None,
    }
}

fn diagnostic(report: &Report, cx: &Context, f: &Finding, rendered: String) -> Diagnostic {
    let mut spans = vec![span(report, cx, &f.path, f.span, true, None)];
    for l in &f.labels {
        spans.push(span(
            report,
            cx,
            &l.path,
            l.span,
            false,
            Some(l.message.clone()),
        ));
    }
    let mut children: Vec<Diagnostic> = f
        .notes
        .iter()
        .map(|n| child("note", n.clone(), Vec::new()))
        .collect();
    children.push(child("help", f.help.clone(), Vec::new()));
    if let Some(fix) = &f.fix {
        let applicability = match fix.applicability {
            Applicability::MachineApplicable => "MachineApplicable",
            Applicability::MaybeIncorrect => "MaybeIncorrect",
        };
        let edits = fix
            .edits
            .iter()
            .filter_map(|e| {
                let text = source(report, &e.path)?;
                let s = Span {
                    start: super::pos_of(text, e.start_byte),
                    end: super::pos_of(text, e.end_byte),
                };
                let mut d = span(report, cx, &e.path, s, true, None);
                d.suggested_replacement = Some(e.replacement.clone());
                d.suggestion_applicability = Some(applicability);
                Some(d)
            })
            .collect();
        children.push(child("help", fix.description.clone(), edits));
    }
    let mut note = format!(
        "`{}` prints the buggy and fixed pair",
        crate::diag::explain_command(f.lint)
    );
    if let Some(url) = super::docs_url(f.lint) {
        note.push_str(&format!("; docs: {url}"));
    }
    children.push(child("note", note, Vec::new()));
    Diagnostic {
        message_type: "diagnostic",
        message: f.message.clone(),
        // A tool prefix, as clippy's `clippy::name`: rust-analyzer shows the
        // source "rustc" for codes without one.
        code: Some(Code {
            code: format!("synclint::{}", f.lint),
            explanation: rules::find(f.lint).map(|l| l.docs),
        }),
        level: match f.level {
            Level::Deny => "error",
            _ => "warning",
        },
        spans,
        children,
        rendered: Some(rendered),
    }
}

/// Package attribution when `cargo metadata` did not list the file's
/// package: the nearest manifest's name and version, with an id spelled as
/// cargo spells path packages (`path+file:///dir#name@version`).
fn fallback_package(cx: &Context, p: &Path) -> Package {
    let abs = crate::discover::absolute(p, &cx.cwd);
    let dir: PathBuf = abs
        .ancestors()
        .skip(1)
        .find(|a| crate::discover::is_package_dir(a))
        .map(Path::to_path_buf)
        .unwrap_or_else(|| cx.workspace_root.clone());
    let manifest = dir.join("Cargo.toml");
    let table: Option<toml::Value> = std::fs::read_to_string(&manifest)
        .ok()
        .and_then(|t| toml::from_str(&t).ok());
    let field = |k: &str| {
        table
            .as_ref()
            .and_then(|t| t.get("package")?.get(k)?.as_str().map(String::from))
    };
    let name = field("name").unwrap_or_else(|| {
        dir.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "unknown".into())
    });
    let version = field("version").unwrap_or_else(|| "0.0.0".into());
    let edition = field("edition").unwrap_or_else(|| "2015".into());
    Package {
        id: format!(
            "path+file://{}#{name}@{version}",
            super::json::path_str(&dir)
        ),
        manifest_path: manifest,
        target: serde_json::json!({
            "kind": ["lib"],
            "crate_types": ["lib"],
            "name": name.replace('-', "_"),
            "src_path": super::json::path_str(&abs),
            "edition": edition,
            "doc": false,
            "doctest": false,
            "test": false,
        }),
        name,
    }
}

/// Every line, `\n`-terminated. `success` is what cargo would say: no
/// findings. `ansi`: `rendered` carries ANSI colours, as cargo's
/// `--message-format=json-diagnostic-rendered-ansi` asks.
pub fn render(report: &Report, cx: &Context, success: bool, ansi: bool) -> String {
    let (files, ids) = human::files(report);
    let config = human::config();
    let mut out = String::new();
    for f in &report.findings {
        let d = human::diagnostic(f, &ids);
        let rendered = if ansi {
            let mut buf = termcolor::Ansi::new(Vec::new());
            let _ = term::emit_to_write_style(&mut buf, &config, &files, &d);
            String::from_utf8_lossy(&buf.into_inner()).into_owned()
        } else {
            let mut buf = termcolor::NoColor::new(Vec::new());
            let _ = term::emit_to_write_style(&mut buf, &config, &files, &d);
            String::from_utf8_lossy(&buf.into_inner()).into_owned()
        };
        let fallback;
        let pkg = match cx.package_of(&f.path) {
            Some(p) => p,
            None => {
                fallback = fallback_package(cx, &f.path);
                &fallback
            }
        };
        let line = CompilerMessage {
            reason: "compiler-message",
            package_id: pkg.id.clone(),
            manifest_path: super::json::path_str(&pkg.manifest_path),
            target: pkg.target.clone(),
            message: diagnostic(report, cx, f, rendered),
        };
        out.push_str(&serde_json::to_string(&line).expect("JSON of plain data"));
        out.push('\n');
    }
    out.push_str(
        &serde_json::to_string(&BuildFinished {
            reason: "build-finished",
            success,
        })
        .expect("JSON of plain data"),
    );
    out.push('\n');
    out
}
